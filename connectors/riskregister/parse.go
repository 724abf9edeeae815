// Package riskregister reads PMO risk registers kept as CSV or XLSX files: it
// finds the header row, recognises the usual column names (or a configured
// column map), reads probabilities written as percentages, fractions or 1–5
// ratings, cost and 1–5 impacts, dates and statuses, and reports every bad row
// with its file, row and column while the good rows still load.
package riskregister

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/pmlens/pmlens/configs"
)

// Snapshot date sources recorded with each register.
const (
	DateFromColumn   = "column"
	DateFromFilename = "filename"
	DateFromFileTime = "file_time"
)

// Options configure parsing; build them from the source's configuration with
// OptionsFrom.
type Options struct {
	Columns          map[string]string // field → header text
	DateLayouts      []string          // Go layouts
	DecimalComma     bool
	ProbabilityScale string // auto, percent, fraction, score
	SnapshotDate     string // auto, column, filename, file_time
	Sheet            string
	HeaderRow        int // 1-based; 0 = search
	DefaultProject   string
}

// OptionsFrom converts the configured register format.
func OptionsFrom(f configs.RegisterFormat) (Options, error) {
	o := Options{Columns: f.Columns, DecimalComma: f.DecimalComma, ProbabilityScale: f.ProbabilityScale,
		SnapshotDate: f.SnapshotDate, Sheet: f.Sheet, HeaderRow: f.HeaderRow, DefaultProject: f.DefaultProject}
	for _, df := range f.DateFormats {
		l, err := configs.DateLayout(df)
		if err != nil {
			return Options{}, err
		}
		o.DateLayouts = append(o.DateLayouts, l)
	}
	return o, nil
}

// Risk is one row of a register, in natural units. Zero dates and nil numbers
// are empty cells.
type Risk struct {
	Row                                                   int
	ID, Title, Category, Owner, Status, Response, Project string
	Opened, Closed, Due                                   time.Time
	Probability                                           *float64 // 0–1
	ProbabilityScore                                      *int     // 1–5
	ImpactCost                                            *float64
	ImpactScore                                           *int // 1–5
}

// IsOpen reports whether the risk is still open: it has no closed date and its
// status is not one of the closing words.
func (r Risk) IsOpen() bool {
	if !r.Closed.IsZero() {
		return false
	}
	switch normalize(r.Status) {
	case "closed", "retired", "resolved", "done", "expired", "cancelled", "canceled", "occurred", "realised", "realized", "complete", "completed":
		return false
	}
	return true
}

// Register is one parsed register file: a dated snapshot of the risks in it.
type Register struct {
	File       string
	Sheet      string
	AsOf       time.Time
	DateSource string
	Risks      []Risk
	// Problems are the rows that were skipped, each naming file, row and column.
	Problems []*CellError
}

// CellError is a problem with one cell (or row, when Column is empty).
type CellError struct {
	File   string
	Sheet  string
	Row    int // 1-based, as a spreadsheet shows it
	Column string
	Err    error
}

func (e *CellError) Error() string {
	loc := e.File
	if e.Sheet != "" {
		loc += " sheet " + e.Sheet
	}
	if e.Row > 0 {
		loc += fmt.Sprintf(" row %d", e.Row)
	}
	if e.Column != "" {
		loc += fmt.Sprintf(" column %q", e.Column)
	}
	return loc + ": " + e.Err.Error()
}

func (e *CellError) Unwrap() error { return e.Err }

// Location is where the problem is, for sync_problems.location.
func (e *CellError) Location() string {
	loc := e.File
	if e.Sheet != "" {
		loc += "[" + e.Sheet + "]"
	}
	if e.Row > 0 {
		loc += fmt.Sprintf(":%d", e.Row)
	}
	if e.Column != "" {
		loc += " (" + e.Column + ")"
	}
	return loc
}

// ErrNoHeader means no row of the file looked like a register header.
var ErrNoHeader = errors.New("no recognisable header row")

// MaxHeaderSearch is how many leading rows are searched for the header.
const MaxHeaderSearch = 20

// headerAliases maps normalized header texts to fields.
var headerAliases = map[string]string{}

