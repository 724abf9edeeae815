package msproject

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// MPX record numbers (MPX 4.0 file format).
const (
	mpxComment         = 0
	mpxCurrency        = 10
	mpxDefaults        = 11
	mpxDateTime        = 12
	mpxBaseCalendar    = 20
	mpxCalendarHours   = 25
	mpxCalendarExc     = 26
	mpxProjectHeader   = 30
	mpxResourceNames   = 40
	mpxResourceFields  = 41
	mpxResource        = 50
	mpxResourceNotes   = 51
	mpxResCalendar     = 55
	mpxResCalHours     = 56
	mpxResCalException = 57
	mpxTaskNames       = 60
	mpxTaskFields      = 61
	mpxTask            = 70
	mpxTaskNotes       = 71
	mpxRecurringTask   = 72
	mpxAssignment      = 75
	mpxAssignmentWG    = 76
	mpxProjectNames    = 80
	mpxDDELinks        = 81
	mpxFileCreation    = 999
)

// ParseMPX reads an MPX 4.0 file (Project 98 and earlier; readable by 2000–2010).
// The first line names the field delimiter (',' or ';') and code page; the locale's
// separators, date order and words come from records 10–12 and the English/German
// vocabulary, so localized files such as German ones (";", "4,0", "NV", "t") read
// without configuration.
func ParseMPX(ctx context.Context, r io.Reader, file string, opts Options) (*Project, error) {
	opts = opts.withDefaults()
	br := bufio.NewReader(newLimitReader(r, opts.MaxBytes))
	head, err := br.Peek(5)
	if err != nil && len(head) < 4 {
		if errors.Is(err, ErrTooLarge) {
			return nil, &ParseError{File: file, Line: 1, Err: err}
		}
		return nil, &ParseError{File: file, Line: 1, Err: errors.New("not an MPX file: too short")}
	}
	head = bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF"))
	if !bytes.HasPrefix(head, []byte("MPX")) || len(head) < 4 {
		return nil, &ParseError{File: file, Line: 1, Err: errors.New("not an MPX file: the first record must start with MPX")}
	}
	delim := rune(head[3])
	if delim != ',' && delim != ';' && delim != '\t' {
		return nil, &ParseError{File: file, Line: 1, Err: fmt.Errorf("unsupported MPX field delimiter %q", delim)}
	}
	// The code page is named on line 1, but line 1 is ASCII, so it can be read
	// before choosing the decoder for the rest.
	firstLine, _ := br.Peek(256)
	if i := bytes.IndexAny(firstLine, "\r\n"); i >= 0 {
		firstLine = firstLine[:i]
	}
	enc := mpxEncoding(string(firstLine), byte(delim))
	var src io.Reader = br
	if enc != nil {
		src = enc.NewDecoder().Reader(br)
	}
	cr := csv.NewReader(src)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true

	mp := &mpxParser{
		file: file,
		p:    newProject(FormatMPX, file),
		fmt: textFormat{decimal: '.', thousands: ',', dateOrder: "MDY",
			minPerDay: 480, minPerWk: 2400, daysPerMo: 20},
		delim:     delim,
		calByName: map[string]int64{},
		resByID:   map[int64]int64{},
		lastTask:  -1,
		lastRes:   -1,
	}
	n := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return nil, &ParseError{File: file, Line: line, Err: err}
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &ParseError{File: file, Line: pe.Line, Column: pe.Column, Err: fmt.Errorf("malformed MPX record: %w", pe.Err)}
			}
			return nil, &ParseError{File: file, Line: line, Err: err}
		}
		if n++; n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		mp.line = line
		if err := mp.record(rec); err != nil {
			return nil, err
		}
	}
	if n == 0 {
		return nil, &ParseError{File: file, Line: 1, Err: errors.New("empty MPX file")}
	}
	if err := mp.resolveLinks(); err != nil {
		return nil, err
	}
	mp.p.MinutesPerDay = int64(mp.fmt.minPerDay)
	mp.p.MinutesPerWeek = int64(mp.fmt.minPerWk)
	finishProject(mp.p)
	return mp.p, nil
}

