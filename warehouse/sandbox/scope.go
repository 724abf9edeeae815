package sandbox

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/pmlens/pmlens/warehouse"
)

// Scope limits a query to the projects of some portfolios and programs, with
// the meaning of auth.Principal.Allows: a project is visible when its portfolio
// is one of Portfolios or its program one of Programs; a project with neither
// is not visible. A nil *Scope sees everything (admins, all-scope analysts, the
// CLI); an empty non-nil Scope sees nothing.
//
// A scoped query does not run on the published version itself but on a copy
// that holds only the granted rows (see scopedFile), built once per published
// version and scope: `SELECT * FROM issues` then returns only granted issues,
// views compute over granted rows only, and table statistics describe only
// them. Nothing the query can name reaches the other rows.
type Scope struct {
	Portfolios []string
	Programs   []string
}

// normalised returns the scope with sorted, distinct, non-empty names.
func (sc *Scope) normalised() Scope {
	clean := func(in []string) []string {
		var out []string
		for _, s := range in {
			if s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		slices.Sort(out)
		return out
	}
	return Scope{Portfolios: clean(sc.Portfolios), Programs: clean(sc.Programs)}
}

// String describes the scope for the audit log: "all", or the granted
// portfolios and programs.
func (sc *Scope) String() string {
	if sc == nil {
		return "all"
	}
	n := sc.normalised()
	var parts []string
	if len(n.Portfolios) > 0 {
		parts = append(parts, "portfolios "+strings.Join(n.Portfolios, ", "))
	}
	if len(n.Programs) > 0 {
		parts = append(parts, "programs "+strings.Join(n.Programs, ", "))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

// key fingerprints the scope for file names: equal scopes share a copy.
func (sc *Scope) key() string {
	n := sc.normalised()
	h := sha256.New()
	for _, list := range [][]string{n.Portfolios, n.Programs} {
		fmt.Fprintf(h, "%d;", len(list))
		for _, s := range list {
			fmt.Fprintf(h, "%d:%s;", len(s), s)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:20]
}

// cond is the SQL condition (with ? placeholders) of the scope over a
// portfolio and a program column, equivalent to auth.Principal.ScopeSQL.
func (sc *Scope) cond(portfolioCol, programCol string) (string, []any) {
	n := sc.normalised()
	return warehouse.ScopeCondition(portfolioCol, programCol, n.Portfolios, n.Programs)
}

// referenceTables hold settings and source metadata, not project data: a
// scoped copy keeps them whole (the views need them).
var referenceTables = map[string]bool{
	"schema_migrations": true, "warehouse_meta": true,
	"risk_settings": true, "risk_matrix_levels": true, "risk_matrix_bands": true, "risk_currency_rates": true,
	"flow_settings": true, "jira_fields": true, "jira_statuses": true,
}

// scopeLinks say how rows without a project_id belong to projects: through a
// key column shared with a table that has one (and the source, when both have
// it, since Jira ids are unique per site only).
var scopeLinks = []struct{ col, table string }{
	{"issue_id", "issues"},
	{"sprint_id", "sprint_issues"},
	{"board_id", "boards"},
	{"snapshot_id", "schedule_snapshots"},
}

// tablePlan is how one table is copied into a scoped database.
type tablePlan struct {
	name  string
	where string // over alias x; "TRUE" copies it whole
	args  []any
	why   string // for the log and tests
}

// planScoped decides, for the tables of a published version (name → columns),
// which rows of each a scope may see. Tables it cannot tie to projects and
// does not know to be reference data are hidden: an unknown table is never
// copied whole. The plans are in creation order (projects first, then the
// tables the link filters read).
func planScoped(tables map[string][]string, sc *Scope) (plans []tablePlan, hidden []string) {
	has := func(t, col string) bool { return slices.Contains(tables[t], col) }
	names := make([]string, 0, len(tables))
	for n := range tables {
		names = append(names, n)
	}
	slices.Sort(names)
	copied := map[string]bool{}
	add := func(p tablePlan) {
		plans = append(plans, p)
		copied[p.name] = true
	}
	if !has("projects", "project_id") || !has("projects", "portfolio") || !has("projects", "program") {
		// Without the projects table nothing can be tied to a scope.
		return nil, names
	}
	cond, args := sc.cond("x.portfolio", "x.program")
	add(tablePlan{name: "projects", where: cond, args: args, why: "granted portfolios and programs"})
	for _, n := range names {
		if n != "projects" && has(n, "project_id") {
			add(tablePlan{name: n, where: `x.project_id IN (SELECT project_id FROM "projects")`, why: "granted projects"})
		}
	}
	// Whole roll-ups: a row keyed by a portfolio or program is visible only when
	// every project in it is, so a partial grant never shows other projects' sums.
	wholeCond, wholeArgs := sc.cond("p.portfolio", "p.program")
	whole := func(col string) (string, []any) {
		return fmt.Sprintf(`x.%[1]s IN (SELECT p.%[1]s FROM src.main.projects p WHERE p.%[1]s IS NOT NULL GROUP BY p.%[1]s HAVING bool_and(coalesce(%[2]s, false)))`, col, wholeCond),
			append([]any(nil), wholeArgs...)
	}
	for _, n := range names {
		if copied[n] {
			continue
		}
		switch {
		case referenceTables[n]:
			add(tablePlan{name: n, where: "TRUE", why: "reference data"})
			continue
		case has(n, "portfolio") || has(n, "program"):
			var conds []string
			var a []any
			for _, col := range []string{"portfolio", "program"} {
				if has(n, col) {
					c, ca := whole(col)
					conds = append(conds, c)
					a = append(a, ca...)
				}
			}
			add(tablePlan{name: n, where: strings.Join(conds, " AND "), args: a, why: "roll-ups of wholly granted portfolios and programs"})
			continue
		}
		linked := false
		for _, l := range scopeLinks {
			if !has(n, l.col) || !copied[l.table] || !has(l.table, l.col) {
				continue
			}
			on := fmt.Sprintf("l.%[1]s = x.%[1]s", l.col)
			if has(n, "source") && has(l.table, "source") {
				on += " AND l.source = x.source"
			}
			add(tablePlan{name: n, where: fmt.Sprintf(`EXISTS (SELECT 1 FROM %s l WHERE %s)`, quoteIdent(l.table), on), why: "linked by " + l.col + " to " + l.table})
			linked = true
			break
		}
		if !linked {
			hidden = append(hidden, n)
		}
	}
	return plans, hidden
}

// scopeBuild is one scoped copy being built; others wanting it wait on done.
type scopeBuild struct {
	done chan struct{}
	err  error
}

// scopeState is the Sandbox's bookkeeping of scoped copies.
type scopeState struct {
	mu     sync.Mutex
	builds map[string]*scopeBuild
}

// scopedFile returns the scoped copy of the published version file for sc,
// building it when it does not exist yet. Copies live in Options.ScopeDir,
// named after the version, so a new publication gets new copies and the old
// ones are deleted when the first copy of the new version is built.
func (s *Sandbox) scopedFile(ctx context.Context, published string, sc *Scope) (string, error) {
	version := strings.TrimSuffix(filepath.Base(published), ".duckdb")
	path := filepath.Join(s.opts.ScopeDir, version+"-scope-"+sc.key()+".duckdb")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	s.scopes.mu.Lock()
	if b, ok := s.scopes.builds[path]; ok {
		s.scopes.mu.Unlock()
		select {
		case <-b.done:
			return path, b.err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	b := &scopeBuild{done: make(chan struct{})}
	s.scopes.builds[path] = b
	s.scopes.mu.Unlock()

	// The copy serves everyone with this scope, so a caller that gives up does
	// not waste it; the build has its own bound.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	start := time.Now()
	b.err = s.buildScoped(bctx, published, path, sc)
	cancel()
	if b.err == nil {
		s.log.Info("built the scoped copy of the warehouse", "version", version, "scope", sc.String(), "duration", time.Since(start))
		s.removeStaleScoped(version)
	}
	s.scopes.mu.Lock()
	delete(s.scopes.builds, path)
	s.scopes.mu.Unlock()
	close(b.done)
	if b.err != nil {
		return "", b.err
	}
	return path, nil
}

// removeStaleScoped deletes copies and leftovers of other versions. A slot
// still attached to one keeps reading it: the file goes when it is closed.
func (s *Sandbox) removeStaleScoped(version string) {
	entries, err := os.ReadDir(s.opts.ScopeDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), version+"-scope-") {
			_ = os.RemoveAll(filepath.Join(s.opts.ScopeDir, e.Name()))
		}
	}
}

// buildScoped writes the scoped copy of src to dst: each table's granted rows
// (planScoped), the views recreated from their definitions over those rows,
// and the descriptions. It writes a temporary file and renames it, so a
// half-built copy is never attached. No user SQL reaches this instance.
func (s *Sandbox) buildScoped(ctx context.Context, src, dst string, sc *Scope) (err error) {
	if err := os.MkdirAll(s.opts.ScopeDir, 0o700); err != nil {
		return fmt.Errorf("creating the scoped-copy folder %s: %w", s.opts.ScopeDir, err)
	}
	tmp := dst + ".tmp-" + newID()[:8]
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
			_ = os.Remove(tmp + ".wal")
			_ = os.RemoveAll(tmp + ".tmp")
		}
	}()
	q := url.Values{}
	q.Set("autoload_known_extensions", "false")
	q.Set("autoinstall_known_extensions", "false")
	q.Set("allow_community_extensions", "false")
	q.Set("memory_limit", s.opts.MemoryLimit)
	q.Set("threads", strconv.Itoa(s.opts.Threads))
	c, err := duckdb.NewConnector(tmp+"?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("creating scoped copy %s: %w", tmp, err)
	}
	db := sql.OpenDB(c)
	closeAll := func() error { return errors.Join(db.Close(), c.Close()) }
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = closeAll()
		return err
	}
	err = s.fillScoped(ctx, conn, src, sc)
	err = errors.Join(err, conn.Close(), closeAll())
	if err != nil {
		if _, serr := os.Stat(src); errors.Is(serr, os.ErrNotExist) {
			return fmt.Errorf("%w: building the scoped copy of %s: %w", os.ErrNotExist, filepath.Base(src), err)
		}
		return fmt.Errorf("building the scoped copy of %s for %s: %w", filepath.Base(src), sc.String(), err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

func (s *Sandbox) fillScoped(ctx context.Context, conn *sql.Conn, src string, sc *Scope) error {
	if _, err := conn.ExecContext(ctx, "ATTACH "+sqlString(src)+" AS src (READ_ONLY)"); err != nil {
		return err
	}
	tables := map[string][]string{}
	tableComments := map[string]string{}
	rows, err := conn.QueryContext(ctx, `SELECT table_name, coalesce(comment, '') FROM duckdb_tables()
		WHERE database_name = 'src' AND schema_name = 'main' AND NOT internal AND NOT temporary`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var n, cm string
		if err := rows.Scan(&n, &cm); err != nil {
			rows.Close()
			return err
		}
		tables[n], tableComments[n] = nil, cm
	}
	rows.Close()
	type colComment struct{ table, col, comment string }
	var colComments []colComment
	rows, err = conn.QueryContext(ctx, `SELECT table_name, column_name, coalesce(comment, '') FROM duckdb_columns()
		WHERE database_name = 'src' AND schema_name = 'main' AND NOT internal ORDER BY table_name, column_index`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var t, col, cm string
		if err := rows.Scan(&t, &col, &cm); err != nil {
			rows.Close()
			return err
		}
		if _, ok := tables[t]; ok {
			tables[t] = append(tables[t], col)
			if cm != "" {
				colComments = append(colComments, colComment{t, col, cm})
			}
		}
	}
	rows.Close()
	type view struct{ name, sql, comment string }
	var views []view
	rows, err = conn.QueryContext(ctx, `SELECT view_name, sql, coalesce(comment, '') FROM duckdb_views()
		WHERE database_name = 'src' AND schema_name = 'main' AND NOT internal AND NOT temporary ORDER BY view_name`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var v view
		if err := rows.Scan(&v.name, &v.sql, &v.comment); err != nil {
			rows.Close()
			return err
		}
		views = append(views, v)
	}
	rows.Close()

	plans, hidden := planScoped(tables, sc)
	if len(plans) == 0 {
		return errors.New("the published version has no projects table with portfolio and program")
	}
	created := map[string]bool{}
	for _, p := range plans {
		stmt := fmt.Sprintf("CREATE TABLE %s AS SELECT x.* FROM src.main.%s x WHERE %s", quoteIdent(p.name), quoteIdent(p.name), p.where)
		if _, err := conn.ExecContext(ctx, stmt, p.args...); err != nil {
			return fmt.Errorf("copying %s (%s): %w", p.name, p.why, err)
		}
		created[p.name] = true
		if cm := tableComments[p.name]; cm != "" {
			if _, err := conn.ExecContext(ctx, "COMMENT ON TABLE "+quoteIdent(p.name)+" IS "+sqlString(cm)); err != nil {
				return err
			}
		}
	}
	for _, cc := range colComments {
		if created[cc.table] {
			if _, err := conn.ExecContext(ctx, "COMMENT ON COLUMN "+quoteIdent(cc.table)+"."+quoteIdent(cc.col)+" IS "+sqlString(cc.comment)); err != nil {
				return err
			}
		}
	}
	// Views bind to the copied tables by name; one that needs a hidden table
	// fails to bind and is left out too. They are retried until none can be
	// added, because a view may read another.
	pending := views
	for len(pending) > 0 {
		var next []view
		for _, v := range pending {
			if _, err := conn.ExecContext(ctx, v.sql); err != nil {
				next = append(next, v)
				continue
			}
			if v.comment != "" {
				if _, err := conn.ExecContext(ctx, "COMMENT ON VIEW "+quoteIdent(v.name)+" IS "+sqlString(v.comment)); err != nil {
					return err
				}
			}
		}
		if len(next) == len(pending) {
			for _, v := range next {
				hidden = append(hidden, v.name)
			}
			break
		}
		pending = next
	}
	if len(hidden) > 0 {
		s.log.Debug("left out of the scoped copy", "scope", sc.String(), "relations", strings.Join(hidden, ", "))
	}
	if _, err := conn.ExecContext(ctx, "DETACH src"); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "CHECKPOINT")
	return err
}