func init() {
	for field, names := range map[string][]string{
		"id":                {"id", "risk id", "riskid", "ref", "risk ref", "reference", "risk no", "risk number", "no", "key", "risk key"},
		"title":             {"title", "risk title", "risk", "name", "risk name", "summary", "description", "risk description", "risk event"},
		"category":          {"category", "risk category", "type", "risk type", "risk area", "area"},
		"probability":       {"probability", "probability %", "probability percent", "likelihood", "likelihood %", "prob", "prob %", "probability 0 1", "chance", "probability of occurrence"},
		"probability_score": {"probability 1 5", "probability score", "probability rating", "probability level", "likelihood 1 5", "likelihood score", "likelihood rating", "likelihood level"},
		"impact":            {"impact", "consequence"},
		"impact_cost":       {"impact cost", "cost impact", "impact $", "impact €", "impact £", "financial impact", "impact amount", "impact value", "cost", "impact usd", "impact eur", "impact gbp", "cost of impact", "exposure cost"},
		"impact_score":      {"impact 1 5", "impact score", "impact rating", "impact level", "severity", "consequence 1 5", "consequence score", "consequence rating"},
		"owner":             {"owner", "risk owner", "owned by", "assigned to", "assignee", "responsible"},
		"status":            {"status", "risk status", "state"},
		"response":          {"response", "mitigation", "response plan", "mitigation plan", "response strategy", "mitigation strategy", "mitigation actions", "response actions", "action", "actions", "treatment"},
		"opened":            {"opened", "date opened", "opened on", "open date", "raised", "date raised", "raised on", "identified", "date identified", "created", "date created"},
		"closed":            {"closed", "date closed", "closed on", "close date", "resolved", "date resolved", "closure date"},
		"due":               {"due", "due date", "response due", "response due date", "target date", "action due", "action due date", "target resolution date", "mitigation due"},
		"project":           {"project", "project name", "project id", "project code", "project key", "programme project", "program project"},
		"as_of":             {"as of", "as at", "as of date", "snapshot date", "report date", "status date", "register date"},
	} {
		for _, n := range names {
			if prev, dup := headerAliases[normalize(n)]; dup && prev != field {
				panic("riskregister: header alias " + n + " names both " + prev + " and " + field)
			}
			headerAliases[normalize(n)] = field
		}
	}
}

// table is a grid of cell texts as read from a CSV or a worksheet.
type table struct {
	file, sheet string
	rows        [][]string
	rowNumbers  []int // spreadsheet row number of each row
	excel       bool  // cells are XLSX raw values (dates as serial numbers)
}

// columns maps fields to column indexes, plus the header text of each column.
type columns struct {
	idx     map[string]int
	headers []string
}

// findHeader locates the header row and maps its columns to fields.
func findHeader(t *table, o Options) (int, columns, error) {
	custom := map[string]string{}
	for field, h := range o.Columns {
		custom[normalize(h)] = field
	}
	try := func(i int) (columns, bool) {
		c := columns{idx: map[string]int{}, headers: t.rows[i]}
		for j, h := range t.rows[i] {
			n := normalize(h)
			field, ok := custom[n]
			if !ok {
				field, ok = headerAliases[n]
			}
			if !ok {
				continue
			}
			if _, dup := c.idx[field]; !dup {
				c.idx[field] = j
			}
		}
		_, hasID := c.idx["id"]
		return c, hasID && len(c.idx) >= 3
	}
	if o.HeaderRow > 0 {
		for i, n := range t.rowNumbers {
			if n == o.HeaderRow {
				if c, ok := try(i); ok {
					return i, c, nil
				}
				break
			}
		}
		return 0, columns{}, &CellError{File: t.file, Sheet: t.sheet, Row: o.HeaderRow,
			Err: fmt.Errorf("%w: register.header_row %d does not name an ID column and two others", ErrNoHeader, o.HeaderRow)}
	}
	for i := 0; i < len(t.rows) && i < MaxHeaderSearch; i++ {
		if c, ok := try(i); ok {
			return i, c, nil
		}
	}
	return 0, columns{}, &CellError{File: t.file, Sheet: t.sheet,
		Err: fmt.Errorf("%w in the first %d rows: expected an ID column and at least two of Title, Category, Probability, Impact, Owner, Status, Response, Opened, Closed, Due, Project (map other headers with register.columns)", ErrNoHeader, MaxHeaderSearch)}
}

// Probability scales.
const (
	scalePercent  = "percent"
	scaleFraction = "fraction"
	scaleScore    = "score"
)

