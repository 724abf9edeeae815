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
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/warehouse"
)

// Scheduler tells when a source runs next; *scheduler.Scheduler satisfies it.
type Scheduler interface {
	Next(source string) (time.Time, bool)
}

// NavLink is an extra entry of the navigation bar (for example the workbench).
type NavLink struct {
	Label string
	Path  string
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
	// after a sync gets a cached page. DefaultWarmPaths is a good choice; nil
	// disables warming (tests).
	Warm []string
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
	warmed string // the version last warmed
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
	e.Use(s.requestLog, s.recovery, securityHeaders, s.withLayout)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/static/*file", s.static)
	e.GET("/favicon.ico", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, s.assets.url("favicon.svg")) })

	e.GET("/", s.page(s.portfolioPage, nil))
	e.GET("/program/:name", s.page(s.programPage, nil))
	e.GET("/project/:id", s.page(s.projectPage, nil))
	e.GET("/risks", s.page(s.risksPage, nil))
	e.GET("/data", s.page(s.dataPage, s.scheduleTag))

	api := e.Group("/api/v1")
	s.registerAPI(api)

	for _, reg := range opts.Register {
		reg(e)
	}
	e.NoRoute(s.notFound)
	s.engine = e
	return e, nil
}

// warmHeader marks the server's own warm-up requests (logged at debug level).
const warmHeader = "X-Pmlens-Warmup"

// maybeWarm builds Options.Warm in the background once per published version.
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
	s.warmMu.Unlock()
	go func() {
		start := time.Now()
		for _, p := range s.opts.Warm {
			r, err := http.NewRequest(http.MethodGet, p, nil)
			if err != nil {
				s.log.Warn("bad warm-up path", "path", p, "err", err)
				continue
			}
			r.Header.Set(warmHeader, "1")
			s.engine.ServeHTTP(&discardWriter{h: http.Header{}}, r)
		}
		s.log.Debug("warmed the page cache", "version", version, "paths", len(s.opts.Warm), "duration", time.Since(start))
	}()
}

// discardWriter is the ResponseWriter of warm-up requests: only the cache matters.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// requestLog writes one structured line per request instead of gin's text logger.
func (s *server) requestLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	level := slog.LevelInfo
	status := c.Writer.Status()
	switch {
	case status >= 500:
		level = slog.LevelError
	case c.Request.URL.Path == "/healthz" || c.Request.URL.Path == "/readyz" || strings.HasPrefix(c.Request.URL.Path, "/static/") ||
		c.GetHeader(warmHeader) != "":
		level = slog.LevelDebug
	}
	attrs := []slog.Attr{
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		slog.Int("bytes", max(c.Writer.Size(), 0)),
		slog.String("remote", c.ClientIP()),
	}
	if q := c.Request.URL.RawQuery; q != "" {
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

// contentSecurityPolicy lets pages load only pmlens's own scripts, styles and data;
// nothing is inline, so no 'unsafe-inline' is needed.
const contentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"

func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	c.Next()
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
