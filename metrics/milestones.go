package metrics

import (
	"math"
	"time"
)

// SlipDays is the signed number of working days from baseline to forecast: working
// days after the baseline finish up to and including the forecast finish (late,
// positive), or minus the working days after the forecast up to and including the
// baseline (early, negative). A finish moved from Friday to Saturday slips 0 days.
func SlipDays(cal WorkCalendar, baseline, forecast time.Time) Value {
	if baseline.IsZero() || forecast.IsZero() {
		return Null(ReasonMissingInput)
	}
	b, f := Day(baseline), Day(forecast)
	switch {
	case f.After(b):
		return Of(float64(WorkingDaysBetween(cal, b.AddDate(0, 0, 1), f)))
	case b.After(f):
		return Of(-float64(WorkingDaysBetween(cal, f.AddDate(0, 0, 1), b)))
	}
	return Of(0)
}

// TrackedTask is a leaf task or milestone for the schedule-execution metrics. Callers
// pass leaf, active, non-null rows (the DCMA checks exclude summaries and LOE).
type TrackedTask struct {
	UID            int64
	BaselineFinish time.Time // zero: not baselined
	ActualFinish   time.Time // zero: not finished
}

// finishedBy reports whether the task finished on or before date d.
func (t TrackedTask) finishedBy(d time.Time) bool {
	return !t.ActualFinish.IsZero() && !Day(t.ActualFinish).After(d)
}

// Reasons for undefined execution metrics.
const (
	ReasonNoneDue      = "no baselined task is due by the status date"
	ReasonNoneInPeriod = "no baselined task is due in the period"
)

// BEI is the baseline execution index (Gold Card, DCMA check 14): baselined tasks
// finished by the status date ÷ baselined tasks due (baseline finish) by it. Tasks
// finished early count in the numerator, so BEI can exceed 1.
func BEI(tasks []TrackedTask, status time.Time) Value {
	d := Day(status)
	done, due := 0, 0
	for _, t := range tasks {
		if t.BaselineFinish.IsZero() {
			continue
		}
		if !Day(t.BaselineFinish).After(d) {
			due++
		}
		if t.finishedBy(d) {
			done++
		}
	}
	if due == 0 {
		return Null(ReasonNoneDue)
	}
	return Of(float64(done) / float64(due))
}

// HitTaskPct is the share of tasks baselined to finish in the period (after
// periodStart, up to and including status) that finished on or before their baseline
// finish (Gold Card "hit task %"), as a fraction.
func HitTaskPct(tasks []TrackedTask, periodStart, status time.Time) Value {
	from, to := Day(periodStart), Day(status)
	hit, due := 0, 0
	for _, t := range tasks {
		if t.BaselineFinish.IsZero() {
			continue
		}
		bf := Day(t.BaselineFinish)
		if !bf.After(from) || bf.After(to) {
			continue
		}
		due++
		if t.finishedBy(bf) {
			hit++
		}
	}
	if due == 0 {
		return Null(ReasonNoneInPeriod)
	}
	return Of(float64(hit) / float64(due))
}

// ScopeTask is a task as scope comparison needs it.
type ScopeTask struct {
	UID          int64
	BaselineCost Value
}

// ScopeChange compares a schedule snapshot with a reference one (the first snapshot
// of the current baseline).
type ScopeChange struct {
	Added, Removed []int64
	// Unbaselined counts current tasks without a baseline: work added since the
	// baseline was set even when the reference snapshot already had the row.
	Unbaselined int
	// BaselineCostChange is Σ current baseline cost − Σ reference baseline cost: a
	// re-baseline or baseline edits.
	BaselineCostChange float64
}

// CompareScope lists tasks added and removed between ref and cur by UID and the
// change in total baseline cost.
func CompareScope(ref, cur []ScopeTask) ScopeChange {
	var out ScopeChange
	seen := make(map[int64]bool, len(ref))
	refCost, curCost := 0.0, 0.0
	for _, t := range ref {
		seen[t.UID] = true
		if t.BaselineCost.Valid && !math.IsNaN(t.BaselineCost.V) && !math.IsInf(t.BaselineCost.V, 0) {
			refCost += t.BaselineCost.V
		}
	}
	now := make(map[int64]bool, len(cur))
	for _, t := range cur {
		now[t.UID] = true
		if !seen[t.UID] {
			out.Added = append(out.Added, t.UID)
		}
		if t.BaselineCost.Valid && !math.IsNaN(t.BaselineCost.V) && !math.IsInf(t.BaselineCost.V, 0) {
			curCost += t.BaselineCost.V
		} else {
			out.Unbaselined++
		}
	}
	for _, t := range ref {
		if !now[t.UID] {
			out.Removed = append(out.Removed, t.UID)
		}
	}
	out.BaselineCostChange = curCost - refCost
	return out
}
