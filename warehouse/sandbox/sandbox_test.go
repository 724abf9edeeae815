package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmlens/pmlens/warehouse"
)

func TestReadStatementsRun(t *testing.T) {
	sb, _, _ := newTestSandbox(t, 3, nil)
	tests := []struct {
		sql  string
		rows int // expected row count, derived in the comment
	}{
		{"SELECT count(*) FROM projects", 1},                         // one aggregate row
		{"FROM projects ORDER BY project_id", 3},                     // the three loaded projects
		{"WITH p AS (SELECT * FROM projects) SELECT name FROM p", 3}, // same three through a CTE
		{"VALUES (1, 'a'), (2, 'b')", 2},                             // two literal rows
		{"DESCRIBE projects", 10},                                    // projects has 10 columns (0001_core.sql)
		{"SUMMARIZE projects", 10},                                   // one summary row per column
		{"SHOW projects", 10},                                        // same as DESCRIBE
		{"EXPLAIN SELECT * FROM projects", 1},                        // one physical_plan row
		{"EXPLAIN ANALYZE SELECT count(*) FROM projects", 1},         // one analyzed_plan row
		{"-- leading comment\nSELECT 1 /* trailing */", 1},           // comments are fine
		{"SELECT * FROM range(5)", 5},                                // range() is allowed
		{"SELECT table_name FROM duckdb_tables() WHERE table_name = 'projects'", 1},
		{"SELECT name FROM projects WHERE name LIKE 'Project%' AND budget > 1500", 2}, // budgets 1000, 2000, 3000
	}
	for _, tc := range tests {
		res, err := sb.Query(t.Context(), Request{SQL: tc.sql, User: "ana", Role: RoleAnalyst})
		if err != nil {
			t.Errorf("%q: %v", tc.sql, err)
			continue
		}
		if len(res.Rows) != tc.rows || res.Truncated {
			t.Errorf("%q: %d rows (truncated %v), want %d", tc.sql, len(res.Rows), res.Truncated, tc.rows)
		}
		if res.Version == "" {
			t.Errorf("%q: no version reported", tc.sql)
		}
	}
}

