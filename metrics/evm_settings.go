package metrics

import (
	"strings"

	"github.com/pmlens/pmlens/configs"
)

// evmDefinitionVersion is part of every row's fingerprint, so a binary whose
// earned-value definitions changed recomputes the stored rows on its first sync.
const evmDefinitionVersion = "evm-1"

// evmSettings is what the earned-value rows depend on besides the data.
type evmSettings struct {
	metrics  configs.Metrics
	projects []configs.Project
	opts     Options
	rates    Rates
	// exclude are the lower-case issue types that are not work items (AgileEVM
	// points), from metrics.flow.exclude_issue_types.
	exclude []string
}

func newEVMSettings(cfg *configs.Config) evmSettings {
	var s evmSettings
	if cfg != nil {
		s.metrics = cfg.Metrics
		s.projects = cfg.Projects
	}
	m := s.metrics
	wc, ws := m.EACWeights.Values()
	s.opts = Options{WeightCPI: wc, WeightSPI: ws}
	switch m.ReportedEAC {
	case "", configs.ReportedEACBottomUpElseCPI:
		s.opts.ReportedEAC = EACBottomUpElseCPI
	default:
		s.opts.ReportedEAC = EACMethod(m.ReportedEAC)
	}
	if m.ZeroConvention == configs.ZeroConventionMicroFocus {
		s.opts.Zero = ConventionMicroFocus
	}
	cur := m.Currency
	if cur == "" {
		cur = "USD"
	}
	s.rates = Rates{Currency: cur, PerUnit: m.Rates}
	for _, t := range flowConfig(cfg).ExcludeIssueTypes {
		s.exclude = append(s.exclude, strings.ToLower(strings.TrimSpace(t)))
	}
	return s
}

// ragRules returns the RAG rules of a portfolio as the metrics package holds them.
func (s evmSettings) ragRules(portfolio string) RAGRules {
	c := s.metrics.RAG.For(portfolio)
	return RAGRules{
		SPI:             Thresholds{Green: c.SPI.Green, Amber: c.SPI.Amber},
		CPI:             Thresholds{Green: c.CPI.Green, Amber: c.CPI.Amber},
		ScheduleIndex:   c.ScheduleIndex,
		EACRedAbove:     *c.EACRedAbove,
		EACAmberAbove:   *c.EACAmberAbove,
		TCPIGap:         *c.TCPIGap,
		TCPIGapAbsolute: *c.TCPIGapAbsolute,
		UnrealisticEAC:  Status(*c.UnrealisticEAC),
	}
}

// agilePlan returns the AgileEVM release plan of a project, if one is configured.
func (s evmSettings) agilePlan(projectID string) (configs.Agile, bool) {
	return s.metrics.Agile.Plan(projectID, s.projects)
}

// evmProject is a row of the projects table.
type evmProject struct {
	ID, Name, Program, Portfolio, Currency string
}

// fingerprint identifies the settings one project's rows are computed with: a
// change of any (EAC options, the RAG rules of its portfolio, its currency, its
// agile plan) recomputes that project's rows and no other's.
func (s evmSettings) fingerprint(p evmProject, agile bool) string {
	v := struct {
		Version  string
		Options  Options
		RAG      RAGRules
		Currency string
		Agile    *configs.Agile
		Exclude  []string
	}{Version: evmDefinitionVersion, Options: s.opts, RAG: s.ragRules(p.Portfolio), Currency: p.Currency}
	if agile {
		plan, _ := s.agilePlan(p.ID)
		v.Agile, v.Exclude = &plan, s.exclude
	}
	return fingerprint(v)[:16]
}
