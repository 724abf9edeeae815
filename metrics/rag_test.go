package metrics

import (
	"slices"
	"strings"
	"testing"
)

func TestRAGDefaults(t *testing.T) {
	rules := DefaultRAGRules()
	cases := []struct {
		name          string
		bac, pv, ev   float64
		ac            float64
		bottomUp      Value
		want          Status
		reasonSubstr  string
		unrealisticOK bool
	}{
		// SPI 96/100 = 0.96, CPI 96/100 = 0.96, EAC = BAC/CPI = 1041.7 (104 %): green.
		{"green", 1000, 100, 96, 100, Null(""), Green, "SPI 0.960 at or above 0.95: green", false},
		// SPI exactly 95/100: green despite float noise.
		{"boundary 0.95", 1000, 100, 95, 95, Null(""), Green, "SPI 0.950 at or above 0.95", false},
		// SPI 93/100: amber; CPI 93/93 = 1.
		{"amber", 1000, 100, 93, 93, Null(""), Amber, "SPI 0.930 below 0.95: amber", false},
		// CPI 85/100 = 0.85: red.
		{"red cpi", 1000, 85, 85, 100, Null(""), Red, "CPI 0.850 below 0.90: red", false},
		// Indices green (1.0) but the bottom-up EAC is 1060 = 106 % of BAC: red.
		{"eac over 105%", 1000, 100, 100, 100, Of(1060), Red, "EAC 1060 is 106.0% of BAC 1000, above 105%: red", false},
		// CPI 0.96, bottom-up EAC 1000: TCPI(EAC) = 900/(1000 − 104.17) = 1.0047; gap
		// 0.045: realistic.
		{"realistic eac", 1000, 100, 100, 104.1667, Of(1000), Green, "EAC 1000 is 100.0% of BAC", false},
		// AC 300: CPI 100/300 = 0.333 (red). The bottom-up EAC 1000 needs TCPI(EAC) =
		// 900/700 = 1.286, 0.95 above CPI: flagged as unrealistic.
		{"unrealistic eac", 1000, 100, 100, 300, Of(1000), Red, "EAC unrealistic", true},
		// Nothing known yet: grey.
		{"grey", 1000, 0, 0, 0, Null(""), Grey, "SPI not rated: " + ReasonPVZero, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := KnownInputs(c.bac, c.pv, c.ev, c.ac)
			in.EACBottomUp = c.bottomUp
			m := Compute(in, Options{})
			r := rules.Evaluate(m)
			if r.Status != c.want {
				t.Errorf("status %s, want %s; reasons %q", r.Status, c.want, r.Text())
			}
			if !strings.Contains(r.Text(), c.reasonSubstr) {
				t.Errorf("reasons %q lack %q", r.Text(), c.reasonSubstr)
			}
			if got := slices.Contains(r.Flags, FlagUnrealisticEAC); got != c.unrealisticOK {
				t.Errorf("unrealistic flag %v, want %v (%q)", got, c.unrealisticOK, r.Text())
			}
		})
	}
}

func TestRAGConfigured(t *testing.T) {
	// CPI 1.0, bottom-up EAC 1000 with EV 100, AC 100: TCPI(EAC) = 900/900 = 1, fine.
	// Bottom-up 950: TCPI(EAC) = 900/850 = 1.0588, gap 0.0588.
	in := KnownInputs(1000, 100, 100, 100)
	in.EACBottomUp = Of(950)
	m := Compute(in, Options{})
	tight := RAGRules{TCPIGap: 0.05, UnrealisticEAC: Amber}
	if r := tight.Evaluate(m); r.Status != Amber || !slices.Contains(r.Flags, FlagUnrealisticEAC) {
		t.Errorf("tight gap: %s %v %q", r.Status, r.Flags, r.Text())
	}
	// An EAC amber band at 100 %: bottom-up 1020 is 102 % → amber.
	in.EACBottomUp = Of(1020)
	m = Compute(in, Options{})
	if r := (RAGRules{EACAmberAbove: 1.0}).Evaluate(m); r.Status != Amber {
		t.Errorf("eac amber band: %s %q", r.Status, r.Text())
	}
	// SPI(t) instead of SPI: a late finished project is green on SPI, red on SPI(t).
	tasks := threeTaskFixture()
	for i := range tasks {
		tasks[i].Method, tasks[i].PercentComplete, tasks[i].ActualCost = EVPercentComplete, 1, tasks[i].BaselineCost.V
	}
	snap, err := BuildSnapshot(tasks, d("2026-04-10"), nil) // SPI(t) = 25/30
	if err != nil {
		t.Fatal(err)
	}
	m = Compute(snap.Inputs(), Options{ReportedEAC: EACByCPI})
	if r := DefaultRAGRules().Evaluate(m); r.Status != Green {
		t.Errorf("SPI rules: %s %q", r.Status, r.Text())
	}
	if r := (RAGRules{ScheduleIndex: "spi_t"}).Evaluate(m); r.Status != Red || !strings.Contains(r.Text(), "SPI(t) 0.833") {
		t.Errorf("SPI(t) rules: %s %q", r.Status, r.Text())
	}
}

func TestRAGValidate(t *testing.T) {
	if err := (RAGRules{}).Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	for name, r := range map[string]RAGRules{
		"amber above green": {SPI: Thresholds{Green: 0.9, Amber: 0.95}},
		"schedule index":    {ScheduleIndex: "spi_x"},
		"eac bands":         {EACRedAbove: 1.05, EACAmberAbove: 1.10},
		"colour":            {UnrealisticEAC: "blue"},
		"gap":               {TCPIGap: -1},
	} {
		if err := r.Validate(); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
