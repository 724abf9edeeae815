package configs

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Earned-value defaults.
const (
	// DefaultEACWeightCPI and DefaultEACWeightSPI weight eac_weighted's composite
	// index (wInsight's "weighted cost schedule" default).
	DefaultEACWeightCPI = 0.8
	DefaultEACWeightSPI = 0.2
)

// Reported-EAC methods (metrics.reported_eac): the EAC behind ETC, VAC, TCPI(EAC)
// and the RAG EAC rule.
const (
	ReportedEACBottomUpElseCPI = "bottom_up_else_cpi"
	ReportedEACCPI             = "cpi"
	ReportedEACAtypical        = "atypical"
	ReportedEACCPISPI          = "cpi_spi"
	ReportedEACWeighted        = "weighted"
	ReportedEACBottomUp        = "bottom_up"
)

// Zero-denominator conventions (metrics.zero_convention).
const (
	// ZeroConventionNull leaves CPI/SPI NULL (with a reason) when AC or PV is 0.
	ZeroConventionNull = "null"
	// ZeroConventionMicroFocus substitutes 1 (nothing earned either) or 0, as
	// Micro Focus PPM does.
	ZeroConventionMicroFocus = "microfocus"
)

// EACWeights weight eac_weighted = AC + (BAC − EV) / (cpi·CPI + spi·SPI).
//
//	metrics:
//	  eac_weights: {cpi: 0.8, spi: 0.2}   # must sum to 1; give one and the other is 1 − it
type EACWeights struct {
	CPI *float64 `yaml:"cpi"`
	SPI *float64 `yaml:"spi"`
}

// Values returns the CPI and SPI weights (defaults applied by Load).
func (w EACWeights) Values() (cpi, spi float64) {
	cpi, spi = DefaultEACWeightCPI, DefaultEACWeightSPI
	if w.CPI != nil {
		cpi = *w.CPI
	}
	if w.SPI != nil {
		spi = *w.SPI
	}
	return cpi, spi
}

func (w *EACWeights) applyDefaults() {
	switch {
	case w.CPI == nil && w.SPI == nil:
		w.CPI, w.SPI = fptr(DefaultEACWeightCPI), fptr(DefaultEACWeightSPI)
	case w.SPI == nil:
		w.SPI = fptr(1 - *w.CPI)
	case w.CPI == nil:
		w.CPI = fptr(1 - *w.SPI)
	}
}

func (w *EACWeights) validate(v *validator) {
	const at = "metrics.eac_weights"
	cpi, spi := w.Values()
	for _, x := range []struct {
		key string
		v   float64
	}{{"cpi", cpi}, {"spi", spi}} {
		if !(x.v >= 0 && x.v <= 1) {
			v.fail(at+"."+x.key, "a weight must be between 0 and 1 (got %g)", x.v)
		}
	}
	if math.Abs(cpi+spi-1) > 1e-9 {
		v.fail(at, "the weights must sum to 1 (cpi %g + spi %g = %g)", cpi, spi, cpi+spi)
	}
}

// RAGThresholds rate an index: green at or above Green, amber at or above Amber,
// red below.
type RAGThresholds struct {
	Green float64 `yaml:"green"`
	Amber float64 `yaml:"amber"`
}

// RAGRules are one set of RAG rules. A field left out inherits: a portfolio's
// rules from metrics.rag, metrics.rag from the defaults (SPI and CPI green at 0.95,
// amber at 0.90; EAC above 105 % of BAC red; TCPI(EAC) − CPI above 0.10 flags an
// unrealistic EAC).
type RAGRules struct {
	SPI *RAGThresholds `yaml:"spi"`
	CPI *RAGThresholds `yaml:"cpi"`
	// ScheduleIndex is the index rated for schedule: spi (default) or spi_t
	// (earned schedule's SPI(t), which stays honest after the planned finish).
	ScheduleIndex string `yaml:"schedule_index"`
	// EACRedAbove: an EAC above this fraction of BAC is red (default 1.05).
	EACRedAbove *float64 `yaml:"eac_red_above"`
	// EACAmberAbove: an EAC above this fraction of BAC is amber; 0 (default) means
	// no amber band.
	EACAmberAbove *float64 `yaml:"eac_amber_above"`
	// TCPIGap: TCPI(EAC) − CPI above this flags an unrealistic EAC (default 0.10).
	TCPIGap *float64 `yaml:"tcpi_gap"`
	// TCPIGapAbsolute compares |TCPI(EAC) − CPI|, so pessimistic EACs are flagged too.
	TCPIGapAbsolute *bool `yaml:"tcpi_gap_absolute"`
	// UnrealisticEAC is the colour the unrealistic-EAC flag raises the status to:
	// "" (default: only the reason is given), amber or red.
	UnrealisticEAC *string `yaml:"unrealistic_eac"`
}

