// Package dashboards serves pmlens's web interface: server-rendered portfolio,
// program, project, risk and data pages with ECharts charts, a JSON API under
// /api/v1/, and the health endpoints. Everything it shows comes from the current
// published warehouse version, read through a warehouse.Reader; responses are cached
// and tagged (ETag) per published version, so a page is computed once per sync.
//
// The metric views (issues 5 and 6) arrive independently; every section checks the
// published version's information_schema and shows "no data yet" when its view is
// not there, instead of failing the page.
package dashboards

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pmlens/pmlens/auth"
	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/warehouse"
	"github.com/pmlens/pmlens/warehouse/sandbox"
)

// Scheduler tells when a source runs next; *scheduler.Scheduler satisfies it.
type Scheduler interface {
	Next(source string) (time.Time, bool)
}

// SyncTrigger is a Scheduler that can also start a source's sync at once (the
// admins' "Sync now"); *scheduler.Scheduler satisfies it. Trigger fails when
// the source is already running.
type SyncTrigger interface {
	Trigger(source string) error
}

// AuditTrail reads the audit trail for the admin audit page;
// *sandbox.AuditLog satisfies it.
type AuditTrail interface {
	Events(ctx context.Context, f sandbox.EventFilter) ([]sandbox.AuditEvent, error)
}

// NavLink is an extra entry of the navigation bar (for example the workbench).
type NavLink struct {
	Label string
	Path  string
	// Role is the least role that sees the link (zero: every role).
	Role auth.Role
}

// Options configures the dashboards handler.
type Options struct {
	// Reader gives the current published warehouse version. Required.
	Reader *warehouse.Reader
	// Config is the loaded configuration (sources, currency); nil is allowed.
	Config *configs.Config
	// Logger receives request logs and errors; nil discards them.
	Logger *slog.Logger
	// Scheduler, when set, gives the next scheduled run of each source (Data page).
	Scheduler Scheduler
	// Version is the pmlens build version; it is part of every ETag so a new binary
	// (new templates) never serves a browser's stale copy.
	Version string
	// Register adds routes of other packages (the workbench) to the engine, after
	// the logging, recovery and security-header middleware. Their handlers can frame
	// their HTML in the shared layout with RenderPage.
	Register []func(gin.IRouter)
	// Nav adds entries to the navigation bar, after the built-in pages.
	Nav []NavLink
	// CacheEntries bounds the per-version response cache (default 2048 entries;
	// negative disables caching, for benchmarks of the cold path).
	CacheEntries int
	// Now is the clock for "generated at" texts; nil means time.Now.
	Now func() time.Time
	// Warm lists paths (with query) built in the background as soon as a new
	// published version is seen (by any request or /readyz), so the first visitor
	// after a sync gets a cached page. Pages are built for the roles and scopes
	// that asked for pages most recently (responses are cached per role and
	// scope). DefaultWarmPaths is a good choice; nil disables warming (tests).
	Warm []string
	// Auth is the sign-in service the handler is wrapped in (auth.Service.Wrap);
	// the admin users page reads its users file. Nil leaves that page out.
	Auth *auth.Service
	// Auditor receives views of project pages, exports and admin actions for
	// the audit trail; nil drops them.
	Auditor auth.Auditor
	// AuditTrail, when set, backs the admin audit page (/admin/audit).
	AuditTrail AuditTrail
}

// DefaultWarmPaths are the pages most people open first.
func DefaultWarmPaths() []string {
	return []string{"/", "/risks", "/api/v1/projects"}
}

// server holds the handler's state; one per New.
type server struct {
	opts      Options
	log       *slog.Logger
	assets    *assets
	pages     map[string]*template.Template
	cache     *responseCache
	catalogs  *catalogCache
	readiness *readinessCache
	engine    *gin.Engine

	warmMu sync.Mutex
	warmed string            // the version last warmed
	recent []*auth.Principal // distinct fingerprints, most recent first (warm-up)
}

// New builds the Gin engine serving the dashboards, the JSON API, /healthz and /readyz.
func New(opts Options) http.Handler {
	h, err := build(opts)
	if err != nil {
		// Templates and assets are embedded and parsed from constants; failing here
		// is a programming error caught by every test, so a panic is appropriate.
		panic(fmt.Sprintf("dashboards: %v", err))
	}
	return h
}

