// Package sandbox runs analysts' ad-hoc SQL against the published warehouse.
//
// Every query runs in a DuckDB instance of its own slot that was configured
// before any user SQL reached it:
//
//	in-memory instance, extension autoload/autoinstall and community extensions off,
//	memory_limit, threads, temp_directory (disabled, or a pmlens-owned folder
//	capped by max_temp_directory_size), then
//	ATTACH '<published version>' AS pmlens (READ_ONLY); USE pmlens;
//	DETACH memory          -- no writable scratch catalog shared between queries
//	SET enable_external_access = false  -- after the attach, which it would block
//	SET lock_configuration = true
//
// A query is admitted only when DuckDB's parser says it is exactly one read
// statement (see gate.go), runs on a fresh connection (temporary objects and
// variables die with it) under a timeout that interrupts DuckDB, and returns at
// most MaxRows rows with a Truncated flag. MaxConcurrent slots bound the work:
// a query that finds none free within QueueWait gets ErrBusy. Each slot's
// instance has its own memory limit, so one person's runaway join fails alone
// instead of starving everyone else's queries.
//
// Slots notice a new published version (the warehouse.path symlink changed)
// on their next query and reopen. Admins' queries get a throw-away instance
// that also attaches the audit database read-only.
package sandbox

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/pmlens/pmlens/warehouse"
)

// Roles the sandbox distinguishes. Only RoleAdmin may read audit_log.
const (
	RoleAdmin   = "admin"
	RoleAnalyst = "analyst"
)

// Catalog names inside a sandbox instance.
const (
	warehouseCatalog = "pmlens"
	auditCatalog     = "audit"
)

// MaxSQLBytes bounds the text of one query.
const MaxSQLBytes = 256 << 10

// Options configures a Sandbox. Zero values take the defaults noted.
type Options struct {
	// WarehousePath is warehouse.path: the symlink to the current published version.
	WarehousePath string
	// MemoryLimit is DuckDB's memory_limit for one query, e.g. "512MB" (default).
	// Up to MaxConcurrent queries may each use this much.
	MemoryLimit string
	// Threads is DuckDB's thread count for one query (default 1).
	Threads int
	// MaxConcurrent is how many queries run at once (default 4).
	MaxConcurrent int
	// Niceness is the scheduling niceness (Linux nice, 1–19) of the threads
	// running analysts' queries, so dashboards and syncs keep the CPU when
	// analysts saturate it (default 10; negative leaves the priority alone).
	Niceness int
	// QueueWait is how long a query waits for a free slot before ErrBusy (default 2s).
	// Negative means do not wait at all.
	QueueWait time.Duration
	// Timeout stops a query (default 30s).
	Timeout time.Duration
	// MaxRows caps the rows returned; more sets Result.Truncated (default 10000).
	MaxRows int
	// TempDir, when set, lets queries spill to disk in per-slot folders under it,
	// capped by MaxTempSize (default "1GB"). It must be a folder pmlens owns; empty
	// disables spilling, so a query that does not fit MemoryLimit fails.
	TempDir     string
	MaxTempSize string
	// ScopeDir holds the scoped copies of the published version that queries of
	// scoped principals run on (see Scope); default <warehouse.path>.d/scoped.
	// They hold a subset of the warehouse and are kept as private (0700/0600).
	ScopeDir string
	// Logger receives operational messages (never query results).
	Logger *slog.Logger
	// Audit records every query. Nil records nothing (tests only; the server and
	// CLI always pass an AuditLog). If it also implements AuditReader, admins can
	// query audit_log.
	Audit AuditSink
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.MemoryLimit == "" {
		o.MemoryLimit = "512MB"
	}
	if o.Niceness == 0 {
		o.Niceness = 10
	}
	if o.Threads <= 0 {
		o.Threads = 1
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 4
	}
	if o.QueueWait == 0 {
		o.QueueWait = 2 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxRows <= 0 {
		o.MaxRows = 10000
	}
	if o.MaxTempSize == "" {
		o.MaxTempSize = "1GB"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ScopeDir == "" && o.WarehousePath != "" {
		o.ScopeDir = filepath.Join(warehouse.PathsFor(o.WarehousePath).Dir, "scoped")
	}
}

// Request is one query.
type Request struct {
	SQL  string
	User string
	Role string
	// Client names where the query came from for the audit log: "web", "api", "cli".
	Client string
	// ClientIP is the address of a web or API caller, for the audit log.
	ClientIP string
	// Scope limits the rows the query can see; nil sees everything. Admins
	// always see everything.
	Scope *Scope
}

// Column describes a result column; Type is DuckDB's type name.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Result is a query's answer. Rows hold normalised values (see normalize):
// nil, bool, int64, float64, string, []byte, time.Time, json.Number (exact
// decimals and huge integers), []any and map[string]any.
type Result struct {
	Columns   []Column      `json:"columns"`
	Rows      [][]any       `json:"rows"`
	Truncated bool          `json:"truncated"`
	Duration  time.Duration `json:"-"`
	// Version is the published warehouse file the query read, e.g. "v000042.duckdb".
	Version string `json:"version"`
}

// Sandbox runs queries; it is safe for concurrent use.
type Sandbox struct {
	opts  Options
	log   *slog.Logger
	split *splitter
	slots chan *slot

	mu      sync.Mutex
	all     []*slot
	closed  bool
	tempSeq int

	scopes scopeState
}

// slot is one DuckDB instance pinned to one published version.
type slot struct {
	id      int
	file    string
	version string
	conn    *duckdb.Connector
	db      *sql.DB
	tempDir string
}

// New checks the options and prepares the slots; instances open lazily on the
// first query, so a warehouse that is not yet published is not an error here.
func New(opts Options) (*Sandbox, error) {
	opts.defaults()
	if opts.WarehousePath == "" {
		return nil, errors.New("sandbox: WarehousePath is required")
	}
	if opts.TempDir != "" {
		if err := os.MkdirAll(opts.TempDir, 0o700); err != nil {
			return nil, fmt.Errorf("sandbox: creating temp folder %s: %w", opts.TempDir, err)
		}
	}
	sp, err := newSplitter()
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s := &Sandbox{opts: opts, log: opts.Logger.With("component", "sandbox"), split: sp, slots: make(chan *slot, opts.MaxConcurrent),
		scopes: scopeState{builds: map[string]*scopeBuild{}}}
	for i := 0; i < opts.MaxConcurrent; i++ {
		sl := &slot{id: i}
		s.all = append(s.all, sl)
		s.slots <- sl
	}
	return s, nil
}

// Options returns the effective options (defaults filled in).
func (s *Sandbox) Options() Options { return s.opts }

// Close closes every slot; queries still running finish first.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	for range s.opts.MaxConcurrent {
		sl := <-s.slots
		sl.close()
	}
	s.split.close()
	return nil
}

