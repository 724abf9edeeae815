package metrics

import (
	"context"
	"hash/fnv"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"
)

// ForecastOptions configure the throughput Monte Carlo. The zero value means the
// defaults given per field.
type ForecastOptions struct {
	// Trials is the number of simulated futures (default 10,000).
	Trials int `yaml:"trials"`
	// WindowWeeks keeps only the most recent weeks of history (0 = all of it).
	WindowWeeks int `yaml:"window_weeks"`
	// Seed makes runs reproducible; the same seed, history and backlog give the same
	// forecast on any machine and with any number of workers.
	Seed uint64 `yaml:"seed"`
	// MaxWeeks is the horizon: a trial still unfinished after it counts as "beyond"
	// (default 520, ten years), which bounds the work when throughput is mostly zero.
	MaxWeeks int `yaml:"max_weeks"`
	// Levels are the confidence levels reported (default 0.50, 0.85, 0.95).
	Levels []float64 `yaml:"levels"`
}

// Forecast defaults.
const (
	DefaultTrials   = 10000
	DefaultMaxWeeks = 520
)

// defaultLevels are the usual coin-flip, commitment and safe levels.
var defaultLevels = [...]float64{0.50, 0.85, 0.95}

func (o ForecastOptions) withDefaults() ForecastOptions {
	if o.Trials <= 0 {
		o.Trials = DefaultTrials
	}
	if o.MaxWeeks <= 0 {
		o.MaxWeeks = DefaultMaxWeeks
	}
	if len(o.Levels) == 0 {
		o.Levels = defaultLevels[:]
	}
	return o
}

// Validate reports a configuration error, naming the key.
func (o ForecastOptions) Validate() error {
	if o.Trials < 0 || o.WindowWeeks < 0 || o.MaxWeeks < 0 {
		return errorf("forecast: trials, window_weeks and max_weeks cannot be negative")
	}
	for _, l := range o.Levels {
		if !(l > 0 && l <= 1) {
			return errorf("forecast.levels: %g is not in (0, 1]", l)
		}
	}
	return nil
}

// Quantile is one confidence level of a forecast. For a completion forecast Weeks and
// Date hold "done within Weeks weeks (by Date) with probability Level"; for an items
// forecast Items holds "at least Items done with probability Level".
type Quantile struct {
	Level float64
	Weeks Value
	Date  DateValue
	Items Value
}

// Forecast is the outcome of one simulation.
type Forecast struct {
	// Remaining is the backlog simulated (completion forecasts).
	Remaining int
	// Weeks is the horizon simulated (items forecasts).
	Weeks int
	// History is the throughput sample actually used (after the window), oldest first.
	History []int
	Trials  int
	// Beyond counts trials unfinished at MaxWeeks.
	Beyond    int
	Quantiles []Quantile
	// Weekly is the distribution behind a completion forecast: Weekly[w] trials
	// finished in exactly w weeks (trailing zeros trimmed; Beyond not included).
	// Nil when nothing was simulated. Charts draw it rather than simulate again.
	Weekly []int
}

// Reasons a forecast level is undefined.
const (
	ReasonNoHistory  = "no throughput history"
	ReasonNoDelivery = "throughput history has no completed items"
	ReasonBeyond     = "beyond the forecast horizon (max_weeks)"
)

// percentile method: nearest rank. The q-level result is the smallest simulated value
// v such that at least ceil(q·trials) trials finished within v; documented because
// interpolating methods give different answers.
func nearestRank(level float64, trials int) int {
	r := int(math.Ceil(level*float64(trials) - 1e-9))
	return min(max(r, 1), trials)
}

