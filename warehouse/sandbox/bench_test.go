package sandbox

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pmlens/pmlens/warehouse"
)

// benchQueries is the analysts' mixed set: roll-ups, joins, a window query,
// catalog statements and point lookups over the Jira and project tables.
var benchQueries = []string{
	"SELECT program, count(*) AS projects, sum(budget) AS budget FROM projects GROUP BY ALL ORDER BY budget DESC",
	"SELECT project_id, status_category, count(*) FROM issues GROUP BY ALL ORDER BY 3 DESC LIMIT 20",
	"SELECT project_id, date_trunc('month', started) AS month, sum(time_spent_hours) AS hours FROM worklogs GROUP BY ALL ORDER BY 1, 2",
	"SELECT p.portfolio, p.program, sum(i.story_points) FILTER (WHERE i.status_category <> 'done') AS open_points FROM issues i JOIN projects p USING (project_id) GROUP BY ALL",
	"SELECT project_id, issue_key, time_spent_hours FROM issues QUALIFY row_number() OVER (PARTITION BY project_id ORDER BY time_spent_hours DESC) <= 5",
	"DESCRIBE issues",
	"SUMMARIZE projects",
	"FROM issues WHERE issue_key = 'P17-42'",
	"SELECT i.issue_key, sum(w.time_spent_hours) h FROM worklogs w JOIN issues i USING (issue_id) WHERE i.project_id = 'p123' GROUP BY ALL ORDER BY h DESC LIMIT 10",
}

// scaledWarehouse publishes 300 projects with 200 issues each and 5 worklogs
// per issue (60,000 issues, 300,000 worklogs), generated in SQL.
func scaledWarehouse(b *testing.B) string {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "pmlens.duckdb")
	w, err := warehouse.Open(ctx, warehouse.Options{Path: path, LockTimeout: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	run, err := w.Begin(ctx, "bench", "jira")
	if err != nil {
		b.Fatal(err)
	}
	stmts := []string{
		`INSERT INTO projects (project_id, name, program, portfolio, budget, currency, configured, first_seen, updated_at)
		 SELECT 'p' || i, 'Project ' || i, 'Program ' || (i % 12), 'Portfolio ' || (i % 3), 100000 + i * 1000, 'USD', false, now(), now() FROM range(300) t(i)`,
		`INSERT INTO issues (source, project_id, issue_id, issue_key, project_key, issue_type, status, status_category, priority, created, updated,
		   story_points, time_spent_hours, changelog_complete, in_scope, loaded_at, run_id)
		 SELECT 'bench', 'p' || (n // 200), n, 'P' || (n // 200) || '-' || (n % 200), 'P' || (n // 200), ['Story','Bug','Task'][1 + n % 3],
		   ['To Do','In Progress','Done'][1 + (n * 7) % 3], ['new','indeterminate','done'][1 + (n * 7) % 3], 'Medium',
		   TIMESTAMPTZ '2025-01-01' + to_days((n % 365)::INT), TIMESTAMPTZ '2025-06-01', (n % 8)::DOUBLE, (n % 37)::DOUBLE, true, true, now(), 1
		 FROM range(60000) t(n)`,
		`INSERT INTO worklogs (source, project_id, issue_id, issue_key, worklog_id, started, time_spent_hours)
		 SELECT 'bench', 'p' || ((n // 5) // 200), n // 5, 'P' || ((n // 5) // 200) || '-' || ((n // 5) % 200), n::VARCHAR,
		   TIMESTAMPTZ '2025-01-01' + to_days((n % 500)::INT), 1 + n % 4 FROM range(300000) t(n)`,
	}
	var runErr error
	for _, s := range stmts {
		if _, runErr = run.Exec(ctx, s); runErr != nil {
			break
		}
	}
	if res := w.Finish(ctx, run, runErr); res.Err != nil {
		b.Fatal(res.Err)
	}
	return path
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(p*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

// BenchmarkTwentyAnalysts is issue 8 §7: 20 analysts each run the mixed set
// (retrying after "busy" as the page does) while a dashboard-like reader keeps
// querying the same published version. Latency counts from the first attempt.
// Run: go test -run '^$' -bench TwentyAnalysts -benchtime 1x ./warehouse/sandbox/
func BenchmarkTwentyAnalysts(b *testing.B) {
	path := scaledWarehouse(b)
	al, err := OpenAuditLog(context.Background(), path, nil)
	if err != nil {
		b.Fatal(err)
	}
	sb, err := New(Options{WarehousePath: path, MaxConcurrent: 4, Threads: 1, MemoryLimit: "256MB", Timeout: 30 * time.Second, MaxRows: 10000, Audit: al})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	const analysts, rounds = 20, 3
	for b.Loop() {
		var mu sync.Mutex
		var lat []time.Duration
		busy, failed := 0, 0
		stop := make(chan struct{})
		var dash []time.Duration
		var dashWG sync.WaitGroup
		dashWG.Add(1)
		go func() {
			defer dashWG.Done()
			r := warehouse.NewReader(path, "threads=1")
			defer r.Close()
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				snap, release, err := r.Acquire(context.Background())
				if err == nil {
					var n int
					err = snap.DB.QueryRow(`SELECT count(*) FROM (SELECT p.portfolio, p.program, count(i.issue_id), sum(i.story_points)
						FROM projects p LEFT JOIN issues i USING (project_id) GROUP BY ALL)`).Scan(&n)
					release()
				}
				if err == nil {
					dash = append(dash, time.Since(start))
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
		var wg sync.WaitGroup
		for a := range analysts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					for q := range benchQueries {
						sql := benchQueries[(q+a+r)%len(benchQueries)]
						start := time.Now()
						for {
							_, err := sb.Query(context.Background(), Request{SQL: sql, User: fmt.Sprintf("analyst%02d", a), Role: RoleAnalyst, Client: "bench"})
							if errors.Is(err, ErrBusy) {
								mu.Lock()
								busy++
								mu.Unlock()
								time.Sleep(100 * time.Millisecond)
								continue
							}
							mu.Lock()
							if err != nil {
								failed++
								b.Errorf("%s: %v", sql, err)
							} else {
								lat = append(lat, time.Since(start))
							}
							mu.Unlock()
							break
						}
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		dashWG.Wait()
		b.ReportMetric(float64(len(lat)), "queries")
		b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(busy), "busy-retries")
		b.ReportMetric(float64(percentile(dash, 0.50).Microseconds())/1000, "dash-p50-ms")
		b.ReportMetric(float64(percentile(dash, 0.99).Microseconds())/1000, "dash-p99-ms")
		_ = failed
	}
}