// TestAttacks is issue 8 §6: every attempt is refused with a message that says
// why, and nothing appears on disk.
func TestAttacks(t *testing.T) {
	sb, _, path := newTestSandbox(t, 3, nil)
	outside := t.TempDir()
	warehouseDir := filepath.Dir(path)
	cwd, _ := os.Getwd()
	before := listFiles(t, warehouseDir, isAuditFile)
	beforeOutside := listFiles(t, outside, nil)
	beforeCwd := listFiles(t, cwd, nil)
	target := func(name string) string { return filepath.Join(outside, name) }

	attacks := []struct {
		name, sql, role string
		want            string // part of the message
	}{
		{"read_csv", "SELECT * FROM read_csv('/etc/passwd')", "", "read_csv"},
		{"read_csv_auto", "SELECT * FROM read_csv_auto('/etc/passwd')", "", "read_csv_auto"},
		{"replacement scan", "FROM '/etc/passwd'", "", "reading files"},
		{"replacement scan csv", "SELECT * FROM 'data.csv'", "", "reading files"},
		{"url scan", "SELECT * FROM 'https://example.com/x.csv'", "", "reading files"},
		{"read_text", "SELECT * FROM read_text('/etc/passwd')", "", "read_text"},
		{"read_blob", "SELECT * FROM read_blob('/etc/passwd')", "", "read_blob"},
		{"read_parquet", "SELECT * FROM read_parquet('/tmp/*.parquet')", "", "read_parquet"},
		{"glob", "SELECT * FROM glob('/*')", "", "glob"},
		{"sniff_csv", "SELECT * FROM sniff_csv('/etc/passwd')", "", "sniff_csv"},
		{"read in subquery", "SELECT (SELECT count(*) FROM read_text('/etc/passwd'))", "", "read_text"},
		{"read in cte", "WITH f AS (FROM read_text('/etc/passwd')) SELECT * FROM f", "", "read_text"},
		{"copy table to", "COPY projects TO '" + target("out.csv") + "'", "", "only read statements"},
		{"copy query to", "COPY (SELECT * FROM projects) TO '" + target("out.parquet") + "' (FORMAT parquet)", "", ""},
		{"copy from", "COPY projects FROM '/etc/passwd'", "", ""},
		{"export", "EXPORT DATABASE '" + target("export") + "'", "", ""},
		{"attach file", "ATTACH '" + target("new.duckdb") + "' AS x", "", ""},
		{"attach memory", "ATTACH ':memory:' AS scratch", "", "ATTACH"},
		{"detach", "DETACH pmlens", "", "DETACH"},
		{"use", "USE system", "", ""},
		{"install", "INSTALL httpfs", "", "INSTALL"},
		{"load", "LOAD httpfs", "", "INSTALL/LOAD"},
		{"set", "SET threads = 8", "", "SET"},
		{"set memory", "SET memory_limit = '100GB'", "", "SET"},
		{"set external access", "SET enable_external_access = true", "", "SET"},
		{"reset", "RESET memory_limit", "", "SET"},
		{"set variable", "SET VARIABLE x = 1", "", "SET"},
		{"pragma set", "PRAGMA threads = 8", "", "SET"},
		{"pragma read", "PRAGMA show_tables", "", "PRAGMA"},
		{"call", "CALL duckdb_settings()", "", "CALL"},
		{"checkpoint", "CHECKPOINT", "", ""},
		{"create table", "CREATE TABLE x (a INTEGER)", "", "CREATE"},
		{"create temp table", "CREATE TEMP TABLE x AS SELECT 1", "", "CREATE"},
		{"create view", "CREATE VIEW v AS SELECT 1", "", "CREATE"},
		{"create macro", "CREATE MACRO m(x) AS x + 1", "", "CREATE"},
		{"create secret", "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')", "", ""},
		{"insert", "INSERT INTO projects (project_id, name, configured, first_seen, updated_at) VALUES ('x', 'x', false, now(), now())", "", "INSERT"},
		{"update", "UPDATE projects SET name = 'x'", "", "UPDATE"},
		{"delete", "DELETE FROM projects", "", "DELETE"},
		{"drop", "DROP TABLE projects", "", "DROP"},
		{"alter", "ALTER TABLE projects ADD COLUMN x INTEGER", "", "ALTER"},
		{"transaction", "BEGIN TRANSACTION", "", "transaction"},
		{"select then copy", "SELECT 1; COPY projects TO '" + target("second.csv") + "'", "", "one statement"},
		{"copy then select", "COPY projects TO '" + target("first.csv") + "'; SELECT 1", "", "one statement"},
		{"select then attach", "SELECT 1; ATTACH ':memory:' AS m", "", "one statement"},
		{"explain analyze write", "EXPLAIN ANALYZE CREATE TEMP TABLE z AS SELECT 1", "", "EXPLAIN"},
		{"explain analyze copy", "EXPLAIN ANALYZE COPY projects TO '" + target("explain.csv") + "'", "", "EXPLAIN"},
		{"explain options", "EXPLAIN (FORMAT json) SELECT 1", "", "EXPLAIN"},
		{"explain analyze read file", "EXPLAIN ANALYZE SELECT * FROM read_text('/etc/passwd')", "", "read_text"},
		{"duckdb_settings", "SELECT * FROM duckdb_settings()", "", "duckdb_settings"},
		{"duckdb_secrets", "SELECT * FROM duckdb_secrets()", "", "duckdb_secrets"},
		{"duckdb_databases view", "SELECT * FROM duckdb_databases", "", "duckdb_databases"},
		{"duckdb_extensions", "SELECT * FROM duckdb_extensions()", "", "duckdb_extensions"},
		{"current_setting", "SELECT current_setting('memory_limit')", "", "current_setting"},
		{"getenv", "SELECT getenv('HOME')", "", "getenv"},
		{"getvariable", "SELECT getvariable('x')", "", "getvariable"},
		{"which_secret", "SELECT which_secret('s3://bucket/x', 's3')", "", "which_secret"},
		{"dynamic sql", "SELECT * FROM query('SELECT * FROM read_text(''/etc/passwd'')')", "", "query"},
		{"serialized sql", "SELECT * FROM json_execute_serialized_sql('{}')", "", "json_execute_serialized_sql"},
		{"audit read as analyst", "SELECT * FROM audit.audit_log", "", "admins only"},
		{"audit read unqualified", "SELECT * FROM audit_log", "", "admins only"},
		{"audit write as analyst", "INSERT INTO audit.audit_log (id) VALUES ('x')", "", ""},
		{"audit write as admin", "INSERT INTO audit.audit_log SELECT * FROM audit.audit_log", RoleAdmin, "INSERT"},
		{"audit delete as admin", "DELETE FROM audit.audit_log", RoleAdmin, "DELETE"},
		{"audit update as admin", "UPDATE audit.audit_log SET user_name = 'x'", RoleAdmin, "UPDATE"},
		{"audit drop as admin", "DROP TABLE audit.audit_log", RoleAdmin, "DROP"},
		{"nul byte", "SELECT 1\x00; COPY projects TO '" + target("nul.csv") + "'", "", "NUL"},
		{"empty", "  ", "", "empty"},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			role := a.role
			if role == "" {
				role = RoleAnalyst
			}
			res, err := sb.Query(t.Context(), Request{SQL: a.sql, User: "mallory", Role: role, Client: "test"})
			if err == nil {
				t.Fatalf("%q ran and returned %d rows; it must be refused", a.sql, len(res.Rows))
			}
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("%q: error %T %v is not a QueryError", a.sql, err, err)
			}
			if qe.Kind != KindRefused && qe.Kind != KindInvalid {
				t.Errorf("%q: kind %s (%v), want refused or invalid", a.sql, qe.Kind, err)
			}
			if strings.TrimSpace(qe.Message) == "" || !strings.Contains(strings.ToLower(qe.Message), strings.ToLower(a.want)) {
				t.Errorf("%q: message %q does not mention %q", a.sql, qe.Message, a.want)
			}
		})
	}
	// The sandbox must still work, settings unchanged, and the in-memory ATTACH
	// above did not happen.
	res := mustQuery(t, sb, RoleAnalyst, "SELECT database_name FROM duckdb_tables() GROUP BY ALL ORDER BY 1")
	if len(res.Rows) != 1 || res.Rows[0][0] != "pmlens" {
		t.Errorf("catalogs after the attacks: %v, want only pmlens", res.Rows)
	}
	if after := listFiles(t, warehouseDir, isAuditFile); !slices.Equal(before, after) {
		t.Errorf("warehouse folder changed:\nbefore %v\nafter  %v", before, after)
	}
	if after := listFiles(t, outside, nil); !slices.Equal(beforeOutside, after) {
		t.Errorf("files appeared outside the warehouse: %v", after)
	}
	if after := listFiles(t, cwd, nil); !slices.Equal(beforeCwd, after) {
		t.Errorf("files appeared in the working directory:\nbefore %v\nafter  %v", beforeCwd, after)
	}
}

