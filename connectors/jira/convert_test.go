package jira

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/internal/shareddata"
)

func TestParseSprintString(t *testing.T) {
	s := "com.atlassian.greenhopper.service.sprint.Sprint@3fd7dd59[id=48,rapidViewId=58,state=CLOSED,name=Sprint, the first,startDate=2020-01-06T09:00:00.000+01:00,endDate=2020-01-17T17:00:00.000+01:00,completeDate=<null>,sequence=48,goal=Ship A, B and C]"
	sp, err := parseSprintString(s)
	if err != nil {
		t.Fatal(err)
	}
	if sp.ID != 48 || sp.BoardID != 58 || sp.State != "closed" || sp.Name != "Sprint, the first" || sp.Goal != "Ship A, B and C" ||
		!sp.Start.Equal(time.Date(2020, 1, 6, 8, 0, 0, 0, time.UTC)) || !sp.Complete.IsZero() {
		t.Errorf("parsed %+v", sp)
	}
	for _, bad := range []string{"", "Sprint@1[name=x]", "garbage"} {
		if _, err := parseSprintString(bad); err == nil {
			t.Errorf("%q parsed without error", bad)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		// 18w 2d at 8 h/day, 5 days/week: (18·5 + 2)·8 h = 736 h.
		{"18w 2d", 736 * 3600}, {"4d", 32 * 3600}, {"1h 30m", 5400}, {"45m", 2700}, {"1.5h", 5400}, {"10s", 10},
	} {
		got, err := parseDuration(tc.in, 8, 5)
		if err != nil || got != tc.want {
			t.Errorf("parseDuration(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "3", "3x", "-1h", "h"} {
		if _, err := parseDuration(bad, 8, 5); err == nil {
			t.Errorf("parseDuration(%q) accepted", bad)
		}
	}
}

func TestProbabilityAndScore(t *testing.T) {
	for _, tc := range []struct {
		in    string
		prob  float64 // -1: none
		score int     // 0: none
	}{
		{`"30%"`, 0.3, 0}, {`30`, 0.3, 0}, {`0.25`, 0.25, 0}, {`"0.4"`, 0.4, 0}, {`3`, -1, 3}, {`"Likely"`, -1, 4},
		{`{"value":"Very High"}`, -1, 5}, {`"2 - Unlikely"`, -1, 2}, {`"150%"`, -1, 0}, {`null`, -1, 0}, {`"maybe"`, -1, 0},
	} {
		p, s := probability(json.RawMessage(tc.in))
		gotP, gotS := -1.0, 0
		if p != nil {
			gotP = *p
		}
		if s != nil {
			gotS = *s
		}
		if gotP != tc.prob || gotS != tc.score {
			t.Errorf("probability(%s) = %v, %v; want %v, %v", tc.in, gotP, gotS, tc.prob, tc.score)
		}
	}
}

func TestStripOrderBy(t *testing.T) {
	for in, want := range map[string]string{
		"project = A ORDER BY rank":            "project = A",
		"project = A order  by created DESC":   "project = A",
		`summary ~ "order by" AND project = A`: `summary ~ "order by" AND project = A`,
		`summary ~ "x" ORDER BY key`:           `summary ~ "x"`,
		"reorder byproduct = 1":                "reorder byproduct = 1",
		"ORDER BY created":                     "",
		`labels = 'order by' ORDER BY labels`:  `labels = 'order by'`,
	} {
		if got := stripOrderBy(in); got != want {
			t.Errorf("stripOrderBy(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSprintMembershipsRemovedAndReadded(t *testing.T) {
	c := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return c.Add(time.Duration(h) * time.Hour) }
	is := &Issue{Created: c, ChangelogComplete: true, Sprints: []Sprint{{ID: 7}, {ID: 9}},
		Histories: []History{
			{ID: "1", Created: at(1), Items: []Item{{From: "", To: "7", isSprint: true}}},
			{ID: "2", Created: at(2), Items: []Item{{From: "7", To: "", isSprint: true}}},
			{ID: "3", Created: at(3), Items: []Item{{From: "", To: "7, 9", isSprint: true}}},
		}}
	got := sprintMemberships(is)
	want := []SprintMembership{{7, at(1), at(2)}, {7, at(3), time.Time{}}, {9, at(3), time.Time{}}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// Created inside sprint 5 (first change's "from"), moved to 6: member of 5
	// from creation.
	is2 := &Issue{Created: c, ChangelogComplete: true, Sprints: []Sprint{{ID: 6}},
		Histories: []History{{ID: "1", Created: at(5), Items: []Item{{From: "5", To: "6", isSprint: true}}}}}
	if got := sprintMemberships(is2); len(got) != 2 || got[0] != (SprintMembership{5, c, at(5)}) || got[1] != (SprintMembership{6, at(5), time.Time{}}) {
		t.Errorf("created in a sprint: %+v", got)
	}
}

func TestCatalogDiscoveryOnSampleFields(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(shareddata.Dir(t), "jira-samples", "go-atlassian", "get-fields.json"))
	if err != nil {
		t.Fatal(err)
	}
	fields, err := ParseFieldList(b)
	if err != nil {
		t.Fatal(err)
	}
	cat, warns := NewCatalog(fields, configs.JiraFields{}, configs.JiraRisk{IssueType: "Risk", Probability: "Change risk", Owner: "assignee"})
	if len(warns) != 0 {
		t.Errorf("warnings %v", warns)
	}
	// Values read off get-fields.json (see jira-samples/README.md).
	if len(cat.StoryPoints) != 2 || cat.StoryPoints[0] != "customfield_10016" || cat.StoryPoints[1] != "customfield_10036" ||
		cat.Sprint != "customfield_10020" || cat.EpicLink != "customfield_10014" || cat.ParentLink != "customfield_10018" ||
		cat.StartDate != "customfield_10015" || cat.TargetStart != "customfield_10022" || cat.TargetEnd != "customfield_10023" ||
		cat.RiskProbability != "customfield_10006" {
		t.Errorf("catalog %+v", cat)
	}
	over, warns := NewCatalog(fields, configs.JiraFields{StoryPoints: "Story Points", Sprint: "no such field"}, configs.JiraRisk{})
	if len(over.StoryPoints) != 1 || over.StoryPoints[0] != "customfield_10036" || len(warns) != 1 {
		t.Errorf("override by name: %v, warnings %v", over.StoryPoints, warns)
	}
}
