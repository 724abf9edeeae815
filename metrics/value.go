package metrics

import (
	"math"
	"strconv"
	"time"
)

// Value is a measure that may be undefined. When Valid is false, V is zero and Reason
// says why (for the warehouse's *_reason columns and RAG text); a Valid value never
// holds NaN or ±Inf because every Value is built through [Of].
type Value struct {
	V      float64
	Valid  bool
	Reason string
}

// Reasons a measure is undefined. They are stable strings: the warehouse stores them
// and tests compare against them.
const (
	ReasonNotFinite        = "not a finite number"
	ReasonNoBaseline       = "no baseline: no counted leaf task has a baseline"
	ReasonBeforeStart      = "as-of date precedes the baseline start"
	ReasonPVZero           = "PV = 0: no work was scheduled by the as-of date"
	ReasonPVNegative       = "PV < 0"
	ReasonNothingYet       = "EV = 0 and AC = 0: no work earned and no cost recorded"
	ReasonACZero           = "AC = 0 with work earned: actual costs not recorded"
	ReasonACNegative       = "AC < 0"
	ReasonEVZero           = "EV = 0: no work earned"
	ReasonEVNegative       = "EV < 0"
	ReasonBACZero          = "BAC = 0: the baseline carries no cost"
	ReasonCPIZero          = "CPI = 0: no work earned"
	ReasonIndexZero        = "performance index is 0: no work earned"
	ReasonNoWorkRemaining  = "no work remaining: EV >= BAC"
	ReasonTargetExhausted  = "no funds remain to the target: AC >= target"
	ReasonNoBottomUp       = "no bottom-up estimate: the schedule carries no cost"
	ReasonBadWeights       = "EAC weights must be non-negative and not both zero"
	ReasonNoCurve          = "no time-phased baseline (PV curve)"
	ReasonCurveDecreasing  = "PV curve decreases or starts below zero"
	ReasonATZero           = "AT = 0: no working time has elapsed since the baseline start"
	ReasonSPItZero         = "SPI(t) = 0: no schedule earned"
	ReasonESZero           = "ES = 0: no schedule earned"
	ReasonPDElapsed        = "planned duration elapsed: AT >= PD"
	ReasonEDElapsed        = "estimated duration elapsed: AT >= ED"
	ReasonScheduleComplete = "no schedule remaining: ES = PD"
	ReasonNoWorkingDay     = "the calendar has no working day in reach"
	ReasonMissingInput     = "input not available"
)

// Of returns v as a valid Value, or an invalid one when v is NaN or infinite.
func Of(v float64) Value {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Value{Reason: ReasonNotFinite}
	}
	return Value{V: v, Valid: true}
}

// Null returns an undefined Value carrying reason.
func Null(reason string) Value { return Value{Reason: reason} }

// Any returns the number, or nil when undefined: the shape database appenders take.
func (v Value) Any() any {
	if !v.Valid {
		return nil
	}
	return v.V
}

// ReasonOrNil returns the reason as a column value, or nil for a valid Value.
func (v Value) ReasonOrNil() any {
	if v.Valid {
		return nil
	}
	return v.Reason
}

// MarshalJSON writes the number, or null when undefined.
func (v Value) MarshalJSON() ([]byte, error) {
	if !v.Valid {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v.V, 'g', -1, 64), nil
}

// String formats the value for logs and test failures.
func (v Value) String() string {
	if !v.Valid {
		return "NULL(" + v.Reason + ")"
	}
	return strconv.FormatFloat(v.V, 'g', -1, 64)
}

// firstInvalid returns the first undefined operand, so a derived measure inherits the
// root cause ("AC = 0 …") rather than a chain of "X undefined because Y undefined".
func firstInvalid(vs ...Value) (Value, bool) {
	for _, v := range vs {
		if !v.Valid {
			if v.Reason == "" {
				v.Reason = ReasonMissingInput
			}
			return Value{Reason: v.Reason}, true
		}
	}
	return Value{}, false
}

func add(a, b Value) Value {
	if bad, ok := firstInvalid(a, b); ok {
		return bad
	}
	return Of(a.V + b.V)
}

func sub(a, b Value) Value {
	if bad, ok := firstInvalid(a, b); ok {
		return bad
	}
	return Of(a.V - b.V)
}

// ratio divides a by b; a zero or negative denominator gives zeroReason because every
// denominator in EVM (PV, EV, AC, BAC) is a non-negative amount.
func ratio(a, b Value, zeroReason string) Value {
	if bad, ok := firstInvalid(a, b); ok {
		return bad
	}
	if b.V <= 0 {
		return Null(zeroReason)
	}
	return Of(a.V / b.V)
}

// DateValue is a date that may be undefined, with the reason when it is.
type DateValue struct {
	T      time.Time
	Valid  bool
	Reason string
}

// Any returns the date, or nil when undefined.
func (d DateValue) Any() any {
	if !d.Valid {
		return nil
	}
	return d.T
}

// MarshalJSON writes "YYYY-MM-DD", or null when undefined.
func (d DateValue) MarshalJSON() ([]byte, error) {
	if !d.Valid {
		return []byte("null"), nil
	}
	return []byte(`"` + d.T.Format(time.DateOnly) + `"`), nil
}

// String formats the date for logs and test failures.
func (d DateValue) String() string {
	if !d.Valid {
		return "NULL(" + d.Reason + ")"
	}
	return d.T.Format(time.DateOnly)
}
