package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// ErrNotPublished is returned by a Reader before the first version is published.
var ErrNotPublished = errors.New("no warehouse version has been published yet: run `pmlens sync` or start `pmlens serve`")

// Reader gives read-only access to the current published version. It notices a
// new version on the next Acquire and moves to it; a version still in use by a
// caller stays open until released.
type Reader struct {
	path string
	// DSNOptions are appended to every read-only open (e.g. "threads=2").
	dsn string

	mu      sync.Mutex
	current *Snapshot
	closed  bool
}

// Snapshot is one open published version.
type Snapshot struct {
	// DB is a read-only database handle.
	DB *sql.DB
	// Version is the published file name, e.g. "v000042.duckdb" — stable for ETags.
	Version string
	// File is the absolute path of the version file.
	File string

	conn *duckdb.Connector
	refs int
	old  bool
}

// NewReader prepares a reader of the warehouse published at path (warehouse.path).
// extraDSN holds DuckDB settings as URL query pairs, e.g. "threads=2&memory_limit=1GB".
func NewReader(path, extraDSN string) *Reader {
	return &Reader{path: path, dsn: extraDSN}
}

// Acquire returns the current version; call release when done with it.
func (r *Reader) Acquire(ctx context.Context) (*Snapshot, func(), error) {
	target, err := os.Readlink(r.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, ErrNotPublished
	}
	if err != nil {
		return nil, nil, fmt.Errorf("resolving published warehouse %s: %w", r.path, err)
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(filepath.Dir(r.path), target)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, nil, errors.New("warehouse reader is closed")
	}
	if r.current == nil || r.current.File != target {
		s, err := openSnapshot(ctx, target, r.dsn)
		if err != nil {
			return nil, nil, err
		}
		if old := r.current; old != nil {
			old.old = true
			if old.refs == 0 {
				old.close()
			}
		}
		r.current = s
	}
	s := r.current
	s.refs++
	released := false
	return s, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if released {
			return
		}
		released = true
		s.refs--
		if s.old && s.refs == 0 {
			s.close()
		}
	}, nil
}

func openSnapshot(ctx context.Context, file, extra string) (*Snapshot, error) {
	dsn := file + "?access_mode=read_only"
	if extra != "" {
		dsn += "&" + extra
	}
	c, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, fmt.Errorf("opening published warehouse %s: %w", file, err)
	}
	db := sql.OpenDB(c)
	applied, err := appliedVersions(ctx, db)
	if err == nil {
		err = checkNotNewer(applied, file)
	}
	if err != nil {
		db.Close()
		c.Close()
		return nil, err
	}
	return &Snapshot{DB: db, Version: filepath.Base(file), File: file, conn: c}, nil
}

func (s *Snapshot) close() {
	_ = s.DB.Close()
	_ = s.conn.Close()
}

// Close closes the current version once no caller holds it.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.current != nil {
		r.current.old = true
		if r.current.refs == 0 {
			r.current.close()
		}
	}
	return nil
}
