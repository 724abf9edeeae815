package dashboards

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pmlens/pmlens/auth"
	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/warehouse/sandbox"
)

// recordedEvent is one event a recordingAuditor received.
type recordedEvent struct {
	kind, user, detail string
	meta               auth.RequestMeta
}

// recordingAuditor keeps every event it receives.
type recordingAuditor struct {
	mu     sync.Mutex
	events []recordedEvent
}

func (a *recordingAuditor) Event(ctx context.Context, kind, user, detail string) {
	m, _ := auth.RequestMetaFrom(ctx)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, recordedEvent{kind, user, detail, m})
}

func (a *recordingAuditor) of(kind string) []recordedEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []recordedEvent
	for _, e := range a.events {
		if e.kind == kind {
			out = append(out, e)
		}
	}
	return out
}

const accessPassword = "a long enough test password"

// signedInHandler is the fixture's handler behind sign-in with the given users
// (each also given an API token, returned by name), as pmlens serve builds it.
func (f *fixture) signedInHandler(t *testing.T, users map[string]auth.Grant, auditor auth.Auditor, mod ...func(*Options)) (http.Handler, *auth.Service, map[string]string) {
	t.Helper()
	svc := newAuth(t, true, auditor)
	toks := map[string]string{}
	for name, g := range users {
		if err := svc.Users().AddUser(t.Context(), name, auth.KindLocal, accessPassword, g); err != nil {
			t.Fatal(err)
		}
		tok, _, err := svc.Users().CreateToken(t.Context(), name, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		toks[name] = tok
	}
	o := Options{Reader: f.reader, Config: f.cfg, Scheduler: f.sched, Version: "test", Auth: svc, Auditor: auditor,
		Register: []func(gin.IRouter){svc.Register}}
	for _, m := range mod {
		m(&o)
	}
	return svc.Wrap(New(o)), svc, toks
}

// as sends a GET with the named user's API token.
func as(t *testing.T, h http.Handler, tok, u string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	return get(t, h, u, append([]string{"Authorization", "Bearer " + tok}, header...)...)
}

func evmTotals(t *testing.T, rec *httptest.ResponseRecorder) (string, *float64) {
	t.Helper()
	var e envelope
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("%v: %s", err, rec.Body)
	}
	var out struct {
		Source string `json:"source"`
		Totals totals `json:"totals"`
	}
	if err := json.Unmarshal(e.Data, &out); err != nil {
		t.Fatalf("%v: %s", err, e.Data)
	}
	return out.Source, out.Totals.BAC
}

