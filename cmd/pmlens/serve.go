package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/gin-gonic/gin"

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
	if err := requireLoopback(cfg.Server.Addr); err != nil {
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

	handler := dashboards.New(dashboards.Options{
		Reader:    reader,
		Config:    cfg,
		Logger:    log,
		Scheduler: sched,
		Version:   versionString(),
		Nav:       []dashboards.NavLink{workbench.NavLink},
		Warm:      dashboards.DefaultWarmPaths(),
		Register: []func(gin.IRouter){func(r gin.IRouter) {
			workbench.Register(r, workbench.Deps{Sandbox: sb, Audit: audit, Logger: log})
		}},
	})
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Server.Addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	sched.Start()
	// Sources that have never loaded run now rather than at their first schedule, so
	// a new installation (and the demo) shows data within seconds.
	for _, name := range neverLoaded(ctx, reader, cfg) {
		if err := sched.Trigger(name); err != nil {
			log.Warn("initial sync not started", "source", name, "err", err)
		}
	}
	url := "http://" + ln.Addr().String()
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

// requireLoopback refuses addresses other machines can reach: pmlens has no sign-in
// yet, and a hospital network must not get an open reporting service by accident.
func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageError{fmt.Sprintf("server address %q is not host:port", addr)}
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing to listen on %s: pmlens serves without sign-in, so it binds only loopback addresses (127.0.0.1, ::1, localhost); put an authenticating reverse proxy in front of a loopback address to share it", addr)
}
