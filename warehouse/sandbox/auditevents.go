package sandbox

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// AuditEvent is one entry of the security audit trail: a sign-in or its failure,
// a view of a project page, an export or download, a user or configuration
// change. Detail never holds a password, token, session id or cookie.
type AuditEvent struct {
	ID       string    `json:"id"`
	Time     time.Time `json:"at"`
	User     string    `json:"user"`
	Role     string    `json:"role,omitempty"`
	Kind     string    `json:"kind"`
	Detail   string    `json:"detail,omitempty"`
	ClientIP string    `json:"client_ip,omitempty"`
	Method   string    `json:"method,omitempty"`
	Path     string    `json:"path,omitempty"`
	PID      int       `json:"pid"`
	// Seq is the event's place in the trail (0 for a query record in Events).
	Seq int64 `json:"-"`
}

// QueryEventKind is the Kind Events gives the query records of audit_log.
const QueryEventKind = "sql.query"

// spoolEventRecord marks event lines in the spool; query lines have no marker
// (the spool format predates events).
const spoolEventRecord = "event"

// Limits on what one event stores, so a runaway caller cannot fill the trail.
const (
	maxEventText   = 4 << 10
	maxEventDetail = 16 << 10
)

// RecordEvent appends ev to the spool (folded into audit_events like queries).
// It fills ID, PID and Time when unset.
func (a *AuditLog) RecordEvent(ctx context.Context, ev AuditEvent) error {
	if ev.Kind == "" {
		return errors.New("audit event without a kind")
	}
	if ev.ID == "" {
		ev.ID = newID()
	}
	if ev.PID == 0 {
		ev.PID = os.Getpid()
	}
	if ev.Time.IsZero() {
		ev.Time = a.now()
	}
	ev.User, ev.Role, ev.Kind = clip(ev.User, maxEventText), clip(ev.Role, maxEventText), clip(ev.Kind, maxEventText)
	ev.ClientIP, ev.Method, ev.Path = clip(ev.ClientIP, maxEventText), clip(ev.Method, maxEventText), clip(ev.Path, maxEventText)
	ev.Detail = clip(ev.Detail, maxEventDetail)
	line, err := json.Marshal(struct {
		Record string `json:"record"`
		AuditEvent
	}{spoolEventRecord, ev})
	if err != nil {
		return err
	}
	return a.appendSpool(ctx, line)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary so the stored text stays valid UTF-8.
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// chainLink is the chain value of an event that follows prev.
func chainLink(prev string, ev AuditEvent) string {
	h := sha256.New()
	for _, f := range []string{prev, ev.ID, strconv.FormatInt(ev.Seq, 10), ev.Time.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano),
		ev.User, ev.Role, ev.Kind, ev.Detail, ev.ClientIP, ev.Method, ev.Path, strconv.Itoa(ev.PID)} {
		// Length-prefixed, so no choice of field contents can collide with another.
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// insertEvents appends events to audit_events, continuing the hash chain. An
// event already stored (a fold repeated after a crash) is skipped.
func insertEvents(ctx context.Context, tx *sql.Tx, events []AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	var seq int64
	var prev string
	err := tx.QueryRowContext(ctx, `SELECT seq, chain_sha256 FROM audit_events ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("reading the end of the audit chain: %w", err)
	}
	exists, err := tx.PrepareContext(ctx, `SELECT count(*) FROM audit_events WHERE id = ?`)
	if err != nil {
		return err
	}
	defer exists.Close()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO audit_events (id, seq, event_at, user_name, role, kind, detail, client_ip, method, path, pid, chain_sha256)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("preparing audit event insert: %w", err)
	}
	defer ins.Close()
	for _, ev := range events {
		var n int
		if err := exists.QueryRowContext(ctx, ev.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		seq++
		ev.Seq = seq
		ev.Time = ev.Time.UTC().Truncate(time.Microsecond)
		prev = chainLink(prev, ev)
		if _, err := ins.ExecContext(ctx, ev.ID, ev.Seq, ev.Time, ev.User, ev.Role, ev.Kind, ev.Detail, ev.ClientIP, ev.Method, ev.Path, ev.PID, prev); err != nil {
			return fmt.Errorf("storing audit event %s: %w", ev.ID, err)
		}
	}
	return nil
}

// EventFilter selects events for the admin audit page and its CSV export.
type EventFilter struct {
	// User matches the user name exactly, ignoring case; "" matches everyone.
	User string
	// Kind matches kinds starting with it ("auth." is every sign-in event);
	// QueryEventKind selects the SQL query records.
	Kind string
	// From and To bound the time (From inclusive, To exclusive); zero is open.
	From, To time.Time
	// Limit caps the events returned, newest first (default 500, at most 100000).
	Limit int
	// NoQueries leaves out the records of audit_log.
	NoQueries bool
}

// MaxEvents is the most events one Events call returns.
const MaxEvents = 100000

// Events returns the audit trail, newest first: audit_events and, unless
// f.NoQueries, the SQL queries of audit_log as events of kind QueryEventKind
// (detail: outcome, rows, duration, SHA-256 and the SQL text). It folds the
// spool first so the answer includes what was just recorded.
func (a *AuditLog) Events(ctx context.Context, f EventFilter) ([]AuditEvent, error) {
	if f.Limit <= 0 {
		f.Limit = 500
	}
	f.Limit = min(f.Limit, MaxEvents)
	if _, err := a.Fold(ctx); err != nil {
		a.log.Warn("folding audit spool before reading events", "err", err)
	}
	var conds []string
	var args []any
	if f.User != "" {
		conds = append(conds, "lower(user_name) = lower(?)")
		args = append(args, f.User)
	}
	if f.Kind != "" {
		conds = append(conds, "starts_with(kind, ?)")
		args = append(args, f.Kind)
	}
	if !f.From.IsZero() {
		conds = append(conds, "event_at >= ?")
		args = append(args, f.From)
	}
	if !f.To.IsZero() {
		conds = append(conds, "event_at < ?")
		args = append(args, f.To)
	}
	where := "TRUE"
	if len(conds) > 0 {
		where = strings.Join(conds, " AND ")
	}
	union := `SELECT id, seq, event_at, user_name, role, kind, detail, client_ip, method, path, pid FROM audit_events`
	if !f.NoQueries {
		union += `
		UNION ALL
		SELECT id, 0, queried_at, user_name, role, '` + QueryEventKind + `',
			outcome || '; ' || rows_returned || ' rows' || CASE WHEN truncated THEN ' (truncated)' ELSE '' END ||
			'; ' || round(duration_ms, 1) || ' ms' || coalesce('; scope ' || scope, '') || '; sha256 ' || sql_sha256 ||
			coalesce('; error: ' || error, '') || '; ' || sql_text,
			coalesce(client_ip, ''), '', client, pid FROM audit_log`
	}
	var out []AuditEvent
	err := a.withDB(ctx, func(ctx context.Context, db *sql.DB) error {
		rows, err := db.QueryContext(ctx, `SELECT * FROM (`+union+`) WHERE `+where+` ORDER BY event_at DESC, seq DESC, id LIMIT ?`, append(args, f.Limit)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ev AuditEvent
			if err := rows.Scan(&ev.ID, &ev.Seq, &ev.Time, &ev.User, &ev.Role, &ev.Kind, &ev.Detail, &ev.ClientIP, &ev.Method, &ev.Path, &ev.PID); err != nil {
				return err
			}
			out = append(out, ev)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reading the audit trail: %w", err)
	}
	return out, nil
}

// ErrChainBroken reports an audit trail that was changed after it was written.
var ErrChainBroken = errors.New("the audit trail's hash chain is broken")

// VerifyEvents recomputes the hash chain of audit_events and returns how many
// events it checked. Rows removed by retention pruning are expected (the chain
// is checked from the oldest remaining row); a changed, removed or inserted row
// anywhere after it returns ErrChainBroken naming the first bad sequence number.
func (a *AuditLog) VerifyEvents(ctx context.Context) (int, error) {
	if _, err := a.Fold(ctx); err != nil {
		a.log.Warn("folding audit spool before verifying", "err", err)
	}
	n := 0
	err := a.withDB(ctx, func(ctx context.Context, db *sql.DB) error {
		rows, err := db.QueryContext(ctx, `SELECT id, seq, event_at, user_name, role, kind, detail, client_ip, method, path, pid, chain_sha256
			FROM audit_events ORDER BY seq`)
		if err != nil {
			return err
		}
		defer rows.Close()
		var prev string
		var last int64
		for rows.Next() {
			var ev AuditEvent
			var chain string
			if err := rows.Scan(&ev.ID, &ev.Seq, &ev.Time, &ev.User, &ev.Role, &ev.Kind, &ev.Detail, &ev.ClientIP, &ev.Method, &ev.Path, &ev.PID, &chain); err != nil {
				return err
			}
			if n > 0 {
				if ev.Seq != last+1 {
					return fmt.Errorf("%w: events %d to %d are missing", ErrChainBroken, last+1, ev.Seq-1)
				}
				if chainLink(prev, ev) != chain {
					return fmt.Errorf("%w at event %d (%s %s)", ErrChainBroken, ev.Seq, ev.Kind, ev.Time.UTC().Format(time.RFC3339))
				}
			}
			prev, last = chain, ev.Seq
			n++
		}
		return rows.Err()
	})
	return n, err
}

// SetRetention sets how long audit records are kept (auth.audit_retention);
// zero or less keeps them forever. The server prunes at most hourly, from Run.
func (a *AuditLog) SetRetention(d time.Duration) {
	a.pruneMu.Lock()
	a.retention = d
	a.pruneMu.Unlock()
}

// Retention is how long audit records are kept (SetRetention); zero keeps
// them forever.
func (a *AuditLog) Retention() time.Duration {
	a.pruneMu.Lock()
	defer a.pruneMu.Unlock()
	return a.retention
}

// pruneInterval is how often Run prunes: retention is measured in years, so
// an hour late is nothing, and the deletes stay off the 2-second fold path.
const pruneInterval = time.Hour

func (a *AuditLog) maybePrune(ctx context.Context) (int64, error) {
	a.pruneMu.Lock()
	due := a.retention > 0 && a.now().Sub(a.lastPrune) >= pruneInterval
	a.pruneMu.Unlock()
	if !due {
		return 0, nil
	}
	return a.Prune(ctx)
}

// Prune deletes query records and events older than the retention period and
// records that it did (an audit.pruned event with the counts and the cutoff).
// Events go oldest first and only up to the first one inside the period (the
// newest always stays, so sequence numbers never restart), so the remaining
// chain has no gap. It returns how many rows it deleted.
func (a *AuditLog) Prune(ctx context.Context) (int64, error) {
	a.pruneMu.Lock()
	retention := a.retention
	a.lastPrune = a.now()
	a.pruneMu.Unlock()
	if retention <= 0 {
		return 0, nil
	}
	cutoff := a.now().Add(-retention)
	var total int64
	err := a.withDB(ctx, func(ctx context.Context, db *sql.DB) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }()
		res, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE queried_at < ?`, cutoff)
		if err != nil {
			return fmt.Errorf("pruning audit_log: %w", err)
		}
		queries, _ := res.RowsAffected()
		res, err = tx.ExecContext(ctx, `DELETE FROM audit_events WHERE seq < coalesce(
			(SELECT min(seq) FROM audit_events WHERE event_at >= ?), (SELECT max(seq) FROM audit_events))`, cutoff)
		if err != nil {
			return fmt.Errorf("pruning audit_events: %w", err)
		}
		events, _ := res.RowsAffected()
		total = queries + events
		if total == 0 {
			return nil
		}
		ev := AuditEvent{ID: newID(), Time: a.now(), User: "pmlens", Kind: "audit.pruned", PID: os.Getpid(),
			Detail: fmt.Sprintf("retention %s: deleted %d query records and %d events recorded before %s", retention, queries, events, cutoff.UTC().Format(time.RFC3339))}
		if err := insertEvents(ctx, tx, []AuditEvent{ev}); err != nil {
			return err
		}
		return tx.Commit()
	})
	if err != nil {
		return 0, err
	}
	if total > 0 {
		a.log.Info("pruned audit records older than the retention period", "rows", total, "retention", retention)
	}
	return total, nil
}
