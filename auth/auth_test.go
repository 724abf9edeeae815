package auth

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pmlens/pmlens/configs"
)

// expectFor derives the answer a route gives a principal: the role order decides
// between allowed and 403; without a principal, browsers' GETs of pages are sent
// to the sign-in page and everything else gets 401.
func expectFor(method, path string, have, need Role) int {
	switch {
	case have == RoleNone && method == "GET" && !strings.HasPrefix(path, "/api/"):
		return http.StatusFound
	case have == RoleNone:
		return http.StatusUnauthorized
	case have.AtLeast(need):
		return http.StatusOK
	}
	return http.StatusForbidden
}

func TestRouteRoleMatrix(t *testing.T) {
	f := newFixture(t, nil)
	f.addUser("vera", RoleViewer)
	f.addUser("anna", RoleAnalyst)
	f.addUser("adam", RoleAdmin)
	tok, _, err := f.svc.Users().CreateToken(context.Background(), "anna", "script", time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	type who struct {
		name string
		role Role
		c    *client
		hdr  map[string]string
	}
	var people []who
	people = append(people, who{"nobody", RoleNone, f.client("198.51.100.1"), nil})
	for _, u := range []struct {
		name string
		role Role
	}{{"vera", RoleViewer}, {"anna", RoleAnalyst}, {"adam", RoleAdmin}} {
		c := f.client("198.51.100.2")
		c.mustSignIn(u.name)
		people = append(people, who{u.name + " (session)", u.role, c, nil})
	}
	people = append(people, who{"anna (API token)", RoleAnalyst, f.client("198.51.100.3"), map[string]string{"Authorization": "Bearer " + tok}})

	for _, p := range people {
		for _, r := range testRoutes {
			t.Run(p.name+" "+r.method+" "+r.path, func(t *testing.T) {
				hdr := map[string]string{"Sec-Fetch-Site": "same-origin"}
				for k, v := range p.hdr {
					hdr[k] = v
				}
				var form url.Values
				if r.method == "POST" {
					form = url.Values{}
				}
				rec := p.c.do(r.method, r.path, form, hdr)
				want := expectFor(r.method, r.path, p.role, r.need)
				if rec.Code != want {
					t.Fatalf("status %d, want %d (body %q)", rec.Code, want, rec.Body.String())
				}
				if want == http.StatusFound && !strings.HasPrefix(rec.Header().Get("Location"), SignInPath+"?next=") {
					t.Errorf("redirect to %q, want the sign-in page", rec.Header().Get("Location"))
				}
			})
		}
	}
	// Public paths need no sign-in.
	for _, path := range []string{"/healthz", SignInPath, "/auth/static/auth.css"} {
		if rec := f.client("198.51.100.9").do("GET", path, nil, nil); rec.Code != http.StatusOK {
			t.Errorf("GET %s without sign-in: %d, want 200", path, rec.Code)
		}
	}
	// A path no route serves is still not public.
	if rec := f.client("198.51.100.9").do("GET", "/no-such-page", nil, nil); rec.Code != http.StatusFound {
		t.Errorf("unknown page without sign-in: %d, want a redirect to sign in", rec.Code)
	}
}

func TestLockoutPerUser(t *testing.T) {
	f := newFixture(t, nil)
	f.addUser("vera", RoleViewer)
	c := f.client("203.0.113.5")
	max := f.cfg.Lockout.MaxFailures
	for i := 0; i < max; i++ {
		if rec := c.signIn("vera", "wrong password!"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i+1, rec.Code)
		}
	}
	// Locked now: even the right password is refused without being checked.
	rec := c.signIn("vera", testPassword)
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("after %d failures: status %d, want 429", max, rec.Code)
	}
	if f.audit.count(EventLockout) != 1 || f.audit.count(EventSignInLocked) != 1 || f.audit.count(EventSignInFailed) != max {
		t.Errorf("audit events: %+v", f.audit.all())
	}
	// Another address is refused too: the lock is on the user name.
	if rec := f.client("203.0.113.6").signIn("vera", testPassword); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("locked user from another address: status %d, want 429", rec.Code)
	}
	f.clock.Advance(f.cfg.Lockout.Duration)
	if rec := c.signIn("vera", testPassword); rec.Code != http.StatusSeeOther {
		t.Fatalf("after the lock-out: status %d, want 303", rec.Code)
	}
	// The same message for unknown users and wrong passwords.
	a := c.signIn("nobody", "whatever it is").Body.String()
	b := c.signIn("vera", "whatever it is").Body.String()
	if !strings.Contains(a, "Unknown user or wrong password") || !strings.Contains(b, "Unknown user or wrong password") {
		t.Error("sign-in failures must give one message for unknown users and wrong passwords")
	}
}

