package ingest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/connectors/jira"
	"github.com/pmlens/pmlens/connectors/jira/jiratest"
	"github.com/pmlens/pmlens/warehouse"
)

func jiraConfig(t *testing.T, srvURL, extra string) *configs.Config {
	t.Helper()
	t.Setenv("PMLENS_TEST_JIRA_TOKEN", "s3cret")
	yml := fmt.Sprintf(`warehouse: {path: wh/jira.duckdb}
sources:
  - name: ehr-jira
    type: jira
    url: %s
    auth: {email: pm@example.org, token_env: PMLENS_TEST_JIRA_TOKEN}
    jql: project = EHR ORDER BY rank
    page_size: 5
%s`, srvURL, extra)
	cfg, err := configs.Parse([]byte(yml), "test.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func jiraFakeIssues(n int) []*jiratest.Issue {
	base := time.Date(2024, 2, 1, 8, 0, 0, 0, time.UTC)
	var out []*jiratest.Issue
	for i := range n {
		c := base.Add(time.Duration(i) * time.Hour)
		out = append(out, &jiratest.Issue{ID: int64(500 + i), Key: fmt.Sprintf("EHR-%d", i+1), Project: "EHR", ProjectName: "EHR Upgrade",
			StatusID: "3", Status: "In Progress", Category: "indeterminate", Created: c, Updated: c.Add(time.Minute), StoryPoints: 3,
			Assignee: &jiratest.User{AccountID: "x", DisplayName: "Pat Nurse"}, Summary: "Patient Jane Roe's chart",
			Histories: []jiratest.History{{ID: int64(i + 1), At: c.Add(time.Minute), Items: []jiratest.Item{{Field: "status", FieldID: "status", From: "1", FromString: "To Do", To: "3", ToString: "In Progress"}}}}})
	}
	return out
}

// The whole path a user takes: YAML → Syncer → jira connector → published warehouse.
func TestJiraSourceThroughSyncer(t *testing.T) {
	srv := jiratest.New(jiratest.Options{Deployment: jiratest.Cloud, Email: "pm@example.org", Token: "s3cret"})
	defer srv.Close()
	srv.SetIssues(jiraFakeIssues(12))
	cfg := jiraConfig(t, srv.URL, "    include_text_fields: [project_names]\n")
	res, err := New(Env{Config: cfg}).Sync(context.Background())
	if err != nil || len(res) != 1 || res[0].Err != nil {
		t.Fatalf("sync: %v %+v", err, res)
	}
	r := warehouse.NewReader(cfg.Warehouse.Path, "")
	defer r.Close()
	snap, release, err := r.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	var issues, changes int
	var project, name string
	if err := snap.DB.QueryRow(`SELECT count(*), any_value(project_id) FROM issues WHERE source = 'ehr-jira' AND summary IS NULL`).Scan(&issues, &project); err != nil {
		t.Fatal(err)
	}
	if err := snap.DB.QueryRow(`SELECT count(*) FROM issue_status_changes`).Scan(&changes); err != nil {
		t.Fatal(err)
	}
	if err := snap.DB.QueryRow(`SELECT name FROM projects WHERE project_id = ?`, project).Scan(&name); err != nil {
		t.Fatal(err)
	}
	// 12 issues, each with a creation row and one transition.
	if issues != 12 || changes != 24 || project != "ehr" || name != "EHR Upgrade" {
		t.Errorf("issues %d, status changes %d, project %q %q; want 12, 24, ehr \"EHR Upgrade\"", issues, changes, project, name)
	}
}

// A site that keeps failing fails the run with an error the scheduler retries.
func TestJiraOutageIsRetryable(t *testing.T) {
	srv := jiratest.New(jiratest.Options{Deployment: jiratest.Cloud, Email: "pm@example.org", Token: "s3cret"})
	defer srv.Close()
	srv.Hook = func(w http.ResponseWriter, r *http.Request, n int64) bool {
		http.Error(w, "upstream unavailable", http.StatusServiceUnavailable)
		return true
	}
	cfg := jiraConfig(t, srv.URL, "    max_retries: 2\n")
	w, err := OpenWriter(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx := context.Background()
	run, err := w.Begin(ctx, "ehr-jira", configs.TypeJira)
	if err != nil {
		t.Fatal(err)
	}
	err = runJira(ctx, Env{Config: cfg, Now: time.Now}, cfg.Sources[0], run, func(o *jira.Options) {
		o.Client.RetryBase, o.Client.RetryCap = time.Millisecond, time.Millisecond
	})
	res := w.Finish(ctx, run, err)
	if res.Err == nil || !Retryable(res.Err) {
		t.Fatalf("error %v: want a retryable failure", res.Err)
	}
	if srv.Requests() != 3 {
		t.Errorf("%d requests; want serverInfo tried 3 times (max_retries 2)", srv.Requests())
	}
}

func TestJiraExportSourceThroughSyncer(t *testing.T) {
	dir := t.TempDir()
	csv := "Issue key,Issue id,Issue Type,Status,Project key,Assignee,Created,Updated,Sprint,Sprint,Log Work\n" +
		"OPS-1,900,Task,Done,OPS,Lee Clerk,02/Jan/24 9:00 AM,03/Jan/24 9:00 AM,OPS 1,OPS 2,;02/Jan/24 10:00 AM;Lee Clerk;5400\n"
	if err := os.MkdirAll(filepath.Join(dir, "exports"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "exports", "ops.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.Parse([]byte("warehouse: {path: wh/x.duckdb}\nsources:\n  - name: ops\n    type: jira-export\n    path: exports\n    export_time_zone: America/New_York\n"), "t.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := New(Env{Config: cfg}).Sync(context.Background())
	if err != nil || res[0].Err != nil {
		t.Fatalf("%v %+v", err, res)
	}
	r := warehouse.NewReader(cfg.Warehouse.Path, "")
	defer r.Close()
	snap, release, err := r.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	var hours float64
	var started time.Time
	var sprints int
	if err := snap.DB.QueryRow(`SELECT time_spent_hours, started FROM worklogs`).Scan(&hours, &started); err != nil {
		t.Fatal(err)
	}
	if err := snap.DB.QueryRow(`SELECT count(*) FROM sprint_issues WHERE added_at IS NULL`).Scan(&sprints); err != nil {
		t.Fatal(err)
	}
	// 5400 s = 1.5 h; 10:00 AM in New York (EST, -05:00) = 15:00 UTC.
	if hours != 1.5 || !started.Equal(time.Date(2024, 1, 2, 15, 0, 0, 0, time.UTC)) || sprints != 2 {
		t.Errorf("worklog %v h at %v, %d sprint rows; want 1.5 h at 15:00 UTC and 2", hours, started, sprints)
	}
}
