package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/pmlens/pmlens/configs"
)

// testIdP is a small OpenID provider: discovery document, JWKS, and a token
// endpoint that checks PKCE and answers with an RS256-signed ID token.
type testIdP struct {
	t     *testing.T
	srv   *httptest.Server
	key   *rsa.PrivateKey // published in the JWKS
	clock *fakeClock

	mu    sync.Mutex
	codes map[string]grantReq
	// tokenFor builds the ID token claims of a code; tests replace it.
	claims func(g grantReq) map[string]any
	// signWith signs ID tokens; the published key unless a test swaps it.
	signWith *rsa.PrivateKey
}

type grantReq struct{ challenge, nonce string }

const idpKeyID = "test-key-1"

func newTestIdP(t *testing.T, clock *fakeClock) *testIdP {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	idp := &testIdP{t: t, key: key, signWith: key, clock: clock, codes: map[string]grantReq{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"issuer":                                idp.srv.URL,
			"authorization_endpoint":                idp.srv.URL + "/authorize",
			"token_endpoint":                        idp.srv.URL + "/token",
			"jwks_uri":                              idp.srv.URL + "/jwks",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"code_challenge_methods_supported":      []string{"S256"},
		})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: idpKeyID, Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("/token", idp.token)
	idp.srv = httptest.NewServer(mux)
	t.Cleanup(idp.srv.Close)
	return idp
}

// authorize plays the provider's login page: it checks the authorization request
// and returns the callback URL the browser would be sent to.
func (idp *testIdP) authorize(loginURL string) string {
	idp.t.Helper()
	u, err := url.Parse(loginURL)
	if err != nil || !strings.HasPrefix(loginURL, idp.srv.URL+"/authorize") {
		idp.t.Fatalf("login redirect %q does not go to the provider", loginURL)
	}
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		idp.t.Fatalf("authorization request without PKCE S256: %s", u.RawQuery)
	}
	if q.Get("state") == "" || q.Get("nonce") == "" || q.Get("response_type") != "code" || !strings.Contains(q.Get("scope"), "openid") {
		idp.t.Fatalf("authorization request lacks state, nonce, code flow or openid: %s", u.RawQuery)
	}
	code := hex.EncodeToString(sha256.New().Sum([]byte(q.Get("state"))))[:32]
	idp.mu.Lock()
	idp.codes[code] = grantReq{challenge: q.Get("code_challenge"), nonce: q.Get("nonce")}
	idp.mu.Unlock()
	return q.Get("redirect_uri") + "?" + url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
}

func (idp *testIdP) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "authorization_code" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	idp.mu.Lock()
	g, ok := idp.codes[r.Form.Get("code")]
	delete(idp.codes, r.Form.Get("code"))
	idp.mu.Unlock()
	sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
	if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	claims, _ := json.Marshal(idp.claims(g))
	idToken := oidctest.SignIDToken(idp.signWith, idpKeyID, "RS256", string(claims))
	writeJSON(w, http.StatusOK, map[string]any{"access_token": "opaque", "token_type": "Bearer", "expires_in": 3600, "id_token": idToken})
}

// baseClaims are valid claims for the pmlens client, issued now by the fake clock.
func (idp *testIdP) baseClaims(g grantReq, sub string) map[string]any {
	now := idp.clock.Now()
	return map[string]any{
		"iss": idp.srv.URL, "aud": "pmlens", "sub": sub, "nonce": g.nonce,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"preferred_username": sub + "@hospital.example",
	}
}

func newSSOFixture(t *testing.T) (*fixture, *testIdP) {
	clock := newClock()
	idp := newTestIdP(t, clock)
	f := newFixtureWithClock(t, clock, func(c *configs.AuthConfig) {
		c.OIDC = configs.OIDCConfig{
			Issuer: idp.srv.URL, ClientID: "pmlens", RedirectURL: "http://pmlens.test/auth/oidc/callback",
			Scopes: []string{"openid", "profile", "email"}, UsernameClaim: "preferred_username",
			GroupsClaims: []string{"groups", "roles", "realm_access.roles"}, Label: "Hospital SSO",
			Groups: []configs.GroupGrantSpec{
				{Group: "pmo-analysts", Role: "analyst", Portfolios: []string{"Clinical"}},
				{Group: "pmo-viewers", Role: "viewer", Programs: []string{"EHR"}},
				{Group: "pmo-admins", Role: "admin"},
			},
		}
	}, idp.srv.Client())
	return f, idp
}

