package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmlens/pmlens/auth"
	"github.com/pmlens/pmlens/configs"
)

// The serve fixture: the handler pmlens serve answers with (newApp), sign-in on,
// over a warehouse synced from one risk register with two portfolios:
//
//	project  program           portfolio     risk
//	ehr      Clinical Systems  Hospital IT   R-1 Vendor build slips
//	pacs     Imaging           Hospital IT   R-3 Modality worklist gaps
//	erp      Business Systems  Corporate IT  R-9 Payer contract renegotiation
//
// People (all with servePassword): vera viewer, anna analyst, adam admin (all
// portfolios), sam analyst granted Hospital IT only, temp a viewer the admin
// API works on.
const serveConfigYAML = `warehouse:
  path: data/pmlens.duckdb
sources:
  - name: risks
    type: risk-register
    path: registers
projects:
  - id: ehr
    name: EHR Upgrade
    program: Clinical Systems
    portfolio: Hospital IT
    budget: 1200000
    sources: [{source: risks, key: EHR Upgrade}]
  - id: pacs
    name: PACS Migration
    program: Imaging
    portfolio: Hospital IT
    budget: 800000
    sources: [{source: risks, key: PACS Migration}]
  - id: erp
    name: ERP Revenue Cycle
    program: Business Systems
    portfolio: Corporate IT
    budget: 900000
    sources: [{source: risks, key: ERP Revenue Cycle}]
auth:
  enabled: true
  trusted_proxies: [192.0.2.0/24]
  audit_retention: 400d
`

const serveRegister = `Risk ID,Risk Title,Category,Likelihood (%),Cost Impact,Impact (1-5),Risk Owner,Status,Mitigation,Date Raised,Date Closed,Response Due,Project
R-1,Vendor build slips,Vendor,40%,"100,000",4,Vendor Manager,Open,Weekly checkpoint,2026-03-02,,2026-04-10,EHR Upgrade
R-3,Modality worklist gaps,Technical,25%,"48,000",3,PACS Lead,Open,Interface tests,2026-03-10,,2026-04-30,PACS Migration
R-9,Payer contract renegotiation,Finance,50%,"75,000",4,Finance Lead,Open,Early talks,2026-03-05,,2026-04-15,ERP Revenue Cycle
`

// servePassword is every fixture user's password; the log test looks for it.
const servePassword = "correct horse battery staple"

// outsideHospitalIT are texts only Corporate IT's data holds: a principal
// granted Hospital IT must never receive any of them.
var outsideHospitalIT = []string{"erp", "ERP Revenue Cycle", "Corporate IT", "Business Systems", "Payer contract renegotiation", "R-9"}

type serveFixture struct {
	t     *testing.T
	app   *app
	cfg   *configs.Config
	logs  *syncBuffer
	store *auth.UserStore
	// tempToken is the id of an API token of the user "temp".
	tempToken string
}

// syncBuffer is a log sink shared by the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newServeFixture(t *testing.T) *serveFixture {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "pmlens.yaml")
	if err := os.WriteFile(cfgPath, []byte(serveConfigYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "registers"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "registers", "register-2026-03-13.csv"), []byte(serveRegister), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "sync", "--config", cfgPath); code != exitOK {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	cfg, err := configs.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := newApp(t.Context(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = a.sched.Stop(ctx)
		a.close()
	})
	// Cheap hashes for the fixture's users; verifying reads the costs from the hash.
	store := auth.OpenUserStore(a.auth.Users().Path(), auth.HashParams{Memory: 256, Time: 1, Threads: 1}, nil, nil)
	f := &serveFixture{t: t, app: a, cfg: cfg, logs: logs, store: store}
	for _, u := range []struct {
		name string
		g    auth.Grant
	}{
		{"vera", auth.Grant{Role: auth.RoleViewer, AllScopes: true}},
		{"anna", auth.Grant{Role: auth.RoleAnalyst, AllScopes: true}},
		{"adam", auth.Grant{Role: auth.RoleAdmin, AllScopes: true}},
		{"sam", auth.Grant{Role: auth.RoleAnalyst, Portfolios: []string{"Hospital IT"}}},
		{"temp", auth.Grant{Role: auth.RoleViewer, AllScopes: true}},
	} {
		if err := store.AddUser(t.Context(), u.name, auth.KindLocal, servePassword, u.g); err != nil {
			t.Fatal(err)
		}
	}
	_, rec, err := store.CreateToken(t.Context(), "temp", "fixture", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f.tempToken = rec.ID
	return f
}

// webClient is a browser (cookies) or a script (Authorization header) at one address.
type webClient struct {
	f       *serveFixture
	ip      string
	header  map[string]string
	cookies map[string]*http.Cookie
}

func (f *serveFixture) client(ip string) *webClient {
	return &webClient{f: f, ip: ip, header: map[string]string{}, cookies: map[string]*http.Cookie{}}
}

// signedIn is a browser session of user.
func (f *serveFixture) signedIn(user, ip string) *webClient {
	f.t.Helper()
	c := f.client(ip)
	if rec := c.signIn(user, servePassword); rec.Code != http.StatusSeeOther {
		f.t.Fatalf("sign-in of %s: %d %s", user, rec.Code, rec.Body)
	}
	return c
}

func (c *webClient) signIn(user, password string) *httptest.ResponseRecorder {
	return c.do("POST", "/signin", url.Values{"username": {user}, "password": {password}}.Encode(), "application/x-www-form-urlencoded")
}

// do sends a request as a browser's own page would (Sec-Fetch-Site:
// same-origin); hdr pairs add or replace headers.
func (c *webClient) do(method, path, body, ctype string, hdr ...string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, "http://pmlens.test"+path, rd)
	req.RemoteAddr = c.ip + ":40000"
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.f.app.handler.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	return rec
}

