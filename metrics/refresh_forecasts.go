package metrics

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/warehouse"
)

// forecastDefinitionVersion is part of the forecast fingerprint, so a binary
// whose simulation or scopes changed recomputes the current forecasts.
const forecastDefinitionVersion = "forecast-2" // 2: forecast_distribution

// Forecast methods stored in forecasts.method.
const (
	MethodMonteCarlo     = "monte_carlo"
	MethodEarnedSchedule = "earned_schedule"
)

// refreshForecasts rewrites the current forecasts: the Monte Carlo completion and
// items forecasts of every Jira project (and its epics and fix versions) at its
// flow horizon, and the earned-schedule finish of every schedule-driven project.
// The simulation is skipped when its inputs are those of the last refresh: always
// on runs of non-Jira sources with an unchanged configuration, and otherwise when
// the throughput histories, backlogs and targets hash to the stored fingerprint.
func refreshForecasts(ctx context.Context, run *warehouse.Run, opts RefreshOptions) error {
	now := opts.Now().UTC()
	if err := refreshEarnedScheduleForecasts(ctx, run, now); err != nil {
		return err
	}
	fc := flowConfig(opts.Config)
	cfgFP := fingerprint(struct {
		Definitions string
		Config      configs.FlowMetrics
	}{forecastDefinitionVersion, fc})
	last, err := lastForecastRefresh(ctx, run)
	if err != nil {
		return err
	}
	if last.ok && last.config == cfgFP && !feedsFlow(opts.Config, run.Source()) {
		opts.Logger.Debug("forecasts unchanged: no Jira data in this run", "source", run.Source())
		return nil
	}
	in, err := loadForecastInputs(ctx, run, fc)
	if err != nil {
		return err
	}
	inputFP := fingerprint(struct {
		Config string
		Inputs forecastInputs
	}{cfgFP, in})
	if last.ok && last.input == inputFP {
		opts.Logger.Debug("forecasts unchanged: same throughput, backlog and targets")
		return nil
	}
	start := time.Now()
	comp, items, err := simulateForecasts(ctx, in, FlowForecastOptions(fc))
	if err != nil {
		return err
	}
	opts.Logger.Debug("forecasts simulated", "completion", len(comp), "items", len(items), "trials", fc.Trials,
		"duration", time.Since(start))
	if err := writeForecasts(ctx, run, in, comp, items, now); err != nil {
		return err
	}
	if _, err := run.Exec(ctx, `DELETE FROM forecast_refreshes`); err != nil {
		return fmt.Errorf("recording the forecast refresh: %w", err)
	}
	if _, err := run.Exec(ctx, `INSERT INTO forecast_refreshes VALUES (?, ?, ?, ?, ?)`, cfgFP, inputFP, now, run.ID(), len(comp)+len(items)); err != nil {
		return fmt.Errorf("recording the forecast refresh: %w", err)
	}
	return nil
}

// feedsFlow reports whether the run's source can change the flow inputs: a Jira
// source, or one the configuration does not know (tests, ad-hoc runs).
func feedsFlow(cfg *configs.Config, source string) bool {
	if cfg == nil {
		return true
	}
	src, ok := cfg.SourceByName(source)
	return !ok || src.Type == configs.TypeJira || src.Type == configs.TypeJiraExport
}

type forecastRefresh struct {
	ok            bool
	config, input string
}

func lastForecastRefresh(ctx context.Context, run *warehouse.Run) (forecastRefresh, error) {
	var r forecastRefresh
	err := run.QueryRow(ctx, `SELECT config_fingerprint, input_fingerprint FROM forecast_refreshes ORDER BY refreshed_at DESC LIMIT 1`).
		Scan(&r.config, &r.input)
	switch {
	case err == sql.ErrNoRows:
		return r, nil
	case err != nil:
		return r, fmt.Errorf("reading forecast_refreshes: %w", err)
	}
	r.ok = true
	return r, nil
}