func TestAdminReadsAuditLog(t *testing.T) {
	sb, al, _ := newTestSandbox(t, 1, nil)
	mustQuery(t, sb, RoleAnalyst, "SELECT 42")
	_, _ = sb.Query(t.Context(), Request{SQL: "DROP TABLE projects", User: "tester", Role: RoleAnalyst})
	res := mustQuery(t, sb, RoleAdmin, "SELECT outcome, sql_text FROM audit.audit_log WHERE user_name = 'tester' ORDER BY queried_at")
	// Two queries by tester came before this one: SELECT 42 (ok) and DROP (refused).
	if len(res.Rows) != 2 || res.Rows[0][0] != "ok" || res.Rows[1][0] != "refused" || res.Rows[1][1] != "DROP TABLE projects" {
		t.Fatalf("audit rows %v", res.Rows)
	}
	// The admin's own query is in the log after it ran.
	if _, err := al.Fold(t.Context()); err != nil {
		t.Fatal(err)
	}
	h, err := al.History(t.Context(), "tester", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 3 || h[0].Role != RoleAdmin || h[0].Rows != 2 {
		t.Fatalf("history %+v", h)
	}
}

func TestErrorPositions(t *testing.T) {
	sb, _, _ := newTestSandbox(t, 1, nil)
	tests := []struct {
		sql        string
		line, col  int
		kind       Kind
		msgContain string
	}{
		// "SELECT * FROM " is 14 characters, so nosuch starts at column 15.
		{"SELECT * FROM nosuch", 1, 15, KindInvalid, "nosuch"},
		// Second line "  nosuch_col": the name starts after two blanks, at column 3.
		{"SELECT project_id,\n  nosuch_col\nFROM projects", 2, 3, KindInvalid, "nosuch_col"},
		// "SELECT syntax " is 14 characters; DuckDB points at "error", column 15.
		{"SELECT syntax error", 1, 15, KindInvalid, "syntax error"},
	}
	for _, tc := range tests {
		_, err := sb.Query(t.Context(), Request{SQL: tc.sql, User: "u", Role: RoleAnalyst})
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Fatalf("%q: %v", tc.sql, err)
		}
		if qe.Kind != tc.kind || !strings.Contains(qe.Message, tc.msgContain) {
			t.Errorf("%q: %s %q", tc.sql, qe.Kind, qe.Message)
		}
		if qe.Position == nil || qe.Position.Line != tc.line || qe.Position.Column != tc.col {
			t.Errorf("%q: position %+v, want line %d column %d", tc.sql, qe.Position, tc.line, tc.col)
		}
	}
}

