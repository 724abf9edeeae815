package metrics

import (
	"math"
	"sort"
	"time"
)

// PVCurve is a cumulative planned-value curve on a working-day axis: Cum[i] is the
// cumulative PV at the end of the (i+1)-th working day of Calendar counted from Start
// (so Start is period 1). The planned duration PD is len(Cum) and Cum[len-1] = BAC.
type PVCurve struct {
	Start    time.Time
	Cum      []float64
	Calendar WorkCalendar
}

// PD is the planned duration in working days.
func (c PVCurve) PD() int { return len(c.Cum) }

// BAC is the curve's final value.
func (c PVCurve) BAC() float64 {
	if len(c.Cum) == 0 {
		return 0
	}
	return c.Cum[len(c.Cum)-1]
}

func (c PVCurve) cal() WorkCalendar {
	if c.Calendar == nil {
		return Weekdays{}
	}
	return c.Calendar
}

// PVAfter is the cumulative PV after `periods` working days: 0 before the start, BAC
// after the planned finish.
func (c PVCurve) PVAfter(periods int) float64 {
	switch {
	case periods <= 0 || len(c.Cum) == 0:
		return 0
	case periods >= len(c.Cum):
		return c.Cum[len(c.Cum)-1]
	}
	return c.Cum[periods-1]
}

// Elapsed is AT for an as-of date: the working days from Start through asOf, the
// as-of day included.
func (c PVCurve) Elapsed(asOf time.Time) int {
	return WorkingDaysBetween(c.cal(), c.Start, asOf)
}

// PVThrough is the cumulative PV at the end of date t.
func (c PVCurve) PVThrough(t time.Time) float64 { return c.PVAfter(c.Elapsed(t)) }

// DateAt maps a working-day count on the axis back to a date: the day in which period
// x ends, i.e. the ceil(x)-th working day from Start. x = 8.67 is the 9th working day.
func (c PVCurve) DateAt(x Value) DateValue {
	if !x.Valid {
		return DateValue{Reason: x.Reason}
	}
	if x.V <= 0 {
		return DateValue{Reason: ReasonESZero}
	}
	// The tolerance keeps 10.000000001 (float noise from IEAC = PD/SPI(t)) on day 10.
	n := int(math.Ceil(x.V - 1e-9))
	if n < 1 {
		n = 1
	}
	t, err := NthWorkingDay(c.cal(), c.Start, n)
	if err != nil {
		return DateValue{Reason: ReasonNoWorkingDay}
	}
	return DateValue{T: t, Valid: true}
}

// ScheduleInputs feed the earned-schedule measures.
type ScheduleInputs struct {
	Curve PVCurve
	// AsOf is the status date; AT is derived from it unless AT is given.
	AsOf time.Time
	// AT overrides the actual time in working days when Valid (BuildSnapshot sets it).
	AT Value
	// ED is an estimated duration in working days for TSPI(ED); undefined for none.
	ED Value
}

// ScheduleMeasures are the earned-schedule measures in working days.
type ScheduleMeasures struct {
	ES, AT, PD Value
	SVt        Value // ES − AT
	SPIt       Value // ES / AT
	TSPI       Value // (PD − ES) / (PD − AT)
	TSPIED     Value // (PD − ES) / (ED − AT)
	IEACt      Value // PD / SPI(t), in working days from Start
	// ESDate is the working day in which ES falls; ForecastFinish is Start + IEAC(t)
	// working days (the independent estimated completion date).
	ESDate         DateValue
	ForecastFinish DateValue
}

func nullSchedule(reason string) ScheduleMeasures {
	n := Null(reason)
	d := DateValue{Reason: reason}
	return ScheduleMeasures{ES: n, AT: n, PD: n, SVt: n, SPIt: n, TSPI: n, TSPIED: n, IEACt: n, ESDate: d, ForecastFinish: d}
}

// validCurve reports whether cum is a usable cumulative curve: non-empty, starting at
// or above PV_0 = 0 and never decreasing.
func validCurve(cum []float64) (string, bool) {
	if len(cum) == 0 {
		return ReasonNoCurve, false
	}
	prev := 0.0
	for _, v := range cum {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ReasonNotFinite, false
		}
		if v < prev {
			return ReasonCurveDecreasing, false
		}
		prev = v
	}
	return "", true
}

