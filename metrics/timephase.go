package metrics

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// EVMethod is how a task earns value. The first two match Microsoft Project's
// EarnedValueMethod codes so the connector's value can be passed through.
type EVMethod int

// Earning rules.
const (
	// EVPercentComplete earns baseline cost × % complete, along the time-phased
	// baseline when the task has one (Project's default).
	EVPercentComplete EVMethod = 0
	// EVPhysical earns baseline cost × physical % complete.
	EVPhysical EVMethod = 1
	// EVZeroHundred earns nothing until the task is 100 % complete.
	EVZeroHundred EVMethod = 100
	// EVFiftyFifty earns half at the start and half at completion.
	EVFiftyFifty EVMethod = 101
)

// Segment is an amount spread over a period, such as one TimephasedData record of a
// task's baseline or actual cost. The period covers the days from Start's date up to
// Finish's date, including Finish's date only when Finish is later in its day than
// Start is in its own: [Mon 08:00, Tue 08:00) is Monday alone, [Mon 08:00, Wed 17:00]
// is Monday to Wednesday, and a segment within one day is that day.
type Segment struct {
	Start, Finish time.Time
	Amount        float64
}

// lastDay is the final date the segment covers.
func (s Segment) lastDay() time.Time { return dateOfDay(s.lastDayNum()) }

func (s Segment) lastDayNum() int64 {
	sd, fd := dayNumber(s.Start), dayNumber(s.Finish)
	if fd <= sd {
		return sd
	}
	if s.Finish.Sub(dateOfDay(fd)) > s.Start.Sub(dateOfDay(sd)) {
		return fd
	}
	return fd - 1
}

// Task is one schedule row as the EVM roll-up needs it. Percentages are fractions.
type Task struct {
	UID int64
	// Summary, Inactive and IsNull rows never count (summary costs are already the
	// sum of their children; counting both would double them).
	Summary, Inactive, IsNull bool

	// BaselineCost is undefined when the task has no baseline.
	BaselineCost                  Value
	BaselineStart, BaselineFinish time.Time
	// BaselineSegments is the time-phased baseline cost, when the file has it; it
	// shapes both PV and % complete earning. Empty means a linear spread over the
	// baseline working days.
	BaselineSegments []Segment

	PercentComplete         float64
	PhysicalPercentComplete float64
	Method                  EVMethod

	// ActualCost is the task's actual cost at the snapshot; ActualSegments, when
	// present, place it in time and replace it (summed through the as-of date).
	ActualCost     float64
	ActualSegments []Segment
	// Cost is the schedule's current estimate at completion (actual + remaining);
	// undefined when the source gives none.
	Cost Value
}

// Excluded is a leaf task that could not be time-phased, with its cost so nothing
// vanishes silently from the totals.
type Excluded struct {
	UID        int64
	Reason     string
	Cost       Value
	ActualCost float64
}

// Reasons a leaf task is left out of BAC, PV and EV.
const (
	ExcludedNoBaseline    = "no baseline"
	ExcludedNoDates       = "baseline cost without baseline dates"
	ExcludedFinishFirst   = "baseline finish before baseline start"
	ExcludedNegative      = "negative baseline cost"
	ExcludedNotFiniteCost = "baseline cost is not a finite number"
)

// Snapshot is the EVM base of one schedule at one as-of date.
type Snapshot struct {
	AsOf  time.Time
	Curve PVCurve
	// BAC, PV, EV count baselined leaf tasks; AC counts every leaf task, as Project's
	// ACWP does, so spending on unbaselined work still lowers CPI (it is also shown
	// in Unbaselined).
	BAC, PV, EV, AC float64
	// AT is the working days from Curve.Start through AsOf.
	AT                  int
	BeforeBaselineStart bool
	// BottomUp is the sum of leaf Cost (eac_bottom_up); undefined if any is missing.
	BottomUp Value
	// Counted is the number of baselined leaf tasks behind BAC.
	Counted int
	// Unbaselined lists leaf tasks left out of BAC, PV and EV.
	Unbaselined     []Excluded
	UnbaselinedCost float64
	UnbaselinedAC   float64
	// Skipped counts rows that are not leaf work.
	SkippedSummary, SkippedInactive, SkippedNull int
	// Warnings are data oddities worth logging (clamped percentages, segment totals
	// that disagree with the baseline cost).
	Warnings []string
}

