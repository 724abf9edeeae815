package metrics

import (
	"context"
	"fmt"
	"math"
	mathrand "math/rand"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"testing/quick"
	"time"
)

var asOf = d("2026-03-02")

// weeksOf returns the simulated weeks at each level, -1 for "beyond".
func weeksOf(f Forecast) []int {
	out := make([]int, len(f.Quantiles))
	for i, q := range f.Quantiles {
		out[i] = -1
		if q.Weeks.Valid {
			out[i] = int(q.Weeks.V)
		}
	}
	return out
}

func TestForecastConstantThroughput(t *testing.T) {
	// Every week delivers k, so every trial needs ceil(N/k) weeks.
	for _, c := range []struct{ k, n, want int }{
		{3, 10, 4}, // 3+3+3 = 9 < 10, 12 >= 10
		{5, 10, 2},
		{1, 1, 1},
		{7, 0, 0},
	} {
		f, err := ForecastCompletion([]int{c.k, c.k, c.k}, c.n, asOf, ForecastOptions{Seed: 1, Trials: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range f.Quantiles {
			if !q.Weeks.Valid || int(q.Weeks.V) != c.want {
				t.Errorf("k %d N %d p%g: %v weeks, want %d", c.k, c.n, q.Level*100, q.Weeks, c.want)
			}
			if want := asOf.AddDate(0, 0, 7*c.want); !q.Date.Valid || !q.Date.T.Equal(want) {
				t.Errorf("date %v, want %s", q.Date, want.Format(time.DateOnly))
			}
		}
	}
}

type fcInput struct {
	History   []int
	Remaining int
	Zeros     int
	Seed      uint64
}

// genInput makes a realistic case: 1–30 weeks of 0–12 items (at least one week
// delivering), a backlog up to 150 and 1–20 zero weeks to add.
func genInput(r *rand.Rand) fcInput {
	h := make([]int, 1+r.IntN(30))
	for i := range h {
		h[i] = r.IntN(13)
	}
	h[r.IntN(len(h))] = 1 + r.IntN(12) // at least one delivering week
	return fcInput{History: h, Remaining: r.IntN(150), Zeros: 1 + r.IntN(20), Seed: r.Uint64()}
}

// TestForecastProperties checks, on 60 random histories (fixed seed), that levels are
// monotone and that adding zero weeks never shortens any level of the forecast, and
// never raises the items-by-date counts.
func TestForecastProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 7))
	opts := ForecastOptions{Trials: 2000, Levels: []float64{0.1, 0.5, 0.85, 0.95, 1}}
	for i := range 60 {
		in := genInput(r)
		opts.Seed = in.Seed
		base, err := ForecastCompletion(in.History, in.Remaining, asOf, opts)
		if err != nil {
			t.Fatal(err)
		}
		w := weeksOf(base)
		// "Beyond the horizon" (-1) ranks above every number of weeks.
		ranked := slices.Clone(w)
		for k, v := range ranked {
			if v == -1 {
				ranked[k] = math.MaxInt
			}
		}
		if !slices.IsSorted(ranked) {
			t.Errorf("#%d %+v: levels not monotone: %v", i, in, w)
		}
		padded := append(slices.Clone(in.History), make([]int, in.Zeros)...)
		more, err := ForecastCompletion(padded, in.Remaining, asOf, opts)
		if err != nil {
			t.Fatal(err)
		}
		for k, wk := range weeksOf(more) {
			if wk != -1 && wk < w[k] {
				t.Errorf("#%d %+v: adding %d zero weeks shortened p%g from %d to %d", i, in, in.Zeros, opts.Levels[k]*100, w[k], wk)
			}
		}
		until := asOf.AddDate(0, 0, 7*(1+in.Remaining%12))
		bi, err := ForecastItems(in.History, asOf, until, opts)
		if err != nil {
			t.Fatal(err)
		}
		mi, err := ForecastItems(padded, asOf, until, opts)
		if err != nil {
			t.Fatal(err)
		}
		for k := range bi.Quantiles {
			if k > 0 && bi.Quantiles[k].Items.V > bi.Quantiles[k-1].Items.V {
				t.Errorf("#%d items not monotone: %+v", i, bi.Quantiles)
			}
			if mi.Quantiles[k].Items.V > bi.Quantiles[k].Items.V {
				t.Errorf("#%d adding zero weeks raised items at p%g", i, opts.Levels[k]*100)
			}
		}
	}
}