// EarnedSchedule is Lipke's ES = C + I on the cumulative curve cum (PV_1…PV_n, with a
// virtual PV_0 = 0): C is the number of periods with PV_c <= EV, counted over the
// whole curve so a plateau (ΔPV = 0) is passed rather than divided by, and
// I = (EV − PV_C) / (PV_{C+1} − PV_C). EV <= 0 gives 0; EV >= PV_n clamps to PD.
func EarnedSchedule(cum []float64, ev float64) Value {
	if reason, ok := validCurve(cum); !ok {
		return Null(reason)
	}
	if math.IsNaN(ev) || math.IsInf(ev, 0) {
		return Null(ReasonNotFinite)
	}
	n := len(cum)
	if ev <= 0 {
		return Of(0)
	}
	if ev >= cum[n-1] {
		return Of(float64(n))
	}
	// c = number of periods with PV_c <= EV (monotone curve: a prefix).
	c := sort.Search(n, func(i int) bool { return cum[i] > ev })
	lo := 0.0
	if c > 0 {
		lo = cum[c-1]
	}
	// cum[c] > ev >= lo, so the denominator is positive.
	return Of(float64(c) + (ev-lo)/(cum[c]-lo))
}

// SVt is ES − AT.
func SVt(es, at Value) Value { return sub(es, at) }

// SPIt is ES / AT.
func SPIt(es, at Value) Value { return ratio(es, at, ReasonATZero) }

// TSPI is (PD − ES) / (PD − AT): the schedule efficiency needed to finish on the
// planned duration.
func TSPI(pd, es, at Value) Value { return tspi(pd, es, pd, at, ReasonPDElapsed) }

// TSPIToED is (PD − ES) / (ED − AT): the efficiency needed to finish in ED.
func TSPIToED(pd, es, at, ed Value) Value { return tspi(pd, es, ed, at, ReasonEDElapsed) }

func tspi(pd, es, target, at Value, elapsedReason string) Value {
	if bad, ok := firstInvalid(pd, es, target, at); ok {
		return bad
	}
	if pd.V-es.V <= 0 {
		return Null(ReasonScheduleComplete)
	}
	if target.V-at.V <= 0 {
		return Null(elapsedReason)
	}
	return Of((pd.V - es.V) / (target.V - at.V))
}

// IEACt is PD / SPI(t), the independent estimate of the duration at completion.
func IEACt(pd, spit Value) Value { return ratio(pd, spit, ReasonSPItZero) }

// ComputeSchedule derives the earned-schedule measures from the curve, EV and the
// as-of date (or the given AT). bac is used only to decide that the work is finished
// when float noise leaves EV a hair under the curve's end.
func ComputeSchedule(in ScheduleInputs, ev, bac Value) ScheduleMeasures {
	if reason, ok := validCurve(in.Curve.Cum); !ok {
		return nullSchedule(reason)
	}
	var s ScheduleMeasures
	s.PD = Of(float64(in.Curve.PD()))
	switch {
	case in.AT.Valid:
		s.AT = fin(in.AT)
	case !in.AsOf.IsZero():
		s.AT = Of(float64(in.Curve.Elapsed(in.AsOf)))
	default:
		s.AT = Null(ReasonMissingInput)
	}
	if ev.Valid {
		e := ev.V
		end := in.Curve.BAC()
		if bac.Valid && math.Abs(e-end) <= 1e-9*math.Max(1, math.Abs(end)) {
			e = end
		}
		s.ES = EarnedSchedule(in.Curve.Cum, e)
	} else {
		s.ES = fin(ev)
	}
	s.SVt = SVt(s.ES, s.AT)
	s.SPIt = SPIt(s.ES, s.AT)
	s.TSPI = TSPI(s.PD, s.ES, s.AT)
	if in.ED.Valid {
		s.TSPIED = TSPIToED(s.PD, s.ES, s.AT, fin(in.ED))
	} else {
		s.TSPIED = Null(ReasonMissingInput)
	}
	s.IEACt = IEACt(s.PD, s.SPIt)
	s.ESDate = in.Curve.DateAt(s.ES)
	s.ForecastFinish = in.Curve.DateAt(s.IEACt)
	return s
}
