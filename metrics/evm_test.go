package metrics

import (
	"math"
	"reflect"
	"testing"
)

const eps = 1e-9

func near(t *testing.T, label string, got Value, want float64) {
	t.Helper()
	if !got.Valid {
		t.Errorf("%s = %v, want %.10g", label, got, want)
		return
	}
	if math.Abs(got.V-want) > eps*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.12g, want %.12g", label, got.V, want)
	}
}

func null(t *testing.T, label string, got Value, reason string) {
	t.Helper()
	if got.Valid {
		t.Errorf("%s = %v, want NULL(%s)", label, got, reason)
		return
	}
	if got.Reason != reason {
		t.Errorf("%s reason %q, want %q", label, got.Reason, reason)
	}
}

// TestComputeMidProject checks every money measure on one hand-worked status.
func TestComputeMidProject(t *testing.T) {
	// BAC 1000, PV 400, EV 300, AC 350.
	m := Compute(KnownInputs(1000, 400, 300, 350), Options{ReportedEAC: EACByCPI})
	near(t, "sv", m.SV, -100)          // 300 − 400
	near(t, "cv", m.CV, -50)           // 300 − 350
	near(t, "spi", m.SPI, 0.75)        // 300 / 400
	near(t, "cpi", m.CPI, 300.0/350)   // 0.857142…
	near(t, "sv%", m.SVPct, -0.25)     // −100 / PV 400 (fraction)
	near(t, "cv%", m.CVPct, -50.0/300) // −50 / EV 300, not over AC
	near(t, "% scheduled", m.PctScheduled, 0.4)
	near(t, "% complete", m.PctComplete, 0.3)
	near(t, "% spent", m.PctSpent, 0.35)
	// eac_cpi = BAC / CPI = 1000 × 350 / 300 = 1166.667
	near(t, "eac_cpi", m.EACCPI, 1000*350.0/300)
	// eac_atypical = 350 + 1000 − 300 = 1050
	near(t, "eac_atypical", m.EACAtypical, 1050)
	// eac_cpi_spi = 350 + 700 / (0.857142 × 0.75) = 350 + 700 / 0.642857 = 350 + 1088.889
	near(t, "eac_cpi_spi", m.EACCPISPI, 350+700/(300.0/350*0.75))
	// eac_weighted = 350 + 700 / (0.8 × 0.857142 + 0.2 × 0.75) = 350 + 700 / 0.835714
	near(t, "eac_weighted", m.EACWeighted, 350+700/(0.8*300.0/350+0.2*0.75))
	null(t, "eac_bottom_up", m.EACBottomUp, ReasonNoBottomUp)
	near(t, "etc", m.ETC, 1000*350.0/300-350)             // EAC − AC = 816.667
	near(t, "vac", m.VAC, 1000-1000*350.0/300)            // −166.667
	near(t, "vac%", m.VACPct, (1000-1000*350.0/300)/1000) // −0.1667
	near(t, "tcpi_bac", m.TCPIBAC, 700.0/650)             // (1000−300)/(1000−350)
	// With EAC = BAC/CPI, TCPI(EAC) = CPI identically (Frailey's identity).
	near(t, "tcpi_eac", m.TCPIEAC, m.CPI.V)
	if m.EACMethod != EACByCPI {
		t.Errorf("method %q", m.EACMethod)
	}
}

func TestEACWeights(t *testing.T) {
	// BAC 100, PV 40, EV 40, AC 50: CPI 0.8, SPI 1.0, remaining work 60.
	cases := []struct {
		name   string
		wc, ws float64
		pv     float64
		want   float64
	}{
		// 0.8×0.8 + 0.2×1.0 = 0.84 → 50 + 60/0.84 = 121.4286
		{"default 0.8/0.2", 0, 0, 40, 50 + 60/0.84},
		// 0.5×0.8 + 0.5×1.0 = 0.9 → 50 + 66.667
		{"0.5/0.5", 0.5, 0.5, 40, 50 + 60/0.9},
		// SPI is undefined (PV 0) but has weight 0: 50 + 60/0.8 = 125
		{"1/0 needs no SPI", 1, 0, 0, 125},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Compute(KnownInputs(100, c.pv, 40, 50), Options{WeightCPI: c.wc, WeightSPI: c.ws})
			near(t, "eac_weighted", m.EACWeighted, c.want)
		})
	}
	null(t, "negative weight", EACWeighted(100, 40, 50, Of(0.8), Of(1), -0.1, 1.1), ReasonBadWeights)
	if err := (Options{WeightCPI: -1, WeightSPI: 2}).Validate(); err == nil {
		t.Error("negative weight accepted")
	}
	if err := (Options{ReportedEAC: "median"}).Validate(); err == nil {
		t.Error("unknown EAC method accepted")
	}
	if err := (Options{}).Validate(); err != nil {
		t.Errorf("zero options: %v", err)
	}
}

