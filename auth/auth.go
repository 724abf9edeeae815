// Package auth is pmlens's access control: local users with argon2id passwords
// and API tokens kept in a users file, OpenID Connect single sign-on, server-side
// sessions with idle and absolute timeouts, throttling of password guessing, roles
// (viewer < analyst < admin) scoped to portfolios and programs, and the HTTP
// hardening every response needs (CSRF protection, security headers, TLS).
//
// A Service wraps the whole web handler (Wrap): it sets security headers, refuses
// cross-origin state-changing requests, authenticates the request and puts its
// Principal into the request context, and turns away unauthenticated requests to
// anything but the public paths. Routes then demand a role with Require and filter
// rows with Principal.Allows or Principal.ScopeSQL.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/warehouse"
)

// Paths the package serves.
const (
	SignInPath    = "/signin"
	SignOutPath   = "/signout"
	oidcLoginPath = "/auth/oidc/login"
	oidcCallback  = "/auth/oidc/callback"
	authStatic    = "/auth/static/"
)

// BackgroundHeader marks a request a page sends without the user doing anything
// (polling, auto-refresh): any non-empty value keeps it from extending the
// session's idle timeout.
const BackgroundHeader = "X-Pmlens-Background"

// DefaultPublicPaths are reachable without signing in. An entry ending in "/" is
// a prefix; the others match exactly.
var DefaultPublicPaths = []string{"/healthz", "/readyz", "/favicon.ico", "/static/", SignInPath, SignOutPath, "/auth/"}

// Options configures a Service.
type Options struct {
	// Config is the auth section of the configuration (defaults applied).
	Config configs.AuthConfig
	// WarehousePath locates the default users file (<warehouse.path>.d/users.json).
	WarehousePath string
	// Logger receives operational messages; nil discards them. Secrets never reach it.
	Logger *slog.Logger
	// Auditor receives security events; nil drops them.
	Auditor Auditor
	// Now is the clock (sessions, lock-outs, token expiry); nil means time.Now.
	Now func() time.Time
	// HashParams are the argon2id costs for new passwords; zero means DefaultHashParams.
	HashParams HashParams
	// HTTPClient talks to the OIDC provider; nil means a client with a 30s timeout.
	HTTPClient *http.Client
	// PublicPaths replaces DefaultPublicPaths when not nil.
	PublicPaths []string
	// ContentSecurityPolicy replaces DefaultContentSecurityPolicy when not empty.
	ContentSecurityPolicy string
}

// DefaultContentSecurityPolicy allows only pmlens's own scripts, styles, images and
// data, no plugins, no framing and forms posting only back to pmlens.
const DefaultContentSecurityPolicy = "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'"

// Service authenticates requests. Create it with New; it is safe for concurrent use.
type Service struct {
	cfg      configs.AuthConfig
	enabled  bool
	log      *slog.Logger
	audit    Auditor
	now      func() time.Time
	users    *UserStore
	sessions *sessionStore
	userFail *throttle
	ipFail   *throttle
	proxies  []*net.IPNet
	public   []string
	csp      string
	cop      *http.CrossOriginProtection
	anon     Principal
	grants   map[string]configs.UserGrantSpec // lower-cased user name
	hashSem  chan struct{}
	oidc     *oidcClient

	sweepMu   sync.Mutex
	lastSweep time.Time
}

