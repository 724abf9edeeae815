package dashboards

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmlens/pmlens/auth"
	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/warehouse"
)

// The fixture portfolio. Numbers are chosen so expectations can be derived by hand
// in the tests; the metric views of issues 5 and 6 are created as plain tables with
// their documented columns (in tests only), so the pages are tested against the
// contract whether or not the real views have landed.
//
// project  program             portfolio     BAC        status 2026-01-19
// ehr      Clinical Systems    Hospital IT   1,000,000  red   (SPI 0.80, CPI 0.80)
// pacs     Clinical Systems    Hospital IT     500,000  amber (SPI 0.92, CPI 0.92)
// portal   Digital Front Door  Hospital IT     300,000  green (Jira-driven, XSS name)
// erp      Business Systems    Corporate IT    800,000  green (first status 2026-01-12)
// hipaa    Business Systems    Corporate IT          –  no earned value at all
const portalName = `Patient Portal <script>alert("xss")</script>`

var fixtureProjects = []configs.Project{
	{ID: "ehr", Name: "EHR Upgrade", Program: "Clinical Systems", Portfolio: "Hospital IT", Budget: 1_000_000, Currency: "USD", Contingency: 100_000},
	{ID: "pacs", Name: "PACS Migration", Program: "Clinical Systems", Portfolio: "Hospital IT", Budget: 500_000, Currency: "USD", Contingency: 50_000},
	{ID: "portal", Name: portalName, Program: "Digital Front Door", Portfolio: "Hospital IT", Budget: 300_000, Currency: "USD", Contingency: 20_000},
	{ID: "erp", Name: "ERP Revenue Cycle", Program: "Business Systems", Portfolio: "Corporate IT", Budget: 800_000, Currency: "USD"},
	{ID: "hipaa", Name: "HIPAA Remediation", Program: "Business Systems", Portfolio: "Corporate IT", Currency: "USD"},
}

// fixtureConfig is the configuration the handler sees (sources for the Data page).
func fixtureConfig() *configs.Config {
	return &configs.Config{
		Sources: []configs.Source{
			{Name: "schedules", Type: configs.TypeMSProject, Schedule: "@every 1h"},
			{Name: "ehr-jira", Type: configs.TypeJira, Schedule: "@every 30m"},
			{Name: "risks", Type: configs.TypeRiskRegister},
			{Name: "never-run", Type: configs.TypeJiraExport},
		},
		Projects: fixtureProjects,
		Metrics:  configs.Metrics{Currency: "USD"},
	}
}

// fakeScheduler gives fixed next-run times and records "Sync now" requests.
type fakeScheduler struct {
	mu        sync.Mutex
	next      map[string]time.Time
	triggered []string
}

func (f *fakeScheduler) Trigger(source string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.triggered {
		if t == source {
			return errors.New("a sync of " + source + " is already running")
		}
	}
	f.triggered = append(f.triggered, source)
	return nil
}

func (f *fakeScheduler) triggers() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.triggered...)
}

func (f *fakeScheduler) Next(source string) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.next[source]
	return t, ok
}

func (f *fakeScheduler) set(source string, t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next[source] = t
}

type fixture struct {
	path   string
	writer *warehouse.Writer
	reader *warehouse.Reader
	cfg    *configs.Config
	sched  *fakeScheduler
	logs   *logBuffer
}

// fixtureOptions choose what the fixture warehouse holds.
type fixtureOptions struct {
	// coreOnly leaves out every metric view: what a fresh warehouse looks like
	// before the metrics layer lands.
	coreOnly bool
	// scale adds this many generated projects with 52 weekly rows each (benchmarks).
	scale int
}

