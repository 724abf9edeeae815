package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/ingest"
	"github.com/pmlens/pmlens/warehouse"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func cmdSync(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("sync", stderr, "pmlens sync [--config FILE] [--source NAME]...: sync sources once; exit 1 if any failed")
	var sources stringList
	fs.Var(&sources, "source", "source to sync (repeatable; default: all)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q (use --source NAME)", fs.Arg(0))}
	}
	cfg, err := loadConfig(ctx, *cfgPath)
	if err != nil {
		return err
	}
	for _, s := range sources {
		if _, ok := cfg.SourceByName(s); !ok {
			return usageError{fmt.Sprintf("no source named %q in %s", s, configName(cfg))}
		}
	}
	syncer := ingest.New(ingest.Env{Logger: newLogger(cfg, stderr), Config: cfg})
	results, err := syncer.Sync(ctx, sources...)
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		fmt.Fprintln(stdout, formatResult(r))
		for _, p := range r.Problems {
			fmt.Fprintf(stdout, "    problem: %s: %v\n", p.Location, p.Err)
		}
		if r.Status == warehouse.StatusFailed {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d sources failed", failed, len(results))
	}
	return nil
}

func formatResult(r warehouse.Result) string {
	line := fmt.Sprintf("%-20s %-8s %8d rows  %s", r.Source, r.Status, r.Rows, r.Duration.Round(time.Millisecond))
	if r.Err != nil {
		line += "  error: " + r.Err.Error()
	}
	return line
}

func configName(cfg *configs.Config) string {
	if cfg.Demo {
		return "the built-in demo configuration"
	}
	return cfg.File
}
