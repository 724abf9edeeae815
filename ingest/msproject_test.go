package ingest

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/warehouse"
)

// mspEnv builds a configuration with one msproject source reading dir/exports.
func mspEnv(t testing.TB, dir, extra string) (*Syncer, *configs.Config) {
	t.Helper()
	yml := `warehouse: {path: wh/pmlens.duckdb}
metrics: {currency: USD}
sources:
  - name: schedules
    type: msproject
    path: exports
` + extra
	cfg, err := configs.Parse([]byte(yml), "test.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	return New(Env{Config: cfg}), cfg
}

func mspFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "connectors", "msproject", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mspWrite(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, "exports", name)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func mspSync(t *testing.T, s *Syncer) warehouse.Result {
	t.Helper()
	res, err := s.Sync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("sync: %+v", res)
	}
	return res[0]
}

func mspInt(t *testing.T, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n sql.NullInt64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n.Int64
}

// TestMSProjectFolderBuildsHistory: a folder with two weekly exports of one
// schedule, one export of another and one broken file, loaded into a real DuckDB
// warehouse file.
func TestMSProjectFolderBuildsHistory(t *testing.T) {
	dir := t.TempDir()
	week1 := mspFixture(t, "small.xml")
	// Week 2: status date a week later, "Interface build" cost 8,000 → 9,000.
	week2 := bytes.Replace(week1, []byte("<StatusDate>2025-01-10T17:00:00</StatusDate>"), []byte("<StatusDate>2025-01-17T17:00:00</StatusDate>"), 1)
	week2 = bytes.Replace(week2, []byte("<Cost>800000</Cost>\n\t\t\t<FixedCost>"), []byte("<Cost>900000</Cost>\n\t\t\t<FixedCost>"), 1)
	if bytes.Equal(week1, week2) {
		t.Fatal("fixture edit did not apply")
	}
	mspWrite(t, dir, "ehr/EHR Go-Live 2025-01-10.xml", week1)
	mspWrite(t, dir, "ehr/EHR Go-Live 2025-01-17.xml", week2)
	mspWrite(t, dir, "lab/lab-interfaces.mpx", mspFixture(t, "small.mpx"))
	broken := week1[:len(week1)/2]
	mspWrite(t, dir, "broken.xml", broken)
	mspWrite(t, dir, "notes.txt", []byte("not a schedule, not picked up"))

	s, cfg := mspEnv(t, dir, "")
	res := mspSync(t, s)
	if res.Status != warehouse.StatusPartial {
		t.Errorf("status %s, want partial (one broken file)", res.Status)
	}
	if len(res.Problems) != 1 {
		t.Fatalf("problems %+v, want the broken file only", res.Problems)
	}
	pr := res.Problems[0]
	msg := pr.Err.Error()
	wantLine := bytes.Count(broken, []byte("\n")) + 1
	if pr.Location != "broken.xml" || !strings.Contains(msg, "broken.xml:") || !strings.Contains(msg, "truncated") || !strings.Contains(msg, ":"+strconv.Itoa(wantLine)) {
		t.Errorf("problem %s: %q, want broken.xml with line %d and 'truncated'", pr.Location, msg, wantLine)
	}

	db := published(t, cfg)
	// Three snapshots: two of "EHR Go-Live", one of "Lab Interfaces".
	if n := mspInt(t, db, `SELECT count(*) FROM schedule_snapshots`); n != 3 {
		t.Errorf("%d snapshots, want 3", n)
	}
	if n := mspInt(t, db, `SELECT count(DISTINCT project_id) FROM schedule_snapshots`); n != 2 {
		t.Errorf("%d projects, want 2", n)
	}
	ehr := queryString(t, db, `SELECT project_id FROM project_sources WHERE source = 'schedules' AND source_key = 'EHR Go-Live'`)
	if ehr != "ehr-go-live" {
		t.Errorf("EHR project id %q", ehr)
	}
	if c := queryString(t, db, `SELECT currency FROM projects WHERE project_id = ?`, ehr); c != "USD" {
		t.Errorf("project currency %q, want the file's USD", c)
	}
	// History of task UID 3: 8,000 as of 10 Jan, 9,000 as of 17 Jan; the tasks view
	// shows the latest.
	if got := queryString(t, db, `SELECT string_agg(cost::VARCHAR, ',' ORDER BY snapshot_date) FROM task_snapshots WHERE project_id = ? AND task_uid = 3`, ehr); got != "8000.0,9000.0" {
		t.Errorf("cost history %q, want 8000.0,9000.0", got)
	}
	if got := mspInt(t, db, `SELECT cost FROM tasks WHERE project_id = ? AND task_uid = 3`, ehr); got != 9000 {
		t.Errorf("latest cost %d, want 9000", got)
	}
	if got := queryString(t, db, `SELECT string_agg(DISTINCT snapshot_date_source, ',') FROM schedule_snapshots WHERE project_id = ?`, ehr); got != "status_date" {
		t.Errorf("snapshot date sources %q", got)
	}
	// The MPX schedule has no status date: its snapshot is dated by its current date.
	if got := queryString(t, db, `SELECT snapshot_date_source || ' ' || strftime(snapshot_date, '%Y-%m-%d') FROM schedule_snapshots WHERE format = 'mpx'`); got != "current_date 2025-01-10" {
		t.Errorf("MPX snapshot %q", got)
	}
	if n := mspInt(t, db, `SELECT count(*) FROM sync_problems WHERE location = 'broken.xml'`); n != 1 {
		t.Errorf("sync_problems has %d rows for broken.xml", n)
	}
	// Privacy defaults hold through the whole path.
	if n := mspInt(t, db, `SELECT count(*) FROM resources WHERE name IS NOT NULL`); n != 0 {
		t.Errorf("%d resource names stored without include_resource_names", n)
	}

	// Re-importing identical files changes nothing (and the broken file is still a
	// problem, but earlier snapshots stay).
	before := mspInt(t, db, `SELECT count(*) FROM task_snapshots`)
	res = mspSync(t, s)
	if res.Status != warehouse.StatusPartial {
		t.Errorf("second sync: status %s, want partial", res.Status)
	}
	db = published(t, cfg)
	if n := mspInt(t, db, `SELECT count(*) FROM schedule_snapshots`); n != 3 {
		t.Errorf("%d snapshots after re-import, want still 3", n)
	}
	if n := mspInt(t, db, `SELECT count(*) FROM task_snapshots`); n != before {
		t.Errorf("task_snapshots %d rows after re-import, want %d", n, before)
	}

	// Fixing the broken file: it loads as a new snapshot, everything else stays.
	mspWrite(t, dir, "broken.xml", bytes.Replace(week1, []byte("<StatusDate>2025-01-10T17:00:00</StatusDate>"), []byte("<StatusDate>2025-01-24T17:00:00</StatusDate>"), 1))
	res = mspSync(t, s)
	if res.Status != warehouse.StatusSuccess || len(res.Problems) != 0 {
		t.Errorf("third sync: %+v", res)
	}
	db = published(t, cfg)
	if n := mspInt(t, db, `SELECT count(*) FROM schedule_snapshots WHERE project_id = ?`, ehr); n != 3 {
		t.Errorf("EHR has %d snapshots, want 3", n)
	}
	if got := mspInt(t, db, `SELECT cost FROM tasks WHERE project_id = ? AND task_uid = 3`, ehr); got != 8000 {
		t.Errorf("latest (24 Jan) cost %d, want 8000", got)
	}
}