func TestRowCap(t *testing.T) {
	sb, _, _ := newTestSandbox(t, 1, func(o *Options) { o.MaxRows = 7 })
	res := mustQuery(t, sb, RoleAnalyst, "SELECT * FROM range(100)")
	if len(res.Rows) != 7 || !res.Truncated {
		t.Fatalf("%d rows truncated=%v, want 7 and true", len(res.Rows), res.Truncated)
	}
	res = mustQuery(t, sb, RoleAnalyst, "SELECT * FROM range(7)")
	if len(res.Rows) != 7 || res.Truncated {
		t.Fatalf("%d rows truncated=%v, want 7 and false", len(res.Rows), res.Truncated)
	}
}

func TestBusy(t *testing.T) {
	sb, al, _ := newTestSandbox(t, 1, func(o *Options) { o.MaxConcurrent = 1; o.QueueWait = -1; o.Timeout = 3 * time.Second })
	done := make(chan error, 1)
	go func() {
		_, err := sb.Query(context.Background(), Request{SQL: "SELECT count(*) FROM range(1000000000000)", User: "hog", Role: RoleAnalyst})
		done <- err
	}()
	for len(sb.slots) != 0 {
		time.Sleep(5 * time.Millisecond)
	}
	_, err := sb.Query(t.Context(), Request{SQL: "SELECT 1", User: "other", Role: RoleAnalyst})
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "retry") {
		t.Fatalf("second query: %v, want ErrBusy", err)
	}
	if err := <-done; KindOf(err) != KindTimeout {
		t.Fatalf("hog: %v", err)
	}
	if _, err := al.Fold(t.Context()); err != nil {
		t.Fatal(err)
	}
	h, _ := al.History(t.Context(), "other", 5)
	if len(h) != 1 || h[0].Outcome != string(KindBusy) {
		t.Fatalf("busy refusal not audited: %+v", h)
	}
}

