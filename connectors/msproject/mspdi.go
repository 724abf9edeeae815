package msproject

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding/htmlindex"
)

// MSPDINamespace is the default namespace of "Save As XML" files. Elements are
// matched by local name, so files without it (or with it on a prefix) read the same.
const MSPDINamespace = "http://schemas.microsoft.com/project"

// ParseMSPDI reads a Microsoft Project XML (MSPDI) document from r. It streams:
// memory grows with the number of records kept, never with the size of text the
// file carries, and reading stops with ErrTooLarge past opts.MaxBytes. file names
// the input in errors.
func ParseMSPDI(ctx context.Context, r io.Reader, file string, opts Options) (*Project, error) {
	opts = opts.withDefaults()
	d := xml.NewDecoder(newLimitReader(r, opts.MaxBytes))
	d.CharsetReader = charsetReader
	ps := &mspdiParser{
		ctx:  ctx,
		d:    d,
		file: file,
		p:    newProject(FormatMSPDI, file),
		defs: map[int64]int{},
	}
	if err := ps.document(); err != nil {
		return nil, err
	}
	finishProject(ps.p)
	return ps.p, nil
}

// charsetReader decodes the legacy encodings Project and converters write
// (windows-1252, ISO-8859-x, GB2312 …); encoding/xml only knows UTF-8 itself.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(label)
	if err != nil {
		return nil, fmt.Errorf("unsupported character encoding %q", label)
	}
	return enc.NewDecoder().Reader(input), nil
}

func newProject(f Format, file string) *Project {
	return &Project{Format: f, File: file, MinutesPerDay: 480, MinutesPerWeek: 2400, DaysPerMonth: 20}
}

type mspdiParser struct {
	ctx  context.Context
	d    *xml.Decoder
	file string
	p    *Project
	buf  []byte
	tp   []byte
	open []xml.Name    // elements opened and not yet closed
	defs map[int64]int // FieldID → index in p.FieldDefs

	// The record being read, for error messages (built only when one is needed).
	recKind  string
	recIndex int
	recUID   int64
	recHasID bool
	records  int
}

// err wraps a problem at the decoder's current position.
func (ps *mspdiParser) err(field string, err error) error {
	line, col := ps.d.InputPos()
	ctx := ""
	if ps.recKind != "" {
		if ps.recHasID {
			ctx = fmt.Sprintf("%s UID %d", ps.recKind, ps.recUID)
		} else {
			ctx = fmt.Sprintf("%s #%d", ps.recKind, ps.recIndex)
		}
	}
	if field != "" {
		if ctx != "" {
			ctx += ": "
		}
		ctx += "<" + field + ">"
	}
	return &ParseError{File: ps.file, Line: line, Column: col, Context: ctx, Err: err}
}