func TestReportedEAC(t *testing.T) {
	// BAC 100, PV 50, EV 40, AC 50 → CPI 0.8, eac_cpi 125.
	in := KnownInputs(100, 50, 40, 50)
	m := Compute(in, Options{})
	if m.EACMethod != EACByCPI || m.EAC != m.EACCPI {
		t.Errorf("no bottom-up: reported %q %v, want cpi %v", m.EACMethod, m.EAC, m.EACCPI)
	}
	in.EACBottomUp = Of(110)
	m = Compute(in, Options{})
	if m.EACMethod != EACBottomUpMethod {
		t.Errorf("bottom-up present: reported %q", m.EACMethod)
	}
	near(t, "etc", m.ETC, 60)         // 110 − 50
	near(t, "vac", m.VAC, -10)        // 100 − 110
	near(t, "tcpi_eac", m.TCPIEAC, 1) // (100 − 40) / (110 − 50)
	m = Compute(in, Options{ReportedEAC: EACAtypicalMethod})
	near(t, "eac atypical reported", m.EAC, 110) // 50 + 100 − 40
}

// TestZeroDenominators pins pmlens's default: every undefined index is NULL with the
// reason, where Micro Focus would substitute 1 or 0.
func TestZeroDenominators(t *testing.T) {
	// Nothing done, nothing spent, nothing due.
	m := Compute(KnownInputs(100, 0, 0, 0), Options{})
	null(t, "cpi EV=AC=0", m.CPI, ReasonNothingYet)
	null(t, "spi PV=0", m.SPI, ReasonPVZero)
	null(t, "sv% PV=0", m.SVPct, ReasonPVZero)
	null(t, "cv% EV=0", m.CVPct, ReasonEVZero)
	null(t, "eac_cpi", m.EACCPI, ReasonNothingYet)
	near(t, "eac_atypical needs no index", m.EACAtypical, 100) // 0 + 100 − 0
	null(t, "eac_cpi_spi", m.EACCPISPI, ReasonNothingYet)
	near(t, "tcpi_bac", m.TCPIBAC, 1) // (100 − 0)/(100 − 0)

	// Work earned with no cost recorded.
	m = Compute(KnownInputs(100, 20, 10, 0), Options{})
	null(t, "cpi AC=0", m.CPI, ReasonACZero)
	near(t, "spi", m.SPI, 0.5)
	null(t, "eac_weighted (CPI weighted)", m.EACWeighted, ReasonACZero)

	// Cost with nothing earned: CPI = 0 and BAC/CPI is undefined, not infinite.
	m = Compute(KnownInputs(100, 20, 0, 10), Options{})
	near(t, "cpi", m.CPI, 0)
	null(t, "eac_cpi", m.EACCPI, ReasonCPIZero)
	null(t, "eac_cpi_spi", m.EACCPISPI, ReasonIndexZero)

	// Before the baseline start: PV = 0 for a different reason.
	in := KnownInputs(100, 0, 0, 0)
	in.BeforeBaselineStart = true
	m = Compute(in, Options{})
	null(t, "spi before start", m.SPI, ReasonBeforeStart)
	null(t, "sv% before start", m.SVPct, ReasonBeforeStart)

	// No baseline at all: BAC/PV/EV undefined, AC still known.
	m = Compute(Inputs{BAC: Null(ReasonNoBaseline), PV: Null(ReasonNoBaseline), EV: Null(ReasonNoBaseline), AC: Of(5)}, Options{})
	for name, v := range map[string]Value{"sv": m.SV, "cpi": m.CPI, "eac_cpi": m.EACCPI, "vac": m.VAC, "tcpi_bac": m.TCPIBAC, "es": m.Schedule.ES} {
		if v.Valid {
			t.Errorf("%s = %v without a baseline", name, v)
		}
	}
	null(t, "cpi", m.CPI, ReasonNoBaseline)

	// BAC = 0 (a baseline without cost).
	m = Compute(KnownInputs(0, 0, 0, 0), Options{})
	null(t, "% complete", m.PctComplete, ReasonBACZero)
	null(t, "vac%", m.VACPct, ReasonNothingYet) // EAC itself is undefined first
}

// TestFinishedProject: EV = BAC. Every EAC is the AC spent, TCPI has nothing left to
// measure, and nothing divides by zero even when an index is undefined.
func TestFinishedProject(t *testing.T) {
	m := Compute(KnownInputs(100, 100, 100, 120), Options{})
	for name, v := range map[string]Value{"eac_cpi": m.EACCPI, "eac_atypical": m.EACAtypical, "eac_cpi_spi": m.EACCPISPI, "eac_weighted": m.EACWeighted} {
		near(t, name, v, 120) // 120 + 0/anything; BAC/CPI = 100/(100/120) = 120
	}
	null(t, "tcpi_bac", m.TCPIBAC, ReasonNoWorkRemaining)
	null(t, "tcpi_eac", m.TCPIEAC, ReasonNoWorkRemaining)
	near(t, "etc", m.ETC, 0)

	// Finished with PV 0 (SPI undefined): the CPI×SPI EAC still needs no division.
	near(t, "eac_cpi_spi no SPI", EACFromCPISPI(100, 100, 90, Of(1.1), Null(ReasonPVZero)), 90)
}

