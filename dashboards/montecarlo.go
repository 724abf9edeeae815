package dashboards

import (
	"hash/fnv"
	"math/rand/v2"
	"sort"
)

// maxSimWeeks caps one trial (ten years): a history of mostly zero weeks would
// otherwise run for ever. Trials that hit it are counted in the last bucket.
const maxSimWeeks = 520

// simulateWeeks draws weekly throughput from history (zero weeks kept) until
// remaining items are done, trials times, and returns the weeks each trial took.
// It is the display-side counterpart of the forecasts view, used only when the
// warehouse publishes percentiles without their distribution; the seed makes a
// page identical on every render. nil means there is nothing to simulate.
func simulateWeeks(history []float64, remaining float64, trials int, seed uint64) []int {
	if remaining <= 0 || len(history) == 0 || trials <= 0 {
		return nil
	}
	anyDone := false
	for _, h := range history {
		if h > 0 {
			anyDone = true
			break
		}
	}
	if !anyDone {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]int, trials)
	for t := range out {
		done, w := 0.0, 0
		for done < remaining && w < maxSimWeeks {
			done += history[rng.IntN(len(history))]
			w++
		}
		out[t] = w
	}
	return out
}

// seedFor derives a stable seed from the project and date.
func seedFor(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// weekCounts turns trial results into (weeks, trials) pairs in week order.
func weekCounts(weeks []int) (ws []int, counts []int) {
	m := map[int]int{}
	for _, w := range weeks {
		m[w]++
	}
	for w := range m {
		ws = append(ws, w)
	}
	sort.Ints(ws)
	for _, w := range ws {
		counts = append(counts, m[w])
	}
	return ws, counts
}
