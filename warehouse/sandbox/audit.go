package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/pmlens/pmlens/warehouse"
)

// AuditEntry is one query as the audit log keeps it.
type AuditEntry struct {
	ID        string        `json:"id"`
	Time      time.Time     `json:"at"`
	User      string        `json:"user"`
	Role      string        `json:"role"`
	Client    string        `json:"client"`
	SQL       string        `json:"sql"`
	Duration  time.Duration `json:"duration_ns"`
	Rows      int64         `json:"rows"`
	Truncated bool          `json:"truncated"`
	Outcome   string        `json:"outcome"`
	Error     string        `json:"error,omitempty"`
	Version   string        `json:"warehouse_version,omitempty"`
	PID       int           `json:"pid"`
	// ClientIP is the address a web or API query came from ("" for the CLI).
	ClientIP string `json:"client_ip,omitempty"`
	// Scope is what the query's sandbox could see: "all", or the granted
	// portfolios and programs (ScopeOf's text).
	Scope string `json:"scope,omitempty"`
}

// AuditSink receives every query the sandbox answers or refuses.
type AuditSink interface {
	Record(ctx context.Context, e AuditEntry) error
}

// AuditReader is an AuditSink whose records admins can query. AcquireReadOnly
// returns a DuckDB file holding audit_log that stays unchanged until release.
type AuditReader interface {
	AcquireReadOnly(ctx context.Context) (path string, release func(), err error)
}

// AuditLog keeps the audit trail, saved queries and history beside the
// warehouse's working database, in <warehouse.path>.d/audit.duckdb.
//
// Two processes may run queries at once (`pmlens serve` and `pmlens query`),
// and DuckDB lets only one process open a database file for writing. So a query
// never writes the database directly: Record appends one JSON line to
// audit.spool.jsonl under an exclusive flock and fsyncs it, which works from
// any number of processes and never waits on DuckDB. Fold moves spooled lines
// into audit.duckdb: it opens the database briefly (retrying while another
// process has it), inserts the lines in one transaction keyed by each record's
// random id (so a fold interrupted after its commit and repeated stores nothing
// twice), then empties the spool. The server folds every few seconds (Run);
// the CLI folds once when it is done; readers fold before reading.
//
// Within one process, mu orders database access: writers (fold, saved
// queries) hold it exclusively, admin sandbox instances that attach the file
// read-only hold it shared for their query's duration.
type AuditLog struct {
	dbPath    string
	spoolPath string
	log       *slog.Logger
	now       func() time.Time

	mu sync.RWMutex

	pruneMu   sync.Mutex
	retention time.Duration
	lastPrune time.Time

	// Group commit of the spool: records that arrive while one fsync runs wait
	// for the next, which writes them all. Every caller still returns only once
	// its record is on disk, but a busy server pays one fsync per batch rather
	// than one per viewed page.
	spoolMu       sync.Mutex
	spoolCond     *sync.Cond
	spoolOpen     *spoolBatch // records waiting for the next write
	spoolFlushing bool
}

// spoolBatch is records written to the spool together.
type spoolBatch struct {
	data []byte
	done bool
	err  error
}

//go:embed auditdb/*.sql
var auditMigrations embed.FS

// AuditPaths returns the audit database and spool file of a warehouse.
func AuditPaths(warehousePath string) (db, spool string) {
	dir := warehouse.PathsFor(warehousePath).Dir
	return filepath.Join(dir, "audit.duckdb"), filepath.Join(dir, "audit.spool.jsonl")
}

// OpenAuditLog prepares the audit log of the warehouse at warehousePath
// (warehouse.path), creating and migrating audit.duckdb when needed.
func OpenAuditLog(ctx context.Context, warehousePath string, logger *slog.Logger) (*AuditLog, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dbPath, spool := AuditPaths(warehousePath)
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o750); err != nil {
		return nil, fmt.Errorf("creating audit folder: %w", err)
	}
	a := &AuditLog{dbPath: dbPath, spoolPath: spool, log: logger.With("component", "audit"), now: time.Now}
	a.spoolCond = sync.NewCond(&a.spoolMu)
	if err := a.withDB(ctx, migrateAudit); err != nil {
		return nil, err
	}
	return a, nil
}