// newFixture builds a real warehouse under t.TempDir() through warehouse.Open,
// Begin and Finish, and a reader of its published version.
func newFixture(t testing.TB, o fixtureOptions) *fixture {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pmlens.duckdb")
	clock := time.Date(2026, 1, 20, 6, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Minute)
		return clock
	}
	projects := append([]configs.Project(nil), fixtureProjects...)
	for i := 0; i < o.scale; i++ {
		projects = append(projects, configs.Project{ID: fmt.Sprintf("gen-%03d", i), Name: fmt.Sprintf("Generated project %03d", i),
			Program: fmt.Sprintf("Program %d", i%12), Portfolio: fmt.Sprintf("Portfolio %d", i%3), Budget: float64(100_000 + 1000*i), Currency: "USD"})
	}
	w, err := warehouse.Open(ctx, warehouse.Options{Path: path, Projects: projects, Currency: "USD", LockTimeout: 10 * time.Second, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })

	run, err := w.Begin(ctx, "schedules", configs.TypeMSProject)
	if err != nil {
		t.Fatal(err)
	}
	err = loadConnectorFixtures(ctx, run, o.scale)
	switch {
	case err == nil && o.coreOnly:
		err = dropEVMViews(ctx, run)
	case err == nil:
		err = loadMetricFixtures(ctx, run, o.scale)
	}
	if res := w.Finish(ctx, run, err); res.Err != nil {
		t.Fatalf("loading fixture: %v", res.Err)
	}
	// A failed run and a partial run, for the Data page.
	run, err = w.Begin(ctx, "ehr-jira", configs.TypeJira)
	if err != nil {
		t.Fatal(err)
	}
	w.Finish(ctx, run, errors.New(`jira: GET /rest/api/2/search: 401 Unauthorized: check auth.token_env JIRA_TOKEN <b>bold</b>`))
	run, err = w.Begin(ctx, "risks", configs.TypeRiskRegister)
	if err != nil {
		t.Fatal(err)
	}
	run.AddRows(12)
	run.Problem("registers/2026-01-19.csv:7:Probability", errors.New(`"high-ish" is neither a percentage nor a level 1-5`))
	if res := w.Finish(ctx, run, nil); res.Status != warehouse.StatusPartial {
		t.Fatalf("risk run status %s, want partial", res.Status)
	}

	r := warehouse.NewReader(path, "threads=1")
	t.Cleanup(func() { r.Close() })
	return &fixture{path: path, writer: w, reader: r, cfg: fixtureConfig(),
		sched: &fakeScheduler{next: map[string]time.Time{"schedules": time.Date(2026, 1, 20, 8, 0, 0, 0, time.UTC)}},
		logs:  &logBuffer{}}
}