// Inputs turns the snapshot into EVM inputs with earned schedule enabled.
func (s Snapshot) Inputs() Inputs {
	in := Inputs{AC: Of(s.AC), EACBottomUp: s.BottomUp, BeforeBaselineStart: s.BeforeBaselineStart}
	if s.Counted == 0 {
		in.BAC, in.PV, in.EV = Null(ReasonNoBaseline), Null(ReasonNoBaseline), Null(ReasonNoBaseline)
		return in
	}
	in.BAC, in.PV, in.EV = Of(s.BAC), Of(s.PV), Of(s.EV)
	in.Schedule = &ScheduleInputs{Curve: s.Curve, AsOf: s.AsOf, AT: Of(float64(s.AT)), ED: Null(ReasonMissingInput)}
	return in
}

// BuildSnapshot time-phases baseline cost over the calendar's working days and sums
// EV and AC at asOf. Only leaf, active, non-null tasks count; leaf tasks without a
// usable baseline are listed in Unbaselined. cal nil means Mon–Fri.
func BuildSnapshot(tasks []Task, asOf time.Time, cal WorkCalendar) (Snapshot, error) {
	if cal == nil {
		cal = Weekdays{}
	}
	if asOf.IsZero() {
		return Snapshot{}, errorf("build snapshot: an as-of (status) date is required; Project's fallback to today is not reproducible")
	}
	s := Snapshot{AsOf: Day(asOf)}

	// Pass 1: classify rows and find the baseline's extent (day numbers).
	var leaves, counted []int
	var unbaselined []bool // per leaf
	const none = math.MinInt64
	first, last := int64(none), int64(none) // earliest and latest baseline day
	bottomUp, bottomUpOK := 0.0, true
	for i := range tasks {
		t := &tasks[i]
		switch {
		case t.IsNull:
			s.SkippedNull++
			continue
		case t.Summary:
			s.SkippedSummary++
			continue
		case t.Inactive:
			s.SkippedInactive++
			continue
		}
		leaves = append(leaves, i)
		if t.Cost.Valid && !math.IsNaN(t.Cost.V) && !math.IsInf(t.Cost.V, 0) {
			bottomUp += t.Cost.V
		} else {
			bottomUpOK = false
		}
		if reason := baselineProblem(t); reason != "" {
			unbaselined = append(unbaselined, true)
			s.Unbaselined = append(s.Unbaselined, Excluded{UID: t.UID, Reason: reason, Cost: t.Cost, ActualCost: t.ActualCost})
			if t.Cost.Valid && !math.IsNaN(t.Cost.V) && !math.IsInf(t.Cost.V, 0) {
				s.UnbaselinedCost += t.Cost.V
			}
			continue
		}
		unbaselined = append(unbaselined, false)
		bs, bf := dayNumber(t.BaselineStart), dayNumber(t.BaselineFinish)
		for _, seg := range t.BaselineSegments {
			bs = min(bs, dayNumber(seg.Start))
			bf = max(bf, seg.lastDayNum())
		}
		if first == none || bs < first {
			first = bs
		}
		last = max(last, bf)
		counted = append(counted, i)
	}
	if bottomUpOK && len(leaves) > 0 {
		s.BottomUp = Of(bottomUp)
	} else {
		s.BottomUp = Null(ReasonNoBottomUp)
	}
	asOfNum := dayNumber(s.AsOf)
	if first == none {
		first, last = asOfNum, asOfNum
	}
	ax := newAxis(cal, min(first, asOfNum), max(last, asOfNum))
	asOfDay := ax.dayOf(asOfNum)

	// Pass 2: AC over every leaf task, baselined or not, as Project's ACWP does.
	unb := 0
	for k, i := range leaves {
		t := &tasks[i]
		ac := t.ActualCost
		if len(t.ActualSegments) > 0 {
			ac = segmentsThrough(ax, t.ActualSegments, asOfDay)
		}
		s.AC += ac
		if unbaselined[k] {
			s.Unbaselined[unb].ActualCost = ac
			s.UnbaselinedAC += ac
			unb++
		}
	}
	if len(counted) == 0 {
		s.Curve = PVCurve{Calendar: cal}
		return s, nil
	}

	// Pass 3: spread baseline cost over working-day indices (0 = curve start).
	base := ax.dayOf(first)
	startIdx, err := ax.firstWorkingIndex(base)
	if err != nil {
		return s, fmt.Errorf("build snapshot: baseline start %s: %w", dateOfDay(first).Format(time.DateOnly), err)
	}
	window := func(d0, d1 int) (int, int, error) {
		if n := ax.workingIn(d0, d1); n > 0 {
			i0 := int(ax.before[d0]) - startIdx
			return i0, i0 + n - 1, nil
		}
		// No working day in the window (a weekend-only baseline): the whole amount
		// lands on the first working day after it starts.
		i, err := ax.firstWorkingIndex(d0)
		return i - startIdx, i - startIdx, err
	}
	pd := max(ax.workingIn(base, ax.dayOf(last)), 1)
	diff := make([]float64, pd+1) // difference array of daily rates
	spread := func(i0, i1 int, amount float64) {
		for i1+2 > len(diff) {
			diff = append(diff, 0)
		}
		rate := amount / float64(i1-i0+1)
		diff[i0] += rate
		diff[i1+1] -= rate
	}
	for _, i := range counted {
		t := &tasks[i]
		cost := t.BaselineCost.V
		s.BAC += cost
		s.Counted++
		segTotal := 0.0
		for _, seg := range t.BaselineSegments {
			segTotal += seg.Amount
		}
		useSegs := len(t.BaselineSegments) > 0 && segTotal > 0 && !math.IsInf(segTotal, 0)
		switch {
		case len(t.BaselineSegments) > 0 && !useSegs:
			s.Warnings = append(s.Warnings, fmt.Sprintf("task %d: time-phased baseline sums to %g; spread linearly instead", t.UID, segTotal))
		case useSegs && math.Abs(segTotal-cost) > 0.005*math.Max(1, math.Abs(cost)):
			s.Warnings = append(s.Warnings, fmt.Sprintf("task %d: time-phased baseline sums to %g but baseline cost is %g; the segments give the shape only", t.UID, segTotal, cost))
		}
		var shape []float64 // per working day from index lo, to earn along
		if useSegs {
			var lo int
			shape, lo, err = segmentShape(ax, t, cost, segTotal, window)
			if err != nil {
				return s, err
			}
			for k, v := range shape {
				if v != 0 {
					spread(lo+k, lo+k, v)
				}
			}
		} else {
			i0, i1, err := window(ax.day(t.BaselineStart), ax.day(t.BaselineFinish))
			if err != nil {
				return s, fmt.Errorf("build snapshot: task %d baseline %s: %w", t.UID, t.BaselineStart.Format(time.DateOnly), err)
			}
			spread(i0, i1, cost)
		}
		ev, warn := taskEV(t, cost, shape)
		if warn != "" {
			s.Warnings = append(s.Warnings, warn)
		}
		s.EV += ev
	}

	// Rates → daily amounts → cumulative curve. Adding and removing rates leaves float
	// noise of ~1e-12; clamp the curve monotone and end it exactly on BAC so EV = BAC
	// earns exactly PD.
	cum := make([]float64, len(diff)-1)
	rate, total := 0.0, 0.0
	for i := range cum {
		rate += diff[i]
		total = max(total+rate, 0)
		if i > 0 {
			total = max(total, cum[i-1])
		}
		cum[i] = total
	}
	if n := len(cum); math.Abs(cum[n-1]-s.BAC) <= 1e-9*math.Max(1, s.BAC) {
		for i := n - 1; i >= 0 && cum[i] > s.BAC; i-- {
			cum[i] = s.BAC
		}
		cum[n-1] = s.BAC
	}
	start := dateOfDay(ax.origin + int64(base))
	if start, err = NthWorkingDay(cal, start, 1); err != nil {
		return s, fmt.Errorf("build snapshot: baseline start %s: %w", dateOfDay(first).Format(time.DateOnly), err)
	}
	s.Curve = PVCurve{Start: start, Cum: cum, Calendar: cal}
	if s.AsOf.Before(start) {
		s.BeforeBaselineStart = true
	} else {
		s.AT = ax.workingIn(base, asOfDay)
	}
	s.PV = s.Curve.PVAfter(s.AT)
	return s, nil
}

