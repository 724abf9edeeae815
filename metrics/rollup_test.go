package metrics

import (
	"errors"
	"strings"
	"testing"
)

func TestRollupRecomputesIndicesFromSums(t *testing.T) {
	// Project A (USD): BAC 100, PV 50, EV 40, AC 80 → CPI 0.5, eac_cpi 200.
	// Project B (EUR, 1 EUR = 1.10 USD): BAC 1000, PV 500, EV 500, AC 400 → CPI 1.25,
	// eac_cpi 800 EUR = 880 USD.
	a := Compute(KnownInputs(100, 50, 40, 80), Options{})
	b := Compute(KnownInputs(1000, 500, 500, 400), Options{})
	res, err := Rollup([]ProjectMeasures{{"A", "USD", a}, {"B", "EUR", b}},
		Rates{Currency: "USD", PerUnit: map[string]float64{"EUR": 1.10}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Measures
	// Sums in USD: BAC 100 + 1100 = 1200; PV 50 + 550 = 600; EV 40 + 550 = 590;
	// AC 80 + 440 = 520.
	near(t, "bac", m.BAC, 1200)
	near(t, "pv", m.PV, 600)
	near(t, "ev", m.EV, 590)
	near(t, "ac", m.AC, 520)
	// CPI from sums = 590/520 = 1.1346; the (wrong) average of CPIs would be 0.875.
	near(t, "cpi", m.CPI, 590.0/520)
	near(t, "spi", m.SPI, 590.0/600)
	// EACs are sums of project EACs: 200 + 880 = 1080.
	near(t, "eac_cpi", m.EACCPI, 1080)
	near(t, "eac (reported)", m.EAC, 1080)
	near(t, "vac", m.VAC, 120)                // 1200 − 1080
	near(t, "etc", m.ETC, 560)                // 1080 − 520
	near(t, "tcpi_eac", m.TCPIEAC, 610.0/560) // (1200 − 590)/(1080 − 520)
	null(t, "eac_bottom_up", m.EACBottomUp, "project A: "+ReasonNoBottomUp)
	null(t, "es", m.Schedule.ES, ReasonNotRolledUp)
	if res.Included != 2 || len(res.Excluded) != 0 || m.EACMethod != EACSumOfProjects {
		t.Errorf("included %d excluded %v method %q", res.Included, res.Excluded, m.EACMethod)
	}
}

func TestRollupExclusionsAndRates(t *testing.T) {
	noBaseline := Compute(Inputs{BAC: Null(ReasonNoBaseline), PV: Null(ReasonNoBaseline), EV: Null(ReasonNoBaseline), AC: Of(10)}, Options{})
	ok := Compute(KnownInputs(100, 50, 50, 50), Options{})
	res, err := Rollup([]ProjectMeasures{{"X", "USD", noBaseline}, {"Y", "USD", ok}}, Rates{Currency: "USD"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Included != 1 || len(res.Excluded) != 1 || res.Excluded[0].ProjectID != "X" || res.Excluded[0].Reason != ReasonNoBaseline {
		t.Errorf("included %d excluded %+v", res.Included, res.Excluded)
	}
	near(t, "ac excludes X", res.Measures.AC, 50)

	_, err = Rollup([]ProjectMeasures{{"Y", "GBP", ok}}, Rates{Currency: "USD"}, Options{})
	if !errors.Is(err, ErrNoRate) || !strings.Contains(err.Error(), "Y") || !strings.Contains(err.Error(), "GBP") {
		t.Errorf("missing rate: %v", err)
	}
	empty, err := Rollup(nil, Rates{Currency: "USD"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	assertFinite(t, empty.Measures)
	null(t, "empty cpi", empty.Measures.CPI, ReasonNoBaseline)
}
