package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/pmlens/pmlens/demo"
)

// TestDemoEndToEnd generates the built-in demo, ingests every source through the
// ordinary connectors (metrics.Refresh inside each run) and checks that the risk,
// flow and forecast views cover the portfolio: 12 projects with risk registers,
// 4 agile projects with Jira work.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and ingests the whole demo")
	}
	dir := t.TempDir()
	ctx := context.Background()
	if err := demo.Generate(ctx, dir); err != nil {
		t.Fatal(err)
	}
	cfg, err := demo.Config(dir)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res := syncConfig(t, cfg)
	for _, r := range res {
		t.Logf("%s: %s, %d rows, %d problems, %v", r.Source, r.Status, r.Rows, len(r.Problems), r.Duration.Round(time.Millisecond))
		for i, p := range r.Problems {
			if i < 3 {
				t.Logf("  problem %s: %v", p.Location, p.Err)
			}
		}
	}
	t.Logf("demo ingested in %v", time.Since(start).Round(time.Millisecond))
	db := published(t, cfg)
	checks := []struct {
		what string
		q    string
		want int
	}{
		{"projects with risk exposure", `SELECT count(DISTINCT project_id) FROM risk_exposure`, 12},
		{"programs rolled up", `SELECT count(DISTINCT program) FROM program_risk_exposure`, 3},
		{"projects in flow_weekly", `SELECT count(DISTINCT project_id) FROM flow_weekly`, 4},
		{"projects with a Monte Carlo project forecast", `SELECT count(*) FROM forecasts WHERE method = 'monte_carlo' AND scope = 'project' AND p85_date IS NOT NULL`, 4},
		{"projects with sprint reports", `SELECT count(DISTINCT project_id) FROM sprint_reports`, 4},
	}
	for _, c := range checks {
		var n int
		scanRow(t, db, c.q, nil, &n)
		if n != c.want {
			t.Errorf("%s: %d, want %d", c.what, n, c.want)
		}
	}
	// Jira risk issues feed the same views as the register.
	var jiraRisks int
	scanRow(t, db, `SELECT count(*) FROM risk_scores WHERE source = 'demo-jira'`, nil, &jiraRisks)
	if jiraRisks == 0 {
		t.Error("no Jira risk issue reached risk_scores")
	}
	// Sprint reports must balance: nothing completed that was neither committed nor added.
	var bad int
	scanRow(t, db, `SELECT count(*) FROM sprint_reports WHERE completed_issues > committed_issues + added_issues`, nil, &bad)
	if bad != 0 {
		t.Errorf("%d sprints completed more issues than were committed or added", bad)
	}
	var byType string
	scanRow(t, db, `SELECT string_agg(scope_type || ' ' || n, ', ' ORDER BY scope_type) FROM
		(SELECT scope_type, count(*) AS n FROM forecasts GROUP BY scope_type)`, nil, &byType)
	t.Logf("forecast scopes: %s", byType)
	var exposure string
	scanRow(t, db, `SELECT string_agg(format('{} {} open {} emv {:.0f} cov {:.2f} overdue {}', project_id, as_of, open_risks, emv, coalesce(coverage_ratio, -1), overdue), '; ' ORDER BY project_id)
		FROM risk_exposure WHERE (project_id, as_of) IN (SELECT project_id, max(as_of) FROM risk_exposure GROUP BY ALL)`, nil, &exposure)
	t.Logf("latest exposure: %s", exposure)
	rows, err := db.Query(`SELECT project_id, as_of, remaining_items, p50_date, p85_date, p95_date FROM forecasts
		WHERE method = 'monte_carlo' AND scope = 'project' ORDER BY project_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		var asOf, p50, p85, p95 time.Time
		if err := rows.Scan(&id, &asOf, &n, &p50, &p85, &p95); err != nil {
			t.Fatal(err)
		}
		t.Logf("forecast %s as of %s: %d items left, p50 %s p85 %s p95 %s", id, asOf.Format(time.DateOnly), n,
			p50.Format(time.DateOnly), p85.Format(time.DateOnly), p95.Format(time.DateOnly))
		if p50.After(p85) || p85.After(p95) {
			t.Errorf("%s: percentiles out of order", id)
		}
	}
}