func (c *webClient) get(path string) *httptest.ResponseRecorder { return c.do("GET", path, "", "") }

func (c *webClient) postJSON(path, body string) *httptest.ResponseRecorder {
	return c.do("POST", path, body, "application/json")
}

// routeRule is what a route demands and how the table test calls it.
type routeRule struct {
	// need is the least role; auth.RoleNone marks a public route.
	need auth.Role
	// path is the request path; {saved} becomes the caller's saved query id.
	path string
	// body is sent as JSON, or as a form when it starts with "form:".
	body string
	// ok lists the answers of an allowed caller (public: of everyone); default 200.
	ok []int
	// fresh runs the request in a new session of the caller (signing out).
	fresh bool
}

// routeRules covers every route of the server. A route the server registers
// without a rule here fails the test, so a new route cannot ship without a
// decision on who may call it.
func routeRules() map[string]routeRule {
	none, viewer, analyst, admin := auth.RoleNone, auth.RoleViewer, auth.RoleAnalyst, auth.RoleAdmin
	return map[string]routeRule{
		// Public: health checks, static files the sign-in page needs, sign-in itself.
		"GET /healthz":               {need: none, path: "/healthz"},
		"GET /readyz":                {need: none, path: "/readyz"},
		"GET /static/*file":          {need: none, path: "/static/app.css"},
		"GET /favicon.ico":           {need: none, path: "/favicon.ico", ok: []int{301}},
		"GET /signin":                {need: none, path: "/signin", ok: []int{200, 302}}, // signed in: on to the page asked for
		"POST /signin":               {need: none, path: "/signin", body: "form:username=nobody-here&password=not+the+password", ok: []int{401}},
		"GET /signout":               {need: none, path: "/signout"},
		"POST /signout":              {need: none, path: "/signout", body: "form:", ok: []int{303}, fresh: true},
		"GET /auth/static/auth.css":  {need: none, path: "/auth/static/auth.css"},
		"GET /auth/oidc/login":       {need: none, path: "/auth/oidc/login", ok: []int{404}},    // no single sign-on configured
		"GET /auth/oidc/callback":    {need: none, path: "/auth/oidc/callback", ok: []int{404}}, // likewise
		"GET /":                      {need: viewer, path: "/"},
		"GET /program/:name":         {need: viewer, path: "/program/Clinical%20Systems"},
		"GET /project/:id":           {need: viewer, path: "/project/ehr"},
		"GET /risks":                 {need: viewer, path: "/risks"},
		"GET /data":                  {need: viewer, path: "/data"},
		"GET /api/v1/openapi.yaml":   {need: viewer, path: "/api/v1/openapi.yaml"},
		"GET /api/v1/projects":       {need: viewer, path: "/api/v1/projects"},
		"GET /api/v1/projects/:id":   {need: viewer, path: "/api/v1/projects/ehr"},
		"GET /api/v1/evm":            {need: viewer, path: "/api/v1/evm"},
		"GET /api/v1/risks":          {need: viewer, path: "/api/v1/risks"},
		"GET /api/v1/risks/matrix":   {need: viewer, path: "/api/v1/risks/matrix"},
		"GET /api/v1/risks/exposure": {need: viewer, path: "/api/v1/risks/exposure"},
		"GET /api/v1/forecasts":      {need: viewer, path: "/api/v1/forecasts"},
		"GET /api/v1/sync-runs":      {need: viewer, path: "/api/v1/sync-runs"},
		"GET /api/v1/sync-problems":  {need: viewer, path: "/api/v1/sync-problems"},
		// Source freshness, as the Data page shows every viewer; changing what a
		// source does (sync now) is the admins'.
		"GET /api/v1/sources":                  {need: viewer, path: "/api/v1/sources"},
		"GET /api/v1/projects/:id/evm":         {need: viewer, path: "/api/v1/projects/ehr/evm"},
		"GET /api/v1/projects/:id/milestones":  {need: viewer, path: "/api/v1/projects/ehr/milestones"},
		"GET /api/v1/projects/:id/tasks":       {need: viewer, path: "/api/v1/projects/ehr/tasks"},
		"GET /api/v1/projects/:id/flow":        {need: viewer, path: "/api/v1/projects/ehr/flow"},
		"GET /api/v1/projects/:id/cycle-times": {need: viewer, path: "/api/v1/projects/ehr/cycle-times"},
		"GET /api/v1/projects/:id/sprints":     {need: viewer, path: "/api/v1/projects/ehr/sprints"},
		"GET /api/v1/projects/:id/forecasts":   {need: viewer, path: "/api/v1/projects/ehr/forecasts"},
		// The SQL workbench and data downloads.
		"GET /workbench":                              {need: analyst, path: "/workbench"},
		"GET /workbench/static/:file":                 {need: analyst, path: "/workbench/static/workbench.css"},
		"POST /api/v1/query":                          {need: analyst, path: "/api/v1/query", body: `{"sql": "SELECT count(*) FROM projects"}`},
		"POST /api/v1/query/download":                 {need: analyst, path: "/api/v1/query/download", body: `{"sql": "SELECT name FROM projects", "format": "csv"}`},
		"GET /api/v1/schema":                          {need: analyst, path: "/api/v1/schema"},
		"GET /api/v1/workbench/history":               {need: analyst, path: "/api/v1/workbench/history"},
		"GET /api/v1/workbench/saved":                 {need: analyst, path: "/api/v1/workbench/saved"},
		"POST /api/v1/workbench/saved":                {need: analyst, path: "/api/v1/workbench/saved", body: `{"name": "table test", "sql": "SELECT 1"}`},
		"DELETE /api/v1/workbench/saved/:id":          {need: analyst, path: "/api/v1/workbench/saved/{saved}", ok: []int{204}},
		"POST /api/v1/sources/:name/sync":             {need: admin, path: "/api/v1/sources/risks/sync", ok: []int{202}},
		"GET /admin/users":                            {need: admin, path: "/admin/users"},
		"GET /admin/audit":                            {need: admin, path: "/admin/audit?kind=auth."},
		"GET /api/v1/admin/users":                     {need: admin, path: "/api/v1/admin/users"},
		"POST /api/v1/admin/users":                    {need: admin, path: "/api/v1/admin/users", body: `{"name": "newcomer", "password": "another long passphrase", "role": "viewer", "all_scopes": true}`, ok: []int{201}},
		"POST /api/v1/admin/users/:name/password":     {need: admin, path: "/api/v1/admin/users/temp/password", body: `{"password": "a different long passphrase"}`, ok: []int{204}},
		"POST /api/v1/admin/users/:name/disable":      {need: admin, path: "/api/v1/admin/users/temp/disable", ok: []int{204}},
		"POST /api/v1/admin/users/:name/enable":       {need: admin, path: "/api/v1/admin/users/temp/enable", ok: []int{204}},
		"PUT /api/v1/admin/users/:name/grant":         {need: admin, path: "/api/v1/admin/users/temp/grant", body: `{"role": "analyst", "all_scopes": true}`, ok: []int{204}},
		"POST /api/v1/admin/users/:name/tokens":       {need: admin, path: "/api/v1/admin/users/temp/tokens", body: `{"label": "table test"}`, ok: []int{201}},
		"DELETE /api/v1/admin/users/:name/tokens/:id": {need: admin, path: "/api/v1/admin/users/temp/tokens/{token}", ok: []int{204}},
		"DELETE /api/v1/admin/users/:name/sessions":   {need: admin, path: "/api/v1/admin/users/temp/sessions"},
	}
}

