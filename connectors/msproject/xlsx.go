package msproject

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// ParseXLSX reads an Excel task export. Without a configured sheet it uses the
// first worksheet whose leading rows hold a task header row (Project names the
// task sheet "Task_Table1"). Errors name the sheet, row and cell.
func ParseXLSX(ctx context.Context, r io.Reader, file string, opts Options) (*Project, error) {
	opts = opts.withDefaults()
	eo := opts.Export
	// excelize needs the whole archive; the size limit bounds it, and the unzip
	// limit stops a small zip that inflates to gigabytes.
	f, err := excelize.OpenReader(newLimitReader(r, opts.MaxBytes), excelize.Options{
		RawCellValue:   true,
		UnzipSizeLimit: max(opts.MaxBytes*4, 64<<20),
	})
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return nil, &ParseError{File: file, Err: err}
		}
		return nil, &ParseError{File: file, Err: fmt.Errorf("not a readable XLSX workbook: %w", err)}
	}
	defer f.Close()
	date1904 := false
	if wp, err := f.GetWorkbookProps(); err == nil && wp.Date1904 != nil {
		date1904 = *wp.Date1904
	}
	sheets := f.GetSheetList()
	if eo.Sheet != "" {
		found := false
		for _, s := range sheets {
			if strings.EqualFold(s, eo.Sheet) {
				sheets, found = []string{s}, true
				break
			}
		}
		if !found {
			return nil, &ParseError{File: file, Sheet: eo.Sheet, Err: fmt.Errorf("no such worksheet (the workbook has %s)", strings.Join(f.GetSheetList(), ", "))}
		}
	} else {
		// Task sheets first: an export with resources and assignments has several.
		ordered := make([]string, 0, len(sheets))
		for _, s := range sheets {
			if strings.Contains(strings.ToLower(s), "task") {
				ordered = append(ordered, s)
			}
		}
		for _, s := range sheets {
			if !strings.Contains(strings.ToLower(s), "task") {
				ordered = append(ordered, s)
			}
		}
		sheets = ordered
	}
	custom := normalizeColumns(eo.Columns)
	for _, sheet := range sheets {
		p, found, err := parseSheet(ctx, f, file, sheet, eo, custom, date1904)
		if err != nil {
			return nil, err
		}
		if found {
			p.Format = FormatXLSX
			return p, nil
		}
	}
	sheet := ""
	if len(sheets) == 1 {
		sheet = sheets[0]
	}
	err = noHeaderError(file, sheet, eo.HeaderSearchRows)
	if sheet == "" {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.Context = fmt.Sprintf("sheets %s", strings.Join(sheets, ", "))
		}
	}
	return nil, err
}

// parseSheet reads one worksheet; found is false when no header row was seen.
func parseSheet(ctx context.Context, f *excelize.File, file, sheet string, eo ExportOptions, custom map[string]string, date1904 bool) (*Project, bool, error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, false, &ParseError{File: file, Sheet: sheet, Err: err}
	}
	defer rows.Close()
	tb := &tabularBuilder{p: newProject(FormatXLSX, file), tf: eo.textFormat()}
	tb.p.MinutesPerDay, tb.p.MinutesPerWeek, tb.p.DaysPerMonth = eo.MinutesPerDay, eo.MinutesPerWeek, eo.DaysPerMonth
	serial := func(s string) (time.Time, bool) {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v < 1 || v > 2958465 {
			return time.Time{}, false
		}
		t, err := excelize.ExcelDateToTime(v, date1904)
		if err != nil {
			return time.Time{}, false
		}
		// Round to the second: serials carry floating-point noise.
		return t.Round(time.Second).UTC(), true
	}
	scales := map[int]float64{}
	rowNum := 0
	for rows.Next() {
		rowNum++
		if rowNum&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, false, err
			}
		}
		rec, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, false, &ParseError{File: file, Sheet: sheet, Row: rowNum, Err: err}
		}
		if tb.hm == nil {
			if hm, ok := matchHeader(rec, custom); ok {
				tb.hm = hm
				continue
			}
			if rowNum >= eo.HeaderSearchRows {
				return nil, false, nil
			}
			continue
		}
		r := rowNum
		// A percentage-formatted cell holds 0.5 for 50 %; the column's number format
		// (read once) says whether to scale.
		percentScale := func(col int) float64 {
			if s, ok := scales[col]; ok {
				return s
			}
			s := 1.0
			cell, _ := excelize.CoordinatesToCellName(col+1, r)
			if id, err := f.GetCellStyle(sheet, cell); err == nil {
				if st, err := f.GetStyle(id); err == nil && (st.NumFmt == 9 || st.NumFmt == 10 || st.CustomNumFmt != nil && strings.Contains(*st.CustomNumFmt, "%")) {
					s = 100
				}
			}
			scales[col] = s
			return s
		}
		if ce := tb.addRow(rec, rowNum, serial, percentScale); ce != nil {
			cell, _ := excelize.CoordinatesToCellName(ce.col+1, rowNum)
			return nil, false, &ParseError{File: file, Sheet: sheet, Row: rowNum, Cell: cell,
				Context: fmt.Sprintf("column %q", tb.hm.headers[ce.col]), Err: ce.err}
		}
	}
	if err := rows.Error(); err != nil {
		return nil, false, &ParseError{File: file, Sheet: sheet, Err: err}
	}
	if tb.hm == nil {
		return nil, false, nil
	}
	if err := tb.finish([]rune{',', ';'}); err != nil {
		return nil, false, &ParseError{File: file, Sheet: sheet, Err: err}
	}
	return tb.p, true, nil
}