// New builds a Service from the configuration.
func New(opts Options) (*Service, error) {
	cfg := opts.Config
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Auditor == nil {
		opts.Auditor = NopAuditor{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Service{
		cfg:     cfg,
		enabled: cfg.IsEnabled(),
		log:     opts.Logger.With("component", "auth"),
		audit:   opts.Auditor,
		now:     opts.Now,
		public:  opts.PublicPaths,
		csp:     opts.ContentSecurityPolicy,
		grants:  map[string]configs.UserGrantSpec{},
		// Each argon2id check takes 64 MiB; two at a time keeps a burst of sign-ins
		// from exhausting a small server's memory.
		hashSem: make(chan struct{}, 2),
	}
	if s.public == nil {
		s.public = DefaultPublicPaths
	}
	if s.csp == "" {
		s.csp = DefaultContentSecurityPolicy
	}
	if cfg.Session.IdleTimeout <= 0 || cfg.Session.AbsoluteTimeout <= 0 || cfg.Lockout.MaxFailures < 1 ||
		cfg.Lockout.MaxFailuresPerIP < 1 || cfg.Lockout.Window <= 0 || cfg.Lockout.Duration <= 0 {
		return nil, errors.New("auth: session and lockout settings are unset (configuration defaults not applied)")
	}
	usersFile := cfg.UsersFile
	if usersFile == "" {
		if opts.WarehousePath == "" {
			return nil, errors.New("auth: neither auth.users_file nor the warehouse path is set")
		}
		usersFile = DefaultUsersFile(opts.WarehousePath)
	}
	s.users = OpenUserStore(usersFile, opts.HashParams, s.log, s.now)
	s.sessions = newSessionStore(s.now, cfg.Session.IdleTimeout, cfg.Session.AbsoluteTimeout)
	s.userFail = newThrottle(s.now, cfg.Lockout.MaxFailures, cfg.Lockout.Window, cfg.Lockout.Duration)
	s.ipFail = newThrottle(s.now, cfg.Lockout.MaxFailuresPerIP, cfg.Lockout.Window, cfg.Lockout.Duration)
	for _, p := range cfg.TrustedProxies {
		if !strings.Contains(p, "/") {
			if ip := net.ParseIP(p); ip != nil && ip.To4() != nil {
				p += "/32"
			} else {
				p += "/128"
			}
		}
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			return nil, fmt.Errorf("auth.trusted_proxies: %q: %w", p, err)
		}
		s.proxies = append(s.proxies, n)
	}
	for _, g := range cfg.Grants {
		s.grants[strings.ToLower(strings.TrimSpace(g.User))] = g
	}
	anonRole, err := ParseRole(cfg.AnonymousRole)
	if err != nil {
		return nil, fmt.Errorf("auth.anonymous_role: %w", err)
	}
	s.anon = Principal{User: "anonymous", Subject: "anonymous", Role: anonRole, AllScopes: true, Anonymous: true, Method: MethodNone}

	s.cop = http.NewCrossOriginProtection()
	if cfg.ExternalURL != "" {
		u, err := url.Parse(cfg.ExternalURL)
		if err != nil {
			return nil, fmt.Errorf("auth.external_url: %w", err)
		}
		if err := s.cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			return nil, fmt.Errorf("auth.external_url: %w", err)
		}
	}
	s.cop.SetDenyHandler(http.HandlerFunc(s.csrfDenied))

	if cfg.OIDC.Issuer != "" {
		client := opts.HTTPClient
		if client == nil {
			client = &http.Client{Timeout: 30 * time.Second}
		}
		if s.oidc, err = newOIDCClient(cfg.OIDC, client, s.now, s.log); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// DefaultUsersFile is the users file of the warehouse at warehousePath.
func DefaultUsersFile(warehousePath string) string {
	return filepath.Join(warehouse.PathsFor(warehousePath).Dir, "users.json")
}

// Enabled reports whether sign-in is required.
func (s *Service) Enabled() bool { return s.enabled }

// Users is the users file store (for the admin pages and tests).
func (s *Service) Users() *UserStore { return s.users }

// SSOEnabled reports whether single sign-on is configured.
func (s *Service) SSOEnabled() bool { return s.oidc != nil }

// Wrap returns next behind the security middleware, outermost first: security
// headers (so every answer carries them, refusals included), CSRF protection of
// every non-GET/HEAD/OPTIONS request, authentication, and refusal of
// unauthenticated requests outside the public paths.
func (s *Service) Wrap(next http.Handler) http.Handler {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, next)
	})
	protected := s.cop.Handler(inner)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetSecurityHeaders(w.Header(), s.csp, s.secureRequest(r))
		// Every event recorded while answering (a CSRF refusal included) knows
		// the client, method and path; the query string stays out of it.
		r = r.WithContext(WithRequestMeta(r.Context(), RequestMeta{ClientIP: s.clientIP(r), Method: r.Method, Path: r.URL.Path}))
		protected.ServeHTTP(w, r)
	})
}

// secureRequest reports whether the browser reached us over HTTPS.
func (s *Service) secureRequest(r *http.Request) bool {
	return r.TLS != nil || s.cfg.SecureTransport()
}

func (s *Service) csrfDenied(w http.ResponseWriter, r *http.Request) {
	s.auditReq(r, EventCSRFRefused, "", r.Method+" "+r.URL.Path)
	s.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path, "client", s.clientIP(r))
	w.Header().Set("Cache-Control", "no-store")
	if wantsJSON(r) {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "cross-origin request refused"})
		return
	}
	renderMessage(w, http.StatusForbidden, "Request refused", "This request came from another site and was refused to protect your session.", "/")
}

