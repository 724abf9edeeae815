package msproject

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ExportOptions configures reading CSV and XLSX task exports made with Project's
// Export Wizard (or copied from a task table). Values there are formatted as
// displayed, so the locale matters.
type ExportOptions struct {
	// Columns maps a header (matched case-insensitively, "_" = " ") to a field key
	// from ExportFields, for headers the built-in English/German names miss.
	Columns map[string]string
	// DateOrder is "MDY" (default), "DMY" or "YMD" for numeric dates like 03/04/25.
	DateOrder string
	// DateFormats are Go time layouts tried before the built-in date reader.
	DateFormats []string
	// DecimalSeparator is "." (default) or ","; ThousandsSeparator defaults to ","
	// for "." and to "." for ",".
	DecimalSeparator   string
	ThousandsSeparator string
	// Encoding names the text encoding of CSV files ("" = UTF-8 when the file is
	// valid UTF-8, else windows-1252, which is what Project writes in Western locales).
	Encoding string
	// Delimiter is the CSV field separator ("" = detect , ; or tab from the header).
	Delimiter string
	// Sheet picks the XLSX worksheet ("" = the first with a task header row).
	Sheet string
	// MinutesPerDay, MinutesPerWeek and DaysPerMonth convert "5 days" etc. into
	// minutes (defaults 480, 2400, 20 — Project's defaults).
	MinutesPerDay  int64
	MinutesPerWeek int64
	DaysPerMonth   float64
	// HeaderSearchRows is how many leading rows may precede the header (default 20).
	HeaderSearchRows int
}

func (o ExportOptions) withDefaults() ExportOptions {
	if o.DateOrder == "" {
		o.DateOrder = "MDY"
	}
	o.DateOrder = strings.ToUpper(o.DateOrder)
	if o.DecimalSeparator == "" {
		o.DecimalSeparator = "."
	}
	if o.ThousandsSeparator == "" {
		if o.DecimalSeparator == "," {
			o.ThousandsSeparator = "."
		} else {
			o.ThousandsSeparator = ","
		}
	}
	if o.MinutesPerDay <= 0 {
		o.MinutesPerDay = 480
	}
	if o.MinutesPerWeek <= 0 {
		o.MinutesPerWeek = o.MinutesPerDay * 5
	}
	if o.DaysPerMonth <= 0 {
		o.DaysPerMonth = 20
	}
	if o.HeaderSearchRows <= 0 {
		o.HeaderSearchRows = 20
	}
	return o
}

