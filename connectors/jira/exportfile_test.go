package jira_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/connectors/jira"
	"github.com/pmlens/pmlens/connectors/jira/jiratest"
	"github.com/pmlens/pmlens/internal/shareddata"
	"github.com/pmlens/pmlens/warehouse"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if strings.TrimSpace(string(want)) != strings.TrimSpace(string(got)) {
		t.Errorf("%s differs from the parser's output; run with -update after checking the change:\n%s", path, got)
	}
}

func TestParseJSONExportGolden(t *testing.T) {
	b, err := os.ReadFile("testdata/search-page-dc.json")
	if err != nil {
		t.Fatal(err)
	}
	issues, err := jira.ParseJSONExport(b, jira.JSONExportOptions{Risk: configs.JiraRisk{IssueType: "Risk"}, HoursPerDay: 8, DaysPerWeek: 5})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "search-page-dc.golden.json", issues)
	// By hand, from the page: ORD-7 joined sprint 71 at 10:00 (+02:00) on 2 Oct
	// and sprint 72 on 13 Oct while staying in 71; it was created Open, went In
	// Progress on 3 Oct and Done on 20 Oct. ORD-8's changelog is truncated (1 of
	// 3), so its status history is partial and has no creation row.
	o7, o8 := issues[0], issues[1]
	if len(o7.SprintMemberships) != 2 || o7.SprintMemberships[0].AddedAt != time.Date(2023, 10, 2, 8, 0, 0, 0, time.UTC) {
		t.Errorf("ORD-7 memberships %+v", o7.SprintMemberships)
	}
	if len(o7.StatusChanges) != 3 || o7.StatusChanges[0].To != "Open" || o7.StatusChanges[2].To != "Done" {
		t.Errorf("ORD-7 status changes %+v", o7.StatusChanges)
	}
	if o8.ChangelogComplete || len(o8.StatusChanges) != 1 {
		t.Errorf("ORD-8: complete %v, %d status changes; want partial with 1", o8.ChangelogComplete, len(o8.StatusChanges))
	}
	if o7.Sprints[0].Goal != "Orders, sets, and alerts" {
		t.Errorf("sprint goal with commas parsed as %q", o7.Sprints[0].Goal)
	}
	if o7.StoryPoints == nil || *o7.StoryPoints != 8 || o7.EpicKey != "ORD-1" {
		t.Errorf("ORD-7 story points %v epic %q: custom fields not found by their names", o7.StoryPoints, o7.EpicKey)
	}
	if o7.Summary != "" {
		t.Error("summary kept without opting in")
	}
}