// probabilityScaleFor decides how a file writes probabilities: the configured
// scale, else the header's hint, else the values themselves.
func probabilityScaleFor(o Options, header string, values []string, num numberOptions) string {
	if o.ProbabilityScale != "" && o.ProbabilityScale != "auto" {
		return o.ProbabilityScale
	}
	maxV, allLevels, anyPercent, numeric := 0.0, true, false, 0
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			continue
		}
		if f, pct, err := num.parseNumber(v); err == nil {
			numeric++
			anyPercent = anyPercent || pct
			maxV = max(maxV, f)
			if f != float64(int(f)) || f < 1 || f > 5 {
				allLevels = false
			}
			continue
		}
		if _, err := parseLevel(v); err != nil {
			allLevels = false
		}
	}
	n := normalize(header)
	switch {
	case anyPercent:
		return scalePercent
	case numeric > 0 && maxV <= 1:
		// "0.4" under a "Probability (%)" header is a formatted 40 % cell.
		return scaleFraction
	case strings.Contains(n, "%") || strings.Contains(n, "percent"):
		return scalePercent
	case strings.Contains(n, "1 5") || strings.Contains(n, "score") || strings.Contains(n, "rating") || strings.Contains(n, "level"):
		return scaleScore
	case allLevels:
		return scaleScore
	}
	return scalePercent
}

// impactIsScore decides whether a lone "Impact" column holds 1–5 ratings.
func impactIsScore(values []string) bool {
	seen := false
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			continue
		}
		if _, err := parseLevel(v); err != nil {
			return false
		}
		seen = true
	}
	return seen
}

var fileDate = regexp.MustCompile(`(20\d\d|19\d\d)[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])`)

