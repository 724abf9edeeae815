package dashboards

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t testing.TB, h http.Handler, url string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// Expectations derived by hand from the fixture (fixture_test.go):
//
// BAC of the four projects with earned value: 1,000,000 + 500,000 + 300,000 + 800,000.
// Portfolio SPI at 2026-01-19 = ΣEV / ΣPV
//
//	= (240,000 + 138,000 + 93,000 + 164,000) / (300,000 + 150,000 + 90,000 + 160,000) = 635,000 / 700,000.
//
// Clinical Systems BAC = 1,000,000 + 500,000.
var (
	allBAC      = 1_000_000.0 + 500_000 + 300_000 + 800_000
	allSPI      = (240_000.0 + 138_000 + 93_000 + 164_000) / (300_000 + 150_000 + 90_000 + 160_000)
	clinicalBAC = 1_000_000.0 + 500_000
	corpBAC     = 800_000.0
)

const escapedPortal = `Patient Portal &lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;`

func TestPages(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	h := f.handler(t)
	tests := []struct {
		name    string
		url     string
		status  int
		want    []string
		notWant []string
	}{
		{"portfolio", "/", 200,
			[]string{"EHR Upgrade", "PACS Migration", "ERP Revenue Cycle", "HIPAA Remediation", escapedPortal,
				formatNumber(allBAC, kindMoney), fmt.Sprintf("%.3f", allSPI), `id="spi-cpi-chart"`, `id="cpi-spi-trend-chart"`,
				"SPI 0.80 below 0.90", "Top 10 risks by EMV", "Data freshness", "How is this computed?", "<code>project_evm</code>",
				`href="/?chart=spi-cpi&amp;format=csv"`, "Latest data (newest status date 2026-01-19)"},
			[]string{`<script>alert(`, "No data yet"}},
		{"portfolio filtered by portfolio", "/?portfolio=Corporate+IT", 200,
			[]string{"ERP Revenue Cycle", "HIPAA Remediation", formatNumber(corpBAC, kindMoney), "Portfolio · Corporate IT"},
			[]string{"EHR Upgrade", "PACS Migration"}},
		{"portfolio filtered by program", "/?program=Clinical%20Systems", 200,
			[]string{"EHR Upgrade", "PACS Migration", formatNumber(clinicalBAC, kindMoney)},
			[]string{"ERP Revenue Cycle", escapedPortal}},
		// On 2026-01-05 ERP had not reported yet and EHR was amber (SPI 0.90).
		{"portfolio as of", "/?as_of=2026-01-05", 200,
			[]string{"As of 2026-01-05", "EHR Upgrade", "SPI 0.90 below 0.95", `value="2026-01-05"`},
			[]string{"ERP Revenue Cycle", "SPI 0.80 below 0.90"}},
		{"bad as_of", "/?as_of=2026-02-30", 400, []string{"as_of must be a calendar date written YYYY-MM-DD", "2026-02-30"}, nil},
		{"bad as_of word", "/?as_of=yesterday", 400, []string{"as_of must be a calendar date"}, nil},
		{"unknown portfolio", "/?portfolio=Nope", 400, []string{"unknown portfolio", "Corporate IT", "Hospital IT"}, nil},
		{"bad format", "/?format=xml", 400, []string{"format must be csv"}, nil},
		{"program", "/program/Clinical%20Systems", 200,
			[]string{"Program · Clinical Systems", "EHR Upgrade", "PACS Migration", formatNumber(clinicalBAC, kindMoney), `aria-label="Breadcrumb"`},
			[]string{"ERP Revenue Cycle"}},
		{"program as of", "/program/Clinical%20Systems?as_of=2026-01-12", 200, []string{"As of 2026-01-12", "SPI 0.85 below 0.90"}, nil},
		{"unknown program", "/program/Nope", 404, []string{"Program not found", "Nope"}, nil},
		{"project", "/project/ehr", 200,
			[]string{"EHR Upgrade", "S-curve: PV, EV and AC", `id="s-curve-chart"`, `id="indices-chart"`, `id="milestones-chart"`,
				`id="wbs-variance-chart"`, `id="risk-matrix-chart"`, `id="risk-exposure-chart"`, "Go-live",
				"Build &lt;b&gt;interfaces&lt;/b&gt;", "EAC above 105% of BAC", "<code>milestone_slips</code>", `data-click="cell"`},
			[]string{"Build <b>interfaces", "Delivery (Jira)"}},
		{"project as of", "/project/ehr?as_of=2026-01-12", 200, []string{"SPI 0.85 below 0.90", "As of 2026-01-12"}, []string{"SPI 0.80 below 0.90"}},
		{"project as of between status dates", "/project/ehr?as_of=2026-01-15", 200, []string{"latest status date on or before it: 2026-01-12"}, nil},
		{"unknown project", "/project/nope", 404, []string{"Project not found", "nope"}, nil},
		{"project bad as_of", "/project/ehr?as_of=01/05/2026", 400, []string{"as_of must be"}, nil},
		{"project risk cell", "/project/ehr?cell=4-5", 200,
			[]string{"Risks with probability 4 and impact 5", "Interface vendor late", "&lt;img src=x onerror=alert(1)&gt;"},
			[]string{"<img src=x", "Clinician training"}},
		{"project bad cell", "/project/ehr?cell=9-1", 400, []string{"cell must be PROBABILITY-IMPACT"}, nil},
		{"jira project", "/project/portal", 200,
			[]string{"Delivery (Jira)", "Burn-up", "Weekly throughput and WIP", "Cycle time of finished items",
				"Monte Carlo completion forecast", "Sprint 3", "Completion forecasts", "2026-03-23", escapedPortal},
			[]string{`<script>alert(`}},
		{"schedule project has no delivery section", "/project/pacs", 200, []string{"PACS Migration"}, []string{"Delivery (Jira)"}},
		{"risks", "/risks", 200, []string{"Risk matrix (probability × impact)", "Risk exposure against contingency", "Top 10 risks by EMV", "Open risks"}, nil},
		{"risks cell", "/risks?cell=4-5", 200, []string{"Interface vendor late", `id="risk-cell"`, "Risks with probability 4 and impact 5"}, nil},
		{"risks of a project", "/risks?project=ehr", 200, []string{"Risks · EHR Upgrade", `name="project" value="ehr"`}, nil},
		{"risks of unknown project", "/risks?project=nope", 404, []string{"Project not found"}, nil},
		{"risks filtered", "/risks?program=Digital+Front+Door", 200, []string{"Vendor API delay"}, []string{"Interface vendor late"}},
		{"data", "/data", 200,
			[]string{"401 Unauthorized", "&lt;b&gt;bold&lt;/b&gt;", "high-ish", "never-run", "2026-01-20 08:00 UTC",
				"registers/2026-01-19.csv:7:Probability", "partial", "failed", "success", `id="rows-loaded-chart"`},
			[]string{"<b>bold</b>"}},
		{"data as of before any run", "/data?as_of=2020-01-01", 200, []string{"No sync has run yet", "Runs started on or before 2020-01-01"}, nil},
		{"no such page", "/nope", 404, []string{"Page not found"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, tc.url)
			body := rec.Body.String()
			if rec.Code != tc.status {
				t.Fatalf("GET %s: status %d, want %d\n%s", tc.url, rec.Code, tc.status, body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("content type %q", ct)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s: body lacks %q", tc.url, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(body, w) {
					t.Errorf("GET %s: body contains %q", tc.url, w)
				}
			}
		})
	}
}