// TestMSProjectOptions: the source's keys reach the connector and the loader.
func TestMSProjectOptions(t *testing.T) {
	dir := t.TempDir()
	mspWrite(t, dir, "EHR.xml", mspFixture(t, "small.xml"))
	mspWrite(t, dir, "de.csv", mspFixture(t, "tasks-de.csv"))
	s, cfg := mspEnv(t, dir, `    include_resource_names: true
    include_custom_text: true
    max_file_size: 1MB
    task_export:
      date_order: DMY
      decimal_separator: ","
`)
	res := mspSync(t, s)
	if res.Status != warehouse.StatusSuccess {
		t.Fatalf("sync: %+v", res)
	}
	db := published(t, cfg)
	if got := queryString(t, db, `SELECT name FROM resources WHERE resource_uid = 1`); got != "Dana Analyst" {
		t.Errorf("resource name %q with include_resource_names", got)
	}
	if got := queryString(t, db, `SELECT value_text FROM custom_fields WHERE field_name = 'Text1'`); got != "Integration" {
		t.Errorf("Text1 %q with include_custom_text", got)
	}
	// German CSV: "1.250,50 €" with decimal comma; snapshot dated by file time.
	if got := queryString(t, db, `SELECT cost::VARCHAR FROM task_snapshots WHERE name = 'Einführung Labor'`); got != "1250.5" {
		t.Errorf("German cost %q, want 1250.5", got)
	}
	if got := queryString(t, db, `SELECT snapshot_date_source FROM schedule_snapshots WHERE format = 'csv'`); got != "file_mtime" {
		t.Errorf("CSV snapshot date source %q", got)
	}

	// An oversize file is a problem of its own, named with the limit.
	big := bytes.Repeat([]byte(" "), 2<<20)
	mspWrite(t, dir, "huge.xml", append([]byte("<Project>"), big...))
	res = mspSync(t, s)
	if res.Status != warehouse.StatusPartial || len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Err.Error(), "max_file_size is 1MB") {
		t.Errorf("oversize file: %+v", res)
	}
}

func TestMSProjectConfigValidation(t *testing.T) {
	for _, c := range []struct{ extra, want string }{
		{"    task_export: {date_order: DYM}\n", "date_order"},
		{"    task_export: {columns: {Foo: colour}}\n", "colour"},
		{"    max_file_size: lots\n", "max_file_size"},
		{"    task_export: {encoding: klingon}\n", "klingon"},
		{"    task_export: {decimal_separator: \",\", thousands_separator: \",\"}\n", "both"},
	} {
		yml := "warehouse: {path: wh/x.duckdb}\nsources:\n  - name: s\n    type: msproject\n    path: exports\n" + c.extra
		_, err := configs.Parse([]byte(yml), "test.yaml", t.TempDir())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want mention of %q", c.extra, err, c.want)
		}
	}
}
