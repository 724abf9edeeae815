package msproject

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

// golden compares v, as indented JSON, with testdata/golden/name.json.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file; run go test ./connectors/msproject -run %s -update and review the diff", path, t.Name())
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Logf("first difference at line %d:\n got: %s\nwant: %s", i+1, gl[i], wl[i])
				break
			}
		}
	}
}

var germanExport = ExportOptions{DateOrder: "DMY", DecimalSeparator: ","}

func TestGolden(t *testing.T) {
	cases := []struct {
		name, file string
		opts       Options
	}{
		{"small-mspdi", "small.xml", Options{}},
		{"small-mpx", "small.mpx", Options{}},
		{"tasks-csv", "tasks.csv", Options{}},
		{"tasks-de-csv", "tasks-de.csv", Options{Export: germanExport}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParseFile(context.Background(), filepath.Join("testdata", c.file), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.name, p)
		})
	}
}

// TestSmallMSPDIValues spells out, by hand, what the golden file of small.xml holds
// for the fields where units are easy to get wrong.
func TestSmallMSPDIValues(t *testing.T) {
	p, err := ParseFile(context.Background(), "testdata/small.xml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	ib := taskByID(t, p, 2)
	// <Cost>800000</Cost> is hundredths: 8,000.00. <BCWP>180000.00</BCWP>: 1,800.00.
	if ib.Cost.V != 8000 || ib.BCWP.V != 1800 || ib.FixedCost.V != 500 {
		t.Errorf("cost %v bcwp %v fixed %v, want 8000 1800 500", ib.Cost.V, ib.BCWP.V, ib.FixedCost.V)
	}
	// <TotalSlack>9600</TotalSlack> is tenths of minutes: 960 min = 2 days of 480.
	if ib.TotalSlack.Minutes != 960 {
		t.Errorf("total slack %v min, want 960", ib.TotalSlack.Minutes)
	}
	if ib.ParentUID != Some(int64(7)) {
		t.Errorf("parent %+v, want UID 7 (Build)", ib.ParentUID)
	}
	// Cost1 custom field <Value>2500</Value> = 25.00 (hundredths).
	if cv := customByName(p, ib.Custom, "task", "Cost1"); cv == nil || cv.Number.V != 25 {
		t.Errorf("Cost1 = %+v, want 25", cv)
	}
	// Flag1 has no definition in the file; its FieldID still identifies it.
	if cv := customByName(p, ib.Custom, "task", "Flag1"); cv == nil || !cv.Flag.V {
		t.Errorf("Flag1 = %+v, want true", cv)
	}
	cure := taskByID(t, p, 4)
	// DurationFormat 8 (ed): PT72H is 3 elapsed days.
	if !cure.Duration.Elapsed || cure.Duration.Minutes != 72*60 {
		t.Errorf("cure period duration %+v, want 4320 elapsed minutes", cure.Duration)
	}
	// LinkLag 4800 tenths = 480 min = 1 day.
	if l := cure.Predecessors[0]; l.Type != "FS" || l.Lag.Minutes != 480 || l.PredecessorUID != 3 {
		t.Errorf("link %+v, want FS from UID 3 with 480 min lag", l)
	}
	gl := taskByID(t, p, 5)
	if gl.Active || !gl.Milestone || len(gl.Predecessors) != 2 || gl.Predecessors[0].Type != "SS" || gl.Predecessors[0].Lag.Minutes != -240 || gl.Predecessors[1].Type != "FF" {
		t.Errorf("go-live = active %v milestone %v links %+v", gl.Active, gl.Milestone, gl.Predecessors)
	}
	// Timephased: PT6H59M60S = 7 hours; an empty <Value/> is 0; type 5 is
	// baseline cost (64000 hundredths = 640); type 23 = Baseline2 assignment cost.
	a := p.Assignments[0]
	if tp := a.Timephased; tp[0].Value != 7 || tp[0].Kind != "actual_work" || tp[1].Value != 0 ||
		tp[2].Kind != "baseline_cost" || tp[2].Value != 640 || tp[3].Kind != "baseline_cost" || tp[3].Baseline != Some(int64(2)) {
		t.Errorf("timephased %+v", tp)
	}
	if !p.Assignments[1].Placeholder() {
		t.Error("ResourceUID -65535 assignment should be a placeholder")
	}
	// The DayType 0 exception and the <Exceptions> rule are the same day: one entry.
	if ex := p.Calendars[0].Exceptions; len(ex) != 1 || ex[0].Name != "MLK Day" {
		t.Errorf("exceptions %+v, want one named MLK Day", ex)
	}
	// Rates: the 1984 / 2049 sentinels mean open-ended.
	r := p.Resources[0].Rates
	if len(r) != 2 || !r[0].From.IsZero() || !r[1].To.IsZero() || r[1].StandardRate.V != 110 {
		t.Errorf("rates %+v", r)
	}
	date, src := SnapshotDate(p, time.Time{})
	if src != SnapshotFromStatusDate || !date.Equal(time.Date(2025, 1, 10, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("snapshot %v from %s, want status date 2025-01-10 17:00", date, src)
	}
	if p.Key() != "EHR Go-Live" {
		t.Errorf("key %q, want the title", p.Key())
	}
}

// TestMSPDIWithoutNamespace: the same document without the default namespace (as
// some converters write it) parses to the same project.
func TestMSPDIWithoutNamespace(t *testing.T) {
	data, err := os.ReadFile("testdata/small.xml")
	if err != nil {
		t.Fatal(err)
	}
	plain := bytes.Replace(data, []byte(` xmlns="http://schemas.microsoft.com/project"`), nil, 1)
	if bytes.Equal(plain, data) {
		t.Fatal("fixture has no namespace to remove")
	}
	a, err := ParseMSPDI(context.Background(), bytes.NewReader(data), "x.xml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseMSPDI(context.Background(), bytes.NewReader(plain), "x.xml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Error("namespace-less document parsed differently")
	}
}

// TestMSPDIPrefixedNamespace: a document whose elements all carry a namespace
// prefix bound to the MSPDI namespace reads the same.
func TestMSPDIPrefixedNamespace(t *testing.T) {
	data, err := os.ReadFile("testdata/small.xml")
	if err != nil {
		t.Fatal(err)
	}
	prefixed := regexp.MustCompile(`<(/?)([A-Za-z])`).ReplaceAll(data, []byte("<${1}p:${2}"))
	prefixed = bytes.Replace(prefixed, []byte(` xmlns="`), []byte(` xmlns:p="`), 1)
	a, err := ParseMSPDI(context.Background(), bytes.NewReader(data), "x.xml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseMSPDI(context.Background(), bytes.NewReader(prefixed), "x.xml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Error("prefixed document parsed differently")
	}
	// The same document in a foreign namespace is not MSPDI.
	foreign := bytes.Replace(data, []byte(MSPDINamespace), []byte("urn:example:other"), 1)
	if _, err := ParseMSPDI(context.Background(), bytes.NewReader(foreign), "x.xml", Options{}); err == nil || !strings.Contains(err.Error(), "wrong root element") {
		t.Errorf("foreign namespace: %v", err)
	}
}

// writeXLSX builds a small Project-like Excel export: a resource sheet first, then
// the task sheet with real date cells and percentage-formatted cells.
func writeXLSX(t *testing.T, dir string, taskRows [][]any) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "Resource_Table1"); err != nil {
		t.Fatal(err)
	}
	_ = f.SetSheetRow("Resource_Table1", "A1", &[]any{"ID", "Name", "Max Units"})
	_ = f.SetSheetRow("Resource_Table1", "A2", &[]any{1, "Somebody", "100%"})
	if _, err := f.NewSheet("Task_Table1"); err != nil {
		t.Fatal(err)
	}
	pct, _ := f.NewStyle(&excelize.Style{NumFmt: 9})
	for i, row := range taskRows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Task_Table1", cell, &row); err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			c, _ := excelize.CoordinatesToCellName(6, i+1)
			_ = f.SetCellStyle("Task_Table1", c, c, pct)
		}
	}
	path := filepath.Join(dir, "export.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestXLSX(t *testing.T) {
	d := func(day, h int) time.Time { return time.Date(2025, 1, day, h, 0, 0, 0, time.UTC) }
	path := writeXLSX(t, t.TempDir(), [][]any{
		{"Unique ID", "Task Name", "Outline Level", "Start", "Finish", "% Complete", "Cost", "Duration", "Predecessors"},
		{1, "Plan", 1, d(6, 8), d(10, 17), 1.0, 1200.5, "5 days", ""},
		{2, "Do", 2, d(13, 8), d(17, 17), 0.25, 800, "5d", "1"},
		{3, "Check", 2, d(20, 8), "Mon 1/20/25 5:00 PM", 0, 0, "0 days", "2FS+1 day"},
	})
	p, err := ParseFile(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Format != FormatXLSX {
		t.Errorf("format %s", p.Format)
	}
	// Date cells are serial numbers; the percentage cell 0.25 is shown as 25 %.
	do := taskByID(t, p, 2)
	if !do.Start.Equal(d(13, 8)) || do.PercentComplete.V != 25 || do.Cost.V != 800 || do.ParentUID != Some(int64(1)) {
		t.Errorf("task 2 = start %v, %v%%, cost %v, parent %+v", do.Start, do.PercentComplete.V, do.Cost.V, do.ParentUID)
	}
	check := taskByID(t, p, 3)
	if !check.Finish.Equal(d(20, 17)) || !check.Milestone || len(check.Predecessors) != 1 || check.Predecessors[0].Lag.Minutes != 480 {
		t.Errorf("task 3 = finish %v milestone %v links %+v", check.Finish, check.Milestone, check.Predecessors)
	}
	if !taskByID(t, p, 1).Summary {
		t.Error("task 1 has a deeper next row: it is a summary")
	}
	golden(t, "export-xlsx", p.Tasks)
}

func TestColumnMap(t *testing.T) {
	csv := "Ref,Activity,Planned start,Planned finish,Budget\n" +
		"A1,Order kit,2025-01-06,2025-01-07,100\n"
	// Without a map only "Ref"… nothing is recognised.
	if _, err := ParseCSV(context.Background(), strings.NewReader(csv), "custom.csv", Options{}); err == nil || !strings.Contains(err.Error(), "no recognisable header row") {
		t.Fatalf("unmapped headers: err = %v", err)
	}
	opts := Options{Export: ExportOptions{Columns: map[string]string{
		"activity": "name", "Planned_Start": "start", "PLANNED FINISH": "finish", "budget": "baseline_cost", "ref": "ignore",
	}}}
	p, err := ParseCSV(context.Background(), strings.NewReader(csv), "custom.csv", opts)
	if err != nil {
		t.Fatal(err)
	}
	tk := p.Tasks[0]
	if tk.Name != "Order kit" || !tk.Start.Equal(time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)) || len(tk.Baselines) != 1 || tk.Baselines[0].Cost.V != 100 {
		t.Errorf("task %+v", tk)
	}
	if err := opts.Export.Validate(); err != nil {
		t.Errorf("valid map rejected: %v", err)
	}
	bad := ExportOptions{Columns: map[string]string{"x": "colour"}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("unknown target accepted: %v", err)
	}
}

