package metrics_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/ingest"
	"github.com/pmlens/pmlens/metrics"
)

// fcIssue is one issue of a generated saved search page.
type fcIssue struct {
	key, status   string
	created       time.Time
	started, done time.Time // zero: never
	epic          string
	version       bool
}

// writeFCExport writes a saved /rest/api/2/search page for project FC.
func writeFCExport(t *testing.T, dir string, issues []fcIssue) {
	t.Helper()
	jt := func(x time.Time) string { return x.UTC().Format("2006-01-02T15:04:05.000-0700") }
	cats := map[string][2]string{"To Do": {"1", "new"}, "In Progress": {"3", "indeterminate"}, "Done": {"10002", "done"}}
	var out []any
	for i, is := range issues {
		var hs []any
		updated := is.created
		move := func(at time.Time, from, to string) {
			hs = append([]any{map[string]any{"id": fmt.Sprint(5000 + 10*i + len(hs)), "created": jt(at), "items": []any{map[string]any{
				"field": "status", "fieldtype": "jira", "from": cats[from][0], "fromString": from, "to": cats[to][0], "toString": to}}}}, hs...)
			updated = at
		}
		if !is.started.IsZero() {
			move(is.started, "To Do", "In Progress")
		}
		if !is.done.IsZero() {
			move(is.done, "In Progress", "Done")
		}
		f := map[string]any{
			"issuetype": map[string]any{"id": "1", "name": "Story", "subtask": false},
			"project":   map[string]any{"id": "700", "key": "FC", "name": "Forecast"},
			"status":    map[string]any{"id": cats[is.status][0], "name": is.status, "statusCategory": map[string]any{"key": cats[is.status][1]}},
			"created":   jt(is.created), "updated": jt(updated),
			"labels": []any{}, "components": []any{}, "fixVersions": []any{},
		}
		if !is.done.IsZero() {
			f["resolutiondate"] = jt(is.done)
		}
		if is.epic != "" {
			f["customfield_10014"] = is.epic
		}
		if is.version {
			f["fixVersions"] = []any{map[string]any{"id": "900", "name": "FC R1", "released": false, "archived": false, "releaseDate": "2026-04-17"}}
		}
		out = append(out, map[string]any{"id": fmt.Sprint(7000 + i), "key": is.key, "fields": f,
			"changelog": map[string]any{"startAt": 0, "maxResults": len(hs), "total": len(hs), "histories": hs}})
	}
	b, err := json.MarshalIndent(map[string]any{"startAt": 0, "maxResults": 100, "total": len(out), "issues": out,
		"names": map[string]string{"customfield_10014": "Epic Link"}}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "FC-page-1.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// constantThroughput is project FC: two items finished in each of the six weeks
// from Mon 2 Feb 2026 (started Monday, done Wednesday), ten items to do — four of
// epic FC-100, all ten in the unreleased fix version "FC R1" (release Fri 17
// Apr) — and one of them updated on Mon 16 Mar 10:00, the source's latest
// activity, so as_of = 16 Mar and the history is the six complete weeks
// [2 2 2 2 2 2].
func constantThroughput() []fcIssue {
	w1 := time.Date(2026, 2, 2, 9, 0, 0, 0, time.UTC)
	created := time.Date(2026, 1, 30, 9, 0, 0, 0, time.UTC)
	var out []fcIssue
	for k := range 12 {
		mon := w1.AddDate(0, 0, 7*(k/2)).Add(time.Duration(k%2) * time.Hour)
		out = append(out, fcIssue{key: fmt.Sprintf("FC-%d", k+1), status: "Done", created: created, started: mon, done: mon.AddDate(0, 0, 2)})
	}
	for k := range 10 {
		is := fcIssue{key: fmt.Sprintf("FC-%d", 13+k), status: "To Do", created: created, version: true}
		if k < 4 {
			is.epic = "FC-100"
		}
		out = append(out, is)
	}
	out[len(out)-1].created = time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)
	return out
}

// forecastYAML configures FC (generated into dir/fc), the testdata/flow export
// and a one-line risk register, so there is a non-Jira source to sync too.
func forecastYAML(t *testing.T, dir, extra string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "registers"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "registers", "r-2026-03-20.csv"), []byte("ID,Title,Probability (%),Impact (cost)\nR1,x,40,1000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	flowDir, _ := filepath.Abs(filepath.Join("testdata", "flow"))
	return `warehouse: {path: wh/fc.duckdb}
sources:
  - {name: fc-jira, type: jira-export, path: ` + filepath.Join(dir, "fc") + `}
  - {name: jira, type: jira-export, path: ` + flowDir + `}
  - {name: pmo-risks, type: risk-register, path: ` + filepath.Join(dir, "registers") + `}
` + extra
}

// TestForecastsConstantThroughput: with a constant weekly throughput k and N items
// left every trial takes ceil(N/k) weeks, so every level gives the same date:
//
//	project  N = 10, k = 2 → 5 weeks → 16 Mar + 35 days = Mon 20 Apr
//	epic     FC-100: N = 4 → 2 weeks → Mon 30 Mar
//	version  FC R1:  N = 10 → Mon 20 Apr
//
// and "how many by" a date n whole weeks away is 2n at every level: 4 weeks (13
// Apr) → 8; the release date 17 Apr is 32 days = 4 whole weeks away → 8.
func TestForecastsConstantThroughput(t *testing.T) {
	dir := t.TempDir()
	writeFCExport(t, filepath.Join(dir, "fc"), constantThroughput())
	cfg := syncAll(t, forecastYAML(t, dir, ""), dir)
	db := published(t, cfg)
	want := map[string]struct {
		remaining int
		date      string
	}{
		"project":           {10, "2026-04-20"},
		"epic:FC-100":       {4, "2026-03-30"},
		"fix_version:FC R1": {10, "2026-04-20"},
	}
	rows, err := db.Query(`SELECT scope, remaining_items, as_of, p50_date, p85_date, p95_date, history_weeks, history_items, trials, method
		FROM forecasts WHERE project_id = 'fc'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var scope, method string
		var remaining, hw, hi, trials int
		var asOf, p50, p85, p95 time.Time
		if err := rows.Scan(&scope, &remaining, &asOf, &p50, &p85, &p95, &hw, &hi, &trials, &method); err != nil {
			t.Fatal(err)
		}
		w, ok := want[scope]
		if !ok {
			t.Errorf("unexpected scope %q", scope)
			continue
		}
		seen++
		d := day(w.date)
		if remaining != w.remaining || !asOf.Equal(day("2026-03-16")) || !p50.Equal(d) || !p85.Equal(d) || !p95.Equal(d) ||
			hw != 6 || hi != 12 || trials != configs.DefaultFlowTrials || method != metrics.MethodMonteCarlo {
			t.Errorf("%s: remaining %d as_of %s p50/85/95 %s %s %s history %d weeks %d items, %d trials, %s; want %d, 2026-03-16, %s ×3, 6, 12, %d, monte_carlo",
				scope, remaining, asOf.Format(time.DateOnly), p50.Format(time.DateOnly), p85.Format(time.DateOnly), p95.Format(time.DateOnly),
				hw, hi, trials, method, w.remaining, w.date, configs.DefaultFlowTrials)
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d FC scopes", seen, len(want))
	}
	// The distribution behind those dates: every trial of the project takes
	// exactly 5 weeks (finish 20 Apr) and every trial of the epic 2 (30 Mar).
	for scope, w := range map[string]struct {
		weeks int
		date  string
	}{"project": {5, "2026-04-20"}, "epic:FC-100": {2, "2026-03-30"}} {
		var rows, weeks, trials int
		var finish time.Time
		scanRow(t, db, `SELECT count(*), min(weeks), sum(trials), min(finish_date) FROM forecast_distribution
			WHERE project_id = 'fc' AND scope = ? AND as_of = DATE '2026-03-16'`, []any{scope}, &rows, &weeks, &trials, &finish)
		if rows != 1 || weeks != w.weeks || trials != configs.DefaultFlowTrials || !finish.Equal(day(w.date)) {
			t.Errorf("%s distribution: %d rows, weeks %d, %d trials, finish %s; want 1 row, %d weeks, %d trials, %s",
				scope, rows, weeks, trials, finish.Format(time.DateOnly), w.weeks, configs.DefaultFlowTrials, w.date)
		}
	}
	for target, n := range map[string]int{"4 weeks": 8, "fix_version:FC R1": 8, "2 weeks": 4} {
		var p50, p85, p95 int
		scanRow(t, db, `SELECT p50_items, p85_items, p95_items FROM forecast_items WHERE project_id = 'fc' AND target = ?`, []any{target}, &p50, &p85, &p95)
		if p50 != n || p85 != n || p95 != n {
			t.Errorf("items by %s: %d/%d/%d, want %d at every level", target, p50, p85, p95, n)
		}
	}
}

// TestForecastsAreReproducibleAndSkipUnchangedInputs: FLW's history [0 6] (the
// weeks of 2 and 9 Mar) is not constant, so its dates depend on the draws. The
// stored items forecast equals metrics.ForecastItemsByDate on the published
// version (same seed stream), a second sync with unchanged files keeps the
// forecasts of the first run, and a risk-register run does not simulate at all.
func TestForecastsAreReproducibleAndSkipUnchangedInputs(t *testing.T) {
	dir := t.TempDir()
	writeFCExport(t, filepath.Join(dir, "fc"), constantThroughput())
	cfg := syncAll(t, forecastYAML(t, dir, "metrics:\n  flow: {seed: 42, trials: 2000}\n"), dir)
	db := published(t, cfg)
	var target time.Time
	var p50, p85, p95 int
	var runID int64
	scanRow(t, db, `SELECT target_date, p50_items, p85_items, p95_items, run_id FROM forecast_items WHERE project_id = 'flw' AND target = '8 weeks'`,
		nil, &target, &p50, &p85, &p95, &runID)
	f, err := metrics.ForecastItemsByDate(context.Background(), db, cfg.Metrics.Flow, "flw", target)
	if err != nil {
		t.Fatal(err)
	}
	if got := []int{int(f.Quantiles[0].Items.V), int(f.Quantiles[1].Items.V), int(f.Quantiles[2].Items.V)}; got[0] != p50 || got[1] != p85 || got[2] != p95 {
		t.Errorf("ForecastItemsByDate %v, stored %d/%d/%d", got, p50, p85, p95)
	}
	// 8 weeks of a history [0 6]: between 0 and 48 items; p85 ≤ p50 (more certainty, fewer items).
	if p85 > p50 || p95 > p85 || p50 > 48 || f.Trials != 2000 || len(f.History) != 2 {
		t.Errorf("items %d/%d/%d from %d trials over history %v", p50, p85, p95, f.Trials, f.History)
	}
	var dates [3]sql.NullTime
	scanRow(t, db, `SELECT p50_date, p85_date, p95_date FROM forecasts WHERE project_id = 'flw' AND scope = 'project'`, nil, &dates[0], &dates[1], &dates[2])
	// The stored distribution gives the same dates by nearest rank: the pNN date
	// is the first finish date by which ceil(NN % × 2000) trials had finished.
	for k, rank := range []int{1000, 1700, 1900} {
		var first sql.NullTime
		scanRow(t, db, `SELECT min(finish_date) FROM (SELECT finish_date, sum(trials) OVER (ORDER BY weeks) AS cum
			FROM forecast_distribution WHERE project_id = 'flw' AND scope = 'project') WHERE cum >= ?`, []any{rank}, &first)
		if first != dates[k] {
			t.Errorf("distribution reaches rank %d at %v, the forecast says %v", rank, first, dates[k])
		}
	}

	// Sync everything again: the export files are unchanged (the connector skips
	// them), so the forecasts keep the first run's id.
	syncConfig(t, cfg)
	db = published(t, cfg)
	var again int64
	var dates2 [3]sql.NullTime
	scanRow(t, db, `SELECT run_id FROM forecast_items WHERE project_id = 'flw' AND target = '8 weeks'`, nil, &again)
	scanRow(t, db, `SELECT p50_date, p85_date, p95_date FROM forecasts WHERE project_id = 'flw' AND scope = 'project'`, nil, &dates2[0], &dates2[1], &dates2[2])
	if again != runID || dates != dates2 {
		t.Errorf("unchanged inputs recomputed the forecasts: run %d → %d, dates %v → %v", runID, again, dates, dates2)
	}

	// A different seed changes the configuration fingerprint: recomputed, and the
	// constant-throughput project still gives its exact dates.
	cfg2, err := configs.Parse([]byte(forecastYAML(t, dir, "metrics:\n  flow: {seed: 7, trials: 2000}\n")), "test.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	res := syncConfig(t, cfg2, "pmo-risks")
	db = published(t, cfg2)
	var fcDate time.Time
	scanRow(t, db, `SELECT run_id FROM forecast_items WHERE project_id = 'flw' AND target = '8 weeks'`, nil, &again)
	scanRow(t, db, `SELECT p95_date FROM forecasts WHERE project_id = 'fc' AND scope = 'project'`, nil, &fcDate)
	if again != res[0].RunID || !fcDate.Equal(day("2026-04-20")) {
		t.Errorf("after a seed change: forecasts of run %d (want %d), FC p95 %s (want 2026-04-20)", again, res[0].RunID, fcDate.Format(time.DateOnly))
	}
}

// TestEarnedScheduleForecastsBesideMonteCarlo: when project_evm exists (the
// earned-value work builds it), its forecast_finish is copied per as-of date
// with method earned_schedule; without it nothing fails (the other tests).
func TestEarnedScheduleForecastsBesideMonteCarlo(t *testing.T) {
	dir := t.TempDir()
	writeFCExport(t, filepath.Join(dir, "fc"), constantThroughput())
	cfg := syncAll(t, forecastYAML(t, dir, ""), dir)
	ctx := context.Background()
	w, err := ingest.OpenWriter(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var exists int
	if err := w.DB().QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_name = 'project_evm'`).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	run, err := w.Begin(ctx, "pmo-risks", configs.TypeRiskRegister)
	if err != nil {
		t.Fatal(err)
	}
	if exists == 0 {
		// Stand in for the earned-value view with the three columns forecasts read.
		_, err = run.Exec(ctx, `CREATE TABLE project_evm AS SELECT * FROM (VALUES
			('ehr', DATE '2026-03-06', DATE '2026-09-30'), ('ehr', DATE '2026-03-13', DATE '2026-10-07'),
			('fc', DATE '2026-03-13', NULL)) v(project_id, as_of, forecast_finish)`)
	}
	if err == nil {
		err = metrics.Refresh(ctx, run, metrics.RefreshOptions{Config: cfg, Now: func() time.Time { return testNow }})
	}
	res := w.Finish(ctx, run, err)
	w.Close()
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	db := published(t, cfg)
	if exists != 0 {
		var n, want int
		scanRow(t, db, `SELECT (SELECT count(*) FROM forecasts WHERE method = 'earned_schedule'),
			(SELECT count(DISTINCT (project_id, as_of)) FROM project_evm WHERE forecast_finish IS NOT NULL)`, nil, &n, &want)
		if n != want {
			t.Errorf("%d earned-schedule forecasts for %d project_evm rows with a forecast finish", n, want)
		}
		return
	}
	rows, err := db.Query(`SELECT as_of, p50_date, p85_date, scope FROM forecasts WHERE method = 'earned_schedule' ORDER BY as_of`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var asOf, p50 time.Time
		var p85 sql.NullTime
		var scope string
		if err := rows.Scan(&asOf, &p50, &p85, &scope); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s→%s/%v/%s", asOf.Format(time.DateOnly), p50.Format(time.DateOnly), p85.Valid, scope))
	}
	if fmt.Sprint(got) != "[2026-03-06→2026-09-30/false/project 2026-03-13→2026-10-07/false/project]" {
		t.Errorf("earned-schedule rows %v", got)
	}
	var mc int
	scanRow(t, db, `SELECT count(*) FROM forecasts WHERE method = 'monte_carlo' AND project_id = 'fc'`, nil, &mc)
	if mc != 3 {
		t.Errorf("the Monte Carlo rows beside them: %d, want 3", mc)
	}
}
