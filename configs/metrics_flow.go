package configs

import (
	"fmt"
	"sort"
	"strings"
)

// Flow categories a status can be mapped to.
const (
	FlowToDo       = "to_do"
	FlowInProgress = "in_progress"
	FlowDone       = "done"
)

// Forecast scopes.
const (
	ForecastScopeProject    = "project"
	ForecastScopeEpic       = "epic"
	ForecastScopeFixVersion = "fix_version"
)

// Flow defaults.
const (
	DefaultFlowTrials      = 10000
	DefaultFlowWindowWeeks = 12
	DefaultFlowMaxWeeks    = 520
)

// FlowMetrics configures delivery-flow metrics (throughput, WIP, cycle time) and the
// Monte Carlo completion forecasts built on them.
//
//	metrics:
//	  flow:
//	    trials: 10000            # simulated futures per forecast
//	    window_weeks: 12         # most recent complete weeks of throughput sampled
//	    seed: 0                  # any fixed value gives reproducible forecasts
//	    statuses:                # status name → to_do | in_progress | done
//	      "Ready for Release": done
//	    board_columns: true      # use board columns where a board maps the statuses
//	    exclude_issue_types: [Epic]
//	    forecast_scopes: [project, epic, fix_version]
//	    items_horizons_weeks: [2, 4, 8, 13]
type FlowMetrics struct {
	// Trials is the number of simulated futures per forecast (default 10,000).
	Trials int `yaml:"trials"`
	// WindowWeeks is how many of the most recent complete weeks of throughput the
	// simulation samples (default 12: a quarter reflects how the team works now;
	// set a large number such as 520 to use all history).
	WindowWeeks int `yaml:"window_weeks"`
	// Seed makes forecasts reproducible: the same seed and data give the same dates.
	Seed uint64 `yaml:"seed"`
	// MaxWeeks is the forecast horizon; a trial unfinished after it is "beyond"
	// (default 520).
	MaxWeeks int `yaml:"max_weeks"`
	// Statuses overrides the flow category of statuses by name (case-insensitive):
	// to_do, in_progress or done. It wins over board columns and Jira's own status
	// categories.
	Statuses map[string]string `yaml:"statuses"`
	// BoardColumns uses a project's board where one maps its statuses: the first
	// column is to_do, the last done, the ones between in_progress (default true).
	BoardColumns *bool `yaml:"board_columns"`
	// ExcludeIssueTypes are issue types that are not work items (default [Epic]).
	// Sub-tasks and risk issues are always left out.
	ExcludeIssueTypes []string `yaml:"exclude_issue_types"`
	// ForecastScopes are what remaining work is forecast for: project, epic,
	// fix_version (default all three).
	ForecastScopes []string `yaml:"forecast_scopes"`
	// ItemsHorizonsWeeks are the horizons of the "how many items by date"
	// forecasts stored beside the completion forecasts (default 2, 4, 8, 13
	// weeks), besides each unreleased fix version's release date.
	ItemsHorizonsWeeks []int `yaml:"items_horizons_weeks"`
}

// UseBoardColumns reports whether board columns define the flow categories.
func (f FlowMetrics) UseBoardColumns() bool { return f.BoardColumns == nil || *f.BoardColumns }

// StatusOverrides returns the status overrides keyed by lower-case status name.
func (f FlowMetrics) StatusOverrides() map[string]string {
	out := make(map[string]string, len(f.Statuses))
	for k, v := range f.Statuses {
		out[strings.ToLower(strings.TrimSpace(k))] = v
	}
	return out
}

// HasScope reports whether forecasts are made for the scope.
func (f FlowMetrics) HasScope(scope string) bool {
	for _, s := range f.ForecastScopes {
		if s == scope {
			return true
		}
	}
	return false
}

func (f *FlowMetrics) applyDefaults() {
	if f.Trials == 0 {
		f.Trials = DefaultFlowTrials
	}
	if f.WindowWeeks == 0 {
		f.WindowWeeks = DefaultFlowWindowWeeks
	}
	if f.MaxWeeks == 0 {
		f.MaxWeeks = DefaultFlowMaxWeeks
	}
	if f.ExcludeIssueTypes == nil {
		f.ExcludeIssueTypes = []string{"Epic"}
	}
	if f.ForecastScopes == nil {
		f.ForecastScopes = []string{ForecastScopeProject, ForecastScopeEpic, ForecastScopeFixVersion}
	}
	if f.ItemsHorizonsWeeks == nil {
		f.ItemsHorizonsWeeks = []int{2, 4, 8, 13}
	}
}

func (f *FlowMetrics) validate(v *validator) {
	const at = "metrics.flow"
	if f.Trials < 100 || f.Trials > 1000000 {
		v.fail(at+".trials", "must be between 100 and 1,000,000 (got %d)", f.Trials)
	}
	if f.WindowWeeks < 1 {
		v.fail(at+".window_weeks", "must be at least 1 (got %d)", f.WindowWeeks)
	}
	if f.MaxWeeks < 1 || f.MaxWeeks > 5200 {
		v.fail(at+".max_weeks", "must be between 1 and 5200 (got %d)", f.MaxWeeks)
	}
	names := make([]string, 0, len(f.Statuses))
	for k := range f.Statuses {
		names = append(names, k)
	}
	sort.Strings(names)
	seen := map[string]string{}
	for _, k := range names {
		p := at + ".statuses." + k
		switch c := f.Statuses[k]; {
		case strings.TrimSpace(k) == "":
			v.fail(p, "a status name cannot be empty")
		case c != FlowToDo && c != FlowInProgress && c != FlowDone:
			v.fail(p, "%q is not one of to_do, in_progress, done", c)
		}
		low := strings.ToLower(strings.TrimSpace(k))
		if prev, dup := seen[low]; dup {
			v.fail(p, "%q and %q name the same status (names are case-insensitive)", prev, k)
		}
		seen[low] = k
	}
	for i, t := range f.ExcludeIssueTypes {
		if strings.TrimSpace(t) == "" {
			v.fail(fmt.Sprintf("%s.exclude_issue_types[%d]", at, i), "an issue type cannot be empty")
		}
	}
	for i, s := range f.ForecastScopes {
		if s != ForecastScopeProject && s != ForecastScopeEpic && s != ForecastScopeFixVersion {
			v.fail(fmt.Sprintf("%s.forecast_scopes[%d]", at, i), "%q is not one of project, epic, fix_version", s)
		}
	}
	for i, w := range f.ItemsHorizonsWeeks {
		if w < 1 || w > f.MaxWeeks {
			v.fail(fmt.Sprintf("%s.items_horizons_weeks[%d]", at, i), "must be between 1 and max_weeks (%d), got %d", f.MaxWeeks, w)
		}
	}
}

// WithDefaults returns f with absent settings defaulted, as Load leaves it; for
// configurations built in code.
func (f FlowMetrics) WithDefaults() FlowMetrics {
	f.applyDefaults()
	return f
}
