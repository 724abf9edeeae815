package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pmlens/pmlens/auth"
	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/dashboards"
	"github.com/pmlens/pmlens/dashboards/workbench"
	"github.com/pmlens/pmlens/ingest"
	"github.com/pmlens/pmlens/scheduler"
	"github.com/pmlens/pmlens/warehouse"
	"github.com/pmlens/pmlens/warehouse/sandbox"
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("serve", stderr, "pmlens serve [--config FILE]: serve dashboards and run each source on its schedule")
	addr := fs.String("addr", "", "listen address (overrides server.addr)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := loadConfig(ctx, *cfgPath)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Server.Addr = *addr
	}
	if err := auth.CheckListen(cfg.Server.Addr, cfg.Auth); err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()

	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Server.Addr, err)
	}
	scheme := "http"
	if a.tls != nil {
		ln = tls.NewListener(ln, a.tls)
		scheme = "https"
	}
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		// The standard library logs connection-level trouble (TLS handshakes,
		// malformed requests) with the remote address only, never a header.
		ErrorLog:  slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		TLSConfig: a.tls,
	}
	a.sched.Start()
	// Sources that have never loaded run now rather than at their first schedule, so
	// a new installation (and the demo) shows data within seconds.
	for _, name := range neverLoaded(ctx, a.reader, cfg) {
		if err := a.sched.Trigger(name); err != nil {
			log.Warn("initial sync not started", "source", name, "err", err)
		}
	}
	url := scheme + "://" + ln.Addr().String()
	a.recordStart(ctx, cfg, url)
	log.Info("pmlens serving", "url", url, "config", configName(cfg), "warehouse", cfg.Warehouse.Path)
	fmt.Fprintf(stdout, "pmlens is serving %s on %s\n", configName(cfg), url)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		_ = a.sched.Stop(context.Background())
		return fmt.Errorf("server stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	herr := srv.Shutdown(shutdownCtx)
	serr := a.sched.Stop(shutdownCtx)
	if err := errors.Join(herr, serr); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

// app is everything pmlens serve runs behind its listener. newApp builds it
// (tests build it too, so they exercise the very handler the server answers
// with); the caller starts the scheduler.
type app struct {
	handler http.Handler
	// routes are the routes of the dashboards engine (every page, API and
	// workbench route), for the route × role test.
	routes  gin.RoutesInfo
	auth    *auth.Service
	auditor auth.Auditor
	audit   *sandbox.AuditLog
	sandbox *sandbox.Sandbox
	sched   *scheduler.Scheduler
	reader  *warehouse.Reader
	tls     *tls.Config
	log     *slog.Logger
	// stop ends the audit log's background folding, which closes folded when
	// its last fold is done.
	stop   context.CancelFunc
	folded chan struct{}
}

// close releases what newApp opened (the scheduler is stopped by its owner),
// after the audit log folded its spool a last time.
func (a *app) close() {
	a.stop()
	if a.folded != nil {
		<-a.folded
	}
	if a.sandbox != nil {
		a.sandbox.Close()
	}
	a.reader.Close()
}

// newApp prepares the warehouse and builds the scheduler, the audit trail, the
// SQL sandbox, the sign-in service and the web handler: every route behind
// auth.Service.Wrap and a role (auth.Require), every event into the audit trail.
func newApp(ctx context.Context, cfg *configs.Config, log *slog.Logger) (_ *app, err error) {
	syncer := ingest.New(ingest.Env{Logger: log, Config: cfg})
	if err := syncer.Prepare(ctx); err != nil {
		return nil, err
	}
	a := &app{log: log, reader: warehouse.NewReader(cfg.Warehouse.Path, "")}
	// The audit log folds until close, not until ctx ends, so the last events
	// of a shutdown are folded too.
	var runCtx context.Context
	runCtx, a.stop = context.WithCancel(context.WithoutCancel(ctx))
	defer func() {
		if err != nil {
			a.close()
		}
	}()

	a.sched = scheduler.New(scheduler.Options{
		Logger:    log,
		Retryable: ingest.Retryable,
		Run: func(ctx context.Context, source string) error {
			results, err := syncer.Sync(ctx, source)
			if err != nil {
				return err
			}
			return results[0].Err
		},
	})
	for _, src := range cfg.Sources {
		if err := a.sched.Add(src); err != nil {
			return nil, err
		}
	}

	if a.audit, err = sandbox.OpenAuditLog(ctx, cfg.Warehouse.Path, log); err != nil {
		return nil, err
	}
	a.audit.SetRetention(cfg.Auth.AuditRetention.Duration())
	a.folded = make(chan struct{})
	go func() {
		defer close(a.folded)
		a.audit.Run(runCtx, 2*time.Second)
	}()
	a.auditor = trailAuditor(a.audit, log)
	opts := sandboxOptions(cfg, log)
	opts.TempDir = filepath.Join(warehouse.PathsFor(cfg.Warehouse.Path).Dir, "sandbox-tmp")
	opts.Audit = a.audit
	a.sandbox, err = sandbox.New(opts)
	if err != nil {
		return nil, err
	}

	if a.auth, err = auth.New(auth.Options{Config: cfg.Auth, WarehousePath: cfg.Warehouse.Path, Logger: log, Auditor: a.auditor}); err != nil {
		return nil, err
	}
	for _, w := range a.auth.Preflight(ctx) {
		log.Warn(w)
	}
	if a.tls, err = auth.TLSConfig(cfg.Auth); err != nil {
		return nil, err
	}

	// The workbench and its downloads are for analysts and admins; the
	// dashboards demand their own roles route by route (viewer for pages, API
	// and chart exports, admin for sync now, users and the audit trail).
	analyst := auth.Require(auth.RoleAnalyst)
	dh := dashboards.New(dashboards.Options{
		Reader:     a.reader,
		Config:     cfg,
		Logger:     log,
		Scheduler:  a.sched,
		Version:    versionString(),
		Nav:        []dashboards.NavLink{workbench.NavLink},
		Warm:       dashboards.DefaultWarmPaths(),
		Auth:       a.auth,
		Auditor:    a.auditor,
		AuditTrail: a.audit,
		Register: []func(gin.IRouter){a.auth.Register, func(r gin.IRouter) {
			workbench.Register(r.Group("", analyst), workbench.Deps{Sandbox: a.sandbox, Audit: a.audit, Logger: log,
				User: workbenchCaller, Auditor: a.auditor})
		}},
	})
	if rl, ok := dh.(interface{ Routes() gin.RoutesInfo }); ok {
		a.routes = rl.Routes()
	}
	a.handler = a.auth.Wrap(dh)
	return a, nil
}

// trailAuditor sends auth's and the dashboards' events to the audit trail
// (the audit database's spool, folded every two seconds).
func trailAuditor(audit *sandbox.AuditLog, log *slog.Logger) auth.Auditor {
	return auth.StoreAuditor{Logger: log, Store: func(ctx context.Context, r auth.Record) error {
		return audit.RecordEvent(ctx, sandbox.AuditEvent{Time: r.Time, User: r.User, Role: r.Role, Kind: r.Kind, Detail: r.Detail,
			ClientIP: r.ClientIP, Method: r.Method, Path: r.Path})
	}}
}

// Audit event kinds of the server itself.
const (
	eventServerStarted = "server.started" // detail: version, address, sign-in, retention, config hash
	eventConfigChanged = "config.changed" // the configuration differs from the previous start's
)

var configHashPattern = regexp.MustCompile(`config sha256 ([0-9a-f]{64})`)

// recordStart writes the server's start to the audit trail with the SHA-256 of
// its configuration file, and a config.changed event when that differs from
// the previous start's: configuration lives in a file edited outside pmlens,
// so a change is seen (and attributed to the restart) when it takes effect.
func (a *app) recordStart(ctx context.Context, cfg *configs.Config, url string) {
	sum := "none (built-in demo)"
	if cfg.File != "" {
		if b, err := os.ReadFile(cfg.File); err == nil {
			h := sha256.Sum256(b)
			sum = hex.EncodeToString(h[:])
		}
	}
	meta := auth.WithRequestMeta(ctx, auth.RequestMeta{Method: "START", Path: cfg.File})
	prev, err := a.audit.Events(ctx, sandbox.EventFilter{Kind: eventServerStarted, Limit: 1, NoQueries: true})
	if err != nil {
		a.log.Warn("reading the previous start from the audit trail", "err", err)
	}
	if len(prev) == 1 {
		if m := configHashPattern.FindStringSubmatch(prev[0].Detail); m != nil && m[1] != sum {
			a.auditor.Event(meta, eventConfigChanged, "pmlens", fmt.Sprintf("%s: sha256 %s before, %s now", configName(cfg), m[1], sum))
		}
	}
	signIn := "on"
	if !cfg.Auth.IsEnabled() {
		signIn = "off (loopback demo)"
	}
	a.auditor.Event(meta, eventServerStarted, "pmlens", fmt.Sprintf("pmlens %s on %s; sign-in %s; audit retention %s; configuration %s, config sha256 %s",
		versionString(), url, signIn, cfg.Auth.AuditRetention, configName(cfg), sum))
}

// neverLoaded lists configured sources without a successful or partial run in the
// published warehouse.
func neverLoaded(ctx context.Context, r *warehouse.Reader, cfg *configs.Config) []string {
	loaded := map[string]bool{}
	if s, release, err := r.Acquire(ctx); err == nil {
		rows, err := s.DB.QueryContext(ctx, `SELECT DISTINCT source FROM sync_runs WHERE status IN ('success', 'partial')`)
		if err == nil {
			for rows.Next() {
				var n string
				if rows.Scan(&n) == nil {
					loaded[n] = true
				}
			}
			rows.Close()
		}
		release()
	}
	var out []string
	for _, src := range cfg.Sources {
		if !loaded[src.Name] {
			out = append(out, src.Name)
		}
	}
	return out
}

// workbenchCaller maps the signed-in principal onto the sandbox's roles and
// scope. Viewers map to no sandbox role, so the workbench refuses them.
func workbenchCaller(c *gin.Context) workbench.Caller {
	p, ok := auth.FromContext(c)
	if !ok {
		return workbench.Caller{}
	}
	u := workbench.Caller{Name: p.User}
	switch {
	case p.Can(auth.RoleAdmin):
		u.Role = sandbox.RoleAdmin
	case p.Can(auth.RoleAnalyst):
		u.Role = sandbox.RoleAnalyst
	}
	if !p.AllScopes && u.Role != sandbox.RoleAdmin {
		u.Scope = &sandbox.Scope{Portfolios: p.Portfolios, Programs: p.Programs}
	}
	return u
}
