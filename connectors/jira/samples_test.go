package jira_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pmlens/pmlens/configs"
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
				// Board 4's sub-filter is JQL, which may name people: kept only with include_people.
				`SELECT count(*) FROM boards WHERE board_id = 4 AND filter_id IS NOT NULL AND sub_query IS NULL`: 1,
			} {
				if got := queryInt(t, w, q); got != want {
					t.Errorf("%s = %d, want %d", q, got, want)
				}
			}
		})
	}
}

// TestNoPersonalDataWithDefaults loads the samples with the default privacy
// settings (through both deployments' APIs, and as saved export pages) and
// searches the warehouse for every name, user name, account id and e-mail
// address the sample files contain, and for the issues' free texts: in the
// bytes of every file of the warehouse folder (working database, WAL, published
// versions) and in a CSV dump of every table. A control run that opts in proves
// the search finds what is stored. The fake ignores the requested field list
// (as a proxy might), so the text and people of the samples all reach the
// connector, and the loader must drop them itself.
func TestNoPersonalDataWithDefaults(t *testing.T) {
	samples := loadSamples(t)
	// The lists are derived from the files; a handful of each is expected.
	if len(samples.People) < 5 || len(samples.Texts) < 5 {
		t.Fatalf("derived %d people and %d texts from the samples; the walk is broken", len(samples.People), len(samples.Texts))
	}
	schemaOnly := emptyWarehouseBytes(t)
	api := func(dep string) func(t *testing.T, w *warehouse.Writer, text jira.TextFields, people bool) {
		return func(t *testing.T, w *warehouse.Writer, text jira.TextFields, people bool) {
			email := ""
			if dep == jiratest.Cloud {
				email = "a@example.org"
			}
			srv := jiratest.New(jiratest.Options{Deployment: dep, Email: email, Token: "tok"})
			t.Cleanup(srv.Close)
			srv.IgnoreFields = true
			samples.Install(srv)
			opts := baseOptions(srv, email, "tok")
			opts.JQL = "project in (KP, AR)"
			opts.Text, opts.IncludePeople = text, people
			if res, _ := syncOnce(t, w, opts); res.Err != nil {
				t.Fatal(res.Err)
			}
		}
	}
	export := func(t *testing.T, w *warehouse.Writer, text jira.TextFields, people bool) {
		dir := t.TempDir()
		src := filepath.Join(shareddata.Dir(t), "jira-samples")
		for from, to := range map[string]string{
			"go-atlassian/issue-search-v2.json": "1-search.json", "go-atlassian/get-issues-by-sprint.json": "2-sprint.json",
			"go-atlassian/get-sprint-issues.json": "3-sprint.json", "go-jira/issues_in_sprint.json": "4-agile.json",
			"go-atlassian/get-fields.json": "fields.json",
		} {
			copyFile(t, filepath.Join(src, from), filepath.Join(dir, to))
		}
		res, _ := importOnce(t, w, jira.ExportOptions{Source: "jira", Path: dir, HoursPerDay: 8, DaysPerWeek: 5, Text: text, IncludePeople: people,
			Risk: configs.JiraRisk{IssueType: "Risk", Owner: "assignee"}})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	all := jira.TextFields{Summary: true, Description: true, Comments: true, Environment: true, WorklogComments: true, SprintGoals: true, ProjectNames: true, RiskResponses: true}
	for _, tc := range []struct {
		name  string
		load  func(t *testing.T, w *warehouse.Writer, text jira.TextFields, people bool)
		optIn bool
	}{
		{"cloud", api(jiratest.Cloud), false},
		{"datacenter", api(jiratest.DataCenter), false},
		{"export pages", export, false},
		{"cloud opted in (control)", api(jiratest.Cloud), true},
		{"export pages opted in (control)", export, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, path := openWarehouse(t)
			if tc.optIn {
				tc.load(t, w, all, true)
			} else {
				tc.load(t, w, jira.TextFields{}, false)
			}
			dump := dumpTables(t, w)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			files := bytes.ToLower(warehouseBytes(t, path))
			var foundPeople, foundTexts []string
			for _, set := range []struct {
				needles []string
				found   *[]string
			}{{samples.People, &foundPeople}, {samples.Texts, &foundTexts}} {
				for _, n := range set.needles {
					ln := bytes.ToLower([]byte(n))
					inDump := bytes.Contains(dump, ln)
					// A needle the bare schema already holds (a word such as
					// "admin" in a table definition) is judged by the dump alone.
					inFiles := !bytes.Contains(schemaOnly, ln) && bytes.Contains(files, ln)
					if inDump || inFiles {
						*set.found = append(*set.found, n)
						if !tc.optIn {
							t.Errorf("%q is stored with the default settings (in a table: %v, in the files: %v)", n, inDump, inFiles)
						}
					}
				}
			}
			if tc.optIn {
				// E-mail addresses are never stored; display names and texts are.
				if len(foundPeople) == 0 || len(foundTexts) == 0 {
					t.Errorf("control: found people %q and texts %q; the search would miss a leak", foundPeople, foundTexts)
				}
				for _, p := range foundPeople {
					if strings.Contains(p, "@") {
						t.Errorf("e-mail address %q stored although only names were opted in", p)
					}
				}
			}
		})
	}
}

// emptyWarehouseBytes is the files of a warehouse that holds only its schema.
func emptyWarehouseBytes(t *testing.T) []byte {
	t.Helper()
	w, path := openWarehouse(t)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.ToLower(warehouseBytes(t, path))
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

// dumpTables writes every table of the warehouse as CSV and returns all of it,
// lower-cased: what an analyst exporting the data would hand on.
func dumpTables(t *testing.T, w *warehouse.Writer) []byte {
	t.Helper()
	rows, err := w.DB().Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	dir := t.TempDir()
	var all []byte
	for _, tb := range tables {
		file := filepath.Join(dir, tb+".csv")
		if _, err := w.DB().Exec(fmt.Sprintf(`COPY (SELECT * FROM %q) TO '%s' (HEADER)`, tb, file)); err != nil {
			t.Fatalf("dumping %s: %v", tb, err)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if len(tables) < 10 {
		t.Fatalf("dumped only %d tables", len(tables))
	}
	return bytes.ToLower(all)
}