// acquire takes a free slot, waiting at most QueueWait.
func (s *Sandbox) acquire(ctx context.Context) (*slot, error) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, errors.New("the SQL workbench is shutting down")
	}
	select {
	case sl := <-s.slots:
		return sl, nil
	default:
	}
	if s.opts.QueueWait < 0 {
		return nil, ErrBusy
	}
	t := time.NewTimer(s.opts.QueueWait)
	defer t.Stop()
	select {
	case sl := <-s.slots:
		return sl, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Sandbox) release(sl *slot) { s.slots <- sl }

// published resolves the symlink to the current version file.
func (s *Sandbox) published() (string, error) {
	target, err := os.Readlink(s.opts.WarehousePath)
	if errors.Is(err, os.ErrNotExist) {
		return "", warehouse.ErrNotPublished
	}
	if err != nil {
		return "", fmt.Errorf("resolving published warehouse %s: %w", s.opts.WarehousePath, err)
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(filepath.Dir(s.opts.WarehousePath), target)
	}
	return target, nil
}

// ready makes sure sl has an instance on the current published version, or on
// its scoped copy for sc.
func (s *Sandbox) ready(ctx context.Context, sl *slot, sc *Scope) error {
	for attempt := 0; ; attempt++ {
		published, err := s.published()
		if err != nil {
			return err
		}
		file := published
		if sc != nil {
			if file, err = s.scopedFile(ctx, published, sc); err != nil {
				if attempt == 0 && errors.Is(err, os.ErrNotExist) {
					continue
				}
				return err
			}
		}
		if sl.db != nil && sl.file == file {
			return nil
		}
		sl.close()
		err = s.open(ctx, sl, file, filepath.Base(published), "")
		if err == nil {
			s.log.Debug("sandbox slot opened", "slot", sl.id, "version", sl.version)
			return nil
		}
		// A publish may have pruned the file between readlink and attach; look again once.
		if attempt == 0 && errors.Is(err, os.ErrNotExist) {
			continue
		}
		return err
	}
}

