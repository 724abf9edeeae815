package sandbox

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Format is an output format of Write.
type Format string

// Output formats.
const (
	FormatTable   Format = "table"   // aligned text for terminals
	FormatCSV     Format = "csv"     // RFC 4180, header row first
	FormatJSON    Format = "json"    // array of objects, keys in column order
	FormatXLSX    Format = "xlsx"    // one worksheet, typed cells
	FormatParquet Format = "parquet" // typed columns, written by DuckDB
)

// Formats lists every Format in the order the workbench offers them.
var Formats = []Format{FormatTable, FormatCSV, FormatJSON, FormatXLSX, FormatParquet}

// ParseFormat accepts a format name as typed by a person ("CSV", " json ").
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	for _, known := range Formats {
		if f == known {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q: use one of table, csv, json, xlsx, parquet", s)
}

// Binary reports whether f must go to a file rather than a terminal.
func (f Format) Binary() bool { return f == FormatXLSX || f == FormatParquet }

// ContentType is the MIME type of f.
func (f Format) ContentType() string {
	switch f {
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatJSON:
		return "application/json"
	case FormatXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case FormatParquet:
		return "application/vnd.apache.parquet"
	}
	return "text/plain; charset=utf-8"
}

// WriteOptions adjusts Write.
type WriteOptions struct {
	// SpreadsheetSafe prefixes CSV text cells that a spreadsheet would run as a
	// formula (starting with = + - @, tab or carriage return) with a single
	// quote. Jira text is written by anyone, so downloads meant for Excel set it;
	// `pmlens query` leaves CSV data untouched.
	SpreadsheetSafe bool
	// TempDir holds the Parquet file while DuckDB writes it; default os.TempDir().
	TempDir string
}

// Write renders res in format to w.
func Write(w io.Writer, res *Result, format Format, opts ...WriteOptions) error {
	var o WriteOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	switch format {
	case FormatTable:
		return writeTable(w, res)
	case FormatCSV:
		return writeCSV(w, res, o.SpreadsheetSafe)
	case FormatJSON:
		return writeJSON(w, res)
	case FormatXLSX:
		return writeXLSX(w, res)
	case FormatParquet:
		return writeParquet(w, res, o.TempDir)
	}
	return fmt.Errorf("unknown format %q", format)
}

// uniqueNames returns the column names with repeats numbered ("n", "n_2"), as
// JSON keys, Parquet columns and XLSX headers must be distinct.
func uniqueNames(cols []Column) []string {
	seen := map[string]bool{}
	out := make([]string, len(cols))
	for i, c := range cols {
		name := strings.ReplaceAll(c.Name, "\x00", "")
		if name == "" {
			name = fmt.Sprintf("column%d", i+1)
		}
		candidate := name
		for n := 2; seen[strings.ToLower(candidate)]; n++ {
			candidate = fmt.Sprintf("%s_%d", name, n)
		}
		seen[strings.ToLower(candidate)] = true
		out[i] = candidate
	}
	return out
}

func isNumericType(dbType string) bool {
	t := strings.ToUpper(dbType)
	for _, p := range []string{"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "REAL"} {
		if t == p || strings.HasPrefix(t, p+"(") {
			return true
		}
	}
	return false
}

func writeTable(w io.Writer, res *Result) error {
	bw := bufio.NewWriter(w)
	n := len(res.Columns)
	cells := make([][]string, len(res.Rows))
	widths := make([]int, n)
	for i, c := range res.Columns {
		widths[i] = utf8.RuneCountInString(c.Name)
	}
	for r, row := range res.Rows {
		cells[r] = make([]string, n)
		for i, v := range row {
			s, ok := textValue(v, res.Columns[i].Type)
			if !ok {
				s = "NULL"
			}
			// Keep one result row on one terminal line.
			s = strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
			cells[r][i] = s
			if l := utf8.RuneCountInString(s); l > widths[i] {
				widths[i] = l
			}
		}
	}
	pad := func(s string, width int, right bool) string {
		gap := strings.Repeat(" ", width-utf8.RuneCountInString(s))
		if right {
			return gap + s
		}
		return s + gap
	}
	line := func(values []string, header bool) {
		for i, s := range values {
			if i > 0 {
				bw.WriteString(" | ")
			}
			right := !header && isNumericType(res.Columns[i].Type)
			if i == n-1 && !right {
				bw.WriteString(s) // no trailing blanks
			} else {
				bw.WriteString(pad(s, widths[i], right))
			}
		}
		bw.WriteString("\n")
	}
	names := make([]string, n)
	for i, c := range res.Columns {
		names[i] = c.Name
	}
	line(names, true)
	for i := range widths {
		if i > 0 {
			bw.WriteString("-+-")
		}
		bw.WriteString(strings.Repeat("-", widths[i]))
	}
	bw.WriteString("\n")
	for _, row := range cells {
		line(row, false)
	}
	switch {
	case res.Truncated:
		fmt.Fprintf(bw, "(%d rows shown; the result was cut at the workbench's row limit)\n", len(res.Rows))
	case len(res.Rows) == 1:
		bw.WriteString("(1 row)\n")
	default:
		fmt.Fprintf(bw, "(%d rows)\n", len(res.Rows))
	}
	return bw.Flush()
}

func writeCSV(w io.Writer, res *Result, safe bool) error {
	cw := csv.NewWriter(w)
	header := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		header[i] = c.Name
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	record := make([]string, len(res.Columns))
	for _, row := range res.Rows {
		for i, v := range row {
			s, _ := textValue(v, res.Columns[i].Type)
			if _, isText := v.(string); safe && isText && s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
				s = "'" + s
			}
			record[i] = s
		}
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeJSON(w io.Writer, res *Result) error {
	bw := bufio.NewWriter(w)
	names := uniqueNames(res.Columns)
	keys := make([][]byte, len(names))
	for i, n := range names {
		k, err := json.Marshal(n)
		if err != nil {
			return err
		}
		keys[i] = k
	}
	bw.WriteString("[")
	for r, row := range res.Rows {
		if r > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n  {")
		for i, v := range row {
			if i > 0 {
				bw.WriteString(", ")
			}
			bw.Write(keys[i])
			bw.WriteString(": ")
			b, err := json.Marshal(jsonValue(v, res.Columns[i].Type))
			if err != nil {
				return fmt.Errorf("column %s, row %d: %w", names[i], r+1, err)
			}
			bw.Write(b)
		}
		bw.WriteString("}")
	}
	if len(res.Rows) > 0 {
		bw.WriteString("\n")
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// xlsxMaxCellChars is Excel's limit on the text of one cell.
const xlsxMaxCellChars = 32767

func writeXLSX(w io.Writer, res *Result) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Result"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	// Fixed document properties keep downloads of the same result identical.
	epoch := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	if err := f.SetDocProps(&excelize.DocProperties{Creator: "pmlens", Created: epoch, Modified: epoch, Title: "pmlens query result"}); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	dateFmt, timeFmt := "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return err
	}
	tsStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &timeFmt})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	names := uniqueNames(res.Columns)
	header := make([]any, len(names))
	for i, n := range names {
		header[i] = excelize.Cell{StyleID: bold, Value: n}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	for r, row := range res.Rows {
		cells := make([]any, len(row))
		for i, v := range row {
			cells[i] = xlsxCell(v, res.Columns[i].Type, dateStyle, tsStyle)
		}
		cell, err := excelize.CoordinatesToCellName(1, r+2)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, cells); err != nil {
			return fmt.Errorf("row %d: %w", r+1, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

func xlsxCell(v any, dbType string, dateStyle, tsStyle int) any {
	switch t := v.(type) {
	case nil:
		return nil
	case bool, float64:
		return t
	case int64:
		// Excel keeps 15 significant digits; longer integers (ids) stay exact as text.
		if t > 999_999_999_999_999 || t < -999_999_999_999_999 {
			return strconv.FormatInt(t, 10)
		}
		return t
	case json.Number:
		// Excel keeps 15 significant digits; longer numbers stay exact as text.
		if len(strings.TrimLeft(string(t), "-0.")) <= 15 {
			if f, err := strconv.ParseFloat(string(t), 64); err == nil {
				return f
			}
		}
		return string(t)
	case time.Time:
		switch timeKindOf(dbType) {
		case timeDate:
			return excelize.Cell{StyleID: dateStyle, Value: t}
		case timeOfDay:
			return formatTime(t, dbType)
		default:
			// Excel has no time zones: TIMESTAMPTZ is written in UTC.
			u := t.UTC()
			return excelize.Cell{StyleID: tsStyle, Value: time.Date(u.Year(), u.Month(), u.Day(), u.Hour(), u.Minute(), u.Second(), u.Nanosecond(), time.UTC)}
		}
	}
	s, _ := textValue(v, dbType)
	if utf8.RuneCountInString(s) > xlsxMaxCellChars {
		s = string([]rune(s)[:xlsxMaxCellChars-1]) + "…"
	}
	return s
}

// JSONRow returns one row of res as the JSON API shows it: dates and times as
// ISO 8601 text, bytes as \x.. text, exact numbers as JSON numbers.
func JSONRow(res *Result, row []any) []any {
	out := make([]any, len(row))
	for i, v := range row {
		typ := ""
		if i < len(res.Columns) {
			typ = res.Columns[i].Type
		}
		out[i] = jsonValue(v, typ)
	}
	return out
}
