package metrics

import "testing"

func TestDefaultRiskMatrix(t *testing.T) {
	m := DefaultRiskMatrix()
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p, i int
		want Band
	}{
		{1, 4, BandLow},    // score 4
		{1, 5, BandMedium}, // 5
		{3, 4, BandMedium}, // 12
		{3, 5, BandHigh},   // 15
		{5, 5, BandHigh},   // 25
		{2, 2, BandLow},    // 4
	} {
		if got, ok := m.Classify(c.p, c.i); !ok || got != c.want {
			t.Errorf("cell %d×%d = %q, want %q", c.p, c.i, got, c.want)
		}
	}
	if _, ok := m.Classify(6, 1); ok {
		t.Error("level 6 classified")
	}
	// Probability bounds 0.2/0.4/0.6/0.8: 0.2 is level 1, 0.21 level 2, 0.9 level 5.
	for p, want := range map[float64]int{0.05: 1, 0.2: 1, 0.21: 2, 0.5: 3, 0.8: 4, 0.9: 5, 1: 5} {
		if got, ok := m.ProbabilityLevel(p); !ok || got != want {
			t.Errorf("P %g → level %d, want %d", p, got, want)
		}
	}
	if _, ok := m.ImpactLevel(1000); ok {
		t.Error("impact level without bounds")
	}
	m.ImpactBounds = []float64{10000, 50000, 100000, 250000}
	if got, _ := m.ImpactLevel(-60000); got != 3 {
		t.Errorf("impact 60k (an opportunity's magnitude) → %d, want 3", got)
	}
}

func TestRiskMatrixValidate(t *testing.T) {
	bad := map[string]RiskMatrix{
		"empty":       {},
		"ragged":      {Bands: [][]Band{{BandLow, BandLow}, {BandLow}}},
		"band name":   {Bands: [][]Band{{"severe"}}},
		"bounds":      {ProbabilityBounds: []float64{0.5}, Bands: [][]Band{{BandLow}}},
		"not sorted":  {ProbabilityBounds: []float64{0.5, 0.4}, Bands: [][]Band{{BandLow}, {BandLow}, {BandLow}}},
		"impact size": {ImpactBounds: []float64{1, 2}, Bands: [][]Band{{BandLow, BandHigh}}},
	}
	for name, m := range bad {
		if err := m.Validate(); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestCoverageRatio(t *testing.T) {
	// Open threats 40,000 + 12,000 EMV, an opportunity −2,000: net 50,000. A reserve of
	// 120,000 covers it 2.4 times.
	near(t, "coverage", CoverageRatio(120000, []float64{40000, 12000, -2000}), 2.4)
	null(t, "no exposure", CoverageRatio(120000, []float64{-5000}), ReasonNoExposure)
	null(t, "no risks", CoverageRatio(120000, nil), ReasonNoExposure)
}