// open creates sl's instance on file (published version, or a scoped copy of
// it), attaching auditFile read-only when set.
func (s *Sandbox) open(ctx context.Context, sl *slot, file, version, auditFile string) error {
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("published warehouse version %s: %w", file, err)
	}
	q := url.Values{}
	q.Set("autoload_known_extensions", "false")
	q.Set("autoinstall_known_extensions", "false")
	q.Set("allow_community_extensions", "false")
	q.Set("memory_limit", s.opts.MemoryLimit)
	q.Set("threads", strconv.Itoa(s.opts.Threads))
	tempDir := ""
	if s.opts.TempDir != "" {
		s.mu.Lock()
		s.tempSeq++
		seq := s.tempSeq
		s.mu.Unlock()
		// DuckDB names its spill files per instance but not uniquely across
		// instances, so each instance gets a folder of its own.
		tempDir = filepath.Join(s.opts.TempDir, fmt.Sprintf("slot-%d-%d-%d", os.Getpid(), sl.id, seq))
		q.Set("max_temp_directory_size", s.opts.MaxTempSize)
	}
	q.Set("temp_directory", tempDir)
	var ready bool
	c, err := duckdb.NewConnector(":memory:?"+q.Encode(), func(e driver.ExecerContext) error {
		if !ready {
			return nil
		}
		// USE is per connection; every fresh query connection starts in the warehouse.
		_, err := e.ExecContext(context.Background(), "USE "+warehouseCatalog, nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("opening sandbox instance: %w", err)
	}
	db := sql.OpenDB(c)
	// No idle connections: a query's temporary tables and variables must not
	// survive into the next person's query.
	db.SetMaxIdleConns(0)
	setup := []string{"ATTACH " + sqlString(file) + " AS " + warehouseCatalog + " (READ_ONLY)"}
	if auditFile != "" {
		setup = append(setup, "ATTACH "+sqlString(auditFile)+" AS "+auditCatalog+" (READ_ONLY)")
	}
	setup = append(setup,
		"USE "+warehouseCatalog,
		"DETACH memory",
		"SET enable_external_access = false",
		"SET lock_configuration = true",
	)
	conn, err := db.Conn(ctx)
	if err == nil {
		for _, stmt := range setup {
			if _, err = conn.ExecContext(ctx, stmt); err != nil {
				err = fmt.Errorf("configuring sandbox (%s): %w", strings.SplitN(stmt, " ", 2)[0], err)
				break
			}
		}
		if err == nil {
			err = checkSchema(ctx, conn, file)
		}
		conn.Close()
	}
	if err != nil {
		db.Close()
		c.Close()
		if tempDir != "" {
			_ = os.RemoveAll(tempDir)
		}
		if _, serr := os.Stat(file); errors.Is(serr, os.ErrNotExist) {
			return fmt.Errorf("%w: %w", os.ErrNotExist, err)
		}
		return err
	}
	ready = true
	sl.file, sl.version, sl.conn, sl.db, sl.tempDir = file, version, c, db, tempDir
	return nil
}

// checkSchema refuses a version written by a newer pmlens, as warehouse.Reader does.
func checkSchema(ctx context.Context, conn *sql.Conn, file string) error {
	var v sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT max(version) FROM "+warehouseCatalog+".schema_migrations").Scan(&v); err != nil {
		return fmt.Errorf("reading schema version of %s: %w", file, err)
	}
	if int(v.Int64) > warehouse.SchemaVersion() {
		return fmt.Errorf("%s: %w (file has migration %d, this binary knows up to %d)", file, warehouse.ErrNewerSchema, v.Int64, warehouse.SchemaVersion())
	}
	return nil
}

