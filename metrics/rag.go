package metrics

import (
	"fmt"
	"math"
	"strings"
)

// Status is a RAG colour.
type Status string

// RAG colours. Grey means no rule could be evaluated (nothing earned, spent or
// scheduled yet): an honest "not rated" rather than a green nobody measured.
const (
	Green Status = "green"
	Amber Status = "amber"
	Red   Status = "red"
	Grey  Status = "grey"
)

func (s Status) rank() int {
	switch s {
	case Green:
		return 1
	case Amber:
		return 2
	case Red:
		return 3
	}
	return 0
}

// Thresholds rate an index: green at or above Green, amber at or above Amber, red
// below.
type Thresholds struct {
	Green float64 `yaml:"green"`
	Amber float64 `yaml:"amber"`
}

// RAGRules are the RAG rules of one portfolio, held as data. Zero fields take the
// defaults of DefaultRAGRules.
type RAGRules struct {
	SPI Thresholds `yaml:"spi"`
	CPI Thresholds `yaml:"cpi"`
	// ScheduleIndex is "spi" (default) or "spi_t"; SPI(t) keeps telling the truth
	// after the planned finish, where SPI drifts back to 1.
	ScheduleIndex string `yaml:"schedule_index"`
	// EACRedAbove: EAC above this fraction of BAC is red (default 1.05).
	EACRedAbove float64 `yaml:"eac_red_above"`
	// EACAmberAbove: EAC above this fraction of BAC is amber; 0 leaves no amber band
	// (the DoD deck's convention would be 1.00).
	EACAmberAbove float64 `yaml:"eac_amber_above"`
	// TCPIGap: TCPI(EAC) − CPI above this flags an unrealistic EAC (default 0.10).
	TCPIGap float64 `yaml:"tcpi_gap"`
	// TCPIGapAbsolute compares |TCPI(EAC) − CPI| so pessimistic EACs are flagged too.
	TCPIGapAbsolute bool `yaml:"tcpi_gap_absolute"`
	// UnrealisticEAC is the colour the flag raises the status to: "" only flags it
	// (with its reason), "amber" or "red" also colour it.
	UnrealisticEAC Status `yaml:"unrealistic_eac"`
}

// DefaultRAGRules returns the defaults: SPI and CPI green at 0.95, amber at 0.90;
// EAC above 105 % of BAC red; TCPI(EAC) − CPI above 0.10 flags an unrealistic EAC.
func DefaultRAGRules() RAGRules {
	return RAGRules{
		SPI:           Thresholds{Green: 0.95, Amber: 0.90},
		CPI:           Thresholds{Green: 0.95, Amber: 0.90},
		ScheduleIndex: "spi",
		EACRedAbove:   1.05,
		TCPIGap:       0.10,
	}
}

func (r RAGRules) withDefaults() RAGRules {
	d := DefaultRAGRules()
	if r.SPI == (Thresholds{}) {
		r.SPI = d.SPI
	}
	if r.CPI == (Thresholds{}) {
		r.CPI = d.CPI
	}
	if r.ScheduleIndex == "" {
		r.ScheduleIndex = d.ScheduleIndex
	}
	if r.EACRedAbove == 0 {
		r.EACRedAbove = d.EACRedAbove
	}
	if r.TCPIGap == 0 {
		r.TCPIGap = d.TCPIGap
	}
	return r
}

// Validate reports a configuration error, naming the key.
func (r RAGRules) Validate() error {
	r = r.withDefaults()
	for name, th := range map[string]Thresholds{"spi": r.SPI, "cpi": r.CPI} {
		if !(th.Amber > 0) || th.Green < th.Amber || math.IsInf(th.Green, 0) {
			return errorf("rag.%s: need 0 < amber <= green (got amber %g, green %g)", name, th.Amber, th.Green)
		}
	}
	if r.ScheduleIndex != "spi" && r.ScheduleIndex != "spi_t" {
		return errorf("rag.schedule_index: %q is neither spi nor spi_t", r.ScheduleIndex)
	}
	if !(r.EACRedAbove > 0) || r.EACAmberAbove < 0 || (r.EACAmberAbove > 0 && r.EACAmberAbove > r.EACRedAbove) {
		return errorf("rag.eac_red_above/eac_amber_above: need 0 <= amber <= red (got %g, %g)", r.EACAmberAbove, r.EACRedAbove)
	}
	if !(r.TCPIGap > 0) {
		return errorf("rag.tcpi_gap: must be positive (got %g)", r.TCPIGap)
	}
	switch r.UnrealisticEAC {
	case "", Amber, Red:
	default:
		return errorf("rag.unrealistic_eac: %q is not amber, red or empty", r.UnrealisticEAC)
	}
	return nil
}

