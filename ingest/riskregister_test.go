package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/demo"
	"github.com/pmlens/pmlens/warehouse"
)

// riskEnv builds a configuration with one risk-register source over dir.
func riskEnv(t *testing.T, dir, extra string) (*Syncer, *configs.Config) {
	t.Helper()
	yml := `warehouse: {path: wh/risk.duckdb}
sources:
  - name: pmo-risks
    type: risk-register
    path: registers
` + extra
	cfg, err := configs.Parse([]byte(yml), "test.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	return New(Env{Config: cfg}), cfg
}

func writeRegister(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "registers"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "registers", name), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func syncOnce(t *testing.T, s *Syncer) warehouse.Result {
	t.Helper()
	res, err := s.Sync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("sync: %+v", res)
	}
	return res[0]
}

// published opens the current published version read-only.
func published(t *testing.T, cfg *configs.Config) *sql.DB {
	t.Helper()
	r := warehouse.NewReader(cfg.Warehouse.Path, "")
	snap, release, err := r.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { release(); r.Close() })
	return snap.DB
}

func queryString(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	var s sql.NullString
	if err := db.QueryRow(q, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s.String
}

const header = "ID,Title,Category,Probability (%),Impact (cost),Impact (1-5),Owner,Status,Response,Opened,Closed,Due,Project\n"

func TestRiskRegisterBadRowsLoadPartially(t *testing.T) {
	dir := t.TempDir()
	writeRegister(t, dir, "risks-2026-05-01.csv", header+
		"R-1,Vendor slips,Vendor,40,100000,4,Vendor Manager,Open,Checkpoint,2026-03-02,,2026-06-01,EHR\n"+
		"R-2,Bad probability,Vendor,often,100000,4,Vendor Manager,Open,Checkpoint,2026-03-02,,2026-06-01,EHR\n"+
		"R-3,Bad due date,Vendor,40,100000,4,Vendor Manager,Open,Checkpoint,2026-03-02,,someday,EHR\n")
	s, cfg := riskEnv(t, dir, "")
	res := syncOnce(t, s)
	if res.Status != warehouse.StatusPartial || len(res.Problems) != 2 {
		t.Fatalf("status %s problems %v, want partial with 2", res.Status, res.Problems)
	}
	db := published(t, cfg)
	msgs := queryString(t, db, `SELECT string_agg(location || ' ' || message, ' | ' ORDER BY location) FROM sync_problems`)
	for _, want := range []string{"risks-2026-05-01.csv", "row 3", `column "Probability (%)"`, "row 4", `column "Due"`} {
		if !strings.Contains(msgs, want) {
			t.Errorf("sync_problems %q lacks %q", msgs, want)
		}
	}
	if got := queryString(t, db, `SELECT string_agg(risk_id, ',') FROM risks`); got != "R-1" {
		t.Errorf("risks loaded: %q, want R-1", got)
	}
	if got := queryString(t, db, `SELECT status FROM sync_runs`); got != "partial" {
		t.Errorf("sync_runs.status %q", got)
	}
	// Privacy by default: the owner is a keyed hash, free text is not stored.
	owner := queryString(t, db, `SELECT owner FROM risks`)
	title := queryString(t, db, `SELECT coalesce(title, '') || coalesce(response, '') FROM risks`)
	if !strings.HasPrefix(owner, "person:") || title != "" {
		t.Errorf("owner %q, title+response %q: want a hash and nothing", owner, title)
	}
}

func TestRiskRegisterFolderBuildsHistory(t *testing.T) {
	dir := t.TempDir()
	// Three fortnightly registers: R-1 is mitigated (40 % → 20 %) and closed,
	// R-2 appears in the second register.
	writeRegister(t, dir, "risks-2026-05-01.csv", header+
		"R-1,Vendor slips,Vendor,40,100000,4,Vendor Manager,Open,Checkpoint,2026-03-02,,2026-06-01,EHR\n")
	writeRegister(t, dir, "risks-2026-05-15.csv", header+
		"R-1,Vendor slips,Vendor,20,100000,4,Vendor Manager,Mitigating,Checkpoint,2026-03-02,,2026-06-01,EHR\n"+
		"R-2,Test window,Schedule,60,20000,2,Test Manager,Open,Plan,2026-05-10,,2026-07-01,EHR\n")
	writeRegister(t, dir, "risks-2026-05-29.csv", header+
		"R-1,Vendor slips,Vendor,5,100000,4,Vendor Manager,Closed,Checkpoint,2026-03-02,2026-05-27,2026-06-01,EHR\n"+
		"R-2,Test window,Schedule,60,20000,2,Test Manager,Open,Plan,2026-05-10,,2026-07-01,EHR\n")
	s, cfg := riskEnv(t, dir, "    include_text_fields: [title]\n    include_people: true\n")
	first := syncOnce(t, s)
	if first.Status != warehouse.StatusSuccess {
		t.Fatalf("first sync %s: %v", first.Status, first.Problems)
	}
	db := published(t, cfg)
	if got := queryString(t, db, `SELECT string_agg(risk_id || '@' || as_of || '=' || probability || '/' || snapshot_date_source, ' ' ORDER BY as_of, risk_id) FROM risk_snapshots`); got !=
		"R-1@2026-05-01=0.4/filename R-1@2026-05-15=0.2/filename R-2@2026-05-15=0.6/filename R-1@2026-05-29=0.05/filename R-2@2026-05-29=0.6/filename" {
		t.Errorf("history %s", got)
	}
	if got := queryString(t, db, `SELECT string_agg(risk_id || ':' || status || ':' || is_open || ':' || coalesce(closed::VARCHAR, '-') || ':' || title || ':' || owner, ' ' ORDER BY risk_id) FROM risks`); got !=
		"R-1:Closed:false:2026-05-27:Vendor slips:Vendor Manager R-2:Open:true:-:Test window:Test Manager" {
		t.Errorf("current risks %s", got)
	}
	if got := queryString(t, db, `SELECT string_agg(DISTINCT project_id, ',') FROM risks`); got != "ehr" {
		t.Errorf("project %q, want the auto-created ehr", got)
	}
	// Re-importing identical files changes nothing.
	again := syncOnce(t, s)
	if again.Rows != 0 || again.Status != warehouse.StatusSuccess {
		t.Errorf("second sync of unchanged files: %d rows, %s", again.Rows, again.Status)
	}
	// A corrected register replaces that snapshot's rows instead of adding to them.
	writeRegister(t, dir, "risks-2026-05-29.csv", header+
		"R-2,Test window,Schedule,70,20000,2,Test Manager,Open,Plan,2026-05-10,,2026-07-01,EHR\n")
	syncOnce(t, s)
	db = published(t, cfg)
	if got := queryString(t, db, `SELECT count(*) || ' ' || max(probability) FROM risk_snapshots WHERE as_of = DATE '2026-05-29'`); got != "1 0.7" {
		t.Errorf("replaced snapshot: %s", got)
	}
}

// TestRiskRegisterEMVInputs checks the numbers EMV is computed from. The case
// is rmp-emv in ../shared/evm-cases.json: risks of 40 % × 100,000 and
// 60 % × 20,000 have EMVs 40,000 and 12,000, a contingency of 52,000.
func TestRiskRegisterEMVInputs(t *testing.T) {
	dir := t.TempDir()
	writeRegister(t, dir, "emv.csv", "Risk ID;Likelihood;Cost Impact;As of;Project\n"+
		"E-1;40%;\"100.000,00\";2026-06-30;Case\n"+
		"E-2;60%;\"20.000\";2026-06-30;Case\n")
	s, cfg := riskEnv(t, dir, "    register: {decimal_comma: true}\n")
	res := syncOnce(t, s)
	if res.Status != warehouse.StatusSuccess {
		t.Fatalf("%s %v", res.Status, res.Problems)
	}
	db := published(t, cfg)
	got := queryString(t, db, `SELECT string_agg(risk_id || '=' || round(probability * impact_cost, 2), ' ' ORDER BY risk_id) || ' total=' || round(sum(probability * impact_cost), 2)
		|| ' scores=' || string_agg(probability_score::VARCHAR, ',' ORDER BY risk_id) || ' ' || min(as_of) || '/' || (SELECT min(snapshot_date_source) FROM risk_snapshots) FROM risks`)
	// 0.4 × 100000 = 40000; 0.6 × 20000 = 12000; sum 52000. Probability bands:
	// 0.4 is in (0.2, 0.4] → 2, 0.6 in (0.4, 0.6] → 3. The date is the As of column.
	if want := "E-1=40000.0 E-2=12000.0 total=52000.0 scores=2,3 2026-06-30/column"; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

func TestRiskRegisterConfigErrors(t *testing.T) {
	yml := `sources:
  - name: r
    type: risk-register
    path: x
    include_text_fields: [description]
    register:
      columns: {likelihood: "L"}
      date_formats: ["DD/QQ/YYYY"]
      probability_scale: odds
`
	_, err := configs.Parse([]byte(yml), "bad.yaml", t.TempDir())
	if err == nil {
		t.Fatal("bad register options were accepted")
	}
	for _, want := range []string{"bad.yaml:2", "register.columns.likelihood", "register.date_formats", "register.probability_scale", "include_text_fields"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// TestDemoRiskRegisters ingests the demo's registers through the demo
// configuration: every row maps to a configured project and history builds up.
func TestDemoRiskRegisters(t *testing.T) {
	dir := t.TempDir()
	if err := demo.Generate(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	cfg, err := demo.Config(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Env{Config: cfg})
	res, err := s.Sync(context.Background(), "demo-risks")
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Status != warehouse.StatusSuccess {
		t.Fatalf("demo-risks: %s %v %v", res[0].Status, res[0].Err, res[0].Problems)
	}
	db := published(t, cfg)
	got := queryString(t, db, `SELECT count(DISTINCT as_of) || ' dates, ' || count(DISTINCT risk_id) || ' risks, ' ||
		count(*) FILTER (WHERE project_id NOT IN (SELECT project_id FROM projects WHERE configured)) || ' unmapped, ' ||
		count(*) FILTER (WHERE title IS NULL) || ' without title' FROM risk_snapshots`)
	var dates, risks, unmapped, untitled int
	if _, err := fmt.Sscanf(got, "%d dates, %d risks, %d unmapped, %d without title", &dates, &risks, &unmapped, &untitled); err != nil {
		t.Fatal(got, err)
	}
	if dates < 12 || risks < 40 || unmapped != 0 || untitled != 0 {
		t.Errorf("demo registers: %s", got)
	}
	overdue := queryString(t, db, `SELECT count(*) FROM risks WHERE is_open AND due < as_of`)
	if overdue == "0" {
		t.Error("the demo has no overdue risk responses")
	}
}
