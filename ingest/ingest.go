// Package ingest runs configured sources: it opens the warehouse writer, hands each
// source's connector a warehouse.Run, refreshes the derived metrics inside the same
// transaction, and publishes. It is the only place that knows which connector
// serves which source type.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/warehouse"
)

// Env is what every connector may use.
type Env struct {
	Logger     *slog.Logger
	Config     *configs.Config
	HTTPClient *http.Client
	Now        func() time.Time
}

// syncFunc loads one source into a run. Returning an error fails (and rolls back)
// the whole run; run.Problem records a bad file or row and lets the rest load.
type syncFunc func(ctx context.Context, env Env, src configs.Source, run *warehouse.Run) error

// Syncer runs sources against the configured warehouse. It is safe for concurrent
// use; runs are serialised because the warehouse has one writer.
type Syncer struct {
	env Env
	mu  sync.Mutex
}

// New returns a Syncer. Zero fields of env get defaults.
func New(env Env) *Syncer {
	if env.Logger == nil {
		env.Logger = slog.New(slog.DiscardHandler)
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.HTTPClient == nil {
		env.HTTPClient = &http.Client{Timeout: 2 * time.Minute}
	}
	return &Syncer{env: env}
}

// OpenWriter opens the configured warehouse for writing (migrating it, recovering
// interrupted runs and publishing a first version if needed).
func OpenWriter(ctx context.Context, cfg *configs.Config, log *slog.Logger) (*warehouse.Writer, error) {
	key, err := cfg.Privacy.HashKey()
	if err != nil {
		return nil, err
	}
	return warehouse.Open(ctx, warehouse.Options{
		Path:         cfg.Warehouse.Path,
		KeepVersions: cfg.Warehouse.KeepVersions,
		LockTimeout:  cfg.Warehouse.LockTimeout,
		Logger:       log,
		Projects:     cfg.Projects,
		Currency:     cfg.Metrics.Currency,
		HashKey:      key,
	})
}

// Prepare opens and closes the writer once: migrations, recovery and the first
// publication happen before any reader needs them.
func (s *Syncer) Prepare(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, err := OpenWriter(ctx, s.env.Config, s.env.Logger)
	if err != nil {
		return err
	}
	return w.Close()
}

// Sync runs the named sources (all when names is empty) once each and returns one
// result per source. The error is non-nil only when the warehouse itself could not
// be opened or a name is unknown; a source's own failure is in its Result.
func (s *Syncer) Sync(ctx context.Context, names ...string) ([]warehouse.Result, error) {
	srcs, err := s.pick(names)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w, err := OpenWriter(ctx, s.env.Config, s.env.Logger)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	results := make([]warehouse.Result, 0, len(srcs))
	for _, src := range srcs {
		if ctx.Err() != nil {
			break
		}
		results = append(results, s.runOne(ctx, w, src))
	}
	return results, nil
}

func (s *Syncer) pick(names []string) ([]configs.Source, error) {
	if len(names) == 0 {
		return s.env.Config.Sources, nil
	}
	var out []configs.Source
	for _, n := range names {
		src, ok := s.env.Config.SourceByName(n)
		if !ok {
			return nil, fmt.Errorf("no source named %q in the configuration", n)
		}
		out = append(out, src)
	}
	return out, nil
}

func (s *Syncer) runOne(ctx context.Context, w *warehouse.Writer, src configs.Source) warehouse.Result {
	log := s.env.Logger.With("source", src.Name, "type", src.Type)
	run, err := w.Begin(ctx, src.Name, src.Type)
	if err != nil {
		return warehouse.Result{Source: src.Name, Status: warehouse.StatusFailed, Err: err}
	}
	log = log.With("run_id", run.ID())
	log.Info("sync started")
	fn, err := connectorFor(src.Type)
	if err == nil {
		err = fn(ctx, s.env, src, run)
	}
	if err == nil {
		run.BeginDerived()
		err = refreshDerived(ctx, s.env, run)
	}
	if err != nil {
		err = fmt.Errorf("source %s: %w", src.Name, err)
	}
	res := w.Finish(ctx, run, err)
	attrs := []any{"status", res.Status, "rows", res.Rows, "derived_rows", run.DerivedRows(), "duration", res.Duration.Round(time.Millisecond), "problems", len(res.Problems), "version", res.Version}
	if res.Err != nil {
		log.Error("sync failed", append(attrs, "err", res.Err)...)
	} else {
		log.Info("sync finished", attrs...)
	}
	return res
}

// connectorFor maps a source type to its connector.
func connectorFor(typ string) (syncFunc, error) {
	switch typ {
	case configs.TypeMSProject:
		return syncMSProject, nil
	case configs.TypeJira:
		return syncJira, nil
	case configs.TypeJiraExport:
		return syncJiraExport, nil
	case configs.TypeRiskRegister:
		return syncRiskRegister, nil
	}
	return nil, fmt.Errorf("unknown source type %q", typ)
}

// Retryable reports whether a failed run is worth retrying later: network and
// server-side faults and a busy warehouse, not bad input or bad credentials.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var r interface{ Retryable() bool }
	if errors.As(err, &r) {
		return r.Retryable()
	}
	return errors.Is(err, warehouse.ErrLocked)
}