// mpxEncoding picks the decoder named by the file-creation record's code page.
func mpxEncoding(line string, delim byte) encoding.Encoding {
	f := strings.Split(line, string(delim))
	cp := ""
	if len(f) >= 4 {
		cp = strings.ToUpper(strings.TrimSpace(f[3]))
	}
	switch cp {
	case "850":
		return charmap.CodePage850
	case "437":
		return charmap.CodePage437
	case "MAC":
		return charmap.Macintosh
	case "UTF8", "UTF-8":
		return unicode.UTF8
	}
	return charmap.Windows1252
}

type mpxParser struct {
	file  string
	p     *Project
	fmt   textFormat
	delim rune
	line  int

	taskFields []int
	resFields  []int
	lastTask   int // index into p.Tasks, -1 none
	lastRes    int
	lastCal    int // index into p.Calendars of the calendar that 25/26 records extend
	calByName  map[string]int64
	resByID    map[int64]int64
	nextAsgUID int64
	// predecessors stay as text until every task (and so every ID) is known.
	links []pendingLinks
}

type pendingLinks struct {
	task  int
	text  string
	byUID bool
	line  int
}

func (mp *mpxParser) errf(context string, err error) error {
	return &ParseError{File: mp.file, Line: mp.line, Context: context, Err: err}
}

func (mp *mpxParser) record(rec []string) error {
	if len(rec) == 0 || (len(rec) == 1 && strings.TrimSpace(rec[0]) == "") {
		return nil
	}
	num := strings.TrimSpace(strings.TrimPrefix(rec[0], "\ufeff"))
	if strings.HasPrefix(num, "MPX") {
		return nil // file creation record
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return mp.errf("", fmt.Errorf("record type %q is not a number", num))
	}
	f := rec[1:]
	switch n {
	case mpxCurrency:
		mp.currency(f)
	case mpxDefaults:
		return mp.defaults(f)
	case mpxDateTime:
		mp.dateTime(f)
	case mpxBaseCalendar:
		mp.baseCalendar(f)
	case mpxCalendarHours, mpxResCalHours:
		return mp.calendarHours(f)
	case mpxCalendarExc, mpxResCalException:
		return mp.calendarException(f)
	case mpxProjectHeader:
		return mp.header(f)
	case mpxResourceFields:
		mp.resFields = fieldNumbers(f)
	case mpxTaskFields:
		mp.taskFields = fieldNumbers(f)
	case mpxResource:
		return mp.resource(f)
	case mpxResCalendar:
		mp.resourceCalendar(f)
	case mpxTask:
		return mp.task(f)
	case mpxAssignment:
		return mp.assignment(f)
	case mpxComment, mpxResourceNames, mpxResourceNotes, mpxTaskNames, mpxTaskNotes,
		mpxRecurringTask, mpxAssignmentWG, mpxProjectNames, mpxDDELinks, mpxFileCreation:
		// Notes are free text the warehouse does not keep; the 40/60 text models
		// are localized labels of the numeric 41/61 lists.
	default:
		return mp.errf("", fmt.Errorf("unknown MPX record type %d", n))
	}
	return nil
}

func fieldNumbers(f []string) []int {
	out := make([]int, 0, len(f))
	for _, s := range f {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			n = -1
		}
		out = append(out, n)
	}
	return out
}

func field(f []string, i int) string {
	if i < len(f) {
		return strings.TrimSpace(f[i])
	}
	return ""
}

func (mp *mpxParser) currency(f []string) {
	mp.p.CurrencySymbol = field(f, 0)
	if d, err := strconv.Atoi(field(f, 2)); err == nil {
		mp.p.CurrencyDigits = Some(int64(d))
	}
	if s := field(f, 3); len(s) == 1 {
		mp.fmt.thousands = s[0]
	}
	if s := field(f, 4); len(s) == 1 {
		mp.fmt.decimal = s[0]
	}
}

func (mp *mpxParser) defaults(f []string) error {
	if s := field(f, 3); s != "" {
		v, err := mp.fmt.parseNumber(s)
		if err != nil || v <= 0 {
			return mp.errf("default settings: hours per day", fmt.Errorf("%q is not a number of hours", s))
		}
		mp.fmt.minPerDay = v * 60
	}
	if s := field(f, 4); s != "" {
		v, err := mp.fmt.parseNumber(s)
		if err != nil || v <= 0 {
			return mp.errf("default settings: hours per week", fmt.Errorf("%q is not a number of hours", s))
		}
		mp.fmt.minPerWk = v * 60
	}
	return nil
}