// Path is the audit database file.
func (a *AuditLog) Path() string { return a.dbPath }

func migrateAudit(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)`); err != nil {
		return fmt.Errorf("audit database: %w", err)
	}
	applied := map[int]bool{}
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("audit database: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		applied[v] = true
	}
	rows.Close()
	entries, err := fs.ReadDir(auditMigrations, "auditdb")
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		num, name, _ := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if err != nil || applied[v] {
			continue
		}
		body, err := auditMigrations.ReadFile("auditdb/" + e.Name())
		if err != nil {
			return err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("audit migration %s: %w", e.Name(), err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, v, name); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("audit migration %s: %w", e.Name(), err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("audit migration %s: %w", e.Name(), err)
		}
	}
	return nil
}

// isLockConflict reports DuckDB's answer when another process has the file open.
func isLockConflict(err error) bool {
	if err == nil {
		return false
	}
	m := err.Error()
	return strings.Contains(m, "Could not set lock") || strings.Contains(m, "Conflicting lock")
}

// withDB opens audit.duckdb for writing, retrying while another process holds
// it (for up to 10 seconds or until ctx ends), runs fn and closes it again.
func (a *AuditLog) withDB(ctx context.Context, fn func(context.Context, *sql.DB) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	wait := 10 * time.Millisecond
	for {
		err := a.tryDB(ctx, fn)
		if !isLockConflict(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (while waiting for another pmlens process to release %s)", ctx.Err(), a.dbPath)
		case <-time.After(wait):
		}
		if wait < 200*time.Millisecond {
			wait *= 2
		}
	}
}

func (a *AuditLog) tryDB(ctx context.Context, fn func(context.Context, *sql.DB) error) error {
	c, err := duckdb.NewConnector(a.dbPath+"?threads=1&memory_limit=128MB&autoload_known_extensions=false&autoinstall_known_extensions=false", nil)
	if err != nil {
		return fmt.Errorf("opening audit database %s: %w", a.dbPath, err)
	}
	db := sql.OpenDB(c)
	ferr := fn(ctx, db)
	cerr := db.Close()
	if err := c.Close(); cerr == nil {
		cerr = err
	}
	if ferr != nil {
		return ferr
	}
	return cerr
}

// Record appends e to the spool. It fills ID, PID and Time when unset.
func (a *AuditLog) Record(ctx context.Context, e AuditEntry) error {
	if e.ID == "" {
		e.ID = newID()
	}
	if e.PID == 0 {
		e.PID = os.Getpid()
	}
	if e.Time.IsZero() {
		e.Time = a.now()
	}
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return a.appendSpool(ctx, line)
}

// appendSpool appends one JSON line to the spool under an exclusive flock and
// fsyncs it, so a record survives a crash right after the call returns. Lines
// that arrive during a write are written together by the next (group commit).
func (a *AuditLog) appendSpool(_ context.Context, line []byte) error {
	a.spoolMu.Lock()
	defer a.spoolMu.Unlock()
	b := a.spoolOpen
	if b == nil {
		b = &spoolBatch{}
		a.spoolOpen = b
	}
	b.data = append(append(b.data, line...), '\n')
	for !b.done {
		if a.spoolFlushing {
			a.spoolCond.Wait()
			continue
		}
		// Nobody is writing: this caller writes every record waiting so far.
		w := a.spoolOpen
		a.spoolOpen, a.spoolFlushing = nil, true
		a.spoolMu.Unlock()
		err := a.writeSpool(w.data)
		a.spoolMu.Lock()
		w.done, w.err, a.spoolFlushing = true, err, false
		a.spoolCond.Broadcast()
	}
	return b.err
}

// writeSpool appends lines to the spool file under its lock (other pmlens
// processes append too) and syncs them to disk.
func (a *AuditLog) writeSpool(lines []byte) error {
	f, err := os.OpenFile(a.spoolPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("opening audit spool: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("locking audit spool %s: %w", a.spoolPath, err)
	}
	defer func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }()
	if _, err := f.Write(lines); err != nil {
		return fmt.Errorf("writing audit spool %s: %w", a.spoolPath, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing audit spool %s: %w", a.spoolPath, err)
	}
	return nil
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Fold moves spooled records into audit.duckdb and returns how many it read.
//
// Writers wait while the spool is locked, and every page view a signed-in
// person makes writes a record, so the lock is held only to move the spool's
// bytes into a side file (synced) and empty the spool; the slow insert into
// DuckDB reads the side file afterwards. A side file left by a crash is
// inserted first; inserts skip records already stored, so nothing is lost or
// doubled.
func (a *AuditLog) Fold(ctx context.Context) (int, error) {
	folding := a.spoolPath + ".folding"
	_, ferr := os.Stat(folding)
	if st, err := os.Stat(a.spoolPath); (err != nil || st.Size() == 0) && ferr != nil {
		return 0, nil
	}
	n := 0
	err := a.withDB(ctx, func(ctx context.Context, db *sql.DB) error {
		if data, err := os.ReadFile(folding); err == nil {
			k, err := a.insertSpoolData(ctx, db, data)
			if err != nil {
				return err
			}
			n += k
			if err := os.Remove(folding); err != nil {
				return fmt.Errorf("removing %s: %w", folding, err)
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		data, err := a.takeSpool(folding)
		if err != nil || len(data) == 0 {
			return err
		}
		k, err := a.insertSpoolData(ctx, db, data)
		if err != nil {
			return err // the side file stays for the next fold
		}
		n += k
		return os.Remove(folding)
	})
	return n, err
}

// takeSpool moves the spool's content into the side file folding (synced)
// and empties the spool, under the spool's lock.
func (a *AuditLog) takeSpool(folding string) ([]byte, error) {
	f, err := os.OpenFile(a.spoolPath, os.O_RDWR, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("locking audit spool: %w", err)
	}
	defer func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }()
	data, err := io.ReadAll(f)
	if err != nil || len(data) == 0 {
		return nil, err
	}
	if err := writeSynced(folding, data); err != nil {
		return nil, err
	}
	if err := f.Truncate(0); err != nil {
		return nil, fmt.Errorf("emptying audit spool: %w", err)
	}
	return data, f.Sync()
}

// insertSpoolData stores spooled lines; unreadable ones go to the rejected file.
func (a *AuditLog) insertSpoolData(ctx context.Context, db *sql.DB, data []byte) (int, error) {
	entries, events, bad := parseSpool(data)
	if len(bad) > 0 {
		a.log.Warn("audit spool lines could not be read; kept in the rejected file", "lines", len(bad), "file", a.spoolPath+".rejected")
		if err := appendFile(a.spoolPath+".rejected", bytes.Join(bad, []byte("\n"))); err != nil {
			return 0, err
		}
	}
	if err := insertSpooled(ctx, db, entries, events); err != nil {
		return 0, err
	}
	return len(entries) + len(events), nil
}

// writeSynced replaces path with data and syncs it.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	return f.Close()
}

// parseSpool splits the spool into query records, events (lines marked
// "record":"event") and lines that could not be read.
func parseSpool(data []byte) ([]AuditEntry, []AuditEvent, [][]byte) {
	var entries []AuditEntry
	var events []AuditEvent
	var bad [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), MaxSQLBytes*8)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var probe struct {
			Record string `json:"record"`
		}
		if err := json.Unmarshal(line, &probe); err != nil {
			bad = append(bad, append([]byte(nil), line...))
			continue
		}
		if probe.Record == spoolEventRecord {
			var ev AuditEvent
			if err := json.Unmarshal(line, &ev); err != nil || ev.ID == "" || ev.Kind == "" {
				bad = append(bad, append([]byte(nil), line...))
				continue
			}
			events = append(events, ev)
			continue
		}
		var e AuditEntry
		if err := json.Unmarshal(line, &e); err != nil || e.ID == "" {
			bad = append(bad, append([]byte(nil), line...))
			continue
		}
		entries = append(entries, e)
	}
	return entries, events, bad
}

func appendFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// insertSpooled stores one spool's query records and events in one transaction.
func insertSpooled(ctx context.Context, db *sql.DB, entries []AuditEntry, events []AuditEvent) error {
	if len(entries) == 0 && len(events) == 0 {
		return nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := insertEntries(ctx, tx, entries); err != nil {
		return err
	}
	if err := insertEvents(ctx, tx, events); err != nil {
		return err
	}
	return tx.Commit()
}

func insertEntries(ctx context.Context, tx *sql.Tx, entries []AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO audit_log (id, queried_at, user_name, role, client, sql_text, sql_sha256, duration_ms,
		rows_returned, truncated, outcome, error, warehouse_version, pid, client_ip, scope) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return fmt.Errorf("preparing audit insert: %w", err)
	}
	defer st.Close()
	for _, e := range entries {
		sum := sha256.Sum256([]byte(e.SQL))
		if _, err := st.ExecContext(ctx, e.ID, e.Time, e.User, e.Role, e.Client, e.SQL, hex.EncodeToString(sum[:]),
			float64(e.Duration)/float64(time.Millisecond), e.Rows, e.Truncated, e.Outcome, nullIfEmpty(e.Error), nullIfEmpty(e.Version), e.PID,
			nullIfEmpty(e.ClientIP), nullIfEmpty(e.Scope)); err != nil {
			return fmt.Errorf("storing audit record %s: %w", e.ID, err)
		}
	}
	return nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Run folds the spool every interval until ctx ends, then once more.
func (a *AuditLog) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = 2 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if _, err := a.Fold(fctx); err != nil {
				a.log.Warn("folding audit spool at shutdown", "err", err)
			}
			cancel()
			return
		case <-t.C:
			if _, err := a.Fold(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("folding audit spool; records stay in the spool until the next try", "err", err)
			}
			if _, err := a.maybePrune(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("pruning audit records older than the retention period; retried later", "err", err)
			}
		}
	}
}

// AcquireReadOnly folds pending records and keeps audit.duckdb unchanged by
// this process until release is called.
func (a *AuditLog) AcquireReadOnly(ctx context.Context) (string, func(), error) {
	if _, err := a.Fold(ctx); err != nil {
		// Another process may hold the file: admins then see records up to the last fold.
		a.log.Warn("folding audit spool before an admin query", "err", err)
	}
	a.mu.RLock()
	var once sync.Once
	return a.dbPath, func() { once.Do(a.mu.RUnlock) }, nil
}

// History returns user's most recent queries, newest first.
func (a *AuditLog) History(ctx context.Context, user string, limit int) ([]AuditEntry, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	if _, err := a.Fold(ctx); err != nil {
		a.log.Warn("folding audit spool before reading history", "err", err)
	}
	var out []AuditEntry
	err := a.withDB(ctx, func(ctx context.Context, db *sql.DB) error {
		rows, err := db.QueryContext(ctx, `SELECT id, queried_at, user_name, role, client, sql_text, duration_ms, rows_returned, truncated,
			outcome, coalesce(error, ''), coalesce(warehouse_version, ''), pid FROM audit_log WHERE user_name = ? ORDER BY queried_at DESC, id LIMIT ?`, user, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e AuditEntry
			var ms float64
			if err := rows.Scan(&e.ID, &e.Time, &e.User, &e.Role, &e.Client, &e.SQL, &ms, &e.Rows, &e.Truncated, &e.Outcome, &e.Error, &e.Version, &e.PID); err != nil {
				return err
			}
			e.Duration = time.Duration(ms * float64(time.Millisecond))
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading query history of %q: %w", user, err)
	}
	return out, nil
}