// TestForecastQuickConstant is the constant-throughput property through testing/quick.
func TestForecastQuickConstant(t *testing.T) {
	prop := func(k8, n8 uint8, weeks uint8, seed uint64) bool {
		k, n := 1+int(k8%20), int(n8)
		hist := slices.Repeat([]int{k}, 1+int(weeks%26))
		f, err := ForecastCompletion(hist, n, asOf, ForecastOptions{Trials: 200, Seed: seed})
		if err != nil {
			return false
		}
		want := (n + k - 1) / k // ceil(N/k)
		for _, q := range f.Quantiles {
			if !q.Weeks.Valid || int(q.Weeks.V) != want {
				return false
			}
		}
		items, err := ForecastItems(hist, asOf, asOf.AddDate(0, 0, 7*int(weeks%10)), ForecastOptions{Trials: 200, Seed: seed})
		if err != nil {
			return false
		}
		for _, q := range items.Quantiles {
			if int(q.Items.V) != k*int(weeks%10) {
				return false
			}
		}
		return true
	}
	cfg := &quick.Config{MaxCount: 200, Rand: mathrand.New(mathrand.NewSource(11))}
	if err := quick.Check(prop, cfg); err != nil {
		t.Error(err)
	}
}

func TestForecastReproducible(t *testing.T) {
	hist := []int{0, 3, 5, 0, 2, 8, 1, 4}
	opts := ForecastOptions{Seed: 99}
	a, _ := ForecastCompletion(hist, 60, asOf, opts)
	b, _ := ForecastCompletion(hist, 60, asOf, opts)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("same seed, different results: %v vs %v", weeksOf(a), weeksOf(b))
	}
	// The pool gives the same answer as a direct call with the derived seed, whatever
	// the worker count.
	jobs := make([]ForecastJob, 20)
	for i := range jobs {
		jobs[i] = ForecastJob{Key: fmt.Sprintf("P%d", i), History: hist, Remaining: 10 + i*7, AsOf: asOf}
	}
	one, err := ForecastAll(context.Background(), jobs, opts, 1)
	if err != nil {
		t.Fatal(err)
	}
	four, err := ForecastAll(context.Background(), jobs, opts, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(one, four) {
		t.Error("results depend on the number of workers")
	}
	direct, _ := ForecastCompletion(hist, jobs[5].Remaining, asOf, ForecastOptions{Seed: SeedFor(99, "P5")})
	if !reflect.DeepEqual(direct, one[5].Forecast) {
		t.Error("pool result differs from a direct call")
	}
	if !slices.Equal(weeksOf(a), weeksOf(a)) || SeedFor(1, "A") == SeedFor(1, "B") {
		t.Error("seed derivation collides")
	}
}

