package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// ErrBusy is returned when every query slot stays taken for Options.QueueWait.
// Callers should show it as is and let the person retry; nothing was run.
var ErrBusy = errors.New("the SQL workbench is busy running other people's queries; retry in a moment")

// Kind classifies why a query did not return rows; it is what the API sends
// as "error.kind" and what the audit log records as the outcome.
type Kind string

// Kinds of query failure.
const (
	// KindRefused: the statement is not allowed in the workbench (not a read
	// statement, more than one statement, a file or settings function...).
	KindRefused Kind = "refused"
	// KindInvalid: DuckDB could not parse or bind the statement.
	KindInvalid Kind = "invalid"
	// KindTimeout: the query ran longer than Options.Timeout and was interrupted.
	KindTimeout Kind = "timeout"
	// KindMemory: the query needed more than Options.MemoryLimit.
	KindMemory Kind = "memory"
	// KindCancelled: the caller went away (closed tab, Ctrl-C).
	KindCancelled Kind = "cancelled"
	// KindBusy: no query slot was free (see ErrBusy).
	KindBusy Kind = "busy"
	// KindFailed: any other execution error DuckDB reported.
	KindFailed Kind = "failed"
)

// Position locates an error in the submitted SQL. Line and Column count from 1
// (Column in characters); Offset counts bytes from 0. Zero values mean unknown.
type Position struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Offset int `json:"offset"`
}

// QueryError is every error Query returns except ErrBusy and setup failures.
// Message is meant for the person who typed the SQL: DuckDB's own words where
// DuckDB refused, or the workbench rule that was hit.
type QueryError struct {
	Kind     Kind
	Message  string
	Position *Position
	Err      error
}

func (e *QueryError) Error() string {
	if e.Position != nil && e.Position.Line > 0 {
		return fmt.Sprintf("%s (line %d, column %d)", e.Message, e.Position.Line, e.Position.Column)
	}
	return e.Message
}

func (e *QueryError) Unwrap() error { return e.Err }

// KindOf returns the Kind of err: a QueryError's, KindBusy for ErrBusy, else KindFailed.
func KindOf(err error) Kind {
	var qe *QueryError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &qe):
		return qe.Kind
	case errors.Is(err, ErrBusy):
		return KindBusy
	default:
		return KindFailed
	}
}

func refused(format string, args ...any) *QueryError {
	return &QueryError{Kind: KindRefused, Message: fmt.Sprintf(format, args...)}
}

// fromDuckDB turns an error from preparing or running sql into a QueryError,
// keeping DuckDB's message and finding the position it points at.
func fromDuckDB(ctx context.Context, err error, sql string, timeout time.Duration, memoryLimit string) *QueryError {
	var qe *QueryError
	if errors.As(err, &qe) {
		return qe
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return &QueryError{Kind: KindTimeout, Err: err,
			Message: fmt.Sprintf("the query was stopped after %s, the workbench's time limit; narrow it down (filter, aggregate, LIMIT) and run it again", timeout)}
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		return &QueryError{Kind: KindCancelled, Err: err, Message: "the query was cancelled"}
	}
	var de *duckdb.Error
	msg := err.Error()
	kind := KindFailed
	if errors.As(err, &de) {
		msg = de.Msg
		switch de.Type {
		case duckdb.ErrorTypeParser, duckdb.ErrorTypeBinder, duckdb.ErrorTypeCatalog:
			kind = KindInvalid
		case duckdb.ErrorTypePermission:
			kind = KindRefused
		case duckdb.ErrorTypeOutOfMemory:
			kind = KindMemory
		case duckdb.ErrorTypeInterrupt:
			kind = KindTimeout
		}
	}
	msg = strings.TrimSpace(msg)
	pos := positionFromMessage(msg, sql)
	if kind == KindMemory {
		// DuckDB's advice (raise memory_limit, set temp_directory) cannot be
		// followed from inside the workbench, so keep only its first line.
		first, _, _ := strings.Cut(msg, "\n")
		msg = fmt.Sprintf("%s — the query needed more than the workbench's %s per query; aggregate or filter before sorting or joining large results", first, memoryLimit)
	}
	return &QueryError{Kind: kind, Message: msg, Position: pos, Err: err}
}

// positionFromMessage reads DuckDB's "LINE n: <snippet>" and caret lines and maps
// them back onto sql. DuckDB shows at most ~80 characters of the line around the
// error, marking cut ends with "...", so the snippet is searched for in the line.
func positionFromMessage(msg, sql string) *Position {
	lines := strings.Split(msg, "\n")
	for i := 0; i+1 < len(lines); i++ {
		l := lines[i]
		idx := strings.Index(l, "LINE ")
		if idx < 0 {
			continue
		}
		rest := l[idx+len("LINE "):]
		numText, snippet, ok := strings.Cut(rest, ": ")
		if !ok {
			continue
		}
		lineNo, err := strconv.Atoi(numText)
		if err != nil || lineNo < 1 {
			continue
		}
		caretLine := lines[i+1]
		caret := strings.IndexByte(caretLine, '^')
		if caret < 0 {
			continue
		}
		prefixWidth := idx + len("LINE ") + len(numText) + len(": ")
		col := caret - prefixWidth // characters into the snippet
		if col < 0 {
			continue
		}
		src := lineOf(sql, lineNo)
		if src == nil {
			return &Position{Line: lineNo}
		}
		text := snippet
		if strings.HasPrefix(text, "...") {
			text = text[3:]
			col -= 3
		}
		text = strings.TrimSuffix(text, "...")
		start := 0
		if text != "" {
			found := strings.Index(src.text, text)
			if found < 0 {
				return &Position{Line: lineNo}
			}
			start = utf8.RuneCountInString(src.text[:found])
		}
		column := start + col + 1
		return &Position{Line: lineNo, Column: column, Offset: src.offset + byteOffset(src.text, column-1)}
	}
	return nil
}

type sourceLine struct {
	text   string
	offset int
}

func lineOf(sql string, n int) *sourceLine {
	off := 0
	for i := 1; ; i++ {
		end := strings.IndexAny(sql[off:], "\r\n")
		if i == n {
			if end < 0 {
				return &sourceLine{text: sql[off:], offset: off}
			}
			return &sourceLine{text: sql[off : off+end], offset: off}
		}
		if end < 0 {
			return nil
		}
		// DuckDB counts "\r" and "\n" each as a line break, "\r\n" as two.
		off += end + 1
	}
}

// byteOffset returns the byte index of the rune number runes in s (clamped).
func byteOffset(s string, runes int) int {
	if runes <= 0 {
		return 0
	}
	n := 0
	for i := range s {
		if n == runes {
			return i
		}
		n++
	}
	return len(s)
}

// positionFromOffset converts a byte offset in sql into a Position.
func positionFromOffset(sql string, offset int) *Position {
	if offset < 0 || offset > len(sql) {
		return nil
	}
	line, lineStart := 1, 0
	for i := 0; i < offset; i++ {
		if sql[i] == '\n' || sql[i] == '\r' {
			line++
			lineStart = i + 1
		}
	}
	return &Position{Line: line, Column: utf8.RuneCountInString(sql[lineStart:offset]) + 1, Offset: offset}
}
