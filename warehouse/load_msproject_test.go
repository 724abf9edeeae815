package warehouse

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pmlens/pmlens/connectors/msproject"
)

func openMSPWarehouse(t testing.TB) *Writer {
	t.Helper()
	w, err := Open(context.Background(), Options{Path: filepath.Join(t.TempDir(), "pmlens.duckdb"), LockTimeout: 5 * time.Second, Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func parseSmall(t testing.TB) *msproject.Project {
	t.Helper()
	p, err := msproject.ParseFile(context.Background(), filepath.Join("..", "connectors", "msproject", "testdata", "small.xml"), msproject.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// queryOne runs a single-value query inside the run.
func queryOne[T any](t *testing.T, run *Run, q string, args ...any) T {
	t.Helper()
	var v T
	if err := run.QueryRow(context.Background(), q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

func TestLoadMSProjectSnapshot(t *testing.T) {
	ctx := context.Background()
	w := openMSPWarehouse(t)
	run, err := w.Begin(ctx, "schedules", "msproject")
	if err != nil {
		t.Fatal(err)
	}
	p := parseSmall(t)
	pid, err := run.Project(ctx, ProjectRef{SourceKey: p.Key(), Name: p.Title, Currency: p.CurrencyCode})
	if err != nil {
		t.Fatal(err)
	}
	file := MSProjectFile{Path: "/exports/EHR Go-Live 2025-01-10.xml", SHA256: "abc", Size: 123, ModTime: time.Date(2025, 1, 13, 9, 0, 0, 0, time.UTC)}
	snap, err := LoadMSProjectSnapshot(ctx, run, pid, file, p, MSProjectLoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if snap.DateSource != msproject.SnapshotFromStatusDate || snap.Rows == 0 {
		t.Errorf("snapshot %+v", snap)
	}

	// Row counts follow from small.xml: 6 task rows (incl. project summary and a
	// blank row); baselines: 1 on the summary row + 2 on UID 3; links: 1 + 2;
	// resources 2 (UID 0 placeholder dropped); 1 real assignment (the -65535 one is
	// left out); 4 timephased periods; 2 calendars; custom values without text:
	// task Cost1 + Flag1, resource Cost1.
	counts := map[string]int{"task_snapshots": 6, "task_baselines": 3, "task_links": 3, "resources": 2, "resource_rates": 2,
		"assignments": 1, "timephased": 4, "calendars": 2, "custom_fields": 3, "schedule_snapshots": 1, "tasks": 6}
	for table, want := range counts {
		if got := queryOne[int](t, run, `SELECT count(*) FROM `+table); got != want {
			t.Errorf("%s has %d rows, want %d", table, got, want)
		}
	}
	// calendar_hours: Standard has Sunday (off, 1 row), Monday (2 periods), one
	// exception (1 row) = 4; the resource calendar defines no days.
	if got := queryOne[int](t, run, `SELECT count(*) FROM calendar_hours`); got != 4 {
		t.Errorf("calendar_hours has %d rows, want 4", got)
	}

	// Task UID 3 in natural units: <Cost>800000</Cost> = 8000.00; baseline 0 cost
	// 640000 = 6400.00; PT80H = 80 h = 10 days of 480 min; slack 9600 tenths = 16 h.
	var cost, blCost, dur, days, slack, pct float64
	var constraint, ev, name string
	var parent int64
	if err := run.QueryRow(ctx, `SELECT cost, baseline_cost, duration_hours, duration_days, total_slack_hours, physical_percent_complete,
		constraint_type, earned_value_method, name, parent_uid FROM task_snapshots WHERE task_uid = 3`).
		Scan(&cost, &blCost, &dur, &days, &slack, &pct, &constraint, &ev, &name, &parent); err != nil {
		t.Fatal(err)
	}
	if cost != 8000 || blCost != 6400 || dur != 80 || days != 10 || slack != 16 || pct != 45 || constraint != "SNET" ||
		ev != "physical_percent_complete" || name != "Interface build" || parent != 7 {
		t.Errorf("task 3: cost %v bl %v dur %vh %vd slack %v pct %v %s %s %q parent %d", cost, blCost, dur, days, slack, pct, constraint, ev, name, parent)
	}
	// Elapsed 72h = 3 elapsed days.
	if d := queryOne[float64](t, run, `SELECT duration_days FROM task_snapshots WHERE task_uid = 4`); d != 3 {
		t.Errorf("elapsed duration_days = %v, want 3", d)
	}
	if lag := queryOne[float64](t, run, `SELECT lag_hours FROM task_links WHERE successor_uid = 5 AND link_type = 'SS'`); lag != -4 {
		t.Errorf("SS lag = %v h, want -4 (-2400 tenths of a minute)", lag)
	}

	// Privacy defaults: no resource names, groups or resource-calendar names; no text
	// custom fields; names are hashed.
	if n := queryOne[int](t, run, `SELECT count(*) FROM resources WHERE name IS NOT NULL OR group_name IS NOT NULL`); n != 0 {
		t.Errorf("%d resources carry names without include_resource_names", n)
	}
	if h := queryOne[string](t, run, `SELECT name_hash FROM resources WHERE resource_uid = 1`); !strings.HasPrefix(h, "person:") {
		t.Errorf("name_hash = %q", h)
	}
	if n := queryOne[int](t, run, `SELECT count(*) FROM calendars WHERE name IS NOT NULL AND NOT is_base`); n != 0 {
		t.Errorf("resource calendar names stored without opt-in")
	}
	if n := queryOne[int](t, run, `SELECT count(*) FROM custom_fields WHERE value_type IN ('text', 'outline_code')`); n != 0 {
		t.Errorf("text custom fields stored without opt-in")
	}
	// Custom Cost1 <Value>2500</Value> = 25.00 with its alias.
	var alias string
	var v float64
	if err := run.QueryRow(ctx, `SELECT alias, value_number FROM custom_fields WHERE entity = 'task' AND field_name = 'Cost1'`).Scan(&alias, &v); err != nil || alias != "Contingency" || v != 25 {
		t.Errorf("Cost1 = %q %v (%v), want Contingency 25", alias, v, err)
	}
	// Timephased: PT6H59M60S = 7 hours of actual work; 64000 hundredths = 640.
	if h := queryOne[float64](t, run, `SELECT value FROM timephased WHERE kind = 'actual_work'`); h != 7 {
		t.Errorf("actual work period = %v h, want 7", h)
	}
	if n := queryOne[int](t, run, `SELECT count(*) FROM timephased WHERE kind = 'baseline_cost' AND baseline_number = 2 AND value_unit = 'currency' AND value = 600`); n != 1 {
		t.Errorf("Baseline2 cost period missing")
	}
	var src, cur string
	var mpd int64
	if err := run.QueryRow(ctx, `SELECT snapshot_date_source, currency, minutes_per_day FROM schedule_snapshots`).Scan(&src, &cur, &mpd); err != nil ||
		src != "status_date" || cur != "USD" || mpd != 480 {
		t.Errorf("schedule snapshot: %s %s %d (%v)", src, cur, mpd, err)
	}
	if id, ok, err := MSProjectSnapshotByHash(ctx, run, "abc"); err != nil || !ok || id != snap.SnapshotID {
		t.Errorf("lookup by hash = %d %v %v", id, ok, err)
	}
	if _, ok, err := MSProjectSnapshotByHash(ctx, run, "other"); err != nil || ok {
		t.Errorf("unknown hash found: %v %v", ok, err)
	}

	// A later export with opt-ins: the tasks view moves to it, history stays.
	p2 := parseSmall(t)
	p2.StatusDate = p2.StatusDate.AddDate(0, 0, 7)
	p2.Tasks[2].Cost = msproject.Some(9000.0)
	snap2, err := LoadMSProjectSnapshot(ctx, run, pid, MSProjectFile{Path: "/exports/EHR Go-Live 2025-01-17.xml", SHA256: "def"}, p2,
		MSProjectLoadOptions{IncludeResourceNames: true, IncludeCustomText: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := queryOne[float64](t, run, `SELECT cost FROM tasks WHERE task_uid = 3`); got != 9000 {
		t.Errorf("tasks view cost = %v, want the later snapshot's 9000", got)
	}
	if got := queryOne[int](t, run, `SELECT count(DISTINCT snapshot_id) FROM task_snapshots WHERE task_uid = 3`); got != 2 {
		t.Errorf("history has %d snapshots of task 3, want 2", got)
	}
	if got := queryOne[string](t, run, `SELECT name FROM resources WHERE resource_uid = 1 AND snapshot_id = ?`, snap2.SnapshotID); got != "Dana Analyst" {
		t.Errorf("opted-in resource name = %q", got)
	}
	if got := queryOne[string](t, run, `SELECT value_text FROM custom_fields WHERE field_name = 'Text1' AND snapshot_id = ?`, snap2.SnapshotID); got != "Integration" {
		t.Errorf("opted-in Text1 = %q", got)
	}
	if res := w.Finish(ctx, run, nil); res.Err != nil || res.Status != StatusSuccess {
		t.Fatalf("finish: %+v", res)
	}
}

// failAfter is a context whose Err turns to Canceled after n checks: Append checks
// it once per row, so a load fails part-way through, as on a database error.
type failAfter struct {
	context.Context
	n *int
}

func (c failAfter) Err() error {
	if *c.n <= 0 {
		return context.Canceled
	}
	*c.n--
	return nil
}

// TestLoadMSProjectSnapshotCleansUpAfterFailure: a load that fails part-way leaves
// none of that snapshot's rows behind, so the run can go on with the next file.
func TestLoadMSProjectSnapshotCleansUpAfterFailure(t *testing.T) {
	ctx := context.Background()
	w := openMSPWarehouse(t)
	run, err := w.Begin(ctx, "schedules", "msproject")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Finish(ctx, run, nil)
	// Measure how many checks a whole load makes, then fail ten checks before the end.
	total := 1 << 30
	if _, err := LoadMSProjectSnapshot(failAfter{ctx, &total}, run, "p", MSProjectFile{Path: "first.xml", SHA256: "m"}, parseSmall(t), MSProjectLoadOptions{}); err != nil {
		t.Fatal(err)
	}
	rowsBefore := run.Rows()
	n := 1<<30 - total - 10
	snap, err := LoadMSProjectSnapshot(failAfter{ctx, &n}, run, "p", MSProjectFile{Path: "bad.xml", SHA256: "x"}, parseSmall(t), MSProjectLoadOptions{})
	if err == nil {
		t.Fatal("load did not fail")
	}
	if !strings.Contains(err.Error(), "bad.xml") || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("error %q does not name the file and the cause", err)
	}
	for _, table := range msprojectTables {
		if n := queryOne[int](t, run, `SELECT count(*) FROM `+table+` WHERE snapshot_id = ?`, snap.SnapshotID); n != 0 {
			t.Errorf("%s keeps %d rows of the failed snapshot", table, n)
		}
	}
	if run.Rows() != rowsBefore {
		t.Errorf("run counts %d rows after the cleanup, want %d", run.Rows(), rowsBefore)
	}
	if _, err := LoadMSProjectSnapshot(ctx, run, "p", MSProjectFile{Path: "good.xml", SHA256: "y"}, parseSmall(t), MSProjectLoadOptions{}); err != nil {
		t.Errorf("next file after a failure: %v", err)
	}
}
