package jira_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pmlens/pmlens/connectors/jira"
	"github.com/pmlens/pmlens/warehouse"
)

// loaderIssue is issue n of project LD in version v: updated v hours after a
// base time, in status "v<v>", with `changes` status changes.
func loaderIssue(n, v, changes int) *jira.Issue {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	is := &jira.Issue{ID: int64(n), Key: fmt.Sprintf("LD-%d", n), ProjectKey: "LD", Created: base, Updated: base.Add(time.Duration(v) * time.Hour),
		Status: fmt.Sprintf("v%d", v), ChangelogComplete: true}
	for k := range changes {
		is.StatusChanges = append(is.StatusChanges, jira.StatusChange{HistoryID: fmt.Sprint(k), ChangedAt: base.Add(time.Duration(k) * time.Minute), To: is.Status})
	}
	return is
}

// The loader streams through a small buffer. A second version of an issue
// still in the buffer replaces it; one already appended by an earlier flush is
// deleted and appended again; an older version is skipped; an issue without a
// project is a problem of the run, not a failure.
func TestLoaderReplacesBufferedAndFlushedVersions(t *testing.T) {
	w, _ := openWarehouse(t)
	ctx := context.Background()
	run, err := w.Begin(ctx, "jira", "jira")
	if err != nil {
		t.Fatal(err)
	}
	l := warehouse.NewJiraLoader(run, warehouse.JiraLoadOptions{})
	// 600 issues of 21 rows (the issue and 20 status changes) pass the 8192-row
	// buffer once (after issue 391), so issues 1-391 are in the table and the
	// rest are buffered when the second batch arrives.
	var first []*jira.Issue
	for n := 1; n <= 600; n++ {
		first = append(first, loaderIssue(n, 1, 20))
	}
	if err := l.Issues(ctx, first); err != nil {
		t.Fatal(err)
	}
	noProject := loaderIssue(601, 1, 1)
	noProject.ProjectKey = ""
	second := []*jira.Issue{
		loaderIssue(5, 2, 3),   // flushed → replaced
		loaderIssue(5, 3, 4),   // and again, within one batch
		loaderIssue(500, 2, 2), // buffered → replaced in the buffer
		loaderIssue(7, 0, 9),   // older than the stored version → skipped
		noProject,
	}
	if err := l.Issues(ctx, second); err != nil {
		t.Fatal(err)
	}
	if err := l.Finish(ctx, time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	res := w.Finish(ctx, run, nil)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Problems) != 1 || res.Problems[0].Location != "issue LD-601" {
		t.Errorf("problems %v; want one for LD-601 (no project)", res.Problems)
	}
	for q, want := range map[string]int64{
		`SELECT count(*) FROM issues`:                                                       600,
		`SELECT count(DISTINCT issue_id) FROM issues`:                                       600,
		`SELECT count(*) FROM issues WHERE status = 'v1'`:                                   598,
		`SELECT count(*) FROM issues WHERE issue_id = 5 AND status = 'v3'`:                  1,
		`SELECT count(*) FROM issue_status_changes WHERE issue_id = 5`:                      4,
		`SELECT count(*) FROM issues WHERE issue_id = 500 AND status = 'v2'`:                1,
		`SELECT count(*) FROM issue_status_changes WHERE issue_id = 500`:                    2,
		`SELECT count(*) FROM issue_status_changes WHERE issue_id = 7`:                      20,
		`SELECT count(*) FROM issue_status_changes`:                                         598*20 + 4 + 2,
		`SELECT count(*) FROM (SELECT issue_id FROM issues GROUP BY 1 HAVING count(*) > 1)`: 0,
	} {
		if got := queryInt(t, w, q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
}