// RAGConfig is metrics.rag: the rules every portfolio uses, and per-portfolio
// overrides keyed by portfolio name.
//
//	metrics:
//	  rag:
//	    spi: {green: 0.95, amber: 0.90}
//	    cpi: {green: 0.95, amber: 0.90}
//	    schedule_index: spi          # spi | spi_t
//	    eac_red_above: 1.05
//	    eac_amber_above: 0           # 0: no amber band for EAC
//	    tcpi_gap: 0.10
//	    tcpi_gap_absolute: false
//	    unrealistic_eac: ""          # "" flags only | amber | red
//	    portfolios:
//	      "Research IT": {cpi: {green: 0.90, amber: 0.85}}
type RAGConfig struct {
	RAGRules   `yaml:",inline"`
	Portfolios map[string]RAGRules `yaml:"portfolios"`
}

// defaultRAGRules returns the defaults with every field set.
func defaultRAGRules() RAGRules {
	return RAGRules{
		SPI:             &RAGThresholds{Green: 0.95, Amber: 0.90},
		CPI:             &RAGThresholds{Green: 0.95, Amber: 0.90},
		ScheduleIndex:   "spi",
		EACRedAbove:     fptr(1.05),
		EACAmberAbove:   fptr(0),
		TCPIGap:         fptr(0.10),
		TCPIGapAbsolute: bptr(false),
		UnrealisticEAC:  sptr(""),
	}
}

func bptr(b bool) *bool     { return &b }
func sptr(s string) *string { return &s }
func (r RAGRules) copy() RAGRules {
	c := r
	if r.SPI != nil {
		s := *r.SPI
		c.SPI = &s
	}
	if r.CPI != nil {
		s := *r.CPI
		c.CPI = &s
	}
	return c
}

// inherit fills r's unset fields from parent.
func (r RAGRules) inherit(parent RAGRules) RAGRules {
	out := r.copy()
	p := parent.copy()
	if out.SPI == nil {
		out.SPI = p.SPI
	}
	if out.CPI == nil {
		out.CPI = p.CPI
	}
	if out.ScheduleIndex == "" {
		out.ScheduleIndex = p.ScheduleIndex
	}
	if out.EACRedAbove == nil {
		out.EACRedAbove = p.EACRedAbove
	}
	if out.EACAmberAbove == nil {
		out.EACAmberAbove = p.EACAmberAbove
	}
	if out.TCPIGap == nil {
		out.TCPIGap = p.TCPIGap
	}
	if out.TCPIGapAbsolute == nil {
		out.TCPIGapAbsolute = p.TCPIGapAbsolute
	}
	if out.UnrealisticEAC == nil {
		out.UnrealisticEAC = p.UnrealisticEAC
	}
	return out
}

// For returns the complete rules of a portfolio: its overrides, then metrics.rag,
// then the defaults. Every pointer of the result is set.
func (c RAGConfig) For(portfolio string) RAGRules {
	base := c.RAGRules.inherit(defaultRAGRules())
	if p, ok := c.Portfolios[portfolio]; ok && portfolio != "" {
		return p.inherit(base)
	}
	return base
}

func (c *RAGConfig) validate(v *validator) {
	const at = "metrics.rag"
	c.For("").validate(v, at)
	names := make([]string, 0, len(c.Portfolios))
	for k := range c.Portfolios {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		p := at + ".portfolios." + name
		if name == "" {
			v.fail(p, "a portfolio name cannot be empty")
			continue
		}
		c.For(name).validate(v, p)
	}
}

// validate checks complete rules (after inheritance), naming keys under at.
func (r RAGRules) validate(v *validator, at string) {
	for _, th := range []struct {
		key string
		t   *RAGThresholds
	}{{"spi", r.SPI}, {"cpi", r.CPI}} {
		t := th.t
		if !(t.Amber > 0) || !(t.Green >= t.Amber) || math.IsInf(t.Green, 0) {
			v.fail(at+"."+th.key, "need 0 < amber <= green (got amber %g, green %g)", t.Amber, t.Green)
		}
	}
	if r.ScheduleIndex != "spi" && r.ScheduleIndex != "spi_t" {
		v.fail(at+".schedule_index", "%q is not one of spi, spi_t", r.ScheduleIndex)
	}
	red, amber := *r.EACRedAbove, *r.EACAmberAbove
	if !(red > 0) || math.IsInf(red, 0) {
		v.fail(at+".eac_red_above", "must be a positive fraction of BAC such as 1.05 (got %g)", red)
	}
	if !(amber >= 0) || (amber > 0 && amber > red) {
		v.fail(at+".eac_amber_above", "must be 0 (no amber band) or a fraction of BAC up to eac_red_above %g (got %g)", red, amber)
	}
	if g := *r.TCPIGap; !(g > 0) || math.IsInf(g, 0) {
		v.fail(at+".tcpi_gap", "must be positive, such as 0.10 (got %g)", g)
	}
	switch *r.UnrealisticEAC {
	case "", "amber", "red":
	default:
		v.fail(at+".unrealistic_eac", "%q is not one of \"\" (flag only), amber, red", *r.UnrealisticEAC)
	}
}

