// Package warehouse owns pmlens's DuckDB storage: schema migrations, sync runs that
// load all-or-nothing, the atomic publication of read-only analytics versions, and
// the readers that query them.
//
// Layout on disk, for warehouse.path = data/pmlens.duckdb:
//
//	data/pmlens.duckdb                  symlink to the current published version
//	data/pmlens.duckdb.d/work.duckdb    private working database (one writer at a time)
//	data/pmlens.duckdb.d/lock           advisory lock naming the writing process
//	data/pmlens.duckdb.d/hash.key       per-warehouse key for hashing people's names
//	data/pmlens.duckdb.d/versions/v000042.duckdb   immutable published versions
//
// Ingestion writes only the working database. After each run it is checkpointed and
// copied to a new version file, which is then swapped in by renaming a symlink, so
// readers (dashboards, `pmlens query`, an analyst's own DuckDB client) open a file
// nobody writes and never see a half-loaded run.
package warehouse

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/pmlens/pmlens/configs"
)

// Options configures a Writer.
type Options struct {
	Path         string
	KeepVersions int
	LockTimeout  time.Duration
	Logger       *slog.Logger
	// Projects and Currency come from the configuration: configured projects are
	// written to the projects table and claim source keys.
	Projects []configs.Project
	Currency string
	// HashKey, when set, keys the hashing of people's names; otherwise a random
	// per-warehouse key is created beside the working database.
	HashKey []byte
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Writer is the single writer of a warehouse. It holds the warehouse lock from Open
// until Close; only one run is active at a time.
type Writer struct {
	opts    Options
	log     *slog.Logger
	dir     string
	lock    *fileLock
	hashKey []byte

	mu     sync.Mutex // serialises runs and publication
	db     *sql.DB
	conn   *duckdb.Connector
	closed bool
}

// Paths names the files of a warehouse.
type Paths struct {
	Published string // symlink analysts open
	Dir       string
	Work      string
	Lock      string
	HashKey   string
	Versions  string
}

// PathsFor derives the on-disk layout from warehouse.path.
func PathsFor(published string) Paths {
	dir := published + ".d"
	return Paths{
		Published: published,
		Dir:       dir,
		Work:      filepath.Join(dir, "work.duckdb"),
		Lock:      filepath.Join(dir, "lock"),
		HashKey:   filepath.Join(dir, "hash.key"),
		Versions:  filepath.Join(dir, "versions"),
	}
}

// Open locks the warehouse (waiting up to LockTimeout for another writer), applies
// migrations, marks runs a killed process left "running" as failed, writes the
// configured projects, and publishes a first version when none exists.
func Open(ctx context.Context, opts Options) (*Writer, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.KeepVersions < 1 {
		opts.KeepVersions = 3
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 10 * time.Minute
	}
	p := PathsFor(opts.Path)
	if fi, err := os.Lstat(p.Published); err == nil && fi.Mode()&os.ModeSymlink == 0 {
		return nil, fmt.Errorf("%s exists and is not a pmlens published-version link; move it away or choose another warehouse.path", p.Published)
	}
	if err := os.MkdirAll(p.Versions, 0o750); err != nil {
		return nil, fmt.Errorf("creating warehouse folder: %w", err)
	}
	log := opts.Logger.With("warehouse", opts.Path)
	lk, err := acquireLock(ctx, p.Lock, opts.LockTimeout, func(holder string) {
		log.Info("waiting for the warehouse lock", "holder_pid", holder)
	})
	if err != nil {
		return nil, err
	}
	w := &Writer{opts: opts, log: log, dir: p.Dir, lock: lk}
	if err := w.start(ctx); err != nil {
		w.closeDB()
		_ = lk.release()
		return nil, err
	}
	return w, nil
}

func (w *Writer) start(ctx context.Context) error {
	key, err := w.loadHashKey()
	if err != nil {
		return err
	}
	w.hashKey = key
	if err := w.openDB(); err != nil {
		return err
	}
	n, err := migrate(ctx, w.db, w.paths().Work)
	if err != nil {
		return err
	}
	if n > 0 {
		w.log.Info("applied schema migrations", "count", n, "schema_version", SchemaVersion())
	}
	recovered, err := w.recoverRuns(ctx)
	if err != nil {
		return err
	}
	if err := w.writeConfiguredProjects(ctx); err != nil {
		return err
	}
	if _, err := w.currentVersion(); errors.Is(err, os.ErrNotExist) || recovered > 0 || n > 0 {
		if _, err := w.publishLocked(ctx); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	return nil
}

func (w *Writer) paths() Paths { return PathsFor(w.opts.Path) }

func (w *Writer) openDB() error {
	c, err := duckdb.NewConnector(w.paths().Work, nil)
	if err != nil {
		return fmt.Errorf("opening working database %s: %w", w.paths().Work, err)
	}
	w.conn = c
	w.db = sql.OpenDB(c)
	return nil
}

func (w *Writer) closeDB() {
	if w.db != nil {
		_ = w.db.Close()
		w.db = nil
	}
	if w.conn != nil {
		_ = w.conn.Close()
		w.conn = nil
	}
}

// DB is the working database, for connectors' read-only lookups outside a run and
// for tests. Writes go through a Run.
func (w *Writer) DB() *sql.DB { return w.db }

// Close releases the database and the lock.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	w.closeDB()
	return w.lock.release()
}

// loadHashKey returns the configured key or the per-warehouse random one, created
// on first use. It lives outside the database so publishing never exposes it.
func (w *Writer) loadHashKey() ([]byte, error) {
	if len(w.opts.HashKey) > 0 {
		return w.opts.HashKey, nil
	}
	path := w.paths().HashKey
	b, err := os.ReadFile(path)
	if err == nil && len(b) >= 32 {
		return b, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	key := []byte(hex.EncodeToString(raw))
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return key, nil
}

// recoverRuns marks runs left "running" by a process that died as failed. Holding
// the lock proves no live process owns them.
func (w *Writer) recoverRuns(ctx context.Context) (int64, error) {
	res, err := w.db.ExecContext(ctx, `UPDATE sync_runs SET status = 'failed', finished_at = ?,
		error = 'interrupted: the pmlens process ended during this run (killed or crashed); nothing it loaded was kept'
		WHERE status = 'running'`, w.opts.Now())
	if err != nil {
		return 0, fmt.Errorf("recovering interrupted runs: %w", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		w.log.Warn("marked interrupted sync runs as failed", "runs", n)
	}
	return n, nil
}

// writeConfiguredProjects upserts the projects named in the configuration so their
// names, programs and budgets follow the config even before new data arrives.
func (w *Writer) writeConfiguredProjects(ctx context.Context) error {
	if len(w.opts.Projects) == 0 {
		return nil
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	now := w.opts.Now()
	for _, p := range w.opts.Projects {
		name := p.Name
		if name == "" {
			name = p.ID
		}
		cur := p.Currency
		if cur == "" {
			cur = w.opts.Currency
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO projects (project_id, name, program, portfolio, budget, currency, contingency, configured, first_seen, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, true, ?, ?)
			ON CONFLICT (project_id) DO UPDATE SET name = excluded.name, program = excluded.program, portfolio = excluded.portfolio,
			budget = excluded.budget, currency = excluded.currency, contingency = excluded.contingency, configured = true, updated_at = excluded.updated_at`,
			p.ID, name, nullString(p.Program), nullString(p.Portfolio), nullFloat(p.Budget), cur, nullFloat(p.Contingency), now, now); err != nil {
			return fmt.Errorf("writing configured project %q: %w", p.ID, err)
		}
	}
	return tx.Commit()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullFloat(f float64) any {
	if f == 0 {
		return nil
	}
	return f
}

// Publish makes the working database's committed state the current published version.
func (w *Writer) Publish(ctx context.Context) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.publishLocked(ctx)
}

// publishLocked checkpoints and closes the working database, copies it to a new
// version file, fsyncs it, swaps the published symlink by rename, and reopens.
func (w *Writer) publishLocked(ctx context.Context) (string, error) {
	p := w.paths()
	next := 1
	if cur, err := w.currentVersion(); err == nil {
		next = versionNumber(cur) + 1
	}
	if vs, _ := listVersions(p.Versions); len(vs) > 0 && versionNumber(vs[len(vs)-1])+1 > next {
		next = versionNumber(vs[len(vs)-1]) + 1
	}
	name := fmt.Sprintf("v%06d.duckdb", next)
	now := w.opts.Now().UTC()
	if _, err := w.db.ExecContext(ctx, `INSERT OR REPLACE INTO warehouse_meta VALUES ('published_version', ?), ('published_at', ?), ('schema_version', ?)`,
		strconv.Itoa(next), now.Format(time.RFC3339Nano), strconv.Itoa(SchemaVersion())); err != nil {
		return "", fmt.Errorf("recording published version: %w", err)
	}
	if _, err := w.db.ExecContext(ctx, `CHECKPOINT`); err != nil {
		return "", fmt.Errorf("checkpointing working database: %w", err)
	}
	w.closeDB()
	defer func() {
		if w.db == nil {
			if err := w.openDB(); err != nil {
				w.log.Error("reopening working database", "err", err)
			}
		}
	}()
	tmp := filepath.Join(p.Versions, ".tmp-"+name)
	if err := copyFile(p.Work, tmp); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("copying working database to %s: %w", tmp, err)
	}
	final := filepath.Join(p.Versions, name)
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("publishing %s: %w", final, err)
	}
	rel, err := filepath.Rel(filepath.Dir(p.Published), final)
	if err != nil {
		rel = final
	}
	link := p.Published + ".tmp-link"
	_ = os.Remove(link)
	if err := os.Symlink(rel, link); err != nil {
		return "", fmt.Errorf("creating published link: %w", err)
	}
	if err := os.Rename(link, p.Published); err != nil {
		return "", fmt.Errorf("swapping published link %s: %w", p.Published, err)
	}
	syncDir(filepath.Dir(p.Published))
	w.log.Info("published warehouse version", "version", name)
	w.pruneVersions(name)
	return name, nil
}

// currentVersion returns the file name the published link points at.
func (w *Writer) currentVersion() (string, error) {
	target, err := os.Readlink(w.paths().Published)
	if err != nil {
		return "", err
	}
	return filepath.Base(target), nil
}

func versionNumber(name string) int {
	n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "v"), ".duckdb"))
	return n
}

func listVersions(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "v") && strings.HasSuffix(e.Name(), ".duckdb") {
			out = append(out, e.Name())
		} else if strings.HasPrefix(e.Name(), ".tmp-") {
			_ = os.Remove(filepath.Join(dir, e.Name())) // left by a publish that was killed
		}
	}
	sort.Slice(out, func(i, j int) bool { return versionNumber(out[i]) < versionNumber(out[j]) })
	return out, nil
}

// pruneVersions removes all but the newest KeepVersions files. A reader that still
// has an older file open keeps reading it: unlinking does not close it.
func (w *Writer) pruneVersions(current string) {
	vs, err := listVersions(w.paths().Versions)
	if err != nil {
		return
	}
	for len(vs) > w.opts.KeepVersions {
		if vs[0] != current {
			_ = os.Remove(filepath.Join(w.paths().Versions, vs[0]))
			_ = os.Remove(filepath.Join(w.paths().Versions, vs[0]+".wal"))
		}
		vs = vs[1:]
	}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
