package jira_test

import (
	"testing"
	"time"

	"github.com/pmlens/pmlens/connectors/jira/jiratest"
)

func TestSyncBothDeployments(t *testing.T) {
	base := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, deployment, email string
		changelogLimit          int
	}{
		{"datacenter bearer", jiratest.DataCenter, "", 0},
		{"cloud basic", jiratest.Cloud, "api@example.org", 0},
		{"cloud truncated changelog", jiratest.Cloud, "api@example.org", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := jiratest.New(jiratest.Options{Deployment: tc.deployment, Email: tc.email, Token: "secret-token"})
			defer srv.Close()
			srv.ChangelogLimit = tc.changelogLimit
			srv.SetIssues(genIssues(25, base))
			w, _ := openWarehouse(t)
			opts := baseOptions(srv, tc.email, "secret-token")
			res, st := syncOnce(t, w, opts)
			if res.Err != nil {
				t.Fatalf("sync: %v", res.Err)
			}
			if st.Deployment != tc.deployment {
				t.Errorf("deployment %q, want %q", st.Deployment, tc.deployment)
			}
			// 25 issues; status rows: 25 creations + 25 to In Progress + 13 (even i) to Done.
			// Worklogs: i%3 per issue over i<25 = 8 cycles of 0+1+2 = 24.
			// Sprint rows: 25 joins of sprint 1 + 9 moves (i%3==0) to sprint 2.
			for q, want := range map[string]int64{
				`SELECT count(*) FROM issues`:                                          25,
				`SELECT count(*) FROM issue_status_changes`:                            63,
				`SELECT count(*) FROM issue_status_changes WHERE from_status IS NULL`:  25,
				`SELECT count(*) FROM issue_status_changes WHERE to_category = 'done'`: 13,
				`SELECT count(*) FROM worklogs`:                                        24,
				`SELECT CAST(sum(time_spent_hours) AS BIGINT) FROM worklogs`:           24,
				`SELECT count(*) FROM sprint_issues`:                                   34,
				`SELECT count(*) FROM sprint_issues WHERE removed_at IS NULL`:          25,
				`SELECT count(*) FROM issues WHERE summary IS NOT NULL`:                0,
				`SELECT count(*) FROM issues WHERE assignee LIKE 'person:%'`:           25,
				`SELECT count(*) FROM issues WHERE project_id = 'tp'`:                  25,
				`SELECT count(*) FROM worklogs WHERE comment IS NOT NULL`:              0,
			} {
				if got := queryInt(t, w, q); got != want {
					t.Errorf("%s = %d, want %d", q, got, want)
				}
			}
			if tc.changelogLimit > 0 && srv.Count("changelog") == 0 {
				t.Error("truncated changelogs were not fetched from /changelog")
			}
		})
	}
}
