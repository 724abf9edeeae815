package metrics_test

import (
	"context"
	"database/sql"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/connectors/jira"
	"github.com/pmlens/pmlens/ingest"
	"github.com/pmlens/pmlens/metrics"
	"github.com/pmlens/pmlens/warehouse"
)

// The tests in this package run the whole path: the Jira connector's export
// import (ingest, exactly as a jira-export source syncs), metrics.Refresh inside
// the run, publication, and the views read from the published version.

var testNow = time.Date(2026, 3, 25, 12, 0, 0, 0, time.UTC)

// syncAll parses yml (paths relative to dir), syncs every source once and fails
// the test on any failed run.
func syncAll(t testing.TB, yml, dir string) *configs.Config {
	t.Helper()
	cfg, err := configs.Parse([]byte(yml), "test.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	syncConfig(t, cfg)
	return cfg
}

func syncConfig(t testing.TB, cfg *configs.Config, names ...string) []warehouse.Result {
	t.Helper()
	s := ingest.New(ingest.Env{Config: cfg, Now: func() time.Time { return testNow }})
	res, err := s.Sync(context.Background(), names...)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("sync of %s failed: %v", r.Source, r.Err)
		}
	}
	return res
}

// published opens the current published version read-only, as dashboards do.
func published(t testing.TB, cfg *configs.Config) *sql.DB {
	t.Helper()
	r := warehouse.NewReader(cfg.Warehouse.Path, "")
	snap, release, err := r.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { release(); r.Close() })
	return snap.DB
}

func scanRow(t testing.TB, db *sql.DB, q string, args []any, dst ...any) {
	t.Helper()
	if err := db.QueryRow(q, args...).Scan(dst...); err != nil {
		t.Fatalf("%s %v: %v", q, args, err)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func flowYAML(extra string) string {
	abs, _ := filepath.Abs(filepath.Join("testdata", "flow"))
	return `warehouse: {path: wh/flow.duckdb}
sources:
  - name: jira
    type: jira-export
    path: ` + abs + `
` + extra
}

// TestSprintCommitmentFromMembershipHistory reconstructs sprint commitment from a
// saved search page (testdata/flow/search-page.json) where issues enter and leave
// a running sprint. Sprint 1 runs Mon 2 Mar 09:00 – completed Fri 13 Mar 16:00:
//
//	SPR-1 3 pts  in sprint since 27 Feb (committed), done 6 Mar        → committed, completed
//	SPR-2 5 pts  in sprint since 27 Feb (committed), still in progress
//	             at completion, carried into sprint 2 at 13 Mar 16:00  → committed only
//	SPR-3 2 pts  committed, taken out 5 Mar                            → committed, removed
//	SPR-4 8 pts  created and added 4 Mar, done 12 Mar                  → added, completed
//	SPR-5 1 pt   added 3 Mar, taken out 6 Mar                          → added, removed
//	SPR-6        a sub-task, in the sprint and done: not a work item
//
// so committed 3+5+2 = 10 points (3 issues), added 8+1 = 9 (2), removed 2+1 = 3
// (2), completed 3+8 = 11 (2 issues: SPR-1 and SPR-4).
// Sprint 2 (active, from Mon 16 Mar 09:00) holds SPR-2 (carried over on 13 Mar)
// and SPR-7 (added 14 Mar): committed 5+3 = 8 (2); SPR-2 is done on 18 Mar:
// completed 5 (1).
func TestSprintCommitmentFromMembershipHistory(t *testing.T) {
	dir := t.TempDir()
	cfg := syncAll(t, flowYAML(""), dir)
	db := published(t, cfg)
	cases := []struct {
		sprint                                        int64
		committed, added, removed, completed          float64
		committedIssues, completedIssues, addedIssues int64
		removedIssues                                 int64
	}{
		{1, 10, 9, 3, 11, 3, 2, 2, 2},
		{2, 8, 0, 0, 5, 2, 1, 0, 0},
	}
	for _, c := range cases {
		var committed, added, removed, completed float64
		var ci, co, ai, ri int64
		var project string
		scanRow(t, db, `SELECT committed_points, added_points, removed_points, completed_points, committed_issues,
				completed_issues, added_issues, removed_issues, project_id FROM sprint_reports WHERE sprint_id = ?`,
			[]any{c.sprint}, &committed, &added, &removed, &completed, &ci, &co, &ai, &ri, &project)
		got := []float64{committed, added, removed, completed, float64(ci), float64(co), float64(ai), float64(ri)}
		want := []float64{c.committed, c.added, c.removed, c.completed, float64(c.committedIssues), float64(c.completedIssues),
			float64(c.addedIssues), float64(c.removedIssues)}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("sprint %d: (committed, added, removed, completed points; committed, completed, added, removed issues) = %v, want %v",
					c.sprint, got, want)
				break
			}
		}
		if project != "spr" {
			t.Errorf("sprint %d belongs to %q, want spr", c.sprint, project)
		}
	}
	// Velocity lists closed sprints only: sprint 1 with its 11 completed points.
	var n int
	var vel float64
	scanRow(t, db, `SELECT count(*), max(velocity_avg_3) FROM velocity`, nil, &n, &vel)
	if n != 1 || vel != 11 {
		t.Errorf("velocity: %d rows, avg %g; want 1 row, 11", n, vel)
	}
}