// ssoSignIn runs the browser's part of the flow and returns the callback's answer.
func ssoSignIn(t *testing.T, c *client, idp *testIdP, next string) *httptest.ResponseRecorder {
	t.Helper()
	rec := c.do("GET", oidcLoginPath+"?next="+url.QueryEscape(next), nil, nil)
	if rec.Code != http.StatusFound {
		t.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	cb, _ := url.Parse(idp.authorize(rec.Header().Get("Location")))
	return c.do("GET", cb.RequestURI(), nil, map[string]string{"Sec-Fetch-Site": "cross-site"})
}

func TestOIDCSignIn(t *testing.T) {
	f, idp := newSSOFixture(t)
	cases := []struct {
		name      string
		claims    func(g grantReq) map[string]any
		badKey    bool
		want      int
		wantRole  Role
		wantScope string
	}{
		{"analyst by groups", func(g grantReq) map[string]any {
			c := idp.baseClaims(g, "ana")
			c["groups"] = []string{"pmo-analysts", "unrelated"}
			return c
		}, false, http.StatusFound, RoleAnalyst, "Clinical"},
		{"two groups: highest role, union of scopes", func(g grantReq) map[string]any {
			c := idp.baseClaims(g, "two")
			c["groups"] = []string{"pmo-viewers", "pmo-analysts"}
			return c
		}, false, http.StatusFound, RoleAnalyst, "Clinical+EHR"},
		{"admin by Keycloak realm roles", func(g grantReq) map[string]any {
			c := idp.baseClaims(g, "kc")
			c["realm_access"] = map[string]any{"roles": []string{"pmo-admins"}}
			return c
		}, false, http.StatusFound, RoleAdmin, "all"},
		{"viewer by Entra app roles", func(g grantReq) map[string]any {
			c := idp.baseClaims(g, "entra")
			c["roles"] = []string{"pmo-viewers"}
			return c
		}, false, http.StatusFound, RoleViewer, "EHR"},
		{"bad signature", func(g grantReq) map[string]any {
			c := idp.baseClaims(g, "mallory")
			c["groups"] = []string{"pmo-admins"}
			return c
		}, true, http.StatusUnauthorized, RoleNone, ""},
		{"expired token", func(g grantReq) map[string]any {
			c := idp.baseClaims(g, "late")
			c["groups"] = []string{"pmo-admins"}
			c["iat"] = idp.clock.Now().Add(-2 * time.Hour).Unix()
			c["exp"] = idp.clock.Now().Add(-time.Hour).Unix()
			return c
		}, false, http.StatusUnauthorized, RoleNone, ""},
		{"wrong nonce", func(g grantReq) map[string]any {
			c := idp.baseClaims(g, "replay")
			c["groups"] = []string{"pmo-admins"}
			c["nonce"] = "another-sign-in"
			return c
		}, false, http.StatusUnauthorized, RoleNone, ""},
		{"another issuer", func(g grantReq) map[string]any {
			c := idp.baseClaims(g, "iss")
			c["groups"] = []string{"pmo-admins"}
			c["iss"] = "https://evil.example"
			return c
		}, false, http.StatusUnauthorized, RoleNone, ""},
		{"wrong audience", func(g grantReq) map[string]any {
			c := idp.baseClaims(g, "aud")
			c["groups"] = []string{"pmo-admins"}
			c["aud"] = "another-app"
			return c
		}, false, http.StatusUnauthorized, RoleNone, ""},
		{"no mapped group", func(g grantReq) map[string]any {
			c := idp.baseClaims(g, "nurse")
			c["groups"] = []string{"ward-7"}
			return c
		}, false, http.StatusForbidden, RoleNone, ""},
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			idp.claims = tc.claims
			idp.signWith = idp.key
			if tc.badKey {
				idp.signWith = other // same key id, different key: the signature cannot verify
			}
			c := f.client("192.0.2.80")
			rec := ssoSignIn(t, c, idp, "/project/p1")
			if rec.Code != tc.want {
				t.Fatalf("callback: %d, want %d (%s)", rec.Code, tc.want, rec.Body)
			}
			_, hasSession := c.cookies["pmlens_session"]
			if tc.want != http.StatusFound {
				if hasSession {
					t.Fatal("a refused sign-in must not open a session")
				}
				if rec := c.do("GET", "/", nil, nil); rec.Code != http.StatusFound {
					t.Fatalf("after a refused sign-in: %d", rec.Code)
				}
				return
			}
			if loc := rec.Header().Get("Location"); loc != "/project/p1" || !hasSession {
				t.Fatalf("redirect %q, session %v", loc, hasSession)
			}
			// The session's principal is what the route handlers get.
			body := c.do("GET", "/", nil, nil).Body.String()
			if !strings.Contains(body, tc.wantRole.String()) {
				t.Fatalf("principal %q, want role %s", body, tc.wantRole)
			}
			for _, r := range testRoutes {
				var form url.Values
				if r.method == "POST" {
					form = url.Values{}
				}
				got := c.do(r.method, r.path, form, nil).Code
				if want := expectFor(r.method, r.path, tc.wantRole, r.need); got != want {
					t.Errorf("%s %s: %d, want %d", r.method, r.path, got, want)
				}
			}
			p := principalOf(t, f, c)
			if scope := scopeString(p); scope != tc.wantScope {
				t.Errorf("scope %q, want %q", scope, tc.wantScope)
			}
		})
	}
	if n := f.audit.count(EventSignInFailed); n != 6 {
		t.Errorf("failed SSO sign-ins audited: %d, want 6", n)
	}
}