// TestServeRouteRoleMatrix sends every route of the assembled server as every
// role: anonymous (401 for the API, a redirect to sign in for pages), too low
// a role (403), and enough (the route's own answer).
func TestServeRouteRoleMatrix(t *testing.T) {
	f := newServeFixture(t)
	rules := routeRules()

	// Every registered route has a rule, and every rule a route.
	registered := map[string]bool{}
	for _, r := range f.app.routes {
		key := r.Method + " " + r.Path
		registered[key] = true
		if _, ok := rules[key]; !ok {
			t.Errorf("route %s has no rule in routeRules: decide which role it needs", key)
		}
	}
	if len(registered) == 0 {
		t.Fatal("newApp exposed no routes")
	}
	for key := range rules {
		if !registered[key] {
			t.Errorf("routeRules has %s, which the server does not register", key)
		}
	}

	annaTok, _, err := f.store.CreateToken(t.Context(), "anna", "script", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	type person struct {
		label string
		user  string
		role  auth.Role
		ip    string
		c     *webClient
	}
	people := []*person{
		{label: "anonymous", role: auth.RoleNone, ip: "198.51.100.1"},
		{label: "vera (viewer)", user: "vera", role: auth.RoleViewer, ip: "198.51.100.2"},
		{label: "anna (analyst)", user: "anna", role: auth.RoleAnalyst, ip: "198.51.100.3"},
		{label: "adam (admin)", user: "adam", role: auth.RoleAdmin, ip: "198.51.100.4"},
		{label: "anna (API token)", user: "anna", role: auth.RoleAnalyst, ip: "198.51.100.5"},
	}
	newClient := func(p *person) *webClient {
		switch {
		case p.user == "":
			return f.client(p.ip)
		case strings.Contains(p.label, "token"):
			c := f.client(p.ip)
			c.header["Authorization"] = "Bearer " + annaTok
			return c
		}
		return f.signedIn(p.user, p.ip)
	}
	saved := map[string]int64{}
	for i, p := range people {
		p.c = newClient(p)
		if p.role.AtLeast(auth.RoleAnalyst) {
			q, err := f.app.audit.SaveQuery(t.Context(), p.user, fmt.Sprintf("to delete %d", i), "SELECT 1")
			if err != nil {
				t.Fatal(err)
			}
			saved[p.label] = q.ID
		}
	}

	keys := make([]string, 0, len(rules))
	for k := range rules {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		r := rules[key]
		method := strings.Fields(key)[0]
		for _, p := range people {
			t.Run(key+" as "+p.label, func(t *testing.T) {
				path := strings.NewReplacer("{saved}", fmt.Sprint(saved[p.label]), "{token}", f.tempToken).Replace(r.path)
				body, ctype := r.body, "application/json"
				if form, ok := strings.CutPrefix(body, "form:"); ok {
					body, ctype = form, "application/x-www-form-urlencoded"
				}
				c := p.c
				if r.fresh {
					c = newClient(p)
				}
				rec := c.do(method, path, body, ctype)
				ok := r.ok
				if len(ok) == 0 {
					ok = []int{http.StatusOK}
				}
				loc := rec.Header().Get("Location")
				switch {
				case r.need == auth.RoleNone:
					if !slices.Contains(ok, rec.Code) || strings.HasPrefix(loc, auth.SignInPath+"?next=") {
						t.Fatalf("public route: %d (Location %q), want one of %v; body %.300s", rec.Code, loc, ok, rec.Body)
					}
				case p.role == auth.RoleNone && strings.HasPrefix(path, "/api/"):
					if rec.Code != http.StatusUnauthorized {
						t.Fatalf("anonymous API call: %d, want 401", rec.Code)
					}
				case p.role == auth.RoleNone:
					if rec.Code != http.StatusFound || !strings.HasPrefix(loc, auth.SignInPath+"?next=") {
						t.Fatalf("anonymous page: %d to %q, want 302 to the sign-in page", rec.Code, loc)
					}
				case !p.role.AtLeast(r.need):
					if rec.Code != http.StatusForbidden {
						t.Fatalf("%s calling a %s route: %d, want 403; body %.300s", p.role, r.need, rec.Code, rec.Body)
					}
				default:
					if !slices.Contains(ok, rec.Code) {
						t.Fatalf("%s calling a %s route: %d, want one of %v; body %.300s", p.role, r.need, rec.Code, ok, rec.Body)
					}
				}
			})
		}
	}
}

// outsideText returns the first text of outsideHospitalIT in s, or "".
func outsideText(s string) string {
	for _, w := range outsideHospitalIT {
		if w == "erp" {
			// The project id only as a whole value: JSON "erp", a path or CSV cell.
			for _, form := range []string{`"erp"`, "/erp", ",erp,", ",erp\n", "\nerp,", "'erp'"} {
				if strings.Contains(s, form) {
					return form
				}
			}
			continue
		}
		if strings.Contains(s, w) {
			return w
		}
	}
	return ""
}

// TestServeScopeEverywhere: sam, an analyst granted Hospital IT, sees its
// projects and nothing of Corporate IT's, through pages, the API, CSV exports,
// the cache and SQL.
func TestServeScopeEverywhere(t *testing.T) {
	f := newServeFixture(t)
	adam := f.signedIn("adam", "198.51.100.20")
	sam := f.signedIn("sam", "198.51.100.21")

	// The fixture really holds Corporate IT's data: the admin sees it. Asking
	// first also fills the response cache, which must not leak to sam.
	paths := []string{"/", "/risks", "/data", "/program/Clinical%20Systems", "/project/ehr", "/api/v1/projects", "/api/v1/risks",
		"/api/v1/risks/exposure", "/api/v1/risks/matrix", "/api/v1/evm", "/api/v1/forecasts", "/api/v1/sync-runs", "/api/v1/sync-problems",
		"/api/v1/sources", "/risks?chart=top-risks&format=csv", "/?portfolio=Hospital%20IT"}
	for _, p := range []string{"/", "/risks", "/api/v1/projects", "/api/v1/risks", "/risks?chart=top-risks&format=csv"} {
		rec := adam.get(p)
		if rec.Code != http.StatusOK || outsideText(rec.Body.String()) == "" {
			t.Fatalf("admin GET %s: %d; the fixture must show Corporate IT to an admin:\n%.500s", p, rec.Code, rec.Body)
		}
	}
	for _, p := range paths {
		rec := sam.get(p)
		if rec.Code != http.StatusOK {
			t.Errorf("sam GET %s: %d, want 200", p, rec.Code)
			continue
		}
		if w := outsideText(rec.Body.String()); w != "" {
			t.Errorf("sam GET %s shows %q from outside the grant:\n%.800s", p, w, rec.Body)
		}
	}
	if rec := sam.get("/api/v1/projects"); !strings.Contains(rec.Body.String(), `"ehr"`) || !strings.Contains(rec.Body.String(), `"pacs"`) {
		t.Errorf("sam's project list lacks the granted projects: %s", rec.Body)
	}
	// Corporate IT's project, program and portfolio are "not found" for sam, by
	// page, API, chart export or filter.
	for _, p := range []string{"/project/erp", "/project/erp?chart=s-curve&format=csv", "/program/Business%20Systems",
		"/api/v1/projects/erp", "/api/v1/projects/erp/evm", "/api/v1/projects/erp/milestones", "/api/v1/projects/erp/tasks",
		"/api/v1/projects/erp/flow", "/api/v1/projects/erp/cycle-times", "/api/v1/projects/erp/sprints", "/api/v1/projects/erp/forecasts"} {
		rec := sam.get(p)
		if rec.Code != http.StatusNotFound {
			t.Errorf("sam GET %s: %d, want 404", p, rec.Code)
		}
		// The refusal may repeat what was asked for, and nothing else.
		body := rec.Body.String()
		for _, asked := range []string{`\"erp\"`, `"erp"`, "Business Systems"} {
			body = strings.ReplaceAll(body, asked, "")
		}
		if w := outsideText(body); w != "" {
			t.Errorf("sam GET %s: the refusal shows %q:\n%.500s", p, w, rec.Body)
		}
	}
	for _, p := range []string{"/?portfolio=Corporate%20IT", "/api/v1/evm?portfolio=Corporate%20IT", "/api/v1/risks?program=Business%20Systems"} {
		rec := sam.get(p)
		if w := outsideText(strings.ReplaceAll(rec.Body.String(), "Corporate IT", "")); w != "" && rec.Code == http.StatusOK {
			t.Errorf("sam GET %s: %d shows %q", p, rec.Code, w)
		}
	}

	// SQL: sam's sandbox holds Hospital IT's rows only. Every table and view it
	// can name, including the catalog functions and information_schema, is
	// read whole and searched for Corporate IT's data.
	query := func(sql string) (int, []string) {
		t.Helper()
		b, _ := json.Marshal(map[string]string{"sql": sql})
		rec := sam.postJSON("/api/v1/query", string(b))
		var res struct {
			Rows [][]any `json:"rows"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &res)
		var cells []string
		for _, row := range res.Rows {
			for _, v := range row {
				cells = append(cells, fmt.Sprint(v))
			}
		}
		return rec.Code, cells
	}
	code, names := query(`SELECT table_name FROM information_schema.tables ORDER BY 1`)
	if code != http.StatusOK || len(names) == 0 {
		t.Fatalf("listing sam's relations: %d %v", code, names)
	}
	for _, rel := range append(names, "duckdb_tables()", "duckdb_views()", "duckdb_columns()", "duckdb_databases()", "duckdb_settings()",
		"information_schema.columns", "information_schema.schemata") {
		from := rel
		if !strings.HasSuffix(rel, ")") && !strings.Contains(rel, ".") {
			from = `"` + rel + `"`
		}
		code, cells := query("SELECT * FROM " + from)
		if code == http.StatusBadRequest && strings.HasPrefix(rel, "duckdb_") {
			continue // refused outright (settings and attached files): nothing leaves
		}
		if code != http.StatusOK {
			t.Errorf("SELECT * FROM %s as sam: %d", from, code)
			continue
		}
		for _, cell := range cells {
			if cell == "erp" || outsideText(cell) != "" && !strings.HasSuffix(cell, ".duckdb") {
				t.Errorf("SELECT * FROM %s as sam returns %q", from, cell)
				break
			}
		}
	}
	if _, cells := query(`SELECT project_id FROM projects ORDER BY 1`); !slices.Equal(cells, []string{"ehr", "pacs"}) {
		t.Errorf("sam's projects by SQL: %v, want [ehr pacs]", cells)
	}
	// Files and other databases stay out of reach: the published warehouse, its
	// folder, and the register the data came from.
	published, err := filepath.EvalSymlinks(f.cfg.Warehouse.Path)
	if err != nil {
		t.Fatal(err)
	}
	register := filepath.Join(filepath.Dir(f.cfg.File), "registers", "register-2026-03-13.csv")
	for _, sql := range []string{
		fmt.Sprintf(`SELECT * FROM read_csv('%s')`, register),
		fmt.Sprintf(`SELECT * FROM read_text('%s')`, register),
		fmt.Sprintf(`SELECT * FROM read_blob('%s')`, published),
		fmt.Sprintf(`SELECT * FROM read_parquet('%s')`, published),
		fmt.Sprintf(`SELECT * FROM '%s'`, register),
		fmt.Sprintf(`ATTACH '%s' AS w (READ_ONLY)`, published),
		fmt.Sprintf(`SELECT * FROM glob('%s/*')`, filepath.Dir(published)),
		`SELECT * FROM pmlens.main.projects WHERE portfolio = 'Corporate IT'`,
		`INSTALL httpfs`,
		`SET enable_external_access = true`,
	} {
		code, cells := query(sql)
		if code == http.StatusOK {
			if w := outsideText(strings.Join(cells, "\n")); w != "" || len(cells) > 0 {
				t.Errorf("%s as sam: answered %v", sql, cells)
			}
		}
	}
	// A download holds the same rows as the query.
	rec := sam.postJSON("/api/v1/query/download", `{"sql": "SELECT project_id, name, portfolio FROM projects", "format": "csv"}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("sam's download: %d %s", rec.Code, rec.Body)
	}
	rows, err := csv.NewReader(bytes.NewReader(rec.Body.Bytes())).ReadAll()
	if err != nil || len(rows) != 3 || outsideText(rec.Body.String()) != "" {
		t.Errorf("sam's download (%v):\n%s", err, rec.Body)
	}
	// The schema browser lists what sam's sandbox holds.
	if rec := sam.get("/api/v1/schema"); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"sync_runs"`) {
		t.Errorf("sam's schema: %d, lists operational tables: %.300s", rec.Code, rec.Body)
	}
}

// auditCSV reads the admin audit page's CSV export.
func auditCSV(t *testing.T, admin *webClient, query string) []map[string]string {
	t.Helper()
	rec := admin.get("/admin/audit?format=csv&" + query)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("audit CSV: %d %s", rec.Code, rec.Body)
	}
	rows, err := csv.NewReader(bytes.NewReader(rec.Body.Bytes())).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("audit CSV: %v\n%s", err, rec.Body)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func findEvent(evs []map[string]string, kind, user, detail string) map[string]string {
	for _, e := range evs {
		if e["kind"] == kind && (user == "" || e["user"] == user) && strings.Contains(e["detail"], detail) {
			return e
		}
	}
	return nil
}

// TestServeAuditTrailAndHardening: what people do lands in the audit trail
// with the client address (through a trusted proxy too), the admin page
// filters and exports it, no log line carries a secret, cross-origin posts
// are refused and every answer carries the security headers.
func TestServeAuditTrailAndHardening(t *testing.T) {
	f := newServeFixture(t)
	ctx := t.Context()
	// auth.audit_retention (400d in the fixture) reaches the audit log's pruning.
	if got := f.app.audit.Retention(); got != 400*24*time.Hour {
		t.Errorf("audit retention %s, want 400 days from the configuration", got)
	}
	f.app.recordStart(ctx, f.cfg, "http://127.0.0.1:0")
	// vera signs in through the hospital's proxy (192.0.2.0/24 is trusted).
	vera := f.client("192.0.2.10")
	vera.header["X-Forwarded-For"] = "203.0.113.50"
	if rec := vera.signIn("vera", servePassword); rec.Code != http.StatusSeeOther {
		t.Fatalf("vera's sign-in: %d", rec.Code)
	}
	// Someone outside the proxy forges the header: their own address counts.
	mallory := f.client("198.51.100.66")
	mallory.header["X-Forwarded-For"] = "203.0.113.50"
	if rec := mallory.signIn("vera", "not the password at all"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", rec.Code)
	}
	for _, p := range []string{"/project/ehr", "/project/ehr?chart=s-curve&format=csv", "/api/v1/projects/pacs", "/risks?chart=top-risks&format=csv"} {
		if rec := vera.get(p); rec.Code != http.StatusOK && rec.Code != http.StatusNotFound {
			t.Fatalf("vera GET %s: %d", p, rec.Code)
		}
	}
	anna := f.signedIn("anna", "198.51.100.30")
	if rec := anna.postJSON("/api/v1/query", `{"sql": "SELECT count(*) AS n FROM projects"}`); rec.Code != http.StatusOK {
		t.Fatalf("anna's query: %d %s", rec.Code, rec.Body)
	}
	if rec := anna.postJSON("/api/v1/query/download", `{"sql": "SELECT name FROM projects", "format": "xlsx"}`); rec.Code != http.StatusOK {
		t.Fatalf("anna's download: %d %s", rec.Code, rec.Body)
	}
	adam := f.signedIn("adam", "198.51.100.31")
	if rec := adam.postJSON("/api/v1/admin/users/temp/disable", ""); rec.Code != http.StatusNoContent {
		t.Fatalf("disable: %d %s", rec.Code, rec.Body)
	}
	// A change from the command line, as `pmlens users` makes it.
	if err := runUsers(ctx, []string{"enable", "temp", "--config", f.cfg.File}, strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}

	evs := auditCSV(t, adam, "")
	want := []struct{ kind, user, detail string }{
		{auth.EventSignIn, "vera", "client 203.0.113.50"},
		{auth.EventSignInFailed, "vera", "client 198.51.100.66"},
		{"view.project", "vera", `project "ehr"`},
		{"view.project", "vera", `project "pacs"`},
		{"export.csv", "vera", `chart "s-curve"`},
		{"export.csv", "vera", `chart "top-risks"`},
		{"sql.query", "anna", "SELECT count(*) AS n FROM projects"},
		{"export.download", "anna", "xlsx, 3 rows"},
		{auth.EventUserDisabled, "temp", "by adam"},
		{auth.EventUserEnabled, "temp", "by cli:"},
		{eventServerStarted, "pmlens", "config sha256"},
	}
	for _, w := range want {
		e := findEvent(evs, w.kind, w.user, w.detail)
		if e == nil {
			t.Errorf("no %s event of %s with %q in the trail", w.kind, w.user, w.detail)
			continue
		}
		if w.kind == "view.project" && (e["client_ip"] != "203.0.113.50" || e["role"] != "viewer" || e["path"] == "") {
			t.Errorf("page view recorded as %v; want vera's address behind the proxy, her role and the path", e)
		}
	}
	// The page filters by user, kind and date.
	for _, e := range auditCSV(t, adam, "user=vera&kind=export.") {
		if e["user"] != "vera" || e["kind"] != "export.csv" {
			t.Errorf("filtered export has %v", e)
		}
	}
	if evs := auditCSV(t, adam, "from=2000-01-01&to=2000-01-02"); len(evs) != 0 {
		t.Errorf("a day long ago has %d events", len(evs))
	}
	rec := adam.get("/admin/audit?user=anna")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "SELECT count(*) AS n FROM projects") || strings.Contains(rec.Body.String(), "<td>vera</td>") {
		t.Errorf("audit page filtered to anna: %d\n%.1000s", rec.Code, rec.Body)
	}
	// Reading the trail is itself recorded.
	if findEvent(auditCSV(t, adam, "kind=view.audit"), "view.audit", "adam", "") == nil {
		t.Error("viewing the audit page was not recorded")
	}
	// A configuration edited between two starts is recorded as a change.
	if err := os.WriteFile(f.cfg.File, []byte(serveConfigYAML+"# edited\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.app.recordStart(ctx, f.cfg, "http://127.0.0.1:0")
	if findEvent(auditCSV(t, adam, "kind=config."), eventConfigChanged, "pmlens", "before") == nil {
		t.Error("the configuration change was not recorded")
	}

	// CSRF: state-changing requests from another site are refused before they act.
	for _, hdr := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Sec-Fetch-Site", "same-site"}, {"Sec-Fetch-Site", "", "Origin", "https://evil.example"}} {
		if rec := adam.do("POST", "/api/v1/admin/users/temp/disable", "", "application/json", hdr...); rec.Code != http.StatusForbidden {
			t.Errorf("cross-origin admin change %v: %d, want 403", hdr, rec.Code)
		}
		if rec := anna.do("POST", "/api/v1/query", `{"sql": "SELECT 1"}`, "application/json", hdr...); rec.Code != http.StatusForbidden {
			t.Errorf("cross-origin query %v: %d, want 403", hdr, rec.Code)
		}
	}
	if u, _, _ := f.store.Lookup("temp"); u.Disabled {
		t.Error("a refused cross-origin request disabled the user")
	}
	if findEvent(auditCSV(t, adam, "kind=auth.csrf"), auth.EventCSRFRefused, "", "POST /api/v1/admin/users/temp/disable") == nil {
		t.Error("CSRF refusals are not in the trail")
	}

	// Security headers on pages, API answers, refusals and static files; HSTS
	// only over HTTPS.
	for _, p := range []string{"/", "/api/v1/projects", "/static/app.css", "/workbench", "/admin/users", "/signin", "/no-such-page"} {
		h := anna.get(p).Header()
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s over HTTP: headers %v", p, h)
		}
	}
	req := httptest.NewRequest("GET", "https://pmlens.test/healthz", nil)
	req.TLS = &tls.ConnectionState{}
	tlsRec := httptest.NewRecorder()
	f.app.handler.ServeHTTP(tlsRec, req)
	if !strings.Contains(tlsRec.Header().Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("HTTPS answer without HSTS: %v", tlsRec.Header())
	}

	// No log line carries a password, API token, session cookie or a secret
	// from a query string.
	tok, _, err := f.store.CreateToken(ctx, "anna", "log test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	script := f.client("198.51.100.40")
	script.header["Authorization"] = "Bearer " + tok
	script.get("/api/v1/projects?access_token=" + url.QueryEscape(tok) + "&note=visible")
	anon := f.client("198.51.100.41")
	anon.get("/auth/oidc/callback?code=SECRETCODE123&state=SECRETSTATE456")
	anon.get("/?password=hunter2hunter2&api_key=SECRETKEY789")
	anon.do("GET", "/", "", "", "Authorization", "Bearer pmlens_0123456789abcdef_forgedforgedforgedforgedforgedforgedforg")
	logs := f.logs.String()
	secrets := []string{servePassword, "not the password at all", tok, "SECRETCODE123", "SECRETSTATE456", "hunter2hunter2", "SECRETKEY789", "forgedforged"}
	for _, c := range []*webClient{vera, anna, adam} {
		for _, ck := range c.cookies {
			secrets = append(secrets, ck.Value)
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("a log line holds the secret %q", s)
		}
	}
	if !strings.Contains(logs, "note=visible") || !strings.Contains(logs, `"remote":"203.0.113.50"`) {
		t.Errorf("the request log lost harmless query parameters or the proxied client address:\n%s", logs)
	}
}

// TestServeDemoWithoutSignIn: with sign-in off (the demo) every page, the
// workbench included, says so, and everything is reachable on loopback.
func TestServeDemoWithoutSignIn(t *testing.T) {
	f := newServeFixture(t)
	off := false
	cfg := *f.cfg
	cfg.Auth.Enabled = &off
	a, err := newApp(t.Context(), &cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	for _, p := range []string{"/", "/project/ehr", "/risks", "/data", "/workbench", "/admin/users", "/admin/audit", "/project/nope"} {
		req := httptest.NewRequest("GET", "http://127.0.0.1:8080"+p, nil)
		req.RemoteAddr = "127.0.0.1:50000"
		rec := httptest.NewRecorder()
		a.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && !(p == "/project/nope" && rec.Code == http.StatusNotFound) {
			t.Errorf("demo GET %s: %d", p, rec.Code)
		}
		if !strings.Contains(rec.Body.String(), `class="demo-banner"`) || !strings.Contains(rec.Body.String(), "no sign-in") {
			t.Errorf("demo GET %s lacks the no-sign-in banner", p)
		}
	}
	// With sign-in on there is no banner.
	adam := f.signedIn("adam", "198.51.100.50")
	if strings.Contains(adam.get("/").Body.String(), "demo-banner") {
		t.Error("a signed-in page shows the demo banner")
	}
}