// trialRNG seeds trial t's own generator. Giving every trial its own stream (rather
// than one stream for the run) keeps trial t's draws identical when the history
// changes, which makes "adding zero weeks never shortens the forecast" hold exactly
// rather than only in distribution, and lets workers split trials freely.
func trialRNG(p *rand.PCG, seed uint64, t int) {
	p.Seed(splitmix(seed), splitmix(seed^(uint64(t)+1)*0x9e3779b97f4a7c15))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// draw samples one week uniformly from sorted. Sampling by the uniform's rank into
// the ascending history (inverse CDF) couples runs: with extra zero weeks the same
// uniform never picks a larger week.
func draw(p *rand.PCG, sorted []int) int {
	hi, _ := bits.Mul64(p.Uint64(), uint64(len(sorted)))
	return sorted[hi]
}

// prepare applies the window and checks the history.
func prepare(history []int, o ForecastOptions) (window, sorted []int, err error) {
	window = history
	if o.WindowWeeks > 0 && len(history) > o.WindowWeeks {
		window = history[len(history)-o.WindowWeeks:]
	}
	for i, v := range window {
		if v < 0 {
			return nil, nil, errorf("forecast: throughput %d in week %d of the history is negative", v, i+1)
		}
	}
	sorted = slices.Clone(window)
	slices.Sort(sorted)
	return window, sorted, nil
}

// ForecastCompletion simulates how many weeks the remaining items take, sampling
// weekly throughput (zero weeks included) with replacement, and reports the weeks and
// dates (asOf + 7 days per week) at each confidence level.
func ForecastCompletion(history []int, remaining int, asOf time.Time, opts ForecastOptions) (Forecast, error) {
	if err := opts.Validate(); err != nil {
		return Forecast{}, err
	}
	if remaining < 0 {
		return Forecast{}, errorf("forecast: remaining items %d is negative", remaining)
	}
	o := opts.withDefaults()
	window, sorted, err := prepare(history, o)
	if err != nil {
		return Forecast{}, err
	}
	f := Forecast{Remaining: remaining, History: window, Trials: o.Trials}
	fill := func(weeks Value) {
		f.Quantiles = make([]Quantile, len(o.Levels))
		for i, l := range o.Levels {
			f.Quantiles[i] = Quantile{Level: l, Weeks: weeks, Date: weeksToDate(asOf, weeks), Items: Null(ReasonMissingInput)}
		}
	}
	switch {
	case remaining == 0:
		fill(Of(0))
		return f, nil
	case len(sorted) == 0:
		fill(Null(ReasonNoHistory))
		return f, nil
	case sorted[len(sorted)-1] == 0:
		fill(Null(ReasonNoDelivery))
		f.Beyond = o.Trials
		return f, nil
	}
	// counts[w] = trials finishing in exactly w weeks; counts[MaxWeeks+1] = beyond.
	counts := make([]int, o.MaxWeeks+2)
	var p rand.PCG
	for t := range o.Trials {
		trialRNG(&p, o.Seed, t)
		left, w := remaining, 0
		for left > 0 && w <= o.MaxWeeks {
			w++
			left -= draw(&p, sorted)
		}
		counts[min(w, o.MaxWeeks+1)]++
	}
	f.Beyond = counts[o.MaxWeeks+1]
	f.Weekly = trimWeekly(counts[:o.MaxWeeks+1])
	f.Quantiles = completionQuantiles(counts[:o.MaxWeeks+1], asOf, o)
	return f, nil
}

// completionQuantiles reads each level's completion week off the per-week trial
// counts by nearest rank; a level the counts do not reach is beyond max_weeks.
func completionQuantiles(counts []int, asOf time.Time, o ForecastOptions) []Quantile {
	qs := make([]Quantile, len(o.Levels))
	for i, l := range o.Levels {
		rank, seen, weeks := nearestRank(l, o.Trials), 0, Null(ReasonBeyond)
		for w, c := range counts {
			seen += c
			if seen >= rank {
				weeks = Of(float64(w))
				break
			}
		}
		qs[i] = Quantile{Level: l, Weeks: weeks, Date: weeksToDate(asOf, weeks), Items: Null(ReasonMissingInput)}
	}
	return qs
}

// ForecastItems simulates how many items finish in the whole weeks between asOf and
// until (floor of days/7) and reports, per level, the count reached with at least that
// probability: the low tail, since "85 % sure of at least X" is the 15th percentile.
func ForecastItems(history []int, asOf, until time.Time, opts ForecastOptions) (Forecast, error) {
	if err := opts.Validate(); err != nil {
		return Forecast{}, err
	}
	if until.Before(asOf) {
		return Forecast{}, errorf("forecast: target date %s is before the as-of date %s", until.Format(time.DateOnly), asOf.Format(time.DateOnly))
	}
	o := opts.withDefaults()
	window, sorted, err := prepare(history, o)
	if err != nil {
		return Forecast{}, err
	}
	weeks := int((dayNumber(until) - dayNumber(asOf)) / 7)
	f := Forecast{Weeks: weeks, History: window, Trials: o.Trials}
	f.Quantiles = make([]Quantile, len(o.Levels))
	if len(sorted) == 0 && weeks > 0 {
		for i, l := range o.Levels {
			f.Quantiles[i] = Quantile{Level: l, Items: Null(ReasonNoHistory), Weeks: Of(float64(weeks)), Date: DateValue{T: Day(until), Valid: true}}
		}
		return f, nil
	}
	items := make([]int, o.Trials)
	var p rand.PCG
	for t := range o.Trials {
		if weeks == 0 {
			break
		}
		trialRNG(&p, o.Seed, t)
		n := 0
		for range weeks {
			n += draw(&p, sorted)
		}
		items[t] = n
	}
	slices.Sort(items)
	for i, l := range o.Levels {
		// At least items[k] with probability >= l: k counted from the top.
		k := o.Trials - nearestRank(l, o.Trials)
		f.Quantiles[i] = Quantile{Level: l, Items: Of(float64(items[k])), Weeks: Of(float64(weeks)), Date: DateValue{T: Day(until), Valid: true}}
	}
	return f, nil
}

func weeksToDate(asOf time.Time, weeks Value) DateValue {
	if !weeks.Valid {
		return DateValue{Reason: weeks.Reason}
	}
	if asOf.IsZero() {
		return DateValue{Reason: ReasonMissingInput}
	}
	return DateValue{T: Day(asOf).AddDate(0, 0, 7*int(weeks.V)), Valid: true}
}

// SeedFor derives a per-scope seed from a base seed and a stable key (project id,
// epic key, fix version) so each scope has its own reproducible stream.
func SeedFor(base uint64, key string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return splitmix(base ^ h.Sum64())
}

// ForecastJob is one scope to forecast.
type ForecastJob struct {
	Key       string
	History   []int
	Remaining int
	AsOf      time.Time
}

// ForecastJobResult is one job's forecast, or the error that input produced.
type ForecastJobResult struct {
	Key      string
	Forecast Forecast
	Err      error
}

// ForecastAll runs completion forecasts for many scopes on a bounded pool of workers
// (workers <= 0 means GOMAXPROCS). Each job is seeded with SeedFor(opts.Seed, Key),
// so results do not depend on scheduling. It stops early when ctx is cancelled.
func ForecastAll(ctx context.Context, jobs []ForecastJob, opts ForecastOptions, workers int) ([]ForecastJobResult, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	out := make([]ForecastJobResult, len(jobs))
	err := inParallel(ctx, len(jobs), workers, func(i int) {
		j := jobs[i]
		o := opts
		o.Seed = SeedFor(opts.Seed, j.Key)
		f, err := ForecastCompletion(j.History, j.Remaining, j.AsOf, o)
		out[i] = ForecastJobResult{Key: j.Key, Forecast: f, Err: err}
	})
	return out, err
}

// inParallel calls job(0..n-1) on a pool of workers (workers <= 0 means
// GOMAXPROCS) and stops handing out jobs when ctx is cancelled, returning its
// error; jobs already started finish.
func inParallel(ctx context.Context, n, workers int, job func(i int)) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, max(n, 1))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				job(i)
			}
		})
	}
	var err error
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	return err
}

// trimWeekly copies per-week trial counts without their trailing zero weeks.
func trimWeekly(counts []int) []int {
	n := len(counts)
	for n > 0 && counts[n-1] == 0 {
		n--
	}
	if n == 0 {
		return nil
	}
	return slices.Clone(counts[:n])
}
