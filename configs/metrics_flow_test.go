package configs

import (
	"strings"
	"testing"
)

func TestFlowMetricsDefaults(t *testing.T) {
	cfg, err := Parse([]byte("warehouse: {path: x.duckdb}\n"), "test.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := cfg.Metrics.Flow
	if f.Trials != 10000 || f.WindowWeeks != 12 || f.MaxWeeks != 520 || f.Seed != 0 || !f.UseBoardColumns() ||
		len(f.ExcludeIssueTypes) != 1 || len(f.ForecastScopes) != 3 || len(f.ItemsHorizonsWeeks) != 4 {
		t.Errorf("defaults: %+v", f)
	}
	// Code-built configurations get the same defaults.
	if g := (FlowMetrics{}).WithDefaults(); g.Trials != f.Trials || g.WindowWeeks != f.WindowWeeks {
		t.Errorf("WithDefaults: %+v", g)
	}
}

func TestFlowMetricsOverrides(t *testing.T) {
	yml := `warehouse: {path: x.duckdb}
metrics:
  flow:
    trials: 2000
    seed: 20261120
    window_weeks: 26
    board_columns: false
    statuses: {"Ready for Release": done, "In Review": in_progress}
    exclude_issue_types: []
    forecast_scopes: [project]
`
	cfg, err := Parse([]byte(yml), "test.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := cfg.Metrics.Flow
	ov := f.StatusOverrides()
	if f.Trials != 2000 || f.Seed != 20261120 || f.WindowWeeks != 26 || f.UseBoardColumns() || ov["ready for release"] != FlowDone ||
		len(f.ExcludeIssueTypes) != 0 || !f.HasScope(ForecastScopeProject) || f.HasScope(ForecastScopeEpic) {
		t.Errorf("overrides: %+v (statuses %v)", f, ov)
	}
}

func TestFlowMetricsBadValuesNameKeyAndLine(t *testing.T) {
	yml := `warehouse: {path: x.duckdb}
metrics:
  flow:
    trials: 10
    window_weeks: -1
    statuses: {"Blocked": waiting, "QA": done, "qa": done}
    forecast_scopes: [project, sprint]
    items_horizons_weeks: [0]
`
	_, err := Parse([]byte(yml), "test.yaml", t.TempDir())
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	for _, w := range []string{
		"test.yaml:4: metrics.flow.trials", "between 100 and 1,000,000",
		"test.yaml:5: metrics.flow.window_weeks",
		"metrics.flow.statuses.Blocked", `"waiting"`,
		"name the same status",
		"metrics.flow.forecast_scopes[1]", `"sprint"`,
		"metrics.flow.items_horizons_weeks[0]",
	} {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q lacks %q", msg, w)
		}
	}
}