func TestDetect(t *testing.T) {
	cases := map[string]Format{
		"\xEF\xBB\xBF<?xml version=\"1.0\"?><Project>": FormatMSPDI,
		"  \r\n<Project xmlns=\"x\">":                  FormatMSPDI,
		"MPX,Microsoft Project for Windows,4.0,ANSI":   FormatMPX,
		"MPX;Microsoft Project for Windows;4,0;ANSI":   FormatMPX,
		"PK\x03\x04\x14\x00":                           FormatXLSX,
		"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00":         FormatMPP,
		"ID,Name,Duration":                             FormatCSV,
	}
	for head, want := range cases {
		if got := Detect([]byte(head)); got != want {
			t.Errorf("Detect(%q) = %s, want %s", head, got, want)
		}
	}
}

func TestFileStemKey(t *testing.T) {
	cases := map[string]string{
		"/x/EHR Go-Live 2025-01-06.xml": "EHR Go-Live",
		"plan_20250106.xml":             "plan",
		"Plan v3.xml":                   "Plan",
		"Plan (2).xml":                  "Plan",
		"Plan-06.01.2025-final.csv":     "Plan",
		"Dev3.xml":                      "Dev3",
		"2025-01-06.xml":                "2025-01-06",
	}
	for in, want := range cases {
		if got := FileStemKey(in); got != want {
			t.Errorf("FileStemKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSnapshotDateFallbacks(t *testing.T) {
	mtime := time.Date(2025, 3, 1, 9, 30, 0, 0, time.Local)
	p := &Project{CurrentDate: time.Date(2025, 2, 3, 8, 0, 0, 0, time.UTC)}
	if d, src := SnapshotDate(p, mtime); src != SnapshotFromCurrentDate || !d.Equal(p.CurrentDate) {
		t.Errorf("got %v %s, want current date", d, src)
	}
	// No dates in the file: the modification time's local wall clock.
	if d, src := SnapshotDate(&Project{}, mtime); src != SnapshotFromFileMtime || d != time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC) {
		t.Errorf("got %v %s, want file mtime", d, src)
	}
}

func TestValueParsing(t *testing.T) {
	for in, want := range map[string]float64{
		"PT8H0M0S": 480, "PT6H59M60S": 420, "PT1H6M5.07S": 66 + 5.07/60, "PT720H0M0S": 43200,
		"P1DT2H": 26 * 60, "-PT1H": -60, "PT0H0M0S": 0,
	} {
		got, err := parseXSDuration([]byte(in))
		if err != nil || !near(got, want) {
			t.Errorf("parseXSDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "P", "PT", "8H", "PTH", "PT1X", "PT1H2"} {
		if _, err := parseXSDuration([]byte(bad)); err == nil {
			t.Errorf("parseXSDuration(%q) accepted", bad)
		}
	}
	tf := textFormat{decimal: '.', thousands: ',', dateOrder: "MDY", minPerDay: 480, minPerWk: 2400, daysPerMo: 20}
	for in, want := range map[string]float64{
		"5 days": 2400, "3 hrs": 180, "2 wks?": 4800, "4 edays": 5760, "1 mon": 9600, "30 mins": 30, "0.5d": 240, "1 emo": 43200,
	} {
		d, err := tf.parseDuration(in, unitDay)
		if err != nil || !near(d.Minutes, want) {
			t.Errorf("parseDuration(%q) = %+v, %v; want %v", in, d, err, want)
		}
	}
	for in, want := range map[string]float64{"$3,500.00": 3500, "£0.00": 0, "(1,234.50)": -1234.5, "-$5": -5, "50%": 50, "1,500": 1500} {
		v, err := tf.parseAmount(in)
		if err != nil || !near(v.V, want) {
			t.Errorf("parseAmount(%q) = %+v, %v; want %v", in, v, err, want)
		}
	}
	de := textFormat{decimal: ',', thousands: '.'}
	if v, err := de.parseAmount("3.500,25 €"); err != nil || !near(v.V, 3500.25) {
		t.Errorf("German amount = %+v, %v", v, err)
	}
	for in, want := range map[string]time.Time{
		"Mon 1/20/25":              time.Date(2025, 1, 20, 0, 0, 0, 0, time.UTC),
		"1/20/2025 5:30 PM":        time.Date(2025, 1, 20, 17, 30, 0, 0, time.UTC),
		"January 20, 2025 8:00 AM": time.Date(2025, 1, 20, 8, 0, 0, 0, time.UTC),
		"2025-01-20T08:00:00":      time.Date(2025, 1, 20, 8, 0, 0, 0, time.UTC),
		"12/31/99 12:00 AM":        time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC),
	} {
		got, err := tf.parseDate(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	dmy := textFormat{dateOrder: "DMY"}
	if got, err := dmy.parseDate("Di 07.01.03 08:00"); err != nil || !got.Equal(time.Date(2003, 1, 7, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("German date = %v, %v", got, err)
	}
	for _, bad := range []string{"32/13/2025", "tomorrow", "13:00", "1/2", "2025-02-30"} {
		if _, err := tf.parseDate(bad); err == nil {
			t.Errorf("parseDate(%q) accepted", bad)
		}
	}
}

// TestBadInput checks that each kind of broken file is rejected with an error that
// names the file and the place (line, or sheet/row/cell) and says what is wrong.
func TestBadInput(t *testing.T) {
	small, err := os.ReadFile("testdata/small.xml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noHeader := func() string {
		f := excelize.NewFile()
		defer f.Close()
		_ = f.SetSheetRow("Sheet1", "A1", &[]any{"Quarterly report"})
		_ = f.SetSheetRow("Sheet1", "A2", &[]any{"Revenue", 12, 13})
		p := filepath.Join(dir, "noheader.xlsx")
		if err := f.SaveAs(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badCell := func() string {
		f := excelize.NewFile()
		defer f.Close()
		_ = f.SetSheetName("Sheet1", "Task_Table1")
		_ = f.SetSheetRow("Task_Table1", "A1", &[]any{"ID", "Name", "Start"})
		_ = f.SetSheetRow("Task_Table1", "A2", &[]any{1, "Fine", "1/6/2025"})
		_ = f.SetSheetRow("Task_Table1", "A3", &[]any{2, "Broken", "the 6th of Jan"})
		p := filepath.Join(dir, "badcell.xlsx")
		if err := f.SaveAs(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	truncated := small[:len(small)*6/10]
	cases := []struct {
		name  string
		path  string
		opts  Options
		want  []string // substrings the message must contain
		isErr error
	}{
		{"malformed XML", write("malformed.xml", []byte("<Project xmlns=\"http://schemas.microsoft.com/project\">\n<Tasks>\n<Task><UID>1</UID>\n</Tasks>\n</Project>\n")),
			Options{}, []string{"malformed.xml:4", "malformed XML", "Task"}, nil},
		{"truncated XML", write("truncated.xml", truncated), Options{},
			[]string{"truncated.xml:" + itoa(bytes.Count(truncated, []byte("\n"))+1), "truncated"}, nil},
		{"wrong root", write("wrongroot.xml", []byte("<?xml version=\"1.0\"?>\n<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\"/>\n")),
			Options{}, []string{"wrongroot.xml:2", "wrong root element", "Workbook"}, nil},
		{"bad date in MSPDI", write("baddate.xml", bytes.Replace(small, []byte("<Deadline>2025-01-22T17:00:00</Deadline>"), []byte("<Deadline>22/01/2025</Deadline>"), 1)),
			Options{}, []string{"baddate.xml:" + itoa(lineOf(small, "<Deadline>")), "task UID 3", "<Deadline>", "22/01/2025"}, nil},
		{"unknown date format in CSV", write("baddate.csv", []byte("ID,Name,Start\n1,A,1/6/2025\n2,B,32/13/2025\n")),
			Options{}, []string{"baddate.csv:3:5", `column "Start"`, "unknown date format", "32/13/2025"}, nil},
		{"XLSX without header", noHeader(), Options{}, []string{"noheader.xlsx", `sheet "Sheet1"`, "no recognisable header row"}, nil},
		{"bad XLSX cell", badCell(), Options{}, []string{"badcell.xlsx", `sheet "Task_Table1"`, "row 3", "cell C3", "unknown date format"}, nil},
		{"CSV without header", write("noheader.csv", []byte("a,b\n1,2\n")), Options{}, []string{"noheader.csv", "no recognisable header row"}, nil},
		{"oversize (stat)", write("big.xml", small), Options{MaxBytes: 1000}, []string{"big.xml", "max_file_size"}, ErrTooLarge},
		{"entity expansion", write("lol.xml", []byte("<?xml version=\"1.0\"?>\n<!DOCTYPE Project [\n <!ENTITY a \"aaaaaaaaaa\">\n <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n]>\n<Project><Name>&b;</Name></Project>\n")),
			Options{}, []string{"lol.xml:5", "DOCTYPE declares entities"}, nil},
		{"undefined entity", write("ent.xml", []byte("<Project>\n<Name>&xxe;</Name>\n</Project>\n")), Options{}, []string{"ent.xml:2", "malformed XML"}, nil},
		{"binary mpp", write("plan.mpp", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest")), Options{}, []string{"plan.mpp", "Save As", "XML"}, ErrUnsupported},
		{"empty file", write("empty.xml", nil), Options{}, []string{"empty.xml", "no recognisable header row"}, nil},
		{"MPX bad record", write("bad.mpx", []byte("MPX,Microsoft Project for Windows,4.0,ANSI\r\n61,90,1,50\r\n70,1,Task,Tue 99/99/03\r\n")), Options{},
			[]string{"bad.mpx:3", "unknown date format", "Tue 99/99/03"}, nil},
		{"MPX unknown record", write("unk.mpx", []byte("MPX,Microsoft Project for Windows,4.0,ANSI\r\n42,x\r\n")), Options{}, []string{"unk.mpx:2", "unknown MPX record type 42"}, nil},
		{"bad number in MSPDI", write("badnum.xml", []byte("<Project>\n<Tasks>\n<Task>\n<UID>4</UID>\n<Cost>lots</Cost>\n</Task>\n</Tasks>\n</Project>\n")),
			Options{}, []string{"badnum.xml:5", "task UID 4", "<Cost>", "not a number"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseFile(context.Background(), c.path, c.opts)
			if err == nil {
				t.Fatal("accepted")
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error %T is not a *ParseError: %v", err, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if c.isErr != nil && !errors.Is(err, c.isErr) {
				t.Errorf("error %v is not %v", err, c.isErr)
			}
		})
	}
}

// TestStreamingLimit: the size limit also holds while streaming (no Stat, e.g. a
// pipe), and reports the limit rather than a truncation.
func TestStreamingLimit(t *testing.T) {
	small, _ := os.ReadFile("testdata/small.xml")
	_, err := ParseMSPDI(context.Background(), bytes.NewReader(small), "pipe.xml", Options{MaxBytes: 2048})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "pipe.xml") || !strings.Contains(err.Error(), "max_file_size 2KB") {
		t.Errorf("err = %v, want ErrTooLarge naming pipe.xml and the limit", err)
	}
	if _, err := ParseMSPDI(context.Background(), bytes.NewReader(small), "pipe.xml", Options{MaxBytes: int64(len(small))}); err != nil {
		t.Errorf("a file of exactly the limit was rejected: %v", err)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var b bytes.Buffer
	if err := WriteSyntheticMSPDI(&b, SyntheticSpec{Tasks: 5000}); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseMSPDI(ctx, bytes.NewReader(b.Bytes()), "big.xml", Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// lineOf is the 1-based line of the first occurrence of s.
func lineOf(data []byte, s string) int {
	i := bytes.Index(data, []byte(s))
	return bytes.Count(data[:i], []byte("\n")) + 1
}
