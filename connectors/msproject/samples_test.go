package msproject

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pmlens/pmlens/internal/shareddata"
)

// manifestRow is one line of the sample README's MSPDI or MPX table.
type manifestRow struct {
	file  string
	cells []string
}

// readManifest parses the markdown tables of msproject-samples/README.md, keyed by
// file name, so expectations come from the manifest rather than from this test.
func readManifest(t *testing.T, dir string) map[string]manifestRow {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatalf("reading sample manifest: %v", err)
	}
	defer f.Close()
	out := map[string]manifestRow{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") || strings.HasPrefix(line, "| File") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		name := cells[0]
		if strings.HasSuffix(name, ".xml") || strings.HasSuffix(name, ".mpx") {
			out[name] = manifestRow{file: name, cells: cells}
		}
	}
	return out
}

var (
	reTasks     = regexp.MustCompile(`^(\d+) \((\d+)/(\d+)/(\d+)\)$`)
	reResAsgCal = regexp.MustCompile(`^(\d+) / (\d+)\+(\d+)u / (\d+)$`)
	reBaselines = regexp.MustCompile(`^(\d+) tasks?, #(\d+)(?:–(\d+))?$`)
	reCostField = regexp.MustCompile(`^(\w+)×(\d+)$`)
	reCurrency  = regexp.MustCompile(`^(\S+) \((\S+)\)$`)
	reExtAttrs  = regexp.MustCompile(`^(\d+)/(\d+)$`)
	reMPXCounts = regexp.MustCompile(`^(\d+) / (\d+) / (\d+) / (\d+)$`)
)

func atoiT(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("manifest number %q: %v", s, err)
	}
	return n
}

// realTasks are the tasks the manifest counts: no project-summary row, no blank rows.
func realTasks(p *Project) (tasks, summaries, milestones, nulls int) {
	for _, t := range p.Tasks {
		switch {
		case t.IsNull:
			nulls++
		case t.ProjectSummary:
		default:
			tasks++
			if t.Summary {
				summaries++
			}
			if t.Milestone {
				milestones++
			}
		}
	}
	return
}