// handler builds the dashboards handler over the fixture, behind the sign-in
// service in its demo mode (sign-in off: everyone is the anonymous admin), as
// pmlens serve runs the built-in demo.
func (f *fixture) handler(t testing.TB, mod ...func(*Options)) http.Handler {
	t.Helper()
	svc := newAuth(t, false, nil)
	o := Options{Reader: f.reader, Config: f.cfg, Scheduler: f.sched, Version: "test", Auth: svc,
		Logger: slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, m := range mod {
		m(&o)
	}
	return svc.Wrap(New(o))
}

// newAuth is a sign-in service with its own users file; with enabled false it
// is the loopback demo's (anonymous admin).
func newAuth(t testing.TB, enabled bool, auditor auth.Auditor, mod ...func(*configs.AuthConfig)) *auth.Service {
	t.Helper()
	cfg := configs.DefaultAuthConfig()
	cfg.Enabled = &enabled
	cfg.UsersFile = filepath.Join(t.TempDir(), "users.json")
	for _, m := range mod {
		m(&cfg)
	}
	svc, err := auth.New(auth.Options{Config: cfg, Auditor: auditor, HashParams: auth.HashParams{Memory: 256, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// republish runs an empty sync so a new version is published.
func (f *fixture) republish(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	run, err := f.writer.Begin(ctx, "schedules", configs.TypeMSProject)
	if err != nil {
		t.Fatal(err)
	}
	if res := f.writer.Finish(ctx, run, nil); res.Err != nil {
		t.Fatal(res.Err)
	}
}

// replaceRelation drops a table or view of that name (a migration may already
// define the real view) so the test can create the documented columns as a table.
func replaceRelation(ctx context.Context, run *warehouse.Run, name, ddl string) error {
	var kind string
	err := run.QueryRow(ctx, `SELECT table_type FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ?`, name).Scan(&kind)
	switch {
	case err == nil && strings.EqualFold(kind, "VIEW"):
		if _, err := run.Exec(ctx, "DROP VIEW "+name); err != nil {
			return fmt.Errorf("dropping view %s: %w", name, err)
		}
	case err == nil:
		if _, err := run.Exec(ctx, "DROP TABLE "+name+" CASCADE"); err != nil {
			return fmt.Errorf("dropping table %s: %w", name, err)
		}
	}
	if _, err := run.Exec(ctx, ddl); err != nil {
		return fmt.Errorf("creating %s: %w", name, err)
	}
	return nil
}

// evmViews are the relations the earned-value layer defines (migration 0400).
var evmViews = []string{"project_health", "project_scope", "milestone_slips", "program_evm", "portfolio_evm", "project_evm", "task_evm"}

// dropEVMViews removes the earned-value layer's relations, so a coreOnly
// fixture is the warehouse before that layer landed, whichever migrations the
// tree has.
func dropEVMViews(ctx context.Context, run *warehouse.Run) error {
	for _, name := range evmViews {
		var kind string
		err := run.QueryRow(ctx, `SELECT table_type FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ?`, name).Scan(&kind)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		stmt := "DROP TABLE " + name + " CASCADE"
		if strings.EqualFold(kind, "VIEW") {
			stmt = "DROP VIEW " + name
		}
		if _, err := run.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("dropping %s: %w", name, err)
		}
	}
	return nil
}

func execAll(ctx context.Context, run *warehouse.Run, stmts ...string) error {
	for _, s := range stmts {
		if _, err := run.Exec(ctx, s); err != nil {
			return fmt.Errorf("%w\nin: %s", err, s)
		}
	}
	return nil
}

// loadConnectorFixtures writes rows into the connectors' own tables (migrations
// 0100 msproject, 0200 jira, 0300 risk), which exist before any metric view.
func loadConnectorFixtures(ctx context.Context, run *warehouse.Run, scale int) error {
	err := execAll(ctx, run,
		// EMV = probability × impact_cost; probabilities are exact binary fractions.
		// With the fixture matrix (probability bounds 0.2/0.4/0.6/0.8, cost bounds
		// 10k/25k/50k/75k; level = 1 + number of bounds below the value):
		// EHR on 2026-01-05: R1 0.75 × 100,000 = 75,000 in cell (4,5); R2 0.25 × 40,000 = 10,000 in (2,3).
		// EHR on 2026-01-19: R1 0.75 × 120,000 = 90,000 in (4,5); R2 closed; R3 0.625 × 80,000 = 50,000 in (4,5).
		// PACS on 2026-01-12: X1 0.75 × 60,000 = 45,000 in (4,4). Portal on 2026-01-19 (its
		// Jira source): P1 0.5 × 30,000 = 15,000 in (3,3); P2 0.125 × 4,000 = 500 in (1,1), is_open unknown.
		`INSERT INTO risk_snapshots (source, risk_id, project_id, as_of, status, probability, probability_score, impact_cost, impact_score, owner, is_open, title) VALUES
			('risks', 'R1', 'ehr', '2026-01-05', 'Open', 0.75, 4, 100000, 5, 'person:aa', true, 'Interface vendor late'),
			('risks', 'R2', 'ehr', '2026-01-05', 'Open', 0.25, 2, 40000, 3, 'person:bb', true, 'Clinician training capacity'),
			('risks', 'R1', 'ehr', '2026-01-19', 'Open', 0.75, 4, 120000, 5, 'person:aa', true, 'Interface vendor late'),
			('risks', 'R2', 'ehr', '2026-01-19', 'Closed', 0.25, 2, 40000, 3, 'person:bb', false, 'Clinician training capacity'),
			('risks', 'R3', 'ehr', '2026-01-19', 'Open', 0.625, 4, 80000, 5, 'person:cc', true, '<img src=x onerror=alert(1)>'),
			('risks', 'X1', 'pacs', '2026-01-12', 'Open', 0.75, 4, 60000, 4, NULL, true, 'Image archive migration window'),
			('portal-jira', 'P1', 'portal', '2026-01-19', 'Open', 0.5, 3, 30000, 3, NULL, true, 'Vendor API delay'),
			('portal-jira', 'P2', 'portal', '2026-01-19', 'Open', 0.125, 1, 4000, 1, NULL, NULL, '=HYPERLINK("http://example.invalid","x")')`,
		`INSERT INTO issues (source, project_id, issue_id, issue_key, project_key, changelog_complete, in_scope, loaded_at, run_id)
			SELECT 'portal-jira', 'portal', 1000 + i, 'PORT-' || i, 'PORT', true, true, TIMESTAMPTZ '2026-01-20 06:00:00+00', 1 FROM range(1, 11) t(i)`,
		`INSERT INTO sprints (source, sprint_id, name, state, complete_date) VALUES
			('portal-jira', 1, 'Sprint 1', 'closed', '2025-11-28'), ('portal-jira', 2, 'Sprint 2', 'closed', '2025-12-12'),
			('portal-jira', 3, 'Sprint 3', 'closed', '2026-01-09')`,
		`INSERT INTO sprint_issues (source, project_id, issue_id, issue_key, sprint_id)
			SELECT 'portal-jira', 'portal', 1000 + i, 'PORT-' || i, 1 + i % 3 FROM range(1, 11) t(i)`,
		// Two EHR schedule snapshots: the go-live milestone slips from 2026-06-01 to
		// 2026-06-15 (14 calendar days) in the second; a summary row must not count.
		`INSERT INTO task_snapshots (snapshot_id, project_id, snapshot_date, task_uid, name, wbs, is_project_summary, summary, milestone,
			active, is_null, manual, critical, baseline_cost, bcws, bcwp, acwp, baseline_finish, finish) VALUES
			(1, 'ehr', '2026-01-12 17:00', 1, 'Build', '1', false, true, false, true, false, false, false, 900000, 200000, 170000, 200000, '2026-06-01', '2026-06-01'),
			(1, 'ehr', '2026-01-12 17:00', 2, 'Interfaces', '1.1', false, false, false, true, false, false, false, 600000, 150000, 120000, 140000, '2026-05-01', '2026-05-10'),
			(1, 'ehr', '2026-01-12 17:00', 3, 'Go-live', '1.2', false, false, true, true, false, false, true, 0, 0, 0, 0, '2026-06-01', '2026-06-01'),
			(2, 'ehr', '2026-01-19 17:00', 1, 'Build', '1', false, true, false, true, false, false, false, 900000, 300000, 240000, 300000, '2026-06-01', '2026-06-15'),
			(2, 'ehr', '2026-01-19 17:00', 2, 'Interfaces', '1.1', false, false, false, true, false, false, false, 600000, 220000, 170000, 215000, '2026-05-01', '2026-05-20'),
			(2, 'ehr', '2026-01-19 17:00', 3, 'Go-live', '1.2', false, false, true, true, false, false, true, 0, 0, 0, 0, '2026-06-01', '2026-06-15')`,
	)
	if err != nil || scale == 0 {
		return err
	}
	return execAll(ctx, run,
		`INSERT INTO risk_snapshots (source, risk_id, project_id, as_of, status, probability, probability_score, impact_cost, impact_score, is_open, title)
			SELECT 'risks', 'G' || r, p.project_id, DATE '2026-01-19', 'Open', 0.5, 1 + r % 5, 1000.0 * r, 1 + (r * 7) % 5, true, 'Generated risk ' || r
			FROM projects p, range(8) t(r) WHERE p.project_id LIKE 'gen-%'`)
}

func loadMetricFixtures(ctx context.Context, run *warehouse.Run, scale int) error {
	tables := []struct{ name, ddl string }{
		{"project_evm", `CREATE TABLE project_evm (project_id VARCHAR, as_of DATE, bac DOUBLE, pv DOUBLE, ev DOUBLE, ac DOUBLE,
			sv DOUBLE, cv DOUBLE, spi DOUBLE, cpi DOUBLE, sv_pct DOUBLE, cv_pct DOUBLE, eac_cpi DOUBLE, eac_atypical DOUBLE,
			eac_cpi_spi DOUBLE, eac_weighted DOUBLE, eac_bottom_up DOUBLE, etc DOUBLE, vac DOUBLE, tcpi_bac DOUBLE, tcpi_eac DOUBLE,
			es_days DOUBLE, at_days DOUBLE, sv_t_days DOUBLE, spi_t DOUBLE, tspi DOUBLE, ieac_t_days DOUBLE, forecast_finish DATE,
			rag VARCHAR, rag_reasons VARCHAR)`},
		{"milestone_slips", `CREATE TABLE milestone_slips (project_id VARCHAR, task_uid BIGINT, milestone VARCHAR, snapshot_date DATE,
			baseline_finish DATE, forecast_finish DATE, slip_days DOUBLE)`},
		{"task_evm", `CREATE TABLE task_evm (project_id VARCHAR, as_of DATE, task_uid BIGINT, wbs VARCHAR, task_name VARCHAR,
			bac DOUBLE, pv DOUBLE, ev DOUBLE, ac DOUBLE, sv DOUBLE, cv DOUBLE, baseline_finish DATE, forecast_finish DATE, finish_slip_days DOUBLE)`},
		{"flow_weekly", `CREATE TABLE flow_weekly (project_id VARCHAR, week_start DATE, throughput BIGINT, wip BIGINT,
			cycle_p50_days DOUBLE, cycle_p85_days DOUBLE, lead_p50_days DOUBLE)`},
		{"cycle_times", `CREATE TABLE cycle_times (issue_id BIGINT, started_at TIMESTAMP, finished_at TIMESTAMP, cycle_days DOUBLE, lead_days DOUBLE)`},
		{"sprint_reports", `CREATE TABLE sprint_reports (sprint_id BIGINT, committed_points DOUBLE, added_points DOUBLE, removed_points DOUBLE,
			completed_points DOUBLE, committed_issues BIGINT, completed_issues BIGINT)`},
		{"forecasts", `CREATE TABLE forecasts (project_id VARCHAR, as_of DATE, scope VARCHAR, remaining_items BIGINT,
			p50_date DATE, p85_date DATE, p95_date DATE, method VARCHAR)`},
		{"forecast_distribution", `CREATE TABLE forecast_distribution (project_id VARCHAR, as_of DATE, scope VARCHAR, weeks BIGINT,
			finish_date DATE, trials BIGINT)`},
	}
	for _, tb := range tables {
		if err := replaceRelation(ctx, run, tb.name, tb.ddl); err != nil {
			return err
		}
	}
	if err := riskViewFixtures(ctx, run); err != nil {
		return err
	}
	err := execAll(ctx, run,
		// Base earned value; the derived measures are computed below with the
		// textbook formulas so every index agrees with its inputs.
		`INSERT INTO project_evm (project_id, as_of, bac, pv, ev, ac, spi_t, forecast_finish, rag, rag_reasons) VALUES
			('ehr', '2026-01-05', 1000000, 100000, 90000, 100000, 0.92, '2026-08-31', 'amber', 'SPI 0.90 below 0.95; CPI 0.90 below 0.95'),
			('ehr', '2026-01-12', 1000000, 200000, 170000, 200000, 0.88, '2026-09-15', 'red', 'SPI 0.85 below 0.90; CPI 0.85 below 0.90'),
			('ehr', '2026-01-19', 1000000, 300000, 240000, 300000, 0.84, '2026-09-30', 'red', 'SPI 0.80 below 0.90; CPI 0.80 below 0.90; EAC above 105% of BAC'),
			('pacs', '2026-01-05', 500000, 50000, 50000, 50000, 1.0, '2026-06-30', 'green', ''),
			('pacs', '2026-01-12', 500000, 100000, 95000, 100000, 0.96, '2026-07-03', 'green', ''),
			('pacs', '2026-01-19', 500000, 150000, 138000, 150000, 0.93, '2026-07-10', 'amber', 'SPI 0.92 below 0.95; CPI 0.92 below 0.95'),
			('portal', '2026-01-05', 300000, 30000, 30000, 28000, 1.0, '2026-04-30', 'green', ''),
			('portal', '2026-01-12', 300000, 60000, 62000, 58000, 1.02, '2026-04-28', 'green', ''),
			('portal', '2026-01-19', 300000, 90000, 93000, 88000, 1.03, '2026-04-27', 'green', ''),
			('erp', '2026-01-12', 800000, 80000, 80000, 78000, 1.0, '2026-12-31', 'green', ''),
			('erp', '2026-01-19', 800000, 160000, 164000, 150000, 1.02, '2026-12-20', 'green', '')`,
		`UPDATE project_evm SET sv = ev - pv, cv = ev - ac, spi = ev / pv, cpi = ev / ac, sv_pct = (ev - pv) / pv, cv_pct = (ev - ac) / ev,
			eac_cpi = bac / (ev / ac), eac_atypical = ac + bac - ev, etc = bac / (ev / ac) - ac, vac = bac - bac / (ev / ac),
			tcpi_bac = (bac - ev) / (bac - ac)`,
		`INSERT INTO milestone_slips VALUES
			('ehr', 10, 'Go-live', '2026-01-05', '2026-06-01', '2026-06-01', 0),
			('ehr', 10, 'Go-live', '2026-01-12', '2026-06-01', '2026-06-15', 10),
			('ehr', 10, 'Go-live', '2026-01-19', '2026-06-01', '2026-07-01', 22),
			('ehr', 8, 'Cutover rehearsal', '2026-01-05', '2026-04-01', '2026-04-01', 0),
			('ehr', 8, 'Cutover rehearsal', '2026-01-12', '2026-04-01', '2026-04-08', 5),
			('ehr', 8, 'Cutover rehearsal', '2026-01-19', '2026-04-01', '2026-04-08', 5)`,
		// WBS 2.10 sorts after 2.2 (numeric segments), and a task name carries markup.
		`INSERT INTO task_evm VALUES
			('ehr', '2026-01-19', 1, '1.1', 'Planning', 100000, 100000, 100000, 110000, 0, -10000, '2026-01-10', '2026-01-10', 0),
			('ehr', '2026-01-19', 2, '1.2', 'Vendor selection', 150000, 100000, 80000, 90000, -20000, -10000, '2026-02-01', '2026-02-10', 7),
			('ehr', '2026-01-19', 3, '2.1', 'Build <b>interfaces</b>', 400000, 80000, 50000, 80000, -30000, -30000, '2026-05-01', '2026-05-20', 13),
			('ehr', '2026-01-19', 4, '2.10', 'Data migration', 200000, 20000, 10000, 20000, -10000, -10000, '2026-05-15', '2026-06-01', 11),
			('ehr', '2026-01-19', 5, '2.2', 'Testing', 150000, 0, 0, 0, 0, 0, '2026-05-30', '2026-06-20', 15)`,
		// portal: eleven weeks of throughput 3,0,4,5,2,6,3,4,0,5,4 (36 items).
		`INSERT INTO flow_weekly SELECT 'portal', DATE '2025-11-03' + INTERVAL (7 * i) DAY, t, 5 + i % 3, 4 + i % 2, 8, 12
			FROM (SELECT unnest([3,0,4,5,2,6,3,4,0,5,4]) AS t, unnest(range(11)) AS i)`,
		// cycle_times and sprint_reports carry no project_id (issue 6 §3): the pages link
		// them through the Jira connector's issues and sprint_issues tables.
		`INSERT INTO cycle_times SELECT 1000 + i, TIMESTAMP '2025-11-01' + INTERVAL (7 * i) DAY,
			TIMESTAMP '2025-11-01' + INTERVAL (7 * i + i + 1) DAY, i + 1, i + 3 FROM range(1, 11) t(i)`,
		`INSERT INTO sprint_reports VALUES (1, 20, 3, 2, 18, 8, 7), (2, 22, 0, 4, 16, 9, 6), (3, 18, 5, 0, 20, 7, 8)`,
		`INSERT INTO forecasts VALUES
			('portal', '2026-01-05', 'project', 34, '2026-03-16', '2026-03-30', '2026-04-06', 'monte-carlo'),
			('portal', '2026-01-12', 'project', 30, '2026-03-09', '2026-03-23', '2026-04-06', 'monte-carlo')`,
		// The distribution behind the 2026-01-12 forecast, 10,000 trials: cumulative
		// 5,000 (50 %) at 8 weeks = 9 Mar, 8,500 (85 %) at 10 = 23 Mar, 9,400 at 11
		// and 10,000 (≥ 95 %) at 12 = 6 Apr — the forecast's p50/p85/p95 dates.
		`INSERT INTO forecast_distribution SELECT 'portal', DATE '2026-01-12', 'project', w, DATE '2026-01-12' + INTERVAL (7 * w) DAY, n
			FROM (SELECT unnest([8, 9, 10, 11, 12]) AS w, unnest([5000, 2000, 1500, 900, 600]) AS n)`,
	)
	if err != nil {
		return err
	}
	// The roll-ups as tables summed from the rows above (migration 0400 may
	// define them as views over the real inputs, which the fixture leaves empty).
	for _, r := range []struct{ name, ddl string }{
		{"program_evm", `CREATE TABLE program_evm AS SELECT p.program, e.as_of, sum(e.bac) AS bac, sum(e.pv) AS pv, sum(e.ev) AS ev, sum(e.ac) AS ac,
			sum(e.eac_cpi) AS eac_cpi, sum(e.ev) / sum(e.pv) AS spi, sum(e.ev) / sum(e.ac) AS cpi
			FROM project_evm e JOIN projects p USING (project_id) GROUP BY ALL`},
		{"portfolio_evm", `CREATE TABLE portfolio_evm AS SELECT p.portfolio, e.as_of, sum(e.bac) AS bac, sum(e.pv) AS pv, sum(e.ev) AS ev, sum(e.ac) AS ac,
			sum(e.eac_cpi) AS eac_cpi, sum(e.ev) / sum(e.pv) AS spi, sum(e.ev) / sum(e.ac) AS cpi
			FROM project_evm e JOIN projects p USING (project_id) GROUP BY ALL`},
	} {
		if err := replaceRelation(ctx, run, r.name, r.ddl); err != nil {
			return err
		}
	}
	if scale == 0 {
		return nil
	}
	// Scaled portfolio for benchmarks: 52 weekly rows per generated project.
	return execAll(ctx, run,
		`INSERT INTO project_evm (project_id, as_of, bac, pv, ev, ac, spi_t, forecast_finish, rag, rag_reasons)
			SELECT p.project_id, DATE '2025-01-27' + INTERVAL (7 * w) DAY, p.budget, p.budget * (w + 1) / 60.0,
				p.budget * (w + 1) / 60.0 * (0.85 + (hash(p.project_id) % 30) / 100.0), p.budget * (w + 1) / 60.0,
				1.0, DATE '2026-06-30', CASE hash(p.project_id) % 3 WHEN 0 THEN 'red' WHEN 1 THEN 'amber' ELSE 'green' END, 'generated'
			FROM projects p, range(52) r(w) WHERE p.project_id LIKE 'gen-%'`,
		`UPDATE project_evm SET sv = ev - pv, cv = ev - ac, spi = ev / pv, cpi = ev / ac, eac_cpi = bac / (ev / ac), vac = bac - bac / (ev / ac)
			WHERE project_id LIKE 'gen-%'`,
		`DELETE FROM program_evm`,
		`INSERT INTO program_evm SELECT p.program, e.as_of, sum(e.bac), sum(e.pv), sum(e.ev), sum(e.ac), sum(e.eac_cpi), sum(e.ev) / sum(e.pv), sum(e.ev) / sum(e.ac)
			FROM project_evm e JOIN projects p USING (project_id) GROUP BY ALL`,
		`DELETE FROM portfolio_evm`,
		`INSERT INTO portfolio_evm SELECT p.portfolio, e.as_of, sum(e.bac), sum(e.pv), sum(e.ev), sum(e.ac), sum(e.eac_cpi), sum(e.ev) / sum(e.pv), sum(e.ev) / sum(e.ac)
			FROM project_evm e JOIN projects p USING (project_id) GROUP BY ALL`,
	)
}

// riskViewFixtures configures the risk views of migration 0450 (risk_scores,
// risk_matrix, risk_exposure and their roll-ups) with a fixed 5×5 matrix, as
// metrics' risk refresh does in a sync, so the pages read the real views. On a tree
// without those views it creates tables with the documented columns instead.
func riskViewFixtures(ctx context.Context, run *warehouse.Run) error {
	var n int
	if err := run.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main'
		AND table_name IN ('risk_matrix', 'risk_settings', 'risk_matrix_levels', 'risk_matrix_bands', 'risk_currency_rates')`).Scan(&n); err != nil {
		return err
	}
	if n == 5 {
		return execAll(ctx, run,
			`DELETE FROM risk_settings`, `DELETE FROM risk_matrix_levels`, `DELETE FROM risk_matrix_bands`, `DELETE FROM risk_currency_rates`,
			`INSERT INTO risk_settings VALUES ('USD', 'cost', [0.2, 0.4, 0.6, 0.8], [10000, 25000, 50000, 75000])`,
			`INSERT INTO risk_matrix_levels SELECT 'probability', l, NULL, NULL, NULL, (2 * l - 1) / 10.0 FROM range(1, 6) t(l)`,
			`INSERT INTO risk_matrix_levels SELECT 'impact', l, NULL, NULL, NULL, NULL FROM range(1, 6) t(l)`,
			`INSERT INTO risk_matrix_bands SELECT p, i, CASE WHEN p * i >= 15 THEN 'high' WHEN p * i >= 5 THEN 'medium' ELSE 'low' END
				FROM range(1, 6) a(p), range(1, 6) b(i)`,
			`INSERT INTO risk_currency_rates VALUES ('USD', 1)`)
	}
	for _, tb := range []struct{ name, ddl string }{
		{"risk_matrix", `CREATE TABLE risk_matrix AS SELECT project_id, as_of, probability_score AS probability_level, impact_score AS impact_level,
			count(*) AS risks, sum(probability * impact_cost) AS emv
			FROM risk_snapshots WHERE coalesce(is_open, status <> 'Closed') GROUP BY ALL`},
		{"risk_exposure", `CREATE TABLE risk_exposure AS SELECT s.project_id, s.as_of,
			count(*) FILTER (WHERE coalesce(is_open, status <> 'Closed')) AS open_risks, 0 AS opened, 0 AS closed,
			sum(probability * impact_cost) FILTER (WHERE coalesce(is_open, status <> 'Closed')) AS emv, 0 AS high, 0 AS medium, 0 AS low,
			any_value(p.contingency) AS contingency, NULL AS coverage_ratio, 0 AS overdue
			FROM risk_snapshots s JOIN projects p USING (project_id) GROUP BY ALL`},
	} {
		if err := replaceRelation(ctx, run, tb.name, tb.ddl); err != nil {
			return err
		}
	}
	return nil
}

// logBuffer collects log output safely across goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
