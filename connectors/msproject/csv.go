package msproject

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// ParseCSV reads a CSV task export. The header row is found among the first
// HeaderSearchRows rows by Project's column names (English or German, "_" or
// space) plus the configured column map.
func ParseCSV(ctx context.Context, r io.Reader, file string, opts Options) (*Project, error) {
	opts = opts.withDefaults()
	eo := opts.Export
	br := bufio.NewReaderSize(newLimitReader(r, opts.MaxBytes), 64<<10)
	head, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, &ParseError{File: file, Line: 1, Err: err}
	}
	var src io.Reader = br
	switch {
	case eo.Encoding != "":
		enc, err := htmlindex.Get(eo.Encoding)
		if err != nil {
			return nil, &ParseError{File: file, Err: fmt.Errorf("unknown encoding %q", eo.Encoding)}
		}
		src = enc.NewDecoder().Reader(br)
	case !utf8.Valid(trimPartialRune(head)):
		// Project writes CSV in the Windows ANSI code page.
		src = charmap.Windows1252.NewDecoder().Reader(br)
	}
	delim := detectDelimiter(head, eo.Delimiter)
	cr := csv.NewReader(src)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	tb := &tabularBuilder{p: newProject(FormatCSV, file), tf: eo.textFormat()}
	tb.p.MinutesPerDay, tb.p.MinutesPerWeek, tb.p.DaysPerMonth = eo.MinutesPerDay, eo.MinutesPerWeek, eo.DaysPerMonth
	custom := normalizeColumns(eo.Columns)
	rowNum := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if errors.Is(pe.Err, ErrTooLarge) {
					return nil, &ParseError{File: file, Line: pe.Line, Err: pe.Err}
				}
				return nil, &ParseError{File: file, Line: pe.Line, Column: pe.Column, Err: fmt.Errorf("malformed CSV: %w", pe.Err)}
			}
			line, _ := cr.FieldPos(0)
			return nil, &ParseError{File: file, Line: line, Err: err}
		}
		rowNum++
		if rowNum&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		line, _ := cr.FieldPos(0)
		if tb.hm == nil {
			if hm, ok := matchHeader(rec, custom); ok {
				tb.hm = hm
				continue
			}
			if rowNum >= eo.HeaderSearchRows {
				return nil, noHeaderError(file, "", eo.HeaderSearchRows)
			}
			continue
		}
		if ce := tb.addRow(rec, line, nil, nil); ce != nil {
			l, c := cr.FieldPos(ce.col)
			return nil, &ParseError{File: file, Line: l, Column: c,
				Context: fmt.Sprintf("column %q", tb.hm.headers[ce.col]), Err: ce.err}
		}
	}
	if tb.hm == nil {
		return nil, noHeaderError(file, "", eo.HeaderSearchRows)
	}
	// Predecessor lists use the Windows list separator: "," or ";".
	if err := tb.finish([]rune{',', ';'}); err != nil {
		return nil, &ParseError{File: file, Err: err}
	}
	return tb.p, nil
}

func noHeaderError(file, sheet string, rows int) error {
	msg := fmt.Errorf("no recognisable header row in the first %d rows: expected task columns such as Name, ID or Unique ID plus Start, Finish, Duration (Project's export-map names in English or German); map other headers with task_export.columns", rows)
	if sheet != "" {
		return &ParseError{File: file, Sheet: sheet, Err: msg}
	}
	return &ParseError{File: file, Err: msg}
}

// trimPartialRune drops a multi-byte character cut off at the end of a peeked buffer.
func trimPartialRune(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		r, size := utf8.DecodeLastRune(b)
		if r != utf8.RuneError || size != 1 {
			return b
		}
		// Only trim bytes that could start or continue a sequence.
		if b[len(b)-1] < 0x80 {
			return b
		}
		b = b[:len(b)-1]
		if utf8.Valid(b) {
			return b
		}
	}
	return b
}

// detectDelimiter picks the separator from the first line: the configured one, else
// whichever of tab, semicolon and comma occurs most outside quotes.
func detectDelimiter(head []byte, configured string) rune {
	switch configured {
	case `\t`, "\t":
		return '\t'
	case "":
	default:
		r, _ := utf8.DecodeRuneInString(configured)
		return r
	}
	line := head
	if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i]
	}
	counts := map[rune]int{}
	inQuote := false
	for _, r := range string(line) {
		switch {
		case r == '"':
			inQuote = !inQuote
		case !inQuote && strings.ContainsRune(",;\t", r):
			counts[r]++
		}
	}
	best, n := ',', 0
	for _, r := range []rune{',', ';', '\t'} {
		if counts[r] > n {
			best, n = r, counts[r]
		}
	}
	return best
}