// segmentShape returns the task's baseline cost per working day (scaled so it sums to
// the baseline cost) and the working-day index of its first element.
func segmentShape(ax *axis, t *Task, cost, segTotal float64, window func(d0, d1 int) (int, int, error)) ([]float64, int, error) {
	type span struct{ i0, i1 int }
	spans := make([]span, len(t.BaselineSegments))
	lo, hi := math.MaxInt, math.MinInt
	for k, seg := range t.BaselineSegments {
		i0, i1, err := window(ax.day(seg.Start), ax.dayOf(seg.lastDayNum()))
		if err != nil {
			return nil, 0, fmt.Errorf("build snapshot: task %d segment %s: %w", t.UID, seg.Start.Format(time.DateOnly), err)
		}
		spans[k] = span{i0, i1}
		lo, hi = min(lo, i0), max(hi, i1)
	}
	// The task's own window belongs to its duration even where no segment falls.
	if i0, i1, err := window(ax.day(t.BaselineStart), ax.day(t.BaselineFinish)); err == nil {
		lo, hi = min(lo, i0), max(hi, i1)
	}
	shape := make([]float64, hi-lo+1)
	scale := cost / segTotal
	for k, seg := range t.BaselineSegments {
		r := seg.Amount * scale / float64(spans[k].i1-spans[k].i0+1)
		for i := spans[k].i0; i <= spans[k].i1; i++ {
			shape[i-lo] += r
		}
	}
	return shape, lo, nil
}

