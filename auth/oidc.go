package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/pmlens/pmlens/configs"
)

// oidcClient runs the authorization-code flow with PKCE, state and nonce against
// one OpenID Connect provider, through github.com/coreos/go-oidc (discovery, JWKS,
// ID token signature and claim checks) and golang.org/x/oauth2 (code exchange).
type oidcClient struct {
	cfg    configs.OIDCConfig
	http   *http.Client
	now    func() time.Time
	log    *slog.Logger
	secret string

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
	pending  map[string]pendingLogin // by SHA-256 of state
}

// pendingLogin is a sign-in sent to the provider and not yet back.
type pendingLogin struct {
	nonce    string
	verifier string // PKCE code verifier
	next     string
	created  time.Time
}

const (
	loginTTL    = 10 * time.Minute
	maxPending  = 10000
	stateCookie = "pmlens_sso_state"
)

func newOIDCClient(cfg configs.OIDCConfig, client *http.Client, now func() time.Time, log *slog.Logger) (*oidcClient, error) {
	secret, err := cfg.ClientSecret()
	if err != nil {
		return nil, err
	}
	if (cfg.ClientSecretEnv != "" || cfg.ClientSecretFile != "") && secret == "" {
		return nil, errors.New("auth.oidc: the configured client secret is empty")
	}
	return &oidcClient{cfg: cfg, http: client, now: now, log: log, secret: secret, pending: map[string]pendingLogin{}}, nil
}

// ensure discovers the provider on first use, so pmlens starts while the provider
// is unreachable and single sign-on works as soon as it answers.
func (o *oidcClient) ensure(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.oauth != nil {
		return o.oauth, o.verifier, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, o.http), o.cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("discovering OIDC provider %s: %w", o.cfg.Issuer, err)
	}
	// Key fetches outlive the request that triggered discovery.
	keyCtx := oidc.ClientContext(context.Background(), o.http)
	o.verifier = p.VerifierContext(keyCtx, &oidc.Config{ClientID: o.cfg.ClientID, Now: o.now})
	o.oauth = &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.secret, Endpoint: p.Endpoint(),
		RedirectURL: o.cfg.RedirectURL, Scopes: o.cfg.Scopes}
	return o.oauth, o.verifier, nil
}

func (o *oidcClient) addPending(state string, pl pendingLogin) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.pending) >= maxPending {
		for k, v := range o.pending {
			if o.now().Sub(v.created) >= loginTTL {
				delete(o.pending, k)
			}
		}
		if len(o.pending) >= maxPending {
			// A flood of abandoned sign-ins: drop them all rather than grow.
			clear(o.pending)
		}
	}
	o.pending[stateKey(state)] = pl
}

func (o *oidcClient) takePending(state string) (pendingLogin, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := stateKey(state)
	pl, ok := o.pending[k]
	delete(o.pending, k)
	if !ok || o.now().Sub(pl.created) >= loginTTL {
		return pendingLogin{}, false
	}
	return pl, true
}

func stateKey(state string) string {
	sum := sha256.Sum256([]byte(state))
	return hex.EncodeToString(sum[:])
}

func randomString() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *Service) stateCookieName(r *http.Request) string {
	if s.secureRequest(r) {
		return "__Host-" + stateCookie
	}
	return stateCookie
}

// oidcLogin sends the browser to the provider.
func (s *Service) oidcLogin(c *gin.Context) {
	r := c.Request
	if s.oidc == nil || !s.enabled {
		renderMessage(c.Writer, http.StatusNotFound, "Single sign-on is not configured", "Sign in with your pmlens user name and password instead.", SignInPath)
		return
	}
	oc, _, err := s.oidc.ensure(r.Context())
	if err != nil {
		s.log.Error("single sign-on unavailable", "err", err)
		renderMessage(c.Writer, http.StatusServiceUnavailable, "Single sign-on unavailable", "The identity provider did not answer. Try again in a minute; the server log has the details.", SignInPath)
		return
	}
	state, err1 := randomString()
	nonce, err2 := randomString()
	if err := errors.Join(err1, err2); err != nil {
		s.log.Error("reading random bytes", "err", err)
		renderMessage(c.Writer, http.StatusInternalServerError, "Sign-in failed", "The server could not start single sign-on.", SignInPath)
		return
	}
	verifier := oauth2.GenerateVerifier()
	s.oidc.addPending(state, pendingLogin{nonce: nonce, verifier: verifier, next: safeNext(c.Query("next")), created: s.now()})
	// SameSite=Lax: the provider's redirect back is a top-level cross-site GET,
	// which Lax cookies accompany and Strict ones would not.
	http.SetCookie(c.Writer, &http.Cookie{Name: s.stateCookieName(r), Value: state, Path: "/", MaxAge: int(loginTTL / time.Second),
		HttpOnly: true, Secure: s.secureRequest(r), SameSite: http.SameSiteLaxMode})
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, oc.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)))
}

