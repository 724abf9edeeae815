package metrics_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/internal/shareddata"
	"github.com/pmlens/pmlens/metrics"
	"github.com/pmlens/pmlens/warehouse"
)

// riskWarehouse opens a warehouse for cfg under t.TempDir and runs fill inside one
// run of source, followed by metrics.Refresh, then publishes.
func riskWarehouse(t *testing.T, cfg *configs.Config, source string, fill func(ctx context.Context, run *warehouse.Run) error) *sql.DB {
	t.Helper()
	ctx := context.Background()
	w, err := warehouse.Open(ctx, warehouse.Options{Path: cfg.Warehouse.Path, LockTimeout: 5 * time.Second,
		Projects: cfg.Projects, Currency: cfg.Metrics.Currency, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	run, err := w.Begin(ctx, source, configs.TypeRiskRegister)
	if err != nil {
		t.Fatal(err)
	}
	err = fill(ctx, run)
	if err == nil {
		err = metrics.Refresh(ctx, run, metrics.RefreshOptions{Config: cfg, Now: func() time.Time { return testNow }})
	}
	res := w.Finish(ctx, run, err)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	return published(t, cfg)
}

func parseConfig(t *testing.T, yml string) *configs.Config {
	t.Helper()
	cfg, err := configs.Parse([]byte(yml), "test.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func f64(f float64) *float64 { return &f }

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// sharedRiskCase is an EMV example of ../shared/evm-cases.json: either a list of
// risks with the contingency they need, or one risk.
type sharedRiskCase struct {
	ID     string `json:"id"`
	Inputs struct {
		Risks []struct {
			P      float64 `json:"p"`
			Impact float64 `json:"impact"`
		} `json:"risks"`
		P      *float64 `json:"p"`
		Impact *float64 `json:"impact"`
	} `json:"inputs"`
	Expected struct {
		EMV         json.RawMessage `json:"emv"`
		Contingency *float64        `json:"contingency"`
	} `json:"expected"`
}

// TestRiskViewsReproduceSharedEMVCases loads every EMV example of
// ../shared/evm-cases.json as a one-snapshot register of its own project and reads
// the answers back from the views: each risk's EMV from risk_scores, the
// contingency the risks need (Σ EMV of open risks) from risk_exposure.emv, and the
// coverage ratio of a reserve configured at half of the published contingency
// (so 0.5 whenever the exposure is positive, NULL otherwise).
func TestRiskViewsReproduceSharedEMVCases(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(shareddata.Dir(t), "evm-cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all []sharedRiskCase
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	type riskCase struct {
		id          string
		p, impact   []float64
		emv         []float64
		contingency *float64
	}
	var cases []riskCase
	for _, c := range all {
		if len(c.Expected.EMV) == 0 {
			continue
		}
		rc := riskCase{id: c.ID, contingency: c.Expected.Contingency}
		if c.Inputs.P != nil && c.Inputs.Impact != nil {
			rc.p, rc.impact = []float64{*c.Inputs.P}, []float64{*c.Inputs.Impact}
		}
		for _, r := range c.Inputs.Risks {
			rc.p, rc.impact = append(rc.p, r.P), append(rc.impact, r.Impact)
		}
		if err := json.Unmarshal(c.Expected.EMV, &rc.emv); err != nil {
			var one float64
			if err := json.Unmarshal(c.Expected.EMV, &one); err != nil {
				t.Fatalf("%s: emv %s is neither a number nor a list", c.ID, c.Expected.EMV)
			}
			rc.emv = []float64{one}
		}
		if len(rc.emv) != len(rc.p) {
			t.Fatalf("%s: %d risks but %d EMVs", c.ID, len(rc.p), len(rc.emv))
		}
		cases = append(cases, rc)
	}
	if len(cases) == 0 {
		t.Skip("evm-cases.json has no EMV examples")
	}
	var yml strings.Builder
	yml.WriteString("warehouse: {path: wh/risk.duckdb}\nsources:\n  - {name: pmo-risks, type: risk-register, path: registers}\nprojects:\n")
	for _, c := range cases {
		need := 0.0
		for _, e := range c.emv {
			need += e
		}
		fmt.Fprintf(&yml, "  - {id: %s, currency: USD, contingency: %g, sources: [{source: pmo-risks, key: %q}]}\n", c.id, need/2, c.id)
	}
	cfg := parseConfig(t, yml.String())
	asOf := day("2026-05-01")
	db := riskWarehouse(t, cfg, "pmo-risks", func(ctx context.Context, run *warehouse.Run) error {
		snap := warehouse.RiskSnapshot{File: "register-2026-05-01.csv", AsOf: asOf, DateSource: "filename"}
		for _, c := range cases {
			pid, err := run.Project(ctx, warehouse.ProjectRef{SourceKey: c.id})
			if err != nil {
				return err
			}
			for i := range c.p {
				snap.Rows = append(snap.Rows, warehouse.RiskRow{RiskID: fmt.Sprintf("R%d", i+1), ProjectID: pid,
					Probability: f64(c.p[i]), ImpactCost: f64(c.impact[i]), IsOpen: true, Opened: day("2026-04-01")})
			}
		}
		if _, err := warehouse.LoadRiskSnapshot(ctx, run, snap); err != nil {
			return err
		}
		return warehouse.RefreshRisks(ctx, run)
	})
	for _, c := range cases {
		for i, want := range c.emv {
			var got float64
			scanRow(t, db, `SELECT emv FROM risk_scores WHERE project_id = ? AND risk_id = ?`, []any{c.id, fmt.Sprintf("R%d", i+1)}, &got)
			if !near(got, want) {
				t.Errorf("%s risk %d: EMV %g, want %g", c.id, i+1, got, want)
			}
		}
		var emv, contingency float64
		var coverage sql.NullFloat64
		scanRow(t, db, `SELECT emv, contingency, coverage_ratio FROM risk_exposure WHERE project_id = ? AND as_of = ?`,
			[]any{c.id, asOf}, &emv, &contingency, &coverage)
		if c.contingency != nil && !near(emv, *c.contingency) {
			t.Errorf("%s: exposure (contingency needed) %g, want %g", c.id, emv, *c.contingency)
		}
		if need := metrics.ContingencyNeeded(c.emv); !near(emv, need) {
			t.Errorf("%s: view exposure %g disagrees with metrics.ContingencyNeeded %g", c.id, emv, need)
		}
		want := metrics.CoverageRatio(contingency, c.emv)
		if coverage.Valid != want.Valid || (want.Valid && !near(coverage.Float64, want.V)) {
			t.Errorf("%s: coverage %v, want %v", c.id, coverage, want)
		}
		if want.Valid && !near(coverage.Float64, 0.5) {
			t.Errorf("%s: coverage %g of a reserve half the exposure, want 0.5", c.id, coverage.Float64)
		}
	}
}

// TestRiskExposureOverTime follows two projects of one program through a
// fortnightly register (project a, USD) and Jira risk issues (projects a and b;
// b in EUR at 1.08 USD), on the default 5×5 matrix.
//
// Register (source reg), project a:
//
//	2 Jan: R1 p .4 × 100,000 (opened 1 Dec, response due 10 Jan) → EMV 40,000, levels P2 × I3 → medium
//	       R2 p .6 × 20,000 (no opened date)                      → EMV 12,000, P3 × I2 → medium
//	16 Jan: R1 unchanged (now overdue), R2 closed, R3 opened 5 Jan with p .5 and no cost (unquantified, no band)
//
// Jira (source jira, synced 14 and 27 Jan):
//
//	J-2 (a) opened 12 Jan, open: p .8 on 14 Jan, p .9 on 27 Jan, × 600,000 → P4/P5 × I5 → high
//	J-1 (b) opened 5 Jan, resolved 20 Jan: p .5 × 8,000 EUR → EMV 4,000 EUR = 4,320 USD, P3 × I1 → low
//
// Jira states its risks every Friday from the week the project's first risk
// opened up to the latest sync, plus the sync date: a on 16, 23 and 27 Jan;
// b on 9, 16, 23 and 27 Jan.
func TestRiskExposureOverTime(t *testing.T) {
	cfg := parseConfig(t, `warehouse: {path: wh/risk.duckdb}
sources:
  - {name: reg, type: risk-register, path: registers}
  - {name: jira, type: jira-export, path: jira}
metrics:
  currency: USD
  rates: {EUR: 1.08}
projects:
  - {id: a, program: Clinical, portfolio: Hospital IT, currency: USD, contingency: 50000, sources: [{source: reg, key: A}, {source: jira, key: A}]}
  - {id: b, program: Clinical, portfolio: Hospital IT, currency: EUR, contingency: 10000, sources: [{source: jira, key: B}]}
`)
	db := riskWarehouse(t, cfg, "reg", func(ctx context.Context, run *warehouse.Run) error {
		a, err := run.Project(ctx, warehouse.ProjectRef{SourceKey: "A"})
		if err != nil {
			return err
		}
		r1 := warehouse.RiskRow{RiskID: "R1", ProjectID: a, Probability: f64(.4), ImpactCost: f64(100000), IsOpen: true,
			Opened: day("2025-12-01"), Due: day("2026-01-10")}
		r2 := warehouse.RiskRow{RiskID: "R2", ProjectID: a, Probability: f64(.6), ImpactCost: f64(20000), IsOpen: true}
		r3 := warehouse.RiskRow{RiskID: "R3", ProjectID: a, Probability: f64(.5), IsOpen: true, Opened: day("2026-01-05")}
		r2closed := r2
		r2closed.IsOpen = false
		for _, s := range []warehouse.RiskSnapshot{
			{File: "register-2026-01-02.csv", AsOf: day("2026-01-02"), DateSource: "filename", Rows: []warehouse.RiskRow{r1, r2}},
			{File: "register-2026-01-16.csv", AsOf: day("2026-01-16"), DateSource: "filename", Rows: []warehouse.RiskRow{r1, r2closed, r3}},
		} {
			if _, err := warehouse.LoadRiskSnapshot(ctx, run, s); err != nil {
				return err
			}
		}
		if err := warehouse.RefreshRisks(ctx, run); err != nil {
			return err
		}
		// The Jira connector's rows, as warehouse.JiraLoader writes them.
		_, err = run.Exec(ctx, `INSERT INTO risks (source, risk_id, project_id, opened, closed, probability, impact_cost) VALUES
			('jira', 'J-1', 'b', DATE '2026-01-05', DATE '2026-01-20', 0.5, 8000),
			('jira', 'J-2', 'a', DATE '2026-01-12', NULL, 0.9, 600000)`)
		if err != nil {
			return err
		}
		_, err = run.Exec(ctx, `INSERT INTO risk_snapshots (source, risk_id, project_id, as_of, snapshot_date_source, probability, impact_cost, closed) VALUES
			('jira', 'J-1', 'b', DATE '2026-01-14', 'jira-sync', 0.5, 8000, NULL),
			('jira', 'J-2', 'a', DATE '2026-01-14', 'jira-sync', 0.8, 600000, NULL),
			('jira', 'J-1', 'b', DATE '2026-01-27', 'jira-sync', 0.5, 8000, DATE '2026-01-20'),
			('jira', 'J-2', 'a', DATE '2026-01-27', 'jira-sync', 0.9, 600000, NULL)`)
		return err
	})

	type exposure struct {
		open, opened, closed int
		emv                  float64
		high, medium, low    int
		coverage             sql.NullFloat64
		overdue              int
	}
	read := func(q string, args ...any) exposure {
		var e exposure
		scanRow(t, db, q, args, &e.open, &e.opened, &e.closed, &e.emv, &e.high, &e.medium, &e.low, &e.coverage, &e.overdue)
		return e
	}
	cov := func(f float64) sql.NullFloat64 { return sql.NullFloat64{Float64: f, Valid: true} }
	cases := []struct {
		project, asOf string
		want          exposure
	}{
		// 2 Jan: R1 + R2 open and both opened by then (first date): EMV 52,000;
		// coverage 50,000 / 52,000.
		{"a", "2026-01-02", exposure{2, 2, 0, 52000, 0, 2, 0, cov(50000.0 / 52000), 0}},
		// 16 Jan: R1 (overdue), R3 (unscored), J-2 (p .8 from the 14 Jan sync);
		// opened since 2 Jan: R3 (5 Jan), J-2 (12 Jan); closed: R2.
		// EMV 40,000 + 480,000 = 520,000.
		{"a", "2026-01-16", exposure{3, 2, 1, 520000, 1, 1, 0, cov(50000.0 / 520000), 1}},
		// 23 Jan: nothing moves; the register's 16 Jan statement carries forward.
		{"a", "2026-01-23", exposure{3, 0, 0, 520000, 1, 1, 0, cov(50000.0 / 520000), 1}},
		// 27 Jan (the latest sync): J-2 at p .9 → 540,000; EMV 580,000.
		{"a", "2026-01-27", exposure{3, 0, 0, 580000, 1, 1, 0, cov(50000.0 / 580000), 1}},
		// b: J-1 open on 9 and 16 Jan (EMV 4,000 EUR, coverage 10,000 / 4,000),
		// closed on 20 Jan → counted closed on 23 Jan, no exposure left.
		{"b", "2026-01-09", exposure{1, 1, 0, 4000, 0, 0, 1, cov(2.5), 0}},
		{"b", "2026-01-23", exposure{0, 0, 1, 0, 0, 0, 0, sql.NullFloat64{}, 0}},
	}
	for _, c := range cases {
		got := read(`SELECT open_risks, opened, closed, emv, high, medium, low, coverage_ratio, overdue FROM risk_exposure
			WHERE project_id = ? AND as_of = CAST(? AS DATE)`, c.project, c.asOf)
		if got.open != c.want.open || got.opened != c.want.opened || got.closed != c.want.closed || !near(got.emv, c.want.emv) ||
			got.high != c.want.high || got.medium != c.want.medium || got.low != c.want.low || got.overdue != c.want.overdue ||
			got.coverage.Valid != c.want.coverage.Valid || !near(got.coverage.Float64, c.want.coverage.Float64) {
			t.Errorf("%s %s: %+v, want %+v", c.project, c.asOf, got, c.want)
		}
	}
	// The program on 9 Jan: a carries its 2 Jan row (52,000 USD), b adds 4,000 EUR
	// = 4,320 USD → 56,320; opened counts only b's own date: 1. Contingency
	// 50,000 + 10,000 × 1.08 = 60,800 USD.
	got := read(`SELECT open_risks, opened, closed, emv, high, medium, low, coverage_ratio, overdue FROM program_risk_exposure
		WHERE program = 'Clinical' AND as_of = DATE '2026-01-09'`)
	want := exposure{3, 1, 0, 56320, 0, 2, 1, cov(60800.0 / 56320), 0}
	if got.open != want.open || got.opened != want.opened || !near(got.emv, want.emv) || got.low != want.low ||
		!near(got.coverage.Float64, want.coverage.Float64) {
		t.Errorf("program on 9 Jan: %+v, want %+v", got, want)
	}
	var n int
	scanRow(t, db, `SELECT count(*) FROM portfolio_risk_exposure WHERE portfolio = 'Hospital IT'`, nil, &n)
	if n != 5 { // 2, 9, 16, 23, 27 Jan
		t.Errorf("portfolio roll-up has %d dates, want 5", n)
	}
	// The matrix on 27 Jan for a: R1 in P2 × I3, J-2 in P5 × I5 (R3 has no impact).
	var cells int
	var emv float64
	scanRow(t, db, `SELECT count(*) FILTER (WHERE risks > 0), sum(emv) FROM risk_matrix WHERE project_id = 'a' AND as_of = DATE '2026-01-27'`,
		nil, &cells, &emv)
	var all int
	scanRow(t, db, `SELECT count(*) FROM risk_matrix WHERE project_id = 'a' AND as_of = DATE '2026-01-27'`, nil, &all)
	if cells != 2 || !near(emv, 580000) || all != 25 {
		t.Errorf("matrix of a on 27 Jan: %d filled cells of %d, EMV %g; want 2 of 25, 580000", cells, all, emv)
	}
	var top string
	var rank, prank int
	scanRow(t, db, `SELECT risk_id, rank, portfolio_rank FROM top_risks WHERE project_id = 'a' ORDER BY rank LIMIT 1`, nil, &top, &rank, &prank)
	if top != "J-2" || rank != 1 || prank != 1 {
		t.Errorf("top risk of a: %s rank %d / %d, want J-2 1 / 1", top, rank, prank)
	}
}

// TestRiskMatrixFollowsConfig: a 3 × 3 matrix on budget share, materialised for
// the views. Project budget 1,000,000: impacts up to 1 % (10,000) are level 1, up
// to 5 % (50,000) level 2, above level 3; probabilities up to .3 level 1, up to .7
// level 2. A bare probability rating of 3 stands for the configured .85.
func TestRiskMatrixFollowsConfig(t *testing.T) {
	cfg := parseConfig(t, `warehouse: {path: wh/risk.duckdb}
sources:
  - {name: reg, type: risk-register, path: registers}
metrics:
  risk:
    impact_basis: budget_share
    probability_levels:
      - {label: Low, max: 0.3}
      - {label: Medium, max: 0.7}
      - {label: High, probability: 0.85}
    impact_levels:
      - {label: Small, max: 0.01}
      - {label: Medium, max: 0.05}
      - {label: Large}
    bands:
      - [low, low, medium]
      - [low, medium, high]
      - [medium, high, high]
projects:
  - {id: p, budget: 1000000, currency: USD, sources: [{source: reg, key: P}]}
`)
	score3 := 3
	db := riskWarehouse(t, cfg, "reg", func(ctx context.Context, run *warehouse.Run) error {
		_, err := warehouse.LoadRiskSnapshot(ctx, run, warehouse.RiskSnapshot{File: "r.csv", AsOf: day("2026-02-06"), DateSource: "column",
			Rows: []warehouse.RiskRow{
				{RiskID: "X1", ProjectID: "p", Probability: f64(.3), ImpactCost: f64(10000), IsOpen: true},      // 1 × 1 low, EMV 3,000
				{RiskID: "X2", ProjectID: "p", Probability: f64(.31), ImpactCost: f64(60000), IsOpen: true},     // 2 × 3 high, EMV 18,600
				{RiskID: "X3", ProjectID: "p", ProbabilityScore: &score3, ImpactCost: f64(20000), IsOpen: true}, // 3 × 2 high, EMV .85 × 20,000 = 17,000
			}})
		return err
	})
	want := map[string][3]any{"X1": {1, 1, "low"}, "X2": {2, 3, "high"}, "X3": {3, 2, "high"}}
	for id, w := range want {
		var p, i int
		var band string
		scanRow(t, db, `SELECT probability_level, impact_level, band FROM risk_scores WHERE risk_id = ?`, []any{id}, &p, &i, &band)
		if p != w[0] || i != w[1] || band != w[2] {
			t.Errorf("%s: P%d × I%d %s, want P%v × I%v %v", id, p, i, band, w[0], w[1], w[2])
		}
	}
	var emv float64
	var high, low int
	scanRow(t, db, `SELECT emv, high, low FROM risk_exposure WHERE project_id = 'p'`, nil, &emv, &high, &low)
	if !near(emv, 3000+18600+17000) || high != 2 || low != 1 {
		t.Errorf("exposure %g (high %d, low %d), want 38600 (2, 1)", emv, high, low)
	}
	var levels, bands int
	scanRow(t, db, `SELECT (SELECT count(*) FROM risk_matrix_levels), (SELECT count(*) FROM risk_matrix_bands)`, nil, &levels, &bands)
	if levels != 6 || bands != 9 {
		t.Errorf("materialised %d levels and %d bands, want 6 and 9", levels, bands)
	}
}