func (sl *slot) close() {
	if sl.db != nil {
		_ = sl.db.Close()
		_ = sl.conn.Close()
	}
	if sl.tempDir != "" {
		_ = os.RemoveAll(sl.tempDir)
	}
	sl.db, sl.conn, sl.file, sl.version, sl.tempDir = nil, nil, "", "", ""
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Query checks and runs one statement and records it in the audit log.
func (s *Sandbox) Query(ctx context.Context, req Request) (*Result, error) {
	start := s.opts.Now()
	res, err := s.query(ctx, req)
	dur := s.opts.Now().Sub(start)
	if res != nil {
		res.Duration = dur
	}
	s.audit(ctx, req, start, dur, res, err)
	return res, err
}

func (s *Sandbox) audit(ctx context.Context, req Request, start time.Time, dur time.Duration, res *Result, qerr error) {
	if s.opts.Audit == nil {
		return
	}
	e := AuditEntry{Time: start, User: req.User, Role: req.Role, Client: req.Client, SQL: req.SQL, Duration: dur, Outcome: "ok",
		ClientIP: req.ClientIP, Scope: effectiveScope(req).String()}
	if res != nil {
		e.Rows = int64(len(res.Rows))
		e.Truncated = res.Truncated
		e.Version = res.Version
	}
	if qerr != nil {
		e.Outcome = string(KindOf(qerr))
		e.Error = qerr.Error()
	}
	// The query already ran; record it even if the caller has gone away.
	if err := s.opts.Audit.Record(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("recording query in audit log", "user", req.User, "err", err)
	}
}

// effectiveScope is the scope a request runs under: admins see everything.
func effectiveScope(req Request) *Scope {
	if req.Role == RoleAdmin {
		return nil
	}
	return req.Scope
}

func (s *Sandbox) query(ctx context.Context, req Request) (*Result, error) {
	req.Scope = effectiveScope(req)
	text := req.SQL
	switch {
	case strings.TrimSpace(text) == "":
		return nil, refused("the query is empty")
	case len(text) > MaxSQLBytes:
		return nil, refused("the query is %d bytes long; the workbench accepts up to %d", len(text), MaxSQLBytes)
	case !utf8.ValidString(text):
		return nil, refused("the query is not valid UTF-8 text")
	case strings.IndexByte(text, 0) >= 0:
		// DuckDB's C API would stop reading at the NUL, so the gate and the engine
		// could see different statements.
		return nil, refused("the query contains a NUL character")
	}
	n, perr := s.split.count(text)
	if perr != "" {
		return nil, &QueryError{Kind: KindInvalid, Message: cleanDuckDBMessage(perr), Position: positionFromMessage(perr, text)}
	}
	if n != 1 {
		return nil, refused("send one statement at a time: DuckDB's parser found %d statements in this request", n)
	}
	admin := req.Role == RoleAdmin
	sl, err := s.acquire(ctx)
	if err != nil {
		if errors.Is(err, ErrBusy) {
			return nil, ErrBusy
		}
		return nil, &QueryError{Kind: KindCancelled, Message: "the query was cancelled while waiting for a free slot", Err: err}
	}
	defer s.release(sl)

	qctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	db := (*sql.DB)(nil)
	version := ""
	if admin {
		inst, release, err := s.adminInstance(qctx, sl.id)
		if err != nil {
			return nil, err
		}
		defer release()
		db, version = inst.db, inst.version
	} else {
		if err := s.ready(qctx, sl, req.Scope); err != nil {
			return nil, err
		}
		db, version = sl.db, sl.version
	}
	res, err := s.runNiced(qctx, db, text, admin)
	if err != nil {
		qe := fromDuckDB(qctx, err, text, s.opts.Timeout, s.opts.MemoryLimit)
		if !admin && (qe.Kind == KindTimeout || qe.Kind == KindMemory || qe.Kind == KindFailed) {
			// Start the next query on a fresh instance: interrupted or
			// out-of-memory work should leave nothing behind.
			sl.close()
		}
		return nil, qe
	}
	res.Version = version
	return res, nil
}

// runNiced runs the query on an OS thread of its own at Options.Niceness.
// DuckDB works on the calling thread (the instance has threads=1 and so no
// worker threads of its own), so the niceness covers the whole query. Lowering
// the niceness again needs CAP_SYS_NICE; without it the goroutine exits still
// locked to its thread, which makes Go discard the thread (or park it for good,
// if it is the main thread) rather than hand a niced one to other goroutines.
func (s *Sandbox) runNiced(ctx context.Context, db *sql.DB, text string, admin bool) (*Result, error) {
	if s.opts.Niceness < 0 || s.opts.Threads > 1 {
		return s.run(ctx, db, text, admin)
	}
	type answer struct {
		res *Result
		err error
	}
	done := make(chan answer, 1)
	go func() {
		runtime.LockOSThread()
		tid := syscall.Gettid()
		old, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
		if err == nil {
			err = syscall.Setpriority(syscall.PRIO_PROCESS, tid, s.opts.Niceness)
		}
		if err != nil {
			s.log.Debug("query thread keeps its priority", "err", err)
		}
		res, qerr := s.run(ctx, db, text, admin)
		// Linux's getpriority system call answers 20 − nice.
		if err == nil && syscall.Setpriority(syscall.PRIO_PROCESS, tid, 20-old) == nil {
			runtime.UnlockOSThread()
		}
		done <- answer{res, qerr}
	}()
	a := <-done
	return a.res, a.err
}

// adminInstance opens a throw-away instance that also attaches the audit
// database read-only, while the audit log promises not to change it.
func (s *Sandbox) adminInstance(ctx context.Context, id int) (*slot, func(), error) {
	file, err := s.published()
	if err != nil {
		return nil, nil, err
	}
	auditFile, releaseAudit := "", func() {}
	if ar, ok := s.opts.Audit.(AuditReader); ok {
		auditFile, releaseAudit, err = ar.AcquireReadOnly(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("preparing audit_log for reading: %w", err)
		}
	}
	inst := &slot{id: id}
	if err := s.open(ctx, inst, file, filepath.Base(file), auditFile); err != nil {
		releaseAudit()
		return nil, nil, err
	}
	return inst, func() { inst.close(); releaseAudit() }, nil
}

// run applies the gate and executes text on a fresh connection of db.
func (s *Sandbox) run(ctx context.Context, db *sql.DB, text string, admin bool) (*Result, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	selectLike, err := s.gateSelect(ctx, conn, text, admin)
	if err != nil {
		return nil, err
	}
	var explainVerdict error
	if !selectLike {
		explainVerdict = s.gateExplain(ctx, conn, text, admin)
	}
	var res *Result
	err = conn.Raw(func(dc any) error {
		pc, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("unexpected driver connection %T", dc)
		}
		// One statement (checked by the splitter), so preparing runs nothing.
		st, err := pc.PrepareContext(ctx, text)
		if err != nil && !selectLike && explainVerdict != nil {
			// Not a read statement and not a valid EXPLAIN: it would be refused
			// anyway, so say that first (DuckDB may have refused it on its own,
			// e.g. COPY TO failing on file access).
			return &QueryError{Kind: KindRefused, Err: err,
				Message: "only read statements run in the workbench (SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN); DuckDB also refused this one: " + duckMessage(err)}
		}
		if err != nil {
			return err
		}
		defer st.Close()
		ds, ok := st.(*duckdb.Stmt)
		if !ok {
			return fmt.Errorf("unexpected driver statement %T", st)
		}
		typ, err := ds.StatementType()
		if err != nil {
			return err
		}
		switch {
		case typ == duckdb.STATEMENT_TYPE_SELECT && selectLike:
		case typ == duckdb.STATEMENT_TYPE_SELECT:
			// PRAGMA and CALL prepare as SELECTs but are not SELECTs to the parser.
			return refused("only read statements run in the workbench (SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN); PRAGMA and CALL are not available")
		case typ == duckdb.STATEMENT_TYPE_EXPLAIN && explainVerdict == nil:
		case typ == duckdb.STATEMENT_TYPE_EXPLAIN:
			return explainVerdict
		default:
			return refused("only read statements run in the workbench (SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN); this is %s", statementTypeName(typ))
		}
		qc, ok := st.(driver.StmtQueryContext)
		if !ok {
			return fmt.Errorf("unexpected driver statement %T", st)
		}
		rows, err := qc.QueryContext(ctx, nil)
		if err != nil {
			return err
		}
		defer rows.Close()
		res, err = s.collect(rows)
		return err
	})
	return res, err
}

