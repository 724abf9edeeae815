package configs

import (
	"strings"
	"testing"
)

func TestEVMMetricsDefaults(t *testing.T) {
	cfg, err := Parse([]byte("warehouse: {path: x.duckdb}\n"), "test.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Metrics
	if c, s := m.EACWeights.Values(); c != 0.8 || s != 0.2 {
		t.Errorf("eac_weights default %g/%g, want 0.8/0.2", c, s)
	}
	if m.ReportedEAC != ReportedEACBottomUpElseCPI || m.ZeroConvention != ZeroConventionNull {
		t.Errorf("reported_eac %q, zero_convention %q", m.ReportedEAC, m.ZeroConvention)
	}
	r := m.RAG.For("any portfolio")
	if *r.SPI != (RAGThresholds{Green: 0.95, Amber: 0.90}) || *r.CPI != (RAGThresholds{Green: 0.95, Amber: 0.90}) ||
		r.ScheduleIndex != "spi" || *r.EACRedAbove != 1.05 || *r.EACAmberAbove != 0 || *r.TCPIGap != 0.10 ||
		*r.TCPIGapAbsolute || *r.UnrealisticEAC != "" {
		t.Errorf("default RAG rules: %+v", r)
	}
}

func TestEVMMetricsOverrides(t *testing.T) {
	yml := `warehouse: {path: x.duckdb}
metrics:
  eac_weights: {cpi: 0.5}
  reported_eac: cpi_spi
  zero_convention: microfocus
  rag:
    cpi: {green: 0.97, amber: 0.92}
    schedule_index: spi_t
    portfolios:
      Research IT:
        spi: {green: 0.90, amber: 0.80}
        unrealistic_eac: red
  agile:
    projects:
      portal:
        release_budget: 100000
        planned_points: 100
        planned_sprints: 5
        sprint_days: 14
        start: 2026-01-12
        hourly_rate: 90
`
	cfg, err := Parse([]byte(yml), "test.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Metrics
	// One weight given: the other is 1 − it.
	if c, s := m.EACWeights.Values(); c != 0.5 || s != 0.5 {
		t.Errorf("eac_weights %g/%g, want 0.5/0.5", c, s)
	}
	if m.ReportedEAC != ReportedEACCPISPI || m.ZeroConvention != ZeroConventionMicroFocus {
		t.Errorf("reported_eac %q, zero_convention %q", m.ReportedEAC, m.ZeroConvention)
	}
	// Another portfolio gets metrics.rag over the defaults.
	base := m.RAG.For("Hospital IT")
	if *base.CPI != (RAGThresholds{Green: 0.97, Amber: 0.92}) || *base.SPI != (RAGThresholds{Green: 0.95, Amber: 0.90}) ||
		base.ScheduleIndex != "spi_t" || *base.UnrealisticEAC != "" {
		t.Errorf("metrics.rag rules: %+v", base)
	}
	// Research IT overrides SPI and the flag colour and inherits the rest from metrics.rag.
	r := m.RAG.For("Research IT")
	if *r.SPI != (RAGThresholds{Green: 0.90, Amber: 0.80}) || *r.CPI != (RAGThresholds{Green: 0.97, Amber: 0.92}) ||
		r.ScheduleIndex != "spi_t" || *r.UnrealisticEAC != "red" || *r.EACRedAbove != 1.05 {
		t.Errorf("Research IT rules: %+v", r)
	}
	// Inheritance never writes through to the shared rules.
	if *m.RAG.For("Hospital IT").SPI != (RAGThresholds{Green: 0.95, Amber: 0.90}) {
		t.Error("a portfolio override leaked into metrics.rag")
	}
	plan, ok := m.Agile.Plan("portal", nil)
	if !ok || plan.PlannedSprints != 5 || plan.HourlyRate != 90 {
		t.Errorf("agile plan %+v %v", plan, ok)
	}
	// metrics.agile wins over projects[].agile; projects[].agile is the fallback.
	own := &Agile{ReleaseBudget: 1, PlannedPoints: 1, PlannedSprints: 1, HourlyRate: 1}
	if p, _ := m.Agile.Plan("portal", []Project{{ID: "portal", Agile: own}}); p.PlannedSprints != 5 {
		t.Errorf("metrics.agile should win: %+v", p)
	}
	if p, ok := m.Agile.Plan("other", []Project{{ID: "other", Agile: own}}); !ok || p != *own {
		t.Errorf("projects[].agile fallback: %+v %v", p, ok)
	}
}

func TestEVMMetricsRejects(t *testing.T) {
	for _, tc := range []struct {
		name, yml, want string
	}{
		{"weights not summing to 1", "eac_weights: {cpi: 0.7, spi: 0.7}", "metrics.eac_weights: the weights must sum to 1"},
		{"negative weight", "eac_weights: {cpi: -0.2}", "metrics.eac_weights.cpi: a weight must be between 0 and 1"},
		{"unknown reported EAC", "reported_eac: average", `metrics.reported_eac: "average" is not one of`},
		{"unknown convention", "zero_convention: one", `metrics.zero_convention: "one" is not one of null, microfocus`},
		{"amber above green", "rag: {spi: {green: 0.9, amber: 0.95}}", "metrics.rag.spi: need 0 < amber <= green"},
		{"schedule index", "rag: {schedule_index: cpi}", `metrics.rag.schedule_index: "cpi" is not one of spi, spi_t`},
		{"amber band above red", "rag: {eac_amber_above: 1.2}", "metrics.rag.eac_amber_above: must be 0"},
		{"zero gap", "rag: {tcpi_gap: 0}", "metrics.rag.tcpi_gap: must be positive"},
		{"flag colour", "rag: {unrealistic_eac: purple}", `metrics.rag.unrealistic_eac: "purple" is not one of`},
		{"portfolio rule", "rag: {portfolios: {Finance: {cpi: {green: 0.5, amber: 0.6}}}}", "metrics.rag.portfolios.Finance.cpi: need 0 < amber <= green"},
		{"unknown rag key", "rag: {spi_green: 0.9}", "metrics.rag.spi_green: unknown key"},
		{"agile budget", "agile: {projects: {p: {planned_points: 1, planned_sprints: 1, hourly_rate: 1}}}", "metrics.agile.projects.p.release_budget: must be positive"},
		{"agile sprints", "agile: {projects: {p: {release_budget: 1, planned_points: 1, hourly_rate: 1}}}", "metrics.agile.projects.p.planned_sprints: must be at least 1"},
		{"agile start without sprint length", "agile: {projects: {p: {release_budget: 1, planned_points: 1, planned_sprints: 2, start: 2026-01-05, hourly_rate: 1}}}", "metrics.agile.projects.p.start: give start and sprint_days together"},
		{"agile bad start", "agile: {projects: {p: {release_budget: 1, planned_points: 1, planned_sprints: 2, sprint_days: 14, start: 5/1/2026, hourly_rate: 1}}}", `metrics.agile.projects.p.start: start "5/1/2026" is not a date`},
		{"agile no cost basis", "agile: {projects: {p: {release_budget: 1, planned_points: 1, planned_sprints: 2}}}", "metrics.agile.projects.p.hourly_rate: give hourly_rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yml := "warehouse: {path: x.duckdb}\nmetrics:\n  " + tc.yml + "\n"
			_, err := Parse([]byte(yml), "test.yaml", t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			// Every problem names the line of its key (the metrics block is line 2+).
			if !strings.Contains(err.Error(), "test.yaml:") {
				t.Errorf("error %v does not name a line", err)
			}
		})
	}
}
