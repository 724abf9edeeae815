package metrics

import (
	"math"
	"slices"
)

// EMV is the expected monetary value of a risk: probability (a fraction) × cost
// impact. pmlens's sign convention follows its cost fields: a positive impact is a
// cost (threat), a negative one a saving (opportunity), and EMV keeps the sign.
func EMV(probability, impact float64) Value { return Of(probability * impact) }

// Band is a risk level from the matrix.
type Band string

// Risk levels.
const (
	BandHigh   Band = "high"
	BandMedium Band = "medium"
	BandLow    Band = "low"
)

// RiskMatrix is a probability × impact lookup table held as data, so a PMO can use
// the DoD cell map, an L×C score with bands, or its own.
type RiskMatrix struct {
	// ProbabilityBounds are the upper bounds (fractions) of every level but the top:
	// level = 1 + the number of bounds below p. Default 0.2, 0.4, 0.6, 0.8 (the
	// AcqNotes anchors 10/30/50/70/90 % sit in the middle of each level).
	ProbabilityBounds []float64 `yaml:"probability_bounds"`
	// ImpactBounds are the upper bounds of every impact level but the top, in the
	// portfolio currency; empty means impacts must be given as levels.
	ImpactBounds []float64 `yaml:"impact_bounds"`
	// Bands[p-1][i-1] is the band of probability level p and impact level i.
	Bands [][]Band `yaml:"bands"`
}

// DefaultRiskMatrix is the common 5×5 matrix banded on the score L × C: 1–4 low,
// 5–12 medium, 15–25 high.
func DefaultRiskMatrix() RiskMatrix {
	m := RiskMatrix{ProbabilityBounds: []float64{0.2, 0.4, 0.6, 0.8}}
	m.Bands = make([][]Band, 5)
	for p := 1; p <= 5; p++ {
		m.Bands[p-1] = make([]Band, 5)
		for i := 1; i <= 5; i++ {
			switch s := p * i; {
			case s >= 15:
				m.Bands[p-1][i-1] = BandHigh
			case s >= 5:
				m.Bands[p-1][i-1] = BandMedium
			default:
				m.Bands[p-1][i-1] = BandLow
			}
		}
	}
	return m
}

// ProbabilityLevels and ImpactLevels are the matrix dimensions.
func (m RiskMatrix) ProbabilityLevels() int { return len(m.Bands) }

// ImpactLevels is the number of impact levels.
func (m RiskMatrix) ImpactLevels() int {
	if len(m.Bands) == 0 {
		return 0
	}
	return len(m.Bands[0])
}

// Validate reports a configuration error, naming the key.
func (m RiskMatrix) Validate() error {
	np := len(m.Bands)
	if np == 0 {
		return errorf("risk_matrix.bands: empty")
	}
	ni := len(m.Bands[0])
	for p, row := range m.Bands {
		if len(row) != ni || ni == 0 {
			return errorf("risk_matrix.bands: row %d has %d cells, row 1 has %d", p+1, len(row), ni)
		}
		for i, b := range row {
			if b != BandHigh && b != BandMedium && b != BandLow {
				return errorf("risk_matrix.bands[%d][%d]: %q is not high, medium or low", p+1, i+1, b)
			}
		}
	}
	if len(m.ProbabilityBounds) != 0 && len(m.ProbabilityBounds) != np-1 {
		return errorf("risk_matrix.probability_bounds: %d bounds for %d levels (need %d)", len(m.ProbabilityBounds), np, np-1)
	}
	if len(m.ImpactBounds) != 0 && len(m.ImpactBounds) != ni-1 {
		return errorf("risk_matrix.impact_bounds: %d bounds for %d levels (need %d)", len(m.ImpactBounds), ni, ni-1)
	}
	for name, b := range map[string][]float64{"probability_bounds": m.ProbabilityBounds, "impact_bounds": m.ImpactBounds} {
		for k := 1; k < len(b); k++ {
			if !(b[k] > b[k-1]) {
				return errorf("risk_matrix.%s: bounds must increase (%g then %g)", name, b[k-1], b[k])
			}
		}
	}
	return nil
}

// level maps x onto 1 + the number of bounds strictly below it.
func level(bounds []float64, x float64) (int, bool) {
	if len(bounds) == 0 || math.IsNaN(x) {
		return 0, false
	}
	n, _ := slices.BinarySearch(bounds, x) // index of first bound >= x
	return n + 1, true
}

// ProbabilityLevel maps a probability fraction to its level; false when the matrix
// has no probability bounds.
func (m RiskMatrix) ProbabilityLevel(p float64) (int, bool) { return level(m.ProbabilityBounds, p) }

// ImpactLevel maps a cost impact (its magnitude) to its level; false when the matrix
// has no impact bounds.
func (m RiskMatrix) ImpactLevel(cost float64) (int, bool) {
	return level(m.ImpactBounds, math.Abs(cost))
}

// Classify returns the band of a cell; false when a level is outside the matrix.
func (m RiskMatrix) Classify(probabilityLevel, impactLevel int) (Band, bool) {
	if probabilityLevel < 1 || probabilityLevel > m.ProbabilityLevels() || impactLevel < 1 || impactLevel > m.ImpactLevels() {
		return "", false
	}
	return m.Bands[probabilityLevel-1][impactLevel-1], true
}

// Reason a coverage ratio is undefined.
const ReasonNoExposure = "no net threat exposure: open risks' EMV sums to zero or less"

// ContingencyNeeded is Σ EMV of the risks to cover: the reserve that funds their
// expected cost, net of opportunities.
func ContingencyNeeded(emvs []float64) float64 {
	total := 0.0
	for _, e := range emvs {
		total += e
	}
	return total
}

// CoverageRatio is contingency ÷ Σ EMV of open risks; below 1 the reserve does not
// cover the expected cost of the risks still open.
func CoverageRatio(contingency float64, emvs []float64) Value {
	need := ContingencyNeeded(emvs)
	if !(need > 0) {
		return Null(ReasonNoExposure)
	}
	return Of(contingency / need)
}