// gateSelect runs json_serialize_sql on text and reports whether DuckDB's
// parser sees a SELECT-family statement, which it then checks. Other statement
// types are judged by run from the prepared statement's type, so that the
// person sees which kind of statement was refused.
func (s *Sandbox) gateSelect(ctx context.Context, conn *sql.Conn, text string, admin bool) (bool, error) {
	ser, err := serialize(ctx, conn, text)
	if err != nil {
		return false, err
	}
	if ser.Error {
		if ser.ErrorType == "parser" {
			msg := "Parser Error: " + ser.ErrorMessage
			return false, &QueryError{Kind: KindInvalid, Message: msg, Position: positionFromOffset(text, ser.position())}
		}
		return false, nil
	}
	if len(ser.Statements) != 1 {
		return true, refused("send one statement at a time: DuckDB's parser found %d statements in this request", len(ser.Statements))
	}
	return true, nilIfNil(checkTree(ser.Statements[0], admin))
}

// gateExplain allows EXPLAIN [ANALYZE] only around a statement that passes the
// SELECT gate, because EXPLAIN ANALYZE runs the statement it explains. It is
// evaluated for every non-SELECT text but used only when the text prepares as
// an EXPLAIN.
func (s *Sandbox) gateExplain(ctx context.Context, conn *sql.Conn, text string, admin bool) error {
	body, _, ok := explainBody(text)
	if !ok {
		return refused("EXPLAIN is available as EXPLAIN <query> or EXPLAIN ANALYZE <query>, without options")
	}
	if n, perr := s.split.count(body); perr != "" || n != 1 {
		return refused("EXPLAIN may only wrap one read query")
	}
	ser, err := serialize(ctx, conn, body)
	if err != nil {
		return err
	}
	if ser.Error || len(ser.Statements) != 1 {
		return refused("EXPLAIN may only wrap a read query (SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE)")
	}
	return nilIfNil(checkTree(ser.Statements[0], admin))
}