func fingerprint(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only plain data is fingerprinted; a failure means "always recompute".
		return "unmarshalable:" + err.Error()
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// forecastScope is remaining work to forecast: a project, an epic or a fix version.
type forecastScope struct {
	ProjectID string
	Type      string // project, epic, fix_version
	Key       string // epic key or fix version name
	Remaining int
	// Release is a fix version's release date (zero when it has none).
	Release time.Time
}

// Name is the forecasts.scope value.
func (s forecastScope) Name() string {
	if s.Type == configs.ForecastScopeProject {
		return s.Type
	}
	return s.Type + ":" + s.Key
}

// itemsTarget is one "how many items by this date" question.
type itemsTarget struct {
	ProjectID string
	Name      string
	Date      time.Time
	Weeks     int
	Remaining int
}

type forecastInputs struct {
	Histories []ThroughputHistory
	Scopes    []forecastScope
	Targets   []itemsTarget
}

// runQuerier lets the read helpers query inside a run's transaction.
type runQuerier struct{ run *warehouse.Run }

func (q runQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.run.Query(ctx, query, args...)
}

// loadForecastInputs reads every project's throughput history, its remaining work
// per scope, and the dates the items forecasts answer for.
func loadForecastInputs(ctx context.Context, run *warehouse.Run, fc configs.FlowMetrics) (forecastInputs, error) {
	var in forecastInputs
	hs, err := ThroughputHistories(ctx, runQuerier{run})
	if err != nil {
		return in, err
	}
	for _, id := range rfSortedKeys(hs) {
		in.Histories = append(in.Histories, hs[id])
	}
	remaining := map[string]int{}
	if err := rfQueryEach(ctx, run, `SELECT project_id, count(*) FILTER (WHERE category <> 'done') FROM flow_items GROUP BY project_id`, nil,
		func(scan func(...any) error) error {
			var id string
			var n int64
			if err := scan(&id, &n); err != nil {
				return err
			}
			remaining[id] = int(n)
			return nil
		}); err != nil {
		return in, fmt.Errorf("counting remaining items: %w", err)
	}
	for _, h := range in.Histories {
		if fc.HasScope(configs.ForecastScopeProject) {
			in.Scopes = append(in.Scopes, forecastScope{ProjectID: h.ProjectID, Type: configs.ForecastScopeProject, Remaining: remaining[h.ProjectID]})
		}
	}
	if fc.HasScope(configs.ForecastScopeEpic) {
		if err := rfQueryEach(ctx, run, `SELECT project_id, epic_key, count(*) FROM flow_items
				WHERE category <> 'done' AND epic_key IS NOT NULL GROUP BY ALL ORDER BY 1, 2`, nil,
			func(scan func(...any) error) error {
				s := forecastScope{Type: configs.ForecastScopeEpic}
				var n int64
				if err := scan(&s.ProjectID, &s.Key, &n); err != nil {
					return err
				}
				s.Remaining = int(n)
				in.Scopes = append(in.Scopes, s)
				return nil
			}); err != nil {
			return in, fmt.Errorf("counting remaining items per epic: %w", err)
		}
	}
	// Unreleased fix versions: forecast their remaining items, and ask how many
	// items the project finishes by each release date.
	var versions []forecastScope
	if err := rfQueryEach(ctx, run, `SELECT it.project_id, v.name, min(v.release_date), count(*) FILTER (WHERE it.category <> 'done')
			FROM flow_items it
			CROSS JOIN LATERAL (SELECT unnest(it.fix_version_ids) AS version_id) u
			JOIN fix_versions v ON v.source = it.source AND v.version_id = u.version_id
			WHERE NOT coalesce(v.released, false) AND NOT coalesce(v.archived, false) AND v.name IS NOT NULL
			GROUP BY ALL ORDER BY 1, 2`, nil,
		func(scan func(...any) error) error {
			s := forecastScope{Type: configs.ForecastScopeFixVersion}
			var rel sql.NullTime
			var n int64
			if err := scan(&s.ProjectID, &s.Key, &rel, &n); err != nil {
				return err
			}
			s.Remaining = int(n)
			if rel.Valid {
				s.Release = Day(rel.Time)
			}
			versions = append(versions, s)
			return nil
		}); err != nil {
		return in, fmt.Errorf("counting remaining items per fix version: %w", err)
	}
	if fc.HasScope(configs.ForecastScopeFixVersion) {
		for _, v := range versions {
			if v.Remaining > 0 {
				in.Scopes = append(in.Scopes, v)
			}
		}
	}
	// Scopes with nothing left are not forecast (an epic done is not news), but the
	// project row always is, so every Jira project has a current forecast.
	kept := in.Scopes[:0]
	for _, s := range in.Scopes {
		if s.Type == configs.ForecastScopeProject || s.Remaining > 0 {
			kept = append(kept, s)
		}
	}
	in.Scopes = kept
	sortScopes(in.Scopes)
	for _, h := range in.Histories {
		for _, w := range fc.ItemsHorizonsWeeks {
			in.Targets = append(in.Targets, itemsTarget{ProjectID: h.ProjectID, Name: strconv.Itoa(w) + " weeks",
				Date: h.AsOf.AddDate(0, 0, 7*w), Weeks: w, Remaining: remaining[h.ProjectID]})
		}
		for _, v := range versions {
			if v.ProjectID != h.ProjectID || v.Release.IsZero() || v.Release.Before(h.AsOf) {
				continue
			}
			weeks := int(v.Release.Sub(h.AsOf).Hours()/24) / 7
			in.Targets = append(in.Targets, itemsTarget{ProjectID: h.ProjectID, Name: configs.ForecastScopeFixVersion + ":" + v.Key,
				Date: v.Release, Weeks: weeks, Remaining: v.Remaining})
		}
	}
	return in, nil
}

// simulateForecasts answers every project's questions — its scopes' completion
// and its items targets — from one simulation per project (ForecastProject),
// seeded by the project id, on GOMAXPROCS workers. It returns the completion
// forecasts in in.Scopes order and the items forecasts in in.Targets order.
func simulateForecasts(ctx context.Context, in forecastInputs, o ForecastOptions) ([]Forecast, []Forecast, error) {
	index := map[string]int{}
	var jobs []ProjectForecastJob
	for _, h := range in.Histories {
		index[h.ProjectID] = len(jobs)
		jobs = append(jobs, ProjectForecastJob{Key: h.ProjectID, History: h.Weeks, AsOf: h.AsOf})
	}
	type at struct{ job, k int }
	scopeAt := make([]at, len(in.Scopes))
	for i, s := range in.Scopes {
		j := index[s.ProjectID]
		scopeAt[i] = at{j, len(jobs[j].Remaining)}
		jobs[j].Remaining = append(jobs[j].Remaining, s.Remaining)
	}
	targetAt := make([]at, len(in.Targets))
	for i, t := range in.Targets {
		j := index[t.ProjectID]
		targetAt[i] = at{j, len(jobs[j].Until)}
		jobs[j].Until = append(jobs[j].Until, t.Date)
	}
	res, err := ForecastProjects(ctx, jobs, o, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("simulating forecasts: %w", err)
	}
	for _, r := range res {
		if r.Err != nil {
			return nil, nil, fmt.Errorf("forecasting project %s: %w", r.Key, r.Err)
		}
	}
	comp := make([]Forecast, len(in.Scopes))
	for i, a := range scopeAt {
		comp[i] = res[a.job].Completion[a.k]
	}
	items := make([]Forecast, len(in.Targets))
	for i, a := range targetAt {
		items[i] = res[a.job].Items[a.k]
	}
	return comp, items, nil
}

// writeForecasts replaces the Monte Carlo rows of each project's current as-of date.
func writeForecasts(ctx context.Context, run *warehouse.Run, in forecastInputs, comp, items []Forecast, now time.Time) error {
	for _, t := range []string{"forecasts", "forecast_items"} {
		if _, err := run.Exec(ctx, `DELETE FROM `+t+` WHERE method = ? AND EXISTS (SELECT 1 FROM flow_horizon h
				WHERE h.project_id = `+t+`.project_id AND h.as_of = `+t+`.as_of)`, MethodMonteCarlo); err != nil {
			return fmt.Errorf("replacing current %s: %w", t, err)
		}
	}
	if _, err := run.Exec(ctx, `DELETE FROM forecast_distribution d WHERE EXISTS (SELECT 1 FROM flow_horizon h
			WHERE h.project_id = d.project_id AND h.as_of = d.as_of)`); err != nil {
		return fmt.Errorf("replacing current forecast_distribution: %w", err)
	}
	hist := map[string]ThroughputHistory{}
	for _, h := range in.Histories {
		hist[h.ProjectID] = h
	}
	_, err := run.Append(ctx, "forecasts", []string{"project_id", "as_of", "scope", "remaining_items", "p50_date", "p85_date", "p95_date",
		"method", "scope_type", "scope_key", "p50_weeks", "p85_weeks", "p95_weeks", "history_weeks", "history_items", "trials",
		"beyond_trials", "reason", "computed_at", "run_id"},
		func(add func(...any) error) error {
			for i, f := range comp {
				s := in.Scopes[i]
				h := hist[s.ProjectID]
				var dates, weeks [3]any
				var reason any
				for k, q := range f.Quantiles {
					if k >= 3 {
						break
					}
					dates[k] = q.Date.Any()
					if q.Weeks.Valid {
						weeks[k] = int64(q.Weeks.V)
					} else if reason == nil {
						reason = q.Weeks.Reason
					}
				}
				if err := add(s.ProjectID, h.AsOf, s.Name(), int64(s.Remaining), dates[0], dates[1], dates[2],
					MethodMonteCarlo, s.Type, rfNullString(s.Key), weeks[0], weeks[1], weeks[2],
					int64(len(f.History)), int64(rfSum(f.History)), int64(f.Trials),
					int64(f.Beyond), reason, now, run.ID()); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("writing forecasts: %w", err)
	}
	_, err = run.Append(ctx, "forecast_distribution", []string{"project_id", "as_of", "scope", "weeks", "finish_date", "trials", "run_id"},
		func(add func(...any) error) error {
			for i, f := range comp {
				s := in.Scopes[i]
				asOf := hist[s.ProjectID].AsOf
				for w, n := range f.Weekly {
					if n == 0 {
						continue
					}
					if err := add(s.ProjectID, asOf, s.Name(), int64(w), asOf.AddDate(0, 0, 7*w), int64(n), run.ID()); err != nil {
						return err
					}
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("writing forecast_distribution: %w", err)
	}
	_, err = run.Append(ctx, "forecast_items", []string{"project_id", "as_of", "target", "target_date", "weeks", "p50_items",
		"p85_items", "p95_items", "remaining_items", "method", "trials", "reason", "computed_at", "run_id"},
		func(add func(...any) error) error {
			for i, f := range items {
				t := in.Targets[i]
				var n [3]any
				var reason any
				for k, q := range f.Quantiles {
					if k >= 3 {
						break
					}
					if q.Items.Valid {
						n[k] = int64(q.Items.V)
					} else if reason == nil {
						reason = q.Items.Reason
					}
				}
				if err := add(t.ProjectID, hist[t.ProjectID].AsOf, t.Name, t.Date, int64(t.Weeks), n[0], n[1], n[2],
					int64(t.Remaining), MethodMonteCarlo, int64(f.Trials), reason, now, run.ID()); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("writing forecast_items: %w", err)
	}
	return nil
}

func rfSum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

// refreshEarnedScheduleForecasts copies project_evm's earned-schedule finish into
// forecasts beside the Monte Carlo rows. project_evm belongs to the earned-value
// work; when this build or warehouse lacks it (or its columns), there is nothing
// to copy and nothing fails.
func refreshEarnedScheduleForecasts(ctx context.Context, run *warehouse.Run, now time.Time) error {
	cols := map[string]bool{}
	if err := rfQueryEach(ctx, run, `SELECT lower(column_name) FROM information_schema.columns
			WHERE table_name = 'project_evm' AND table_schema = 'main'`, nil,
		func(scan func(...any) error) error {
			var c string
			if err := scan(&c); err != nil {
				return err
			}
			cols[c] = true
			return nil
		}); err != nil {
		return fmt.Errorf("looking for project_evm: %w", err)
	}
	asOf := ""
	for _, c := range []string{"as_of", "status_date"} {
		if cols[c] {
			asOf = c
			break
		}
	}
	if !cols["project_id"] || !cols["forecast_finish"] || asOf == "" {
		return nil
	}
	if _, err := run.Exec(ctx, `DELETE FROM forecasts WHERE method = ?`, MethodEarnedSchedule); err != nil {
		return fmt.Errorf("replacing earned-schedule forecasts: %w", err)
	}
	if _, err := run.Exec(ctx, `INSERT INTO forecasts (project_id, as_of, scope, p50_date, method, scope_type, computed_at, run_id)
		SELECT project_id, CAST(`+asOf+` AS DATE), 'project', CAST(any_value(forecast_finish) AS DATE), ?, 'project', ?, ?
		FROM project_evm WHERE forecast_finish IS NOT NULL AND project_id IS NOT NULL AND `+asOf+` IS NOT NULL
		GROUP BY project_id, CAST(`+asOf+` AS DATE)`, MethodEarnedSchedule, now, run.ID()); err != nil {
		return fmt.Errorf("copying earned-schedule forecasts from project_evm: %w", err)
	}
	return nil
}

// sortScopes orders scopes for stable output (project first, then epics, versions).
func sortScopes(s []forecastScope) {
	rank := map[string]int{configs.ForecastScopeProject: 0, configs.ForecastScopeEpic: 1, configs.ForecastScopeFixVersion: 2}
	sort.SliceStable(s, func(i, j int) bool {
		if s[i].ProjectID != s[j].ProjectID {
			return s[i].ProjectID < s[j].ProjectID
		}
		if rank[s[i].Type] != rank[s[j].Type] {
			return rank[s[i].Type] < rank[s[j].Type]
		}
		return s[i].Key < s[j].Key
	})
}