func TestSamplesMSPDI(t *testing.T) {
	dir := filepath.Join(shareddata.Dir(t), "msproject-samples")
	manifest := readManifest(t, dir)
	files, _ := filepath.Glob(filepath.Join(dir, "mspdi", "*.xml"))
	if len(files) == 0 {
		t.Skip("no MSPDI samples")
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			p, err := ParseFile(context.Background(), path, Options{})
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if p.Format != FormatMSPDI {
				t.Errorf("format = %s, want mspdi", p.Format)
			}
			row, ok := manifest[name]
			if !ok {
				t.Fatalf("%s is not in the manifest", name)
			}
			c := row.cells
			// Columns: 6 tasks, 7 res/asg/cal, 8 baselines, 9 cost fields,
			// 10 status date, 11 currency, 12 timephased types, 13 ext attrs.
			m := reTasks.FindStringSubmatch(c[6])
			if m == nil {
				t.Fatalf("manifest tasks cell %q", c[6])
			}
			tasks, sums, ms, nulls := realTasks(p)
			got := fmt.Sprintf("%d (%d/%d/%d)", tasks, sums, ms, nulls)
			want := fmt.Sprintf("%d (%d/%d/%d)", atoiT(t, m[1]), atoiT(t, m[2]), atoiT(t, m[3]), atoiT(t, m[4]))
			if got != want {
				t.Errorf("tasks (summaries/milestones/null) = %s, manifest %s", got, want)
			}

			m = reResAsgCal.FindStringSubmatch(c[7])
			if m == nil {
				t.Fatalf("manifest res/asg/cal cell %q", c[7])
			}
			real, placeholders := 0, 0
			for i := range p.Assignments {
				if p.Assignments[i].Placeholder() {
					placeholders++
				} else {
					real++
				}
			}
			got = fmt.Sprintf("%d / %d+%du / %d", len(p.Resources), real, placeholders, len(p.Calendars))
			if got != c[7] {
				t.Errorf("resources / assignments / calendars = %s, manifest %s", got, c[7])
			}

			withBaselines, minN, maxN := 0, 11, -1
			for _, tk := range p.Tasks {
				if len(tk.Baselines) > 0 {
					withBaselines++
				}
				for _, b := range tk.Baselines {
					minN, maxN = min(minN, b.Number), max(maxN, b.Number)
				}
			}
			if c[8] == "none" {
				if withBaselines != 0 {
					t.Errorf("%d tasks have baselines, manifest says none", withBaselines)
				}
			} else if m = reBaselines.FindStringSubmatch(c[8]); m == nil {
				t.Fatalf("manifest baselines cell %q", c[8])
			} else {
				hi := m[3]
				if hi == "" {
					hi = m[2]
				}
				if withBaselines != atoiT(t, m[1]) || minN != atoiT(t, m[2]) || maxN != atoiT(t, hi) {
					t.Errorf("baselines: %d tasks, #%d–%d; manifest %q", withBaselines, minN, maxN, c[8])
				}
			}

			// Cost fields: tasks (excluding the project-summary row) with a non-zero value.
			wantCost := map[string]int{}
			if c[9] != "none" {
				for _, part := range strings.Split(c[9], ", ") {
					m := reCostField.FindStringSubmatch(part)
					if m == nil {
						t.Fatalf("manifest cost cell %q", c[9])
					}
					wantCost[m[1]] = atoiT(t, m[2])
				}
			}
			gotCost := map[string]int{}
			for _, tk := range p.Tasks {
				if tk.ProjectSummary {
					continue
				}
				for name, v := range map[string]Opt[float64]{"Cost": tk.Cost, "ActualCost": tk.ActualCost, "ACWP": tk.ACWP, "BCWS": tk.BCWS, "BCWP": tk.BCWP, "FixedCost": tk.FixedCost} {
					if v.Valid && v.V != 0 {
						gotCost[name]++
					}
				}
			}
			if fmt.Sprint(gotCost) != fmt.Sprint(wantCost) {
				t.Errorf("non-zero cost fields = %v, manifest %v", gotCost, wantCost)
			}

			if c[10] == "none" && !p.StatusDate.IsZero() {
				t.Errorf("status date %v, manifest says none", p.StatusDate)
			}

			m = reCurrency.FindStringSubmatch(c[11])
			if m == nil {
				t.Fatalf("manifest currency cell %q", c[11])
			}
			code, sym := m[1], m[2]
			if code == "–" {
				code = ""
			}
			if sym == "–" {
				sym = ""
			}
			if p.CurrencyCode != code || p.CurrencySymbol != sym {
				t.Errorf("currency %q (%q), manifest %q (%q)", p.CurrencyCode, p.CurrencySymbol, code, sym)
			}

			types := map[int]bool{}
			collect := func(tps []Timephased) {
				for _, tp := range tps {
					types[tp.Type] = true
				}
			}
			for _, tk := range p.Tasks {
				collect(tk.Timephased)
			}
			for _, r := range p.Resources {
				collect(r.Timephased)
			}
			for _, a := range p.Assignments {
				collect(a.Timephased)
			}
			var tl []string
			for ty := range types {
				tl = append(tl, strconv.Itoa(ty))
			}
			sort.Slice(tl, func(i, j int) bool { a, _ := strconv.Atoi(tl[i]); b, _ := strconv.Atoi(tl[j]); return a < b })
			gotTypes := strings.Join(tl, ",")
			if gotTypes == "" {
				gotTypes = "–"
			}
			if gotTypes != c[12] {
				t.Errorf("timephased types %s, manifest %s", gotTypes, c[12])
			}

			m = reExtAttrs.FindStringSubmatch(c[13])
			if m == nil {
				t.Fatalf("manifest ext attrs cell %q", c[13])
			}
			values := 0
			for _, tk := range p.Tasks {
				values += len(tk.Custom)
			}
			for _, r := range p.Resources {
				values += len(r.Custom)
			}
			for _, a := range p.Assignments {
				values += len(a.Custom)
			}
			if got := fmt.Sprintf("%d/%d", len(p.FieldDefs), values); got != c[13] {
				t.Errorf("custom field defs/values %s, manifest %s", got, c[13])
			}
		})
	}
}

func TestSamplesMPX(t *testing.T) {
	dir := filepath.Join(shareddata.Dir(t), "msproject-samples")
	manifest := readManifest(t, dir)
	files, _ := filepath.Glob(filepath.Join(dir, "mpx", "*.mpx"))
	if len(files) == 0 {
		t.Skip("no MPX samples")
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			p, err := ParseFile(context.Background(), path, Options{})
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if p.Format != FormatMPX {
				t.Errorf("format = %s, want mpx", p.Format)
			}
			row, ok := manifest[name]
			if !ok {
				t.Fatalf("%s is not in the manifest", name)
			}
			m := reMPXCounts.FindStringSubmatch(row.cells[4])
			if m == nil {
				t.Fatalf("manifest records cell %q", row.cells[4])
			}
			base := 0
			for _, c := range p.Calendars {
				if c.IsBase {
					base++
				}
			}
			// The manifest counts records: every 70 (task) record, including the
			// project-summary row, every 50, 75 and 20 record.
			got := fmt.Sprintf("%d / %d / %d / %d", len(p.Tasks), len(p.Resources), len(p.Assignments), base)
			if got != row.cells[4] {
				t.Errorf("tasks / resources / assignments / base calendars = %s, manifest %s", got, row.cells[4])
			}
		})
	}
}