func (mp *mpxParser) dateTime(f []string) {
	switch field(f, 0) {
	case "0":
		mp.fmt.dateOrder = "MDY"
	case "1":
		mp.fmt.dateOrder = "DMY"
	case "2":
		mp.fmt.dateOrder = "YMD"
	}
}

func (mp *mpxParser) date(s, what string) (time.Time, error) {
	if isNA(s) {
		return time.Time{}, nil
	}
	t, ok := looseDate(s, mp.fmt.dateOrder)
	if !ok {
		return time.Time{}, mp.errf(what, fmt.Errorf("unknown date format %q (date order %s from record 12)", s, mp.fmt.dateOrder))
	}
	return t, nil
}

func (mp *mpxParser) header(f []string) error {
	p := mp.p
	p.Title = field(f, 0)
	p.CalendarName = field(f, 3)
	var err error
	if p.StartDate, err = mp.date(field(f, 4), "project header: start date"); err != nil {
		return err
	}
	if p.FinishDate, err = mp.date(field(f, 5), "project header: finish date"); err != nil {
		return err
	}
	if s := field(f, 6); s != "" {
		p.ScheduleFromStart = Some(s == "0")
	}
	if p.CurrentDate, err = mp.date(field(f, 7), "project header: current date"); err != nil {
		return err
	}
	if uid, ok := mp.calByName[p.CalendarName]; ok {
		p.CalendarUID = Some(uid)
	}
	return nil
}

func (mp *mpxParser) baseCalendar(f []string) {
	uid := int64(len(mp.p.Calendars) + 1)
	c := Calendar{UID: uid, Name: field(f, 0), IsBase: true}
	for d := 1; d <= 7; d++ {
		switch field(f, d) {
		case "0":
			c.WeekDays = append(c.WeekDays, WeekDay{DayOfWeek: d, Working: false})
		case "1":
			c.WeekDays = append(c.WeekDays, WeekDay{DayOfWeek: d, Working: true})
		}
	}
	mp.p.Calendars = append(mp.p.Calendars, c)
	mp.lastCal = len(mp.p.Calendars) - 1
	mp.calByName[c.Name] = uid
	if mp.p.CalendarName == c.Name {
		mp.p.CalendarUID = Some(uid)
	}
}

func (mp *mpxParser) resourceCalendar(f []string) {
	if mp.lastRes < 0 || len(mp.p.Resources) == 0 {
		return
	}
	r := &mp.p.Resources[mp.lastRes]
	uid := int64(len(mp.p.Calendars) + 1)
	c := Calendar{UID: uid, Name: r.Name}
	if base, ok := mp.calByName[field(f, 0)]; ok {
		c.BaseCalendarUID = Some(base)
	}
	for d := 1; d <= 7; d++ {
		switch field(f, d) {
		case "0":
			c.WeekDays = append(c.WeekDays, WeekDay{DayOfWeek: d, Working: false})
		case "1":
			c.WeekDays = append(c.WeekDays, WeekDay{DayOfWeek: d, Working: true})
		}
	}
	mp.p.Calendars = append(mp.p.Calendars, c)
	mp.lastCal = len(mp.p.Calendars) - 1
	r.CalendarUID = Some(uid)
}

func (mp *mpxParser) times(f []string, what string) ([]TimeRange, error) {
	var out []TimeRange
	for i := 0; i+1 < len(f); i += 2 {
		a, b := strings.TrimSpace(f[i]), strings.TrimSpace(f[i+1])
		if a == "" || b == "" {
			continue
		}
		from, err := normClock(a)
		if err != nil {
			return nil, mp.errf(what, err)
		}
		to, err := normClock(b)
		if err != nil {
			return nil, mp.errf(what, err)
		}
		out = append(out, TimeRange{From: from, To: to})
	}
	return out, nil
}