func TestLockoutPerIP(t *testing.T) {
	f := newFixture(t, func(c *configs.AuthConfig) { c.Lockout.MaxFailuresPerIP = 4 })
	f.addUser("vera", RoleViewer)
	c := f.client("203.0.113.7")
	// Spraying different names never reaches a user's limit but does the address's.
	for i := 0; i < 4; i++ {
		c.signIn("guess"+string(rune('a'+i)), "wrong password!")
	}
	if rec := c.signIn("vera", testPassword); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("sprayed address: status %d, want 429", rec.Code)
	}
	if rec := f.client("203.0.113.8").signIn("vera", testPassword); rec.Code != http.StatusSeeOther {
		t.Fatalf("other address: status %d, want 303", rec.Code)
	}
	// Bad API tokens count against the address as well.
	tc := f.client("203.0.113.9")
	for i := 0; i < 4; i++ {
		if rec := tc.do("GET", "/api/v1/projects", nil, map[string]string{"Authorization": "Bearer pmlens_0000000000000000_" + strings.Repeat("A", 43)}); rec.Code != http.StatusUnauthorized {
			t.Fatalf("bad token %d: %d", i, rec.Code)
		}
	}
	if rec := tc.do("GET", "/api/v1/projects", nil, map[string]string{"Authorization": "Bearer x"}); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("after bad tokens: status %d, want 429", rec.Code)
	}
}

func TestCSRFRefusesCrossOriginPosts(t *testing.T) {
	f := newFixture(t, nil)
	f.addUser("adam", RoleAdmin)
	c := f.client("192.0.2.10")
	c.mustSignIn("adam")
	cases := []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"same-origin fetch", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusOK},
		{"non-browser client", nil, http.StatusOK},
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-site but another origin", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"foreign Origin, old browser", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := c.do("POST", "/admin/sync", url.Values{}, tc.hdr)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d", rec.Code, tc.want)
			}
			if rec.Header().Get("Content-Security-Policy") == "" {
				t.Error("refusals must carry the security headers too")
			}
		})
	}
	// A cross-site form cannot sign someone in either (login CSRF).
	if rec := f.client("192.0.2.11").do("POST", SignInPath, url.Values{"username": {"adam"}, "password": {testPassword}},
		map[string]string{"Sec-Fetch-Site": "cross-site"}); rec.Code != http.StatusForbidden {
		t.Fatalf("cross-site sign-in: %d, want 403", rec.Code)
	}
	if f.audit.count(EventCSRFRefused) != 4 {
		t.Errorf("csrf audit events: %d, want 4 (3 cross-origin posts and the sign-in)", f.audit.count(EventCSRFRefused))
	}
	// Safe methods are never refused, so links from other sites still open pages.
	if rec := c.do("GET", "/", nil, map[string]string{"Sec-Fetch-Site": "cross-site"}); rec.Code != http.StatusOK {
		t.Fatalf("cross-site GET: %d", rec.Code)
	}
}