// Validate checks the options a configuration supplies.
func (o ExportOptions) Validate() error {
	switch strings.ToUpper(o.DateOrder) {
	case "", "MDY", "DMY", "YMD":
	default:
		return fmt.Errorf("date_order %q is not MDY, DMY or YMD", o.DateOrder)
	}
	for _, sep := range []struct{ name, v string }{{"decimal_separator", o.DecimalSeparator}, {"thousands_separator", o.ThousandsSeparator}} {
		if len(sep.v) > 1 {
			return fmt.Errorf("%s %q must be a single character", sep.name, sep.v)
		}
	}
	if o.DecimalSeparator != "" && o.DecimalSeparator != "." && o.DecimalSeparator != "," {
		return fmt.Errorf("decimal_separator %q is not \".\" or \",\"", o.DecimalSeparator)
	}
	if o.DecimalSeparator != "" && o.DecimalSeparator == o.ThousandsSeparator {
		return fmt.Errorf("decimal_separator and thousands_separator are both %q", o.DecimalSeparator)
	}
	if len(o.Delimiter) > 1 && o.Delimiter != `\t` {
		return fmt.Errorf("delimiter %q must be a single character", o.Delimiter)
	}
	for _, l := range o.DateFormats {
		if !strings.ContainsAny(l, "0126") {
			return fmt.Errorf("date format %q is not a Go time layout (write the reference date Mon Jan 2 15:04:05 2006 in your format, e.g. 02/01/2006 15:04)", l)
		}
	}
	known := map[string]bool{}
	for _, f := range ExportFields() {
		known[f] = true
	}
	keys := make([]string, 0, len(o.Columns))
	for k := range o.Columns {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, h := range keys {
		if f := o.Columns[h]; !known[f] && f != "ignore" {
			return fmt.Errorf("columns: %q maps to unknown field %q (known: %s, or ignore)", h, f, strings.Join(ExportFields(), ", "))
		}
	}
	return nil
}

func (o ExportOptions) textFormat() textFormat {
	tf := textFormat{
		decimal:   o.DecimalSeparator[0],
		dateOrder: o.DateOrder,
		layouts:   o.DateFormats,
		minPerDay: float64(o.MinutesPerDay),
		minPerWk:  float64(o.MinutesPerWeek),
		daysPerMo: o.DaysPerMonth,
	}
	if o.ThousandsSeparator != "" {
		tf.thousands = o.ThousandsSeparator[0]
	}
	return tf
}

// fieldKind says how a column's text is read.
type fieldKind int

const (
	kindText fieldKind = iota
	kindInt
	kindFlag
	kindDate
	kindDuration
	kindWork
	kindMoney
	kindPercent
	kindConstraint
	kindPredecessors
)

// exportField is one task field a column can feed.
type exportField struct {
	key      string
	kind     fieldKind
	baseline int // -1 unless the field is a baseline value
}

var baseFields = []exportField{
	{"uid", kindInt, -1}, {"id", kindInt, -1}, {"name", kindText, -1}, {"wbs", kindText, -1},
	{"outline_number", kindText, -1}, {"outline_level", kindInt, -1},
	{"summary", kindFlag, -1}, {"milestone", kindFlag, -1}, {"active", kindFlag, -1}, {"critical", kindFlag, -1},
	{"start", kindDate, -1}, {"finish", kindDate, -1},
	{"duration", kindDuration, -1}, {"actual_duration", kindDuration, -1}, {"remaining_duration", kindDuration, -1},
	{"work", kindWork, -1}, {"actual_work", kindWork, -1}, {"remaining_work", kindWork, -1},
	{"percent_complete", kindPercent, -1}, {"percent_work_complete", kindPercent, -1}, {"physical_percent_complete", kindPercent, -1},
	{"cost", kindMoney, -1}, {"fixed_cost", kindMoney, -1}, {"actual_cost", kindMoney, -1}, {"remaining_cost", kindMoney, -1},
	{"bcws", kindMoney, -1}, {"bcwp", kindMoney, -1}, {"acwp", kindMoney, -1}, {"cv", kindMoney, -1},
	{"actual_start", kindDate, -1}, {"actual_finish", kindDate, -1}, {"deadline", kindDate, -1},
	{"constraint_type", kindConstraint, -1}, {"constraint_date", kindDate, -1},
	{"total_slack", kindDuration, -1}, {"free_slack", kindDuration, -1},
	{"predecessors", kindPredecessors, -1}, {"unique_id_predecessors", kindPredecessors, -1},
}

var baselineParts = []struct {
	part string
	kind fieldKind
}{{"start", kindDate}, {"finish", kindDate}, {"duration", kindDuration}, {"work", kindWork}, {"cost", kindMoney}}

// exportFieldIndex maps every field key, including baseline_start … baseline10_cost.
var exportFieldIndex = func() map[string]exportField {
	m := map[string]exportField{}
	for _, f := range baseFields {
		m[f.key] = f
	}
	for n := 0; n <= 10; n++ {
		prefix := "baseline"
		if n > 0 {
			prefix += strconv.Itoa(n)
		}
		for _, p := range baselineParts {
			k := prefix + "_" + p.part
			m[k] = exportField{key: k, kind: p.kind, baseline: n}
		}
	}
	return m
}()

// ExportFields lists the field keys a task_export column map may name.
func ExportFields() []string {
	out := make([]string, 0, len(exportFieldIndex))
	for k := range exportFieldIndex {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// headerAliases maps normalized header text to field keys: Project's field names,
// the export-map "To" names (underscores, read as spaces), and German UI names.
var headerAliases = map[string]string{
	"unique id": "uid", "uid": "uid", "einmalige nr": "uid", "eindeutige nr": "uid", "eindeutige id": "uid",
	"id": "id", "nr": "id", "task id": "id",
	"name": "name", "task name": "name", "vorgangsname": "name",
	"wbs": "wbs", "psp-code": "wbs", "psp code": "wbs", "psp": "wbs",
	"outline number": "outline_number", "gliederungsnummer": "outline_number",
	"outline level": "outline_level", "level": "outline_level", "gliederungsebene": "outline_level",
	"summary": "summary", "sammelvorgang": "summary",
	"milestone": "milestone", "meilenstein": "milestone",
	"active": "active", "aktiv": "active",
	"critical": "critical", "kritisch": "critical",
	"start": "start", "start date": "start", "anfang": "start", "anfangstermin": "start",
	"finish": "finish", "finish date": "finish", "end": "finish", "end date": "finish", "ende": "finish",
	"duration": "duration", "dauer": "duration",
	"actual duration": "actual_duration", "aktuelle dauer": "actual_duration", "ist-dauer": "actual_duration",
	"remaining duration": "remaining_duration", "verbleibende dauer": "remaining_duration",
	"work": "work", "arbeit": "work",
	"actual work": "actual_work", "aktuelle arbeit": "actual_work", "ist-arbeit": "actual_work",
	"remaining work": "remaining_work", "verbleibende arbeit": "remaining_work",
	"% complete": "percent_complete", "percent complete": "percent_complete", "% abgeschlossen": "percent_complete",
	"% work complete": "percent_work_complete", "percent work complete": "percent_work_complete", "% arbeit abgeschlossen": "percent_work_complete",
	"physical % complete": "physical_percent_complete", "physical percent complete": "physical_percent_complete", "physisch % abgeschlossen": "physical_percent_complete",
	"cost": "cost", "kosten": "cost", "total cost": "cost",
	"fixed cost": "fixed_cost", "feste kosten": "fixed_cost",
	"actual cost": "actual_cost", "aktuelle kosten": "actual_cost", "ist-kosten": "actual_cost",
	"remaining cost": "remaining_cost", "verbleibende kosten": "remaining_cost",
	"bcws": "bcws", "bcwp": "bcwp", "acwp": "acwp", "cv": "cv",
	"planned value - pv (bcws)": "bcws", "earned value - ev (bcwp)": "bcwp", "ac (acwp)": "acwp",
	"bac":          "baseline_cost",
	"actual start": "actual_start", "aktueller anfang": "actual_start", "ist-anfang": "actual_start",
	"actual finish": "actual_finish", "aktuelles ende": "actual_finish", "ist-ende": "actual_finish",
	"deadline": "deadline", "stichtag": "deadline",
	"constraint type": "constraint_type", "einschränkungsart": "constraint_type",
	"constraint date": "constraint_date", "einschränkungstermin": "constraint_date",
	"total slack": "total_slack", "gesamte pufferzeit": "total_slack",
	"free slack": "free_slack", "freie pufferzeit": "free_slack",
	"predecessors": "predecessors", "vorgänger": "predecessors",
	"unique id predecessors": "unique_id_predecessors", "einmalige nr für vorgänger": "unique_id_predecessors",
	"baseline start": "baseline_start", "geplanter anfang": "baseline_start", "basisplananfang": "baseline_start",
	"baseline finish": "baseline_finish", "geplantes ende": "baseline_finish", "basisplanende": "baseline_finish",
	"baseline duration": "baseline_duration", "geplante dauer": "baseline_duration", "basisplandauer": "baseline_duration",
	"baseline work": "baseline_work", "geplante arbeit": "baseline_work", "basisplanarbeit": "baseline_work",
	"baseline cost": "baseline_cost", "geplante kosten": "baseline_cost", "basisplankosten": "baseline_cost",
}

var baselineHeader = regexp.MustCompile(`^baseline ?(\d{1,2}) ?(start|finish|duration|work|cost)$`)

// normHeader lower-cases a header, reads "_" as space, drops dots and collapses space.
func normHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	h = strings.ReplaceAll(h, "_", " ")
	h = strings.ReplaceAll(h, ".", "")
	return strings.Join(strings.Fields(h), " ")
}

// mapHeader resolves one header cell to a field key ("" = not a task field).
func mapHeader(h string, custom map[string]string) string {
	n := normHeader(h)
	if n == "" {
		return ""
	}
	if f, ok := custom[n]; ok {
		if f == "ignore" {
			return ""
		}
		return f
	}
	if f, ok := headerAliases[n]; ok {
		return f
	}
	if m := baselineHeader.FindStringSubmatch(n); m != nil {
		num, _ := strconv.Atoi(m[1])
		if num <= 10 {
			return "baseline" + m[1] + "_" + m[2]
		}
	}
	return ""
}

// headerMap is the column layout of one export.
type headerMap struct {
	fields  []exportField // per column; key "" = ignored
	headers []string
	has     map[string]bool
}

// matchHeader returns the layout if row looks like a task header row: at least two
// recognised columns, one of them identifying the task.
func matchHeader(row []string, custom map[string]string) (*headerMap, bool) {
	hm := &headerMap{fields: make([]exportField, len(row)), headers: make([]string, len(row)), has: map[string]bool{}}
	n := 0
	for i, cell := range row {
		hm.headers[i] = strings.TrimSpace(cell)
		key := mapHeader(cell, custom)
		if key == "" || hm.has[key] {
			continue
		}
		hm.fields[i] = exportFieldIndex[key]
		hm.has[key] = true
		n++
	}
	if n >= 2 && (hm.has["name"] || hm.has["uid"] || hm.has["id"]) {
		return hm, true
	}
	return nil, false
}

func normalizeColumns(cols map[string]string) map[string]string {
	out := make(map[string]string, len(cols))
	for h, f := range cols {
		out[normHeader(h)] = strings.ToLower(strings.TrimSpace(f))
	}
	return out
}

// tabularBuilder turns rows of an export into a Project.
type tabularBuilder struct {
	p     *Project
	hm    *headerMap
	tf    textFormat
	links []pendingLinks
	rows  int
}

// cellError describes where a bad value is; the caller turns it into a ParseError
// with line (CSV) or sheet/row/cell (XLSX).
type cellError struct {
	col int
	err error
}

// addRow converts one data row. For spreadsheets, serialDate reads date cells
// stored as serial numbers and percentScale says whether a column's bare numbers
// are fractions shown as percentages; both are nil for CSV.
func (tb *tabularBuilder) addRow(row []string, line int, serialDate func(string) (time.Time, bool), percentScale func(col int) float64) *cellError {
	empty := true
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			empty = false
			break
		}
	}
	if empty {
		return nil
	}
	tb.rows++
	t := Task{Active: true}
	bls := map[int]*Baseline{}
	var uid Opt[int64]
	var preds string
	predsByUID := false
	for i, f := range tb.hm.fields {
		if f.key == "" || i >= len(row) {
			continue
		}
		s := strings.TrimSpace(row[i])
		if s == "" {
			continue
		}
		var err error
		var bl *Baseline
		if f.baseline >= 0 {
			if bl = bls[f.baseline]; bl == nil {
				bl = &Baseline{Number: f.baseline}
				bls[f.baseline] = bl
			}
		}
		switch f.kind {
		case kindText:
			switch f.key {
			case "name":
				t.Name = s
			case "wbs":
				t.WBS = s
			case "outline_number":
				t.OutlineNumber = s
			}
		case kindInt:
			var v Opt[int64]
			if !isNA(s) {
				var x float64
				if x, err = tb.tf.parseNumber(s); err == nil {
					if x != float64(int64(x)) {
						err = fmt.Errorf("%q is not a whole number", s)
					}
					v = Some(int64(x))
				}
			}
			switch f.key {
			case "uid":
				uid = v
			case "id":
				t.ID = v
			case "outline_level":
				t.OutlineLevel = v
			}
		case kindFlag:
			var v bool
			if v, err = parseYesNo(s); err == nil {
				switch f.key {
				case "summary":
					t.Summary = v
				case "milestone":
					t.Milestone = v
				case "active":
					t.Active = v
				case "critical":
					t.Critical = v
				}
			}
		case kindDate:
			var d time.Time
			if !isNA(s) {
				var ok bool
				if serialDate != nil {
					d, ok = serialDate(s)
				}
				if !ok {
					d, err = tb.tf.parseDate(s)
				}
			}
			switch {
			case bl != nil && f.key == bl.key("start"):
				bl.Start = d
			case bl != nil:
				bl.Finish = d
			case f.key == "start":
				t.Start = d
			case f.key == "finish":
				t.Finish = d
			case f.key == "actual_start":
				t.ActualStart = d
			case f.key == "actual_finish":
				t.ActualFinish = d
			case f.key == "deadline":
				t.Deadline = d
			case f.key == "constraint_date":
				t.ConstraintDate = d
			}
		case kindDuration, kindWork:
			unit := unitDay
			if f.kind == kindWork {
				unit = unitHour
			}
			var d Dur
			if d, err = tb.tf.parseDuration(s, unit); err == nil {
				switch {
				case bl != nil && f.kind == kindWork:
					bl.Work = d
				case bl != nil:
					bl.Duration = d
				case f.key == "duration":
					t.Duration = d
				case f.key == "actual_duration":
					t.ActualDuration = d
				case f.key == "remaining_duration":
					t.RemainingDuration = d
				case f.key == "work":
					t.Work = d
				case f.key == "actual_work":
					t.ActualWork = d
				case f.key == "remaining_work":
					t.RemainingWork = d
				case f.key == "total_slack":
					t.TotalSlack = d
				case f.key == "free_slack":
					t.FreeSlack = d
				}
			}
		case kindMoney, kindPercent:
			var v Opt[float64]
			if v, err = tb.tf.parseAmount(s); err == nil && v.Valid && f.kind == kindPercent && percentScale != nil && !strings.Contains(s, "%") {
				v.V *= percentScale(i)
			}
			if err == nil {
				switch {
				case bl != nil:
					bl.Cost = v
				case f.key == "cost":
					t.Cost = v
				case f.key == "fixed_cost":
					t.FixedCost = v
				case f.key == "actual_cost":
					t.ActualCost = v
				case f.key == "remaining_cost":
					t.RemainingCost = v
				case f.key == "bcws":
					t.BCWS = v
				case f.key == "bcwp":
					t.BCWP = v
				case f.key == "acwp":
					t.ACWP = v
				case f.key == "cv":
					t.CV = v
				case f.key == "percent_complete":
					t.PercentComplete = v
				case f.key == "percent_work_complete":
					t.PercentWorkComplete = v
				case f.key == "physical_percent_complete":
					t.PhysicalPercentComplete = v
				}
			}
		case kindConstraint:
			t.ConstraintType, err = parseConstraint(s)
		case kindPredecessors:
			if f.key == "unique_id_predecessors" {
				preds, predsByUID = s, true
			} else if !predsByUID {
				preds = s
			}
		}
		if err != nil {
			return &cellError{col: i, err: err}
		}
	}
	switch {
	case uid.Valid:
		t.UID = uid.V
	case t.ID.Valid:
		t.UID = t.ID.V
	default:
		t.UID = int64(tb.rows)
		t.ID = Some(int64(tb.rows))
	}
	if !t.ID.Valid && uid.Valid {
		t.ID = uid
	}
	for n := 0; n <= 10; n++ {
		// "NA" cells leave a baseline column empty; a baseline exists only when
		// something was saved in it.
		if b := bls[n]; b != nil && (!b.Start.IsZero() || !b.Finish.IsZero() || b.Duration.Valid || b.Work.Valid || b.Cost.Valid) {
			t.Baselines = append(t.Baselines, *b)
		}
	}
	if !tb.hm.has["milestone"] && t.Duration.Valid && t.Duration.Minutes == 0 {
		t.Milestone = true
	}
	tb.p.Tasks = append(tb.p.Tasks, t)
	if preds != "" {
		tb.links = append(tb.links, pendingLinks{task: len(tb.p.Tasks) - 1, text: preds, byUID: predsByUID, line: line})
	}
	return nil
}

