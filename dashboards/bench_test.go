package dashboards

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkPortfolioPage measures the portfolio page over 300 projects × 52
// weekly earned-value rows: "cached" is the normal path (one build per published
// version, then served from memory), "uncached" rebuilds on every request (the
// first request after a sync), "parallel-50" is 50 concurrent clients on the
// cached path. Load-testing a running server with a real tool is in the notes.
func BenchmarkPortfolioPage(b *testing.B) {
	f := newFixture(b, fixtureOptions{scale: 300 - len(fixtureProjects)})
	quiet := func(o *Options) { o.Logger = slog.New(slog.DiscardHandler) }
	for _, page := range []string{"/", "/project/gen-007", "/risks", "/api/v1/projects"} {
		b.Run("uncached"+page, func(b *testing.B) {
			h := f.handler(b, quiet, func(o *Options) { o.CacheEntries = -1 })
			b.ReportAllocs()
			for b.Loop() {
				if rec := get(b, h, page); rec.Code != http.StatusOK {
					b.Fatalf("GET %s: %d", page, rec.Code)
				}
			}
		})
	}
	b.Run("cached", func(b *testing.B) {
		h := f.handler(b, quiet)
		b.ReportAllocs()
		for b.Loop() {
			if rec := get(b, h, "/"); rec.Code != http.StatusOK {
				b.Fatal(rec.Code)
			}
		}
	})
	b.Run("parallel-50", func(b *testing.B) {
		h := f.handler(b, quiet)
		b.SetParallelism(25) // × GOMAXPROCS (2 here) ≈ 50 concurrent clients
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
				if rec.Code != http.StatusOK {
					b.Error(rec.Code)
					return
				}
			}
		})
	})
}
