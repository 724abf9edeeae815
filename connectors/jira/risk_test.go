package jira_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/connectors/jira/jiratest"
	"github.com/pmlens/pmlens/warehouse"
)

// riskFields adds a probability select, a cost and a response select to the
// default field list.
var riskFields = strings.Replace(jiratest.DefaultFields, "]", `,
 {"id":"customfield_10300","name":"Probability","custom":true,"schema":{"type":"option","custom":"com.atlassian.jira.plugin.system.customfieldtypes:select"}},
 {"id":"customfield_10301","name":"Impact cost","custom":true,"schema":{"type":"number","custom":"com.atlassian.jira.plugin.system.customfieldtypes:float"}},
 {"id":"customfield_10302","name":"Risk response","custom":true,"schema":{"type":"option","custom":"com.atlassian.jira.plugin.system.customfieldtypes:select"}}
]`, 1)

// Risks kept in Jira go into the tables the risk-register source fills, keyed
// by project and risk id (the issue key), next to a register's rows that use
// the same ids: each source replaces only its own rows. Over two days: a risk
// is re-read (replaced, not doubled), one stops being a risk, one moves to
// another project (new key), one is deleted (kept in risks for its history,
// left out of later snapshots).
func TestJiraRisksShareTablesWithRegister(t *testing.T) {
	day1 := time.Date(2024, 9, 2, 10, 0, 0, 0, time.UTC)
	clk := newClock(day1)
	srv := jiratest.New(jiratest.Options{Deployment: jiratest.DataCenter, Token: "tok", Now: clk.now})
	defer srv.Close()
	srv.SetFieldsJSON([]byte(riskFields))
	issues := genIssues(4, day1.Add(-20*24*time.Hour))
	for i, is := range issues[:3] {
		is.Type = "Risk"
		is.Extra = map[string]any{"customfield_10300": map[string]string{"value": []string{"Unlikely", "Possible", "Likely"}[i]},
			"customfield_10301": 1000 * (i + 1), "customfield_10302": map[string]string{"value": "Mitigate"}}
	}
	srv.SetIssues(issues)
	w, _ := openWarehouse(t)
	ctx := context.Background()

	// A risk register of the same project uses the id TP-2 too.
	reg, err := w.Begin(ctx, "register", configs.TypeRiskRegister)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := warehouse.LoadRiskSnapshot(ctx, reg, warehouse.RiskSnapshot{File: "register.xlsx", AsOf: day1, DateSource: "column",
		Rows: []warehouse.RiskRow{{RiskID: "TP-2", ProjectID: "tp", Status: "Open", IsOpen: true}, {RiskID: "R-1", ProjectID: "tp", Status: "Open", IsOpen: true}}}); err != nil {
		t.Fatal(err)
	}
	if err := warehouse.RefreshRisks(ctx, reg); err != nil {
		t.Fatal(err)
	}
	if res := w.Finish(ctx, reg, nil); res.Err != nil {
		t.Fatal(res.Err)
	}

	opts := baseOptions(srv, "", "tok")
	opts.JQL = "project in (TP, OPS)"
	opts.ReconcileEvery = time.Hour
	opts.Overlap = 30 * 24 * time.Hour // every run re-reads every issue
	opts.Risk = configs.JiraRisk{IssueType: "Risk", Probability: "Probability", ImpactCost: "Impact cost", Response: "Risk response", Owner: "assignee"}
	for range 2 { // the second run of the day re-reads the same risks
		if res, _ := syncOnce(t, w, opts); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	// "Unlikely" is score 2, "Possible" 3, "Likely" 4; costs 1000, 2000, 3000.
	for q, want := range map[string]int64{
		`SELECT count(*) FROM risks WHERE source = 'register'`:                                                                                         2,
		`SELECT count(*) FROM risks WHERE source = 'jira'`:                                                                                             3,
		`SELECT count(*) FROM (SELECT source, project_id, risk_id FROM risks GROUP BY ALL HAVING count(*) > 1)`:                                        0,
		`SELECT count(*) FROM risks WHERE source = 'jira' AND risk_id = 'TP-2' AND project_id = 'tp' AND probability_score = 3 AND impact_cost = 2000`: 1,
		`SELECT count(*) FROM risk_snapshots WHERE source = 'jira' AND as_of = DATE '2024-09-02'`:                                                      3,
		`SELECT count(*) FROM risk_snapshots WHERE source = 'register'`:                                                                                2,
	} {
		if got := queryInt(t, w, q); got != want {
			t.Errorf("day 1: %s = %d, want %d", q, got, want)
		}
	}

	// Day 2: TP-1 is deleted, TP-2 becomes a bug, TP-3 moves to OPS as OPS-9.
	clk.set(day1.Add(24 * time.Hour))
	srv.Mutate(func(is []*jiratest.Issue) []*jiratest.Issue {
		is[0].Deleted = true
		is[1].Type, is[1].Updated = "Bug", day1.Add(2*time.Hour)
		is[2].Key, is[2].Project, is[2].Updated = "OPS-9", "OPS", day1.Add(3*time.Hour)
		return is
	})
	if res, _ := syncOnce(t, w, opts); res.Err != nil {
		t.Fatal(res.Err)
	}
	for q, want := range map[string]int64{
		`SELECT count(*) FROM risks WHERE source = 'register'`:                                          2,
		`SELECT count(*) FROM risks WHERE source = 'jira'`:                                              2, // TP-1 (deleted, kept) and OPS-9
		`SELECT count(*) FROM risks WHERE source = 'jira' AND risk_id = 'OPS-9' AND project_id = 'ops'`: 1,
		`SELECT count(*) FROM risks WHERE source = 'jira' AND risk_id IN ('TP-2', 'TP-3')`:              0,
		`SELECT count(*) FROM risk_snapshots WHERE source = 'jira' AND as_of = DATE '2024-09-03'`:       1, // OPS-9 only
		`SELECT count(*) FROM risk_snapshots WHERE source = 'jira' AND as_of = DATE '2024-09-02'`:       3, // history stays
	} {
		if got := queryInt(t, w, q); got != want {
			t.Errorf("day 2: %s = %d, want %d", q, got, want)
		}
	}
}