// serve authenticates r and passes it on, or answers it.
func (s *Service) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	s.maybeSweep()
	ctx := context.WithValue(r.Context(), serviceKey{}, s)
	if !s.enabled {
		anon := s.anon
		next.ServeHTTP(w, r.WithContext(WithPrincipal(ctx, &anon)))
		return
	}
	r = r.WithContext(ctx)
	var p *Principal
	if h := r.Header.Get("Authorization"); h != "" {
		var status int
		var msg string
		p, status, msg = s.authenticateToken(r, h)
		if p == nil {
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("WWW-Authenticate", `Bearer realm="pmlens", error="invalid_token"`)
			writeJSON(w, status, map[string]string{"error": msg})
			return
		}
	} else {
		p = s.authenticateCookie(w, r)
	}
	if p == nil {
		if s.isPublic(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		unauthenticated(w, r)
		return
	}
	next.ServeHTTP(w, r.WithContext(WithPrincipal(ctx, p)))
}

func (s *Service) isPublic(path string) bool {
	for _, p := range s.public {
		if strings.HasSuffix(p, "/") {
			if strings.HasPrefix(path, p) {
				return true
			}
		} else if path == p {
			return true
		}
	}
	return false
}

// maybeSweep drops expired sessions about once a minute.
func (s *Service) maybeSweep() {
	now := s.now()
	s.sweepMu.Lock()
	due := now.Sub(s.lastSweep) >= time.Minute
	if due {
		s.lastSweep = now
	}
	s.sweepMu.Unlock()
	if due {
		for _, e := range s.sessions.sweep() {
			s.audit.Event(context.Background(), EventSessionEnded, e.user, e.reason)
		}
	}
}

// authenticateToken checks an Authorization header. On failure it returns the
// status and message to answer with.
func (s *Service) authenticateToken(r *http.Request, header string) (*Principal, int, string) {
	ip := s.clientIP(r)
	if until, locked := s.ipFail.locked(ipKey(ip)); locked {
		return nil, http.StatusTooManyRequests, "too many failed attempts from this address; try again after " + until.UTC().Format(time.RFC3339)
	}
	tok, ok := bearerToken(header)
	if !ok {
		return nil, http.StatusUnauthorized, "Authorization must be Bearer <API token>"
	}
	u, t, err := s.users.checkToken(tok, s.now())
	if err != nil {
		detail := "client " + ip
		if t.ID != "" {
			detail += ", token " + t.ID
		}
		s.auditReq(r, EventTokenRefused, u.Name, detail+": "+err.Error())
		if s.ipFail.fail(ipKey(ip)) {
			s.auditReq(r, EventLockout, "", "client "+ip+" after repeated bad API tokens")
		}
		return nil, http.StatusUnauthorized, "invalid, expired or revoked API token"
	}
	p := s.localPrincipal(u)
	p.Method, p.TokenID = MethodToken, t.ID
	s.auditReq(r, EventTokenUsed, u.Name, "token "+t.ID+" "+r.Method+" "+r.URL.Path+" from "+ip)
	return p, 0, ""
}

// authenticateCookie returns the principal of a live session cookie, or nil.
func (s *Service) authenticateCookie(w http.ResponseWriter, r *http.Request) *Principal {
	c, err := r.Cookie(s.cookieName(r))
	if err != nil || c.Value == "" {
		return nil
	}
	// Requests a page makes on its own (auto-refresh) carry BackgroundHeader and
	// do not count as activity, so an unattended screen still signs out.
	sess, why := s.sessions.get(c.Value, r.Header.Get(BackgroundHeader) == "")
	if why != "" {
		if sess != nil {
			s.auditReq(r, EventSessionEnded, sess.user, why)
		}
		s.clearCookie(w, r)
		return nil
	}
	p, reason := s.sessionPrincipal(sess)
	if p == nil {
		s.sessions.delete(c.Value)
		s.clearCookie(w, r)
		s.auditReq(r, EventSessionEnded, sess.user, reason)
		return nil
	}
	return p
}

