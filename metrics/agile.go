package metrics

import (
	"math"
	"time"
)

// AgileInputs configure AgileEVM (Sulaiman, Barton & Blackburn 2006) for one release.
// The release plan (budget, points, sprints) comes from configuration; progress and
// cost come from Jira.
type AgileInputs struct {
	// ReleaseBudget is BAC.
	ReleaseBudget float64
	// PlannedPoints is PRP, the story points planned for the release.
	PlannedPoints float64
	// PlannedSprints is PS.
	PlannedSprints int
	// SprintsCompleted is n, the sprints finished by the as-of date.
	SprintsCompleted float64
	// PointsDone counts only stories that are done (potentially shippable).
	PointsDone float64
	// CostToDate, when defined, is the actual cost; otherwise AC = Hours × Rate.
	CostToDate Value
	Hours      float64
	Rate       float64
}

// AgileResult is AgileEVM's planned and actual % complete plus the full EVM measures.
type AgileResult struct {
	PPC Value // planned % complete, n / PS (capped at 1)
	APC Value // actual % complete, points done / PRP
	// SprintsForecast is PS / SPI, the sprints the release needs at the current pace.
	SprintsForecast Value
	Measures        Measures
}

// AgileEVM computes PV = PPC × BAC, EV = APC × BAC and AC from cost or hours × rate,
// then the usual measures. PPC stops at 1: running past the planned sprints does not
// plan more value than the budget.
func AgileEVM(in AgileInputs, opts Options) (AgileResult, error) {
	switch {
	case !(in.ReleaseBudget > 0) || math.IsInf(in.ReleaseBudget, 0):
		return AgileResult{}, errorf("agile EVM: release budget must be positive (got %g)", in.ReleaseBudget)
	case !(in.PlannedPoints > 0) || math.IsInf(in.PlannedPoints, 0):
		return AgileResult{}, errorf("agile EVM: planned points must be positive (got %g)", in.PlannedPoints)
	case in.PlannedSprints <= 0:
		return AgileResult{}, errorf("agile EVM: planned sprints must be positive (got %d)", in.PlannedSprints)
	case in.SprintsCompleted < 0 || in.PointsDone < 0 || math.IsNaN(in.SprintsCompleted) || math.IsNaN(in.PointsDone):
		return AgileResult{}, errorf("agile EVM: sprints completed and points done cannot be negative")
	}
	var ac Value
	switch {
	case in.CostToDate.Valid:
		ac = Of(in.CostToDate.V)
	case in.Rate > 0:
		ac = Of(in.Hours * in.Rate)
	default:
		return AgileResult{}, errorf("agile EVM: no actual cost: configure a cost figure or an hourly rate for worklog hours")
	}
	bac := in.ReleaseBudget
	ppc := Of(math.Min(in.SprintsCompleted/float64(in.PlannedSprints), 1))
	apc := Of(in.PointsDone / in.PlannedPoints)
	in2 := Inputs{BAC: Of(bac), PV: Of(ppc.V * bac), EV: Of(apc.V * bac), AC: ac,
		EACBottomUp: Null(ReasonNoBottomUp)}
	m := Compute(in2, opts)
	return AgileResult{PPC: ppc, APC: apc, SprintsForecast: ratio(Of(float64(in.PlannedSprints)), m.SPI, ReasonIndexZero), Measures: m}, nil
}

// SprintsElapsed is the number of whole planned sprints of sprintDays calendar days
// finished by asOf (inclusive) for a release starting on start; for releases planned
// in configuration rather than tracked as Jira sprints.
func SprintsElapsed(start time.Time, sprintDays int, asOf time.Time) float64 {
	if sprintDays <= 0 || asOf.Before(start) {
		return 0
	}
	days := dayNumber(asOf) - dayNumber(start) + 1
	return float64(days / int64(sprintDays))
}