// baselineProblem says why a leaf task cannot be time-phased, or "" when it can.
func baselineProblem(t *Task) string {
	switch {
	case !t.BaselineCost.Valid:
		return ExcludedNoBaseline
	case math.IsNaN(t.BaselineCost.V) || math.IsInf(t.BaselineCost.V, 0):
		return ExcludedNotFiniteCost
	case t.BaselineCost.V < 0:
		return ExcludedNegative
	case t.BaselineStart.IsZero() || t.BaselineFinish.IsZero():
		return ExcludedNoDates
	case dayNumber(t.BaselineFinish) < dayNumber(t.BaselineStart):
		return ExcludedFinishFirst
	}
	return ""
}

// segmentsThrough sums segment amounts up to and including day offset asOf, prorating
// a segment that straddles it by working days.
func segmentsThrough(ax *axis, segs []Segment, asOf int) float64 {
	total := 0.0
	for _, seg := range segs {
		d0, d1 := ax.day(seg.Start), ax.dayOf(seg.lastDayNum())
		switch {
		case d0 > asOf:
		case d1 <= asOf:
			total += seg.Amount
		default:
			if n := ax.workingIn(d0, d1); n > 0 {
				total += seg.Amount * float64(ax.workingIn(d0, asOf)) / float64(n)
			} else {
				total += seg.Amount
			}
		}
	}
	return total
}

// clampFraction keeps a percentage within [0, 1] and says when it had to.
func clampFraction(uid int64, name string, f float64) (float64, string) {
	switch {
	case math.IsNaN(f):
		return 0, fmt.Sprintf("task %d: %s is not a number; treated as 0", uid, name)
	case f < 0:
		return 0, fmt.Sprintf("task %d: %s %g below 0; treated as 0", uid, name, f)
	case f > 1:
		return 1, fmt.Sprintf("task %d: %s %g above 1 (fractions expected, not percents); treated as 1", uid, name, f)
	}
	return f, ""
}

// taskEV applies the task's earning rule; shape is the task's time-phased baseline
// per working day, nil for a linear one.
func taskEV(t *Task, cost float64, shape []float64) (float64, string) {
	pct, warn := clampFraction(t.UID, "percent complete", t.PercentComplete)
	switch t.Method {
	case EVPhysical:
		phys, w := clampFraction(t.UID, "physical percent complete", t.PhysicalPercentComplete)
		return cost * phys, w
	case EVZeroHundred:
		if pct >= 1 {
			return cost, warn
		}
		return 0, warn
	case EVFiftyFifty:
		switch {
		case pct >= 1:
			return cost, warn
		case pct > 0:
			return cost / 2, warn
		}
		return 0, warn
	case EVPercentComplete:
	default:
		warn = fmt.Sprintf("task %d: unknown earned-value method %d; earned by %% complete", t.UID, t.Method)
	}
	if shape == nil || pct >= 1 {
		return cost * pct, warn
	}
	return EarnAlong(shape, pct), warn
}

// EarnAlong is the baseline cost cumulated to fraction f of the duration covered by
// daily (one amount per working day), interpolating inside the day f falls in. It is
// how Project earns % complete along a non-linear time-phased baseline: a 4-day task
// phased 10/10/20/20 earns 20 at 50 %, not 30.
func EarnAlong(daily []float64, f float64) float64 {
	if len(daily) == 0 || f <= 0 || math.IsNaN(f) {
		return 0
	}
	if f > 1 {
		f = 1
	}
	x := f * float64(len(daily))
	whole := int(x)
	total := 0.0
	for i := 0; i < whole && i < len(daily); i++ {
		total += daily[i]
	}
	if whole < len(daily) {
		total += daily[whole] * (x - float64(whole))
	}
	return total
}

// ParseEVMethod reads an earned-value method as the warehouse stores it
// (task_snapshots.earned_value_method) or as Project codes it. Empty means the
// default, % complete.
func ParseEVMethod(s string) (EVMethod, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "0", "percent_complete", "% complete", "percent complete":
		return EVPercentComplete, nil
	case "1", "physical_percent_complete", "physical % complete", "physical percent complete", "physical":
		return EVPhysical, nil
	case "0/100", "zero_hundred":
		return EVZeroHundred, nil
	case "50/50", "fifty_fifty":
		return EVFiftyFifty, nil
	}
	return EVPercentComplete, errorf("earned-value method %q: want percent_complete, physical_percent_complete, 0/100 or 50/50", s)
}
