package configs

import (
	"strings"
	"testing"
)

func TestRiskMetricsDefaults(t *testing.T) {
	cfg, err := Parse([]byte("warehouse: {path: x.duckdb}\n"), "test.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Metrics.Risk
	if len(r.ProbabilityLevels) != 5 || len(r.ImpactLevels) != 5 || len(r.Bands) != 5 || r.ImpactBasis != ImpactBasisCost {
		t.Fatalf("defaults: %+v", r)
	}
	// Bands on L × C: 1–4 low, 5–12 medium, 15–25 high.
	for p := 1; p <= 5; p++ {
		for i := 1; i <= 5; i++ {
			want := RiskBandLow
			if s := p * i; s >= 15 {
				want = RiskBandHigh
			} else if s >= 5 {
				want = RiskBandMedium
			}
			if got := r.Bands[p-1][i-1]; got != want {
				t.Errorf("band P%d × I%d = %s, want %s", p, i, got, want)
			}
		}
	}
	if got := RiskLevelBounds(r.ProbabilityLevels); len(got) != 4 || got[0] != 0.2 || got[3] != 0.8 {
		t.Errorf("probability bounds %v", got)
	}
	if p := r.ProbabilityLevels[2].Probability; p == nil || *p != 0.5 {
		t.Errorf("a rating of 3 stands for %v, want 0.5", p)
	}
}

func TestRiskMetricsCustomMatrix(t *testing.T) {
	yml := `warehouse: {path: x.duckdb}
metrics:
  risk:
    impact_basis: budget_share
    probability_levels:
      - {label: Low, max: 0.25}
      - {label: Medium, max: 0.6}
      - {label: High}
`
	cfg, err := Parse([]byte(yml), "test.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Metrics.Risk
	// Budget-share impact levels by default, bands scaled to 3 × 5, a rating's
	// probability in the middle of its level: (0 + .25)/2, (.25 + .6)/2, (.6 + 1)/2.
	if len(r.ImpactLevels) != 5 || *r.ImpactLevels[0].Max != 0.01 || len(r.Bands) != 3 || len(r.Bands[0]) != 5 {
		t.Fatalf("custom matrix defaults: %+v", r)
	}
	for k, want := range []float64{0.125, 0.425, 0.8} {
		if got := *r.ProbabilityLevels[k].Probability; got < want-1e-12 || got > want+1e-12 {
			t.Errorf("level %d probability %g, want %g", k+1, got, want)
		}
	}
}

func TestRiskMetricsBadValuesNameKeyAndLine(t *testing.T) {
	cases := []struct {
		name, yml string
		want      []string
	}{
		{"probability as percent", `metrics:
  risk:
    probability_levels:
      - {max: 20}
      - {}
`, []string{"test.yaml:5", "metrics.risk.probability_levels[0].max", "fraction below 1"}},
		{"bounds not increasing", `metrics:
  risk:
    impact_levels:
      - {max: 50000}
      - {max: 10000}
      - {}
    bands: [[low, low, high], [low, high, high], [high, high, high], [high, high, high], [high, high, high]]
`, []string{"metrics.risk.impact_levels[1].max", "above the level below"}},
		{"top level with max, bad band, bad basis", `metrics:
  risk:
    impact_basis: euros
    probability_levels:
      - {max: 0.5}
      - {max: 0.9}
    bands: [[low, severe, high], [low, low, low]]
`, []string{"metrics.risk.probability_levels[1].max", "top level", "metrics.risk.impact_basis", `"euros"`, "metrics.risk.bands[0]"}},
		{"band of the wrong width", `metrics:
  risk:
    bands: [[low], [low], [low], [low], [low]]
`, []string{"metrics.risk.bands[0]", "one per impact level (5)"}},
		{"probability on an impact level", `metrics:
  risk:
    impact_levels:
      - {max: 1000, probability: 0.5}
      - {}
    bands: [[low, low], [low, low], [low, low], [low, low], [low, low]]
`, []string{"metrics.risk.impact_levels[0].probability", "only probability levels"}},
		{"unknown key", `metrics:
  risk:
    levels: 5
`, []string{"test.yaml:4", "metrics.risk.levels", "unknown key"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte("warehouse: {path: x.duckdb}\n"+c.yml), "test.yaml", t.TempDir())
			if err == nil {
				t.Fatal("accepted")
			}
			// Lines count the warehouse line prepended here.
			msg := strings.ReplaceAll(err.Error(), "\n", " | ")
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}