func (mp *mpxParser) calendarHours(f []string) error {
	if len(mp.p.Calendars) == 0 {
		return nil
	}
	c := &mp.p.Calendars[mp.lastCal]
	day, err := strconv.Atoi(field(f, 0))
	if err != nil || day < 1 || day > 7 {
		return mp.errf("calendar hours", fmt.Errorf("day %q is not 1-7", field(f, 0)))
	}
	times, err := mp.times(f[1:], "calendar hours")
	if err != nil {
		return err
	}
	for i := range c.WeekDays {
		if c.WeekDays[i].DayOfWeek == day {
			c.WeekDays[i].Times = times
			return nil
		}
	}
	c.WeekDays = append(c.WeekDays, WeekDay{DayOfWeek: day, Working: len(times) > 0, Times: times})
	return nil
}

func (mp *mpxParser) calendarException(f []string) error {
	if len(mp.p.Calendars) == 0 {
		return nil
	}
	c := &mp.p.Calendars[mp.lastCal]
	from, err := mp.date(field(f, 0), "calendar exception: from date")
	if err != nil {
		return err
	}
	to, err := mp.date(field(f, 1), "calendar exception: to date")
	if err != nil {
		return err
	}
	if to.IsZero() {
		to = from
	}
	// MPX exceptions are whole days; end them where MSPDI's do, at 23:59.
	if !to.IsZero() && to.Hour() == 0 && to.Minute() == 0 {
		to = to.Add(23*time.Hour + 59*time.Minute)
	}
	e := Exception{From: from, To: to, Working: field(f, 2) == "1"}
	if e.Working && len(f) > 3 {
		if e.Times, err = mp.times(f[3:], "calendar exception"); err != nil {
			return err
		}
	}
	c.Exceptions = append(c.Exceptions, e)
	return nil
}

func (mp *mpxParser) amount(s, what string) (Opt[float64], error) {
	v, err := mp.fmt.parseAmount(s)
	if err != nil {
		return v, mp.errf(what, err)
	}
	return v, nil
}

func (mp *mpxParser) dur(s, what string) (Dur, error) {
	d, err := mp.fmt.parseDuration(s, unitDay)
	if err != nil {
		return d, mp.errf(what, err)
	}
	return d, nil
}

func (mp *mpxParser) work(s, what string) (Dur, error) {
	d, err := mp.fmt.parseDuration(s, unitHour)
	if err != nil {
		return d, mp.errf(what, err)
	}
	return d, nil
}

func (mp *mpxParser) int(s, what string) (Opt[int64], error) {
	if isNA(s) {
		return Opt[int64]{}, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return Opt[int64]{}, mp.errf(what, fmt.Errorf("%q is not a whole number", s))
	}
	return Some(v), nil
}

func (mp *mpxParser) flag(s, what string) (bool, error) {
	if s == "" {
		return false, nil
	}
	v, err := parseYesNo(s)
	if err != nil {
		return false, mp.errf(what, err)
	}
	return v, nil
}

// units reads assignment units / max units as a fraction ("0.5", "1", "50%").
func (mp *mpxParser) units(s, what string) (Opt[float64], error) {
	v, err := mp.amount(s, what)
	if err == nil && v.Valid && strings.Contains(s, "%") {
		v.V /= 100
	}
	return v, err
}