func TestOIDCStateChecks(t *testing.T) {
	f, idp := newSSOFixture(t)
	idp.claims = func(g grantReq) map[string]any {
		c := idp.baseClaims(g, "ana")
		c["groups"] = []string{"pmo-admins"}
		return c
	}
	// Started in one browser, finished in another (login CSRF): no state cookie.
	a, b := f.client("192.0.2.90"), f.client("192.0.2.91")
	rec := a.do("GET", oidcLoginPath, nil, nil)
	cb, _ := url.Parse(idp.authorize(rec.Header().Get("Location")))
	if rec := b.do("GET", cb.RequestURI(), nil, nil); rec.Code != http.StatusBadRequest {
		t.Fatalf("callback in another browser: %d, want 400", rec.Code)
	}
	// The browser that started it finishes; replaying the same callback fails
	// because a state is good for one use.
	if rec := a.do("GET", cb.RequestURI(), nil, nil); rec.Code != http.StatusFound {
		t.Fatalf("callback in the starting browser: %d, want 302", rec.Code)
	}
	a.cookies[stateCookie] = &http.Cookie{Name: stateCookie, Value: cb.Query().Get("state")}
	if rec := a.do("GET", cb.RequestURI(), nil, nil); rec.Code != http.StatusBadRequest {
		t.Fatalf("replayed state: %d, want 400", rec.Code)
	}
	// A sign-in left at the provider for too long expires.
	rec = a.do("GET", oidcLoginPath, nil, nil)
	cb, _ = url.Parse(idp.authorize(rec.Header().Get("Location")))
	f.clock.Advance(loginTTL)
	if rec := a.do("GET", cb.RequestURI(), nil, nil); rec.Code != http.StatusBadRequest {
		t.Fatalf("expired sign-in: %d, want 400", rec.Code)
	}
	// The provider's own refusal is shown, not followed.
	if rec := a.do("GET", oidcCallback+"?error=access_denied&state=x", nil, nil); rec.Code != http.StatusUnauthorized {
		t.Fatalf("provider error: %d", rec.Code)
	}
}

func TestOIDCUsersFileRecords(t *testing.T) {
	f, idp := newSSOFixture(t)
	ctx := t.Context()
	users := f.svc.Users()
	if err := users.AddUser(ctx, "ana@hospital.example", KindSSO, "", Grant{Role: RoleViewer, Programs: []string{"PACS"}}); err != nil {
		t.Fatal(err)
	}
	idp.claims = func(g grantReq) map[string]any {
		c := idp.baseClaims(g, "ana")
		c["groups"] = []string{"pmo-admins"}
		return c
	}
	c := f.client("192.0.2.95")
	if rec := ssoSignIn(t, c, idp, "/"); rec.Code != http.StatusFound {
		t.Fatalf("sign-in: %d", rec.Code)
	}
	// The per-user record overrides the group mapping.
	if p := principalOf(t, f, c); p.Role != RoleViewer || scopeString(p) != "PACS" {
		t.Fatalf("principal %+v, want the users-file grant", p)
	}
	if err := users.SetDisabled(ctx, "ana@hospital.example", true); err != nil {
		t.Fatal(err)
	}
	if rec := c.do("GET", "/", nil, nil); rec.Code != http.StatusFound {
		t.Fatalf("session of a disabled SSO user: %d", rec.Code)
	}
	if rec := ssoSignIn(t, c, idp, "/"); rec.Code != http.StatusForbidden {
		t.Fatalf("sign-in of a disabled SSO user: %d", rec.Code)
	}
	// A provider name that collides with a local user is refused, not merged.
	if err := users.AddUser(ctx, "bob@hospital.example", KindLocal, testPassword, Grant{Role: RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	idp.claims = func(g grantReq) map[string]any {
		c := idp.baseClaims(g, "bob")
		c["groups"] = []string{"pmo-viewers"}
		return c
	}
	if rec := ssoSignIn(t, f.client("192.0.2.96"), idp, "/"); rec.Code != http.StatusForbidden {
		t.Fatalf("SSO name of a local user: %d", rec.Code)
	}
}

// principalOf reads the principal a client's session yields.
func principalOf(t *testing.T, f *fixture, c *client) *Principal {
	t.Helper()
	var got *Principal
	h := f.svc.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got, _ = FromContext(r.Context()) }))
	req := httptest.NewRequest("GET", "http://pmlens.test/", nil)
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	h.ServeHTTP(httptest.NewRecorder(), req)
	if got == nil {
		t.Fatal("no principal")
	}
	return got
}

func scopeString(p *Principal) string {
	if p.AllScopes {
		return "all"
	}
	return strings.Join(append(append([]string{}, p.Portfolios...), p.Programs...), "+")
}
