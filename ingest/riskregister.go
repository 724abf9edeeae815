package ingest

import (
	"context"
	"errors"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/warehouse"
)

func syncRiskRegister(ctx context.Context, env Env, src configs.Source, run *warehouse.Run) error {
	return errors.New("the riskregister connector is not available in this build")
}
