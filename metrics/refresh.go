package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/warehouse"
)

// RefreshOptions carries what the derived tables depend on besides the data.
type RefreshOptions struct {
	Config *configs.Config
	Logger *slog.Logger
	Now    func() time.Time
}

// refreshStep recomputes one family of derived tables inside a sync run.
type refreshStep struct {
	name string
	fn   func(context.Context, *warehouse.Run, RefreshOptions) error
}

// Refresh recomputes every derived metrics table inside the run's transaction, so
// a published version's metrics always match its data. Each step decides how much
// it must recompute (new snapshots only, unless its configuration changed).
func Refresh(ctx context.Context, run *warehouse.Run, opts RefreshOptions) error {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	steps := []refreshStep{
		{"earned value", refreshEVM},
		{"risk", refreshRisk},
		{"flow", refreshFlow},
		{"forecasts", refreshForecasts},
	}
	for _, s := range steps {
		start := time.Now()
		if err := s.fn(ctx, run, opts); err != nil {
			return fmt.Errorf("refreshing %s metrics: %w", s.name, err)
		}
		opts.Logger.Debug("metrics refreshed", "step", s.name, "duration", time.Since(start))
	}
	return nil
}
