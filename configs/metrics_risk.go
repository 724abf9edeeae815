package configs

import (
	"fmt"
	"math"
)

// Impact bases: what an impact level's max is compared with.
const (
	// ImpactBasisCost compares a risk's cost impact, converted to the portfolio
	// currency (metrics.currency, metrics.rates), with each level's max.
	ImpactBasisCost = "cost"
	// ImpactBasisBudgetShare compares the cost impact as a fraction of the project's
	// budget with each level's max, so one matrix fits projects of any size.
	ImpactBasisBudgetShare = "budget_share"
)

// Risk bands a matrix cell can hold.
const (
	RiskBandHigh   = "high"
	RiskBandMedium = "medium"
	RiskBandLow    = "low"
)

// RiskMetrics configures risk scoring: the probability × impact matrix, held as
// data so a PMO can reproduce the matrix its governance already uses.
//
//	metrics:
//	  risk:
//	    probability_levels:            # lowest first; max is an inclusive upper bound (fraction)
//	      - {label: Rare, max: 0.2, probability: 0.1}
//	      - ...
//	      - {label: Almost certain, probability: 0.9}   # the top level has no max
//	    impact_basis: cost             # cost (portfolio currency) | budget_share
//	    impact_levels:
//	      - {label: Minimal, max: 10000}
//	      - ...
//	      - {label: Severe}
//	    bands:                         # one row per probability level, one band per impact level
//	      - [low, low, low, low, medium]
//	      - ...
type RiskMetrics struct {
	// ProbabilityLevels are the matrix's probability levels, lowest first. A risk's
	// level is the first whose max is at least its probability.
	ProbabilityLevels []RiskLevel `yaml:"probability_levels"`
	// ImpactLevels are the impact levels, lowest first; max is compared with the
	// magnitude of the cost impact (see ImpactBasis). A risk with no cost impact
	// keeps the 1–n impact rating its source gave it.
	ImpactLevels []RiskLevel `yaml:"impact_levels"`
	// ImpactBasis is "cost" (default) or "budget_share".
	ImpactBasis string `yaml:"impact_basis"`
	// Bands[p-1][i-1] is the band (high, medium, low) of probability level p and
	// impact level i.
	Bands [][]string `yaml:"bands"`
}

// RiskLevel is one level of a matrix axis.
type RiskLevel struct {
	// Label names the level on dashboards ("Likely", "Major").
	Label string `yaml:"label"`
	// Max is the level's inclusive upper bound; every level but the top one needs it.
	Max *float64 `yaml:"max"`
	// Probability (probability levels only) is the probability a bare rating of this
	// level stands for, used for EMV when a source gives a rating and no
	// percentage. Default: the middle of the level.
	Probability *float64 `yaml:"probability"`
}

func fptr(f float64) *float64 { return &f }

// DefaultBudgetShareLevels are the impact levels of impact_basis budget_share:
// up to 1 %, 2.5 %, 5 % and 10 % of the project budget, and above.
func DefaultBudgetShareLevels() []RiskLevel {
	return []RiskLevel{
		{Label: "Minimal", Max: fptr(0.01)},
		{Label: "Minor", Max: fptr(0.025)},
		{Label: "Moderate", Max: fptr(0.05)},
		{Label: "Major", Max: fptr(0.10)},
		{Label: "Severe"},
	}
}

// DefaultRiskMetrics is the common 5×5 matrix: probability bands of 20 % (the
// AcqNotes 10/30/50/70/90 % anchors sit in their middles), hospital-IT sized cost
// impacts, and bands on the score L × C (1–4 low, 5–12 medium, 15–25 high).
func DefaultRiskMetrics() RiskMetrics {
	r := RiskMetrics{ImpactBasis: ImpactBasisCost}
	r.ProbabilityLevels = []RiskLevel{
		{Label: "Rare", Max: fptr(0.2), Probability: fptr(0.1)},
		{Label: "Unlikely", Max: fptr(0.4), Probability: fptr(0.3)},
		{Label: "Possible", Max: fptr(0.6), Probability: fptr(0.5)},
		{Label: "Likely", Max: fptr(0.8), Probability: fptr(0.7)},
		{Label: "Almost certain", Probability: fptr(0.9)},
	}
	r.ImpactLevels = []RiskLevel{
		{Label: "Minimal", Max: fptr(10000)},
		{Label: "Minor", Max: fptr(50000)},
		{Label: "Moderate", Max: fptr(150000)},
		{Label: "Major", Max: fptr(500000)},
		{Label: "Severe"},
	}
	r.Bands = scoreBands(5, 5)
	return r
}

// scoreBands bands an np × ni matrix on the score p × i scaled to a 5 × 5 grid, so
// the default banding also serves matrices of another size.
func scoreBands(np, ni int) [][]string {
	out := make([][]string, np)
	for p := 1; p <= np; p++ {
		out[p-1] = make([]string, ni)
		for i := 1; i <= ni; i++ {
			s := float64(p) * float64(i) * 25 / float64(np*ni)
			switch {
			case s >= 15-1e-9:
				out[p-1][i-1] = RiskBandHigh
			case s >= 5-1e-9:
				out[p-1][i-1] = RiskBandMedium
			default:
				out[p-1][i-1] = RiskBandLow
			}
		}
	}
	return out
}

