package warehouse

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/pmlens/pmlens/configs"
)

// Run statuses recorded in sync_runs.status.
const (
	StatusRunning = "running"
	StatusSuccess = "success"
	StatusPartial = "partial"
	StatusFailed  = "failed"
)

// Run is one sync run of one source. Everything written through it sits in one
// DuckDB transaction that Finish commits or rolls back.
type Run struct {
	w          *Writer
	id         int64
	source     string
	sourceType string
	started    time.Time
	conn       *sql.Conn
	rows       atomic.Int64
	derived    atomic.Int64
	deriving   atomic.Bool

	mu       sync.Mutex
	problems []Problem
	projects map[string]string
}

// Problem is a non-fatal error of a run: one file or row that could not be loaded.
type Problem struct {
	Location string
	Err      error
}

// Result summarises a finished run.
type Result struct {
	RunID    int64
	Source   string
	Status   string
	Rows     int64
	Duration time.Duration
	Problems []Problem
	Err      error
	Version  string
}

// Begin starts a run of the named source: it records a "running" sync_runs row
// (committed at once, so a killed process leaves evidence) and opens the run's
// transaction. Only one run is active per Writer; Begin waits for the previous one.
func (w *Writer) Begin(ctx context.Context, source, sourceType string) (*Run, error) {
	w.mu.Lock()
	ok := false
	defer func() {
		if !ok {
			w.mu.Unlock()
		}
	}()
	if w.closed || w.db == nil {
		return nil, errors.New("warehouse writer is closed")
	}
	started := w.opts.Now()
	var id int64
	if err := w.db.QueryRowContext(ctx, `INSERT INTO sync_runs (run_id, source, source_type, started_at, status)
		VALUES (nextval('sync_run_ids'), ?, ?, ?, 'running') RETURNING run_id`, source, sourceType, started).Scan(&id); err != nil {
		return nil, fmt.Errorf("recording start of run for source %q: %w", source, err)
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		conn.Close()
		return nil, fmt.Errorf("starting run transaction: %w", err)
	}
	ok = true
	return &Run{w: w, id: id, source: source, sourceType: sourceType, started: started, conn: conn, projects: map[string]string{}}, nil
}

// ID is the run's sync_runs.run_id.
func (r *Run) ID() int64 { return r.id }

// Source is the name of the source being synced.
func (r *Run) Source() string { return r.source }

// Started is when the run began.
func (r *Run) Started() time.Time { return r.started }

// Exec runs a statement inside the run's transaction.
func (r *Run) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return r.conn.ExecContext(ctx, query, args...)
}

// Query runs a query inside the run's transaction (it sees the run's own writes).
func (r *Run) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.conn.QueryContext(ctx, query, args...)
}

// QueryRow runs a single-row query inside the run's transaction.
func (r *Run) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return r.conn.QueryRowContext(ctx, query, args...)
}

// AddRows counts rows written by Exec (Append counts its own).
func (r *Run) AddRows(n int64) { r.count(n) }

// Rows is the number of source rows loaded so far (derived rows excluded).
func (r *Run) Rows() int64 { return r.rows.Load() }

// BeginDerived marks the rest of the run as recomputing derived tables: rows
// written from now on are not source data, so they do not count in rows_loaded
// (an unchanged source must read as "0 rows loaded").
func (r *Run) BeginDerived() { r.deriving.Store(true) }

// DerivedRows is the number of rows written after BeginDerived.
func (r *Run) DerivedRows() int64 { return r.derived.Load() }

func (r *Run) count(n int64) {
	if r.deriving.Load() {
		r.derived.Add(n)
		return
	}
	r.rows.Add(n)
}

