package metrics

import "math"

// Convention decides what an index is when its denominator is zero.
type Convention string

// Zero-denominator conventions.
const (
	// ConventionNull (the default) leaves the index undefined with a reason.
	ConventionNull Convention = ""
	// ConventionMicroFocus follows Micro Focus PPM: CPI = 1 when EV = AC = 0 and 0
	// when AC = 0 < EV; SPI likewise with PV. Offered for comparability with that
	// tool; the substitutes hide the missing data, which is why it is not the default.
	ConventionMicroFocus Convention = "microfocus"
)

// EACMethod names an EAC formula. The reported EAC (Measures.EAC) drives ETC, VAC and
// TCPI(EAC).
type EACMethod string

// EAC formulas. Each is also exposed under its own name in Measures.
const (
	// EACBottomUpElseCPI reports the schedule's own (bottom-up) estimate when there
	// is one and BAC/CPI otherwise. It is the default because TCPI(EAC) compared with
	// CPI only says something about a management estimate: for EAC = BAC/CPI,
	// TCPI(EAC) equals CPI identically.
	EACBottomUpElseCPI EACMethod = ""
	EACByCPI           EACMethod = "cpi"
	EACAtypicalMethod  EACMethod = "atypical"
	EACByCPISPI        EACMethod = "cpi_spi"
	EACWeightedMethod  EACMethod = "weighted"
	EACBottomUpMethod  EACMethod = "bottom_up"
)

// Options configures Compute. The zero value means the defaults documented per field.
type Options struct {
	// WeightCPI and WeightSPI weight the composite index of eac_weighted:
	// EAC = AC + (BAC − EV) / (WeightCPI·CPI + WeightSPI·SPI). Both zero means the
	// customary 0.8 / 0.2.
	WeightCPI float64 `yaml:"weight_cpi"`
	WeightSPI float64 `yaml:"weight_spi"`
	// ReportedEAC picks the EAC behind ETC, VAC and TCPI(EAC).
	ReportedEAC EACMethod `yaml:"reported_eac"`
	// Zero is the zero-denominator convention for CPI and SPI.
	Zero Convention `yaml:"zero_convention"`
}

// Default EAC weights (wInsight's "weighted cost schedule" default).
const (
	DefaultWeightCPI = 0.8
	DefaultWeightSPI = 0.2
)

func (o Options) weights() (float64, float64) {
	if o.WeightCPI == 0 && o.WeightSPI == 0 {
		return DefaultWeightCPI, DefaultWeightSPI
	}
	return o.WeightCPI, o.WeightSPI
}

// Validate reports a configuration error, naming the key.
func (o Options) Validate() error {
	wc, ws := o.weights()
	if wc < 0 || ws < 0 || math.IsNaN(wc) || math.IsNaN(ws) || math.IsInf(wc, 0) || math.IsInf(ws, 0) {
		return errorf("weight_cpi/weight_spi: %s (got %g and %g)", ReasonBadWeights, wc, ws)
	}
	switch o.ReportedEAC {
	case EACBottomUpElseCPI, EACByCPI, EACAtypicalMethod, EACByCPISPI, EACWeightedMethod, EACBottomUpMethod:
	default:
		return errorf("reported_eac: unknown method %q (cpi, atypical, cpi_spi, weighted, bottom_up)", o.ReportedEAC)
	}
	switch o.Zero {
	case ConventionNull, ConventionMicroFocus:
	default:
		return errorf("zero_convention: unknown convention %q (microfocus or empty)", o.Zero)
	}
	return nil
}

// Inputs are the cumulative base measures of one project (or roll-up) at one as-of
// date. BAC, PV and EV are undefined when nothing is baselined; AC is defined whenever
// actuals are.
type Inputs struct {
	BAC, PV, EV, AC Value
	// EACBottomUp is the manager's or the schedule's own estimate at completion
	// (Microsoft Project's Cost field summed over leaf tasks); undefined when absent.
	EACBottomUp Value
	// BeforeBaselineStart marks an as-of date before the first baselined working day;
	// it only changes the reason given for an undefined SPI.
	BeforeBaselineStart bool
	// Schedule enables the earned-schedule measures; nil leaves them undefined.
	Schedule *ScheduleInputs
}

// KnownInputs builds Inputs from four known amounts.
func KnownInputs(bac, pv, ev, ac float64) Inputs {
	return Inputs{BAC: Of(bac), PV: Of(pv), EV: Of(ev), AC: Of(ac), EACBottomUp: Null(ReasonNoBottomUp)}
}

