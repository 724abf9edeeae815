package riskregister

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func parseFile(t *testing.T, name string, o Options) *Register {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := Parse(name, data, time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC), o)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestBadRowsAreReportedAndGoodRowsLoad(t *testing.T) {
	reg := parseFile(t, "register-2026-03-13.csv", Options{})
	// The header is on row 3 after two title rows; are good.
	var ids []string
	for _, r := range reg.Risks {
		ids = append(ids, r.ID)
	}
	if got := strings.Join(ids, ","); got != "R-1,R-2,R-6" {
		t.Fatalf("loaded %s, want R-1,R-2,R-6", got)
	}
	want := []struct {
		row    int
		column string
		text   string
	}{
		{6, "Likelihood (%)", `"lots"`},
		{7, "Risk ID", "no ID"},
		{8, "Date Raised", `"2026-13-45"`},
		{11, "Impact (1-5)", `"7"`},
		{12, "Date Closed", "before it was opened"},
	}
	if len(reg.Problems) != len(want) {
		t.Fatalf("problems %v, want %d", reg.Problems, len(want))
	}
	for i, w := range want {
		p := reg.Problems[i]
		msg := p.Error()
		if p.Row != w.row || p.Column != w.column || !strings.Contains(msg, "register-2026-03-13.csv") ||
			!strings.Contains(msg, "row ") || !strings.Contains(msg, w.column) || !strings.Contains(msg, w.text) {
			t.Errorf("problem %d = %q (row %d, column %q), want row %d column %q mentioning %s", i, msg, p.Row, p.Column, w.row, w.column, w.text)
		}
	}
	if reg.AsOf != time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC) || reg.DateSource != DateFromFilename {
		t.Errorf("as of %v from %s, want 2026-03-13 from the file name", reg.AsOf, reg.DateSource)
	}
	r1, r2, r6 := reg.Risks[0], reg.Risks[1], reg.Risks[2]
	// "40%" is 0.4 and "60" under a (%) header is 0.6; "$100,000" is 100000.
	if *r1.Probability != 0.4 || *r1.ImpactCost != 100000 || *r1.ImpactScore != 4 || *r1.ProbabilityScore != 2 {
		t.Errorf("R-1 = p %v cost %v impact %v pscore %v", *r1.Probability, *r1.ImpactCost, *r1.ImpactScore, *r1.ProbabilityScore)
	}
	if *r2.Probability != 0.6 || *r2.ImpactCost != 20000 || *r2.ProbabilityScore != 3 {
		t.Errorf("R-2 = p %v cost %v pscore %v", *r2.Probability, *r2.ImpactCost, *r2.ProbabilityScore)
	}
	if r6.IsOpen() || *r6.ImpactCost != 12500.5 || r6.Closed.Format("2006-01-02") != "2026-02-20" || !r1.IsOpen() {
		t.Errorf("R-6 open %v cost %v closed %v", r6.IsOpen(), *r6.ImpactCost, r6.Closed)
	}
	if r1.Title != "Vendor build slips" || r1.Owner != "Vendor Manager" || r1.Response != "Weekly checkpoint" || r1.Project != "EHR Upgrade" ||
		r1.Due.Format("2006-01-02") != "2026-04-10" || r1.Category != "Vendor" {
		t.Errorf("R-1 = %+v", r1)
	}
}

func TestEuropeanRegister(t *testing.T) {
	reg := parseFile(t, "european.csv", Options{DecimalComma: true, DateLayouts: []string{"02/01/2006"}, DefaultProject: "Dublin"})
	if len(reg.Problems) != 0 || len(reg.Risks) != 2 {
		t.Fatalf("risks %d problems %v", len(reg.Risks), reg.Problems)
	}
	a1 := reg.Risks[0]
	// "0,35" is a fraction (every value ≤ 1); "1.250.000,00" is 1 250 000; a lone
	// "Impact" column with amounts is the cost impact.
	if *a1.Probability != 0.35 || *a1.ImpactCost != 1250000 || a1.ImpactScore != nil || a1.Opened.Format("2006-01-02") != "2026-01-15" ||
		a1.Project != "Dublin" || a1.Title != "Décision tardive" {
		t.Errorf("A-1 = %+v", a1)
	}
}