func (mp *mpxParser) resource(f []string) error {
	if mp.resFields == nil {
		return mp.errf("resource", errors.New("resource record before the resource field list (record 41)"))
	}
	var r Resource
	r.Type = "work"
	var uid Opt[int64]
	var bl Baseline
	for i, num := range mp.resFields {
		s := field(f, i)
		if s == "" {
			continue
		}
		what := fmt.Sprintf("resource field %d", num)
		var err error
		switch num {
		case 1:
			r.Name = s
		case 3:
			r.Group = s
		case 20:
			r.Work, err = mp.work(s, what)
		case 21:
			bl.Work, err = mp.work(s, what)
		case 22:
			r.ActualWork, err = mp.work(s, what)
		case 23:
			r.RemainingWork, err = mp.work(s, what)
		case 30:
			r.Cost, err = mp.amount(s, what)
		case 31:
			bl.Cost, err = mp.amount(s, what)
		case 32:
			r.ActualCost, err = mp.amount(s, what)
		case 33:
			r.RemainingCost, err = mp.amount(s, what)
		case 40:
			r.ID, err = mp.int(s, what)
		case 41:
			r.MaxUnits, err = mp.units(s, what)
		case 42:
			if r.StandardRate, err = mp.fmt.parseRate(s); err != nil {
				err = mp.errf(what, err)
			}
			// MPX has no resource type; a material's rate is per unit, written
			// without a time unit ("$2.00" rather than "$80.00/h").
			if !strings.Contains(s, "/") {
				r.Type = "material"
			}
		case 43:
			if r.OvertimeRate, err = mp.fmt.parseRate(s); err != nil {
				err = mp.errf(what, err)
			}
		case 44:
			r.CostPerUse, err = mp.amount(s, what)
		case 49:
			uid, err = mp.int(s, what)
		case 5, 6, 7, 8, 9:
			r.Custom = append(r.Custom, CustomValue{FieldID: int64(num), ValueType: "text", Text: s})
		}
		if err != nil {
			return err
		}
	}
	switch {
	case uid.Valid:
		r.UID = uid.V
	case r.ID.Valid:
		r.UID = r.ID.V
	default:
		r.UID = int64(len(mp.p.Resources) + 1)
	}
	if bl.Work.Valid || bl.Cost.Valid {
		r.Baselines = []Baseline{bl}
	}
	if r.ID.Valid {
		mp.resByID[r.ID.V] = r.UID
	}
	mp.p.Resources = append(mp.p.Resources, r)
	mp.lastRes = len(mp.p.Resources) - 1
	return nil
}

// mpxCustomTaskField maps MPX task custom-field numbers to a field name and type.
func mpxCustomTaskField(num int) (string, string, bool) {
	switch {
	case num >= 4 && num <= 13:
		return fmt.Sprintf("Text%d", num-3), "text", true
	case num >= 36 && num <= 38:
		return fmt.Sprintf("Cost%d", num-35), "cost", true
	case num >= 46 && num <= 48:
		return fmt.Sprintf("Duration%d", num-45), "duration", true
	case num >= 110 && num <= 119:
		return fmt.Sprintf("Flag%d", num-109), "flag", true
	case num >= 140 && num <= 144:
		return fmt.Sprintf("Number%d", num-139), "number", true
	}
	switch num {
	case 60, 62, 64:
		return fmt.Sprintf("Start%d", (num-60)/2+1), "date", true
	case 61, 63, 65:
		return fmt.Sprintf("Finish%d", (num-61)/2+1), "date", true
	case 126, 128:
		return fmt.Sprintf("Start%d", (num-126)/2+4), "date", true
	case 127, 129:
		return fmt.Sprintf("Finish%d", (num-127)/2+4), "date", true
	}
	return "", "", false
}

