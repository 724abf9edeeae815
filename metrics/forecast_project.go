package metrics

import (
	"context"
	"math/rand/v2"
	"slices"
	"time"
)

// ProjectForecastJob is every question asked of one project's throughput: the
// completion of several backlogs (the project, its epics, its fix versions) and
// the items finished by several dates.
type ProjectForecastJob struct {
	// Key names the project's random stream (SeedFor(opts.Seed, Key)).
	Key     string
	History []int
	AsOf    time.Time
	// Remaining are the backlogs whose completion is forecast.
	Remaining []int
	// Until are the dates of the items forecasts (on or after AsOf).
	Until []time.Time
}

// ProjectForecastResult holds one forecast per backlog and per date, in the
// job's order, or the error the job's input produced.
type ProjectForecastResult struct {
	Key        string
	Completion []Forecast
	Items      []Forecast
	Err        error
}

// ForecastProject answers all of a project's questions from one simulation: every
// trial's futures are drawn once and read for each backlog and each date. Because
// trials draw their weeks from their own stream in order, each answer is exactly
// what ForecastCompletion or ForecastItems gives for that backlog or date with
// the project's seed, and answers are coherent with each other: a smaller backlog
// never finishes later, a later date never yields fewer items. Sharing the draws
// makes a project with many scopes cost little more than one forecast.
func ForecastProject(job ProjectForecastJob, opts ForecastOptions) (ProjectForecastResult, error) {
	res := ProjectForecastResult{Key: job.Key, Completion: make([]Forecast, len(job.Remaining)), Items: make([]Forecast, len(job.Until))}
	if err := opts.Validate(); err != nil {
		return res, err
	}
	o := opts.withDefaults()
	o.Seed = SeedFor(opts.Seed, job.Key)
	window, sorted, err := prepare(job.History, o)
	if err != nil {
		return res, err
	}
	delivers := len(sorted) > 0 && sorted[len(sorted)-1] > 0
	// Backlogs and dates the shared simulation cannot or need not answer go to the
	// single-question functions, which handle their edge cases.
	var backlogs []int // indexes into Remaining, simulated
	for i, r := range job.Remaining {
		if r < 0 {
			return res, errorf("forecast: remaining items %d is negative", r)
		}
		if r == 0 || !delivers {
			if res.Completion[i], err = ForecastCompletion(job.History, r, job.AsOf, o); err != nil {
				return res, err
			}
			continue
		}
		backlogs = append(backlogs, i)
	}
	horizons := make([]int, len(job.Until)) // whole weeks per date
	var dates []int                         // indexes into Until, simulated
	maxHorizon := 0
	for i, u := range job.Until {
		if u.Before(job.AsOf) {
			return res, errorf("forecast: target date %s is before the as-of date %s", u.Format(time.DateOnly), job.AsOf.Format(time.DateOnly))
		}
		horizons[i] = int((dayNumber(u) - dayNumber(job.AsOf)) / 7)
		if horizons[i] == 0 || len(sorted) == 0 {
			if res.Items[i], err = ForecastItems(job.History, job.AsOf, u, o); err != nil {
				return res, err
			}
			continue
		}
		dates = append(dates, i)
		maxHorizon = max(maxHorizon, horizons[i])
	}
	if len(backlogs) == 0 && len(dates) == 0 {
		return res, nil
	}
	// Ascending backlogs let one pass of weeks serve them all.
	slices.SortFunc(backlogs, func(a, b int) int { return job.Remaining[a] - job.Remaining[b] })
	counts := make([][]int, len(backlogs)) // counts[k][w]: trials finishing backlog k in w weeks; [MaxWeeks+1] = beyond
	for k := range counts {
		counts[k] = make([]int, o.MaxWeeks+2)
	}
	items := make([][]int, len(dates)) // items[d][t]: trial t's items by date d
	for d := range items {
		items[d] = make([]int, o.Trials)
	}
	// horizonAt[w] lists the dates whose horizon is w weeks.
	horizonAt := make([][]int, maxHorizon+1)
	for d, i := range dates {
		horizonAt[horizons[i]] = append(horizonAt[horizons[i]], d)
	}
	var p rand.PCG
	for t := range o.Trials {
		trialRNG(&p, o.Seed, t)
		cum, w, k := 0, 0, 0
		for {
			// Backlogs reached (or beyond the horizon) at w weeks.
			for k < len(backlogs) && (cum >= job.Remaining[backlogs[k]] || w > o.MaxWeeks) {
				counts[k][min(w, o.MaxWeeks+1)]++
				k++
			}
			if k == len(backlogs) && w >= maxHorizon {
				break
			}
			w++
			cum += draw(&p, sorted)
			if w <= maxHorizon {
				for _, d := range horizonAt[w] {
					items[d][t] = cum
				}
			}
		}
	}
	for k, i := range backlogs {
		f := Forecast{Remaining: job.Remaining[i], History: window, Trials: o.Trials, Beyond: counts[k][o.MaxWeeks+1],
			Weekly: trimWeekly(counts[k][:o.MaxWeeks+1])}
		f.Quantiles = completionQuantiles(counts[k][:o.MaxWeeks+1], job.AsOf, o)
		res.Completion[i] = f
	}
	for d, i := range dates {
		slices.Sort(items[d])
		f := Forecast{Weeks: horizons[i], History: window, Trials: o.Trials, Quantiles: make([]Quantile, len(o.Levels))}
		for q, l := range o.Levels {
			n := items[d][o.Trials-nearestRank(l, o.Trials)]
			f.Quantiles[q] = Quantile{Level: l, Items: Of(float64(n)), Weeks: Of(float64(horizons[i])), Date: DateValue{T: Day(job.Until[i]), Valid: true}}
		}
		res.Items[i] = f
	}
	return res, nil
}

// ForecastProjects runs ForecastProject for many projects on a bounded pool of
// workers (workers <= 0 means GOMAXPROCS); results do not depend on scheduling.
// It stops early when ctx is cancelled.
func ForecastProjects(ctx context.Context, jobs []ProjectForecastJob, opts ForecastOptions, workers int) ([]ProjectForecastResult, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	out := make([]ProjectForecastResult, len(jobs))
	err := inParallel(ctx, len(jobs), workers, func(i int) {
		r, err := ForecastProject(jobs[i], opts)
		r.Key, r.Err = jobs[i].Key, err
		out[i] = r
	})
	return out, err
}