func TestProbabilityScales(t *testing.T) {
	cases := []struct {
		name, header string
		values       []string
		scale        string
		want         []float64
		wantScore    []int
	}{
		{"percent header", "Probability (%)", []string{"40", "5"}, "", []float64{0.4, 0.05}, []int{2, 1}},
		{"percent signs", "Probability", []string{"40%", "85%"}, "", []float64{0.4, 0.85}, []int{2, 5}},
		{"fraction", "Probability", []string{"0.4", "0.9"}, "", []float64{0.4, 0.9}, []int{2, 5}},
		{"formatted percent cells", "Probability (%)", []string{"0.4", "0.25"}, "", []float64{0.4, 0.25}, []int{2, 2}},
		{"scores", "Likelihood", []string{"1", "5"}, "", []float64{0.1, 0.9}, []int{1, 5}},
		{"words", "Likelihood", []string{"Very Low", "Almost certain"}, "", []float64{0.1, 0.9}, []int{1, 5}},
		{"configured percent", "Likelihood", []string{"1", "5"}, "percent", []float64{0.01, 0.05}, []int{1, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("ID,Title,Status," + c.header + "\n")
			for i, v := range c.values {
				b.WriteString("R" + string(rune('1'+i)) + ",t,Open," + v + "\n")
			}
			reg, err := ParseCSV("r-2026-01-01.csv", strings.NewReader(b.String()), time.Time{}, Options{ProbabilityScale: c.scale})
			if err != nil {
				t.Fatal(err)
			}
			if len(reg.Risks) != len(c.values) {
				t.Fatalf("risks %d, problems %v", len(reg.Risks), reg.Problems)
			}
			for i, r := range reg.Risks {
				if d := *r.Probability - c.want[i]; d > 1e-12 || d < -1e-12 || *r.ProbabilityScore != c.wantScore[i] {
					t.Errorf("%q → p %v score %d, want %v score %d", c.values[i], *r.Probability, *r.ProbabilityScore, c.want[i], c.wantScore[i])
				}
			}
		})
	}
}

func TestSnapshotDateSources(t *testing.T) {
	mod := time.Date(2026, 6, 30, 15, 4, 5, 0, time.UTC)
	withColumn := "ID,Title,Status,As of\nR1,t,Open,2026-05-31\nR2,t,Open,2026-05-29\n"
	plain := "ID,Title,Status\nR1,t,Open\n"
	cases := []struct {
		name, file, body, mode, want, from string
	}{
		{"column wins", "reg-2026-01-01.csv", withColumn, "", "2026-05-31", DateFromColumn},
		{"file name", "reg_20260115.csv", plain, "", "2026-01-15", DateFromFilename},
		{"file time", "register.csv", plain, "", "2026-06-30", DateFromFileTime},
		{"forced file time", "reg-2026-01-01.csv", withColumn, DateFromFileTime, "2026-06-30", DateFromFileTime},
	}
	for _, c := range cases {
		reg, err := ParseCSV(c.file, strings.NewReader(c.body), mod, Options{SnapshotDate: c.mode})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if reg.AsOf.Format("2006-01-02") != c.want || reg.DateSource != c.from {
			t.Errorf("%s: %s from %s, want %s from %s", c.name, reg.AsOf.Format("2006-01-02"), reg.DateSource, c.want, c.from)
		}
	}
	if _, err := ParseCSV("register.csv", strings.NewReader(plain), time.Time{}, Options{SnapshotDate: DateFromFilename}); err == nil {
		t.Error("a register without a date in its name was accepted with snapshot_date: filename")
	}
}

