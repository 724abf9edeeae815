package ingest

import (
	"context"

	"github.com/pmlens/pmlens/metrics"
	"github.com/pmlens/pmlens/warehouse"
)

// refreshDerived recomputes the metrics tables inside the run's transaction, so a
// published version's metrics always match its data.
func refreshDerived(ctx context.Context, env Env, run *warehouse.Run) error {
	return metrics.Refresh(ctx, run, metrics.RefreshOptions{Config: env.Config, Logger: env.Logger, Now: env.Now})
}