// applyDefaults fills what is absent: levels, basis, bands, and the probability a
// bare rating stands for.
func (r *RiskMetrics) applyDefaults() {
	d := DefaultRiskMetrics()
	if len(r.ProbabilityLevels) == 0 {
		r.ProbabilityLevels = d.ProbabilityLevels
	}
	if r.ImpactBasis == "" {
		r.ImpactBasis = ImpactBasisCost
	}
	if len(r.ImpactLevels) == 0 {
		r.ImpactLevels = d.ImpactLevels
		if r.ImpactBasis == ImpactBasisBudgetShare {
			r.ImpactLevels = DefaultBudgetShareLevels()
		}
	}
	if len(r.Bands) == 0 && len(r.ProbabilityLevels) > 0 && len(r.ImpactLevels) > 0 {
		r.Bands = scoreBands(len(r.ProbabilityLevels), len(r.ImpactLevels))
	}
	lower := 0.0
	for k := range r.ProbabilityLevels {
		l := &r.ProbabilityLevels[k]
		upper := 1.0
		if l.Max != nil {
			upper = *l.Max
		}
		// Only sane bounds get a derived probability; bad ones are reported by
		// validate as the user wrote them.
		if l.Probability == nil && upper > lower && upper <= 1 {
			l.Probability = fptr((lower + upper) / 2)
		}
		lower = upper
	}
}

// validate checks the matrix: bounds that increase and fit their basis, a max on
// every level but the top, and one band per cell.
func (r *RiskMetrics) validate(v *validator) {
	const at = "metrics.risk"
	checkAxis := func(key string, levels []RiskLevel, fraction bool) {
		if len(levels) < 2 || len(levels) > 10 {
			v.fail(at+"."+key, "needs between 2 and 10 levels, has %d", len(levels))
			return
		}
		prev := math.Inf(-1)
		for k, l := range levels {
			p := fmt.Sprintf("%s.%s[%d]", at, key, k)
			top := k == len(levels)-1
			switch {
			case top && l.Max != nil:
				v.fail(p+".max", "the top level takes no max (it holds everything above the level below)")
			case !top && l.Max == nil:
				v.fail(p+".max", "every level but the top needs a max (its inclusive upper bound)")
			case l.Max != nil && (math.IsNaN(*l.Max) || math.IsInf(*l.Max, 0)):
				v.fail(p+".max", "must be a finite number")
			case l.Max != nil && *l.Max <= 0:
				v.fail(p+".max", "must be positive (got %g)", *l.Max)
			case l.Max != nil && fraction && *l.Max >= 1:
				v.fail(p+".max", "is a fraction below 1 (got %g; write 20 %% as 0.2)", *l.Max)
			case l.Max != nil && *l.Max <= prev:
				v.fail(p+".max", "must be above the level below's max (%g)", prev)
			}
			if l.Max != nil {
				prev = *l.Max
			}
			if l.Probability != nil {
				switch {
				case key != "probability_levels":
					v.fail(p+".probability", "only probability levels take a probability")
				case !(*l.Probability > 0 && *l.Probability <= 1):
					v.fail(p+".probability", "must be a fraction in (0, 1] (got %g)", *l.Probability)
				}
			}
		}
	}
	checkAxis("probability_levels", r.ProbabilityLevels, true)
	switch r.ImpactBasis {
	case ImpactBasisCost:
		checkAxis("impact_levels", r.ImpactLevels, false)
	case ImpactBasisBudgetShare:
		checkAxis("impact_levels", r.ImpactLevels, false)
		for k, l := range r.ImpactLevels {
			if l.Max != nil && *l.Max > 1 {
				v.fail(fmt.Sprintf("%s.impact_levels[%d].max", at, k), "with impact_basis budget_share a max is a fraction of the budget (got %g; write 5 %% as 0.05)", *l.Max)
			}
		}
	default:
		v.fail(at+".impact_basis", "%q is not one of cost, budget_share", r.ImpactBasis)
	}
	if len(r.Bands) != len(r.ProbabilityLevels) {
		v.fail(at+".bands", "has %d rows; it needs one per probability level (%d)", len(r.Bands), len(r.ProbabilityLevels))
		return
	}
	for p, row := range r.Bands {
		if len(row) != len(r.ImpactLevels) {
			v.fail(fmt.Sprintf("%s.bands[%d]", at, p), "has %d bands; it needs one per impact level (%d)", len(row), len(r.ImpactLevels))
			continue
		}
		for i, b := range row {
			if b != RiskBandHigh && b != RiskBandMedium && b != RiskBandLow {
				v.fail(fmt.Sprintf("%s.bands[%d][%d]", at, p, i), "%q is not one of high, medium, low", b)
			}
		}
	}
}

// RiskLevelBounds returns the max of every level but the top: the shape metrics.RiskMatrix
// takes (level = 1 + the number of bounds below the value).
func RiskLevelBounds(levels []RiskLevel) []float64 {
	out := make([]float64, 0, len(levels))
	for _, l := range levels {
		if l.Max != nil {
			out = append(out, *l.Max)
		}
	}
	return out
}

// WithDefaults returns r with absent settings defaulted, as Load leaves it; for
// configurations built in code.
func (r RiskMetrics) WithDefaults() RiskMetrics {
	r.ProbabilityLevels = append([]RiskLevel(nil), r.ProbabilityLevels...)
	r.applyDefaults()
	return r
}
