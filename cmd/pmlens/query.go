package main

import (
	"context"
	"fmt"
	"io"
	"strings"

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
	}, sandbox.Options{WarehousePath: cfg.Warehouse.Path, Logger: log})
}
