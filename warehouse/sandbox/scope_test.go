package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pmlens/pmlens/warehouse"
)

// scopeFixture publishes a warehouse with two portfolios:
//
//	project  portfolio     program   Jira issue  sprint
//	a1       Hospital IT   Clinical  1 (JIRA-1)  10
//	a2       Hospital IT   Digital   -           -
//	b1       Corporate IT  Finance   2 (FIN-2)   20
//	n1       (none)        (none)    -           -
//
// plus a roll-up table keyed by portfolio and a view over sync_runs (operational
// data a scoped analyst must not see).
func scopeFixture(t *testing.T) (string, *warehouse.Writer) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pmlens.duckdb")
	w, err := warehouse.Open(ctx, warehouse.Options{Path: path, LockTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	run, err := w.Begin(ctx, "fixture", "test")
	if err != nil {
		t.Fatal(err)
	}
	var runErr error
	for _, stmt := range []string{
		`INSERT INTO projects (project_id, name, program, portfolio, budget, currency, configured, first_seen, updated_at) VALUES
			('a1', 'EHR', 'Clinical', 'Hospital IT', 100, 'USD', true, now(), now()),
			('a2', 'Portal', 'Digital', 'Hospital IT', 200, 'USD', true, now(), now()),
			('b1', 'Ledger', 'Finance', 'Corporate IT', 400, 'USD', true, now(), now()),
			('n1', 'Loose', NULL, NULL, 800, 'USD', true, now(), now())`,
		`INSERT INTO issues (source, project_id, issue_id, issue_key, project_key, changelog_complete, in_scope, loaded_at, run_id) VALUES
			('jira', 'a1', 1, 'JIRA-1', 'JIRA', true, true, now(), 1), ('jira', 'b1', 2, 'FIN-2', 'FIN', true, true, now(), 1)`,
		`INSERT INTO jira_scope_ids VALUES ('jira', 1), ('jira', 2)`,
		`INSERT INTO sprint_issues (source, project_id, issue_id, issue_key, sprint_id) VALUES ('jira', 'a1', 1, 'JIRA-1', 10), ('jira', 'b1', 2, 'FIN-2', 20)`,
		`INSERT INTO sprints (source, sprint_id, name, state) VALUES ('jira', 10, 'Clinical sprint', 'closed'), ('jira', 20, 'Finance sprint', 'closed')`,
		`CREATE TABLE test_portfolio_rollup AS SELECT portfolio, sum(budget) AS budget FROM projects WHERE portfolio IS NOT NULL GROUP BY portfolio`,
		`CREATE VIEW test_sync_view AS SELECT source, status FROM sync_runs`,
		`CREATE VIEW test_issue_count AS SELECT count(*) AS n FROM issues`,
		`COMMENT ON TABLE test_portfolio_rollup IS 'budget per portfolio'`,
	} {
		if _, runErr = run.Exec(ctx, stmt); runErr != nil {
			runErr = fmt.Errorf("%w\n%s", runErr, stmt)
			break
		}
	}
	if res := w.Finish(ctx, run, runErr); res.Err != nil {
		t.Fatal(res.Err)
	}
	return path, w
}

func scopedSandbox(t *testing.T, path string) (*Sandbox, *AuditLog) {
	t.Helper()
	al, err := OpenAuditLog(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := New(Options{WarehousePath: path, MemoryLimit: "256MB", MaxConcurrent: 2, Timeout: 30 * time.Second, Audit: al})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb, al
}

func column(t *testing.T, res *Result) []string {
	t.Helper()
	var out []string
	for _, r := range res.Rows {
		out = append(out, fmt.Sprint(r[0]))
	}
	slices.Sort(out)
	return out
}

func TestScopedSandboxSeesOnlyGrantedRows(t *testing.T) {
	path, _ := scopeFixture(t)
	sb, al := scopedSandbox(t, path)
	hospital := &Scope{Portfolios: []string{"Hospital IT"}}
	clinical := &Scope{Programs: []string{"Clinical"}}
	q := func(sc *Scope, role, sql string) ([]string, error) {
		res, err := sb.Query(t.Context(), Request{SQL: sql, User: "scoped", Role: role, Client: "test", Scope: sc, ClientIP: "192.0.2.7"})
		if err != nil {
			return nil, err
		}
		return column(t, res), nil
	}
	tests := []struct {
		name  string
		scope *Scope
		role  string
		sql   string
		want  []string // nil with wantErr
		err   string
	}{
		{"projects of a portfolio", hospital, RoleAnalyst, "SELECT project_id FROM projects", []string{"a1", "a2"}, ""},
		{"projects of a program", clinical, RoleAnalyst, "SELECT project_id FROM projects", []string{"a1"}, ""},
		{"nothing granted", &Scope{}, RoleAnalyst, "SELECT count(*) FROM projects", []string{"0"}, ""},
		{"all-scope analyst", nil, RoleAnalyst, "SELECT project_id FROM projects", []string{"a1", "a2", "b1", "n1"}, ""},
		{"admins ignore a scope", hospital, RoleAdmin, "SELECT project_id FROM projects", []string{"a1", "a2", "b1", "n1"}, ""},
		{"issues by project", hospital, RoleAnalyst, "SELECT issue_key FROM issues", []string{"JIRA-1"}, ""},
		{"issue ids linked through issues", hospital, RoleAnalyst, "SELECT issue_id FROM jira_scope_ids", []string{"1"}, ""},
		{"sprints linked through sprint_issues", hospital, RoleAnalyst, "SELECT name FROM sprints", []string{"Clinical sprint"}, ""},
		// The whole Hospital IT portfolio is granted: its roll-up row (100 + 200) is visible.
		{"roll-up of a wholly granted portfolio", hospital, RoleAnalyst, "SELECT portfolio || '=' || CAST(budget AS BIGINT) FROM test_portfolio_rollup", []string{"Hospital IT=300"}, ""},
		// Only Clinical is granted: the Hospital IT total would include Digital's budget.
		{"roll-up of a partly granted portfolio", clinical, RoleAnalyst, "SELECT count(*) FROM test_portfolio_rollup", []string{"0"}, ""},
		{"views recompute over granted rows", hospital, RoleAnalyst, "SELECT n FROM test_issue_count", []string{"1"}, ""},
		{"migration views exist", hospital, RoleAnalyst, "SELECT count(*) FROM tasks", []string{"0"}, ""},
		{"operational tables hidden", hospital, RoleAnalyst, "SELECT * FROM sync_runs", nil, "sync_runs"},
		{"views over hidden tables hidden", hospital, RoleAnalyst, "SELECT * FROM test_sync_view", nil, "test_sync_view"},
		{"no way back to the published file", hospital, RoleAnalyst, "SELECT count(*) FROM duckdb_tables() WHERE database_name <> 'pmlens'", []string{"0"}, ""},
		{"catalog statistics describe granted rows", hospital, RoleAnalyst, "SELECT estimated_size FROM duckdb_tables() WHERE table_name = 'issues'", []string{"1"}, ""},
		{"descriptions copied", hospital, RoleAnalyst, "SELECT comment FROM duckdb_tables() WHERE table_name = 'test_portfolio_rollup'", []string{"budget per portfolio"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := q(tc.scope, tc.role, tc.sql)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("%s: got %v, %v; want an error naming %s", tc.sql, got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.sql, err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.sql, got, tc.want)
			}
		})
	}

	// The answer names the published version, and the audit log says what the
	// query could see and where it came from.
	res, err := sb.Query(t.Context(), Request{SQL: "SELECT 1", User: "scoped-audit", Role: RoleAnalyst, Scope: hospital, ClientIP: "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	target, _ := os.Readlink(path)
	if res.Version != filepath.Base(target) {
		t.Errorf("version %q, want %q", res.Version, filepath.Base(target))
	}
	evs, err := al.Events(t.Context(), EventFilter{User: "scoped-audit", Kind: QueryEventKind})
	if err != nil || len(evs) != 1 || !strings.Contains(evs[0].Detail, "scope portfolios Hospital IT") || evs[0].ClientIP != "192.0.2.7" {
		t.Fatalf("audit of a scoped query: %+v %v", evs, err)
	}

	// The schema browser lists what the scoped copy holds.
	tables, _, err := sb.Schema(t.Context(), RoleAnalyst, hospital)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range tables {
		names = append(names, tb.Name)
	}
	if !slices.Contains(names, "issues") || slices.Contains(names, "sync_runs") || slices.Contains(names, "test_sync_view") {
		t.Errorf("scoped schema %v", names)
	}
}

func TestScopedCopiesFollowPublication(t *testing.T) {
	path, w := scopeFixture(t)
	sb, _ := scopedSandbox(t, path)
	hospital := &Scope{Portfolios: []string{"Hospital IT"}}
	mustScoped := func() []string {
		res, err := sb.Query(t.Context(), Request{SQL: "SELECT project_id FROM projects", Role: RoleAnalyst, Scope: hospital})
		if err != nil {
			t.Fatal(err)
		}
		return column(t, res)
	}
	if got := mustScoped(); !slices.Equal(got, []string{"a1", "a2"}) {
		t.Fatalf("before: %v", got)
	}
	dir := sb.Options().ScopeDir
	before, _ := os.ReadDir(dir)
	if len(before) != 1 {
		t.Fatalf("scoped copies %v, want one", before)
	}
	if st, err := os.Stat(filepath.Join(dir, before[0].Name())); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("scoped copy mode %v %v, want 0600", st.Mode(), err)
	}
	// A new project in the granted portfolio is published: the next query reads a
	// new copy and the old one is gone.
	ctx := context.Background()
	run, err := w.Begin(ctx, "fixture", "test")
	if err != nil {
		t.Fatal(err)
	}
	_, err = run.Exec(ctx, `INSERT INTO projects (project_id, name, program, portfolio, budget, currency, configured, first_seen, updated_at)
		VALUES ('a3', 'Lab', 'Clinical', 'Hospital IT', 50, 'USD', true, now(), now())`)
	if res := w.Finish(ctx, run, err); res.Err != nil {
		t.Fatal(res.Err)
	}
	if got := mustScoped(); !slices.Equal(got, []string{"a1", "a2", "a3"}) {
		t.Fatalf("after publishing: %v", got)
	}
	after, _ := os.ReadDir(dir)
	if len(after) != 1 || after[0].Name() == before[0].Name() {
		t.Errorf("scoped copies before %v, after %v", before, after)
	}
}

func TestPlanScoped(t *testing.T) {
	tables := map[string][]string{
		"projects":         {"project_id", "name", "program", "portfolio"},
		"issues":           {"source", "project_id", "issue_id"},
		"cycle_like":       {"issue_id", "cycle_days"},
		"scope_ids":        {"source", "issue_id"},
		"sprint_issues":    {"source", "project_id", "issue_id", "sprint_id"},
		"sprints":          {"source", "sprint_id", "board_id", "name"},
		"program_rollup":   {"program", "as_of", "bac"},
		"sync_runs":        {"run_id", "source", "error"},
		"warehouse_meta":   {"key", "value"},
		"mystery_settings": {"key", "value"},
	}
	plans, hidden := planScoped(tables, &Scope{Portfolios: []string{"P"}})
	why := map[string]string{}
	order := map[string]int{}
	for i, p := range plans {
		why[p.name], order[p.name] = p.why, i
	}
	want := map[string]string{
		"projects":       "granted portfolios and programs",
		"issues":         "granted projects",
		"sprint_issues":  "granted projects",
		"cycle_like":     "linked by issue_id to issues",
		"scope_ids":      "linked by issue_id to issues",
		"sprints":        "linked by sprint_id to sprint_issues",
		"program_rollup": "roll-ups of wholly granted portfolios and programs",
		"warehouse_meta": "reference data",
	}
	for n, w := range want {
		if why[n] != w {
			t.Errorf("%s: planned as %q, want %q", n, why[n], w)
		}
	}
	if order["projects"] != 0 || order["sprints"] < order["sprint_issues"] || order["cycle_like"] < order["issues"] {
		t.Errorf("creation order %v", order)
	}
	slices.Sort(hidden)
	if !slices.Equal(hidden, []string{"mystery_settings", "sync_runs"}) {
		t.Errorf("hidden %v", hidden)
	}
	// The scope's condition mirrors auth.Principal.ScopeSQL.
	cond, args := (&Scope{Portfolios: []string{"P", "P", ""}, Programs: []string{"Q"}}).cond("a", "b")
	if cond != "(a IN (?) OR b IN (?))" || !slices.Equal(args, []any{"P", "Q"}) {
		t.Errorf("cond %s %v", cond, args)
	}
	if cond, _ := (&Scope{}).cond("a", "b"); cond != "FALSE" {
		t.Errorf("empty scope cond %s", cond)
	}
	if (&Scope{Portfolios: []string{"B", "A"}}).key() != (&Scope{Portfolios: []string{"A", "B", "A"}}).key() ||
		(&Scope{Portfolios: []string{"A"}}).key() == (&Scope{Programs: []string{"A"}}).key() {
		t.Error("scope fingerprints")
	}
}

// TestScopedSandboxHasNoWayOut: a scoped analyst reads every relation its
// sandbox can name (tables, views, information_schema, catalog functions) and
// finds nothing of the projects outside the grant; reaching the published
// file itself, by name or path, is refused.
func TestScopedSandboxHasNoWayOut(t *testing.T) {
	path, _ := scopeFixture(t)
	sb, _ := scopedSandbox(t, path)
	hospital := &Scope{Portfolios: []string{"Hospital IT"}}
	// Texts only the rows outside Hospital IT hold (scopeFixture's b1 and n1).
	outside := []string{"b1", "n1", "Ledger", "Loose", "Corporate IT", "Finance", "FIN-2", "Finance sprint"}
	run := func(sql string) (*Result, error) {
		return sb.Query(t.Context(), Request{SQL: sql, User: "scoped", Role: RoleAnalyst, Client: "test", Scope: hospital})
	}
	res, err := run(`SELECT table_name FROM information_schema.tables ORDER BY 1`)
	if err != nil || len(res.Rows) == 0 {
		t.Fatalf("listing relations: %v", err)
	}
	relations := []string{"information_schema.tables", "information_schema.columns", "information_schema.schemata",
		"information_schema.table_constraints", "duckdb_tables()", "duckdb_views()", "duckdb_columns()", "duckdb_constraints()",
		"duckdb_indexes()", "duckdb_schemas()", "duckdb_types()", "duckdb_dependencies()"}
	for _, r := range res.Rows {
		relations = append(relations, quoteIdent(fmt.Sprint(r[0])))
	}
	for _, rel := range relations {
		res, err := run("SELECT * FROM " + rel)
		if err != nil {
			var qe *QueryError
			if errors.As(err, &qe) && qe.Kind == KindRefused {
				continue // refused outright: nothing leaves either
			}
			t.Errorf("SELECT * FROM %s: %v", rel, err)
			continue
		}
		for _, row := range res.Rows {
			for _, v := range row {
				s := fmt.Sprint(v)
				for _, o := range outside {
					if s == o || (len(o) > 2 && strings.Contains(s, o)) {
						t.Errorf("SELECT * FROM %s shows %q (%q) from outside the grant", rel, o, s)
					}
				}
			}
		}
	}
	published, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		"ATTACH '" + published + "' AS w (READ_ONLY)",
		"ATTACH '" + path + "' AS w",
		"SELECT * FROM '" + published + "'",
		"SELECT * FROM read_parquet('" + published + "')",
		"SELECT * FROM read_csv('" + filepath.Dir(published) + "/*')",
		"SELECT * FROM read_blob('" + published + "')",
		"SELECT * FROM glob('" + filepath.Dir(published) + "/*')",
		"SELECT * FROM query_table('src.main.projects')",
		"SELECT * FROM src.main.projects",
		"USE src",
		"SELECT * FROM duckdb_databases()",
		"SELECT * FROM duckdb_settings()",
		"SET enable_external_access = true",
	} {
		res, err := run(sql)
		if err == nil {
			t.Errorf("%s ran for a scoped analyst (%d rows)", sql, len(res.Rows))
		}
	}
	// And the sandbox still answers with the granted rows.
	if res, err := run("SELECT count(*) FROM projects"); err != nil || fmt.Sprint(res.Rows[0][0]) != "2" {
		t.Fatalf("after the attempts: %v %v", res, err)
	}
}
