package sandbox

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pmlens/pmlens/warehouse"
)

// buildWarehouse creates a warehouse at dir/pmlens.duckdb with the real
// warehouse package and publishes n projects loaded through a run.
func buildWarehouse(t testing.TB, dir string, n int) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(dir, "pmlens.duckdb")
	w, err := warehouse.Open(ctx, warehouse.Options{Path: path, LockTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	addProjects(t, w, 0, n)
	return path
}

// addProjects loads projects from..to-1 in one run and publishes them.
func addProjects(t testing.TB, w *warehouse.Writer, from, to int) {
	t.Helper()
	ctx := context.Background()
	run, err := w.Begin(ctx, "fixture", "test")
	if err != nil {
		t.Fatal(err)
	}
	var runErr error
	for i := from; i < to && runErr == nil; i++ {
		_, runErr = run.Exec(ctx, `INSERT INTO projects (project_id, name, program, portfolio, budget, currency, configured, first_seen, updated_at)
			VALUES (?, ?, ?, ?, ?, 'USD', false, TIMESTAMPTZ '2026-01-05 09:00:00+00', TIMESTAMPTZ '2026-01-05 09:00:00+00')`,
			fmt.Sprintf("p%03d", i), fmt.Sprintf("Project %d", i), fmt.Sprintf("Program %d", i%5), "Hospital IT", float64(1000*(i+1)))
	}
	if res := w.Finish(ctx, run, runErr); res.Err != nil {
		t.Fatal(res.Err)
	}
}

// newTestSandbox builds a warehouse with n projects and a sandbox over it with
// a real audit log.
func newTestSandbox(t testing.TB, n int, tweak func(*Options)) (*Sandbox, *AuditLog, string) {
	t.Helper()
	dir := t.TempDir()
	path := buildWarehouse(t, dir, n)
	al, err := OpenAuditLog(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{WarehousePath: path, MemoryLimit: "256MB", MaxConcurrent: 2, Timeout: 20 * time.Second, MaxRows: 1000, Audit: al}
	if tweak != nil {
		tweak(&opts)
	}
	sb, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb, al, path
}

// listFiles returns every path under dir (relative), with sizes for files.
func listFiles(t testing.TB, dir string, skip func(rel string) bool) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if skip != nil && skip(rel) {
			return nil
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func isAuditFile(rel string) bool { return strings.HasPrefix(filepath.Base(rel), "audit.") }

func mustQuery(t testing.TB, sb *Sandbox, role, sql string) *Result {
	t.Helper()
	res, err := sb.Query(context.Background(), Request{SQL: sql, User: "tester", Role: role, Client: "test"})
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return res
}