func TestColumnMapAndNoHeader(t *testing.T) {
	body := "Key,Heading,Chance,Money,Stage\nX-1,t,50,1000,Open\n"
	if _, err := ParseCSV("a.csv", strings.NewReader(body), time.Now(), Options{}); !errors.Is(err, ErrNoHeader) {
		t.Fatalf("unrecognised headers gave %v", err)
	}
	o := Options{Columns: map[string]string{"title": "Heading", "probability": "chance", "impact_cost": "Money", "status": "Stage"}}
	reg, err := ParseCSV("a.csv", strings.NewReader(body), time.Now(), o)
	if err != nil {
		t.Fatal(err)
	}
	r := reg.Risks[0]
	if r.ID != "X-1" || r.Title != "t" || *r.Probability != 0.5 || *r.ImpactCost != 1000 || r.Status != "Open" {
		t.Errorf("mapped row = %+v", r)
	}
}

func TestXLSXRegister(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	if _, err := f.NewSheet("Risks"); err != nil {
		t.Fatal(err)
	}
	rows := [][]any{
		{"Register as at 31 May 2026"},
		{"ID", "Title", "Probability", "Impact ($)", "Impact Score", "Owner", "Status", "Opened", "Due", "Project"},
		{"R-1", "Interface capacity", 0.4, 100000, 4, "Integration Lead", "Open", time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC), "FHIR"},
		{"R-2", "Bad row", "often", 5000, 2, "Integration Lead", "Open", time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC), nil, "FHIR"},
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Risks", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	reg, err := Parse("fhir-risks-2026-05-31.xlsx", buf.Bytes(), time.Time{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if reg.Sheet != "Risks" || len(reg.Risks) != 1 || len(reg.Problems) != 1 {
		t.Fatalf("sheet %q risks %d problems %v", reg.Sheet, len(reg.Risks), reg.Problems)
	}
	r := reg.Risks[0]
	if *r.Probability != 0.4 || *r.ImpactCost != 100000 || *r.ImpactScore != 4 || r.Opened.Format("2006-01-02") != "2026-02-03" || r.Due.Format("2006-01-02") != "2026-04-30" {
		t.Errorf("R-1 = %+v", r)
	}
	p := reg.Problems[0]
	if p.Row != 4 || p.Column != "Probability" || p.Sheet != "Risks" || !strings.Contains(p.Error(), "fhir-risks-2026-05-31.xlsx sheet Risks row 4") {
		t.Errorf("problem = %v", p)
	}
	if _, err := Parse("x.xlsx", buf.Bytes(), time.Time{}, Options{Sheet: "Nope"}); err == nil || !strings.Contains(err.Error(), "Risks") {
		t.Errorf("missing sheet gave %v", err)
	}
}

func TestDateFromName(t *testing.T) {
	for name, want := range map[string]string{
		"risk-register-2026-11-20.csv": "2026-11-20", "RR_20260105_final.xlsx": "2026-01-05", "risks.2025.12.31.csv": "2025-12-31", "risks.csv": "",
	} {
		d, ok := DateFromName(name)
		if got := d.Format("2006-01-02"); ok != (want != "") || (ok && got != want) {
			t.Errorf("%s → %s %v, want %q", name, got, ok, want)
		}
	}
}

func FuzzParseCSV(f *testing.F) {
	for _, name := range []string{"register-2026-03-13.csv", "european.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("ID;Probability;Impact\nR1;4;High\n"))
	f.Add([]byte("\xef\xbb\xbfID,Title,Status,Likelihood,Impact\n\"R\"\"1\",x,Closed,\"(5%)\",1.5k\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		reg, err := ParseCSV("fuzz-2026-01-01.csv", bytes.NewReader(data), time.Time{}, Options{})
		if err != nil {
			return
		}
		for _, r := range reg.Risks {
			if r.ID == "" {
				t.Fatalf("risk without ID: %+v", r)
			}
			if r.Probability != nil && (*r.Probability < 0 || *r.Probability > 1) {
				t.Fatalf("probability %v outside 0–1", *r.Probability)
			}
			for _, s := range []*int{r.ProbabilityScore, r.ImpactScore} {
				if s != nil && (*s < 1 || *s > 5) {
					t.Fatalf("score %d outside 1–5", *s)
				}
			}
		}
		for _, p := range reg.Problems {
			if p.Row < 1 || p.File == "" {
				t.Fatalf("problem without a location: %v", p)
			}
		}
	})
}