func nilIfNil(qe *QueryError) error {
	if qe == nil {
		return nil
	}
	return qe
}

func serialize(ctx context.Context, conn *sql.Conn, text string) (*serialized, error) {
	var out string
	if err := conn.QueryRowContext(ctx, "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", text).Scan(&out); err != nil {
		return nil, err
	}
	return parseSerialized(out)
}

// collect reads at most MaxRows+1 rows to learn whether the result was cut.
func (s *Sandbox) collect(rows driver.Rows) (*Result, error) {
	names := rows.Columns()
	res := &Result{Columns: make([]Column, len(names)), Rows: [][]any{}}
	typed, _ := rows.(driver.RowsColumnTypeDatabaseTypeName)
	for i, n := range names {
		res.Columns[i].Name = n
		if typed != nil {
			res.Columns[i].Type = typed.ColumnTypeDatabaseTypeName(i)
		}
	}
	for {
		dest := make([]driver.Value, len(names))
		err := rows.Next(dest)
		if errors.Is(err, io.EOF) {
			return res, nil
		}
		if err != nil {
			return nil, err
		}
		if len(res.Rows) == s.opts.MaxRows {
			res.Truncated = true
			return res, nil
		}
		row := make([]any, len(dest))
		for i, v := range dest {
			row[i] = normalize(v, res.Columns[i].Type)
		}
		res.Rows = append(res.Rows, row)
	}
}

func statementTypeName(t duckdb.StmtType) string {
	names := map[duckdb.StmtType]string{
		duckdb.STATEMENT_TYPE_INSERT: "an INSERT", duckdb.STATEMENT_TYPE_UPDATE: "an UPDATE",
		duckdb.STATEMENT_TYPE_DELETE: "a DELETE", duckdb.STATEMENT_TYPE_PREPARE: "a PREPARE",
		duckdb.STATEMENT_TYPE_CREATE: "a CREATE", duckdb.STATEMENT_TYPE_EXECUTE: "an EXECUTE",
		duckdb.STATEMENT_TYPE_ALTER: "an ALTER", duckdb.STATEMENT_TYPE_TRANSACTION: "a transaction statement",
		duckdb.STATEMENT_TYPE_COPY: "a COPY", duckdb.STATEMENT_TYPE_ANALYZE: "an ANALYZE",
		duckdb.STATEMENT_TYPE_VARIABLE_SET: "a SET", duckdb.STATEMENT_TYPE_CREATE_FUNC: "a CREATE FUNCTION",
		duckdb.STATEMENT_TYPE_DROP: "a DROP", duckdb.STATEMENT_TYPE_EXPORT: "an EXPORT",
		duckdb.STATEMENT_TYPE_PRAGMA: "a PRAGMA", duckdb.STATEMENT_TYPE_VACUUM: "a VACUUM",
		duckdb.STATEMENT_TYPE_CALL: "a CALL", duckdb.STATEMENT_TYPE_SET: "a SET/RESET",
		duckdb.STATEMENT_TYPE_LOAD: "an INSTALL/LOAD", duckdb.STATEMENT_TYPE_EXTENSION: "an extension statement",
		duckdb.STATEMENT_TYPE_ATTACH: "an ATTACH", duckdb.STATEMENT_TYPE_DETACH: "a DETACH",
		duckdb.STATEMENT_TYPE_MULTI: "several statements",
	}
	if n, ok := names[t]; ok {
		return n + " statement"
	}
	return fmt.Sprintf("a statement of type %d", t)
}

// cleanDuckDBMessage trims trailing space DuckDB leaves after its caret line.
func cleanDuckDBMessage(msg string) string { return strings.TrimSpace(msg) }

// duckMessage is the text of a DuckDB error without the Go wrapping.
func duckMessage(err error) string {
	var de *duckdb.Error
	if errors.As(err, &de) {
		return strings.TrimSpace(de.Msg)
	}
	return err.Error()
}