func TestScopeFiltersPagesAPIExportsAndCache(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	h, _, tok := f.signedInHandler(t, map[string]auth.Grant{
		"root": {Role: auth.RoleAdmin, AllScopes: true},
		"hana": {Role: auth.RoleViewer, Portfolios: []string{"Hospital IT"}},
		"cleo": {Role: auth.RoleViewer, Programs: []string{"Clinical Systems"}},
		"cora": {Role: auth.RoleViewer, Portfolios: []string{"Corporate IT"}},
	}, nil)
	// The admin asks first, so every answer below is in the cache already for
	// the admin's scope: a scoped person must still get their own.
	for _, u := range []string{"/", "/risks", "/api/v1/projects", "/api/v1/risks", "/risks?chart=top-risks&format=csv"} {
		if rec := as(t, h, tok["root"], u); rec.Code != 200 || !strings.Contains(rec.Body.String(), "ERP Revenue Cycle") && !strings.Contains(rec.Body.String(), "Interface vendor late") {
			t.Fatalf("admin GET %s: %d\n%.300s", u, rec.Code, rec.Body)
		}
	}

	// Hospital IT is ehr, pacs and portal; Clinical Systems ehr and pacs;
	// Corporate IT erp and hipaa (fixture_test.go).
	projects := map[string][]string{"root": {"ehr", "pacs", "portal", "erp", "hipaa"}, "hana": {"ehr", "pacs", "portal"},
		"cleo": {"ehr", "pacs"}, "cora": {"erp", "hipaa"}}
	for who, want := range projects {
		e := getJSON(t, &tokenHandler{h, tok[who]}, "/api/v1/projects", 200)
		var rows []projectStatus
		if err := json.Unmarshal(e.Data, &rows); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, p := range rows {
			got[p.ID] = true
		}
		if len(got) != len(want) {
			t.Errorf("%s sees projects %v, want %v", who, got, want)
		}
		for _, id := range want {
			if !got[id] {
				t.Errorf("%s does not see %s", who, id)
			}
		}
		// Every project outside the grant is "not found" by page, API and export.
		for _, id := range projects["root"] {
			if got[id] {
				continue
			}
			for _, u := range []string{"/project/" + id, "/project/" + id + "?chart=s-curve&format=csv", "/api/v1/projects/" + id,
				"/api/v1/projects/" + id + "/evm", "/api/v1/projects/" + id + "/milestones", "/api/v1/projects/" + id + "/tasks",
				"/api/v1/projects/" + id + "/flow", "/api/v1/projects/" + id + "/cycle-times", "/api/v1/projects/" + id + "/sprints",
				"/api/v1/projects/" + id + "/forecasts"} {
				if rec := as(t, h, tok[who], u); rec.Code != http.StatusNotFound {
					t.Errorf("%s GET %s: %d, want 404", who, u, rec.Code)
				}
			}
		}
	}

	// Totals sum only what the person may see, even where a roll-up view would
	// include more: Clinical Systems is only part of Hospital IT.
	// hana: 1,000,000 + 500,000 + 300,000; cleo: clinicalBAC; cora: corpBAC
	// (hipaa has no earned value).
	for who, want := range map[string]float64{"root": allBAC, "hana": 1_000_000 + 500_000 + 300_000, "cleo": clinicalBAC, "cora": corpBAC} {
		src, bac := evmTotals(t, as(t, h, tok[who], "/api/v1/evm"))
		if bac == nil || *bac != want {
			t.Errorf("%s: portfolio BAC %v from %s, want %v", who, bac, src, want)
		}
	}
	if src, _ := evmTotals(t, as(t, h, tok["cleo"], "/api/v1/evm?portfolio=Hospital%20IT")); src == "portfolio_evm" {
		t.Error("cleo's Hospital IT total came from the portfolio roll-up, which includes the portal")
	}

	// Pages, filters and exports show nothing from outside the grant.
	never := map[string][]string{
		"hana": {"ERP Revenue Cycle", "HIPAA Remediation", "Corporate IT", "Business Systems"},
		"cleo": {escapedPortal, "Digital Front Door", "ERP Revenue Cycle", "Corporate IT", "Vendor API delay"},
		"cora": {"EHR Upgrade", "PACS Migration", "Hospital IT", "Clinical Systems", "Interface vendor late", "Image archive migration window"},
	}
	for who, words := range never {
		for _, u := range []string{"/", "/risks", "/data", "/api/v1/projects", "/api/v1/risks", "/api/v1/risks/exposure", "/api/v1/evm",
			"/api/v1/forecasts", "/risks?chart=top-risks&format=csv", "/?chart=projects&format=csv"} {
			rec := as(t, h, tok[who], u)
			for _, w := range words {
				if strings.Contains(rec.Body.String(), w) {
					t.Errorf("%s GET %s (%d) shows %q", who, u, rec.Code, w)
				}
			}
		}
	}
	if rec := as(t, h, tok["cleo"], "/program/Digital%20Front%20Door"); rec.Code != http.StatusNotFound {
		t.Errorf("cleo GET another program's page: %d, want 404", rec.Code)
	}
	// Sync errors name sources and files of every portfolio: hidden from scoped people.
	if body := as(t, h, tok["hana"], "/api/v1/sync-runs").Body.String(); strings.Contains(body, "401 Unauthorized") || !strings.Contains(body, hiddenForScope) {
		t.Errorf("scoped sync runs: %s", body)
	}
	if body := as(t, h, tok["root"], "/api/v1/sync-runs").Body.String(); !strings.Contains(body, "401 Unauthorized") {
		t.Errorf("admin sync runs lack the error: %s", body)
	}

	// A browser's cached copy of one person's answer is not valid for another.
	first := as(t, h, tok["root"], "/api/v1/projects")
	if rec := as(t, h, tok["cora"], "/api/v1/projects", "If-None-Match", first.Header().Get("ETag")); rec.Code != 200 {
		t.Errorf("cora revalidating the admin's ETag: %d, want 200", rec.Code)
	}
	if cc := first.Header().Get("Cache-Control"); !strings.Contains(cc, "private") {
		t.Errorf("Cache-Control %q must keep shared caches from storing answers", cc)
	}
}