func (b *Baseline) key(part string) string {
	if b.Number == 0 {
		return "baseline_" + part
	}
	return "baseline" + strconv.Itoa(b.Number) + "_" + part
}

// finish resolves predecessors and fills in what the export left out.
func (tb *tabularBuilder) finish(listSep []rune) error {
	p := tb.p
	if !tb.hm.has["uid"] {
		p.Warnings = append(p.Warnings, "no Unique ID column: task UIDs are taken from the ID column (or row numbers), so history across snapshots follows row positions; add Unique_ID to the export map")
	}
	if !tb.hm.has["outline_level"] && !tb.hm.has["outline_number"] {
		p.Warnings = append(p.Warnings, "no Outline Level or Outline Number column: the task hierarchy is unknown")
	}
	byID := make(map[int64]int64, len(p.Tasks))
	for _, t := range p.Tasks {
		if t.ID.Valid {
			byID[t.ID.V] = t.UID
		}
	}
	for _, pl := range tb.links {
		t := &p.Tasks[pl.task]
		links, err := tb.tf.parsePredecessors(pl.text, listSep)
		if err != nil {
			return fmt.Errorf("row for task UID %d: predecessors: %w", t.UID, err)
		}
		for _, l := range links {
			if !pl.byUID {
				uid, ok := byID[l.PredecessorUID]
				if !ok {
					p.Warnings = append(p.Warnings, fmt.Sprintf("task UID %d names predecessor ID %d, which is not in the export", t.UID, l.PredecessorUID))
					continue
				}
				l.PredecessorUID = uid
			}
			t.Predecessors = append(t.Predecessors, l)
		}
	}
	finishProject(p)
	// Without a Summary column, a task is a summary when the next task is deeper.
	if !tb.hm.has["summary"] {
		for i := range p.Tasks {
			t := &p.Tasks[i]
			if t.ProjectSummary {
				t.Summary = true
				continue
			}
			if i+1 < len(p.Tasks) && t.OutlineLevel.Valid && p.Tasks[i+1].OutlineLevel.Valid && p.Tasks[i+1].OutlineLevel.V > t.OutlineLevel.V {
				t.Summary = true
			}
		}
	}
	return nil
}
