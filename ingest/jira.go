package ingest

import (
	"context"
	"errors"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/warehouse"
)

func syncJira(ctx context.Context, env Env, src configs.Source, run *warehouse.Run) error {
	return errors.New("the jira connector is not available in this build")
}
