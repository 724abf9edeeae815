package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pmlens/pmlens/configs"
)

// cheapHash keeps argon2id fast in tests; production uses DefaultHashParams.
var cheapHash = HashParams{Memory: 256, Time: 1, Threads: 1}

const testPassword = "correct horse battery"

// fakeClock is an injectable clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recordingAuditor keeps events for assertions.
type recordingAuditor struct {
	mu     sync.Mutex
	events []auditEvent
}

type auditEvent struct{ kind, user, detail string }

func (a *recordingAuditor) Event(_ context.Context, kind, user, detail string) {
	a.mu.Lock()
	a.events = append(a.events, auditEvent{kind, user, detail})
	a.mu.Unlock()
}

func (a *recordingAuditor) count(kind string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, e := range a.events {
		if e.kind == kind {
			n++
		}
	}
	return n
}

func (a *recordingAuditor) all() []auditEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]auditEvent(nil), a.events...)
}

// fixture is a Service with users, wrapped around a small engine whose routes
// stand for the dashboards, API, downloads, workbench and admin pages.
type fixture struct {
	t     *testing.T
	svc   *Service
	h     http.Handler
	clock *fakeClock
	audit *recordingAuditor
	cfg   configs.AuthConfig
}

// testRoutes are the engine's protected routes with the role each needs.
var testRoutes = []struct {
	method, path string
	need         Role
}{
	{"GET", "/", RoleViewer},
	{"GET", "/project/p1", RoleViewer},
	{"GET", "/api/v1/projects", RoleViewer},
	{"POST", "/export/portfolio.xlsx", RoleViewer},
	{"GET", "/workbench", RoleAnalyst},
	{"POST", "/workbench/query", RoleAnalyst},
	{"GET", "/download/tasks.csv", RoleAnalyst},
	{"GET", "/admin/audit", RoleAdmin},
	{"POST", "/admin/sync", RoleAdmin},
	{"GET", AdminAPIPath, RoleAdmin},
}

func newFixture(t *testing.T, mutate func(*configs.AuthConfig)) *fixture {
	t.Helper()
	return newFixtureWithClock(t, newClock(), mutate, nil)
}

func newFixtureWithClock(t *testing.T, clock *fakeClock, mutate func(*configs.AuthConfig), hc *http.Client) *fixture {
	t.Helper()
	cfg := configs.DefaultAuthConfig()
	cfg.UsersFile = filepath.Join(t.TempDir(), "users.json")
	if mutate != nil {
		mutate(&cfg)
	}
	f := &fixture{t: t, clock: clock, audit: &recordingAuditor{}, cfg: cfg}
	svc, err := New(Options{Config: cfg, Now: f.clock.Now, Auditor: f.audit, HashParams: cheapHash, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	gin.SetMode(gin.TestMode)
	e := gin.New()
	svc.Register(e)
	ok := func(c *gin.Context) {
		p, _ := FromContext(c)
		c.String(http.StatusOK, "ok %s %s", p.User, p.Role)
	}
	e.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "alive") })
	for _, r := range testRoutes {
		if r.path == AdminAPIPath {
			continue // registered by svc.Register
		}
		e.Handle(r.method, r.path, Require(r.need), ok)
	}
	f.h = svc.Wrap(e)
	return f
}

func (f *fixture) addUser(name string, role Role, portfolios ...string) {
	f.t.Helper()
	g := Grant{Role: role, Portfolios: portfolios, AllScopes: len(portfolios) == 0}
	if err := f.svc.Users().AddUser(context.Background(), name, KindLocal, testPassword, g); err != nil {
		f.t.Fatal(err)
	}
}

// client is a minimal browser: it keeps cookies and a client address.
type client struct {
	f       *fixture
	ip      string
	cookies map[string]*http.Cookie
}

func (f *fixture) client(ip string) *client {
	return &client{f: f, ip: ip, cookies: map[string]*http.Cookie{}}
}

func (c *client) do(method, path string, form url.Values, hdr map[string]string) *httptest.ResponseRecorder {
	c.f.t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, "http://pmlens.test"+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, "http://pmlens.test"+path, nil)
	}
	req.RemoteAddr = c.ip + ":40000"
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.f.h.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	return rec
}

func (c *client) signIn(user, password string) *httptest.ResponseRecorder {
	return c.do("POST", SignInPath, url.Values{"username": {user}, "password": {password}, "next": {"/"}},
		map[string]string{"Sec-Fetch-Site": "same-origin"})
}

func (c *client) mustSignIn(user string) {
	c.f.t.Helper()
	rec := c.signIn(user, testPassword)
	if rec.Code != http.StatusSeeOther {
		c.f.t.Fatalf("sign-in of %s: status %d, body %s", user, rec.Code, rec.Body.String())
	}
}