// TestRunawayQueriesStopAlone runs a query that never ends and one that needs
// more memory than allowed, while another user keeps querying: the runaways
// stop at the timeout and the memory cap, the other user never notices.
func TestRunawayQueriesStopAlone(t *testing.T) {
	sb, _, _ := newTestSandbox(t, 50, func(o *Options) {
		o.MaxConcurrent = 3
		o.Timeout = 2 * time.Second
		o.MemoryLimit = "64MB"
	})
	ctx := t.Context()
	var wg sync.WaitGroup
	results := make([]error, 2)
	for i, q := range []string{
		"SELECT count(*) FROM range(1000000000000)",
		"SELECT * FROM range(2000000) a CROSS JOIN range(1000) b ORDER BY random()",
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = sb.Query(ctx, Request{SQL: q, User: fmt.Sprintf("hog%d", i), Role: RoleAnalyst})
		}()
	}
	stop := make(chan struct{})
	var small []error
	var smallWG sync.WaitGroup
	smallWG.Add(1)
	go func() {
		defer smallWG.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			res, err := sb.Query(ctx, Request{SQL: "SELECT program, count(*), sum(budget) FROM projects GROUP BY program", User: "analyst", Role: RoleAnalyst})
			if err == nil && len(res.Rows) != 5 { // 50 projects in 5 programs
				err = fmt.Errorf("%d rows, want 5", len(res.Rows))
			}
			small = append(small, err)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	wg.Wait()
	close(stop)
	smallWG.Wait()
	if KindOf(results[0]) != KindTimeout {
		t.Errorf("range(1000000000000): %v, want a timeout", results[0])
	}
	if KindOf(results[1]) != KindMemory {
		t.Errorf("cross join: %v, want the memory cap", results[1])
	}
	if len(small) == 0 {
		t.Fatal("the other user's queries never ran")
	}
	for i, err := range small {
		if err != nil {
			t.Errorf("other user's query %d failed while the runaways ran: %v", i, err)
		}
	}
	// After both, the slots answer again.
	mustQuery(t, sb, RoleAnalyst, "SELECT 1")
}

func TestCancelStopsQuery(t *testing.T) {
	sb, _, _ := newTestSandbox(t, 1, nil)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, err := sb.Query(ctx, Request{SQL: "SELECT count(*) FROM range(1000000000000)", User: "u", Role: RoleAnalyst})
	if KindOf(err) != KindCancelled {
		t.Fatalf("%v, want cancelled", err)
	}
}

func TestFollowsNewPublishedVersion(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pmlens.duckdb")
	w, err := warehouse.Open(t.Context(), warehouse.Options{Path: path, LockTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	addProjects(t, w, 0, 2)
	sb, err := New(Options{WarehousePath: path, MaxConcurrent: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	first := mustQuery(t, sb, RoleAnalyst, "SELECT count(*) FROM projects")
	addProjects(t, w, 2, 5)
	second := mustQuery(t, sb, RoleAnalyst, "SELECT count(*) FROM projects")
	if first.Rows[0][0] != int64(2) || second.Rows[0][0] != int64(5) {
		t.Fatalf("counts %v then %v, want 2 then 5", first.Rows, second.Rows)
	}
	if first.Version == second.Version {
		t.Fatalf("version did not change: %s", first.Version)
	}
}

func TestNotPublished(t *testing.T) {
	sb, err := New(Options{WarehousePath: filepath.Join(t.TempDir(), "none.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if _, err := sb.Query(t.Context(), Request{SQL: "SELECT 1"}); !errors.Is(err, warehouse.ErrNotPublished) {
		t.Fatalf("%v, want ErrNotPublished", err)
	}
}

func TestTempDirSpillsInsideAndCleansUp(t *testing.T) {
	tmp := filepath.Join(t.TempDir(), "sandbox-tmp")
	sb, _, _ := newTestSandbox(t, 1, func(o *Options) { o.TempDir = tmp; o.MemoryLimit = "64MB"; o.MaxTempSize = "2GB" })
	// 3e6 rows × (8 + 8 bytes) sorted is about 50MB of keys plus payload, more
	// than fits beside DuckDB's own buffers in 64MB, so the sort spills.
	res := mustQuery(t, sb, RoleAnalyst, "SELECT count(*) FROM (SELECT range, random() r FROM range(3000000) ORDER BY r)")
	if res.Rows[0][0] != int64(3000000) {
		t.Fatalf("count %v", res.Rows)
	}
	if _, err := sb.Query(t.Context(), Request{SQL: "SELECT * FROM read_blob('" + tmp + "/*')", Role: RoleAnalyst}); KindOf(err) != KindRefused {
		t.Fatalf("reading the temp folder: %v", err)
	}
	sb.Close()
	if left := listFiles(t, tmp, nil); len(left) != 1 { // only "." itself
		t.Fatalf("temp folder not cleaned: %v", left)
	}
}
