package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

func countAudit(t *testing.T, al *AuditLog, where string) int {
	t.Helper()
	var n int
	err := al.withDB(t.Context(), func(ctx context.Context, db *sql.DB) error {
		return db.QueryRowContext(ctx, "SELECT count(*) FROM audit_log WHERE "+where).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEveryQueryIsAudited(t *testing.T) {
	sb, al, _ := newTestSandbox(t, 2, nil)
	queries := map[string]string{
		"SELECT * FROM projects":     "ok",
		"DELETE FROM projects":       "refused",
		"SELECT * FROM nosuch_table": "invalid",
	}
	for q := range queries {
		_, _ = sb.Query(t.Context(), Request{SQL: q, User: "audited", Role: RoleAnalyst, Client: "api"})
	}
	if n, err := al.Fold(t.Context()); err != nil || n != 3 {
		t.Fatalf("fold: %d %v, want 3 records", n, err)
	}
	h, err := al.History(t.Context(), "audited", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 3 {
		t.Fatalf("%d history entries, want 3", len(h))
	}
	for _, e := range h {
		if want := queries[e.SQL]; e.Outcome != want || e.Client != "api" || e.Role != RoleAnalyst || e.PID != os.Getpid() || e.Time.IsZero() || e.Duration <= 0 {
			t.Errorf("entry %+v, want outcome %s", e, want)
		}
		if e.Outcome == "ok" && (e.Rows != 2 || e.Version == "") {
			t.Errorf("ok entry %+v: want 2 rows and a version", e)
		}
		if e.Outcome != "ok" && e.Error == "" {
			t.Errorf("failed entry without error text: %+v", e)
		}
	}
	// Folding again stores nothing twice; an empty spool is left behind.
	if n, err := al.Fold(t.Context()); err != nil || n != 0 {
		t.Fatalf("second fold: %d %v", n, err)
	}
	if got := countAudit(t, al, "user_name = 'audited'"); got != 3 {
		t.Fatalf("%d rows in audit_log, want 3", got)
	}
}

func TestFoldIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	path := buildWarehouse(t, dir, 0)
	al, err := OpenAuditLog(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := AuditEntry{ID: "fixed-id", User: "u", Role: RoleAnalyst, Client: "cli", SQL: "SELECT 1", Outcome: "ok"}
	for range 2 {
		// A fold that crashed after its commit leaves the same record in the
		// spool; the next fold must not store it twice.
		if err := al.Record(t.Context(), e); err != nil {
			t.Fatal(err)
		}
		if _, err := al.Fold(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	_, spool := AuditPaths(path)
	if err := os.WriteFile(spool, []byte("{not json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := al.Fold(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := countAudit(t, al, "id = 'fixed-id'"); got != 1 {
		t.Fatalf("%d copies, want 1", got)
	}
	if b, _ := os.ReadFile(spool + ".rejected"); len(b) == 0 {
		t.Fatal("an unreadable spool line was dropped instead of kept aside")
	}
}

// TestFoldRecoversItsSideFile: a fold that crashed after moving the spool
// aside but before its insert leaves audit.spool.jsonl.folding; the next fold
// stores those records (once) along with the spool's new ones.
func TestFoldRecoversItsSideFile(t *testing.T) {
	dir := t.TempDir()
	path := buildWarehouse(t, dir, 0)
	al, err := OpenAuditLog(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, spool := AuditPaths(path)
	if err := al.Record(t.Context(), AuditEntry{ID: "moved-aside", User: "u", Role: RoleAnalyst, Client: "cli", SQL: "SELECT 1", Outcome: "ok"}); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(spool, spool+".folding"); err != nil {
		t.Fatal(err)
	}
	if err := al.Record(t.Context(), AuditEntry{ID: "after-crash", User: "u", Role: RoleAnalyst, Client: "cli", SQL: "SELECT 2", Outcome: "ok"}); err != nil {
		t.Fatal(err)
	}
	if n, err := al.Fold(t.Context()); err != nil || n != 2 {
		t.Fatalf("fold: %d records, %v; want 2", n, err)
	}
	if got := countAudit(t, al, "id IN ('moved-aside', 'after-crash')"); got != 2 {
		t.Fatalf("%d of the 2 records stored", got)
	}
	if _, err := os.Stat(spool + ".folding"); !os.IsNotExist(err) {
		t.Fatalf("side file left behind: %v", err)
	}
}

// TestAuditFromTwoProcesses appends and folds from this process and a child
// process at once, as `pmlens serve` and `pmlens query` do.
func TestAuditFromTwoProcesses(t *testing.T) {
	if os.Getenv("PMLENS_AUDIT_CHILD") != "" {
		t.Skip("child mode runs in TestAuditChild")
	}
	const perProcess = 40
	dir := t.TempDir()
	path := buildWarehouse(t, dir, 0)
	al, err := OpenAuditLog(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestAuditChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PMLENS_AUDIT_CHILD="+path, "PMLENS_AUDIT_N="+strconv.Itoa(perProcess))
	out := make(chan error, 1)
	var childOut []byte
	go func() {
		var err error
		childOut, err = cmd.CombinedOutput()
		out <- err
	}()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range perProcess {
			if err := al.Record(context.Background(), AuditEntry{User: "parent", Role: RoleAnalyst, Client: "web", SQL: fmt.Sprintf("SELECT %d", i), Outcome: "ok"}); err != nil {
				t.Error(err)
			}
			if i%10 == 0 {
				if _, err := al.Fold(context.Background()); err != nil {
					t.Error(err)
				}
			}
		}
	}()
	wg.Wait()
	if err := <-out; err != nil {
		t.Fatalf("child: %v\n%s", err, childOut)
	}
	if _, err := al.Fold(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Every record from both processes arrives exactly once.
	if got := countAudit(t, al, "true"); got != 2*perProcess {
		t.Fatalf("%d records, want %d", got, 2*perProcess)
	}
}

// TestAuditChild is the child half of TestAuditFromTwoProcesses.
func TestAuditChild(t *testing.T) {
	path := os.Getenv("PMLENS_AUDIT_CHILD")
	if path == "" {
		t.Skip("only run as a child of TestAuditFromTwoProcesses")
	}
	n, _ := strconv.Atoi(os.Getenv("PMLENS_AUDIT_N"))
	al, err := OpenAuditLog(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := al.Record(context.Background(), AuditEntry{User: "child", Role: RoleAnalyst, Client: "cli", SQL: fmt.Sprintf("SELECT %d", i), Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			if _, err := al.Fold(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestSavedQueries(t *testing.T) {
	dir := t.TempDir()
	path := buildWarehouse(t, dir, 0)
	al, err := OpenAuditLog(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	al.now = func() time.Time { return clock }
	first, err := al.SaveQuery(t.Context(), "ana", "Budgets", "SELECT sum(budget) FROM projects")
	if err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Hour)
	second, err := al.SaveQuery(t.Context(), "ana", "Budgets", "SELECT avg(budget) FROM projects")
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != first.ID || !second.Created.Equal(first.Created) || !second.Updated.Equal(clock) || second.SQL != "SELECT avg(budget) FROM projects" {
		t.Fatalf("resave: %+v after %+v", second, first)
	}
	if _, err := al.SaveQuery(t.Context(), "bob", "Budgets", "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	list, err := al.SavedQueries(t.Context(), "ana")
	if err != nil || len(list) != 1 || list[0].Name != "Budgets" {
		t.Fatalf("ana's list %+v %v", list, err)
	}
	if err := al.DeleteSavedQuery(t.Context(), "bob", first.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob deleting ana's query: %v", err)
	}
	if err := al.DeleteSavedQuery(t.Context(), "ana", first.ID); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][2]string{{"", "SELECT 1"}, {"x", " "}} {
		if _, err := al.SaveQuery(t.Context(), "ana", bad[0], bad[1]); err == nil {
			t.Errorf("saving %q accepted", bad)
		}
	}
	_ = filepath.Join
}