// oidcCallback finishes a sign-in: it checks state against the browser's cookie,
// exchanges the code with the PKCE verifier, verifies the ID token (signature,
// issuer, audience, expiry) and its nonce, maps claims to a role and opens a new
// session.
func (s *Service) oidcCallback(c *gin.Context) {
	r := c.Request
	ip := s.clientIP(r)
	fail := func(status int, user, why, msg string) {
		s.auditReq(r, EventSignInFailed, user, "sso: "+why+"; client "+ip)
		if s.ipFail.fail(ipKey(ip)) {
			s.auditReq(r, EventLockout, "", "client "+ip+" locked out after repeated failures")
		}
		renderMessage(c.Writer, status, "Sign-in failed", msg, SignInPath)
	}
	if s.oidc == nil || !s.enabled {
		renderMessage(c.Writer, http.StatusNotFound, "Single sign-on is not configured", "Sign in with your pmlens user name and password instead.", SignInPath)
		return
	}
	if until, locked := s.ipFail.locked(ipKey(ip)); locked {
		s.auditReq(r, EventSignInLocked, "", "sso; client "+ip+" is locked out")
		renderMessage(c.Writer, http.StatusTooManyRequests, "Sign-in refused", "Too many failed sign-ins from your address. Try again after "+until.Local().Format("15:04")+".", SignInPath)
		return
	}
	q := r.URL.Query()
	ck, cerr := r.Cookie(s.stateCookieName(r))
	http.SetCookie(c.Writer, &http.Cookie{Name: s.stateCookieName(r), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secureRequest(r), SameSite: http.SameSiteLaxMode})
	if e := q.Get("error"); e != "" {
		fail(http.StatusUnauthorized, "", "provider answered "+clip(e, 64)+": "+clip(q.Get("error_description"), 200),
			"The identity provider did not sign you in ("+clip(e, 64)+").")
		return
	}
	state := q.Get("state")
	if state == "" || cerr != nil || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(state)) != 1 {
		fail(http.StatusBadRequest, "", "state missing or not this browser's", "This sign-in was not started in this browser, or it took too long. Start again.")
		return
	}
	pl, ok := s.oidc.takePending(state)
	if !ok {
		fail(http.StatusBadRequest, "", "unknown or expired state", "This sign-in took too long or was already used. Start again.")
		return
	}
	oc, verifier, err := s.oidc.ensure(r.Context())
	if err != nil {
		s.log.Error("single sign-on unavailable", "err", err)
		renderMessage(c.Writer, http.StatusServiceUnavailable, "Single sign-on unavailable", "The identity provider did not answer. Try again in a minute.", SignInPath)
		return
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(r.Context(), s.oidc.http), 30*time.Second)
	defer cancel()
	tok, err := oc.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pl.verifier))
	if err != nil {
		// Log the provider's error code only: the raw response is not ours to log.
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			s.log.Warn("OIDC code exchange refused by the provider", "status", re.Response.StatusCode, "error", clip(re.ErrorCode, 64), "description", clip(re.ErrorDescription, 200))
		} else {
			s.log.Warn("OIDC code exchange failed", "err", err)
		}
		fail(http.StatusUnauthorized, "", "code exchange failed", "The identity provider did not confirm the sign-in.")
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		fail(http.StatusUnauthorized, "", "no id_token in the token response", "The identity provider did not send an ID token.")
		return
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		s.log.Warn("OIDC ID token refused", "err", err)
		fail(http.StatusUnauthorized, "", "ID token refused: "+err.Error(), "The identity provider's answer could not be verified.")
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pl.nonce)) != 1 {
		fail(http.StatusUnauthorized, "", "ID token nonce mismatch", "The identity provider's answer does not belong to this sign-in.")
		return
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		fail(http.StatusUnauthorized, "", "unreadable claims", "The identity provider's answer could not be read.")
		return
	}
	p, gen, why := s.oidcPrincipal(idt.Issuer, idt.Subject, claims)
	if p == nil {
		fail(http.StatusForbidden, ssoName(claims, s.cfg.OIDC.UsernameClaim, idt.Subject), why,
			"You are signed in at the identity provider, but have no access to pmlens. Ask a pmlens administrator.")
		return
	}
	p.Method = MethodOIDC
	if err := s.startSession(c.Writer, r, &session{subject: p.Subject, user: p.User, method: MethodOIDC, generation: gen, principal: *p}); err != nil {
		s.log.Error("creating session", "err", err)
		renderMessage(c.Writer, http.StatusInternalServerError, "Sign-in failed", "The server could not open a session.", SignInPath)
		return
	}
	s.userFail.reset(userKey(p.User))
	s.auditReq(r, EventSignIn, p.User, "sso "+p.Role.String()+"; subject "+p.Subject+"; client "+ip)
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, pl.next)
}

