package ingest

import (
	"context"
	"log/slog"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/connectors/jira"
	"github.com/pmlens/pmlens/warehouse"
)

func syncJiraExport(ctx context.Context, env Env, src configs.Source, run *warehouse.Run) error {
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("source", src.Name, "run_id", run.ID())
	opts, err := jira.ExportOptionsFromSource(src, log)
	if err != nil {
		return err
	}
	opts.Now = env.Now
	loader := warehouse.NewJiraLoader(run, warehouse.JiraLoadOptions{Text: opts.Text, IncludePeople: opts.IncludePeople, Now: env.Now})
	st, err := jira.ImportExport(ctx, opts, loader)
	log.Info("jira export import", "issues", st.Issues, "sprints", st.Sprints, "versions", st.Versions)
	return err
}