func TestForecastEdges(t *testing.T) {
	f, err := ForecastCompletion(nil, 10, asOf, ForecastOptions{})
	if err != nil {
		t.Fatal(err)
	}
	null(t, "no history", f.Quantiles[0].Weeks, ReasonNoHistory)
	f, _ = ForecastCompletion([]int{0, 0, 0}, 10, asOf, ForecastOptions{})
	null(t, "only zero weeks", f.Quantiles[0].Weeks, ReasonNoDelivery)
	// One delivering week in 50: mean 0.02 items/week, 100 items ≈ 5000 weeks, far
	// beyond a 52-week horizon.
	hist := append(make([]int, 49), 1)
	f, _ = ForecastCompletion(hist, 100, asOf, ForecastOptions{MaxWeeks: 52, Trials: 300})
	null(t, "beyond horizon", f.Quantiles[2].Weeks, ReasonBeyond)
	if f.Beyond != 300 {
		t.Errorf("beyond %d, want 300", f.Beyond)
	}
	if _, err := ForecastCompletion([]int{1, -2}, 10, asOf, ForecastOptions{}); err == nil {
		t.Error("negative throughput accepted")
	}
	if _, err := ForecastCompletion([]int{1}, -1, asOf, ForecastOptions{}); err == nil {
		t.Error("negative backlog accepted")
	}
	if _, err := ForecastCompletion([]int{1}, 1, asOf, ForecastOptions{Levels: []float64{1.5}}); err == nil {
		t.Error("level 1.5 accepted")
	}
	if _, err := ForecastItems([]int{1}, asOf, asOf.AddDate(0, 0, -1), ForecastOptions{}); err == nil {
		t.Error("target before as-of accepted")
	}
	// Window: only the last 2 weeks (5, 5) count, so 10 items take 2 weeks exactly.
	f, _ = ForecastCompletion([]int{0, 0, 0, 1, 5, 5}, 10, asOf, ForecastOptions{WindowWeeks: 2})
	if w := weeksOf(f); !slices.Equal(w, []int{2, 2, 2}) || !slices.Equal(f.History, []int{5, 5}) {
		t.Errorf("window: %v over %v", w, f.History)
	}
	// 13 days to the target date is one whole week.
	items, _ := ForecastItems([]int{4}, asOf, asOf.AddDate(0, 0, 13), ForecastOptions{})
	if items.Weeks != 1 || items.Quantiles[0].Items.V != 4 {
		t.Errorf("items by date: %d weeks, %v", items.Weeks, items.Quantiles[0].Items)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ForecastAll(ctx, []ForecastJob{{Key: "a", History: []int{1}, Remaining: 1}}, ForecastOptions{}, 1); err == nil {
		t.Error("cancelled context ignored")
	}
}

func FuzzForecastCompletion(f *testing.F) {
	f.Add([]byte{0, 3, 5, 0, 2}, uint16(40), uint64(1))
	f.Add([]byte{}, uint16(1), uint64(0))
	f.Fuzz(func(t *testing.T, hist []byte, remaining uint16, seed uint64) {
		h := make([]int, len(hist))
		for i, b := range hist {
			h[i] = int(b % 16)
		}
		fc, err := ForecastCompletion(h, int(remaining%500), asOf, ForecastOptions{Trials: 100, Seed: seed, MaxWeeks: 200})
		if err != nil {
			t.Fatal(err)
		}
		w := weeksOf(fc)
		for i := 1; i < len(w); i++ {
			if w[i-1] != -1 && w[i] != -1 && w[i] < w[i-1] {
				t.Fatalf("levels not monotone: %v", w)
			}
		}
	})
}

// benchJobs is the benchmark: 300 projects, 26 weeks of history each (zeros
// included), 40–200 remaining items.
func benchJobs() []ForecastJob {
	r := rand.New(rand.NewPCG(2026, 3))
	jobs := make([]ForecastJob, 300)
	for i := range jobs {
		h := make([]int, 26)
		for k := range h {
			h[k] = r.IntN(9) // 0–8 per week, mean 4
		}
		jobs[i] = ForecastJob{Key: fmt.Sprintf("PRJ-%03d", i), History: h, Remaining: 40 + r.IntN(161), AsOf: asOf}
	}
	return jobs
}

// BenchmarkForecastAll300 times 10,000 trials for each of 300 projects, on one
// worker and on GOMAXPROCS workers.
func BenchmarkForecastAll300(b *testing.B) {
	jobs := benchJobs()
	for _, workers := range []int{1, 0} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				if _, err := ForecastAll(context.Background(), jobs, ForecastOptions{Seed: 1}, workers); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkForecastOne is a single 10,000-trial forecast.
func BenchmarkForecastOne(b *testing.B) {
	job := benchJobs()[0]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ForecastCompletion(job.History, job.Remaining, asOf, ForecastOptions{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
