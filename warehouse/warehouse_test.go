package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/pmlens/pmlens/configs"
)

func openTest(t *testing.T, path string) *Writer {
	t.Helper()
	w, err := Open(context.Background(), Options{Path: path, LockTimeout: 5 * time.Second,
		Projects: []configs.Project{{ID: "ehr", Name: "EHR Upgrade", Program: "Clinical", Portfolio: "Hospital IT", Currency: "USD",
			Sources: []configs.ProjectSource{{Source: "files", Key: "EHR*"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// publishedCount reads a count through a read-only Reader, as dashboards do.
func publishedCount(t *testing.T, path, query string) int {
	t.Helper()
	r := NewReader(path, "")
	defer r.Close()
	s, release, err := r.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	var n int
	if err := s.DB.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func loadProjects(ctx context.Context, run *Run, keys ...string) error {
	for _, k := range keys {
		if _, err := run.Project(ctx, ProjectRef{SourceKey: k}); err != nil {
			return err
		}
	}
	return nil
}

func TestFreshWarehouseIsMigratedAndPublished(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pmlens.duckdb")
	openTest(t, path)
	if got, want := publishedCount(t, path, "SELECT max(version) FROM schema_migrations"), SchemaVersion(); got != want {
		t.Fatalf("published schema version %d, want %d", got, want)
	}
	if n := publishedCount(t, path, "SELECT count(*) FROM projects WHERE project_id = 'ehr' AND configured"); n != 1 {
		t.Fatalf("configured project not written, count %d", n)
	}
}

func TestRunPublishesAllAtOnceAndFailureKeepsOldData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pmlens.duckdb")
	w := openTest(t, path)

	run, err := w.Begin(ctx, "files", "msproject")
	if err != nil {
		t.Fatal(err)
	}
	if err := loadProjects(ctx, run, "EHR 2026", "PACS"); err != nil {
		t.Fatal(err)
	}
	// Before Finish, readers of the published version see nothing of this run.
	if n := publishedCount(t, path, "SELECT count(*) FROM project_sources"); n != 0 {
		t.Fatalf("uncommitted run visible to readers: %d rows", n)
	}
	if res := w.Finish(ctx, run, nil); res.Status != StatusSuccess || res.Err != nil {
		t.Fatalf("first run: %+v", res)
	}
	if n := publishedCount(t, path, "SELECT count(*) FROM project_sources"); n != 2 {
		t.Fatalf("after success, project_sources = %d, want 2", n)
	}
	// "EHR 2026" matched the configured glob EHR*; "PACS" became an automatic project.
	if n := publishedCount(t, path, "SELECT count(*) FROM project_sources WHERE source_key = 'EHR 2026' AND project_id = 'ehr'"); n != 1 {
		t.Fatal("configured mapping not applied")
	}

	// A run that fails halfway: it loads rows, then errors.
	run, err = w.Begin(ctx, "files", "msproject")
	if err != nil {
		t.Fatal(err)
	}
	if err := loadProjects(ctx, run, "Portal", "Network"); err != nil {
		t.Fatal(err)
	}
	if err := run.SetState(ctx, "watermark", "late"); err != nil {
		t.Fatal(err)
	}
	res := w.Finish(ctx, run, errors.New("file broken.xml line 7: unexpected EOF"))
	if res.Status != StatusFailed {
		t.Fatalf("status %q, want failed", res.Status)
	}
	if n := publishedCount(t, path, "SELECT count(*) FROM project_sources"); n != 2 {
		t.Fatalf("failed run changed data: project_sources = %d, want the old 2", n)
	}
	if n := publishedCount(t, path, "SELECT count(*) FROM source_state"); n != 0 {
		t.Fatal("failed run advanced its state")
	}
	if n := publishedCount(t, path, "SELECT count(*) FROM sync_runs WHERE status = 'failed' AND error LIKE '%broken.xml line 7%'"); n != 1 {
		t.Fatal("failed run not recorded with its error")
	}
}

func TestPartialRunRecordsProblems(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pmlens.duckdb")
	w := openTest(t, path)
	run, _ := w.Begin(ctx, "files", "msproject")
	_ = loadProjects(ctx, run, "EHR")
	run.Problem("exports/bad.xml:12", errors.New("unexpected end of element"))
	res := w.Finish(ctx, run, nil)
	if res.Status != StatusPartial {
		t.Fatalf("status %q, want partial", res.Status)
	}
	if n := publishedCount(t, path, "SELECT count(*) FROM sync_problems WHERE location = 'exports/bad.xml:12'"); n != 1 {
		t.Fatal("problem not recorded")
	}
	if n := publishedCount(t, path, "SELECT count(*) FROM project_sources"); n != 1 {
		t.Fatal("good rows of a partial run were not kept")
	}
}

func TestAppendAndState(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pmlens.duckdb")
	w := openTest(t, path)
	run, _ := w.Begin(ctx, "files", "msproject")
	n, err := run.Append(ctx, "sync_problems", []string{"run_id", "source", "location", "message"}, func(add func(...any) error) error {
		for i := 0; i < 1000; i++ {
			if err := add(run.ID(), "files", fmt.Sprintf("row %d", i), "x"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || n != 1000 {
		t.Fatalf("append: n=%d err=%v", n, err)
	}
	if err := run.SetState(ctx, "k", "v1"); err != nil {
		t.Fatal(err)
	}
	if err := run.SetState(ctx, "k", "v2"); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := run.State(ctx, "k"); err != nil || !ok || v != "v2" {
		t.Fatalf("state = %q %v %v", v, ok, err)
	}
	res := w.Finish(ctx, run, nil)
	if res.Rows != 1000 {
		t.Fatalf("rows_loaded %d, want 1000", res.Rows)
	}
	if got := publishedCount(t, path, "SELECT rows_loaded FROM sync_runs"); got != 1000 {
		t.Fatalf("sync_runs.rows_loaded = %d", got)
	}
}

func TestHashPersonIsKeyedAndStable(t *testing.T) {
	a, b := hashPerson([]byte("k1"), "Jane Doe"), hashPerson([]byte("k1"), " jane doe ")
	if a != b || !strings.HasPrefix(a, "person:") || strings.Contains(strings.ToLower(a), "jane") {
		t.Fatalf("hash not normalised or leaks: %q %q", a, b)
	}
	if a == hashPerson([]byte("k2"), "Jane Doe") {
		t.Fatal("hash does not depend on the key")
	}
	if hashPerson([]byte("k1"), "") != "" {
		t.Fatal("empty name must stay empty")
	}
}

func TestReaderFollowsNewVersionsAndOldStaysReadable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pmlens.duckdb")
	w := openTest(t, path)
	r := NewReader(path, "")
	defer r.Close()
	old, releaseOld, err := r.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ { // more publications than KeepVersions: the old file is pruned
		run, _ := w.Begin(ctx, "files", "msproject")
		_ = loadProjects(ctx, run, fmt.Sprintf("P%d", i))
		w.Finish(ctx, run, nil)
	}
	cur, releaseCur, err := r.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseCur()
	if cur.Version == old.Version {
		t.Fatal("reader did not move to the new version")
	}
	var n int
	if err := old.DB.QueryRow("SELECT count(*) FROM project_sources").Scan(&n); err != nil || n != 0 {
		t.Fatalf("old snapshot no longer readable: n=%d err=%v", n, err)
	}
	releaseOld()
	vs, _ := listVersions(PathsFor(path).Versions)
	if len(vs) != 3 {
		t.Fatalf("kept %d versions, want 3: %v", len(vs), vs)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pmlens.duckdb")
	w := openTest(t, path)
	if _, err := w.DB().ExecContext(ctx, "INSERT INTO schema_migrations (version, name) VALUES (9999, 'from_the_future')"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	_, err := Open(ctx, Options{Path: path})
	if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), "9999") {
		t.Fatalf("want a newer-schema error naming 9999, got %v", err)
	}
}

func TestOlderFileIsMigrated(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pmlens.duckdb")
	p := PathsFor(path)
	if err := os.MkdirAll(p.Versions, 0o750); err != nil {
		t.Fatal(err)
	}
	// A working database as the first release left it: only migration 0001, one row.
	c, err := duckdb.NewConnector(p.Work, nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	if _, err := migrateUpTo(ctx, db, p.Work, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO projects (project_id, name, configured, first_seen, updated_at) VALUES ('old', 'Old', false, now(), now())`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	c.Close()

	w, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	ms, _ := migrations()
	if got := publishedCount(t, path, "SELECT count(*) FROM schema_migrations"); got != len(ms) {
		t.Fatalf("%d migrations recorded, want all %d", got, len(ms))
	}
	if got := publishedCount(t, path, "SELECT count(*) FROM projects WHERE project_id = 'old'"); got != 1 {
		t.Fatal("data of the older file was lost by migrating")
	}
}

func TestSecondWriterWaitsThenTimesOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pmlens.duckdb")
	openTest(t, path)
	_, err := Open(context.Background(), Options{Path: path, LockTimeout: 300 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Fatalf("want ErrLocked naming pid %d, got %v", os.Getpid(), err)
	}
}

// TestKilledSyncLeavesNoPartialData runs a sync in a child process, SIGKILLs it in
// the middle of loading, and checks that a restart shows the old data and a failed run.
func TestKilledSyncLeavesNoPartialData(t *testing.T) {
	if os.Getenv("PMLENS_KILL_CHILD") != "" {
		childSync(os.Getenv("PMLENS_KILL_CHILD"))
		return
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pmlens.duckdb")
	w := openTest(t, path)
	run, _ := w.Begin(ctx, "files", "msproject")
	_ = loadProjects(ctx, run, "EHR")
	w.Finish(ctx, run, nil)
	w.Close()

	ready := filepath.Join(t.TempDir(), "ready")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledSyncLeavesNoPartialData$")
	cmd.Env = append(os.Environ(), "PMLENS_KILL_CHILD="+path, "PMLENS_KILL_READY="+ready)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("child never reached the middle of its load")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = cmd.Wait()

	// Before any restart, readers still see exactly the old published data.
	if n := publishedCount(t, path, "SELECT count(*) FROM project_sources"); n != 1 {
		t.Fatalf("published data changed by a killed run: %d rows", n)
	}
	w2, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	w2.Close()
	if n := publishedCount(t, path, "SELECT count(*) FROM project_sources"); n != 1 {
		t.Fatalf("after restart, partial data is visible: %d rows", n)
	}
	if n := publishedCount(t, path, "SELECT count(*) FROM sync_runs WHERE status = 'failed' AND error LIKE 'interrupted%'"); n != 1 {
		t.Fatal("killed run was not recovered as failed")
	}
	if n := publishedCount(t, path, "SELECT count(*) FROM sync_runs WHERE status = 'running'"); n != 0 {
		t.Fatal("a run is still 'running' after recovery")
	}
}

// childSync loads many rows in one run, signals the parent, and waits to be killed.
func childSync(path string) {
	ctx := context.Background()
	w, err := Open(ctx, Options{Path: path})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	run, err := w.Begin(ctx, "files", "msproject")
	if err != nil {
		os.Exit(3)
	}
	for i := 0; i < 200; i++ {
		if _, err := run.Project(ctx, ProjectRef{SourceKey: fmt.Sprintf("K%d", i)}); err != nil {
			os.Exit(3)
		}
	}
	_, _ = run.Exec(ctx, "CHECKPOINT") // force what DuckDB can to disk; the tx is still open
	_ = os.WriteFile(os.Getenv("PMLENS_KILL_READY"), nil, 0o600)
	time.Sleep(time.Minute)
	os.Exit(4)
}

func TestDerivedRowsAreNotSourceRows(t *testing.T) {
	ctx := context.Background()
	w := openTest(t, filepath.Join(t.TempDir(), "pmlens.duckdb"))
	run, _ := w.Begin(ctx, "files", "msproject")
	add := func(n int) {
		_, err := run.Append(ctx, "sync_problems", []string{"run_id", "source", "location", "message"}, func(a func(...any) error) error {
			for i := 0; i < n; i++ {
				if err := a(run.ID(), "files", "x", "y"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	add(3)
	run.BeginDerived()
	add(5)
	res := w.Finish(ctx, run, nil)
	if res.Rows != 3 || run.DerivedRows() != 5 {
		t.Fatalf("rows %d derived %d, want 3 and 5", res.Rows, run.DerivedRows())
	}
}