// section returns the HTML of the <section> with the given id.
func section(body, id string) string {
	i := strings.Index(body, `<section class="card" id="`+id+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</section>")
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}

func TestRiskCellLists(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	h := f.handler(t)
	// Cell (4,5) on 2026-01-19 holds EHR's R1 and R3; PACS's X1 sits in (4,4) and the
	// portal's risks in (3,3) and (1,1) (levels derived in fixture_test.go).
	cell := section(get(t, h, "/risks?cell=4-5").Body.String(), "risk-cell")
	for _, want := range []string{"Interface vendor late", "&lt;img src=x onerror=alert(1)&gt;"} {
		if !strings.Contains(cell, want) {
			t.Errorf("cell 4-5 lacks %q:\n%s", want, cell)
		}
	}
	for _, not := range []string{"Image archive", "Vendor API delay", "Clinician training"} {
		if strings.Contains(cell, not) {
			t.Errorf("cell 4-5 lists %q", not)
		}
	}
	if cell := section(get(t, h, "/risks?cell=4-4").Body.String(), "risk-cell"); !strings.Contains(cell, "Image archive migration window") {
		t.Errorf("cell 4-4 lacks X1:\n%s", cell)
	}
	// On 2026-01-05 R2 was still open, in (2,3).
	if cell := section(get(t, h, "/risks?cell=2-3&as_of=2026-01-05").Body.String(), "risk-cell"); !strings.Contains(cell, "Clinician training capacity") {
		t.Errorf("cell 2-3 as of 2026-01-05 lacks R2:\n%s", cell)
	}
	if cell := section(get(t, h, "/risks?cell=2-3").Body.String(), "risk-cell"); !strings.Contains(cell, "No open risks in this cell") {
		t.Errorf("closed R2 still listed:\n%s", cell)
	}
}

func TestProjectTasksInWBSOrder(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	body := get(t, f.handler(t), "/project/ehr").Body.String()
	// WBS codes compare numerically per segment: 1.1 < 1.2 < 2.1 < 2.2 < 2.10.
	order := []string{`data-sort="1.1"`, `data-sort="1.2"`, `data-sort="2.1"`, `data-sort="2.2"`, `data-sort="2.10"`}
	last := -1
	for _, o := range order {
		i := strings.Index(body, o)
		if i < 0 || i < last {
			t.Fatalf("task %s out of WBS order (at %d, previous at %d)", o, i, last)
		}
		last = i
	}
}

func TestCSVDownloads(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	h := f.handler(t)

	rec := get(t, h, "/project/ehr?chart=s-curve&format=csv")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("status %d type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if cd := rec.Header().Get("Content-Disposition"); !strings.Contains(cd, "pmlens-project-s-curve.csv") {
		t.Errorf("Content-Disposition %q", cd)
	}
	checkGolden(t, "s-curve-ehr.csv", rec.Body.Bytes())
	lines := strings.Split(strings.TrimSpace(rec.Body.String()), "\n")
	// Header, the three status dates, and the forecast finish 2026-09-30.
	if len(lines) != 1+3+1 {
		t.Errorf("%d CSV lines:\n%s", len(lines), rec.Body.String())
	}
	// The CSV holds the numbers drawn: EHR's EV at 2026-01-19 is 240,000 and EAC = BAC / CPI
	// = 1,000,000 / (240,000 / 300,000) = 1,250,000; no exponent notation.
	if !strings.Contains(lines[3], "2026-01-19,300000,240000,300000") || !strings.Contains(rec.Body.String(), "1250000") {
		t.Errorf("unexpected CSV rows:\n%s", rec.Body.String())
	}

	// As of an earlier date the CSV stops there and is named after it.
	rec = get(t, h, "/project/ehr?chart=indices&format=csv&as_of=2026-01-12")
	if n := strings.Count(strings.TrimSpace(rec.Body.String()), "\n"); n != 2 {
		t.Errorf("indices as of 2026-01-12: %d data rows, want 2:\n%s", n, rec.Body.String())
	}
	if cd := rec.Header().Get("Content-Disposition"); !strings.Contains(cd, "2026-01-12") {
		t.Errorf("Content-Disposition %q lacks the date", cd)
	}

	// The Monte Carlo histogram draws the published distribution (fixture: 5,000,
	// 2,000, 1,500, 900 and 600 trials at 8–12 weeks) with the forecast's
	// markers: cumulative share 5,000/10,000 = 0.5 at p50, 8,500/10,000 = 0.85 at p85.
	rec = get(t, h, "/project/portal?chart=monte-carlo&format=csv")
	for _, want := range []string{"2026-03-09,5000,0.5,p50 2026-03-09", "2026-03-23,1500,0.85,p85 2026-03-23", "2026-04-06,600,1,p95 2026-04-06"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("Monte Carlo CSV lacks %q:\n%s", want, rec.Body.String())
		}
	}

	// Source text that a spreadsheet would run as a formula is defused.
	rec = get(t, h, "/risks?chart=top-risks&format=csv")
	if !strings.Contains(rec.Body.String(), `'=HYPERLINK`) {
		t.Errorf("formula not defused:\n%s", rec.Body.String())
	}

	for _, u := range []string{"/project/ehr?chart=nope&format=csv", "/project/pacs?chart=burn-up&format=csv"} {
		if rec := get(t, h, u); rec.Code != 404 {
			t.Errorf("GET %s: status %d, want 404", u, rec.Code)
		}
	}
}