func build(opts Options) (*gin.Engine, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	if opts.CacheEntries == 0 {
		opts.CacheEntries = 2048
	}
	if opts.Auditor == nil {
		opts.Auditor = auth.NopAuditor{}
	}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	s := &server{
		opts:      opts,
		log:       opts.Logger.With("component", "dashboards"),
		assets:    a,
		cache:     newResponseCache(opts.CacheEntries),
		catalogs:  &catalogCache{},
		readiness: &readinessCache{},
	}
	if s.pages, err = parsePages(a); err != nil {
		return nil, err
	}

	// gin's mode is process-wide; release mode stops it printing routes to stdout.
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.UseRawPath = true // program names may contain "/" (sent as %2F)
	e.UnescapePathValues = true
	e.RedirectTrailingSlash = true
	e.HandleMethodNotAllowed = false
	// Client addresses come from auth (auth.trusted_proxies) or the connection,
	// never from a forwarded header gin would believe from anyone.
	if err := e.SetTrustedProxies(nil); err != nil {
		return nil, err
	}
	e.Use(s.requestLog, s.recovery, securityHeaders, s.withLayout)

	// Public: health checks and the static files every page (and the sign-in
	// page) needs. Everything else demands a role, and every query keeps to the
	// principal's scope.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/static/*file", s.static)
	e.GET("/favicon.ico", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, s.assets.url("favicon.svg")) })

	viewer, admin := auth.Require(auth.RoleViewer), auth.Require(auth.RoleAdmin)
	e.GET("/", viewer, s.page(s.portfolioPage, nil))
	e.GET("/program/:name", viewer, s.page(s.programPage, nil))
	e.GET("/project/:id", viewer, s.page(s.projectPage, nil))
	e.GET("/risks", viewer, s.page(s.risksPage, nil))
	e.GET("/data", viewer, s.page(s.dataPage, s.scheduleTag))
	e.GET("/admin/users", admin, s.usersPage)
	e.GET("/admin/audit", admin, s.auditPage)

	api := e.Group("/api/v1", viewer)
	s.registerAPI(api)
	api.POST("/sources/:name/sync", admin, s.syncNow)

	for _, reg := range opts.Register {
		reg(e)
	}
	e.NoRoute(s.notFound)
	s.engine = e
	return e, nil
}

// warmKey marks the server's own warm-up requests in their context (logged at
// debug level, never audited). A context value, unlike a header, cannot be sent
// by a client.
type warmKey struct{}

func isWarmUp(c *gin.Context) bool { return c.Request.Context().Value(warmKey{}) != nil }

// warmScopes is how many recently seen role-and-scope combinations warm-up
// builds pages for.
const warmScopes = 4

// remember notes who asked for a page, for warming the next version's cache.
func (s *server) remember(who *auth.Principal) {
	if who == nil || len(s.opts.Warm) == 0 {
		return
	}
	fp := who.Fingerprint()
	s.warmMu.Lock()
	defer s.warmMu.Unlock()
	for i, p := range s.recent {
		if p.Fingerprint() == fp {
			if i > 0 {
				copy(s.recent[1:i+1], s.recent[:i])
				s.recent[0] = p
			}
			return
		}
	}
	// Only role and scope matter for the cache; the copy carries no identity.
	cp := &auth.Principal{User: "warm-up", Role: who.Role, Portfolios: who.Portfolios, Programs: who.Programs,
		AllScopes: who.AllScopes, Anonymous: who.Anonymous, Method: who.Method}
	s.recent = append([]*auth.Principal{cp}, s.recent...)
	if len(s.recent) > warmScopes {
		s.recent = s.recent[:warmScopes]
	}
}

// maybeWarm builds Options.Warm in the background once per published version,
// for each recently seen role and scope.
func (s *server) maybeWarm(version string) {
	if len(s.opts.Warm) == 0 {
		return
	}
	s.warmMu.Lock()
	if s.warmed == version {
		s.warmMu.Unlock()
		return
	}
	s.warmed = version
	who := append([]*auth.Principal(nil), s.recent...)
	s.warmMu.Unlock()
	if len(who) == 0 {
		return
	}
	go func() {
		start := time.Now()
		for _, p := range who {
			for _, path := range s.opts.Warm {
				ctx := auth.WithPrincipal(context.WithValue(context.Background(), warmKey{}, true), p)
				r, err := http.NewRequestWithContext(ctx, http.MethodGet, path, nil)
				if err != nil {
					s.log.Warn("bad warm-up path", "path", path, "err", err)
					continue
				}
				s.engine.ServeHTTP(&discardWriter{h: http.Header{}}, r)
			}
		}
		s.log.Debug("warmed the page cache", "version", version, "paths", len(s.opts.Warm), "scopes", len(who), "duration", time.Since(start))
	}()
}

// discardWriter is the ResponseWriter of warm-up requests: only the cache matters.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// requestLog writes one structured line per request instead of gin's text logger.
// It never logs cookies, the Authorization header or a secret-looking query
// parameter (redactQuery).
func (s *server) requestLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	level := slog.LevelInfo
	status := c.Writer.Status()
	switch {
	case status >= 500:
		level = slog.LevelError
	case c.Request.URL.Path == "/healthz" || c.Request.URL.Path == "/readyz" || strings.HasPrefix(c.Request.URL.Path, "/static/") ||
		isWarmUp(c):
		level = slog.LevelDebug
	}
	attrs := []slog.Attr{
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		slog.Int("bytes", max(c.Writer.Size(), 0)),
		slog.String("remote", clientIP(c)),
	}
	if who, ok := auth.FromContext(c); ok {
		attrs = append(attrs, slog.String("user", who.User))
	}
	if q := redactQuery(c.Request.URL.Path, c.Request.URL.RawQuery); q != "" {
		attrs = append(attrs, slog.String("query", q))
	}
	if errs := c.Errors.String(); errs != "" {
		attrs = append(attrs, slog.String("err", errs))
	}
	s.log.LogAttrs(c.Request.Context(), level, "http request", attrs...)
}

