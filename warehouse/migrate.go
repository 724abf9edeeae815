package warehouse

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	seen := map[int]string{}
	for _, e := range entries {
		num, rest, ok := strings.Cut(e.Name(), "_")
		if !ok || !strings.HasSuffix(rest, ".sql") {
			return nil, fmt.Errorf("migration file %q is not named NNNN_name.sql", e.Name())
		}
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration file %q: version is not a number", e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %q and %q share version %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		body, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: strings.TrimSuffix(rest, ".sql"), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// SchemaVersion is the highest migration this binary knows.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// ErrNewerSchema is returned when a warehouse file was written by a newer pmlens.
var ErrNewerSchema = fmt.Errorf("warehouse schema is newer than this pmlens")

// appliedVersions reads schema_migrations; a missing table means a fresh file.
func appliedVersions(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) (map[int]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return map[int]bool{}, nil
		}
		return nil, fmt.Errorf("reading schema_migrations: %w", err)
	}
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out[v] = true
	}
	return out, rows.Err()
}

// checkNotNewer fails when the file records a migration above the newest known one.
func checkNotNewer(applied map[int]bool, file string) error {
	known := SchemaVersion()
	for v := range applied {
		if v > known {
			return fmt.Errorf("%s: %w (file has migration %d, this binary knows up to %d): upgrade pmlens or point warehouse.path at another file", file, ErrNewerSchema, v, known)
		}
	}
	return nil
}

// migrate applies every embedded migration the database lacks, each in its own
// transaction together with its schema_migrations row.
func migrate(ctx context.Context, db *sql.DB, file string) (int, error) {
	return migrateUpTo(ctx, db, file, SchemaVersion())
}

// migrateUpTo applies migrations up to and including version upTo; tests use it to
// build a file as an older pmlens would have left it.
func migrateUpTo(ctx context.Context, db *sql.DB, file string, upTo int) (int, error) {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)`); err != nil {
		return 0, fmt.Errorf("creating schema_migrations: %w", err)
	}
	applied, err := appliedVersions(ctx, db)
	if err != nil {
		return 0, err
	}
	if err := checkNotNewer(applied, file); err != nil {
		return 0, err
	}
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range ms {
		if applied[m.version] || m.version > upTo {
			continue
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return n, err
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			_ = tx.Rollback()
			return n, fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, m.version, m.name); err != nil {
			_ = tx.Rollback()
			return n, fmt.Errorf("recording migration %04d: %w", m.version, err)
		}
		if err := tx.Commit(); err != nil {
			return n, fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
		n++
	}
	return n, nil
}