// TestCycleTimesAndWeeklyFlow checks cycle and lead times and the weekly
// percentiles, all derived by hand from testdata/flow/search-page.json.
//
// FLW items finished Fri 13 Mar 09:00 after 1, 2, 3, 4 and 10 days in progress
// (FLW-2 passes through In Review, still in progress); each was created one day
// before it started, so lead times are 2, 3, 4, 5 and 11 days. FLW-7 went from To
// Do straight to Done on Thu 12 Mar 12:00, created Mon 2 Mar 09:00: no cycle time,
// lead 10 d 3 h = 10.125 days, and it counts in throughput. All six finish in the
// ISO week of Mon 9 Mar:
//
//	throughput 6
//	cycle p50 = 3 (the middle of 1,2,3,4,10)
//	cycle p85: rank (5−1)×0.85 = 3.4 → 4 + 0.4×(10−4) = 6.4
//	lead p50 of 2,3,4,5,10.125,11 = (4+5)/2 = 4.5
//	wip at Mon 16 Mar 00:00: FLW-6 (in progress since 11 Mar) and the epic FLW-9
//	  does not count (epics are excluded) → 1
//
// The week of Mon 16 Mar is the current one (the source's latest activity is
// FLW-8, created Fri 20 Mar 10:00): throughput 0, arrivals 1, complete false.
func TestCycleTimesAndWeeklyFlow(t *testing.T) {
	dir := t.TempDir()
	cfg := syncAll(t, flowYAML(""), dir)
	db := published(t, cfg)

	// SPR-1: started Tue 3 Mar 09:00, done Fri 6 Mar 15:00 → 3 d 6 h = 3.25 days;
	// created Wed 25 Feb 10:00 → lead 9 d 5 h = 9.2083… days.
	var cycle, lead float64
	scanRow(t, db, `SELECT c.cycle_days, c.lead_days FROM cycle_times c JOIN issues i USING (source, issue_id) WHERE i.issue_key = 'SPR-1'`,
		nil, &cycle, &lead)
	if !near(cycle, 3.25) || !near(lead, 9+5.0/24) {
		t.Errorf("SPR-1 cycle %g lead %g, want 3.25 and %g", cycle, lead, 9+5.0/24)
	}
	var nullCycle sql.NullFloat64
	scanRow(t, db, `SELECT c.cycle_days, c.lead_days FROM cycle_times c JOIN issues i USING (source, issue_id) WHERE i.issue_key = 'FLW-7'`,
		nil, &nullCycle, &lead)
	if nullCycle.Valid || !near(lead, 10.125) {
		t.Errorf("FLW-7 (To Do → Done) cycle %v lead %g, want NULL and 10.125", nullCycle, lead)
	}
	var excluded int
	scanRow(t, db, `SELECT count(*) FROM cycle_times c JOIN issues i USING (source, issue_id) WHERE i.issue_key IN ('SPR-6', 'FLW-9')`, nil, &excluded)
	if excluded != 0 {
		t.Errorf("sub-task and epic appear in cycle_times (%d rows)", excluded)
	}

	var tp, wip, arrivals int
	var p50, p85, l50 float64
	var complete bool
	scanRow(t, db, `SELECT throughput, wip, cycle_p50_days, cycle_p85_days, lead_p50_days, complete FROM flow_weekly
			WHERE project_id = 'flw' AND week_start = DATE '2026-03-09'`, nil, &tp, &wip, &p50, &p85, &l50, &complete)
	if tp != 6 || wip != 1 || !near(p50, 3) || !near(p85, 6.4) || !near(l50, 4.5) || !complete {
		t.Errorf("FLW week of 9 Mar: throughput %d wip %d p50 %g p85 %g lead p50 %g complete %v; want 6 1 3 6.4 4.5 true",
			tp, wip, p50, p85, l50, complete)
	}
	scanRow(t, db, `SELECT throughput, arrivals, complete FROM flow_weekly WHERE project_id = 'flw' AND week_start = DATE '2026-03-16'`,
		nil, &tp, &arrivals, &complete)
	if tp != 0 || arrivals != 1 || complete {
		t.Errorf("FLW week of 16 Mar: throughput %d arrivals %d complete %v; want 0 1 false", tp, arrivals, complete)
	}

	// SPR weeks: 2 Mar: SPR-1 done (3.25 d); wip at Mon 9 Mar 00:00 is SPR-4 (in
	// progress since 5 Mar) → 1. 9 Mar: SPR-4 done after 7 days; wip at 16 Mar is
	// SPR-2 (since 9 Mar) → 1. 16 Mar: SPR-2 done after 9 d 3 h = 9.125 d; at the
	// horizon (Fri 20 Mar 10:00) SPR-7 is in progress → wip 1.
	want := []struct {
		week     string
		tp, wip  int
		p50, p85 float64
	}{{"2026-03-02", 1, 1, 3.25, 3.25}, {"2026-03-09", 1, 1, 7, 7}, {"2026-03-16", 1, 1, 9.125, 9.125}}
	for _, w := range want {
		scanRow(t, db, `SELECT throughput, wip, cycle_p50_days, cycle_p85_days FROM flow_weekly WHERE project_id = 'spr' AND week_start = CAST(? AS DATE)`,
			[]any{w.week}, &tp, &wip, &p50, &p85)
		if tp != w.tp || wip != w.wip || !near(p50, w.p50) || !near(p85, w.p85) {
			t.Errorf("SPR week %s: %d %d %g %g, want %+v", w.week, tp, wip, p50, p85, w)
		}
	}
	// The first SPR week (23 Feb, items created, nothing started) is a zero week.
	scanRow(t, db, `SELECT throughput, wip FROM flow_weekly WHERE project_id = 'spr' AND week_start = DATE '2026-02-23'`, nil, &tp, &wip)
	if tp != 0 || wip != 0 {
		t.Errorf("SPR week of 23 Feb: throughput %d wip %d, want 0 0", tp, wip)
	}

	// Cumulative flow for FLW at the end of the week of 9 Mar: done FLW-1..5 and
	// FLW-7 (6), in progress FLW-6 (1), to do none (FLW-8 is created on 20 Mar).
	got := map[string]int{}
	rows, err := db.Query(`SELECT category, issues FROM cumulative_flow WHERE project_id = 'flw' AND week_start = DATE '2026-03-09'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		var n int
		if err := rows.Scan(&c, &n); err != nil {
			t.Fatal(err)
		}
		got[c] = n
	}
	if got["done"] != 6 || got["in_progress"] != 1 || got["to_do"] != 0 || len(got) != 3 {
		t.Errorf("cumulative flow FLW 9 Mar: %v, want done 6, in_progress 1, to_do 0", got)
	}

	// Aging WIP at the horizon (Fri 20 Mar 10:00): FLW-6 started Wed 11 Mar 09:00 →
	// 9 d 1 h; the p85 of FLW's recent cycle times is 6.4, so it is over p85.
	var age, ref float64
	var over bool
	scanRow(t, db, `SELECT age_days, cycle_p85_days, over_p85 FROM aging_wip WHERE issue_key = 'FLW-6'`, nil, &age, &ref, &over)
	if !near(age, 9+1.0/24) || !near(ref, 6.4) || !over {
		t.Errorf("FLW-6 aging: %g days, p85 %g, over %v; want %g, 6.4, true", age, ref, over, 9+1.0/24)
	}
}

// TestStatusCategoriesFromConfigAndBoard: a configured override wins over the
// board, and the board's columns (first to_do, last done, between in_progress)
// win over Jira's categories.
func TestStatusCategoriesFromConfigAndBoard(t *testing.T) {
	dir := t.TempDir()
	// "In Review" counts as done for FLW: FLW-2 then finishes on 12 Mar 09:00 after
	// one day in progress.
	cfg := syncAll(t, flowYAML("metrics:\n  flow:\n    statuses: {\"In Review\": done}\n"), dir)
	db := published(t, cfg)
	var cycle float64
	var basis string
	scanRow(t, db, `SELECT c.cycle_days FROM cycle_times c JOIN issues i USING (source, issue_id) WHERE i.issue_key = 'FLW-2'`, nil, &cycle)
	scanRow(t, db, `SELECT basis FROM flow_status_map WHERE project_id = 'flw' AND status = 'in review'`, nil, &basis)
	if !near(cycle, 1) || basis != "config" {
		t.Errorf("FLW-2 with In Review = done: cycle %g (basis %s), want 1 (config)", cycle, basis)
	}

	// A board for SPR whose last column holds In Progress and Done: In Progress
	// then counts as done.
	ctx := context.Background()
	w, err := ingest.OpenWriter(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	run, err := w.Begin(ctx, "jira", configs.TypeJiraExport)
	if err != nil {
		t.Fatal(err)
	}
	loader := warehouse.NewJiraLoader(run, warehouse.JiraLoadOptions{})
	err = loader.Boards(ctx, []jira.Board{{ID: 5, Name: "SPR board", Type: "scrum", ProjectKey: "SPR", Columns: []jira.BoardColumn{
		{Position: 0, Name: "Backlog", StatusIDs: []string{"1"}},
		{Position: 1, Name: "Doing", StatusIDs: []string{"10"}},
		{Position: 2, Name: "Finished", StatusIDs: []string{"3", "10002"}},
	}}})
	if err == nil {
		err = metrics.Refresh(ctx, run, metrics.RefreshOptions{Config: cfg, Now: func() time.Time { return testNow }})
	}
	res := w.Finish(ctx, run, err)
	w.Close()
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	db = published(t, cfg)
	var cat, column string
	scanRow(t, db, `SELECT category, basis, column_name FROM flow_status_map WHERE project_id = 'spr' AND status = 'in progress'`, nil, &cat, &basis, &column)
	if cat != "done" || basis != "board" || column != "Finished" {
		t.Errorf("SPR In Progress on the board: %s/%s/%s, want done/board/Finished", cat, basis, column)
	}
	// FLW has no board: Jira's category (In Review is still overridden).
	scanRow(t, db, `SELECT category, basis FROM flow_status_map WHERE project_id = 'flw' AND status = 'in progress'`, nil, &cat, &basis)
	if cat != "in_progress" || basis != "jira" {
		t.Errorf("FLW In Progress without a board: %s/%s, want in_progress/jira", cat, basis)
	}
	// SPR-7 is "In Progress", now done on the board: no aging WIP left for SPR.
	var n int
	scanRow(t, db, `SELECT count(*) FROM aging_wip WHERE project_id = 'spr'`, nil, &n)
	if n != 0 {
		t.Errorf("SPR aging WIP has %d items, want 0 (In Progress maps to done)", n)
	}
}