type envelope struct {
	Version string          `json:"version"`
	AsOf    *string         `json:"as_of"`
	Data    json.RawMessage `json:"data"`
	Missing string          `json:"missing"`
	Error   string          `json:"error"`
}

func getJSON(t *testing.T, h http.Handler, url string, status int) envelope {
	t.Helper()
	rec := get(t, h, url)
	if rec.Code != status {
		t.Fatalf("GET %s: status %d, want %d: %s", url, rec.Code, status, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET %s: content type %q", url, ct)
	}
	var e envelope
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("GET %s: %v\n%s", url, err, rec.Body.String())
	}
	return e
}

func TestAPI(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	h := f.handler(t)
	count := func(e envelope) int {
		var rows []json.RawMessage
		if err := json.Unmarshal(e.Data, &rows); err != nil {
			t.Fatalf("data is not a list: %s", e.Data)
		}
		return len(rows)
	}
	tests := []struct {
		url  string
		rows int
	}{
		{"/api/v1/projects", 5},
		{"/api/v1/projects?as_of=2026-01-05", 4}, // ERP starts reporting on 2026-01-12
		{"/api/v1/projects?portfolio=Corporate%20IT", 2},
		{"/api/v1/projects/ehr/evm", 3},
		{"/api/v1/projects/ehr/evm?as_of=2026-01-12", 2},
		{"/api/v1/projects/ehr/milestones", 6},
		{"/api/v1/projects/ehr/milestones?as_of=2026-01-05", 2},
		{"/api/v1/projects/ehr/tasks", 5},
		{"/api/v1/projects/portal/flow", 11},
		{"/api/v1/projects/portal/cycle-times", 10},
		{"/api/v1/projects/portal/cycle-times?limit=3", 3},
		{"/api/v1/projects/portal/sprints", 3},
		{"/api/v1/projects/portal/forecasts", 1},
		{"/api/v1/projects/pacs/flow", 0},
		// Open risks on each project's latest date: EHR R1, R3 (R2 closed), PACS X1, portal P1, P2.
		{"/api/v1/risks", 2 + 1 + 2},
		{"/api/v1/risks?probability=4&impact=5", 2},
		// As of 2026-01-05 only EHR's first snapshot exists: R1 and R2 both open.
		{"/api/v1/risks?as_of=2026-01-05", 2},
		{"/api/v1/risks?project=portal", 2},
		{"/api/v1/risks/matrix", 25},
		{"/api/v1/forecasts", 1},
		{"/api/v1/sync-runs", 3},
		{"/api/v1/sync-runs?source=risks", 1},
		{"/api/v1/sync-problems", 1},
		{"/api/v1/sources", 4},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			e := getJSON(t, h, tc.url, 200)
			if got := count(e); got != tc.rows {
				t.Errorf("%d rows, want %d: %s", got, tc.rows, e.Data)
			}
			if !strings.HasPrefix(e.Version, "v") {
				t.Errorf("version %q", e.Version)
			}
		})
	}

	t.Run("project detail", func(t *testing.T) {
		e := getJSON(t, h, "/api/v1/projects/ehr", 200)
		var p projectStatus
		if err := json.Unmarshal(e.Data, &p); err != nil {
			t.Fatal(err)
		}
		// CPI = 240,000 / 300,000; EAC = 1,000,000 / CPI.
		wantCPI := 240_000.0 / 300_000
		if p.Name != "EHR Upgrade" || p.RAG != "red" || p.CPI == nil || *p.CPI != wantCPI || p.EAC == nil || *p.EAC != 1_000_000/wantCPI {
			t.Errorf("got %+v", p)
		}
	})
	t.Run("scope evm", func(t *testing.T) {
		e := getJSON(t, h, "/api/v1/evm", 200)
		var out struct {
			Source string `json:"source"`
			Totals totals `json:"totals"`
			Series []row  `json:"series"`
		}
		if err := json.Unmarshal(e.Data, &out); err != nil {
			t.Fatal(err)
		}
		if out.Source != "portfolio_evm" || out.Totals.BAC == nil || *out.Totals.BAC != allBAC || out.Totals.SPI == nil || *out.Totals.SPI != allSPI {
			t.Errorf("totals %+v", out.Totals)
		}
		// Three status dates; on 2026-01-05 Corporate IT has not reported (ASOF join drops it).
		if len(out.Series) != 3 {
			t.Errorf("%d points", len(out.Series))
		}
		e = getJSON(t, h, "/api/v1/evm?program=Clinical%20Systems", 200)
		if err := json.Unmarshal(e.Data, &out); err != nil {
			t.Fatal(err)
		}
		if out.Source != "program_evm" || *out.Totals.BAC != clinicalBAC {
			t.Errorf("program totals %+v from %s", out.Totals, out.Source)
		}
	})
	t.Run("risk exposure", func(t *testing.T) {
		// On 2026-01-19, in the portfolio roll-up, each project carries its latest
		// statement: EHR R1 90,000 + R3 50,000; PACS X1 45,000 (from 2026-01-12);
		// portal P1 15,000 + P2 500. Contingency 100,000 + 50,000 + 20,000.
		e := getJSON(t, h, "/api/v1/risks/exposure", 200)
		var rows []row
		if err := json.Unmarshal(e.Data, &rows); err != nil {
			t.Fatal(err)
		}
		last := rows[len(rows)-1]
		if last["as_of"] != "2026-01-19" || last["emv"] != 90_000.0+50_000+45_000+15_000+500 || last["contingency"] != 100_000.0+50_000+20_000 {
			t.Errorf("last exposure row %v", last)
		}
	})
	t.Run("as_of echoed", func(t *testing.T) {
		e := getJSON(t, h, "/api/v1/projects?as_of=2026-01-12", 200)
		if e.AsOf == nil || *e.AsOf != "2026-01-12" {
			t.Errorf("as_of %v", e.AsOf)
		}
	})
	errorsCases := []struct {
		url    string
		status int
		msg    string
	}{
		{"/api/v1/projects?as_of=2026-1-5", 400, "as_of must be"},
		{"/api/v1/projects?program=Nope", 400, "unknown program"},
		{"/api/v1/projects/nope", 404, "no project"},
		{"/api/v1/projects/nope/evm", 404, "no project"},
		{"/api/v1/risks?project=nope", 404, "no project"},
		{"/api/v1/risks?probability=4", 400, "give both or neither"},
		{"/api/v1/risks?probability=6&impact=1", 400, "level from 1 to 5"},
		{"/api/v1/sync-runs?limit=0", 400, "limit must be"},
		{"/api/v1/nope", 404, "no such API endpoint"},
	}
	for _, tc := range errorsCases {
		t.Run(tc.url, func(t *testing.T) {
			e := getJSON(t, h, tc.url, tc.status)
			if !strings.Contains(e.Error, tc.msg) {
				t.Errorf("error %q lacks %q", e.Error, tc.msg)
			}
		})
	}
	t.Run("openapi", func(t *testing.T) {
		rec := get(t, h, "/api/v1/openapi.yaml")
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "openapi: 3.0.3") {
			t.Fatalf("status %d", rec.Code)
		}
		// Every route the API serves is documented.
		for _, p := range []string{"/projects:", "/projects/{id}:", "/projects/{id}/evm:", "/projects/{id}/milestones:", "/projects/{id}/tasks:",
			"/projects/{id}/flow:", "/projects/{id}/cycle-times:", "/projects/{id}/sprints:", "/projects/{id}/forecasts:", "/evm:",
			"/risks:", "/risks/matrix:", "/risks/exposure:", "/forecasts:", "/sync-runs:", "/sync-problems:", "/sources:"} {
			if !strings.Contains(rec.Body.String(), "\n  "+p) {
				t.Errorf("openapi.yaml lacks path %s", p)
			}
		}
	})
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	h := f.handler(t)
	for _, u := range []string{"/", "/project/ehr", "/project/nope", "/api/v1/projects", "/static/app.js", "/healthz", "/nope", "/?as_of=bad"} {
		rec := get(t, h, u)
		hd := rec.Header()
		if csp := hd.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", u, csp)
		}
		if hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", u, hd)
		}
	}
	// No inline script or style anywhere in a page (the CSP would block it).
	body := get(t, h, "/project/portal").Body.String()
	for _, bad := range []string{"<script>", "style=\"", "onclick=", "javascript:"} {
		if strings.Contains(body, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
}

func TestETagAndNotModified(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	h := f.handler(t)
	first := get(t, h, "/")
	etag := first.Header().Get("ETag")
	if etag == "" || first.Header().Get("Cache-Control") != "private, no-cache" {
		t.Fatalf("ETag %q, Cache-Control %q", etag, first.Header().Get("Cache-Control"))
	}
	// The ETag names the published version, so it is the same for every URL under it.
	if other := get(t, h, "/api/v1/projects").Header().Get("ETag"); other != etag {
		t.Errorf("API ETag %q differs from page ETag %q under one version", other, etag)
	}
	again := get(t, h, "/", "If-None-Match", etag)
	if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Fatalf("revalidation: status %d, %d bytes", again.Code, again.Body.Len())
	}
	if rec := get(t, h, "/", "If-None-Match", `"v000001-abc"`); rec.Code != 200 {
		t.Errorf("stale tag: status %d", rec.Code)
	}
	// A cached answer is byte-identical to a freshly built one.
	cold := f.handler(t, func(o *Options) { o.CacheEntries = -1 })
	if a, b := get(t, h, "/project/ehr").Body.String(), get(t, cold, "/project/ehr").Body.String(); a != b {
		t.Error("cached and uncached pages differ")
	}

	// A new published version changes the tag and the content is served again.
	f.republish(t)
	next := get(t, h, "/", "If-None-Match", etag)
	if next.Code != 200 || next.Header().Get("ETag") == etag {
		t.Fatalf("after publish: status %d, ETag %q (was %q)", next.Code, next.Header().Get("ETag"), etag)
	}
	if !strings.Contains(next.Body.String(), "v000005") {
		t.Errorf("page does not show the new version")
	}

	// The Data page also changes when a source's next run moves.
	d1 := get(t, h, "/data").Header().Get("ETag")
	f.sched.set("schedules", f.sched.next["schedules"].Add(3600e9))
	d2 := get(t, h, "/data", "If-None-Match", d1)
	if d2.Code != 200 || d2.Header().Get("ETag") == d1 {
		t.Errorf("data page after schedule change: status %d, ETag unchanged %v", d2.Code, d2.Header().Get("ETag") == d1)
	}
	// Errors are never cached by browsers.
	if rec := get(t, h, "/project/nope"); rec.Header().Get("ETag") != "" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("404 headers %v", rec.Header())
	}
}

