package workbench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/pmlens/pmlens/auth"
	"github.com/pmlens/pmlens/dashboards"
	"github.com/pmlens/pmlens/warehouse"
	"github.com/pmlens/pmlens/warehouse/sandbox"
)

type fixture struct {
	engine http.Handler
	sb     *sandbox.Sandbox
	audit  *sandbox.AuditLog
	path   string
	events *eventLog
}

// eventLog is an auth.Auditor keeping what it receives.
type eventLog struct {
	mu     sync.Mutex
	events []string // "kind|user|detail"
}

func (l *eventLog) Event(_ context.Context, kind, user, detail string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, kind+"|"+user+"|"+detail)
}

func (l *eventLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.events...)
}

// newFixture publishes 4 projects (budgets 1000..4000, programs A and B) and
// registers the workbench on a bare Gin engine; user and role come from the
// X-Test-User / X-Test-Role headers.
func newFixture(t *testing.T, tweak func(*sandbox.Options)) *fixture {
	t.Helper()
	gin.SetMode(gin.TestMode)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pmlens.duckdb")
	w, err := warehouse.Open(ctx, warehouse.Options{Path: path, LockTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	run, err := w.Begin(ctx, "fixture", "test")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if _, err := run.Exec(ctx, `INSERT INTO projects (project_id, name, program, budget, currency, configured, first_seen, updated_at)
			VALUES (?, ?, ?, ?, 'USD', false, now(), now())`, fmt.Sprintf("p%d", i), fmt.Sprintf("Project %d", i), []string{"A", "B"}[i%2], float64(1000*(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	if res := w.Finish(ctx, run, nil); res.Err != nil {
		t.Fatal(res.Err)
	}
	w.Close()
	al, err := sandbox.OpenAuditLog(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := sandbox.Options{WarehousePath: path, MaxConcurrent: 2, MaxRows: 3, Audit: al, MemoryLimit: "256MB"}
	if tweak != nil {
		tweak(&opts)
	}
	sb, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	r := gin.New()
	events := &eventLog{}
	Register(r, Deps{Sandbox: sb, Audit: al, Auditor: events, User: func(c *gin.Context) Caller {
		u := Caller{Name: c.GetHeader("X-Test-User"), Role: c.GetHeader("X-Test-Role")}
		if p := c.GetHeader("X-Test-Programs"); p != "" {
			u.Scope = &sandbox.Scope{Programs: strings.Split(p, ",")}
		}
		return u
	}})
	return &fixture{engine: r, sb: sb, audit: al, path: path, events: events}
}

func (f *fixture) do(t *testing.T, method, url string, body any, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, url, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Test-User", "ana")
	req.Header.Set("X-Test-Role", sandbox.RoleAnalyst)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	f.engine.ServeHTTP(rec, req)
	return rec
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decoding %s: %v", rec.Body.String(), err)
	}
	return v
}

func TestQueryAPI(t *testing.T) {
	f := newFixture(t, nil)
	rec := f.do(t, "POST", "/api/v1/query", map[string]string{"sql": "SELECT program, sum(budget) AS budget FROM projects GROUP BY program ORDER BY program"})
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	res := decode[queryResponse](t, rec)
	// Program A holds p0 and p2 (1000 + 3000), B holds p1 and p3 (2000 + 4000).
	if res.RowCount != 2 || fmt.Sprint(res.Rows) != "[[A 4000] [B 6000]]" || res.Truncated || res.Version == "" {
		t.Fatalf("response %+v", res)
	}
	if res.Columns[1].Name != "budget" || res.Columns[1].Type != "DOUBLE" {
		t.Fatalf("columns %+v", res.Columns)
	}
	// MaxRows is 3 in the fixture: four projects come back as three, truncated.
	res = decode[queryResponse](t, f.do(t, "POST", "/api/v1/query", map[string]string{"sql": "FROM projects"}))
	if res.RowCount != 3 || !res.Truncated || res.MaxRows != 3 {
		t.Fatalf("truncation %+v", res)
	}
}

func TestQueryErrors(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name    string
		body    any
		headers []string
		status  int
		kind    string
	}{
		{"refused", map[string]string{"sql": "DROP TABLE projects"}, nil, 400, "refused"},
		{"file read", map[string]string{"sql": "SELECT * FROM read_csv('/etc/passwd')"}, nil, 400, "refused"},
		{"invalid", map[string]string{"sql": "SELECT * FROM nosuch"}, nil, 400, "invalid"},
		{"not json", nil, []string{"Content-Type", "text/plain"}, 415, "invalid"},
		{"cross site", map[string]string{"sql": "SELECT 1"}, []string{"Sec-Fetch-Site", "cross-site"}, 403, "forbidden"},
		{"viewer", map[string]string{"sql": "SELECT 1"}, []string{"X-Test-Role", "viewer"}, 403, "forbidden"},
		{"anonymous", map[string]string{"sql": "SELECT 1"}, []string{"X-Test-User", ""}, 401, "forbidden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.do(t, "POST", "/api/v1/query", tc.body, tc.headers...)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			e := decode[apiError](t, rec)
			if e.Error.Kind != tc.kind || e.Error.Message == "" {
				t.Fatalf("error %+v, want kind %s", e.Error, tc.kind)
			}
		})
	}
	// DuckDB's position comes through: "SELECT * FROM " is 14 characters.
	e := decode[apiError](t, f.do(t, "POST", "/api/v1/query", map[string]string{"sql": "SELECT * FROM nosuch"}))
	if e.Error.Position == nil || e.Error.Position.Line != 1 || e.Error.Position.Column != 15 {
		t.Fatalf("position %+v", e.Error.Position)
	}
}

func TestBusyAnswers429(t *testing.T) {
	f := newFixture(t, func(o *sandbox.Options) { o.MaxConcurrent = 1; o.QueueWait = -1; o.Timeout = 2 * time.Second })
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.do(t, "POST", "/api/v1/query", map[string]string{"sql": "SELECT count(*) FROM range(1000000000000)"})
	}()
	// Let the long query take the only slot first (it runs for the 2s timeout).
	time.Sleep(500 * time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec := f.do(t, "POST", "/api/v1/query", map[string]string{"sql": "SELECT 1"})
		if rec.Code == http.StatusTooManyRequests {
			if rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "retry") {
				t.Fatalf("429 without retry advice: %v %s", rec.Header(), rec.Body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never answered busy while the only slot was taken; last answer %d %s", rec.Code, rec.Body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	<-done
}

func TestDownloads(t *testing.T) {
	f := newFixture(t, nil)
	q := "SELECT project_id, budget FROM projects ORDER BY project_id LIMIT 2"
	for _, format := range []string{"csv", "json", "xlsx", "parquet"} {
		rec := f.do(t, "POST", "/api/v1/query/download", map[string]string{"sql": q, "format": format})
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d %s", format, rec.Code, rec.Body)
		}
		if cd := rec.Header().Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, "."+format) {
			t.Errorf("%s: Content-Disposition %q", format, cd)
		}
		body := rec.Body.Bytes()
		switch format {
		case "csv":
			if string(body) != "project_id,budget\np0,1000\np1,2000\n" {
				t.Errorf("csv %q", body)
			}
		case "json":
			var rows []map[string]any
			if err := json.Unmarshal(body, &rows); err != nil || len(rows) != 2 || rows[1]["project_id"] != "p1" {
				t.Errorf("json %s %v", body, err)
			}
		case "xlsx":
			x, err := excelize.OpenReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			v, _ := x.GetCellValue("Result", "B3")
			if v != "2000" {
				t.Errorf("xlsx B3 = %q", v)
			}
		case "parquet":
			if !bytes.HasPrefix(body, []byte("PAR1")) {
				t.Errorf("parquet starts %q", body[:4])
			}
		}
	}
	if rec := f.do(t, "POST", "/api/v1/query/download", map[string]string{"sql": q, "format": "table"}); rec.Code != 400 {
		t.Errorf("table download: %d", rec.Code)
	}
	if rec := f.do(t, "POST", "/api/v1/query/download", map[string]string{"sql": "COPY projects TO '/tmp/x.csv'", "format": "csv"}); rec.Code != 400 {
		t.Errorf("refused download: %d", rec.Code)
	}
}

func TestSchema(t *testing.T) {
	f := newFixture(t, nil)
	rec := f.do(t, "GET", "/api/v1/schema", nil)
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	s := decode[schemaResponse](t, rec)
	var projects *sandbox.SchemaTable
	for i := range s.Tables {
		if s.Tables[i].Name == "projects" {
			projects = &s.Tables[i]
		}
		if s.Tables[i].Catalog == "audit" {
			t.Errorf("analyst sees the audit catalog: %+v", s.Tables[i])
		}
	}
	if projects == nil || projects.Description == "" || len(projects.Columns) < 5 || projects.Columns[0].Name != "project_id" || projects.Columns[0].Type != "VARCHAR" {
		t.Fatalf("projects %+v", projects)
	}
	s = decode[schemaResponse](t, f.do(t, "GET", "/api/v1/schema", nil, "X-Test-Role", sandbox.RoleAdmin))
	found := false
	for _, tb := range s.Tables {
		found = found || (tb.Catalog == "audit" && tb.Name == "audit_log" && tb.Description != "")
	}
	if !found {
		t.Fatal("admin does not see audit.audit_log with its description")
	}
}

func TestSavedQueriesAndHistory(t *testing.T) {
	f := newFixture(t, nil)
	rec := f.do(t, "POST", "/api/v1/workbench/saved", map[string]string{"name": "Budgets", "sql": "SELECT sum(budget) FROM projects"})
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	saved := decode[sandbox.SavedQuery](t, rec)
	list := decode[struct{ Saved []sandbox.SavedQuery }](t, f.do(t, "GET", "/api/v1/workbench/saved", nil))
	if len(list.Saved) != 1 || list.Saved[0].Name != "Budgets" || list.Saved[0].Owner != "ana" {
		t.Fatalf("list %+v", list)
	}
	// Someone else neither sees nor deletes it.
	other := decode[struct{ Saved []sandbox.SavedQuery }](t, f.do(t, "GET", "/api/v1/workbench/saved", nil, "X-Test-User", "bob"))
	if len(other.Saved) != 0 {
		t.Fatalf("bob sees %+v", other)
	}
	if rec := f.do(t, "DELETE", fmt.Sprintf("/api/v1/workbench/saved/%d", saved.ID), nil, "X-Test-User", "bob"); rec.Code != 404 {
		t.Fatalf("bob's delete: %d", rec.Code)
	}
	if rec := f.do(t, "DELETE", fmt.Sprintf("/api/v1/workbench/saved/%d", saved.ID), nil); rec.Code != 204 {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	f.do(t, "POST", "/api/v1/query", map[string]string{"sql": "SELECT 1"})
	f.do(t, "POST", "/api/v1/query", map[string]string{"sql": "DELETE FROM projects"})
	h := decode[struct {
		History []struct{ SQL, Outcome string }
	}](t, f.do(t, "GET", "/api/v1/workbench/history", nil))
	if len(h.History) != 2 || h.History[0].Outcome != "refused" || h.History[1].SQL != "SELECT 1" {
		t.Fatalf("history %+v", h)
	}
}

func TestPageInDashboardsLayout(t *testing.T) {
	f := newFixture(t, nil)
	reader := warehouse.NewReader(f.path, "")
	defer reader.Close()
	h := dashboards.New(dashboards.Options{Reader: reader, Nav: []dashboards.NavLink{NavLink}, Register: []func(gin.IRouter){
		func(r gin.IRouter) {
			Register(r, Deps{Sandbox: f.sb, Audit: f.audit})
		},
	}})
	// The layout shows links by the principal's role, as auth.Service.Wrap
	// sets it in pmlens serve.
	admin := &auth.Principal{User: "ana", Role: auth.RoleAdmin, AllScopes: true}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/workbench", nil).WithContext(auth.WithPrincipal(context.Background(), admin)))
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, `id="wb-editor"`) || !strings.Contains(body, "SQL workbench") || !strings.Contains(body, `aria-current="page"`) {
		t.Fatalf("status %d body %s", rec.Code, body)
	}
	if strings.Contains(body, "<script>") {
		t.Fatal("inline script on the page")
	}
	if !strings.Contains(rec.Header().Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatalf("CSP %q", rec.Header().Get("Content-Security-Policy"))
	}
	if _, built := loadAssets()["workbench.js"]; built {
		if !strings.Contains(body, "/workbench/static/workbench.js?v=") {
			t.Fatal("bundle built but not referenced")
		}
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/workbench/static/workbench.js", nil))
		if rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Type"), "javascript") {
			t.Fatalf("bundle: %d %v", rec.Code, rec.Header())
		}
	}
	// The default user (no sign-in yet) is local/admin and can query through the dashboards engine.
	req := httptest.NewRequest("POST", "/api/v1/query", strings.NewReader(`{"sql":"SELECT count(*) AS n FROM projects"}`))
	req.Header.Set("Content-Type", "application/json")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"rows":[[4]]`) {
		t.Fatalf("query through dashboards: %d %s", rec.Code, rec.Body)
	}
}

func TestScopedCallerAndAuditedDownloads(t *testing.T) {
	f := newFixture(t, nil)
	scoped := []string{"X-Test-Programs", "A"}
	// Programs alternate A, B: A holds p0 (1000) and p2 (3000).
	res := decode[queryResponse](t, f.do(t, "POST", "/api/v1/query", map[string]string{"sql": "SELECT project_id FROM projects ORDER BY 1"}, scoped...))
	var ids []string
	for _, r := range res.Rows {
		ids = append(ids, fmt.Sprint(r[0]))
	}
	if strings.Join(ids, ",") != "p0,p2" {
		t.Fatalf("scoped caller sees %v, want p0,p2", ids)
	}
	rec := f.do(t, "POST", "/api/v1/query/download", map[string]string{"sql": "SELECT project_id, budget FROM projects ORDER BY 1", "format": "csv"}, scoped...)
	if rec.Body.String() != "project_id,budget\np0,1000\np2,3000\n" {
		t.Fatalf("scoped download %d %q", rec.Code, rec.Body)
	}
	// The download is an export event (with format, rows and scope); the query
	// behind it is in the query log with the caller's address.
	evs := f.events.all()
	if len(evs) != 1 || !strings.HasPrefix(evs[0], EventDownload+"|ana|csv, 2 rows, ") || !strings.Contains(evs[0], "scope programs A") {
		t.Errorf("download events %v", evs)
	}
	logged, err := f.audit.Events(t.Context(), sandbox.EventFilter{User: "ana", Kind: sandbox.QueryEventKind})
	if err != nil || len(logged) != 2 || logged[0].ClientIP != "192.0.2.1" || !strings.Contains(logged[0].Detail, "scope programs A") {
		t.Errorf("query log %+v %v", logged, err)
	}
	// Viewers and strangers are refused before any query runs.
	if rec := f.do(t, "POST", "/api/v1/query", map[string]string{"sql": "SELECT 1"}, "X-Test-Role", "viewer"); rec.Code != http.StatusForbidden {
		t.Errorf("viewer: %d", rec.Code)
	}
	if rec := f.do(t, "POST", "/api/v1/query", map[string]string{"sql": "SELECT 1"}, "X-Test-User", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("no user: %d", rec.Code)
	}
}
