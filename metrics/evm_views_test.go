package metrics_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/metrics"
)

// The fixtures in testdata/evm are small hand-written exports (the values below
// are derived from them by hand; nothing here was read back from the code).
//
// msproject/clinic-move-2025-*.xml — "Clinic Move", USD, five weekly status
// exports. Calendar Mon–Fri with Wed 12 Mar 2025 a holiday. Leaf tasks
// (baseline 0):
//
//	UID 1 Design    Mon 03-03 – Fri 03-07   1000   linear: 200 a day
//	UID 2 Build     Mon 03-10 – Fri 03-14   2000   time-phased 200, 400, –, 600, 800
//	                                               (Mon, Tue, [Wed holiday], Thu, Fri)
//	UID 3 Test      Mon 03-17 – Fri 03-21   1000   linear: 200 a day; EV by physical % complete
//	UID 4 Go-live   milestone Fri 03-21        0
//	UID 5 Extra training, no baseline (in the exports from 03-13 on)
//
// plus the project-summary row and a "Phase 1" summary, both carrying a baseline
// cost of 4000 that must not be counted again.
//
// The earned-schedule axis: working day 1 = Mon 03-03 … day 5 = Fri 03-07, day 6
// = Mon 03-10, day 7 = Tue 03-11, day 8 = Thu 03-13, day 9 = Fri 03-14, days 10–14
// = Mon 03-17 – Fri 03-21, so PD = 14 and the cumulative PV curve is
//
//	day   1    2    3    4    5     6     7     8     9    10    11    12    13    14
//	PV  200  400  600  800 1000  1200  1600  2200  3000  3200  3400  3600  3800  4000
//
// BAC = 1000 + 2000 + 1000 + 0 = 4000.
//
// msproject/lab-upgrade-2025-03-13.xml — "Lab Upgrade", EUR, Mon–Fri: one task
// 03-03 – 03-14 (10 working days, 1000 → 100 a day), 50 % complete, actual cost
// 600, cost 1100; a milestone without a name (WBS "2") baselined Fri 03-14,
// forecast Tue 03-18.
//
// jira/AG-page-1.json — project AG (AgileEVM plan in the config: budget 100,000,
// 100 points, 5 sprints of 14 days from Mon 2026-03-02, 100/hour).

const evmConfigTemplate = `warehouse: {path: wh/evm.duckdb}
sources:
  - {name: schedules, type: msproject, path: %[1]s/msproject}
  - {name: jira, type: jira-export, path: %[1]s/jira}
metrics:
  currency: USD
  rates: {EUR: 1.1}
%[2]s
projects:
  - {id: clinic, name: Clinic Move, program: Clinical, portfolio: Hospital, currency: USD,
     sources: [{source: schedules, key: Clinic Move}]}
  - {id: lab, name: Lab Upgrade, program: Diagnostics, portfolio: Hospital, currency: EUR,
     sources: [{source: schedules, key: Lab Upgrade}]}
  - id: app
    name: Patient App
    program: Apps
    portfolio: Digital
    currency: USD
    sources: [{source: jira, key: AG}]
    agile: {release_budget: 100000, planned_points: 100, planned_sprints: 5, sprint_days: 14, start: "2026-03-02", hourly_rate: 100}
`

// evmFixture copies the named fixture files into dir (msproject/ and jira/).
func evmFixture(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		sub := "msproject"
		if strings.HasSuffix(f, ".json") {
			sub = "jira"
		}
		b, err := os.ReadFile(filepath.Join("testdata", "evm", sub, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, sub, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "jira"), 0o750); err != nil {
		t.Fatal(err)
	}
}

var allEVMFixtures = []string{"clinic-move-2025-02-28.xml", "clinic-move-2025-03-05.xml", "clinic-move-2025-03-13.xml",
	"clinic-move-2025-03-21.xml", "clinic-move-2025-03-28.xml", "lab-upgrade-2025-03-13.xml", "AG-page-1.json"}