// AgileMetrics is metrics.agile: AgileEVM release plans of Jira-driven projects,
// keyed by pmlens project id. A plan here wins over the project's own
// `projects[].agile`; it also covers projects that are discovered from Jira
// rather than configured.
//
//	metrics:
//	  agile:
//	    projects:
//	      patient-portal:
//	        release_budget: 1160000   # BAC, in the project's currency
//	        planned_points: 884       # PRP
//	        planned_sprints: 26       # PS
//	        sprint_days: 14           # with start: as-of dates are the planned sprint ends
//	        start: 2026-01-12
//	        hourly_rate: 95           # AC = worklog hours × rate ...
//	        actual_cost: 0            # ... or this cost to date (latest as-of only)
type AgileMetrics struct {
	Projects map[string]Agile `yaml:"projects"`
}

// Plan returns the release plan of a project: metrics.agile.projects first, then
// the project's own agile key.
func (a AgileMetrics) Plan(projectID string, projects []Project) (Agile, bool) {
	if p, ok := a.Projects[projectID]; ok {
		return p, true
	}
	for _, p := range projects {
		if p.ID == projectID && p.Agile != nil {
			return *p.Agile, true
		}
	}
	return Agile{}, false
}

func (a *AgileMetrics) validate(v *validator) {
	ids := make([]string, 0, len(a.Projects))
	for k := range a.Projects {
		ids = append(ids, k)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p := a.Projects[id]
		p.Validate(func(key, format string, args ...any) {
			v.fail("metrics.agile.projects."+id+"."+key, format, args...)
		})
	}
}

// StartDate parses Start (YYYY-MM-DD); ok is false when it is empty.
func (a Agile) StartDate() (time.Time, bool, error) {
	if a.Start == "" {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.DateOnly, a.Start)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("start %q is not a date like 2026-01-12", a.Start)
	}
	return t, true, nil
}

// Validate reports every problem of a release plan through fail, naming the key
// (release_budget, planned_points, …). The configuration loader applies it to
// metrics.agile.projects; it is exported so projects[].agile can be checked the
// same way.
func (a Agile) Validate(fail func(key, format string, args ...any)) {
	pos := func(key string, x float64) {
		if !(x > 0) || math.IsInf(x, 0) {
			fail(key, "must be positive (got %g)", x)
		}
	}
	pos("release_budget", a.ReleaseBudget)
	pos("planned_points", a.PlannedPoints)
	if a.PlannedSprints < 1 {
		fail("planned_sprints", "must be at least 1 (got %d)", a.PlannedSprints)
	}
	if a.SprintDays < 0 || a.SprintDays > 366 {
		fail("sprint_days", "must be between 1 and 366 days (got %d)", a.SprintDays)
	}
	if _, _, err := a.StartDate(); err != nil {
		fail("start", "%v", err)
	}
	if (a.Start == "") != (a.SprintDays == 0) {
		fail("start", "give start and sprint_days together (planned sprint ends), or neither (closed Jira sprints)")
	}
	if a.HourlyRate < 0 || math.IsInf(a.HourlyRate, 0) || math.IsNaN(a.HourlyRate) {
		fail("hourly_rate", "must not be negative (got %g)", a.HourlyRate)
	}
	if a.ActualCost < 0 || math.IsInf(a.ActualCost, 0) || math.IsNaN(a.ActualCost) {
		fail("actual_cost", "must not be negative (got %g)", a.ActualCost)
	}
	if a.HourlyRate == 0 && a.ActualCost == 0 {
		fail("hourly_rate", "give hourly_rate (AC = worklog hours × rate) or actual_cost (cost to date)")
	}
}

// validateEVM checks the earned-value keys of metrics.
func (m *Metrics) validateEVM(v *validator) {
	m.EACWeights.validate(v)
	switch m.ReportedEAC {
	case "", ReportedEACBottomUpElseCPI, ReportedEACCPI, ReportedEACAtypical, ReportedEACCPISPI, ReportedEACWeighted, ReportedEACBottomUp:
	default:
		v.fail("metrics.reported_eac", "%q is not one of bottom_up_else_cpi, cpi, atypical, cpi_spi, weighted, bottom_up", m.ReportedEAC)
	}
	switch m.ZeroConvention {
	case "", ZeroConventionNull, ZeroConventionMicroFocus:
	default:
		v.fail("metrics.zero_convention", "%q is not one of null, microfocus", m.ZeroConvention)
	}
	m.RAG.validate(v)
	m.Agile.validate(v)
}

func (m *Metrics) applyEVMDefaults() {
	m.EACWeights.applyDefaults()
	if m.ReportedEAC == "" {
		m.ReportedEAC = ReportedEACBottomUpElseCPI
	}
	if m.ZeroConvention == "" {
		m.ZeroConvention = ZeroConventionNull
	}
}