// oidcPrincipal maps verified claims to a principal. Precedence: a disabled
// users-file record refuses; a grant in the configuration for the user name wins;
// then an sso record of the users file; then the provider's groups mapped by
// auth.oidc.groups (highest role, union of scopes); then auth.oidc.default_role.
// It returns the users-file generation the session depends on.
func (s *Service) oidcPrincipal(issuer, subject string, claims map[string]any) (*Principal, int64, string) {
	name := ssoName(claims, s.cfg.OIDC.UsernameClaim, subject)
	p := &Principal{User: name, Subject: "oidc:" + issuer + "|" + subject}
	u, found, err := s.users.Lookup(name)
	if err != nil {
		s.log.Error("reading users file", "err", err)
		return nil, 0, "users file unreadable"
	}
	var gen int64
	if found {
		if u.Kind != KindSSO {
			return nil, 0, "the name " + name + " belongs to a local user"
		}
		if u.Disabled {
			return nil, 0, "user disabled"
		}
		gen = u.Generation
	}
	if _, ok := s.grants[strings.ToLower(name)]; ok {
		s.applyConfigGrant(p)
		return p, gen, ""
	}
	if found {
		p.Role, p.Portfolios, p.Programs, p.AllScopes = u.Role, u.Portfolios, u.Programs, u.AllScopes
		return p, gen, ""
	}
	groups := claimStrings(claims, s.cfg.OIDC.GroupsClaims)
	if _, over := claims["_claim_names"]; over && len(groups) == 0 {
		s.log.Warn("the provider left out the groups claim (Entra ID group overage); map app roles (the roles claim) instead", "user", name)
	}
	for _, g := range s.cfg.OIDC.Groups {
		if !slices.Contains(groups, g.Group) {
			continue
		}
		role, err := ParseRole(g.Role)
		if err != nil {
			continue
		}
		p.Role = max(p.Role, role)
		if len(g.Portfolios) == 0 && len(g.Programs) == 0 {
			p.AllScopes = true
		}
		p.Portfolios = cleanNames(append(p.Portfolios, g.Portfolios...))
		p.Programs = cleanNames(append(p.Programs, g.Programs...))
	}
	if p.Role == RoleNone && s.cfg.OIDC.DefaultRole != "" {
		p.Role, _ = ParseRole(s.cfg.OIDC.DefaultRole)
		p.AllScopes = true
	}
	if p.Role == RoleNone {
		return nil, 0, fmt.Sprintf("no mapped group (%d groups in the token)", len(groups))
	}
	if p.Role == RoleAdmin || p.AllScopes {
		p.AllScopes, p.Portfolios, p.Programs = true, nil, nil
	}
	return p, gen, ""
}

// ssoName picks the display name from the configured claim, then email, upn
// (Entra ID) and finally the subject, keeping only printable characters.
func ssoName(claims map[string]any, claim, subject string) string {
	for _, k := range []string{claim, "email", "upn"} {
		if v, ok := claims[k].(string); ok {
			if v = clip(strings.TrimSpace(v), 128); v != "" {
				return v
			}
		}
	}
	return clip(subject, 128)
}

// claimStrings collects string values of the named claims. A dotted name walks
// into objects (Keycloak's realm_access.roles); a claim may be a string or a list.
func claimStrings(claims map[string]any, names []string) []string {
	var out []string
	for _, name := range names {
		var v any = claims
		for _, part := range strings.Split(name, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = m[part]
		}
		switch t := v.(type) {
		case string:
			out = append(out, t)
		case []any:
			for _, e := range t {
				if s, ok := e.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// clip shortens s to n runes and drops control characters, for text from a
// provider that ends up in pages and the audit trail.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
