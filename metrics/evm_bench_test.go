package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/warehouse"
)

// Scale of the earned-value benchmarks (issue 5 §9).
const (
	evmBenchProjects = 300
	evmBenchTasks    = 1000
	evmBenchWeeks    = 52
)

// evmBench is a benchmark warehouse: the first weeks of every project imported,
// refreshed and published.
type evmBench struct {
	w        *warehouse.Writer
	cfg      *configs.Config
	tasks    int
	full     time.Duration // refreshEVM over all imported weeks from empty tables
	fullRows int64
	setup    time.Duration
}

// benchEVMWarehouse builds the synthetic portfolio in b.TempDir: 300 projects in
// 3 portfolios and 15 programs (a third of them in EUR), each with `tasks` tasks
// (4 % summaries, 2 % milestones, 2 % of the leaf tasks with a weekly time-phased
// baseline) in `weeks` weekly status snapshots, and a calendar with two holidays.
// Rows are generated straight into the connector tables by SQL, one week per
// statement, with snapshot ids in import order (week-major), as weekly syncs of
// 300 exports number them; then refreshEVM computes everything and the run is
// published.
func benchEVMWarehouse(b *testing.B, tasks, weeks int) *evmBench {
	b.Helper()
	if testing.Short() {
		b.Skip("builds a warehouse of 300 projects × 52 weekly snapshots")
	}
	start := time.Now()
	ctx := context.Background()
	dir := b.TempDir()
	yml := "warehouse: {path: " + filepath.Join(dir, "evm.duckdb") + "}\nmetrics: {currency: USD, rates: {EUR: 1.08}}\n"
	cfg, err := configs.Parse([]byte(yml), "bench.yaml", dir)
	if err != nil {
		b.Fatal(err)
	}
	e := &evmBench{cfg: cfg, tasks: tasks}
	e.w, err = warehouse.Open(ctx, warehouse.Options{Path: cfg.Warehouse.Path, Currency: "USD"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.w.Close() })
	run, err := e.w.Begin(ctx, "bench-schedules", configs.TypeMSProject)
	if err != nil {
		b.Fatal(err)
	}
	err = benchProjectsSQL(ctx, run)
	for w := 0; w < weeks && err == nil; w++ {
		err = benchWeekSQL(ctx, run, w, tasks)
	}
	if err == nil {
		run.BeginDerived()
		t0 := time.Now()
		err = refreshEVM(ctx, run, RefreshOptions{Config: cfg, Logger: slog.New(slog.DiscardHandler), Now: time.Now})
		e.full = time.Since(t0)
		e.fullRows = run.DerivedRows()
	}
	if res := e.w.Finish(ctx, run, err); res.Err != nil {
		b.Fatal(res.Err)
	}
	e.setup = time.Since(start)
	return e
}

func benchProjectsSQL(ctx context.Context, run *warehouse.Run) error {
	_, err := run.Exec(ctx, `INSERT INTO projects (project_id, name, program, portfolio, budget, currency, configured, first_seen, updated_at)
		SELECT printf('p%03d', p), printf('Project %d', p), printf('Program %d', p % 15), printf('Portfolio %d', p % 3),
			1e6, CASE WHEN p % 3 = 2 THEN 'EUR' ELSE 'USD' END, true, now(), now()
		FROM range(?) r(p)`, int64(evmBenchProjects))
	return err
}

