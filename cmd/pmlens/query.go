package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/pmlens/pmlens/configs"

	"github.com/pmlens/pmlens/warehouse/sandbox"
)

func cmdQuery(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("query", stderr, `pmlens query [--config FILE] [--format table|csv|json|parquet|xlsx] [--out FILE] "SQL": read-only SQL on the published warehouse`)
	format := fs.String("format", "table", "output format: table, csv, json, parquet or xlsx (parquet and xlsx need --out)")
	outFile := fs.String("out", "", "write the result to this file instead of standard output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{`give exactly one SQL statement, quoted, e.g. pmlens query "select * from projects"`}
	}
	f, err := sandbox.ParseFormat(*format)
	if err != nil {
		return usageError{err.Error()}
	}
	if f.Binary() && *outFile == "" {
		return usageError{fmt.Sprintf("--format %s writes a binary file: give --out FILE", f)}
	}
	sql := strings.TrimSpace(fs.Arg(0))
	if sql == "" {
		return usageError{"the SQL statement is empty"}
	}
	cfg, err := loadConfig(ctx, *cfgPath)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	return sandbox.RunCLI(ctx, stdout, sandbox.CLIRequest{
		SQL:     sql,
		Format:  string(f),
		OutFile: *outFile,
		Stderr:  stderr,
	}, sandboxOptions(cfg, log))
}

// sandboxOptions are the SQL sandbox's options from the workbench section of
// the configuration; the CLI and the server use the same limits.
func sandboxOptions(cfg *configs.Config, log *slog.Logger) sandbox.Options {
	w := cfg.Workbench
	memory := ""
	if w.MemoryLimit != "" {
		// Validated at load (at least 16MB); DuckDB reads whole megabytes
		// whatever spelling the file used ("1.5 GB", "1536MB").
		n, _ := configs.ParseByteSize(w.MemoryLimit)
		memory = strconv.FormatInt(n>>20, 10) + "MB"
	}
	return sandbox.Options{WarehousePath: cfg.Warehouse.Path, Logger: log, MaxConcurrent: w.MaxConcurrent,
		QueueWait: w.QueueWait, Timeout: w.Timeout, MaxRows: w.MaxRows, MemoryLimit: memory, Niceness: w.Niceness}
}