// sessionPrincipal rebuilds the principal of a session from the current users
// file, so disabling a user or changing their grant takes effect at once.
func (s *Service) sessionPrincipal(sess *session) (*Principal, string) {
	u, found, err := s.users.Lookup(sess.user)
	if err != nil {
		s.log.Error("reading users file; refusing sessions until it is readable", "err", err)
		return nil, "users file unreadable"
	}
	switch sess.method {
	case MethodPassword:
		if !found || u.Kind != KindLocal {
			return nil, "user removed"
		}
		if u.Disabled {
			return nil, "user disabled"
		}
		if u.Generation != sess.generation {
			return nil, "password, role or scope changed"
		}
		p := s.localPrincipal(u)
		p.Method = MethodPassword
		return p, ""
	case MethodOIDC:
		var gen int64
		if found {
			gen = u.Generation
		}
		if gen != sess.generation {
			return nil, "per-user grant changed"
		}
		if found && u.Disabled {
			return nil, "user disabled"
		}
		p := sess.principal
		return &p, ""
	}
	return nil, "unknown method"
}

// localPrincipal is the principal of a users-file record, with a configured
// grant for that user taking precedence.
func (s *Service) localPrincipal(u User) *Principal {
	p := &Principal{User: u.Name, Subject: "local:" + strings.ToLower(u.Name), Role: u.Role,
		Portfolios: u.Portfolios, Programs: u.Programs, AllScopes: u.AllScopes}
	s.applyConfigGrant(p)
	return p
}

func (s *Service) applyConfigGrant(p *Principal) {
	g, ok := s.grants[strings.ToLower(p.User)]
	if !ok {
		return
	}
	role, err := ParseRole(g.Role)
	if err != nil {
		return
	}
	p.Role, p.Portfolios, p.Programs = role, cleanNames(g.Portfolios), cleanNames(g.Programs)
	p.AllScopes = role == RoleAdmin || (len(p.Portfolios) == 0 && len(p.Programs) == 0)
}

// cookieName uses the __Host- prefix over HTTPS, which pins the cookie to this
// host and path / and requires Secure; plain-HTTP loopback use cannot have it.
func (s *Service) cookieName(r *http.Request) string {
	if s.secureRequest(r) {
		return "__Host-pmlens_session"
	}
	return "pmlens_session"
}

func (s *Service) setSessionCookie(w http.ResponseWriter, r *http.Request, id string) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(r), Value: id, Path: "/", HttpOnly: true,
		Secure: s.secureRequest(r), SameSite: http.SameSiteLaxMode})
}

func (s *Service) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(r), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secureRequest(r), SameSite: http.SameSiteLaxMode})
}

// clientIP is the request's client address: the connection's, or with trusted
// proxies in front, the right-most X-Forwarded-For entry they did not add.
func (s *Service) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(s.proxies) == 0 || !s.trusted(host) {
		return host
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hops = append(hops, h)
			}
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		if net.ParseIP(hops[i]) == nil {
			break
		}
		if !s.trusted(hops[i]) {
			return hops[i]
		}
		host = hops[i]
	}
	return host
}

func (s *Service) trusted(host string) bool {
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	for _, n := range s.proxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// ClientIP returns the client address of r as the Service sees it (trusted proxies
// applied), for the audit trail of other packages.
func (s *Service) ClientIP(r *http.Request) string { return s.clientIP(r) }

func (s *Service) auditReq(r *http.Request, kind, user, detail string) {
	s.audit.Event(r.Context(), kind, user, detail)
}

// RevokeSessions ends every browser session of the named user in this process and
// returns how many ended.
func (s *Service) RevokeSessions(user string) int {
	return s.sessions.deleteUser(user)
}

// Preflight returns problems an operator should see when the server starts: no
// way to sign in, an unreachable identity provider, or sign-in being off.
func (s *Service) Preflight(ctx context.Context) []string {
	var out []string
	if !s.enabled {
		return append(out, "sign-in is off (auth.enabled: false): everyone who can reach this computer's loopback address is "+s.anon.Role.String())
	}
	users, err := s.users.List()
	if err != nil {
		out = append(out, "users file unreadable: "+err.Error())
	}
	local := 0
	for _, u := range users {
		if u.Kind == KindLocal && !u.Disabled {
			local++
		}
	}
	if local == 0 && s.oidc == nil {
		out = append(out, "sign-in is on but nobody can sign in: create a user with `pmlens users add NAME --role admin` or configure auth.oidc")
	}
	if s.oidc != nil {
		if _, _, err := s.oidc.ensure(ctx); err != nil {
			out = append(out, "single sign-on unavailable for now (retried at each sign-in): "+err.Error())
		}
	}
	return out
}