// xmlErr turns a decoder error into a ParseError naming the line.
func (ps *mspdiParser) xmlErr(err error) error {
	var pe *ParseError
	if errors.As(err, &pe) {
		return err
	}
	if errors.Is(err, ErrTooLarge) {
		line, _ := ps.d.InputPos()
		return &ParseError{File: ps.file, Line: line, Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		msg := se.Msg
		if msg == "unexpected EOF" {
			msg = "unexpected end of file (the file is truncated)"
		}
		return &ParseError{File: ps.file, Line: se.Line, Err: fmt.Errorf("malformed XML: %s", msg)}
	}
	if err == io.EOF {
		line, _ := ps.d.InputPos()
		return &ParseError{File: ps.file, Line: line, Err: errors.New("unexpected end of file before </Project> (the file is truncated)")}
	}
	line, _ := ps.d.InputPos()
	return &ParseError{File: ps.file, Line: line, Err: err}
}

// document reads the prolog and the root element.
func (ps *mspdiParser) document() error {
	for {
		tok, err := ps.next()
		if err == io.EOF {
			return &ParseError{File: ps.file, Err: errors.New("no XML root element (empty file?)")}
		}
		if err != nil {
			return ps.xmlErr(err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			// Go's decoder never expands custom entities, but a DTD that declares
			// them marks a file that is not what Project writes (and the classic
			// "billion laughs" shape): refuse it outright.
			if bytes.Contains(bytes.ToUpper(t), []byte("<!ENTITY")) || bytes.Contains(bytes.ToUpper(t), []byte("ENTITY ")) {
				line, _ := ps.d.InputPos()
				return &ParseError{File: ps.file, Line: line, Err: errors.New("DOCTYPE declares entities; Project never writes them, refusing the file (possible entity-expansion attack)")}
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				line, _ := ps.d.InputPos()
				return &ParseError{File: ps.file, Line: line, Err: errors.New("text before the root element: not an XML document")}
			}
		case xml.StartElement:
			if ns := rootNamespace(t); t.Name.Local != "Project" || (ns != "" && !strings.HasPrefix(ns, MSPDINamespace)) {
				line, _ := ps.d.InputPos()
				name := t.Name.Local
				if ns := rootNamespace(t); ns != "" {
					name += " xmlns=" + strconv.Quote(ns)
				}
				return &ParseError{File: ps.file, Line: line, Err: fmt.Errorf("wrong root element <%s>: expected <Project xmlns=%q> (Microsoft Project XML)", name, MSPDINamespace)}
			}
			return ps.project()
		}
	}
}

// next reads the next token. It uses RawToken, which skips encoding/xml's
// namespace bookkeeping (elements are matched by local name anyway), and does the
// one check Token would add: that every end tag closes the element it should.
func (ps *mspdiParser) next() (xml.Token, error) {
	tok, err := ps.d.RawToken()
	if err != nil {
		if err == io.EOF && len(ps.open) > 0 {
			return nil, ps.xmlErr(io.EOF)
		}
		return nil, err
	}
	switch t := tok.(type) {
	case xml.StartElement:
		ps.open = append(ps.open, t.Name)
	case xml.EndElement:
		n := len(ps.open)
		if n == 0 {
			line, _ := ps.d.InputPos()
			return nil, &ParseError{File: ps.file, Line: line, Err: fmt.Errorf("malformed XML: unexpected end element </%s>", rawName(t.Name))}
		}
		if want := ps.open[n-1]; want != t.Name {
			line, _ := ps.d.InputPos()
			return nil, &ParseError{File: ps.file, Line: line, Err: fmt.Errorf("malformed XML: element <%s> closed by </%s>", rawName(want), rawName(t.Name))}
		}
		ps.open = ps.open[:n-1]
	}
	return tok, nil
}

func rawName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// rootNamespace resolves the root element's namespace from its own declarations
// (RawToken leaves prefixes unresolved): the default xmlns, or xmlns:prefix.
func rootNamespace(se xml.StartElement) string {
	for _, a := range se.Attr {
		if se.Name.Space == "" && a.Name.Space == "" && a.Name.Local == "xmlns" ||
			se.Name.Space != "" && a.Name.Space == "xmlns" && a.Name.Local == se.Name.Space {
			return a.Value
		}
	}
	return ""
}

// child advances to the next child element of the current element and returns its
// local name; ok is false once the current element's end tag has been consumed.
func (ps *mspdiParser) child() (name string, ok bool, err error) {
	for {
		tok, err := ps.next()
		if err != nil {
			return "", false, ps.xmlErr(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t.Name.Local, true, nil
		case xml.EndElement:
			return "", false, nil
		}
	}
}

// text reads the character data of a leaf element up to its end tag, trimmed. The
// slice is reused by the next call. Nested elements inside a leaf are skipped.
func (ps *mspdiParser) text() ([]byte, error) {
	ps.buf = ps.buf[:0]
	for {
		tok, err := ps.next()
		if err != nil {
			return nil, ps.xmlErr(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			ps.buf = append(ps.buf, t...)
		case xml.StartElement:
			if err := ps.skip(); err != nil {
				return nil, err
			}
		case xml.EndElement:
			return bytes.TrimSpace(ps.buf), nil
		}
	}
}

// skip consumes the rest of the element whose start tag was just read.
func (ps *mspdiParser) skip() error {
	depth := len(ps.open)
	for len(ps.open) >= depth {
		if _, err := ps.next(); err != nil {
			return ps.xmlErr(err)
		}
	}
	return nil
}

func (ps *mspdiParser) str(dst *string) error {
	b, err := ps.text()
	if err != nil {
		return err
	}
	*dst = string(b)
	return nil
}

func (ps *mspdiParser) int(dst *Opt[int64], field string) error {
	b, err := ps.text()
	if err != nil || len(b) == 0 {
		return err
	}
	v, err := atoi(b)
	if err != nil {
		return ps.err(field, err)
	}
	*dst = Opt[int64]{V: v, Valid: true}
	return nil
}

func (ps *mspdiParser) num(dst *Opt[float64], field string) error {
	b, err := ps.text()
	if err != nil || len(b) == 0 {
		return err
	}
	v, err := atof(b)
	if err != nil {
		return ps.err(field, fmt.Errorf("%q is not a number", b))
	}
	*dst = Opt[float64]{V: v, Valid: true}
	return nil
}

// money reads a currency amount, which MSPDI writes in hundredths.
func (ps *mspdiParser) money(dst *Opt[float64], field string) error {
	if err := ps.num(dst, field); err != nil {
		return err
	}
	dst.V /= 100
	return nil
}

func (ps *mspdiParser) date(dst *time.Time, field string) error {
	b, err := ps.text()
	if err != nil || len(b) == 0 {
		return err
	}
	t, err := parseXSDateTime(b)
	if err != nil {
		return ps.err(field, err)
	}
	*dst = t
	return nil
}

func (ps *mspdiParser) dur(dst *Dur, field string) error {
	b, err := ps.text()
	if err != nil || len(b) == 0 {
		return err
	}
	m, err := parseXSDuration(b)
	if err != nil {
		return ps.err(field, err)
	}
	*dst = Dur{Minutes: m, Valid: true}
	return nil
}

// tenths reads an integer count of tenths of a minute (LinkLag, slack).
func (ps *mspdiParser) tenths(dst *Dur, field string) error {
	var v Opt[float64]
	if err := ps.num(&v, field); err != nil || !v.Valid {
		return err
	}
	*dst = Dur{Minutes: v.V / 10, Valid: true}
	return nil
}

func (ps *mspdiParser) flag(dst *bool, field string) error {
	b, err := ps.text()
	if err != nil || len(b) == 0 {
		return err
	}
	v, err := parseBool(b)
	if err != nil {
		return ps.err(field, err)
	}
	*dst = v
	return nil
}

func (ps *mspdiParser) optFlag(dst *Opt[bool], field string) error {
	var v bool
	b, err := ps.text()
	if err != nil || len(b) == 0 {
		return err
	}
	if v, err = parseBool(b); err != nil {
		return ps.err(field, err)
	}
	*dst = Some(v)
	return nil
}

// uid reads a record's UID and remembers it for error messages.
func (ps *mspdiParser) uid(dst *int64, field string) error {
	var v Opt[int64]
	if err := ps.int(&v, field); err != nil {
		return err
	}
	if !v.Valid {
		return ps.err(field, errors.New("empty UID"))
	}
	*dst = v.V
	ps.recUID, ps.recHasID = v.V, true
	return nil
}

func (ps *mspdiParser) begin(kind string, index int) {
	ps.recKind, ps.recIndex, ps.recHasID = kind, index, false
	ps.records++
}

// ctxErr checks for cancellation every few thousand records: cheap, and a cancelled
// sync of a multi-GB file still stops promptly.
func (ps *mspdiParser) ctxErr() error {
	if ps.records&4095 == 0 {
		return ps.ctx.Err()
	}
	return nil
}

func (ps *mspdiParser) project() error {
	p := ps.p
	for {
		ps.recKind = ""
		name, ok, err := ps.child()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		switch name {
		case "Name":
			err = ps.str(&p.Name)
		case "Title":
			err = ps.str(&p.Title)
		case "GUID":
			err = ps.str(&p.GUID)
		case "SaveVersion":
			err = ps.str(&p.SaveVersion)
		case "BuildNumber":
			err = ps.str(&p.BuildNumber)
		case "StatusDate":
			err = ps.date(&p.StatusDate, name)
		case "CurrentDate":
			err = ps.date(&p.CurrentDate, name)
		case "StartDate":
			err = ps.date(&p.StartDate, name)
		case "FinishDate":
			err = ps.date(&p.FinishDate, name)
		case "CreationDate":
			err = ps.date(&p.CreationDate, name)
		case "LastSaved":
			err = ps.date(&p.LastSaved, name)
		case "CurrencyCode":
			err = ps.str(&p.CurrencyCode)
		case "CurrencySymbol":
			err = ps.str(&p.CurrencySymbol)
		case "CurrencyDigits":
			err = ps.int(&p.CurrencyDigits, name)
		case "MinutesPerDay", "MinutesPerWeek":
			var v Opt[int64]
			if err = ps.int(&v, name); err == nil && v.Valid && v.V > 0 {
				if name == "MinutesPerDay" {
					p.MinutesPerDay = v.V
				} else {
					p.MinutesPerWeek = v.V
				}
			}
		case "DaysPerMonth":
			var v Opt[float64]
			if err = ps.num(&v, name); err == nil && v.Valid && v.V > 0 {
				p.DaysPerMonth = v.V
			}
		case "CalendarUID":
			err = ps.int(&p.CalendarUID, name)
		case "DefaultTaskEVMethod":
			err = ps.int(&p.DefaultEVMethod, name)
		case "BaselineForEarnedValue":
			err = ps.int(&p.EVBaseline, name)
		case "ScheduleFromStart":
			err = ps.optFlag(&p.ScheduleFromStart, name)
		case "ExtendedAttributes":
			err = ps.list("ExtendedAttribute", ps.fieldDef)
		case "Calendars":
			err = ps.list("Calendar", ps.calendar)
		case "Tasks":
			err = ps.list("Task", ps.task)
		case "Resources":
			err = ps.list("Resource", ps.resource)
		case "Assignments":
			err = ps.list("Assignment", ps.assignment)
		default:
			err = ps.skip()
		}
		if err != nil {
			return err
		}
	}
}

// list reads a container whose children named item are handed to fn; anything
// else inside it is skipped.
// fields calls fn with the name of each child element of the current element,
// in document order, until its end tag; fn reads or skips that child.
func (ps *mspdiParser) fields(fn func(name string) error) error {
	for {
		name, ok, err := ps.child()
		if err != nil || !ok {
			return err
		}
		if err := fn(name); err != nil {
			return err
		}
	}
}

func (ps *mspdiParser) list(item string, fn func() error) error {
	return ps.fields(func(name string) error {
		if name != item {
			return ps.skip()
		}
		if err := fn(); err != nil {
			return err
		}
		return ps.ctxErr()
	})
}

func (ps *mspdiParser) fieldDef() error {
	var f FieldDef
	ps.begin("custom field definition", len(ps.p.FieldDefs)+1)
	if err := ps.fields(func(name string) (err error) {
		switch name {
		case "FieldID":
			var v Opt[int64]
			if err = ps.int(&v, name); err == nil {
				f.FieldID = v.V
			}
		case "FieldName":
			err = ps.str(&f.FieldName)
		case "Alias":
			err = ps.str(&f.Alias)
		default:
			err = ps.skip()
		}
		return err
	}); err != nil {
		return err
	}
	if f.FieldID == 0 {
		return nil
	}
	f.Entity = fieldEntity(f.FieldID)
	if f.FieldName == "" {
		f.FieldName, _ = KnownFieldName(f.FieldID)
	}
	f.ValueType = fieldValueType(f.FieldName)
	if i, dup := ps.defs[f.FieldID]; dup {
		ps.p.FieldDefs[i] = f
		return nil
	}
	ps.defs[f.FieldID] = len(ps.p.FieldDefs)
	ps.p.FieldDefs = append(ps.p.FieldDefs, f)
	return nil
}

// fieldEntity tells task, resource and assignment custom fields apart by the
// FieldID's high bits (0x0B4…, 0x0C4…, 0x0F4…).
func fieldEntity(id int64) string {
	switch id >> 20 {
	case 0x0B4:
		return "task"
	case 0x0C4:
		return "resource"
	case 0x0F4:
		return "assignment"
	}
	return ""
}

// fieldValueType derives how values are encoded from the field's name ("Cost3",
// "Enterprise Duration1", "Outline Code2" …).
func fieldValueType(fieldName string) string {
	n := strings.ToLower(strings.TrimSpace(fieldName))
	for _, p := range []string{"enterprise ", "resource ", "project ", "task "} {
		n = strings.TrimPrefix(n, p)
	}
	switch {
	case strings.HasPrefix(n, "cost"):
		return "cost"
	case strings.HasPrefix(n, "date"), strings.HasPrefix(n, "start"), strings.HasPrefix(n, "finish"):
		return "date"
	case strings.HasPrefix(n, "duration"):
		return "duration"
	case strings.HasPrefix(n, "flag"):
		return "flag"
	case strings.HasPrefix(n, "number"):
		return "number"
	case strings.HasPrefix(n, "outline code"), strings.HasPrefix(n, "outlinecode"):
		return "outline_code"
	case strings.HasPrefix(n, "text"):
		return "text"
	}
	return ""
}

// custom reads an ExtendedAttribute value and decodes it by its definition.
func (ps *mspdiParser) custom() (CustomValue, error) {
	var cv CustomValue
	ps.tp = ps.tp[:0]
	hasValue := false
	for {
		name, ok, err := ps.child()
		if err != nil {
			return cv, err
		}
		if !ok {
			break
		}
		switch name {
		case "FieldID":
			var v Opt[int64]
			if err = ps.int(&v, name); err == nil {
				cv.FieldID = v.V
			}
		case "Value":
			var b []byte
			if b, err = ps.text(); err == nil {
				ps.tp = append(ps.tp[:0], b...)
				hasValue = true
			}
		default:
			err = ps.skip()
		}
		if err != nil {
			return cv, err
		}
	}
	if !hasValue {
		return cv, nil
	}
	typ := ""
	if i, ok := ps.defs[cv.FieldID]; ok {
		typ = ps.p.FieldDefs[i].ValueType
	}
	if typ == "" {
		// 2002/2003 files often leave the definitions out; the FieldID still says
		// which field it is, and so whether the value is in hundredths.
		if name, ok := KnownFieldName(cv.FieldID); ok {
			typ = fieldValueType(name)
		}
	}
	if err := decodeCustom(&cv, typ, ps.tp); err != nil {
		return cv, ps.err("ExtendedAttribute", fmt.Errorf("FieldID %d: %w", cv.FieldID, err))
	}
	return cv, nil
}

// decodeCustom decodes a raw MSPDI custom-field value. Without a definition the type
// is guessed from the value's shape, and numbers are left as written (a cost field
// without its definition cannot be told from a number field).
func decodeCustom(cv *CustomValue, typ string, raw []byte) error {
	if typ == "" {
		switch {
		case len(raw) > 1 && (raw[0] == 'P' || (raw[0] == '-' && raw[1] == 'P')):
			if _, err := parseXSDuration(raw); err == nil {
				typ = "duration"
			}
		case len(raw) >= 10 && raw[4] == '-' && raw[7] == '-':
			if _, err := parseXSDateTime(raw); err == nil {
				typ = "date"
			}
		}
		if typ == "" {
			if _, err := atof(raw); err == nil {
				typ = "number"
			} else {
				typ = "text"
			}
		}
	}
	cv.ValueType = typ
	switch typ {
	case "cost", "number":
		v, err := atof(raw)
		if err != nil {
			return fmt.Errorf("%q is not a number", raw)
		}
		if typ == "cost" {
			v /= 100
		}
		cv.Number = Some(v)
	case "date":
		t, err := parseXSDateTime(raw)
		if err != nil {
			return err
		}
		cv.Date = t
	case "duration":
		m, err := parseXSDuration(raw)
		if err != nil {
			return err
		}
		cv.Number = Some(m)
	case "flag":
		v, err := parseBool(raw)
		if err != nil {
			return err
		}
		cv.Flag = Some(v)
	default:
		cv.Text = string(raw)
	}
	return nil
}

func (ps *mspdiParser) task() error {
	t := Task{Active: true}
	ps.begin("task", len(ps.p.Tasks)+1)
	if err := ps.fields(func(name string) (err error) {
		switch name {
		case "UID":
			err = ps.uid(&t.UID, name)
		case "ID":
			err = ps.int(&t.ID, name)
		case "GUID":
			err = ps.str(&t.GUID)
		case "Name":
			err = ps.str(&t.Name)
		case "WBS":
			err = ps.str(&t.WBS)
		case "OutlineNumber":
			err = ps.str(&t.OutlineNumber)
		case "OutlineLevel":
			err = ps.int(&t.OutlineLevel, name)
		case "Type":
			err = ps.int(&t.Type, name)
		case "IsNull":
			err = ps.flag(&t.IsNull, name)
		case "Summary":
			err = ps.flag(&t.Summary, name)
		case "Milestone":
			err = ps.flag(&t.Milestone, name)
		case "Active":
			err = ps.flag(&t.Active, name)
		case "Manual":
			err = ps.flag(&t.Manual, name)
		case "Critical":
			err = ps.flag(&t.Critical, name)
		case "ExternalTask":
			err = ps.flag(&t.External, name)
		case "Start":
			err = ps.date(&t.Start, name)
		case "Finish":
			err = ps.date(&t.Finish, name)
		case "Duration":
			err = ps.dur(&t.Duration, name)
		case "DurationFormat":
			err = ps.int(&t.DurationFormat, name)
		case "ActualDuration":
			err = ps.dur(&t.ActualDuration, name)
		case "RemainingDuration":
			err = ps.dur(&t.RemainingDuration, name)
		case "Work":
			err = ps.dur(&t.Work, name)
		case "ActualWork":
			err = ps.dur(&t.ActualWork, name)
		case "RemainingWork":
			err = ps.dur(&t.RemainingWork, name)
		case "PercentComplete":
			err = ps.num(&t.PercentComplete, name)
		case "PercentWorkComplete":
			err = ps.num(&t.PercentWorkComplete, name)
		case "PhysicalPercentComplete":
			err = ps.num(&t.PhysicalPercentComplete, name)
		case "EarnedValueMethod":
			err = ps.int(&t.EarnedValueMethod, name)
		case "Cost":
			err = ps.money(&t.Cost, name)
		case "FixedCost":
			err = ps.money(&t.FixedCost, name)
		case "ActualCost":
			err = ps.money(&t.ActualCost, name)
		case "RemainingCost":
			err = ps.money(&t.RemainingCost, name)
		case "BCWS":
			err = ps.money(&t.BCWS, name)
		case "BCWP":
			err = ps.money(&t.BCWP, name)
		case "ACWP":
			err = ps.money(&t.ACWP, name)
		case "CV":
			err = ps.money(&t.CV, name)
		case "ActualStart":
			err = ps.date(&t.ActualStart, name)
		case "ActualFinish":
			err = ps.date(&t.ActualFinish, name)
		case "Deadline":
			err = ps.date(&t.Deadline, name)
		case "ConstraintType":
			err = ps.int(&t.ConstraintType, name)
		case "ConstraintDate":
			err = ps.date(&t.ConstraintDate, name)
		case "TotalSlack":
			err = ps.tenths(&t.TotalSlack, name)
		case "FreeSlack":
			err = ps.tenths(&t.FreeSlack, name)
		case "CalendarUID":
			err = ps.int(&t.CalendarUID, name)
		case "PredecessorLink":
			var l Link
			if l, err = ps.link(); err == nil && l.Type != "" {
				t.Predecessors = append(t.Predecessors, l)
			}
		case "Baseline", "ExtendedAttribute", "TimephasedData":
			err = ps.shared(name, &t.Baselines, &t.Custom, &t.Timephased)
		default:
			err = ps.skip()
		}
		return err
	}); err != nil {
		return err
	}
	if t.DurationFormat.Valid && elapsedFormat(t.DurationFormat.V) {
		t.Duration.Elapsed = true
	}
	ps.p.Tasks = append(ps.p.Tasks, t)
	return nil
}

// elapsedFormat reports whether an MSPDI duration-format code is an elapsed unit
// (em, eh, ed, ew, emo, e% and their estimated "?" variants).
func elapsedFormat(code int64) bool {
	switch code {
	case 4, 6, 8, 10, 12, 20, 36, 38, 40, 42, 44, 52:
		return true
	}
	return false
}

func (ps *mspdiParser) link() (Link, error) {
	l := Link{Type: "FS"}
	for {
		name, ok, err := ps.child()
		if err != nil {
			return l, err
		}
		if !ok {
			break
		}
		switch name {
		case "PredecessorUID":
			var v Opt[int64]
			if err = ps.int(&v, name); err == nil {
				l.PredecessorUID = v.V
			}
		case "Type":
			var v Opt[int64]
			if err = ps.int(&v, name); err == nil && v.Valid {
				typ, known := linkTypeMSPDI(v.V)
				if !known {
					err = ps.err(name, fmt.Errorf("unknown link type %d (expected 0 FF, 1 FS, 2 SF, 3 SS)", v.V))
				}
				l.Type = typ
			}
		case "LinkLag":
			err = ps.tenths(&l.Lag, name)
		case "LagFormat":
			err = ps.int(&l.LagFormat, name)
		case "CrossProject":
			err = ps.flag(&l.CrossProject, name)
		case "CrossProjectName":
			err = ps.str(&l.CrossProjectName)
		default:
			err = ps.skip()
		}
		if err != nil {
			return l, err
		}
	}
	if !l.Lag.Valid {
		l.Lag = Minutes(0)
	}
	if l.LagFormat.Valid && elapsedFormat(l.LagFormat.V) {
		l.Lag.Elapsed = true
	}
	return l, nil
}

// shared reads the children tasks, resources and assignments all have —
// Baseline, ExtendedAttribute (values without a type are dropped) and
// TimephasedData — into the owner's lists.
func (ps *mspdiParser) shared(name string, baselines *[]Baseline, custom *[]CustomValue, timephased *[]Timephased) error {
	switch name {
	case "Baseline":
		b, err := ps.baseline()
		if err == nil {
			*baselines = append(*baselines, b)
		}
		return err
	case "ExtendedAttribute":
		cv, err := ps.custom()
		if err == nil && cv.ValueType != "" {
			*custom = append(*custom, cv)
		}
		return err
	default: // TimephasedData
		tp, err := ps.timephased()
		if err == nil {
			*timephased = append(*timephased, tp)
		}
		return err
	}
}

func (ps *mspdiParser) baseline() (Baseline, error) {
	var b Baseline
	var format Opt[int64]
	for {
		name, ok, err := ps.child()
		if err != nil {
			return b, err
		}
		if !ok {
			break
		}
		switch name {
		case "Number":
			var v Opt[int64]
			if err = ps.int(&v, name); err == nil {
				if v.V < 0 || v.V > 10 {
					err = ps.err(name, fmt.Errorf("baseline number %d is not 0-10", v.V))
				}
				b.Number = int(v.V)
			}
		case "Start":
			err = ps.date(&b.Start, "Baseline/Start")
		case "Finish":
			err = ps.date(&b.Finish, "Baseline/Finish")
		case "Duration":
			err = ps.dur(&b.Duration, "Baseline/Duration")
		case "DurationFormat":
			err = ps.int(&format, "Baseline/DurationFormat")
		case "Work":
			err = ps.dur(&b.Work, "Baseline/Work")
		case "Cost":
			err = ps.money(&b.Cost, "Baseline/Cost")
		case "BCWS":
			err = ps.money(&b.BCWS, "Baseline/BCWS")
		case "BCWP":
			err = ps.money(&b.BCWP, "Baseline/BCWP")
		default:
			err = ps.skip()
		}
		if err != nil {
			return b, err
		}
	}
	if format.Valid && elapsedFormat(format.V) {
		b.Duration.Elapsed = true
	}
	return b, nil
}

func (ps *mspdiParser) timephased() (Timephased, error) {
	var tp Timephased
	ps.tp = ps.tp[:0]
	for {
		name, ok, err := ps.child()
		if err != nil {
			return tp, err
		}
		if !ok {
			break
		}
		switch name {
		case "Type":
			var v Opt[int64]
			if err = ps.int(&v, "TimephasedData/Type"); err == nil {
				tp.Type = int(v.V)
			}
		case "Start":
			err = ps.date(&tp.Start, "TimephasedData/Start")
		case "Finish":
			err = ps.date(&tp.Finish, "TimephasedData/Finish")
		case "Unit":
			var v Opt[int64]
			if err = ps.int(&v, "TimephasedData/Unit"); err == nil {
				tp.Unit = int(v.V)
			}
		case "Value":
			var b []byte
			if b, err = ps.text(); err == nil {
				ps.tp = append(ps.tp[:0], b...)
			}
		default:
			err = ps.skip()
		}
		if err != nil {
			return tp, err
		}
	}
	kind, bl, hasBL := TimephasedKind(tp.Type)
	tp.Kind = kind
	if hasBL {
		tp.Baseline = Some(int64(bl))
	}
	if len(ps.tp) == 0 {
		// Project leaves <Value/> empty for periods with nothing in them.
		return tp, nil
	}
	switch {
	case timephasedValueIsWork(kind):
		m, err := parseXSDuration(ps.tp)
		if err != nil {
			return tp, ps.err("TimephasedData/Value", err)
		}
		tp.Value = m / 60
	default:
		v, err := atof(ps.tp)
		if err != nil {
			return tp, ps.err("TimephasedData/Value", fmt.Errorf("%q is not a number", ps.tp))
		}
		if timephasedValueIsCost(kind) {
			v /= 100
		}
		tp.Value = v
	}
	return tp, nil
}

func (ps *mspdiParser) resource() error {
	var r Resource
	var isCost bool
	var typ Opt[int64]
	ps.begin("resource", len(ps.p.Resources)+1)
	for {
		name, ok, err := ps.child()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		switch name {
		case "UID":
			err = ps.uid(&r.UID, name)
		case "ID":
			err = ps.int(&r.ID, name)
		case "Name":
			err = ps.str(&r.Name)
		case "Group":
			err = ps.str(&r.Group)
		case "Type":
			err = ps.int(&typ, name)
		case "IsCostResource":
			err = ps.flag(&isCost, name)
		case "IsGeneric":
			err = ps.flag(&r.IsGeneric, name)
		case "IsInactive":
			err = ps.flag(&r.IsInactive, name)
		case "CalendarUID":
			err = ps.int(&r.CalendarUID, name)
		case "MaxUnits":
			err = ps.num(&r.MaxUnits, name)
		case "StandardRate":
			err = ps.num(&r.StandardRate, name)
		case "OvertimeRate":
			err = ps.num(&r.OvertimeRate, name)
		case "CostPerUse":
			err = ps.money(&r.CostPerUse, name)
		case "Work":
			err = ps.dur(&r.Work, name)
		case "ActualWork":
			err = ps.dur(&r.ActualWork, name)
		case "RemainingWork":
			err = ps.dur(&r.RemainingWork, name)
		case "Cost":
			err = ps.money(&r.Cost, name)
		case "ActualCost":
			err = ps.money(&r.ActualCost, name)
		case "RemainingCost":
			err = ps.money(&r.RemainingCost, name)
		case "BCWS":
			err = ps.money(&r.BCWS, name)
		case "BCWP":
			err = ps.money(&r.BCWP, name)
		case "ACWP":
			err = ps.money(&r.ACWP, name)
		case "Rates":
			err = ps.list("Rate", func() error {
				rt, err := ps.rate()
				if err == nil {
					r.Rates = append(r.Rates, rt)
				}
				return err
			})
		case "Baseline", "ExtendedAttribute", "TimephasedData":
			err = ps.shared(name, &r.Baselines, &r.Custom, &r.Timephased)
		default:
			err = ps.skip()
		}
		if err != nil {
			return err
		}
	}
	switch {
	case isCost || typ.Valid && typ.V == 2:
		r.Type = "cost"
	case typ.Valid && typ.V == 0:
		r.Type = "material"
	default:
		r.Type = "work"
	}
	// UID 0 is a placeholder row Project always writes; it is nobody.
	if r.UID == 0 {
		return nil
	}
	ps.p.Resources = append(ps.p.Resources, r)
	return nil
}

func (ps *mspdiParser) rate() (Rate, error) {
	var rt Rate
	for {
		name, ok, err := ps.child()
		if err != nil {
			return rt, err
		}
		if !ok {
			break
		}
		switch name {
		case "RatesFrom":
			err = ps.date(&rt.From, "Rate/RatesFrom")
		case "RatesTo":
			err = ps.date(&rt.To, "Rate/RatesTo")
		case "RateTable":
			var v Opt[int64]
			if err = ps.int(&v, "Rate/RateTable"); err == nil {
				rt.Table = int(v.V)
			}
		case "StandardRate":
			err = ps.num(&rt.StandardRate, "Rate/StandardRate")
		case "OvertimeRate":
			err = ps.num(&rt.OvertimeRate, "Rate/OvertimeRate")
		case "CostPerUse":
			err = ps.money(&rt.CostPerUse, "Rate/CostPerUse")
		default:
			err = ps.skip()
		}
		if err != nil {
			return rt, err
		}
	}
	// 1984-01-01 and 2049-12-31 are Project's "no limit" sentinels.
	if rt.From.Year() <= 1984 {
		rt.From = time.Time{}
	}
	if rt.To.Year() >= 2049 {
		rt.To = time.Time{}
	}
	return rt, nil
}

func (ps *mspdiParser) assignment() error {
	var a Assignment
	ps.begin("assignment", len(ps.p.Assignments)+1)
	if err := ps.fields(func(name string) (err error) {
		switch name {
		case "UID":
			err = ps.uid(&a.UID, name)
		case "TaskUID", "ResourceUID":
			var v Opt[int64]
			if err = ps.int(&v, name); err == nil {
				if name == "TaskUID" {
					a.TaskUID = v.V
				} else {
					a.ResourceUID = v.V
				}
			}
		case "Units":
			err = ps.num(&a.Units, name)
		case "Work":
			err = ps.dur(&a.Work, name)
		case "ActualWork":
			err = ps.dur(&a.ActualWork, name)
		case "RemainingWork":
			err = ps.dur(&a.RemainingWork, name)
		case "OvertimeWork":
			err = ps.dur(&a.OvertimeWork, name)
		case "Cost":
			err = ps.money(&a.Cost, name)
		case "ActualCost":
			err = ps.money(&a.ActualCost, name)
		case "RemainingCost":
			err = ps.money(&a.RemainingCost, name)
		case "BCWS":
			err = ps.money(&a.BCWS, name)
		case "BCWP":
			err = ps.money(&a.BCWP, name)
		case "ACWP":
			err = ps.money(&a.ACWP, name)
		case "Start":
			err = ps.date(&a.Start, name)
		case "Finish":
			err = ps.date(&a.Finish, name)
		case "ActualStart":
			err = ps.date(&a.ActualStart, name)
		case "ActualFinish":
			err = ps.date(&a.ActualFinish, name)
		case "Stop":
			err = ps.date(&a.Stop, name)
		case "Resume":
			err = ps.date(&a.Resume, name)
		case "WorkContour":
			err = ps.int(&a.WorkContour, name)
		case "Baseline", "ExtendedAttribute", "TimephasedData":
			err = ps.shared(name, &a.Baselines, &a.Custom, &a.Timephased)
		default:
			err = ps.skip()
		}
		return err
	}); err != nil {
		return err
	}
	ps.p.Assignments = append(ps.p.Assignments, a)
	return nil
}

// calendarDayLegacyException is a DayType 0 WeekDay: a dated exception in the
// pre-2007 form, which 2007+ files still write alongside <Exceptions>.
const calendarDayLegacyException = 0

func (ps *mspdiParser) calendar() error {
	var c Calendar
	var rules []exceptionRule
	ps.begin("calendar", len(ps.p.Calendars)+1)
	for {
		name, ok, err := ps.child()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		switch name {
		case "UID":
			err = ps.uid(&c.UID, name)
		case "Name":
			err = ps.str(&c.Name)
		case "IsBaseCalendar":
			err = ps.flag(&c.IsBase, name)
		case "BaseCalendarUID":
			err = ps.int(&c.BaseCalendarUID, name)
		case "WeekDays":
			err = ps.list("WeekDay", func() error {
				wd, exc, isExc, err := ps.weekDay()
				if err != nil {
					return err
				}
				if isExc {
					c.Exceptions = append(c.Exceptions, exc)
				} else {
					c.WeekDays = append(c.WeekDays, wd)
				}
				return nil
			})
		case "Exceptions":
			err = ps.list("Exception", func() error {
				e, err := ps.exception()
				if err == nil {
					rules = append(rules, e)
				}
				return err
			})
		case "WorkWeeks":
			err = ps.list("WorkWeek", func() error {
				ww, err := ps.workWeek()
				if err == nil {
					c.WorkWeeks = append(c.WorkWeeks, ww)
				}
				return err
			})
		default:
			err = ps.skip()
		}
		if err != nil {
			return err
		}
	}
	// -1 (2002/2003) and 0 (2019) both mean "no base calendar".
	if c.BaseCalendarUID.Valid && c.BaseCalendarUID.V <= 0 {
		c.BaseCalendarUID = Opt[int64]{}
	}
	c.Exceptions = mergeExceptions(c.Exceptions, rules)
	ps.p.Calendars = append(ps.p.Calendars, c)
	return nil
}

// mergeExceptions keeps one form of a calendar's exceptions. The expanded DayType 0
// days are authoritative (they are concrete dates, and every version writes them);
// the 2007+ <Exceptions> rules only lend their names. A file with rules but no
// expanded days keeps the rules, marked with their recurrence.
func mergeExceptions(days []Exception, rules []exceptionRule) []Exception {
	if len(days) == 0 {
		out := make([]Exception, len(rules))
		for i, r := range rules {
			out[i] = r.Exception
		}
		return out
	}
	for i := range days {
		// Project refuses overlapping exceptions when editing, yet files exist where
		// two rules produce the same day; such a day carries both names.
		var names []string
		for j := range rules {
			if rules[j].matches(days[i].From) {
				names = append(names, rules[j].Name)
			}
		}
		days[i].Name = strings.Join(names, " / ")
	}
	return days
}

// exceptionRule is a 2007+ <Exception> with its recurrence pattern.
type exceptionRule struct {
	Exception
	typ, period, daysOfWeek, monthDay, month, monthItem, monthPosition int64
}

// matches reports whether day can be an occurrence of the rule. It checks the
// pattern's constraints (weekday, day of month, position in month) rather than
// expanding the recurrence, which is all that naming the expanded days needs.
func (r *exceptionRule) matches(day time.Time) bool {
	d := day.Truncate(24 * time.Hour)
	if d.Before(r.From.Truncate(24*time.Hour)) || d.After(r.To) {
		return false
	}
	wd := int64(d.Weekday()) // 0 = Sunday
	from := r.From.Truncate(24 * time.Hour)
	months := int64(d.Year()-from.Year())*12 + int64(d.Month()-from.Month())
	every := func(n, period int64) bool { return period <= 1 || n%period == 0 }
	switch r.typ {
	case 7: // every N days
		return every(int64(d.Sub(from).Hours()/24), r.period)
	case 6: // every N weeks on DaysOfWeek (bit 1 = Sunday … 64 = Saturday)
		weekStart := from.AddDate(0, 0, -int(from.Weekday()))
		return r.daysOfWeek&(1<<wd) != 0 && every(int64(d.Sub(weekStart).Hours()/24/7), r.period)
	case 4: // every N months on day MonthDay
		return int64(d.Day()) == r.monthDay && every(months, r.period)
	case 2: // yearly on a date; Month counts from 0 = January
		return int64(d.Day()) == r.monthDay && int64(d.Month())-1 == r.month
	case 5, 3: // monthly (every N) / yearly on the Nth weekday; MonthItem 3 = Sunday … 9 = Saturday
		if r.typ == 3 && int64(d.Month())-1 != r.month {
			return false
		}
		if r.typ == 5 && !every(months, r.period) {
			return false
		}
		if r.monthItem >= 3 && r.monthItem <= 9 && wd != r.monthItem-3 {
			return false
		}
		switch r.monthPosition {
		case 0, 1, 2, 3:
			return int64(d.Day()-1)/7 == r.monthPosition
		case 4: // last
			return d.Day()+7 > daysIn(d.Year(), int(d.Month()))
		}
	}
	return true
}

func (ps *mspdiParser) weekDay() (WeekDay, Exception, bool, error) {
	var wd WeekDay
	var exc Exception
	dayType := int64(-1)
	for {
		name, ok, err := ps.child()
		if err != nil {
			return wd, exc, false, err
		}
		if !ok {
			break
		}
		switch name {
		case "DayType":
			var v Opt[int64]
			if err = ps.int(&v, "WeekDay/DayType"); err == nil && v.Valid {
				if v.V < 0 || v.V > 7 {
					err = ps.err("WeekDay/DayType", fmt.Errorf("day type %d is not 0-7", v.V))
				}
				dayType = v.V
			}
		case "DayWorking":
			err = ps.flag(&wd.Working, "WeekDay/DayWorking")
		case "TimePeriod":
			exc.From, exc.To, err = ps.timePeriod()
		case "WorkingTimes":
			err = ps.list("WorkingTime", func() error {
				tr, err := ps.workingTime()
				if err == nil {
					wd.Times = append(wd.Times, tr)
				}
				return err
			})
		default:
			err = ps.skip()
		}
		if err != nil {
			return wd, exc, false, err
		}
	}
	if dayType == calendarDayLegacyException {
		exc.Working, exc.Times = wd.Working, wd.Times
		return wd, exc, true, nil
	}
	wd.DayOfWeek = int(dayType)
	return wd, exc, false, nil
}

func (ps *mspdiParser) timePeriod() (from, to time.Time, err error) {
	for {
		name, ok, err := ps.child()
		if err != nil {
			return from, to, err
		}
		if !ok {
			return from, to, nil
		}
		switch name {
		case "FromDate":
			err = ps.date(&from, "TimePeriod/FromDate")
		case "ToDate":
			err = ps.date(&to, "TimePeriod/ToDate")
		default:
			err = ps.skip()
		}
		if err != nil {
			return from, to, err
		}
	}
}

func (ps *mspdiParser) workingTime() (TimeRange, error) {
	var tr TimeRange
	for {
		name, ok, err := ps.child()
		if err != nil {
			return tr, err
		}
		if !ok {
			return tr, nil
		}
		switch name {
		case "FromTime", "ToTime":
			var b []byte
			if b, err = ps.text(); err == nil {
				var s string
				if s, err = normClock(string(b)); err != nil {
					err = ps.err("WorkingTime/"+name, err)
				} else if name == "FromTime" {
					tr.From = s
				} else {
					tr.To = s
				}
			}
		default:
			err = ps.skip()
		}
		if err != nil {
			return tr, err
		}
	}
}

func (ps *mspdiParser) exception() (exceptionRule, error) {
	var r exceptionRule
	e := &r.Exception
	var typ Opt[int64]
	ints := map[string]*int64{"Period": &r.period, "DaysOfWeek": &r.daysOfWeek, "MonthDay": &r.monthDay,
		"Month": &r.month, "MonthItem": &r.monthItem, "MonthPosition": &r.monthPosition}
	for {
		name, ok, err := ps.child()
		if err != nil {
			return r, err
		}
		if !ok {
			break
		}
		switch name {
		case "Name":
			err = ps.str(&e.Name)
		case "TimePeriod":
			e.From, e.To, err = ps.timePeriod()
		case "DayWorking":
			err = ps.flag(&e.Working, "Exception/DayWorking")
		case "Type":
			err = ps.int(&typ, "Exception/Type")
		case "Occurrences":
			err = ps.int(&e.Occurrences, "Exception/Occurrences")
		case "Period", "DaysOfWeek", "MonthDay", "Month", "MonthItem", "MonthPosition":
			var v Opt[int64]
			if err = ps.int(&v, "Exception/"+name); err == nil {
				*ints[name] = v.V
			}
		case "WorkingTimes":
			err = ps.list("WorkingTime", func() error {
				tr, err := ps.workingTime()
				if err == nil {
					e.Times = append(e.Times, tr)
				}
				return err
			})
		default:
			err = ps.skip()
		}
		if err != nil {
			return r, err
		}
	}
	e.Recurrence = typ
	r.typ = typ.V
	return r, nil
}

func (ps *mspdiParser) workWeek() (WorkWeek, error) {
	var ww WorkWeek
	for {
		name, ok, err := ps.child()
		if err != nil {
			return ww, err
		}
		if !ok {
			return ww, nil
		}
		switch name {
		case "Name":
			err = ps.str(&ww.Name)
		case "TimePeriod":
			ww.From, ww.To, err = ps.timePeriod()
		case "WeekDays":
			err = ps.list("WeekDay", func() error {
				wd, _, isExc, err := ps.weekDay()
				if err == nil && !isExc {
					ww.WeekDays = append(ww.WeekDays, wd)
				}
				return err
			})
		default:
			err = ps.skip()
		}
		if err != nil {
			return ww, err
		}
	}
}
