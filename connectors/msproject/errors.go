package msproject

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrTooLarge is returned (wrapped) when a file exceeds Options.MaxBytes.
var ErrTooLarge = errors.New("file exceeds the configured size limit")

// ErrUnsupported is returned (wrapped) for formats the connector recognises but does
// not read, such as binary .mpp files.
var ErrUnsupported = errors.New("unsupported file format")

// ParseError is a problem at a place in a file: a line and column for XML, MPX and
// CSV, or a sheet, row and cell for XLSX. Its message names the file first so it can
// be shown as-is in sync problems.
type ParseError struct {
	File   string
	Line   int
	Column int
	Sheet  string
	Row    int
	Cell   string
	// Context says which record the problem is in, e.g. "task UID 12: Start".
	Context string
	Err     error
}

// Error renders "file:line:col: context: problem" (or sheet/row/cell for XLSX).
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	switch {
	case e.Sheet != "" || e.Cell != "":
		if e.Sheet != "" {
			b.WriteString(": sheet ")
			b.WriteString(strconv.Quote(e.Sheet))
		}
		if e.Row > 0 {
			b.WriteString(", row ")
			b.WriteString(strconv.Itoa(e.Row))
		}
		if e.Cell != "" {
			b.WriteString(", cell ")
			b.WriteString(e.Cell)
		}
	case e.Line > 0:
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":")
			b.WriteString(strconv.Itoa(e.Column))
		}
	case e.Row > 0:
		b.WriteString(": row ")
		b.WriteString(strconv.Itoa(e.Row))
	}
	b.WriteString(": ")
	if e.Context != "" {
		b.WriteString(e.Context)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap gives errors.Is/As access to the cause (ErrTooLarge, ErrUnsupported …).
func (e *ParseError) Unwrap() error { return e.Err }

// limitReader fails with ErrTooLarge instead of silently truncating, so an oversize
// file is reported as such rather than as "unexpected EOF" in the middle of a record.
type limitReader struct {
	r     io.Reader
	left  int64
	limit int64
}

func newLimitReader(r io.Reader, limit int64) *limitReader {
	// Read one byte past the limit: a file of exactly limit bytes is fine.
	return &limitReader{r: io.LimitReader(r, limit+1), left: limit, limit: limit}
}

func (l *limitReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, fmt.Errorf("%w (max_file_size %s)", ErrTooLarge, FormatBytes(l.limit))
	}
	return n, err
}

// FormatBytes renders a byte count the way configuration files write it.
func FormatBytes(n int64) string {
	const (
		kib = 1 << 10
		mib = 1 << 20
		gib = 1 << 30
	)
	switch {
	case n >= gib && n%gib == 0:
		return strconv.FormatInt(n/gib, 10) + "GB"
	case n >= mib && n%mib == 0:
		return strconv.FormatInt(n/mib, 10) + "MB"
	case n >= kib && n%kib == 0:
		return strconv.FormatInt(n/kib, 10) + "KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