// Measures is every EVM measure of one project at one as-of date, named as the
// project_evm view's columns. Percentages are fractions.
type Measures struct {
	BAC, PV, EV, AC Value

	SV, CV       Value // EV − PV, EV − AC
	SPI, CPI     Value // EV / PV, EV / AC
	SVPct        Value // SV / PV (Gold Card)
	CVPct        Value // CV / EV (Gold Card: over BCWP, not AC)
	PctScheduled Value // PV / BAC
	PctComplete  Value // EV / BAC
	PctSpent     Value // AC / BAC
	EACCPI       Value // BAC / CPI
	EACAtypical  Value // AC + BAC − EV
	EACCPISPI    Value // AC + (BAC − EV) / (CPI × SPI): the Gold Card's "EAC composite"
	EACWeighted  Value // AC + (BAC − EV) / (wc·CPI + ws·SPI)
	EACBottomUp  Value // the schedule's own estimate
	EAC          Value // the reported EAC, chosen by Options.ReportedEAC
	EACMethod    EACMethod
	ETC          Value // EAC − AC
	VAC          Value // BAC − EAC
	VACPct       Value // VAC / BAC
	TCPIBAC      Value // (BAC − EV) / (BAC − AC)
	TCPIEAC      Value // (BAC − EV) / (EAC − AC)
	Schedule     ScheduleMeasures
	// WeightCPI, WeightSPI and Convention record the settings used, so a stored row
	// says how its eac_weighted and zero-denominator cases were computed.
	WeightCPI  float64
	WeightSPI  float64
	Convention Convention
}

// CPI is EV / AC under convention c.
func CPI(ev, ac float64, c Convention) Value {
	switch {
	case ac < 0:
		return Null(ReasonACNegative)
	case ac == 0 && c == ConventionMicroFocus && ev == 0:
		return Of(1)
	case ac == 0 && c == ConventionMicroFocus:
		return Of(0)
	case ac == 0 && ev == 0:
		return Null(ReasonNothingYet)
	case ac == 0:
		return Null(ReasonACZero)
	}
	return Of(ev / ac)
}

// SPI is EV / PV under convention c.
func SPI(ev, pv float64, c Convention) Value {
	switch {
	case pv < 0:
		return Null(ReasonPVNegative)
	case pv == 0 && c == ConventionMicroFocus && ev == 0:
		return Of(1)
	case pv == 0 && c == ConventionMicroFocus:
		return Of(0)
	case pv == 0:
		return Null(ReasonPVZero)
	}
	return Of(ev / pv)
}

// EACFromCPI is BAC / CPI, the "typical" EAC: cost efficiency to date continues.
func EACFromCPI(bac float64, cpi Value) Value {
	if bad, ok := firstInvalid(cpi); ok {
		return bad
	}
	if cpi.V <= 0 {
		return Null(ReasonCPIZero)
	}
	return Of(bac / cpi.V)
}

// EACAtypical is AC + BAC − EV: the remaining work is done at budget.
func EACAtypical(bac, ev, ac float64) Value { return Of(ac + bac - ev) }

// remainingOver is AC + (BAC − EV)/index, with no division when no work remains so a
// finished project's EAC is its AC whatever its indices are.
func remainingOver(bac, ev, ac float64, index Value) Value {
	rem := bac - ev
	if rem <= 0 {
		return Of(ac + rem)
	}
	if bad, ok := firstInvalid(index); ok {
		return bad
	}
	if index.V <= 0 {
		return Null(ReasonIndexZero)
	}
	return Of(ac + rem/index.V)
}

// EACFromCPISPI is AC + (BAC − EV) / (CPI × SPI): schedule pressure also drives cost.
// The Gold Card calls it "EAC composite".
func EACFromCPISPI(bac, ev, ac float64, cpi, spi Value) Value {
	if rem := bac - ev; rem <= 0 {
		return Of(ac + rem)
	}
	if bad, ok := firstInvalid(cpi, spi); ok {
		return bad
	}
	return remainingOver(bac, ev, ac, Of(cpi.V*spi.V))
}

// EACWeighted is AC + (BAC − EV) / (wCPI·CPI + wSPI·SPI). A zero weight drops its
// index, so eac_weighted with weights 1/0 needs no SPI.
func EACWeighted(bac, ev, ac float64, cpi, spi Value, wCPI, wSPI float64) Value {
	if wCPI < 0 || wSPI < 0 || wCPI+wSPI == 0 {
		return Null(ReasonBadWeights)
	}
	if rem := bac - ev; rem <= 0 {
		return Of(ac + rem)
	}
	index := 0.0
	if wCPI != 0 {
		if bad, ok := firstInvalid(cpi); ok {
			return bad
		}
		index += wCPI * cpi.V
	}
	if wSPI != 0 {
		if bad, ok := firstInvalid(spi); ok {
			return bad
		}
		index += wSPI * spi.V
	}
	return remainingOver(bac, ev, ac, Of(index))
}

// CriticalRatio is CPI × SPI.
func CriticalRatio(cpi, spi Value) Value {
	if bad, ok := firstInvalid(cpi, spi); ok {
		return bad
	}
	return Of(cpi.V * spi.V)
}

// EACCriticalRatio is BAC / (CPI × SPI), an exam-material variant that differs from
// EACFromCPISPI; it is not a view column and exists for comparison only.
func EACCriticalRatio(bac float64, cpi, spi Value) Value {
	cr := CriticalRatio(cpi, spi)
	if !cr.Valid {
		return cr
	}
	if cr.V <= 0 {
		return Null(ReasonIndexZero)
	}
	return Of(bac / cr.V)
}

