package ingest

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/connectors/jira"
	"github.com/pmlens/pmlens/warehouse"
)

func syncJira(ctx context.Context, env Env, src configs.Source, run *warehouse.Run) error {
	return runJira(ctx, env, src, run, nil)
}

// runJira syncs a jira source; adjust, when set, changes the connector options
// after they are read from the configuration (tests shorten retry delays).
func runJira(ctx context.Context, env Env, src configs.Source, run *warehouse.Run, adjust func(*jira.Options)) error {
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("source", src.Name, "run_id", run.ID())
	var base http.RoundTripper
	if env.HTTPClient != nil {
		base = env.HTTPClient.Transport
	}
	opts, err := jira.OptionsFromSource(src, base, log)
	if err != nil {
		return err
	}
	opts.Now = env.Now
	if adjust != nil {
		adjust(&opts)
	}
	loader := warehouse.NewJiraLoader(run, warehouse.JiraLoadOptions{Text: opts.Text, IncludePeople: opts.IncludePeople, Now: env.Now})
	st, err := jira.Sync(ctx, opts, loader)
	log.Info("jira sync", "deployment", st.Deployment, "issues", st.Issues, "backfill", st.Backfill, "reconciled", st.Reconciled,
		"deleted", st.Deleted, "out_of_scope", st.OutOfScope, "boards", st.Boards, "sprints", st.Sprints, "versions", st.Versions)
	return err
}