func TestHealthAndReadiness(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	h := f.handler(t)
	if rec := get(t, h, "/healthz"); rec.Code != 200 || !strings.Contains(rec.Body.String(), "alive") {
		t.Errorf("healthz %d %s", rec.Code, rec.Body.String())
	}
	rec := get(t, h, "/readyz")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"ready"`) {
		t.Errorf("readyz %d %s", rec.Code, rec.Body.String())
	}

	// Nothing published yet: alive, not ready, and pages say why.
	empty := &fixture{reader: newEmptyReader(t), cfg: fixtureConfig(), sched: f.sched, logs: &logBuffer{}}
	eh := empty.handler(t)
	if rec := get(t, eh, "/healthz"); rec.Code != 200 {
		t.Errorf("healthz without data: %d", rec.Code)
	}
	rec = get(t, eh, "/readyz")
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "no warehouse version has been published") {
		t.Errorf("readyz without data: %d %s", rec.Code, rec.Body.String())
	}
	if rec := get(t, eh, "/"); rec.Code != 503 || !strings.Contains(rec.Body.String(), "No data yet") {
		t.Errorf("page without data: %d", rec.Code)
	}
	if e := getJSON(t, eh, "/api/v1/projects", 503); !strings.Contains(e.Error, "published") {
		t.Errorf("API without data: %q", e.Error)
	}
	if rec := get(t, New(Options{}), "/readyz"); rec.Code != 503 {
		t.Errorf("readyz without reader: %d", rec.Code)
	}
}

// TestMissingMetricViews is the warehouse before the earned-value, flow and
// forecast views land (and before a sync has configured the risk matrix): every
// page still answers 200 and each section says which view it waits for; the
// connectors' own tables fill what they can (tasks and milestones from the
// schedule snapshots, risks from risk_scores).
func TestMissingMetricViews(t *testing.T) {
	f := newFixture(t, fixtureOptions{coreOnly: true})
	h := f.handler(t)
	for _, u := range []string{"/", "/program/Clinical%20Systems", "/project/ehr", "/project/portal", "/risks", "/risks?cell=2-2", "/data"} {
		rec := get(t, h, u)
		if rec.Code != 200 {
			t.Errorf("GET %s: %d\n%s", u, rec.Code, rec.Body.String())
			continue
		}
		if u != "/data" && !strings.Contains(rec.Body.String(), "No data yet") && !strings.Contains(rec.Body.String(), "No open risks") {
			t.Errorf("GET %s: no 'No data yet' notice", u)
		}
	}
	body := get(t, h, "/project/ehr").Body.String()
	for _, v := range []string{"the warehouse has no view project_evm yet",
		// Tasks from the latest schedule snapshot: the summary row "Build" is left out.
		"Interfaces", "<code>task_snapshots</code>",
		// The go-live milestone from the snapshots: slip 2026-06-01 → 2026-06-15.
		"Slip (calendar days)"} {
		if !strings.Contains(body, v) {
			t.Errorf("project page lacks %q", v)
		}
	}
	if strings.Contains(section(body, "tasks"), ">Build<") {
		t.Error("summary task listed among the tasks")
	}
	// Projects are still listed from the projects table.
	if !strings.Contains(get(t, h, "/").Body.String(), "EHR Upgrade") {
		t.Error("portfolio without metrics does not list projects")
	}
	e := getJSON(t, h, "/api/v1/projects/ehr/evm", 200)
	if !strings.Contains(e.Missing, "project_evm") || string(e.Data) != "[]" {
		t.Errorf("evm API without view: missing %q data %s", e.Missing, e.Data)
	}
	// 2026-01-19 snapshot: Interfaces SV = 170,000 − 220,000, CV = 170,000 − 215,000.
	e = getJSON(t, h, "/api/v1/projects/ehr/tasks", 200)
	var tasks []row
	if err := json.Unmarshal(e.Data, &tasks); err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 2 || tasks[0]["sv"] != 170_000.0-220_000 || tasks[0]["cv"] != 170_000.0-215_000 {
		t.Errorf("tasks from task_snapshots: %v", tasks)
	}
	e = getJSON(t, h, "/api/v1/projects/ehr/milestones", 200)
	var ms []row
	if err := json.Unmarshal(e.Data, &ms); err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[1]["slip_days"] != 14.0 {
		t.Errorf("milestones from task_snapshots: %v", ms)
	}
}

func TestStaticAssets(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	h := f.handler(t)
	js := a.url("app.js")
	rec := get(t, h, js)
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") ||
		!strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Fatalf("%s: %d %v", js, rec.Code, rec.Header())
	}
	// The page links the hashed address.
	if !strings.Contains(get(t, h, "/").Body.String(), js) {
		t.Errorf("page does not link %s", js)
	}
	vendor := get(t, h, a.url("vendor/echarts.min.js"), "Accept-Encoding", "gzip")
	if vendor.Code != 200 || vendor.Header().Get("Content-Encoding") != "gzip" || vendor.Body.Len() >= len(a.files["vendor/echarts.min.js"].data) {
		t.Errorf("echarts: %d %v %d bytes", vendor.Code, vendor.Header(), vendor.Body.Len())
	}
	if rec := get(t, h, "/static/app.js", "If-None-Match", rec.Header().Get("ETag")); rec.Code != http.StatusNotModified {
		t.Errorf("static revalidation: %d", rec.Code)
	}
	if rec := get(t, h, "/static/nope.js"); rec.Code != 404 {
		t.Errorf("missing static: %d", rec.Code)
	}
}