// tokenHandler adds a bearer token to every request (for helpers that take a handler).
type tokenHandler struct {
	h   http.Handler
	tok string
}

func (th *tokenHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Header.Set("Authorization", "Bearer "+th.tok)
	th.h.ServeHTTP(w, r)
}

func TestDemoBannerOnEveryPage(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	h := f.handler(t, func(o *Options) {
		o.AuditTrail = &fakeTrail{}
		o.Register = append(o.Register, func(r gin.IRouter) {
			r.GET("/extra", func(c *gin.Context) { RenderPage(c, 200, Page{Title: "Extra", Body: "<p>extra</p>"}) })
		})
	})
	for _, u := range []string{"/", "/program/Clinical%20Systems", "/project/ehr", "/risks", "/data", "/admin/users", "/admin/audit", "/extra", "/project/nope", "/no-such-page"} {
		body := get(t, h, u).Body.String()
		if !strings.Contains(body, `class="demo-banner"`) || !strings.Contains(body, "no sign-in") {
			t.Errorf("GET %s lacks the demo banner", u)
		}
		if strings.Contains(body, "x-pmlens-") {
			t.Errorf("GET %s leaves a placeholder in the page", u)
		}
	}
	// Signed in: no banner; the person's name and a sign-out form instead.
	h2, _, tok := f.signedInHandler(t, map[string]auth.Grant{"vera": {Role: auth.RoleViewer, AllScopes: true}}, nil)
	body := as(t, h2, tok["vera"], "/").Body.String()
	if strings.Contains(body, "demo-banner") || !strings.Contains(body, `<span class="user-name">vera`) || !strings.Contains(body, `action="/signout"`) {
		t.Errorf("signed-in page header:\n%.2000s", body)
	}
	// A viewer's navigation has no workbench or administration links.
	if strings.Contains(body, `href="/admin/users"`) {
		t.Error("a viewer's page links to the administration pages")
	}
}

func TestRedactQuery(t *testing.T) {
	cases := []struct{ path, raw, want string }{
		{"/", "", ""},
		{"/", "portfolio=Hospital+IT&as_of=2026-01-19", "as_of=2026-01-19&portfolio=Hospital+IT"},
		{"/auth/oidc/callback", "code=abc&state=def", "code=REDACTED&state=REDACTED"},
		{"/api/v1/projects", "access_token=x&note=y", "access_token=REDACTED&note=y"},
		{"/", "password=hunter2&Api_Key=k&session_id=s&sig=1", "Api_Key=REDACTED&password=REDACTED&session_id=REDACTED&sig=REDACTED"},
		{"/", "q=pmlens_0123456789abcdef_xyz", "q=REDACTED"},
		{"/", "q=eyJhbGciOiJSUzI1NiJ9.e30.sig", "q=REDACTED"},
		{"/", "q=" + strings.Repeat("A", 40), "q=REDACTED"},
		{"/", "chart=s-curve&format=csv", "chart=s-curve&format=csv"},
		{"/", "%zz", "(unparsable query not logged)"},
	}
	for _, tc := range cases {
		if got := redactQuery(tc.path, tc.raw); got != tc.want {
			t.Errorf("redactQuery(%q, %q) = %q, want %q", tc.path, tc.raw, got, tc.want)
		}
	}
}

func TestRequestLogHoldsNoSecret(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	svc := newAuth(t, true, nil, func(c *configs.AuthConfig) { c.TrustedProxies = []string{"10.0.0.0/8"} })
	if err := svc.Users().AddUser(t.Context(), "vera", auth.KindLocal, accessPassword, auth.Grant{Role: auth.RoleViewer, AllScopes: true}); err != nil {
		t.Fatal(err)
	}
	tok, _, err := svc.Users().CreateToken(t.Context(), "vera", "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	h := svc.Wrap(New(Options{Reader: f.reader, Config: f.cfg, Version: "test", Auth: svc, Logger: slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Register: []func(gin.IRouter){svc.Register}}))
	send := func(method, target, body string, hdr ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		r.RemoteAddr = "10.1.2.3:5555"
		if body != "" {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	signin := send("POST", "/signin", url.Values{"username": {"vera"}, "password": {accessPassword}}.Encode(), "X-Forwarded-For", "203.0.113.9")
	if signin.Code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", signin.Code)
	}
	cookie := signin.Result().Cookies()[0]
	send("GET", "/?as_of=2026-01-19", "", "Cookie", cookie.Name+"="+cookie.Value, "X-Forwarded-For", "203.0.113.9")
	send("GET", "/api/v1/projects?token="+url.QueryEscape(tok), "", "Authorization", "Bearer "+tok)
	send("GET", "/auth/oidc/callback?code=THE-CODE-1234&state=THE-STATE-5678", "")
	send("GET", "/?password=hunter2hunter2", "", "Authorization", "Bearer pmlens_0000000000000000_"+strings.Repeat("B", 43))
	logs := f.logs.String()
	for _, secret := range []string{accessPassword, cookie.Value, tok, "THE-CODE-1234", "THE-STATE-5678", "hunter2hunter2", strings.Repeat("B", 43)} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q:\n%s", secret, logs)
		}
	}
	// The client behind the trusted proxy is logged, with the user and the
	// harmless query.
	if !strings.Contains(logs, `"remote":"203.0.113.9"`) || !strings.Contains(logs, `"user":"vera"`) || !strings.Contains(logs, "as_of=2026-01-19") {
		t.Errorf("request log lacks the client, user or query:\n%s", logs)
	}
}

