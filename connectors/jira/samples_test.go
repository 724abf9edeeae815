package jira_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pmlens/pmlens/connectors/jira"
	"github.com/pmlens/pmlens/connectors/jira/jiratest"
	"github.com/pmlens/pmlens/internal/shareddata"
	"github.com/pmlens/pmlens/warehouse"
)

func loadSamples(t *testing.T) *jiratest.Samples {
	t.Helper()
	s, err := jiratest.LoadSamples(filepath.Join(shareddata.Dir(t), "jira-samples"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSamplesReplay replays the real payloads through both deployments' wire
// format. The fake ignores the requested field list (as a proxy might), so the
// summaries, descriptions, comments and people of the samples all reach the
// connector.
func TestSamplesReplay(t *testing.T) {
	samples := loadSamples(t)
	for _, dep := range []string{jiratest.DataCenter, jiratest.Cloud} {
		t.Run(dep, func(t *testing.T) {
			srv := jiratest.New(jiratest.Options{Deployment: dep, Token: "tok"})
			defer srv.Close()
			srv.IgnoreFields = true
			samples.Install(srv)
			w, _ := openWarehouse(t)
			opts := baseOptions(srv, "", "tok")
			opts.JQL = "project in (KP, AR)"
			res, _ := syncOnce(t, w, opts)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			// Expectations read off the sample files (see jira-samples/README.md):
			// 18 KP issues + AR-86; KP-1 has three Server worklogs of 18w 2d, 4d and
			// 3d = (18·5 + 2 + 4 + 3) days · 8 h = 792 h; KP-1's classic Story Points
			// field holds 111; KP-17..19 link epic KP-16; KP-13..15 are sub-tasks of
			// KP-2; board 4 maps 6 columns to 10 statuses (QA holds 5); sprints are
			// the 4 of board 4 plus KP Sprint 2 (3) and KP Sprint 3 (4) from fields.
			for q, want := range map[string]int64{
				`SELECT count(*) FROM issues`:                                                               19,
				`SELECT count(*) FROM issues WHERE status_category = 'done'`:                                3,
				`SELECT CAST(sum(time_spent_hours) AS BIGINT) FROM worklogs WHERE issue_key = 'KP-1'`:       792,
				`SELECT count(*) FROM worklogs`:                                                             3,
				`SELECT CAST(story_points AS BIGINT) FROM issues WHERE issue_key = 'KP-1'`:                  111,
				`SELECT count(*) FROM issues WHERE epic_key = 'KP-16'`:                                      3,
				`SELECT count(*) FROM issues WHERE parent_key = 'KP-2' AND issue_type = 'Sub-task'`:         3,
				`SELECT count(*) FROM boards`:                                                               6,
				`SELECT count(*) FROM board_columns WHERE board_id = 4`:                                     10,
				`SELECT count(*) FROM board_columns WHERE board_id = 4 AND column_name = 'QA'`:              5,
				`SELECT count(*) FROM sprints`:                                                              6,
				`SELECT count(*) FROM sprints WHERE board_id = 4 AND state = 'closed'`:                      4, // 3 of board 4 + KP Sprint 2
				`SELECT count(*) FROM sprint_issues WHERE sprint_id = 4 AND added_at IS NOT NULL`:           2,
				`SELECT count(*) FROM fix_versions WHERE release_date = DATE '2021-02-23'`:                  1,
				`SELECT count(*) FROM issues WHERE list_contains(fix_versions, 'Version 00')`:               2,
				`SELECT count(*) FROM jira_fields WHERE role = 'sprint' AND field_id = 'customfield_10020'`: 1,
				`SELECT count(*) FROM jira_fields WHERE role = 'story_points'`:                              2,
			} {
				if got := queryInt(t, w, q); got != want {
					t.Errorf("%s = %d, want %d", q, got, want)
				}
			}
		})
	}
}

// TestNoPersonalDataWithDefaults syncs the samples with the default privacy
// settings and searches the warehouse's files, byte for byte, and every text
// column for each name and e-mail address the samples contain. A control run
// that opts in proves the search would find them.
func TestNoPersonalDataWithDefaults(t *testing.T) {
	samples := loadSamples(t)
	for _, optIn := range []bool{false, true} {
		t.Run(fmt.Sprintf("opt-in=%v", optIn), func(t *testing.T) {
			srv := jiratest.New(jiratest.Options{Deployment: jiratest.Cloud, Email: "a@example.org", Token: "tok"})
			defer srv.Close()
			srv.IgnoreFields = true
			samples.Install(srv)
			w, path := openWarehouse(t)
			opts := baseOptions(srv, "a@example.org", "tok")
			opts.JQL = "project in (KP, AR)"
			if optIn {
				opts.IncludePeople = true
				opts.Text = jira.TextFields{Summary: true, Description: true, Comments: true, Environment: true, WorklogComments: true, SprintGoals: true, ProjectNames: true}
			}
			if res, _ := syncOnce(t, w, opts); res.Err != nil {
				t.Fatal(res.Err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			files := warehouseBytes(t, path)
			w2, err := warehouse.Open(t.Context(), warehouse.Options{Path: path, HashKey: []byte("test-hash-key-0123456789abcdef0123")})
			if err != nil {
				t.Fatal(err)
			}
			defer w2.Close()
			inColumns := textColumnsContaining(t, w2, samples.People)
			for _, p := range samples.People {
				inFiles := bytes.Contains(bytes.ToLower(files), bytes.ToLower([]byte(p)))
				switch {
				case !optIn && (inFiles || inColumns[p] != ""):
					t.Errorf("%q is stored with the default settings (files: %v, column: %s)", p, inFiles, inColumns[p])
				case optIn && p == "Carlos Treminio" && (!inFiles || inColumns[p] == ""):
					t.Errorf("control: opted-in %q not found (files: %v, column: %q); the search would miss a leak", p, inFiles, inColumns[p])
				}
			}
		})
	}
}

// warehouseBytes concatenates every file under the warehouse's folders: the
// working database, its WAL and all published versions.
func warehouseBytes(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	err := filepath.Walk(filepath.Dir(path), func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || strings.HasSuffix(p, "hash.key") {
			return err
		}
		b, err := os.ReadFile(p)
		all = append(all, b...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// textColumnsContaining scans every VARCHAR and VARCHAR[] column of every table.
func textColumnsContaining(t *testing.T, w *warehouse.Writer, needles []string) map[string]string {
	t.Helper()
	rows, err := w.DB().Query(`SELECT table_name, column_name FROM information_schema.columns
		WHERE data_type IN ('VARCHAR', 'VARCHAR[]') AND table_schema = 'main'`)
	if err != nil {
		t.Fatal(err)
	}
	var cols [][2]string
	for rows.Next() {
		var tb, c string
		if err := rows.Scan(&tb, &c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, [2]string{tb, c})
	}
	rows.Close()
	found := map[string]string{}
	for _, c := range cols {
		for _, n := range needles {
			var hits int
			q := fmt.Sprintf(`SELECT count(*) FROM %q WHERE contains(lower(CAST(%q AS VARCHAR)), lower(?))`, c[0], c[1])
			if err := w.DB().QueryRow(q, n).Scan(&hits); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			if hits > 0 {
				found[n] = c[0] + "." + c[1]
			}
		}
	}
	return found
}