// queryRows returns every row of q as column → value.
func queryRows(t *testing.T, db *sql.DB, q string, args ...any) []map[string]any {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		for i, c := range cols {
			m[c] = vals[i]
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// null is an expectation of NULL with the given reason in null_reasons ("" when
// the row has no null_reasons column to check).
type null string

// checkRow compares a row with expectations: float64 (to 1e-9 relative), int,
// string, time.Time (a date), or null.
func checkRow(t *testing.T, label string, row map[string]any, want map[string]any) {
	t.Helper()
	var reasons map[string]string
	if s, ok := row["null_reasons"].(string); ok {
		if err := json.Unmarshal([]byte(s), &reasons); err != nil {
			t.Fatalf("%s: null_reasons %q: %v", label, s, err)
		}
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, col := range keys {
		w := want[col]
		got, ok := row[col]
		if !ok {
			t.Errorf("%s: no column %s", label, col)
			continue
		}
		switch w := w.(type) {
		case null:
			if got != nil {
				t.Errorf("%s: %s = %v, want NULL (%s)", label, col, got, w)
			} else if w != "" && reasons[col] != string(w) {
				t.Errorf("%s: %s is NULL because %q, want %q", label, col, reasons[col], w)
			}
		case float64:
			g, ok := asFloat(got)
			if !ok || math.Abs(g-w) > 1e-9*math.Max(1, math.Abs(w)) {
				t.Errorf("%s: %s = %v, want %v", label, col, got, w)
			}
		case int:
			g, ok := asFloat(got)
			if !ok || g != float64(w) {
				t.Errorf("%s: %s = %v, want %d", label, col, got, w)
			}
		case time.Time:
			g, ok := got.(time.Time)
			if !ok || !g.Equal(w) {
				t.Errorf("%s: %s = %v, want %s", label, col, got, w.Format(time.DateOnly))
			}
		default:
			if fmt.Sprint(got) != fmt.Sprint(w) {
				t.Errorf("%s: %s = %v, want %v", label, col, got, w)
			}
		}
	}
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	}
	return 0, false
}

func rowAt(t *testing.T, rows []map[string]any, key, keyVal string, asOf time.Time) map[string]any {
	t.Helper()
	for _, r := range rows {
		if fmt.Sprint(r[key]) == keyVal && r["as_of"].(time.Time).Equal(asOf) {
			return r
		}
	}
	t.Fatalf("no row %s = %s, as_of %s", key, keyVal, asOf.Format(time.DateOnly))
	return nil
}

// TestEVMViewsEndToEnd imports the fixtures through the connectors (an ingest
// sync: msproject and jira-export sources, metrics.Refresh inside each run) and
// reads every view back.
func TestEVMViewsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	evmFixture(t, dir, allEVMFixtures...)
	cfg := syncAll(t, fmt.Sprintf(evmConfigTemplate, dir, ""), dir)
	db := published(t, cfg)
	evm := queryRows(t, db, `SELECT * FROM project_evm ORDER BY project_id, as_of`)
	if len(evm) != 5+1+3 {
		t.Fatalf("%d project_evm rows, want 5 clinic + 1 lab + 3 app", len(evm))
	}

	t.Run("clinic 2025-02-28 before the baseline start", func(t *testing.T) {
		// Nothing is scheduled before Mon 03-03: PV = 0, nothing earned or spent,
		// AT = 0. The reported EAC is the schedule's own cost, 1000+2000+1000+0 = 4000.
		checkRow(t, "02-28", rowAt(t, evm, "project_id", "clinic", day("2025-02-28")), map[string]any{
			"bac": 4000.0, "pv": 0.0, "ev": 0.0, "ac": 0.0, "sv": 0.0, "cv": 0.0,
			"spi":           null(metrics.ReasonBeforeStart),
			"cpi":           null(metrics.ReasonNothingYet),
			"sv_pct":        null(metrics.ReasonBeforeStart),
			"cv_pct":        null(metrics.ReasonEVZero),
			"eac_cpi":       null(metrics.ReasonNothingYet),
			"eac_atypical":  4000.0, // AC + BAC − EV = 0 + 4000 − 0
			"eac_cpi_spi":   null(metrics.ReasonNothingYet),
			"eac_bottom_up": 4000.0, "eac": 4000.0, "eac_method": "bottom_up",
			"etc": 4000.0, "vac": 0.0,
			"tcpi_bac": 1.0, // (4000 − 0) / (4000 − 0)
			"tcpi_eac": 1.0,
			"es_days":  0.0, "at_days": 0.0, "sv_t_days": 0.0, "pd_days": 14.0,
			"spi_t":           null(metrics.ReasonATZero),
			"tspi":            1.0, // (14 − 0) / (14 − 0)
			"ieac_t_days":     null(metrics.ReasonATZero),
			"forecast_finish": null(metrics.ReasonATZero),
			"baseline_start":  day("2025-03-03"),
			// SPI and CPI cannot be rated; EAC = 100 % of BAC is green.
			"rag": "green", "calendar": "project", "as_of_source": "status_date", "source": "msproject", "currency": "USD",
			"tasks_counted": 4, "tasks_without_baseline": 0,
		})
	})

	t.Run("clinic 2025-03-05 AC = 0 with work earned", func(t *testing.T) {
		// Wed 03-05 is working day 3: PV = 600. Design is 40 % done: EV = 0.4 × 1000 =
		// 400, no actual cost booked yet.
		checkRow(t, "03-05", rowAt(t, evm, "project_id", "clinic", day("2025-03-05")), map[string]any{
			"pv": 600.0, "ev": 400.0, "ac": 0.0, "sv": -200.0, "cv": 400.0,
			"spi":          400.0 / 600,
			"cpi":          null(metrics.ReasonACZero),
			"sv_pct":       -200.0 / 600,
			"cv_pct":       1.0, // CV / EV = 400 / 400
			"eac_cpi":      null(metrics.ReasonACZero),
			"eac_atypical": 3600.0, // 0 + 4000 − 400
			"eac_cpi_spi":  null(metrics.ReasonACZero),
			"eac_weighted": null(metrics.ReasonACZero),
			"eac":          4000.0, "etc": 4000.0, "vac": 0.0,
			"tcpi_bac": 0.9, // (4000 − 400) / (4000 − 0)
			"tcpi_eac": 0.9, // (4000 − 400) / (4000 − 0)
			// EV 400 = PV of day 2, so ES = 2 + (400 − 400)/(600 − 400) = 2; AT = 3.
			"es_days": 2.0, "at_days": 3.0, "sv_t_days": -1.0, "spi_t": 2.0 / 3,
			"tspi":        12.0 / 11, // (14 − 2) / (14 − 3)
			"ieac_t_days": 21.0,      // 14 / (2/3)
			// Working day 21: day 14 is Fri 03-21, 15–19 are 03-24 – 03-28, 20 is Mon
			// 03-31, 21 is Tue 04-01.
			"forecast_finish": day("2025-04-01"),
			"es_date":         day("2025-03-04"),
			"rag":             "red", // SPI 0.667 < 0.90
			"pct_scheduled":   0.15,  // 600 / 4000
			"pct_complete":    0.1,   // 400 / 4000
			"pct_spent":       0.0,
		})
	})

	t.Run("clinic 2025-03-13 time-phased baseline and physical % complete", func(t *testing.T) {
		// Thu 03-13 is working day 8 (the 12th is a holiday): PV = 2200.
		// EV: Design 1000 (100 %); Build 50 % earned along its time-phased baseline:
		// half of its 4 working days is Mon + Tue = 200 + 400 = 600 (not 0.5 × 2000);
		// Test by physical % complete 0 → 0. EV = 1600.
		// AC: 1100 + 900 + 0 + 0 + 100 (the unbaselined training) = 2100.
		// Bottom-up EAC: leaf Cost 1100 + 2200 + 1000 + 0 + 500 = 4800.
		const cpi, spi = 1600.0 / 2100, 1600.0 / 2200
		checkRow(t, "03-13", rowAt(t, evm, "project_id", "clinic", day("2025-03-13")), map[string]any{
			"bac": 4000.0, "pv": 2200.0, "ev": 1600.0, "ac": 2100.0, "sv": -600.0, "cv": -500.0,
			"spi": spi, "cpi": cpi, "sv_pct": -600.0 / 2200, "cv_pct": -500.0 / 1600,
			"eac_cpi":      5250.0, // 4000 / (1600/2100) = 4000 × 2100 / 1600
			"eac_atypical": 4500.0, // 2100 + 4000 − 1600
			// 2100 + 2400 / (CPI × SPI) = 2100 + 2400 × 2100 × 2200 / 1600² = 2100 + 4331.25
			"eac_cpi_spi": 6431.25,
			// 0.8 × 16/21 + 0.2 × 8/11 = 174.4/231; 2100 + 2400 × 231 / 174.4
			"eac_weighted":  2100 + 2400*231/174.4,
			"eac_bottom_up": 4800.0, "eac": 4800.0, "etc": 2700.0, "vac": -800.0, "vac_pct": -0.2,
			"tcpi_bac": 2400.0 / 1900, // (4000 − 1600) / (4000 − 2100)
			"tcpi_eac": 2400.0 / 2700, // (4000 − 1600) / (4800 − 2100)
			// EV 1600 = PV of day 7 exactly: ES = 7; AT = 8.
			"es_days": 7.0, "at_days": 8.0, "sv_t_days": -1.0, "spi_t": 7.0 / 8,
			"tspi":            7.0 / 6,           // (14 − 7) / (14 − 8)
			"ieac_t_days":     16.0,              // 14 / 0.875
			"forecast_finish": day("2025-03-25"), // working day 16: Tue 03-25
			"es_date":         day("2025-03-11"), // working day 7
			// SPI 0.727 and CPI 0.762 below 0.90, EAC 120 % of BAC: red. TCPI(EAC) −
			// CPI = 0.889 − 0.762 = 0.127 > 0.10: the EAC is flagged as unrealistic.
			"rag": "red", "rag_flags": metrics.FlagUnrealisticEAC,
			"tasks_counted": 4, "tasks_without_baseline": 1, "cost_without_baseline": 500.0, "ac_without_baseline": 100.0,
		})
	})

	t.Run("clinic 2025-03-21 planned duration elapsed", func(t *testing.T) {
		// Fri 03-21 is day 14 = PD: PV = BAC = 4000. EV = 1000 + 2000 + 0.6 × 1000
		// (physical 60 %, although % complete says 80) = 3600.
		// AC = 1100 + 2300 + 700 + 0 + 300 = 4400. Bottom-up 1100 + 2300 + 1100 + 0 + 500 = 5000.
		checkRow(t, "03-21", rowAt(t, evm, "project_id", "clinic", day("2025-03-21")), map[string]any{
			"pv": 4000.0, "ev": 3600.0, "ac": 4400.0, "spi": 0.9, "cpi": 3600.0 / 4400,
			"eac_cpi":     4000 * 4400.0 / 3600,
			"eac_cpi_spi": 4400 + 400/(3600.0/4400*0.9),
			// 0.8 × 9/11 + 0.2 × 0.9 = 9.18/11; 4400 + 400 × 11 / 9.18
			"eac_weighted": 4400 + 400*11/9.18,
			"eac":          5000.0, "etc": 600.0, "vac": -1000.0,
			"tcpi_bac": null(metrics.ReasonTargetExhausted), // AC 4400 ≥ BAC 4000
			"tcpi_eac": 400.0 / 600,                         // (4000 − 3600) / (5000 − 4400)
			// EV 3600 = PV of day 12: ES = 12; AT = 14.
			"es_days": 12.0, "at_days": 14.0, "sv_t_days": -2.0, "spi_t": 12.0 / 14,
			"tspi":            null(metrics.ReasonPDElapsed),
			"ieac_t_days":     14 / (12.0 / 14),  // 16.33
			"forecast_finish": day("2025-03-26"), // working day 17
			// SPI 0.90 is amber, CPI 0.818 red, EAC 125 % of BAC red.
			"rag": "red",
		})
	})

	t.Run("clinic 2025-03-28 EV = BAC", func(t *testing.T) {
		// Every baselined task is done: EV = BAC = 4000, so ES clamps to PD = 14;
		// AT = 14 + 5 = 19. AC = 1100 + 2300 + 1200 + 0 + 500 = 5100 = bottom-up.
		checkRow(t, "03-28", rowAt(t, evm, "project_id", "clinic", day("2025-03-28")), map[string]any{
			"pv": 4000.0, "ev": 4000.0, "ac": 5100.0, "spi": 1.0, "cpi": 4000.0 / 5100,
			"eac_cpi":      5100.0, // 4000 / (4000/5100)
			"eac_atypical": 5100.0, // 5100 + 4000 − 4000
			"eac_cpi_spi":  5100.0, // no work remains: AC
			"eac_weighted": 5100.0,
			"eac":          5100.0, "etc": 0.0, "vac": -1100.0,
			"tcpi_bac": null(metrics.ReasonNoWorkRemaining),
			"tcpi_eac": null(metrics.ReasonNoWorkRemaining),
			"es_days":  14.0, "at_days": 19.0, "sv_t_days": -5.0, "spi_t": 14.0 / 19,
			"tspi":            null(metrics.ReasonScheduleComplete),
			"ieac_t_days":     19.0,              // 14 / (14/19)
			"forecast_finish": day("2025-03-28"), // working day 19
			"es_date":         day("2025-03-21"),
			// SPI 1.0 green; CPI 0.784 red.
			"rag": "red",
		})
	})

	t.Run("lab 2025-03-13 in EUR", func(t *testing.T) {
		// Thu 03-13 is working day 9 of the lab's Mon–Fri calendar: PV = 9 × 100 = 900.
		// EV = 0.5 × 1000 = 500, AC = 600; bottom-up 1100 + 0 = 1100.
		checkRow(t, "lab", rowAt(t, evm, "project_id", "lab", day("2025-03-13")), map[string]any{
			"currency": "EUR", "bac": 1000.0, "pv": 900.0, "ev": 500.0, "ac": 600.0,
			"eac_cpi": 1200.0, // 1000 / (500/600)
			"eac":     1100.0, "es_days": 5.0, "at_days": 9.0, "pd_days": 10.0,
		})
	})

	t.Run("AgileEVM project", func(t *testing.T) {
		// Plan: BAC 100,000, PRP 100 points, PS 5 sprints of 14 days from Mon
		// 2026-03-02; sprint ends Sun 03-15 and Sun 03-29; the latest Jira activity is
		// Wed 04-01 (AG-4 updated), which is 31 days after the start: 2 whole sprints.
		// Points done: AG-1 (10) on 03-10; AG-3 (15) was done 03-12 but reopened 03-14;
		// AG-2 (20) on 03-25. The sub-task and the Epic do not count.
		// Hours: 40 + 80 by 03-15, + 130 by 03-29, + 10 on 04-01; × 100/hour.
		want := []struct {
			asOf                 string
			source               string
			sprints, points      float64
			pv, ev, ac, spi, cpi float64
		}{
			// PV = n/5 × 100,000; EV = points/100 × 100,000.
			{"2026-03-15", "sprint_end", 1, 10, 20000, 10000, 12000, 0.5, 10000.0 / 12000},
			// The pmservices worked example: SV −10,000, CV +5,000.
			{"2026-03-29", "sprint_end", 2, 30, 40000, 30000, 25000, 0.75, 1.2},
			{"2026-04-01", "jira_activity", 2, 30, 40000, 30000, 26000, 0.75, 30000.0 / 26000},
		}
		for _, w := range want {
			checkRow(t, "app "+w.asOf, rowAt(t, evm, "project_id", "app", day(w.asOf)), map[string]any{
				"source": "jira", "as_of_source": w.source, "sprints_done": w.sprints, "points_done": w.points,
				"bac": 100000.0, "pv": w.pv, "ev": w.ev, "ac": w.ac, "spi": w.spi, "cpi": w.cpi,
				"agile_ppc": w.sprints / 5, "agile_apc": w.points / 100, "sprints_forecast": 5 / w.spi,
				"es_days": null(metrics.ReasonAgileNoSchedule), "forecast_finish": null(metrics.ReasonAgileNoSchedule),
				"eac_bottom_up": null(metrics.ReasonNoBottomUp), "eac_method": "cpi",
			})
		}
	})

	t.Run("portfolio and program roll-ups", func(t *testing.T) {
		port := queryRows(t, db, `SELECT * FROM portfolio_evm ORDER BY portfolio, as_of`)
		// Hospital reports on every clinic and lab date; the lab converts at 1.1 USD/EUR.
		// 03-05: the lab has not started; clinic alone (AC 0: CPI undefined).
		checkRow(t, "Hospital 03-05", rowAt(t, port, "portfolio", "Hospital", day("2025-03-05")), map[string]any{
			"currency": "USD", "bac": 4000.0, "pv": 600.0, "ev": 400.0, "ac": 0.0, "cpi": null(metrics.ReasonACZero),
			"projects_included": 1, "projects_carried": 0, "projects_excluded": 0,
		})
		// 03-13: clinic 4000/2200/1600/2100 + lab 1.1 × (1000/900/500/600) = 1100/990/550/660.
		checkRow(t, "Hospital 03-13", rowAt(t, port, "portfolio", "Hospital", day("2025-03-13")), map[string]any{
			"bac": 5100.0, "pv": 3190.0, "ev": 2150.0, "ac": 2760.0,
			"spi": 2150.0 / 3190, "cpi": 2150.0 / 2760, // from the sums, never averaged
			"eac_cpi": 5250 + 1.1*1200, // Σ of the projects' BAC/CPI
			"eac":     4800 + 1.1*1100, // Σ reported (bottom-up) EACs = 6010
			"vac":     5100 - (4800 + 1.1*1100),
			"es_days": null(metrics.ReasonNotRolledUp), "eac_method": "sum_of_projects",
			"projects_included": 2, "projects_carried": 0,
		})
		// 03-21: clinic's 03-21 row + the lab's 03-13 row carried forward.
		checkRow(t, "Hospital 03-21", rowAt(t, port, "portfolio", "Hospital", day("2025-03-21")), map[string]any{
			"bac": 5100.0, "pv": 4000 + 990.0, "ev": 3600 + 550.0, "ac": 4400 + 660.0,
			"projects_included": 2, "projects_carried": 1,
		})
		if n := len(port); n != 5+3 {
			t.Errorf("%d portfolio rows, want 5 Hospital dates + 3 Digital", n)
		}
		prog := queryRows(t, db, `SELECT * FROM program_evm ORDER BY program, as_of`)
		checkRow(t, "Diagnostics", rowAt(t, prog, "program", "Diagnostics", day("2025-03-13")), map[string]any{
			"currency": "USD", "bac": 1100.0, "pv": 990.0, "ev": 550.0, "ac": 660.0, "cpi": 550.0 / 660,
		})
		checkRow(t, "Clinical", rowAt(t, prog, "program", "Clinical", day("2025-03-21")), map[string]any{
			"bac": 4000.0, "pv": 4000.0, "ev": 3600.0, "ac": 4400.0, "rag": "red",
		})
	})

	t.Run("project_health", func(t *testing.T) {
		h := queryRows(t, db, `SELECT * FROM project_health ORDER BY project_id`)
		if len(h) != 3 {
			t.Fatalf("%d project_health rows, want 3", len(h))
		}
		checkRow(t, "app", h[0], map[string]any{"as_of": day("2026-04-01"), "name": "Patient App", "portfolio": "Digital"})
		checkRow(t, "clinic", h[1], map[string]any{"as_of": day("2025-03-28"), "name": "Clinic Move", "program": "Clinical",
			"portfolio": "Hospital", "currency": "USD", "ev": 4000.0})
		checkRow(t, "lab", h[2], map[string]any{"as_of": day("2025-03-13"), "program": "Diagnostics", "currency": "EUR"})
	})

	t.Run("milestone_slips", func(t *testing.T) {
		ms := queryRows(t, db, `SELECT * FROM milestone_slips ORDER BY project_id, snapshot_date`)
		// Go-live: baseline Fri 03-21; forecast 03-21 until the 03-21 export moves it
		// to Wed 03-26: 3 working days late (Mon 24, Tue 25, Wed 26).
		wantSlip := map[string]float64{"2025-02-28": 0, "2025-03-05": 0, "2025-03-13": 0, "2025-03-21": 3, "2025-03-28": 3}
		n := 0
		for _, m := range ms {
			d := m["snapshot_date"].(time.Time).Format(time.DateOnly)
			switch m["project_id"] {
			case "clinic":
				n++
				checkRow(t, "Go-live "+d, m, map[string]any{"milestone": "Go-live", "task_uid": 4,
					"baseline_finish": day("2025-03-21"), "slip_days": wantSlip[d]})
			case "lab":
				// No name in the file: the WBS code stands in. Baseline Fri 03-14,
				// forecast Tue 03-18: 2 working days.
				checkRow(t, "lab milestone", m, map[string]any{"milestone": "2", "slip_days": 2.0,
					"forecast_finish": day("2025-03-18"), "finished": false})
			}
		}
		if n != 5 {
			t.Errorf("%d clinic milestone rows, want 5", n)
		}
	})

	t.Run("project_scope", func(t *testing.T) {
		sc := queryRows(t, db, `SELECT * FROM project_scope WHERE project_id = 'clinic' ORDER BY as_of`)
		// Reference: the 02-28 export (4 leaf tasks, baseline 4000). The training task
		// (no baseline) appears on 03-13.
		// BEI: due by the date / finished by it. Hit %: due in (previous as_of, as_of]
		// and finished by its baseline finish.
		want := []map[string]any{
			{"as_of": day("2025-02-28"), "tasks_added": 0, "bei": null(metrics.ReasonNoneDue), "hit_task_pct": null(metrics.ReasonNoneInPeriod)},
			{"as_of": day("2025-03-05"), "tasks_added": 0, "bei": null(metrics.ReasonNoneDue), "hit_period_start": day("2025-02-28")},
			// Design due 03-07, finished 03-07: BEI 1/1, hit 1/1.
			{"as_of": day("2025-03-13"), "tasks_added": 1, "tasks_without_baseline": 1, "bei": 1.0, "bei_due": 1, "hit_task_pct": 1.0},
			// Due: Design, Build (03-14), Test and Go-live (03-21); finished: Design,
			// Build (03-17, late). Hit: Build, Test, Go-live due, none on time.
			{"as_of": day("2025-03-21"), "tasks_added": 1, "bei": 0.5, "bei_finished": 2, "bei_due": 4, "hit_task_pct": 0.0, "hit_due": 3},
			// All four finished by 03-28; nothing was due in (03-21, 03-28].
			{"as_of": day("2025-03-28"), "bei": 1.0, "hit_task_pct": null(metrics.ReasonNoneInPeriod),
				"tasks_removed": 0, "baseline_cost": 4000.0, "baseline_cost_change": 0.0},
		}
		if len(sc) != len(want) {
			t.Fatalf("%d scope rows, want %d", len(sc), len(want))
		}
		for i, w := range want {
			checkRow(t, "scope "+w["as_of"].(time.Time).Format(time.DateOnly), sc[i], w)
		}
	})

	t.Run("earned-schedule forecasts", func(t *testing.T) {
		var p50 time.Time
		scanRow(t, db, `SELECT p50_date FROM forecasts WHERE method = 'earned_schedule' AND project_id = 'clinic' AND as_of = DATE '2025-03-13'`, nil, &p50)
		if !p50.Equal(day("2025-03-25")) {
			t.Errorf("forecasts copies forecast_finish %s, want 2025-03-25", p50.Format(time.DateOnly))
		}
	})
}

// TestEVMIncremental: a sync recomputes only what changed. New exports after a
// project's last one add rows; an export among the stored ones (a backfill)
// recomputes the project (its hit-task periods shift); an unchanged source
// recomputes nothing; a configuration change recomputes everything. Whatever the
// path, the tables equal those of one sync of the same files.
func TestEVMIncremental(t *testing.T) {
	dir := t.TempDir()
	yml := fmt.Sprintf(evmConfigTemplate, dir, "")
	step := func(files ...string) int64 {
		t.Helper()
		evmFixture(t, dir, files...)
		cfg, err := configsParse(yml, dir)
		if err != nil {
			t.Fatal(err)
		}
		return syncConfig(t, cfg, "schedules")[0].RunID
	}
	runs := func() map[string]int64 {
		t.Helper()
		cfg, _ := configsParse(yml, dir)
		out := map[string]int64{}
		for _, r := range queryRows(t, published(t, cfg), `SELECT project_id, as_of, run_id FROM project_evm`) {
			out[r["project_id"].(string)+" "+r["as_of"].(time.Time).Format(time.DateOnly)] = r["run_id"].(int64)
		}
		return out
	}
	expect := func(label string, want map[string]int64) {
		t.Helper()
		got := runs()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: rows computed by runs %v, want %v", label, got, want)
		}
	}
	r1 := step("clinic-move-2025-02-28.xml", "clinic-move-2025-03-13.xml", "lab-upgrade-2025-03-13.xml")
	expect("first sync", map[string]int64{"clinic 2025-02-28": r1, "clinic 2025-03-13": r1, "lab 2025-03-13": r1})
	r2 := step("clinic-move-2025-03-21.xml")
	expect("a newer export", map[string]int64{"clinic 2025-02-28": r1, "clinic 2025-03-13": r1, "clinic 2025-03-21": r2, "lab 2025-03-13": r1})
	r3 := step("clinic-move-2025-03-05.xml")
	expect("a backfilled export", map[string]int64{"clinic 2025-02-28": r3, "clinic 2025-03-05": r3, "clinic 2025-03-13": r3,
		"clinic 2025-03-21": r3, "lab 2025-03-13": r1})
	r4 := step("clinic-move-2025-03-28.xml")
	step()
	want := map[string]int64{"clinic 2025-02-28": r3, "clinic 2025-03-05": r3, "clinic 2025-03-13": r3,
		"clinic 2025-03-21": r3, "clinic 2025-03-28": r4, "lab 2025-03-13": r1}
	expect("unchanged source", want)
	cfg, _ := configsParse(yml, dir)
	health := queryRows(t, published(t, cfg), `SELECT project_id, as_of FROM project_health ORDER BY project_id`)
	if fmt.Sprint(health) != fmt.Sprint([]map[string]any{{"as_of": day("2025-03-28"), "project_id": "clinic"}, {"as_of": day("2025-03-13"), "project_id": "lab"}}) {
		t.Errorf("project_health after appends and a backfill: %v", health)
	}

	yml = fmt.Sprintf(evmConfigTemplate, dir, "  eac_weights: {cpi: 0.5}")
	r6 := step()
	for k := range want {
		want[k] = r6
	}
	expect("configuration change", want)
	cfg, _ = configsParse(yml, dir)
	db := published(t, cfg)
	// 0.5 × 16/21 + 0.5 × 8/11 = 172/231: eac_weighted = 2100 + 2400 × 231/172.
	checkRow(t, "re-weighted", rowAt(t, queryRows(t, db, `SELECT * FROM project_evm`), "project_id", "clinic", day("2025-03-13")),
		map[string]any{"eac_weighted": 2100 + 2400*231/172.0, "eac_weight_cpi": 0.5, "eac_weight_spi": 0.5})

	// One sync of the same files into a fresh warehouse gives the same tables.
	fresh := t.TempDir()
	evmFixture(t, fresh, allEVMFixtures[:6]...)
	cfgFresh, err := configsParse(fmt.Sprintf(evmConfigTemplate, fresh, "  eac_weights: {cpi: 0.5}"), fresh)
	if err != nil {
		t.Fatal(err)
	}
	syncConfig(t, cfgFresh, "schedules")
	dbFresh := published(t, cfgFresh)
	for _, q := range []string{
		`SELECT * EXCLUDE (computed_at, run_id, snapshot_id) FROM project_evm ORDER BY project_id, as_of`,
		`SELECT * EXCLUDE (snapshot_id) FROM milestone_slips ORDER BY project_id, snapshot_date, task_uid`,
		`SELECT * EXCLUDE (snapshot_id, reference_snapshot_id) FROM project_scope ORDER BY project_id, as_of`,
		`SELECT * EXCLUDE (computed_at, run_id) FROM portfolio_evm ORDER BY portfolio, as_of`,
	} {
		a, b := dumpCSV(t, db, q), dumpCSV(t, dbFresh, q)
		if string(a) != string(b) {
			t.Errorf("incremental and one-sync tables differ for %s:\n%s\nvs\n%s", q, a, b)
		}
	}
}

func configsParse(yml, dir string) (*configs.Config, error) {
	return configs.Parse([]byte(yml), "test.yaml", dir)
}
