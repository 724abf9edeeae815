package metrics

import (
	"errors"
	"fmt"
	"math"
)

// ErrNoRate is returned when a project's currency has no conversion rate.
var ErrNoRate = errors.New("no conversion rate")

// Rates converts project currencies to the portfolio currency: one unit of currency
// K is worth PerUnit[K] units of Currency (the shape of configs.Metrics.Rates).
type Rates struct {
	Currency string
	PerUnit  map[string]float64
}

// Rate returns the multiplier from cur to the portfolio currency.
func (r Rates) Rate(cur string) (float64, error) {
	if cur == r.Currency {
		return 1, nil
	}
	rate, ok := r.PerUnit[cur]
	if !ok || !(rate > 0) || math.IsInf(rate, 0) {
		return 0, fmt.Errorf("%w from %q to %q (metrics.rates)", ErrNoRate, cur, r.Currency)
	}
	return rate, nil
}

// ProjectMeasures is one project's measures with the currency they are in.
type ProjectMeasures struct {
	ProjectID string
	Currency  string
	Measures  Measures
}

// RollupExcluded names a project left out of a roll-up and why.
type RollupExcluded struct {
	ProjectID string
	Reason    string
}

// RollupResult is a program or portfolio total.
type RollupResult struct {
	Measures Measures
	// Included is the number of projects summed; Excluded lists the others.
	Included int
	Excluded []RollupExcluded
}

// EACSumOfProjects marks a roll-up EAC: the sum of each project's reported EAC.
const EACSumOfProjects EACMethod = "sum_of_projects"

// ReasonNotRolledUp explains the undefined earned-schedule measures of a roll-up.
const ReasonNotRolledUp = "earned schedule is not summed across projects: their calendars and time axes differ"

// Rollup sums BAC, PV, EV, AC and every EAC variant of the projects, converted to the
// portfolio currency, and recomputes all indices from the sums (never averaging
// them). A project without a defined BAC, PV, EV or AC is excluded and listed; an EAC
// variant is undefined for the roll-up when any included project lacks it, since a
// partial sum would understate it. An unknown currency is an error.
func Rollup(projects []ProjectMeasures, rates Rates, opts Options) (RollupResult, error) {
	var res RollupResult
	var bac, pv, ev, ac float64
	type eacSum struct {
		total  float64
		reason string
	}
	sums := make([]eacSum, 6) // cpi, atypical, cpi_spi, weighted, bottom_up, reported
	for _, p := range projects {
		m := p.Measures
		if bad, ok := firstInvalid(m.BAC, m.PV, m.EV, m.AC); ok {
			res.Excluded = append(res.Excluded, RollupExcluded{ProjectID: p.ProjectID, Reason: bad.Reason})
			continue
		}
		rate, err := rates.Rate(p.Currency)
		if err != nil {
			return RollupResult{}, fmt.Errorf("roll up project %s: %w", p.ProjectID, err)
		}
		res.Included++
		bac += m.BAC.V * rate
		pv += m.PV.V * rate
		ev += m.EV.V * rate
		ac += m.AC.V * rate
		for k, v := range []Value{m.EACCPI, m.EACAtypical, m.EACCPISPI, m.EACWeighted, m.EACBottomUp, m.EAC} {
			switch {
			case sums[k].reason != "":
			case !v.Valid:
				sums[k].reason = fmt.Sprintf("project %s: %s", p.ProjectID, v.Reason)
			default:
				sums[k].total += v.V * rate
			}
		}
	}
	if res.Included == 0 {
		in := Inputs{BAC: Null(ReasonNoBaseline), PV: Null(ReasonNoBaseline), EV: Null(ReasonNoBaseline),
			AC: Null(ReasonNoBaseline), EACBottomUp: Null(ReasonNoBaseline)}
		res.Measures = Compute(in, opts)
		res.Measures.Schedule = nullSchedule(ReasonNotRolledUp)
		return res, nil
	}
	m := Compute(KnownInputs(bac, pv, ev, ac), opts)
	val := func(s eacSum) Value {
		if s.reason != "" {
			return Null(s.reason)
		}
		return Of(s.total)
	}
	m.EACCPI, m.EACAtypical, m.EACCPISPI = val(sums[0]), val(sums[1]), val(sums[2])
	m.EACWeighted, m.EACBottomUp, m.EAC = val(sums[3]), val(sums[4]), val(sums[5])
	m.EACMethod = EACSumOfProjects
	m.deriveFromEAC()
	m.Schedule = nullSchedule(ReasonNotRolledUp)
	res.Measures = m
	return res, nil
}