// recovery turns a panic in a handler into a logged 500 instead of a dropped connection.
func (s *server) recovery(c *gin.Context) {
	defer func() {
		rec := recover()
		if rec == nil {
			return
		}
		if err, ok := rec.(error); ok && errors.Is(err, http.ErrAbortHandler) {
			panic(rec)
		}
		s.log.Error("panic serving request", "method", c.Request.Method, "path", c.Request.URL.Path,
			"panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
		if !c.Writer.Written() {
			c.Header("Cache-Control", "no-store")
			c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("internal error; the server log has the details\n"))
		}
		c.Abort()
	}()
	c.Next()
}

// securityHeaders sets auth's security headers (auth.SetSecurityHeaders, the one
// definition) when the handler runs without auth.Service.Wrap in front, which
// sets them itself (with its configured CSP and HSTS behind a TLS proxy). The
// pages need nothing inline, so the policy has no 'unsafe-inline'.
func securityHeaders(c *gin.Context) {
	if c.Writer.Header().Get("Content-Security-Policy") == "" {
		auth.SetSecurityHeaders(c.Writer.Header(), "", c.Request.TLS != nil)
	}
	c.Next()
}

// clientIP is the client's address as auth saw it (trusted proxies applied), or
// the connection's.
func clientIP(c *gin.Context) string {
	if m, ok := auth.RequestMetaFrom(c); ok && m.ClientIP != "" {
		return m.ClientIP
	}
	return c.RemoteIP()
}

// secretParams are query parameters whose values are never logged: OAuth and
// OIDC codes and state, tokens, keys, passwords and session ids.
var secretParams = []string{"code", "state", "token", "secret", "password", "passwd", "pwd", "key", "session", "sid",
	"assertion", "auth", "credential", "signature", "sig", "nonce", "jwt", "bearer"}

// redactQuery returns the query string for the request log with secret-looking
// values replaced: every value of the OIDC callback, and any parameter whose
// name contains a secretParams word or whose value looks like a token.
func redactQuery(path, raw string) string {
	if raw == "" {
		return ""
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return "(unparsable query not logged)"
	}
	callback := strings.HasPrefix(path, "/auth/")
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		secret := callback
		lk := strings.ToLower(k)
		for _, w := range secretParams {
			secret = secret || strings.Contains(lk, w)
		}
		for _, v := range vals[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			if secret || looksLikeToken(v) {
				b.WriteString("REDACTED")
			} else {
				b.WriteString(url.QueryEscape(v))
			}
		}
	}
	return b.String()
}

// looksLikeToken spots values that are probably credentials whatever their
// parameter is called: pmlens API tokens, JWTs, and long unbroken base64/hex.
func looksLikeToken(v string) bool {
	if strings.HasPrefix(v, "pmlens_") || strings.HasPrefix(v, "eyJ") {
		return true
	}
	if len(v) < 32 {
		return false
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '+' || r == '/' || r == '=' || r == '.') {
			return false
		}
	}
	return true
}

func (s *server) healthz(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"status": "alive", "version": s.opts.Version})
}

// readyz answers 200 only when a published version can be opened and carries every
// migration this binary knows; the check runs once per published version.
func (s *server) readyz(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	if s.opts.Reader == nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "reason": "no warehouse reader configured"})
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 5*time.Second)
	defer cancel()
	snap, release, err := s.opts.Reader.Acquire(ctx)
	if err != nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "reason": err.Error()})
		return
	}
	defer release()
	applied, err := s.readiness.schemaVersion(ctx, snap)
	if err != nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "version": snap.Version,
			"reason": fmt.Sprintf("reading schema_migrations of %s: %v", snap.Version, err)})
		return
	}
	if want := warehouse.SchemaVersion(); applied < want {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "version": snap.Version,
			"reason": fmt.Sprintf("published version %s has schema %d, this binary needs %d: a sync or restart will migrate it", snap.Version, applied, want)})
		return
	}
	s.maybeWarm(snap.Version)
	c.JSON(http.StatusOK, gin.H{"status": "ready", "version": snap.Version, "schema_version": applied})
}

func (s *server) notFound(c *gin.Context) {
	if strings.HasPrefix(c.Request.URL.Path, "/api/") {
		c.JSON(http.StatusNotFound, gin.H{"error": "no such API endpoint: " + c.Request.URL.Path + " (see /api/v1/openapi.yaml)"})
		return
	}
	s.renderError(c, http.StatusNotFound, "Page not found", "There is no page at "+c.Request.URL.Path+".")
}