// Append loads rows into table through DuckDB's Appender, inside the run's
// transaction. fill calls add once per row with values in columns order.
func (r *Run) Append(ctx context.Context, table string, columns []string, fill func(add func(values ...any) error) error) (int64, error) {
	var n int64
	err := r.conn.Raw(func(dc any) error {
		conn, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("unexpected driver connection %T", dc)
		}
		a, err := duckdb.NewAppenderWithColumns(conn, "", "", table, columns)
		if err != nil {
			return fmt.Errorf("appender for %s: %w", table, err)
		}
		// One row buffer for the whole append: AppendRow copies the values into
		// its chunk, and loaders append millions of rows.
		dv := make([]driver.Value, 0, len(columns))
		add := func(values ...any) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			dv = dv[:0]
			for _, v := range values {
				dv = append(dv, v)
			}
			if err := a.AppendRow(dv...); err != nil {
				return fmt.Errorf("appending to %s: %w", table, err)
			}
			n++
			return nil
		}
		ferr := fill(add)
		cerr := a.Close()
		if ferr != nil {
			return ferr
		}
		if cerr != nil {
			return fmt.Errorf("flushing %s: %w", table, cerr)
		}
		return nil
	})
	r.count(n)
	return n, err
}

// Problem records a non-fatal problem; the run will end "partial".
func (r *Run) Problem(location string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.problems = append(r.problems, Problem{Location: location, Err: err})
	r.w.log.Warn("sync problem", "source", r.source, "run_id", r.id, "location", location, "err", err)
}

// State reads a per-source value written by an earlier successful run (or this one).
func (r *Run) State(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := r.conn.QueryRowContext(ctx, `SELECT value FROM source_state WHERE source = ? AND key = ?`, r.source, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading state %q of source %q: %w", key, r.source, err)
	}
	return v, true, nil
}

// SetState writes a per-source value; it is kept only if the run commits.
func (r *Run) SetState(ctx context.Context, key, value string) error {
	_, err := r.conn.ExecContext(ctx, `INSERT OR REPLACE INTO source_state (source, key, value, updated_at) VALUES (?, ?, ?, ?)`,
		r.source, key, value, r.w.opts.Now())
	if err != nil {
		return fmt.Errorf("writing state %q of source %q: %w", key, r.source, err)
	}
	return nil
}

// ProjectRef identifies a project as a source sees it.
type ProjectRef struct {
	// SourceKey is the source-level identity: a schedule's title or file stem, a
	// Jira project key, a register's Project column.
	SourceKey string
	// Name and Currency are used when the project is created automatically.
	Name     string
	Currency string
}

var slugInvalid = regexp.MustCompile(`[^a-z0-9]+`)

// Slug turns a source key into a project id: lower case, runs of other characters
// collapsed to "-".
func Slug(s string) string {
	s = strings.Trim(slugInvalid.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if s == "" {
		return "project"
	}
	return s
}

// Project returns the pmlens project id for a source key: the configured project
// that claims it, or an automatically created one whose id is the key's slug.
func (r *Run) Project(ctx context.Context, ref ProjectRef) (string, error) {
	r.mu.Lock()
	if id, ok := r.projects[ref.SourceKey]; ok {
		r.mu.Unlock()
		return id, nil
	}
	r.mu.Unlock()
	if ref.SourceKey == "" {
		return "", errors.New("project reference without a source key")
	}
	now := r.w.opts.Now()
	id := ""
	if p, ok := configs.MatchProject(r.w.opts.Projects, r.source, ref.SourceKey); ok {
		id = p.ID
	}
	if id == "" {
		var existing string
		err := r.conn.QueryRowContext(ctx, `SELECT project_id FROM project_sources WHERE source = ? AND source_key = ?`, r.source, ref.SourceKey).Scan(&existing)
		switch {
		case err == nil:
			id = existing
		case errors.Is(err, sql.ErrNoRows):
			id = Slug(ref.SourceKey)
		default:
			return "", fmt.Errorf("looking up project for %q: %w", ref.SourceKey, err)
		}
		name := ref.Name
		if name == "" {
			name = ref.SourceKey
		}
		cur := ref.Currency
		if cur == "" {
			cur = r.w.opts.Currency
		}
		if _, err := r.conn.ExecContext(ctx, `INSERT INTO projects (project_id, name, currency, configured, first_seen, updated_at)
			VALUES (?, ?, ?, false, ?, ?) ON CONFLICT (project_id) DO NOTHING`, id, name, cur, now, now); err != nil {
			return "", fmt.Errorf("creating project %q: %w", id, err)
		}
	}
	if _, err := r.conn.ExecContext(ctx, `INSERT INTO project_sources (source, source_key, project_id, first_seen)
		VALUES (?, ?, ?, ?) ON CONFLICT (source, source_key) DO UPDATE SET project_id = excluded.project_id`, r.source, ref.SourceKey, id, now); err != nil {
		return "", fmt.Errorf("linking %q to project %q: %w", ref.SourceKey, id, err)
	}
	r.mu.Lock()
	r.projects[ref.SourceKey] = id
	r.mu.Unlock()
	return id, nil
}

// HashPerson returns a keyed hash of a person's name or e-mail address, so analysts
// can count and group by person without the warehouse holding who it is. Case and
// surrounding space are ignored; an empty input stays empty.
func (r *Run) HashPerson(name string) string {
	return hashPerson(r.w.hashKey, name)
}

func hashPerson(key []byte, name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return ""
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(name))
	return "person:" + hex.EncodeToString(m.Sum(nil)[:12])
}