func TestSecurityHeaders(t *testing.T) {
	want := map[string]string{
		"Content-Security-Policy": DefaultContentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
		"X-Frame-Options":         "DENY",
	}
	f := newFixture(t, nil)
	f.addUser("vera", RoleViewer)
	c := f.client("192.0.2.20")
	for _, path := range []string{"/", SignInPath, "/api/v1/projects", "/healthz"} {
		rec := c.do("GET", path, nil, nil)
		for k, v := range want {
			if got := rec.Header().Get(k); got != v {
				t.Errorf("GET %s: %s = %q, want %q", path, k, got, v)
			}
		}
		if rec.Header().Get("Strict-Transport-Security") != "" {
			t.Errorf("GET %s over plain HTTP must not send HSTS", path)
		}
	}
	if !strings.Contains(DefaultContentSecurityPolicy, "frame-ancestors 'none'") || !strings.Contains(DefaultContentSecurityPolicy, "default-src 'self'") {
		t.Error("CSP must limit sources to self and forbid framing")
	}
	// Over TLS: HSTS, and the session cookie is Secure with the __Host- prefix.
	req := httptest.NewRequest("POST", "https://pmlens.test"+SignInPath, strings.NewReader(url.Values{"username": {"vera"}, "password": {testPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.TLS = &tls.ConnectionState{}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("TLS sign-in: %d", rec.Code)
	}
	if hsts := rec.Header().Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=31536000") {
		t.Errorf("HSTS under TLS = %q", hsts)
	}
	cks := rec.Result().Cookies()
	if len(cks) != 1 || cks[0].Name != "__Host-pmlens_session" || !cks[0].Secure || !cks[0].HttpOnly || cks[0].SameSite != http.SameSiteLaxMode || cks[0].Path != "/" || cks[0].Domain != "" {
		t.Errorf("session cookie under TLS: %+v", cks)
	}
}

func TestSessionTimeouts(t *testing.T) {
	f := newFixture(t, func(c *configs.AuthConfig) {
		c.Session.IdleTimeout = 15 * time.Minute
		c.Session.AbsoluteTimeout = time.Hour
	})
	f.addUser("vera", RoleViewer)
	idle := f.cfg.Session.IdleTimeout

	t.Run("idle", func(t *testing.T) {
		c := f.client("192.0.2.30")
		c.mustSignIn("vera")
		f.clock.Advance(idle - time.Second)
		if rec := c.do("GET", "/", nil, nil); rec.Code != http.StatusOK {
			t.Fatalf("just under the idle timeout: %d", rec.Code)
		}
		// Use restarted the idle clock: another almost-idle stretch still works.
		f.clock.Advance(idle - time.Second)
		if rec := c.do("GET", "/", nil, nil); rec.Code != http.StatusOK {
			t.Fatalf("activity must extend the idle timeout: %d", rec.Code)
		}
		// Background polling does not count as use.
		f.clock.Advance(idle - time.Second)
		if rec := c.do("GET", "/api/v1/projects", nil, map[string]string{BackgroundHeader: "1"}); rec.Code != http.StatusOK {
			t.Fatalf("background request within the idle timeout: %d", rec.Code)
		}
		f.clock.Advance(time.Second)
		if rec := c.do("GET", "/", nil, nil); rec.Code != http.StatusFound {
			t.Fatalf("after the idle timeout: %d, want a redirect to sign in", rec.Code)
		}
	})
	t.Run("absolute", func(t *testing.T) {
		c := f.client("192.0.2.31")
		c.mustSignIn("vera")
		// Activity every 10 minutes never idles out, yet the session ends one hour
		// after sign-in: requests at 10..50 minutes pass, the one at 60 does not.
		for i := 1; i <= 6; i++ {
			f.clock.Advance(10 * time.Minute)
			rec := c.do("GET", "/", nil, nil)
			wantOK := time.Duration(i)*10*time.Minute < f.cfg.Session.AbsoluteTimeout
			if (rec.Code == http.StatusOK) != wantOK {
				t.Fatalf("at %d minutes: status %d", i*10, rec.Code)
			}
		}
		if f.audit.count(EventSessionEnded) < 2 {
			t.Errorf("expired sessions should be audited: %+v", f.audit.all())
		}
	})
}

func TestSessionRotationAndSignOut(t *testing.T) {
	f := newFixture(t, nil)
	f.addUser("vera", RoleViewer)
	f.addUser("adam", RoleAdmin)
	c := f.client("192.0.2.40")
	c.mustSignIn("vera")
	first := c.cookies["pmlens_session"].Value
	c.mustSignIn("adam")
	second := c.cookies["pmlens_session"].Value
	if first == second {
		t.Fatal("signing in again must issue a new session id")
	}
	// The old id is dead (an attacker who planted or saw it gains nothing).
	old := f.client("192.0.2.41")
	old.cookies["pmlens_session"] = &http.Cookie{Name: "pmlens_session", Value: first}
	if rec := old.do("GET", "/", nil, nil); rec.Code != http.StatusFound {
		t.Fatalf("old session id after re-sign-in: %d", rec.Code)
	}
	if rec := c.do("POST", SignOutPath, url.Values{}, map[string]string{"Sec-Fetch-Site": "same-origin"}); rec.Code != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", rec.Code)
	}
	replay := f.client("192.0.2.42")
	replay.cookies["pmlens_session"] = &http.Cookie{Name: "pmlens_session", Value: second}
	if rec := replay.do("GET", "/", nil, nil); rec.Code != http.StatusFound {
		t.Fatalf("session id after sign-out: %d", rec.Code)
	}
	if f.audit.count(EventSignOut) != 1 || f.audit.count(EventSignIn) != 2 {
		t.Errorf("audit: %+v", f.audit.all())
	}
}

// TestChangesFromAnotherProcess edits the users file through a second store, as
// `pmlens users` does while the server runs.
func TestChangesFromAnotherProcess(t *testing.T) {
	f := newFixture(t, nil)
	f.addUser("vera", RoleViewer)
	f.addUser("anna", RoleAnalyst)
	cli := OpenUserStore(f.cfg.UsersFile, cheapHash, nil, nil)
	ctx := context.Background()

	v := f.client("192.0.2.50")
	v.mustSignIn("vera")
	tok, _, err := cli.CreateToken(ctx, "vera", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	bearer := map[string]string{"Authorization": "Bearer " + tok}
	if rec := v.do("GET", "/api/v1/projects", nil, bearer); rec.Code != http.StatusOK {
		t.Fatalf("fresh token: %d", rec.Code)
	}
	if err := cli.SetDisabled(ctx, "vera", true); err != nil {
		t.Fatal(err)
	}
	if rec := v.do("GET", "/", nil, nil); rec.Code != http.StatusFound {
		t.Fatalf("session of a disabled user: %d", rec.Code)
	}
	if rec := f.client("192.0.2.51").do("GET", "/api/v1/projects", nil, bearer); rec.Code != http.StatusUnauthorized {
		t.Fatalf("token of a disabled user: %d", rec.Code)
	}
	if rec := v.signIn("vera", testPassword); rec.Code != http.StatusUnauthorized {
		t.Fatalf("sign-in of a disabled user: %d", rec.Code)
	}

	a := f.client("192.0.2.52")
	a.mustSignIn("anna")
	if err := cli.SetGrant(ctx, "anna", Grant{Role: RoleViewer, Portfolios: []string{"Clinical"}}); err != nil {
		t.Fatal(err)
	}
	if rec := a.do("GET", "/", nil, nil); rec.Code != http.StatusFound {
		t.Fatalf("session after a grant change: %d, want a new sign-in", rec.Code)
	}
	a.mustSignIn("anna")
	if rec := a.do("GET", "/workbench", nil, nil); rec.Code != http.StatusForbidden {
		t.Fatalf("downgraded analyst on the workbench: %d", rec.Code)
	}
	if err := cli.SetPassword(ctx, "anna", "another long passphrase"); err != nil {
		t.Fatal(err)
	}
	if rec := a.do("GET", "/", nil, nil); rec.Code != http.StatusFound {
		t.Fatalf("session after a password change: %d", rec.Code)
	}
}

func TestAPITokens(t *testing.T) {
	f := newFixture(t, nil)
	f.addUser("anna", RoleAnalyst)
	ctx := context.Background()
	tok, rec, err := f.svc.Users().CreateToken(ctx, "anna", "nightly export", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(f.cfg.UsersFile)
	if err != nil {
		t.Fatal(err)
	}
	_, secret, _ := parseToken(tok)
	for _, s := range []string{tok, secret, secret[:16]} {
		if strings.Contains(string(data), s) {
			t.Fatalf("users file holds the token (or part of its secret) in clear")
		}
	}
	if !strings.Contains(string(data), hashSecret(secret)) || !strings.Contains(string(data), rec.ID) {
		t.Fatal("users file should hold the token's id and hash")
	}
	if strings.Contains(string(data), testPassword) {
		t.Fatal("users file holds a password in clear")
	}
	if fi, _ := os.Stat(f.cfg.UsersFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("users file mode %v, want 0600", fi.Mode().Perm())
	}

	c := f.client("192.0.2.60")
	get := func(token string) int {
		return c.do("GET", "/api/v1/projects", nil, map[string]string{"Authorization": "Bearer " + token}).Code
	}
	if got := get(tok); got != http.StatusOK {
		t.Fatalf("valid token: %d", got)
	}
	// One character changed in the secret.
	bad := tok[:len(tok)-1] + string("AB"[strings.IndexByte("AB", tok[len(tok)-1])+1&1])
	if got := get(bad); got != http.StatusUnauthorized {
		t.Fatalf("altered token: %d", got)
	}
	if got := c.do("GET", "/api/v1/projects", nil, map[string]string{"Authorization": "Basic " + tok}).Code; got != http.StatusUnauthorized {
		t.Fatalf("wrong scheme: %d", got)
	}
	f.clock.Advance(24 * time.Hour)
	if got := get(tok); got != http.StatusUnauthorized {
		t.Fatalf("expired token: %d", got)
	}
	tok2, rec2, _ := f.svc.Users().CreateToken(ctx, "anna", "", 0)
	if got := get(tok2); got != http.StatusOK {
		t.Fatalf("second token: %d", got)
	}
	if err := f.svc.Users().RevokeToken(ctx, "anna", rec2.ID); err != nil {
		t.Fatal(err)
	}
	if got := get(tok2); got != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d", got)
	}
	if f.audit.count(EventTokenUsed) != 2 || f.audit.count(EventTokenRefused) < 3 {
		t.Errorf("audit: %+v", f.audit.all())
	}
	for _, e := range f.audit.all() {
		if strings.Contains(e.detail, secret) || strings.Contains(e.detail, tok2) {
			t.Fatal("an audit event holds a token")
		}
	}
}

func TestAnonymousWhenDisabled(t *testing.T) {
	off := false
	f := newFixture(t, func(c *configs.AuthConfig) { c.Enabled = &off })
	rec := f.client("127.0.0.1").do("GET", "/admin/audit", nil, nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "anonymous admin") {
		t.Fatalf("with sign-in off: %d %q", rec.Code, rec.Body.String())
	}
	// Cross-origin POSTs stay refused even without sign-in.
	if rec := f.client("127.0.0.1").do("POST", "/admin/sync", url.Values{}, map[string]string{"Sec-Fetch-Site": "cross-site"}); rec.Code != http.StatusForbidden {
		t.Fatalf("cross-site POST with sign-in off: %d", rec.Code)
	}
}

func TestAdminAPI(t *testing.T) {
	f := newFixture(t, nil)
	f.addUser("adam", RoleAdmin)
	f.addUser("vera", RoleViewer)
	c := f.client("192.0.2.70")
	c.mustSignIn("adam")
	v := f.client("192.0.2.71")
	v.mustSignIn("vera")
	jsonReq := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "http://pmlens.test"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.RemoteAddr = "192.0.2.70:1"
		for _, ck := range c.cookies {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		return rec
	}
	if rec := jsonReq("POST", AdminAPIPath, `{"name":"sam","role":"analyst","portfolios":["Clinical"],"password":"a long enough pass"}`); rec.Code != http.StatusCreated {
		t.Fatalf("add: %d %s", rec.Code, rec.Body)
	}
	if rec := jsonReq("POST", AdminAPIPath, `{"name":"short","role":"viewer","password":"short"}`); rec.Code != http.StatusBadRequest {
		t.Fatalf("weak password: %d", rec.Code)
	}
	rec := jsonReq("POST", AdminAPIPath+"/sam/tokens", `{"label":"etl","ttl":"720h"}`)
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), tokenPrefix) {
		t.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	list := jsonReq("GET", AdminAPIPath, "").Body.String()
	if !strings.Contains(list, `"sam"`) || strings.Contains(list, "argon2id") || strings.Contains(list, "sha256:") {
		t.Fatalf("list must name users and hide hashes: %s", list)
	}
	if rec := jsonReq("POST", AdminAPIPath+"/vera/disable", ""); rec.Code != http.StatusNoContent {
		t.Fatalf("disable: %d", rec.Code)
	}
	if rec := v.do("GET", "/", nil, nil); rec.Code != http.StatusFound {
		t.Fatalf("disabled viewer's session: %d", rec.Code)
	}
	if rec := jsonReq("POST", AdminAPIPath+"/nobody/disable", ""); rec.Code != http.StatusNotFound {
		t.Fatalf("unknown user: %d", rec.Code)
	}
	if f.audit.count(EventUserAdded) != 1 || f.audit.count(EventUserDisabled) != 1 || f.audit.count(EventTokenCreated) != 1 {
		t.Errorf("audit: %+v", f.audit.all())
	}
}

func TestClientIPTrustedProxies(t *testing.T) {
	f := newFixture(t, func(c *configs.AuthConfig) { c.TrustedProxies = []string{"10.0.0.0/8"} })
	cases := []struct{ remote, xff, want string }{
		{"192.0.2.1:1", "203.0.113.9", "192.0.2.1"},                // untrusted peer: header ignored
		{"10.0.0.5:1", "203.0.113.9", "203.0.113.9"},               // trusted proxy
		{"10.0.0.5:1", "198.51.100.7, 203.0.113.9", "203.0.113.9"}, // right-most untrusted hop, not the spoofable left one
		{"10.0.0.5:1", "203.0.113.9, 10.1.1.1", "203.0.113.9"},     // two proxies
		{"10.0.0.5:1", "", "10.0.0.5"},
	}
	for _, tc := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := f.svc.ClientIP(r); got != tc.want {
			t.Errorf("remote %s XFF %q: %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
}

func TestCheckListen(t *testing.T) {
	off := false
	disabled := configs.DefaultAuthConfig()
	disabled.Enabled = &off
	plain := configs.DefaultAuthConfig()
	tlsOn := configs.DefaultAuthConfig()
	tlsOn.TLS = configs.TLSFilesConfig{CertFile: "c.pem", KeyFile: "k.pem"}
	proxied := configs.DefaultAuthConfig()
	proxied.ExternalURL = "https://pmlens.example.org"
	cases := []struct {
		addr string
		cfg  configs.AuthConfig
		ok   bool
	}{
		{"127.0.0.1:8080", disabled, true},
		{"[::1]:8080", disabled, true},
		{"localhost:8080", disabled, true},
		{"0.0.0.0:8080", disabled, false},
		{":8080", disabled, false},
		{"10.1.2.3:8080", disabled, false},
		{"127.0.0.1:8080", plain, true},
		{"0.0.0.0:8080", plain, false}, // sign-in on, but passwords would cross the network in clear
		{"0.0.0.0:8443", tlsOn, true},
		{"10.1.2.3:8080", proxied, true},
		{"no-port", plain, false},
	}
	for _, tc := range cases {
		if err := CheckListen(tc.addr, tc.cfg); (err == nil) != tc.ok {
			t.Errorf("CheckListen(%q, enabled=%v tls=%v) = %v", tc.addr, tc.cfg.IsEnabled(), tc.cfg.SecureTransport(), err)
		}
	}
}

func TestSafeNext(t *testing.T) {
	cases := map[string]string{
		"":                      "/",
		"/project/p1?x=1":       "/project/p1?x=1",
		"//evil.example/":       "/",
		"/\\evil.example":       "/",
		"https://evil.example/": "/",
		"javascript:alert(1)":   "/",
		"/signin?next=/x":       "/",
		"/ok\r\nSet-Cookie: a":  "/",
	}
	for in, want := range cases {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
