package riskregister

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// ParseCSV reads a CSV register. The delimiter (comma, semicolon or tab) is
// taken from the header area; a UTF-8 byte-order mark is skipped and files that
// are not UTF-8 are read as Windows-1252, as Excel writes them.
func ParseCSV(name string, r io.Reader, modTime time.Time, o Options) (*Register, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: reading: %w", name, err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		data = fromWindows1252(data)
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = sniffDelimiter(data)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = false
	t := &table{file: name}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &CellError{File: name, Row: pe.Line, Err: fmt.Errorf("malformed CSV: %w", pe.Err)}
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		t.rows = append(t.rows, rec)
		t.rowNumbers = append(t.rowNumbers, line)
	}
	return parseTable(t, modTime, o)
}

// sniffDelimiter picks the most frequent of , ; and tab in the first lines.
func sniffDelimiter(data []byte) rune {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	counts := map[rune]int{}
	for i := 0; i < 5 && sc.Scan(); i++ {
		inQuote := false
		for _, c := range sc.Text() {
			switch {
			case c == '"':
				inQuote = !inQuote
			case !inQuote && (c == ',' || c == ';' || c == '\t'):
				counts[c]++
			}
		}
	}
	best := ','
	for _, c := range []rune{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// windows1252 maps the bytes 0x80–0x9F, where Windows-1252 differs from Latin-1.
var windows1252 = [32]rune{'€', 0x81, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0x8d, 'Ž', 0x8f,
	0x90, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0x9d, 'ž', 'Ÿ'}

func fromWindows1252(b []byte) []byte {
	var out strings.Builder
	out.Grow(len(b) + len(b)/8)
	for _, c := range b {
		switch {
		case c < 0x80:
			out.WriteByte(c)
		case c < 0xa0:
			out.WriteRune(windows1252[c-0x80])
		default:
			out.WriteRune(rune(c))
		}
	}
	return []byte(out.String())
}

// MaxXLSXUnzipped bounds how much an XLSX register may expand to, so a zip bomb
// cannot exhaust memory.
const MaxXLSXUnzipped = 256 << 20

// ParseXLSX reads a register from an Excel workbook: the configured sheet, or
// the first sheet with a recognisable header row.
func ParseXLSX(name string, r io.Reader, modTime time.Time, o Options) (*Register, error) {
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: MaxXLSXUnzipped, UnzipXMLSizeLimit: MaxXLSXUnzipped / 4})
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable XLSX workbook: %w", name, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if o.Sheet != "" {
		found := false
		for _, s := range sheets {
			if strings.EqualFold(s, o.Sheet) {
				sheets, found = []string{s}, true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("%s: no sheet named %q (register.sheet); the workbook has %s", name, o.Sheet, strings.Join(f.GetSheetList(), ", "))
		}
	}
	var firstErr error
	for _, s := range sheets {
		rows, err := f.GetRows(s, excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, &CellError{File: name, Sheet: s, Err: fmt.Errorf("reading sheet: %w", err)}
		}
		t := &table{file: name, sheet: s, rows: rows, excel: true}
		for i := range rows {
			t.rowNumbers = append(t.rowNumbers, i+1)
		}
		reg, err := parseTable(t, modTime, o)
		if err == nil {
			return reg, nil
		}
		if !errors.Is(err, ErrNoHeader) {
			return nil, err
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = &CellError{File: name, Err: fmt.Errorf("%w: the workbook has no sheets", ErrNoHeader)}
	}
	return nil, firstErr
}
