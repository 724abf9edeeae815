package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
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
	syncer := ingest.New(ingest.Env{Logger: log, Config: cfg})
	if err := syncer.Prepare(ctx); err != nil {
		return err
	}
	reader := warehouse.NewReader(cfg.Warehouse.Path, "")
	defer reader.Close()

	sched := scheduler.New(scheduler.Options{
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
		if err := sched.Add(src); err != nil {
			return err
		}
	}

	audit, err := sandbox.OpenAuditLog(ctx, cfg.Warehouse.Path, log)
	if err != nil {
		return err
	}
	go audit.Run(ctx, 2*time.Second)
	sb, err := sandbox.New(sandbox.Options{
		WarehousePath: cfg.Warehouse.Path,
		TempDir:       filepath.Join(warehouse.PathsFor(cfg.Warehouse.Path).Dir, "sandbox-tmp"),
		Logger:        log,
		Audit:         audit,
	})
	if err != nil {
		return err
	}
	defer sb.Close()

	authSvc, err := auth.New(auth.Options{Config: cfg.Auth, WarehousePath: cfg.Warehouse.Path, Logger: log, Auditor: auth.SlogAuditor{Logger: log}})
	if err != nil {
		return err
	}
	for _, w := range authSvc.Preflight(ctx) {
		log.Warn(w)
	}
	tlsConfig, err := auth.TLSConfig(cfg.Auth)
	if err != nil {
		return err
	}

	handler := authSvc.Wrap(dashboards.New(dashboards.Options{
		Reader:    reader,
		Config:    cfg,
		Logger:    log,
		Scheduler: sched,
		Version:   versionString(),
		Nav:       []dashboards.NavLink{workbench.NavLink},
		Warm:      dashboards.DefaultWarmPaths(),
		Register: []func(gin.IRouter){authSvc.Register, func(r gin.IRouter) {
			workbench.Register(r, workbench.Deps{Sandbox: sb, Audit: audit, Logger: log})
		}},
	}))
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Server.Addr, err)
	}
	scheme := "http"
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
		scheme = "https"
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		TLSConfig:         tlsConfig,
	}
	sched.Start()
	// Sources that have never loaded run now rather than at their first schedule, so
	// a new installation (and the demo) shows data within seconds.
	for _, name := range neverLoaded(ctx, reader, cfg) {
		if err := sched.Trigger(name); err != nil {
			log.Warn("initial sync not started", "source", name, "err", err)
		}
	}
	url := scheme + "://" + ln.Addr().String()
	log.Info("pmlens serving", "url", url, "config", configName(cfg), "warehouse", cfg.Warehouse.Path)
	fmt.Fprintf(stdout, "pmlens is serving %s on %s\n", configName(cfg), url)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		_ = sched.Stop(context.Background())
		return fmt.Errorf("server stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	herr := srv.Shutdown(shutdownCtx)
	serr := sched.Stop(shutdownCtx)
	if err := errors.Join(herr, serr); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
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
