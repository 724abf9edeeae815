package metrics

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// randomProjectJob draws a history (sometimes empty or all zeros), backlogs
// (zeros included) and dates up to 30 weeks ahead.
func randomProjectJob(r *rand.Rand, i int) ProjectForecastJob {
	asOf := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)
	j := ProjectForecastJob{Key: fmt.Sprintf("P%d", i), AsOf: asOf}
	switch r.IntN(10) {
	case 0: // no history
	case 1:
		j.History = make([]int, 1+r.IntN(5)) // only zero weeks
	default:
		j.History = make([]int, 1+r.IntN(30))
		for k := range j.History {
			if r.IntN(3) > 0 {
				j.History[k] = r.IntN(8)
			}
		}
	}
	for range r.IntN(5) {
		j.Remaining = append(j.Remaining, r.IntN(120))
	}
	for range r.IntN(5) {
		j.Until = append(j.Until, asOf.AddDate(0, 0, r.IntN(30*7)))
	}
	return j
}

// TestForecastProjectEqualsSingleForecasts: every answer of the shared
// simulation is exactly the single-question function's answer with the project's
// seed — including the edge cases (no history, no delivery, nothing left, a date
// less than a week away) and trials cut off by a short horizon.
func TestForecastProjectEqualsSingleForecasts(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 2026))
	for i := range 300 {
		job := randomProjectJob(r, i)
		opts := ForecastOptions{Trials: 300 + r.IntN(300), Seed: uint64(i), WindowWeeks: r.IntN(20)}
		if r.IntN(4) == 0 {
			opts.MaxWeeks = 1 + r.IntN(15) // many trials beyond the horizon
		}
		got, err := ForecastProject(job, opts)
		if err != nil {
			t.Fatalf("#%d %+v: %v", i, job, err)
		}
		single := opts
		single.Seed = SeedFor(opts.Seed, job.Key)
		for k, rem := range job.Remaining {
			want, err := ForecastCompletion(job.History, rem, job.AsOf, single)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Completion[k], want) {
				t.Fatalf("#%d backlog %d of history %v: shared %+v, single %+v", i, rem, job.History, got.Completion[k], want)
			}
		}
		for k, u := range job.Until {
			want, err := ForecastItems(job.History, job.AsOf, u, single)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Items[k], want) {
				t.Fatalf("#%d items by %s of history %v: shared %+v, single %+v", i, u.Format(time.DateOnly), job.History, got.Items[k], want)
			}
		}
	}
}

// TestForecastProjectIsCoherent: sharing the futures, a smaller backlog never
// finishes later and a later date never yields fewer items, at every level.
func TestForecastProjectIsCoherent(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 2026))
	for i := range 200 {
		job := randomProjectJob(r, i)
		res, err := ForecastProject(job, ForecastOptions{Trials: 400, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		for a := range job.Remaining {
			for b := range job.Remaining {
				if job.Remaining[a] > job.Remaining[b] {
					continue
				}
				for q := range res.Completion[a].Quantiles {
					wa, wb := res.Completion[a].Quantiles[q].Weeks, res.Completion[b].Quantiles[q].Weeks
					if wa.Valid && wb.Valid && wa.V > wb.V || !wa.Valid && wb.Valid && wa.Reason == ReasonBeyond {
						t.Fatalf("#%d: backlog %d takes %v but the larger %d takes %v", i, job.Remaining[a], wa, job.Remaining[b], wb)
					}
				}
			}
		}
		for a := range job.Until {
			for b := range job.Until {
				if job.Until[a].After(job.Until[b]) {
					continue
				}
				for q := range res.Items[a].Quantiles {
					na, nb := res.Items[a].Quantiles[q].Items, res.Items[b].Quantiles[q].Items
					if na.Valid && nb.Valid && na.V > nb.V {
						t.Fatalf("#%d: %v items by %s but only %v by the later %s", i, na.V, job.Until[a].Format(time.DateOnly), nb.V, job.Until[b].Format(time.DateOnly))
					}
				}
			}
		}
	}
}

// TestForecastProjectsReproducible: the same jobs give the same answers on one
// worker and on several.
func TestForecastProjectsReproducible(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 2026))
	jobs := make([]ProjectForecastJob, 40)
	for i := range jobs {
		jobs[i] = randomProjectJob(r, i)
	}
	o := ForecastOptions{Trials: 500, Seed: 11}
	one, err := ForecastProjects(context.Background(), jobs, o, 1)
	if err != nil {
		t.Fatal(err)
	}
	many, err := ForecastProjects(context.Background(), jobs, o, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(one, many) {
		t.Error("results depend on the number of workers")
	}
}

// TestForecastProjectRejectsBadInput names the bad value.
func TestForecastProjectRejectsBadInput(t *testing.T) {
	asOf := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)
	for _, job := range []ProjectForecastJob{
		{Key: "neg", History: []int{1}, AsOf: asOf, Remaining: []int{-1}},
		{Key: "early", History: []int{1}, AsOf: asOf, Until: []time.Time{asOf.AddDate(0, 0, -1)}},
		{Key: "negweek", History: []int{1, -2}, AsOf: asOf, Remaining: []int{3}},
	} {
		if _, err := ForecastProject(job, ForecastOptions{Trials: 100}); err == nil {
			t.Errorf("%s: accepted", job.Key)
		}
	}
}