// TCPI is (BAC − EV) / (target − AC): the cost efficiency the remaining work needs to
// finish at target (BAC or an EAC).
func TCPI(bac, ev, ac, target float64) Value {
	if bac-ev <= 0 {
		return Null(ReasonNoWorkRemaining)
	}
	if target-ac <= 0 {
		return Null(ReasonTargetExhausted)
	}
	return Of((bac - ev) / (target - ac))
}

// Compute derives every measure from in. It never fails: undefined measures carry
// their reason. Invalid options (see Options.Validate) make the affected measures
// undefined rather than panicking.
func Compute(in Inputs, opts Options) Measures {
	wc, ws := opts.weights()
	m := Measures{BAC: fin(in.BAC), PV: fin(in.PV), EV: fin(in.EV), AC: fin(in.AC),
		WeightCPI: wc, WeightSPI: ws, Convention: opts.Zero}
	bac, pv, ev, ac := m.BAC, m.PV, m.EV, m.AC

	m.SV = sub(ev, pv)
	m.CV = sub(ev, ac)
	m.SPI = withInputs(func() Value { return SPI(ev.V, pv.V, opts.Zero) }, ev, pv)
	if !m.SPI.Valid && in.BeforeBaselineStart && m.SPI.Reason == ReasonPVZero {
		m.SPI.Reason = ReasonBeforeStart
	}
	m.CPI = withInputs(func() Value { return CPI(ev.V, ac.V, opts.Zero) }, ev, ac)
	pvZero := ReasonPVZero
	if in.BeforeBaselineStart {
		pvZero = ReasonBeforeStart
	}
	m.SVPct = ratio(m.SV, pv, pvZero)
	m.CVPct = ratio(m.CV, ev, ReasonEVZero)
	m.PctScheduled = ratio(pv, bac, ReasonBACZero)
	m.PctComplete = ratio(ev, bac, ReasonBACZero)
	m.PctSpent = ratio(ac, bac, ReasonBACZero)

	m.EACCPI = withInputs(func() Value { return EACFromCPI(bac.V, m.CPI) }, bac)
	m.EACAtypical = withInputs(func() Value { return EACAtypical(bac.V, ev.V, ac.V) }, bac, ev, ac)
	m.EACCPISPI = withInputs(func() Value { return EACFromCPISPI(bac.V, ev.V, ac.V, m.CPI, m.SPI) }, bac, ev, ac)
	m.EACWeighted = withInputs(func() Value { return EACWeighted(bac.V, ev.V, ac.V, m.CPI, m.SPI, wc, ws) }, bac, ev, ac)
	m.EACBottomUp = fin(in.EACBottomUp)
	if !m.EACBottomUp.Valid && m.EACBottomUp.Reason == ReasonMissingInput {
		m.EACBottomUp.Reason = ReasonNoBottomUp
	}
	m.EAC, m.EACMethod = m.reported(opts.ReportedEAC)
	m.deriveFromEAC()

	if in.Schedule != nil {
		m.Schedule = ComputeSchedule(*in.Schedule, ev, bac)
	} else {
		m.Schedule = nullSchedule(ReasonNoCurve)
	}
	return m
}

// reported picks the EAC that ETC, VAC and TCPI(EAC) use.
func (m *Measures) reported(method EACMethod) (Value, EACMethod) {
	switch method {
	case EACByCPI:
		return m.EACCPI, method
	case EACAtypicalMethod:
		return m.EACAtypical, method
	case EACByCPISPI:
		return m.EACCPISPI, method
	case EACWeightedMethod:
		return m.EACWeighted, method
	case EACBottomUpMethod:
		return m.EACBottomUp, method
	}
	if m.EACBottomUp.Valid {
		return m.EACBottomUp, EACBottomUpMethod
	}
	return m.EACCPI, EACByCPI
}

// deriveFromEAC fills ETC, VAC, VAC% and both TCPIs from BAC, EV, AC and EAC; roll-ups
// call it again after replacing EAC with a sum of project EACs.
func (m *Measures) deriveFromEAC() {
	m.ETC = sub(m.EAC, m.AC)
	m.VAC = sub(m.BAC, m.EAC)
	m.VACPct = ratio(m.VAC, m.BAC, ReasonBACZero)
	m.TCPIBAC = withInputs(func() Value { return TCPI(m.BAC.V, m.EV.V, m.AC.V, m.BAC.V) }, m.BAC, m.EV, m.AC)
	m.TCPIEAC = withInputs(func() Value { return TCPI(m.BAC.V, m.EV.V, m.AC.V, m.EAC.V) }, m.BAC, m.EV, m.AC, m.EAC)
}

// withInputs evaluates f only when every input is defined.
func withInputs(f func() Value, in ...Value) Value {
	if bad, ok := firstInvalid(in...); ok {
		return bad
	}
	return f()
}

// fin normalises an input: a Valid non-finite value becomes undefined, and an
// undefined value without a reason gets one.
func fin(v Value) Value {
	if !v.Valid {
		if v.Reason == "" {
			v.Reason = ReasonMissingInput
		}
		return Value{Reason: v.Reason}
	}
	return Of(v.V)
}
