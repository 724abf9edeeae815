package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// SavedQuery is a query an analyst named and kept; only its owner sees it.
type SavedQuery struct {
	ID      int64     `json:"id"`
	Owner   string    `json:"owner"`
	Name    string    `json:"name"`
	SQL     string    `json:"sql"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// ErrNotFound is returned for a saved query that does not exist or belongs to someone else.
var ErrNotFound = errors.New("saved query not found")

// MaxSavedNameChars bounds a saved query's name.
const MaxSavedNameChars = 200

// SavedQueries lists owner's saved queries by name.
func (a *AuditLog) SavedQueries(ctx context.Context, owner string) ([]SavedQuery, error) {
	var out []SavedQuery
	err := a.withDB(ctx, func(ctx context.Context, db *sql.DB) error {
		rows, err := db.QueryContext(ctx, `SELECT id, owner, name, sql_text, created_at, updated_at FROM saved_queries WHERE owner = ? ORDER BY lower(name), id`, owner)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var q SavedQuery
			if err := rows.Scan(&q.ID, &q.Owner, &q.Name, &q.SQL, &q.Created, &q.Updated); err != nil {
				return err
			}
			out = append(out, q)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("listing saved queries of %q: %w", owner, err)
	}
	return out, nil
}

// SaveQuery stores owner's query under name, replacing the SQL of a query of
// the same name (its created time stays).
func (a *AuditLog) SaveQuery(ctx context.Context, owner, name, sqlText string) (SavedQuery, error) {
	name = strings.TrimSpace(name)
	switch {
	case owner == "":
		return SavedQuery{}, errors.New("saving a query needs a signed-in user")
	case name == "":
		return SavedQuery{}, errors.New("a saved query needs a name")
	case utf8.RuneCountInString(name) > MaxSavedNameChars:
		return SavedQuery{}, fmt.Errorf("a saved query's name may be at most %d characters", MaxSavedNameChars)
	case strings.TrimSpace(sqlText) == "":
		return SavedQuery{}, errors.New("a saved query needs SQL")
	case len(sqlText) > MaxSQLBytes:
		return SavedQuery{}, fmt.Errorf("a saved query may be at most %d bytes", MaxSQLBytes)
	}
	now := a.now().UTC()
	var q SavedQuery
	err := a.withDB(ctx, func(ctx context.Context, db *sql.DB) error {
		return db.QueryRowContext(ctx, `INSERT INTO saved_queries (owner, name, sql_text, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (owner, name) DO UPDATE SET sql_text = excluded.sql_text, updated_at = excluded.updated_at
			RETURNING id, owner, name, sql_text, created_at, updated_at`, owner, name, sqlText, now, now).
			Scan(&q.ID, &q.Owner, &q.Name, &q.SQL, &q.Created, &q.Updated)
	})
	if err != nil {
		return SavedQuery{}, fmt.Errorf("saving query %q of %q: %w", name, owner, err)
	}
	return q, nil
}

// DeleteSavedQuery removes owner's saved query id.
func (a *AuditLog) DeleteSavedQuery(ctx context.Context, owner string, id int64) error {
	var n int64
	err := a.withDB(ctx, func(ctx context.Context, db *sql.DB) error {
		res, err := db.ExecContext(ctx, `DELETE FROM saved_queries WHERE id = ? AND owner = ?`, id, owner)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting saved query %d of %q: %w", id, owner, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