// benchWeekSQL writes week w's snapshot of every project: status date Friday
// 2025-01-10 + 7w. Project p starts on Monday 2025-01-06 + 7·(p mod 20) days;
// task t is baselined from day (7t mod 250) for 5 + t mod 20 days at cost
// 1000 + 37t mod 9000, performs at 85–104 % of plan and costs 95–114 % of it.
func benchWeekSQL(ctx context.Context, run *warehouse.Run, w, tasks int) error {
	// The numbers are the benchmark's own integers, so they are spliced in; DuckDB
	// cannot type a bare ? inside date arithmetic.
	r := strings.NewReplacer("$W", fmt.Sprint(w), "$P", fmt.Sprint(evmBenchProjects), "$T", fmt.Sprint(tasks))
	const tk = `WITH tk AS (
		SELECT p, t, $W AS w,
			t % 25 = 0 AS summary, t % 50 = 1 AS milestone,
			DATE '2025-01-06' + CAST(7 * (p % 20) + (t * 7) % 250 AS INTEGER) AS bs,
			CAST(CASE WHEN t % 50 = 1 THEN 0 ELSE 5 + t % 20 END AS INTEGER) AS dur,
			CASE WHEN t % 50 = 1 THEN 0.0 ELSE 1000.0 + (t * 37) % 9000 END AS bc,
			0.85 + (p % 20) / 100.0 AS perf, 0.95 + (p % 20) / 100.0 AS costf,
			DATE '2025-01-10' + 7 * $W AS status_day
		FROM range($P) a(p), range($T) b(t)
	), st AS (
		SELECT *, bs + dur AS bf,
			CASE WHEN summary THEN 0.0 ELSE least(100.0, greatest(0.0,
				date_diff('day', bs, status_day) * 100.0 / greatest(1, dur) * perf)) END AS pct
		FROM tk
	)`
	stmts := []struct{ what, sql string }{
		{"snapshots", `INSERT INTO schedule_snapshots (snapshot_id, project_id, source, run_id, format, file_path, file_sha256,
			snapshot_date, snapshot_date_source, status_date, currency, calendar_uid, task_count, imported_at)
		SELECT $W * $P + p + 1, printf('p%03d', p), 'bench-schedules', 0, 'mspdi', printf('p%03d-w%02d.xml', p, $W), printf('%d-%d', p, $W),
			CAST(DATE '2025-01-10' + 7 * $W AS TIMESTAMP) + INTERVAL 17 HOUR, 'status_date',
			CAST(DATE '2025-01-10' + 7 * $W AS TIMESTAMP) + INTERVAL 17 HOUR, CASE WHEN p % 3 = 2 THEN 'EUR' ELSE 'USD' END, 1, $T, now()
		FROM range($P) r(p)`},
		{"tasks", tk + `
		INSERT INTO task_snapshots (snapshot_id, project_id, snapshot_date, task_uid, id, name, wbs, outline_level, is_project_summary,
			summary, milestone, active, is_null, manual, critical, start, finish, percent_complete, physical_percent_complete,
			earned_value_method, cost, actual_cost, actual_finish, baseline_start, baseline_finish, baseline_cost)
		SELECT w * $P + p + 1, printf('p%03d', p), CAST(status_day AS TIMESTAMP) + INTERVAL 17 HOUR, t + 1, t + 1,
			printf('Task %d', t), printf('%d.%d', t // 25, t % 25), CASE WHEN summary THEN 1 ELSE 2 END, false,
			summary, milestone, true, false, false, false,
			CAST(bs AS TIMESTAMP) + INTERVAL 8 HOUR, CAST(bf + CAST(p % 5 AS INTEGER) AS TIMESTAMP) + INTERVAL 17 HOUR, pct, pct,
			CASE WHEN t % 10 = 3 THEN 'physical_percent_complete' ELSE 'percent_complete' END,
			bc * costf, bc * costf * pct / 100,
			CASE WHEN pct >= 100 THEN CAST(bf + CAST(p % 5 AS INTEGER) AS TIMESTAMP) + INTERVAL 17 HOUR END,
			CAST(bs AS TIMESTAMP) + INTERVAL 8 HOUR, CAST(bf AS TIMESTAMP) + INTERVAL 17 HOUR, bc
		FROM st`},
		// Weekly time-phased baseline for 2 % of the tasks: 60 % of the cost in the
		// first week, the rest spread over the following ones.
		{"time-phased baseline", tk + `
		INSERT INTO timephased (snapshot_id, project_id, task_uid, kind, baseline_number, start, finish, value, value_unit)
		SELECT w * $P + p + 1, printf('p%03d', p), t + 1, 'baseline_cost', 0,
			CAST(bs + CAST(7 * k AS INTEGER) AS TIMESTAMP) + INTERVAL 8 HOUR, CAST(bs + CAST(7 * k + 7 AS INTEGER) AS TIMESTAMP) + INTERVAL 8 HOUR,
			CASE WHEN k = 0 THEN 0.6 * bc ELSE 0.4 * bc / greatest(1, ceil(dur / 7.0) - 1) END, 'currency'
		FROM st, range(4) c(k)
		WHERE t % 50 = 3 AND k < greatest(2, ceil(dur / 7.0))`},
		{"calendars", `INSERT INTO calendars (snapshot_id, project_id, calendar_uid, name, is_base)
		SELECT $W * $P + p + 1, printf('p%03d', p), 1, 'Standard', true FROM range($P) r(p)`},
		{"calendar hours", `INSERT INTO calendar_hours (snapshot_id, project_id, calendar_uid, kind, day_of_week, from_date, to_date, working)
		SELECT $W * $P + p + 1, printf('p%03d', p), 1, 'weekday', d, NULL, NULL, d BETWEEN 2 AND 6 FROM range($P) r(p), range(1, 8) s(d)
		UNION ALL
		SELECT $W * $P + p + 1, printf('p%03d', p), 1, 'exception', NULL, h, h + INTERVAL 1 DAY - INTERVAL 1 MINUTE, false
		FROM range($P) r(p), (VALUES (TIMESTAMP '2025-05-26'), (TIMESTAMP '2025-12-25')) x(h)`},
	}
	for _, st := range stmts {
		if _, err := run.Exec(ctx, r.Replace(st.sql)); err != nil {
			return fmt.Errorf("week %d %s: %w", w, st.what, err)
		}
	}
	return nil
}