// fakeTrail is an AuditTrail returning fixed events and remembering the filter.
type fakeTrail struct {
	mu     sync.Mutex
	filter sandbox.EventFilter
	fail   bool
}

func (f *fakeTrail) Events(_ context.Context, flt sandbox.EventFilter) ([]sandbox.AuditEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filter = flt
	if f.fail {
		return nil, errors.New("locked")
	}
	at := time.Date(2026, 1, 20, 7, 0, 0, 0, time.UTC)
	return []sandbox.AuditEvent{
		{ID: "e2", Time: at.Add(time.Minute), User: "vera", Role: "viewer", Kind: EventViewProject, Detail: `project "ehr"; status 200`, ClientIP: "192.0.2.1", Method: "GET", Path: "/project/ehr", Seq: 2},
		{ID: "e1", Time: at, User: "vera", Kind: auth.EventSignIn, Detail: "=cmd|' /C calc'!A0", ClientIP: "192.0.2.1", Method: "POST", Path: "/signin", Seq: 1},
	}, nil
}

func TestAdminPagesAndSyncNow(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	rec := &recordingAuditor{}
	trail := &fakeTrail{}
	h, _, tok := f.signedInHandler(t, map[string]auth.Grant{
		"root": {Role: auth.RoleAdmin, AllScopes: true},
		"vera": {Role: auth.RoleViewer, AllScopes: true},
	}, rec, func(o *Options) { o.AuditTrail = trail })

	// Users page: every user, with the scripts that call the admin API.
	body := as(t, h, tok["root"], "/admin/users").Body.String()
	for _, want := range []string{`data-user="root"`, `data-user="vera"`, "admin.js", `data-users-api="/api/v1/admin/users"`} {
		if !strings.Contains(body, want) {
			t.Errorf("users page lacks %q", want)
		}
	}

	// Audit page: filters go to the trail, text is escaped, CSV defuses formulas.
	page := as(t, h, tok["root"], "/admin/audit?user=vera&kind=view.&from=2026-01-01&to=2026-01-31")
	if page.Code != 200 || !strings.Contains(page.Body.String(), "/project/ehr") || !strings.Contains(page.Body.String(), "format=csv") {
		t.Fatalf("audit page: %d\n%.1000s", page.Code, page.Body)
	}
	// "to" includes its day: the filter ends at the start of the next one.
	if trail.filter.User != "vera" || trail.filter.Kind != "view." || !trail.filter.From.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) ||
		!trail.filter.To.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("filter passed to the trail: %+v", trail.filter)
	}
	csvRec := as(t, h, tok["root"], "/admin/audit?format=csv&user=vera")
	if !strings.HasPrefix(csvRec.Header().Get("Content-Type"), "text/csv") || !strings.Contains(csvRec.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("audit CSV headers %v", csvRec.Header())
	}
	lines := strings.Split(strings.TrimSpace(csvRec.Body.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "time_utc,user,role,kind,detail") || !strings.Contains(csvRec.Body.String(), `'=cmd`) {
		t.Errorf("audit CSV:\n%s", csvRec.Body)
	}
	if trail.filter.Limit != sandbox.MaxEvents {
		t.Errorf("CSV export limit %d, want every matching event (%d)", trail.filter.Limit, sandbox.MaxEvents)
	}
	if rec := as(t, h, tok["root"], "/admin/audit?from=yesterday"); rec.Code != http.StatusBadRequest {
		t.Errorf("bad date: %d", rec.Code)
	}
	if len(rec.of(EventViewAudit)) != 1 || len(rec.of(EventExportAudit)) != 1 {
		t.Errorf("reading the trail was not audited: %+v", rec.events)
	}

	// Sync now: admins only, configured sources only, once at a time.
	post := func(tokName, target, ctype string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", target, strings.NewReader(""))
		r.Header.Set("Authorization", "Bearer "+tok[tokName])
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := post("vera", "/api/v1/sources/risks/sync", ""); w.Code != http.StatusForbidden {
		t.Errorf("viewer sync now: %d", w.Code)
	}
	if w := post("root", "/api/v1/sources/risks/sync", ""); w.Code != http.StatusAccepted {
		t.Errorf("sync now: %d %s", w.Code, w.Body)
	}
	if w := post("root", "/api/v1/sources/risks/sync", ""); w.Code != http.StatusConflict {
		t.Errorf("second sync now while running: %d", w.Code)
	}
	if w := post("root", "/api/v1/sources/no-such/sync", ""); w.Code != http.StatusNotFound {
		t.Errorf("sync now of an unknown source: %d", w.Code)
	}
	// The Data page's form is sent back to the page with a notice.
	if w := post("root", "/api/v1/sources/schedules/sync", "application/x-www-form-urlencoded"); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/data?") {
		t.Errorf("form sync now: %d to %q", w.Code, w.Header().Get("Location"))
	}
	if got := f.sched.triggers(); len(got) != 2 || got[0] != "risks" || got[1] != "schedules" {
		t.Errorf("triggered %v", got)
	}
	if n := len(rec.of(EventSyncRequested)); n != 4 {
		t.Errorf("%d sync requests audited, want 4 (the viewer's was refused before it)", n)
	}
	// Only admins see the button.
	if body := as(t, h, tok["root"], "/data").Body.String(); !strings.Contains(body, `action="/api/v1/sources/risks/sync"`) {
		t.Error("the admin's Data page has no Sync now button")
	}
	if body := as(t, h, tok["vera"], "/data").Body.String(); strings.Contains(body, "/sync\"") {
		t.Error("a viewer's Data page offers Sync now")
	}
}