func TestParseCSVExportGolden(t *testing.T) {
	b, err := os.ReadFile("testdata/export.csv")
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	issues, problems, err := jira.ParseCSVExport(b, jira.CSVExportOptions{
		Risk:     configs.JiraRisk{IssueType: "Risk", Owner: "assignee", Probability: "Probability", ImpactScore: "Impact", Response: "Risk Response"},
		Location: berlin, HoursPerDay: 8, DaysPerWeek: 5, Text: jira.TextFields{RiskResponses: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "export.golden.json", issues)
	if len(issues) != 4 || len(problems) != 1 || !strings.Contains(problems[0].Error(), "line 7") {
		t.Fatalf("%d issues, problems %v; want 4 issues and one problem at line 7 (the row with id abc)", len(issues), problems)
	}
	hc1 := issues[0]
	// 03/Mar/24 9:15 AM in Berlin (CET, +01:00) is 08:15 UTC.
	if want := time.Date(2024, 3, 3, 8, 15, 0, 0, time.UTC); !hc1.Created.Equal(want) {
		t.Errorf("created %v, want %v", hc1.Created, want)
	}
	// Two worklogs: 7200 s + 3600 s; the second's comment holds a semicolon.
	if len(hc1.Worklogs) != 2 || hc1.Worklogs[0].Seconds+hc1.Worklogs[1].Seconds != 10800 {
		t.Errorf("worklogs %+v", hc1.Worklogs)
	}
	if len(hc1.Sprints) != 2 || len(hc1.FixVersions) != 2 || len(hc1.Labels) != 2 {
		t.Errorf("repeated columns: sprints %v, versions %v, labels %v", hc1.Sprints, hc1.FixVersions, hc1.Labels)
	}
	risk := issues[2].Risk
	if risk == nil || risk.Probability == nil || *risk.Probability != 0.3 || risk.ImpactScore == nil || *risk.ImpactScore != 4 || risk.Response != "Mitigate" {
		t.Errorf("risk %+v: want probability 0.3, impact 4 (High), response Mitigate", risk)
	}
}

func FuzzParseJSONExport(f *testing.F) {
	for _, p := range []string{"testdata/search-page-dc.json"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`[{"id":"1","key":"A-1","fields":{"customfield_1":["com.atlassian.greenhopper.service.sprint.Sprint@1[id=2,name=x]"]}}]`))
	f.Add([]byte(`{"id":"1","key":"A-1","fields":{"created":"2020-01-01T00:00:00.000+0000"},"changelog":{"total":1,"histories":[{"id":"1","created":"x","items":[]}]}}`))
	f.Add([]byte(`{"issues":[{"id":"2","key":"A-2","fields":{"project":{"key":"A"},"issuetype":{"name":"Risk"},"summary":"Patient X","description":"d","environment":"e",` +
		`"comment":{"comments":[{"id":"1","body":"b","author":{"displayName":"N"}}]},"worklog":{"total":1,"worklogs":[{"id":"1","started":"2024-01-01T00:00:00.000+0000","timeSpent":"1h","comment":"c"}]}}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		issues, err := jira.ParseJSONExport(b, jira.JSONExportOptions{HoursPerDay: 8, DaysPerWeek: 5, Risk: configs.JiraRisk{IssueType: "Risk", Owner: "assignee"}})
		if err == nil {
			for _, is := range issues {
				noText(t, is)
			}
		}
	})
}

// noText fails when a parsed issue carries free text although none was opted in.
func noText(t *testing.T, is *jira.Issue) {
	t.Helper()
	if is == nil {
		t.Fatal("nil issue without an error")
	}
	if is.Summary != "" || is.Description != "" || is.Environment != "" || len(is.Comments) > 0 || (is.Risk != nil && (is.Risk.Title != "" || is.Risk.Response != "")) {
		t.Fatalf("issue %s keeps free text without opting in: %+v", is.Key, is)
	}
	for _, w := range is.Worklogs {
		if w.Comment != "" || w.Seconds < 0 {
			t.Fatalf("issue %s: worklog %+v", is.Key, w)
		}
	}
}

func FuzzParseCSVExport(f *testing.F) {
	if b, err := os.ReadFile("testdata/export.csv"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("Issue key,Issue id,Sprint,Sprint,Log Work\nA-1,1,S1,S2,c;01/Jan/24 1:00 PM;x;60\n"))
	f.Add([]byte("Issue key,Issue id,Issue Type,Summary,Comment,Custom field (Risk Response)\nA-1,1,Risk,Patient X,01/Jan/24 1:00 PM;n;body,notes\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		issues, problems, err := jira.ParseCSVExport(b, jira.CSVExportOptions{HoursPerDay: 8, DaysPerWeek: 5,
			Risk: configs.JiraRisk{IssueType: "Risk", Owner: "assignee", Response: "Risk Response"}})
		if err == nil {
			for _, is := range issues {
				noText(t, is)
			}
		}
		for _, p := range problems {
			if p == nil {
				t.Fatal("nil problem")
			}
		}
	})
}

func importOnce(t *testing.T, w *warehouse.Writer, opts jira.ExportOptions) (warehouse.Result, jira.Stats) {
	t.Helper()
	ctx := context.Background()
	run, err := w.Begin(ctx, "jira", "jira-export")
	if err != nil {
		t.Fatal(err)
	}
	loader := warehouse.NewJiraLoader(run, warehouse.JiraLoadOptions{Text: opts.Text, IncludePeople: opts.IncludePeople})
	st, err := jira.ImportExport(ctx, opts, loader)
	return w.Finish(ctx, run, err), st
}

// savePages saves a fake's search as export files, the way a team without
// network access hands pages over: /rest/api/2/search with expand=changelog.
func savePages(t *testing.T, srv *jiratest.Server, dir string, withNames, withFields bool) {
	t.Helper()
	get := func(path string) []byte {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		return b
	}
	for start := 0; start < 25; start += 10 {
		b := get(fmt.Sprintf("/rest/api/2/search?jql=project%%3DTP&startAt=%d&maxResults=10&expand=changelog&fields=*all", start))
		if withNames {
			var page map[string]json.RawMessage
			_ = json.Unmarshal(b, &page)
			page["names"] = json.RawMessage(`{"customfield_10016":"Story point estimate","customfield_10020":"Sprint"}`)
			b, _ = json.Marshal(page)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("page-%03d.json", start/10+1)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if withFields {
		if err := os.WriteFile(filepath.Join(dir, "fields.json"), get("/rest/api/2/field"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestImportSavedSearchPages(t *testing.T) {
	for _, tc := range []struct {
		name               string
		names, fields      bool
		storyPointOverride string
	}{
		{"with fields.json", false, true, ""},
		{"with names", true, false, ""},
		{"bare pages, config override", false, false, "customfield_10016"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := jiratest.New(jiratest.Options{Deployment: jiratest.DataCenter, Token: "tok"})
			defer srv.Close()
			srv.SetIssues(genIssues(25, time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)))
			dir := t.TempDir()
			savePages(t, srv, dir, tc.names, tc.fields)
			w, _ := openWarehouse(t)
			opts := jira.ExportOptions{Source: "jira", Path: dir, HoursPerDay: 8, DaysPerWeek: 5, Fields: configs.JiraFields{StoryPoints: tc.storyPointOverride}}
			res, st := importOnce(t, w, opts)
			if res.Err != nil || len(res.Problems) > 0 {
				t.Fatalf("import: %v %v", res.Err, res.Problems)
			}
			// Same expectations as TestSyncBothDeployments: the pages carry the
			// same issues, in the DC wire format (sprints as strings).
			for q, want := range map[string]int64{
				`SELECT count(*) FROM issues`:                                25,
				`SELECT count(*) FROM issue_status_changes`:                  63,
				`SELECT count(*) FROM worklogs`:                              24,
				`SELECT count(*) FROM sprint_issues`:                         34,
				`SELECT count(*) FROM issues WHERE story_points IS NOT NULL`: 25,
				`SELECT count(*) FROM sprints`:                               2,
			} {
				if got := queryInt(t, w, q); got != want {
					t.Errorf("%s = %d, want %d", q, got, want)
				}
			}
			if st.Issues != 25 {
				t.Errorf("stats: %d issues", st.Issues)
			}
			// A second import skips the unchanged files.
			res, st = importOnce(t, w, opts)
			if res.Err != nil || st.Issues != 0 {
				t.Errorf("re-import: %v, %d issues read; want unchanged files skipped", res.Err, st.Issues)
			}
			if got := queryInt(t, w, `SELECT count(*) FROM issues`); got != 25 {
				t.Errorf("after re-import %d issues", got)
			}
		})
	}
}

func TestImportMixedFolderWithBadFile(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, "testdata/export.csv", filepath.Join(dir, "a-export.csv"))
	copyFile(t, "testdata/search-page-dc.json", filepath.Join(dir, "b-page.json"))
	if err := os.WriteFile(filepath.Join(dir, "c-broken.json"), []byte(`{"issues":[{"id":"1","key":"X-1","fields":`), 0o644); err != nil {
		t.Fatal(err)
	}
	w, _ := openWarehouse(t)
	res, _ := importOnce(t, w, jira.ExportOptions{Source: "jira", Path: dir, HoursPerDay: 8, DaysPerWeek: 5,
		Risk: configs.JiraRisk{IssueType: "Risk", Owner: "assignee", Probability: "Probability", ImpactScore: "Impact"}})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.Status != warehouse.StatusPartial || len(res.Problems) != 2 {
		t.Fatalf("status %s, problems %v; want partial with the bad CSV row and the broken file", res.Status, res.Problems)
	}
	if !strings.Contains(res.Problems[1].Location, "c-broken.json") {
		t.Errorf("problem location %q does not name the broken file", res.Problems[1].Location)
	}
	// 4 CSV issues + 2 page issues; one risk (HC-3) with its snapshot.
	for q, want := range map[string]int64{
		`SELECT count(*) FROM issues`: 6,
		`SELECT count(*) FROM risks WHERE risk_id = 'HC-3' AND probability = 0.3 AND impact_score = 4`: 1,
		`SELECT count(*) FROM risks WHERE title IS NOT NULL`:                                           0,
		`SELECT count(*) FROM risk_snapshots WHERE risk_id = 'HC-3'`:                                   1,
		`SELECT count(*) FROM sprints WHERE sprint_id < 0`:                                             2, // CSV sprints: names only
		`SELECT count(*) FROM issues WHERE assignee = 'Dana Nurse'`:                                    0,
	} {
		if got := queryInt(t, w, q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
}

// The Agile API's sprint-issue page of the samples is a valid export too; it
// carries the samples' people, which must not be stored.
func TestImportSampleAgilePage(t *testing.T) {
	dir := filepath.Join(shareddata.Dir(t), "jira-samples", "go-atlassian")
	w, path := openWarehouse(t)
	res, _ := importOnce(t, w, jira.ExportOptions{Source: "jira", Path: filepath.Join(dir, "get-sprint-issues.json"), HoursPerDay: 8, DaysPerWeek: 5})
	if res.Err != nil || len(res.Problems) > 0 {
		t.Fatal(res.Err, res.Problems)
	}
	// Six issues, all in sprint 2 ("Sprint XX-Patched", found by its values).
	if got := queryInt(t, w, `SELECT count(*) FROM sprint_issues WHERE sprint_id = 2`); got != 6 {
		t.Errorf("sprint 2 has %d issues, want 6", got)
	}
	w.Close()
	if b := warehouseBytes(t, path); strings.Contains(strings.ToLower(string(b)), "treminio") {
		t.Error("a sample person's name is in the warehouse files")
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A CSV export holds names (assignee, reporter, worklog and comment authors)
// and free text in plain cells. With the default settings none of it may reach
// the warehouse: the needles are what the parser reads when everything is
// opted in, searched for in every table and in the warehouse's files.
func TestCSVExportKeepsNoPersonalDataByDefault(t *testing.T) {
	b, err := os.ReadFile("testdata/export.csv")
	if err != nil {
		t.Fatal(err)
	}
	all := jira.TextFields{Summary: true, Description: true, Comments: true, Environment: true, WorklogComments: true, RiskResponses: true}
	issues, _, err := jira.ParseCSVExport(b, jira.CSVExportOptions{Text: all, HoursPerDay: 8, DaysPerWeek: 5,
		Risk: configs.JiraRisk{IssueType: "Risk", Owner: "assignee", Response: "Risk Response"}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var needles []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if i := strings.IndexAny(s, "\r\n"); i >= 0 {
			s = s[:i]
		}
		if len(s) >= 8 && !seen[s] {
			seen[s] = true
			needles = append(needles, s)
		}
	}
	for _, is := range issues {
		for _, p := range []*jira.Person{is.Assignee, is.Reporter} {
			add(p.Identity())
		}
		for _, s := range []string{is.Summary, is.Description, is.Environment} {
			add(s)
		}
		for _, c := range is.Comments {
			add(c.Author.Identity())
			add(c.Body)
		}
		for _, w := range is.Worklogs {
			add(w.Author.Identity())
			add(w.Comment)
		}
	}
	// By hand from the fixture: Dana Nurse and Sam Doctor, four summaries, the
	// first line of a description, a comment and two worklog comments = 10
	// (the environment "prod" is too short to search for).
	if len(needles) != 10 {
		t.Fatalf("only %d needles %q: the fixture or the parser changed", len(needles), needles)
	}
	dir := t.TempDir()
	copyFile(t, "testdata/export.csv", filepath.Join(dir, "export.csv"))
	w, path := openWarehouse(t)
	res, _ := importOnce(t, w, jira.ExportOptions{Source: "jira", Path: dir, HoursPerDay: 8, DaysPerWeek: 5,
		Risk: configs.JiraRisk{IssueType: "Risk", Owner: "assignee", Response: "Risk Response"}})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	dump := dumpTables(t, w)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files := bytes.ToLower(warehouseBytes(t, path))
	for _, n := range needles {
		ln := bytes.ToLower([]byte(n))
		if bytes.Contains(dump, ln) || bytes.Contains(files, ln) {
			t.Errorf("%q from the CSV export is stored with the default settings", n)
		}
	}
}