// RAG is a status with the reasons behind it, in rule order.
type RAG struct {
	Status  Status
	Reasons []string
	// Flags are named findings that need not change the colour ("unrealistic_eac").
	Flags []string
}

// FlagUnrealisticEAC is raised when TCPI(EAC) exceeds CPI by more than the gap.
const FlagUnrealisticEAC = "unrealistic_eac"

// Text joins the reasons for the rag_reasons column.
func (r RAG) Text() string { return strings.Join(r.Reasons, "; ") }

// ragEpsilon absorbs float noise so an SPI of 0.95 computed as 0.9499999999 is still
// green.
const ragEpsilon = 1e-9

// Evaluate rates m. The status is the worst colour of the rules that could be
// evaluated; grey when none could.
func (r RAGRules) Evaluate(m Measures) RAG {
	r = r.withDefaults()
	var out RAG
	worst := Grey
	raise := func(s Status) {
		if s.rank() > worst.rank() {
			worst = s
		}
	}
	schedName, sched := "SPI", m.SPI
	if r.ScheduleIndex == "spi_t" {
		schedName, sched = "SPI(t)", m.Schedule.SPIt
	}
	for _, rule := range []struct {
		name string
		v    Value
		th   Thresholds
	}{{schedName, sched, r.SPI}, {"CPI", m.CPI, r.CPI}} {
		if !rule.v.Valid {
			out.Reasons = append(out.Reasons, fmt.Sprintf("%s not rated: %s", rule.name, rule.v.Reason))
			continue
		}
		var s Status
		switch v := rule.v.V; {
		case v >= rule.th.Green-ragEpsilon:
			s = Green
			out.Reasons = append(out.Reasons, fmt.Sprintf("%s %.3f at or above %.2f: green", rule.name, v, rule.th.Green))
		case v >= rule.th.Amber-ragEpsilon:
			s = Amber
			out.Reasons = append(out.Reasons, fmt.Sprintf("%s %.3f below %.2f: amber", rule.name, v, rule.th.Green))
		default:
			s = Red
			out.Reasons = append(out.Reasons, fmt.Sprintf("%s %.3f below %.2f: red", rule.name, v, rule.th.Amber))
		}
		raise(s)
	}

	switch {
	case !m.EAC.Valid:
		out.Reasons = append(out.Reasons, fmt.Sprintf("EAC not rated: %s", m.EAC.Reason))
	case !m.BAC.Valid || m.BAC.V <= 0:
		out.Reasons = append(out.Reasons, "EAC not rated: "+ReasonBACZero)
	default:
		share := m.EAC.V / m.BAC.V
		switch {
		case share > r.EACRedAbove+ragEpsilon:
			raise(Red)
			out.Reasons = append(out.Reasons, fmt.Sprintf("EAC %.0f is %.1f%% of BAC %.0f, above %.0f%%: red", m.EAC.V, share*100, m.BAC.V, r.EACRedAbove*100))
		case r.EACAmberAbove > 0 && share > r.EACAmberAbove+ragEpsilon:
			raise(Amber)
			out.Reasons = append(out.Reasons, fmt.Sprintf("EAC %.0f is %.1f%% of BAC %.0f, above %.0f%%: amber", m.EAC.V, share*100, m.BAC.V, r.EACAmberAbove*100))
		default:
			raise(Green)
			out.Reasons = append(out.Reasons, fmt.Sprintf("EAC %.0f is %.1f%% of BAC %.0f: green", m.EAC.V, share*100, m.BAC.V))
		}
	}

	if m.TCPIEAC.Valid && m.CPI.Valid {
		gap := m.TCPIEAC.V - m.CPI.V
		if r.TCPIGapAbsolute {
			gap = math.Abs(gap)
		}
		if gap > r.TCPIGap+ragEpsilon {
			out.Flags = append(out.Flags, FlagUnrealisticEAC)
			msg := fmt.Sprintf("TCPI(EAC) %.3f against CPI %.3f differs by more than %.2f: EAC unrealistic, review it", m.TCPIEAC.V, m.CPI.V, r.TCPIGap)
			if r.UnrealisticEAC != "" {
				raise(r.UnrealisticEAC)
				msg += ": " + string(r.UnrealisticEAC)
			}
			out.Reasons = append(out.Reasons, msg)
		}
	}
	out.Status = worst
	return out
}