func TestBudgetExhausted(t *testing.T) {
	// BAC 100, EV 50, AC 120: the remaining 50 of work has −20 of budget.
	null(t, "tcpi_bac", TCPI(100, 50, 120, 100), ReasonTargetExhausted)
	// To an EAC of 200: 50 / (200 − 120) = 0.625.
	near(t, "tcpi to 200", TCPI(100, 50, 120, 200), 0.625)
}

func TestMicroFocusConvention(t *testing.T) {
	near(t, "cpi 0/0", CPI(0, 0, ConventionMicroFocus), 1)
	near(t, "cpi 5/0", CPI(5, 0, ConventionMicroFocus), 0)
	near(t, "spi 0/0", SPI(0, 0, ConventionMicroFocus), 1)
	near(t, "spi 5/0", SPI(5, 0, ConventionMicroFocus), 0)
	null(t, "negative AC", CPI(5, -1, ConventionMicroFocus), ReasonACNegative)
}

// TestNonFiniteInputs: NaN or Inf inputs become NULL, never NaN outputs.
func TestNonFiniteInputs(t *testing.T) {
	m := Compute(KnownInputs(math.Inf(1), math.NaN(), 1, 1), Options{})
	assertFinite(t, m)
	null(t, "bac", m.BAC, ReasonNotFinite)
	null(t, "spi", m.SPI, ReasonNotFinite)
}

// assertFinite walks every Value in a struct (recursively) and fails on NaN/Inf or on
// an undefined value without a reason.
func assertFinite(t *testing.T, x any) {
	t.Helper()
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch {
		case v.Type() == reflect.TypeOf(Value{}):
			val := v.Interface().(Value)
			if val.Valid && (math.IsNaN(val.V) || math.IsInf(val.V, 0)) {
				t.Errorf("%s = %v escaped", path, val.V)
			}
			if !val.Valid && val.Reason == "" {
				t.Errorf("%s is NULL without a reason", path)
			}
		case v.Kind() == reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(path+"."+v.Type().Field(i).Name, v.Field(i))
				}
			}
		case v.Kind() == reflect.Slice:
			for i := range v.Len() {
				walk(path, v.Index(i))
			}
		}
	}
	walk("", reflect.ValueOf(x))
}

func TestValueJSON(t *testing.T) {
	for _, c := range []struct {
		v    Value
		want string
	}{{Of(0.5), "0.5"}, {Null("x"), "null"}, {Of(math.NaN()), "null"}} {
		b, err := c.v.MarshalJSON()
		if err != nil || string(b) != c.want {
			t.Errorf("%v → %s, %v; want %s", c.v, b, err, c.want)
		}
	}
	if Of(2).Any() != 2.0 || Null("x").Any() != nil || Null("x").ReasonOrNil() != "x" {
		t.Error("Any/ReasonOrNil")
	}
}

func FuzzCompute(f *testing.F) {
	f.Add(100.0, 40.0, 35.0, 36.0, 0.8, 0.2)
	f.Add(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
	f.Add(100.0, 0.0, 120.0, 0.0, 1.0, 0.0)
	f.Add(1e308, 1e-308, 1e308, -1e308, 0.5, 0.5)
	f.Fuzz(func(t *testing.T, bac, pv, ev, ac, wc, ws float64) {
		in := KnownInputs(bac, pv, ev, ac)
		in.EACBottomUp = Of(ac * 2)
		in.Schedule = &ScheduleInputs{Curve: PVCurve{Cum: []float64{bac / 4, bac / 2, bac}}, AT: Of(2)}
		for _, method := range []EACMethod{EACBottomUpElseCPI, EACWeightedMethod} {
			m := Compute(in, Options{WeightCPI: wc, WeightSPI: ws, ReportedEAC: method})
			assertFinite(t, m)
		}
	})
}

func BenchmarkCompute(b *testing.B) {
	in := KnownInputs(100000, 40000, 35000, 36000)
	in.EACBottomUp = Of(110000)
	in.Schedule = &ScheduleInputs{Curve: PVCurve{Cum: linearCurve(250, 100000)}, AT: Of(100)}
	for b.Loop() {
		_ = Compute(in, Options{})
	}
}

func linearCurve(n int, bac float64) []float64 {
	c := make([]float64, n)
	for i := range c {
		c[i] = bac * float64(i+1) / float64(n)
	}
	return c
}