func (mp *mpxParser) task(f []string) error {
	if mp.taskFields == nil {
		return mp.errf("task", errors.New("task record before the task field list (record 61)"))
	}
	t := Task{Active: true}
	var uid Opt[int64]
	var bl Baseline
	var preds string
	predsByUID := false
	for i, num := range mp.taskFields {
		s := field(f, i)
		if s == "" {
			continue
		}
		what := fmt.Sprintf("task field %d", num)
		if t.ID.Valid {
			what = fmt.Sprintf("task ID %d: field %d", t.ID.V, num)
		}
		var err error
		switch num {
		case 1:
			t.Name = s
		case 2:
			t.WBS = s
		case 3:
			t.OutlineLevel, err = mp.int(s, what)
		case 20:
			t.Work, err = mp.work(s, what)
		case 21:
			bl.Work, err = mp.work(s, what)
		case 22:
			t.ActualWork, err = mp.work(s, what)
		case 23:
			t.RemainingWork, err = mp.work(s, what)
		case 25:
			t.PercentWorkComplete, err = mp.amount(s, what)
		case 30:
			t.Cost, err = mp.amount(s, what)
		case 31:
			bl.Cost, err = mp.amount(s, what)
		case 32:
			t.ActualCost, err = mp.amount(s, what)
		case 33:
			t.RemainingCost, err = mp.amount(s, what)
		case 35:
			t.FixedCost, err = mp.amount(s, what)
		case 40:
			t.Duration, err = mp.dur(s, what)
		case 41:
			bl.Duration, err = mp.dur(s, what)
		case 42:
			t.ActualDuration, err = mp.dur(s, what)
		case 43:
			t.RemainingDuration, err = mp.dur(s, what)
		case 44:
			t.PercentComplete, err = mp.amount(s, what)
		case 50:
			t.Start, err = mp.date(s, what)
		case 51:
			t.Finish, err = mp.date(s, what)
		case 56:
			bl.Start, err = mp.date(s, what)
		case 57:
			bl.Finish, err = mp.date(s, what)
		case 58:
			t.ActualStart, err = mp.date(s, what)
		case 59:
			t.ActualFinish, err = mp.date(s, what)
		case 68:
			t.ConstraintDate, err = mp.date(s, what)
		case 70:
			preds = s
		case 74:
			preds, predsByUID = s, true
		case 80:
			var fixed bool
			if fixed, err = mp.flag(s, what); err == nil {
				// MPX only says whether duration is fixed.
				t.Type = Some(map[bool]int64{true: 1, false: 0}[fixed])
			}
		case 81:
			t.Milestone, err = mp.flag(s, what)
		case 82:
			t.Critical, err = mp.flag(s, what)
		case 85:
			t.BCWS, err = mp.amount(s, what)
		case 86:
			t.BCWP, err = mp.amount(s, what)
		case 88:
			t.CV, err = mp.amount(s, what)
		case 90:
			t.ID, err = mp.int(s, what)
		case 91:
			if t.ConstraintType, err = parseConstraint(s); err != nil {
				err = mp.errf(what, err)
			}
		case 93:
			t.FreeSlack, err = mp.dur(s, what)
		case 94:
			t.TotalSlack, err = mp.dur(s, what)
		case 98:
			uid, err = mp.int(s, what)
		case 99:
			t.OutlineNumber = s
		case 120:
			t.Summary, err = mp.flag(s, what)
		default:
			if name, typ, ok := mpxCustomTaskField(num); ok && !isNA(s) {
				cv := CustomValue{FieldID: int64(num), ValueType: typ}
				switch typ {
				case "text":
					cv.Text = s
				case "cost", "number":
					cv.Number, err = mp.amount(s, what)
				case "duration":
					var d Dur
					if d, err = mp.dur(s, what); err == nil {
						cv.Number = Opt[float64]{V: d.Minutes, Valid: d.Valid}
					}
				case "flag":
					var v bool
					if v, err = mp.flag(s, what); err == nil {
						cv.Flag = Some(v)
					}
				case "date":
					cv.Date, err = mp.date(s, what)
				}
				if err == nil && (cv.Text != "" || cv.Number.Valid || cv.Flag.Valid || !cv.Date.IsZero()) {
					t.Custom = append(t.Custom, cv)
					mp.defineField(int64(num), name, typ)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	switch {
	case uid.Valid:
		t.UID = uid.V
	case t.ID.Valid:
		t.UID = t.ID.V
	default:
		t.UID = int64(len(mp.p.Tasks))
	}
	if bl.Start.IsZero() && bl.Finish.IsZero() && !bl.Duration.Valid && !bl.Work.Valid && !bl.Cost.Valid {
		// nothing saved
	} else if !(bl.Start.IsZero() && bl.Finish.IsZero() && isZeroDur(bl.Duration) && isZeroDur(bl.Work) && isZeroNum(bl.Cost)) {
		// Project writes 0d / £0.00 baseline columns for tasks never baselined;
		// only a baseline with content counts as saved.
		t.Baselines = []Baseline{bl}
	}
	// A task with a non-zero duration is not a milestone, whatever its flag says.
	if t.Milestone && t.Duration.Valid && t.Duration.Minutes != 0 {
		t.Milestone = false
	}
	mp.p.Tasks = append(mp.p.Tasks, t)
	mp.lastTask = len(mp.p.Tasks) - 1
	if preds != "" {
		mp.links = append(mp.links, pendingLinks{task: mp.lastTask, text: preds, byUID: predsByUID, line: mp.line})
	}
	return nil
}

func isZeroDur(d Dur) bool          { return !d.Valid || d.Minutes == 0 }
func isZeroNum(n Opt[float64]) bool { return !n.Valid || n.V == 0 }

func (mp *mpxParser) defineField(id int64, name, typ string) {
	for _, d := range mp.p.FieldDefs {
		if d.FieldID == id {
			return
		}
	}
	mp.p.FieldDefs = append(mp.p.FieldDefs, FieldDef{FieldID: id, FieldName: name, Entity: "task", ValueType: typ})
}

func (mp *mpxParser) assignment(f []string) error {
	if len(mp.p.Tasks) == 0 {
		return mp.errf("assignment", errors.New("assignment record before any task"))
	}
	t := &mp.p.Tasks[mp.lastTask]
	mp.nextAsgUID++
	a := Assignment{UID: mp.nextAsgUID, TaskUID: t.UID, ResourceUID: PlaceholderResourceUID}
	var err error
	var bl Baseline
	what := fmt.Sprintf("assignment of task UID %d", t.UID)
	resID, err := mp.int(field(f, 0), what+": resource ID")
	if err != nil {
		return err
	}
	if a.Units, err = mp.units(field(f, 1), what+": units"); err != nil {
		return err
	}
	if a.Work, err = mp.work(field(f, 2), what+": work"); err != nil {
		return err
	}
	if bl.Work, err = mp.work(field(f, 3), what+": baseline work"); err != nil {
		return err
	}
	if a.ActualWork, err = mp.work(field(f, 4), what+": actual work"); err != nil {
		return err
	}
	if a.OvertimeWork, err = mp.work(field(f, 5), what+": overtime work"); err != nil {
		return err
	}
	if a.Cost, err = mp.amount(field(f, 6), what+": cost"); err != nil {
		return err
	}
	if bl.Cost, err = mp.amount(field(f, 7), what+": baseline cost"); err != nil {
		return err
	}
	if a.ActualCost, err = mp.amount(field(f, 8), what+": actual cost"); err != nil {
		return err
	}
	if a.Start, err = mp.date(field(f, 9), what+": start"); err != nil {
		return err
	}
	if a.Finish, err = mp.date(field(f, 10), what+": finish"); err != nil {
		return err
	}
	resUID, err := mp.int(field(f, 12), what+": resource unique ID")
	if err != nil {
		return err
	}
	switch {
	case resUID.Valid:
		a.ResourceUID = resUID.V
	case resID.Valid:
		if uid, ok := mp.resByID[resID.V]; ok {
			a.ResourceUID = uid
		}
	}
	if a.Work.Valid && a.ActualWork.Valid {
		a.RemainingWork = Minutes(a.Work.Minutes - a.ActualWork.Minutes)
	}
	if !isZeroDur(bl.Work) || !isZeroNum(bl.Cost) {
		a.Baselines = []Baseline{bl}
	}
	mp.p.Assignments = append(mp.p.Assignments, a)
	return nil
}

// resolveLinks turns the predecessor lists (by ID or by UID) into links by UID.
func (mp *mpxParser) resolveLinks() error {
	byID := make(map[int64]int64, len(mp.p.Tasks))
	for _, t := range mp.p.Tasks {
		if t.ID.Valid {
			byID[t.ID.V] = t.UID
		}
	}
	for _, pl := range mp.links {
		t := &mp.p.Tasks[pl.task]
		links, err := mp.fmt.parsePredecessors(pl.text, []rune{mp.delim, ',', ';'})
		if err != nil {
			return &ParseError{File: mp.file, Line: pl.line, Context: fmt.Sprintf("task UID %d: predecessors", t.UID), Err: err}
		}
		for _, l := range links {
			if !pl.byUID {
				uid, ok := byID[l.PredecessorUID]
				if !ok {
					mp.p.Warnings = append(mp.p.Warnings, fmt.Sprintf("line %d: task UID %d names predecessor ID %d, which is not in the file", pl.line, t.UID, l.PredecessorUID))
					continue
				}
				l.PredecessorUID = uid
			}
			t.Predecessors = append(t.Predecessors, l)
		}
	}
	return nil
}