// Finish commits the run when runErr is nil (rolls it back otherwise), records the
// outcome in sync_runs and sync_problems, and publishes a new version so readers see
// the new data, or at least the failed run's record.
func (w *Writer) Finish(ctx context.Context, r *Run, runErr error) Result {
	defer w.mu.Unlock()
	res := Result{RunID: r.id, Source: r.source, Rows: r.rows.Load(), Problems: r.problems, Err: runErr}
	// Use a context that outlives a cancelled run so its outcome is still recorded.
	fctx := context.WithoutCancel(ctx)
	if runErr == nil {
		if _, err := r.conn.ExecContext(fctx, `COMMIT`); err != nil {
			runErr = fmt.Errorf("committing run: %w", err)
			_, _ = r.conn.ExecContext(fctx, `ROLLBACK`)
		}
	} else {
		_, _ = r.conn.ExecContext(fctx, `ROLLBACK`)
	}
	r.conn.Close()
	res.Err = runErr
	switch {
	case runErr != nil:
		res.Status = StatusFailed
		res.Rows = 0
	case len(r.problems) > 0:
		res.Status = StatusPartial
	default:
		res.Status = StatusSuccess
	}
	finished := w.opts.Now()
	res.Duration = finished.Sub(r.started)
	var errText any
	if runErr != nil {
		errText = runErr.Error()
	} else if len(r.problems) > 0 {
		errText = fmt.Sprintf("%d problem(s); first: %s: %v", len(r.problems), r.problems[0].Location, r.problems[0].Err)
	}
	if _, err := w.db.ExecContext(fctx, `UPDATE sync_runs SET status = ?, finished_at = ?, rows_loaded = ?, error = ? WHERE run_id = ?`,
		res.Status, finished, res.Rows, errText, r.id); err != nil {
		w.log.Error("recording run outcome", "run_id", r.id, "err", err)
	}
	for _, p := range r.problems {
		if _, err := w.db.ExecContext(fctx, `INSERT INTO sync_problems VALUES (?, ?, ?, ?)`, r.id, r.source, p.Location, p.Err.Error()); err != nil {
			w.log.Error("recording run problem", "run_id", r.id, "err", err)
		}
	}
	v, err := w.publishLocked(fctx)
	if err != nil {
		w.log.Error("publishing after run", "run_id", r.id, "err", err)
		if res.Err == nil {
			res.Err = fmt.Errorf("data committed but not published: %w", err)
			res.Status = StatusFailed
		}
	}
	res.Version = v
	return res
}