func TestProjectViewsAndExportsAreAudited(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	rec := &recordingAuditor{}
	h, _, tok := f.signedInHandler(t, map[string]auth.Grant{
		"hana": {Role: auth.RoleViewer, Portfolios: []string{"Hospital IT"}},
	}, rec, func(o *Options) { o.Warm = DefaultWarmPaths() })
	as(t, h, tok["hana"], "/project/ehr")
	as(t, h, tok["hana"], "/project/erp") // outside the grant: 404, still recorded
	as(t, h, tok["hana"], "/api/v1/projects/pacs/evm")
	as(t, h, tok["hana"], "/risks?project=portal")
	as(t, h, tok["hana"], "/project/ehr?chart=s-curve&format=csv")
	as(t, h, tok["hana"], "/")
	views := rec.of(EventViewProject)
	wantViews := []string{`project "ehr"; status 200`, `project "erp"; status 404`, `project "pacs"; status 200`, `project "portal" via /risks; status 200`}
	if len(views) != len(wantViews) {
		t.Fatalf("project views recorded: %+v", views)
	}
	for i, v := range views {
		if v.user != "hana" || v.detail != wantViews[i] || v.meta.Path == "" || v.meta.ClientIP == "" {
			t.Errorf("view %d: %+v, want detail %q with the request", i, v, wantViews[i])
		}
	}
	if ex := rec.of(EventExportCSV); len(ex) != 1 || !strings.Contains(ex[0].detail, `chart "s-curve" of /project/ehr; status 200`) {
		t.Errorf("exports recorded: %+v", ex)
	}
	// The server's own warm-up after a new publication is not anyone's view.
	n := len(rec.events)
	f.republish(t)
	as(t, h, tok["hana"], "/readyz")
	time.Sleep(200 * time.Millisecond)
	rec.mu.Lock()
	for _, e := range rec.events[n:] {
		if e.kind == EventViewProject || e.kind == EventExportCSV {
			t.Errorf("warm-up recorded %+v", e)
		}
	}
	rec.mu.Unlock()
}