// DateFromName finds a yyyy-mm-dd (or yyyymmdd, yyyy_mm_dd) date in a file name.
func DateFromName(name string) (time.Time, bool) {
	m := fileDate.FindStringSubmatch(filepath.Base(name))
	if m == nil {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102", m[1]+m[2]+m[3])
	return t, err == nil
}

// parseTable turns a grid into a register.
func parseTable(t *table, modTime time.Time, o Options) (*Register, error) {
	hi, cols, err := findHeader(t, o)
	if err != nil {
		return nil, err
	}
	num := numberOptions{decimalComma: o.DecimalComma}
	reg := &Register{File: t.file, Sheet: t.sheet}
	column := func(field string) []string {
		j, ok := cols.idx[field]
		if !ok {
			return nil
		}
		var out []string
		for _, r := range t.rows[hi+1:] {
			if j < len(r) {
				out = append(out, r[j])
			}
		}
		return out
	}
	probScale := ""
	if _, ok := cols.idx["probability"]; ok {
		probScale = probabilityScaleFor(o, cols.headers[cols.idx["probability"]], column("probability"), num)
	}
	impactField := ""
	if _, ok := cols.idx["impact"]; ok {
		impactField = "impact_cost"
		if impactIsScore(column("impact")) {
			impactField = "impact_score"
		}
		// A dedicated column of the same kind wins over the lone "Impact" one.
		if _, dup := cols.idx[impactField]; !dup {
			cols.idx[impactField] = cols.idx["impact"]
		}
	}
	var asOfs []time.Time
	for ri := hi + 1; ri < len(t.rows); ri++ {
		row := t.rows[ri]
		rowNo := t.rowNumbers[ri]
		if blank(row) {
			continue
		}
		risk, asOf, cerr := parseRow(t, cols, row, rowNo, probScale, num, o)
		if cerr != nil {
			reg.Problems = append(reg.Problems, cerr)
			continue
		}
		if risk.Project == "" {
			risk.Project = o.DefaultProject
		}
		if !asOf.IsZero() {
			asOfs = append(asOfs, asOf)
		}
		reg.Risks = append(reg.Risks, risk)
	}
	mode := o.SnapshotDate
	if mode == "" {
		mode = "auto"
	}
	if (mode == "auto" || mode == DateFromColumn) && len(asOfs) > 0 {
		// A register is one snapshot: its latest as-of date stands for it.
		for _, d := range asOfs {
			if d.After(reg.AsOf) {
				reg.AsOf = d
			}
		}
		reg.DateSource = DateFromColumn
	}
	if reg.AsOf.IsZero() && (mode == "auto" || mode == DateFromFilename) {
		if d, ok := DateFromName(t.file); ok {
			reg.AsOf, reg.DateSource = d, DateFromFilename
		}
	}
	if reg.AsOf.IsZero() && (mode == "auto" || mode == DateFromFileTime) && !modTime.IsZero() {
		reg.AsOf, reg.DateSource = dateOnly(modTime.UTC()), DateFromFileTime
	}
	if reg.AsOf.IsZero() {
		return nil, &CellError{File: t.file, Sheet: t.sheet, Err: fmt.Errorf("no snapshot date: register.snapshot_date is %s but the file has none", mode)}
	}
	return reg, nil
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// parseRow reads one data row; the first bad cell rejects the row.
func parseRow(t *table, cols columns, row []string, rowNo int, probScale string, num numberOptions, o Options) (Risk, time.Time, *CellError) {
	r := Risk{Row: rowNo}
	var asOf time.Time
	cell := func(field string) (string, string) {
		j, ok := cols.idx[field]
		if !ok || j >= len(row) {
			return "", ""
		}
		return strings.TrimSpace(row[j]), cols.headers[j]
	}
	bad := func(header string, err error) *CellError {
		return &CellError{File: t.file, Sheet: t.sheet, Row: rowNo, Column: header, Err: err}
	}
	var h string
	r.ID, h = cell("id")
	if r.ID == "" {
		return r, asOf, bad(h, errors.New("the risk has no ID"))
	}
	r.Title, _ = cell("title")
	r.Category, _ = cell("category")
	r.Owner, _ = cell("owner")
	r.Status, _ = cell("status")
	r.Response, _ = cell("response")
	r.Project, _ = cell("project")
	for _, d := range []struct {
		field string
		dst   *time.Time
	}{{"opened", &r.Opened}, {"closed", &r.Closed}, {"due", &r.Due}, {"as_of", &asOf}} {
		v, h := cell(d.field)
		if v == "" {
			continue
		}
		t0, err := parseDate(v, o.DateLayouts, t.excel)
		if err != nil {
			return r, asOf, bad(h, err)
		}
		*d.dst = t0
	}
	if v, h := cell("probability"); v != "" {
		switch probScale {
		case scaleScore:
			s, err := parseLevel(v)
			if err != nil {
				return r, asOf, bad(h, err)
			}
			p := scoreProbability(s)
			r.Probability, r.ProbabilityScore = &p, &s
		default:
			f, pct, err := num.parseNumber(v)
			if err != nil {
				if s, lerr := parseLevel(v); lerr == nil {
					// A word rating inside a numeric column: take it as a score.
					p := scoreProbability(s)
					r.Probability, r.ProbabilityScore = &p, &s
					break
				}
				return r, asOf, bad(h, fmt.Errorf("%q is not a probability", v))
			}
			if probScale == scalePercent || pct {
				f /= 100
			}
			if f < 0 || f > 1 {
				return r, asOf, bad(h, fmt.Errorf("probability %q is outside 0–100 %%", v))
			}
			s := probabilityScore(f)
			r.Probability, r.ProbabilityScore = &f, &s
		}
	}
	if v, h := cell("probability_score"); v != "" {
		s, err := parseLevel(v)
		if err != nil {
			return r, asOf, bad(h, err)
		}
		r.ProbabilityScore = &s
		if r.Probability == nil {
			p := scoreProbability(s)
			r.Probability = &p
		}
	}
	if v, h := cell("impact_cost"); v != "" {
		f, pct, err := num.parseNumber(v)
		if err != nil || pct {
			return r, asOf, bad(h, fmt.Errorf("%q is not an amount of money", v))
		}
		r.ImpactCost = &f
	}
	if v, h := cell("impact_score"); v != "" {
		s, err := parseLevel(v)
		if err != nil {
			return r, asOf, bad(h, err)
		}
		r.ImpactScore = &s
	}
	if !r.Closed.IsZero() && !r.Opened.IsZero() && r.Closed.Before(r.Opened) {
		_, h := cell("closed")
		return r, asOf, bad(h, fmt.Errorf("closed %s before it was opened %s", r.Closed.Format("2006-01-02"), r.Opened.Format("2006-01-02")))
	}
	return r, asOf, nil
}

// Parse reads a register file's bytes: XLSX when they are a ZIP archive,
// otherwise CSV (comma, semicolon or tab separated). modTime dates the snapshot
// when neither a column nor the file name does.
func Parse(name string, data []byte, modTime time.Time, o Options) (*Register, error) {
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return ParseXLSX(name, bytes.NewReader(data), modTime, o)
	}
	return ParseCSV(name, bytes.NewReader(data), modTime, o)
}

// StripDate removes the date DateFromName would find from a file stem
// ("ehr-risks-2026-05-01" → "ehr-risks-").
func StripDate(stem string) string {
	if loc := fileDate.FindStringIndex(stem); loc != nil {
		return stem[:loc[0]] + stem[loc[1]:]
	}
	return stem
}