// BenchmarkRefreshEVM times the earned-value step of a sync that imported one
// new weekly snapshot for each of 300 projects (300,000 task rows) into a
// warehouse already holding 51 weeks (15.3 M task rows): reading the new
// snapshots, time-phasing and computing them, writing project_evm,
// milestone_slips and project_scope rows, and recomputing the program and
// portfolio roll-ups over all 52 weeks. The one-off recomputation of all 51
// weeks from empty tables (a new warehouse, or a changed configuration) is
// reported as full-s.
func BenchmarkRefreshEVM(b *testing.B) {
	e := benchEVMWarehouse(b, evmBenchTasks, evmBenchWeeks-1)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		run, err := e.w.Begin(ctx, "bench-schedules", configs.TypeMSProject)
		if err != nil {
			b.Fatal(err)
		}
		if err := benchWeekSQL(ctx, run, evmBenchWeeks-1, e.tasks); err != nil {
			e.w.Finish(ctx, run, err)
			b.Fatal(err)
		}
		run.BeginDerived()
		b.StartTimer()
		err = refreshEVM(ctx, run, RefreshOptions{Config: e.cfg, Logger: benchLogger(), Now: time.Now})
		b.StopTimer()
		var n int64
		if err == nil {
			err = run.QueryRow(ctx, `SELECT count(*) FROM evm_project_rows WHERE as_of = DATE '2025-01-10' + 7 * 51`).Scan(&n)
		}
		if err == nil && n != evmBenchProjects {
			err = fmt.Errorf("%d rows for the new week, want %d", n, evmBenchProjects)
		}
		if res := e.w.Finish(ctx, run, errDiscard); err != nil || res.Status != warehouse.StatusFailed {
			b.Fatal(err, res.Err)
		}
		b.StartTimer()
	}
	// After the loop: b.Loop's first iteration resets user metrics.
	b.ReportMetric(e.full.Seconds(), "full-s")
	b.ReportMetric(float64(e.fullRows), "full-rows")
	b.ReportMetric(e.setup.Seconds(), "setup-s")
}

// BenchmarkProjectHealth times `SELECT * FROM project_health` (300 rows, one
// per project, over 15,600 project_evm rows) on the published file, as the
// dashboards and analysts read it. The view reads evm_project_rows and projects
// only, so the warehouse is built with 50 tasks per snapshot rather than 1,000
// to save minutes of setup; its earned-value tables have the full 300 × 52 rows.
func BenchmarkProjectHealth(b *testing.B) {
	e := benchEVMWarehouse(b, 50, evmBenchWeeks)
	r := warehouse.NewReader(e.cfg.Warehouse.Path, "")
	defer r.Close()
	snap, release, err := r.Acquire(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer release()
	for b.Loop() {
		rows, err := snap.DB.Query(`SELECT * FROM project_health`)
		if err != nil {
			b.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		n := 0
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				b.Fatal(err)
			}
			n++
		}
		rows.Close()
		if n != evmBenchProjects {
			b.Fatalf("%d project_health rows, want %d", n, evmBenchProjects)
		}
	}
}

// benchLogger shows refreshEVM's phase timings with PMLENS_BENCH_LOG=1.
func benchLogger() *slog.Logger {
	if os.Getenv("PMLENS_BENCH_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
