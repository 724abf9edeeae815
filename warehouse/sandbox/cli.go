package sandbox

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"time"
)

// CLIRequest is one `pmlens query` invocation.
type CLIRequest struct {
	// SQL is the statement to run.
	SQL string
	// Format is table (default), csv, json, xlsx or parquet.
	Format string
	// OutFile receives the result instead of out; required for xlsx and parquet.
	// It is written to a temporary file beside it and renamed, so a failed query
	// never leaves half a file.
	OutFile string
	// User and Role are recorded in the audit log; User defaults to "cli:<OS
	// user>", Role to RoleAnalyst. RoleAdmin may query audit_log.
	User string
	Role string
	// Stderr receives notes such as "result cut at N rows"; nil discards them.
	Stderr io.Writer
}

// RunCLI runs req through the same sandbox, limits and audit log as the web
// workbench and writes the result to out (or req.OutFile). It works while
// `pmlens serve` runs: both only read the published version, and audit records
// go through the shared spool. opts.WarehousePath is required; when opts.Audit
// is nil the warehouse's AuditLog is opened and folded before returning.
func RunCLI(ctx context.Context, out io.Writer, req CLIRequest, opts Options) error {
	if req.Format == "" {
		req.Format = string(FormatTable)
	}
	format, err := ParseFormat(req.Format)
	if err != nil {
		return err
	}
	if format.Binary() && req.OutFile == "" {
		return fmt.Errorf("format %s is binary: give a file with --out", format)
	}
	if req.User == "" {
		req.User = "cli:" + osUser()
	}
	if req.Role == "" {
		req.Role = RoleAnalyst
	}
	if req.Stderr == nil {
		req.Stderr = io.Discard
	}
	if opts.Audit == nil {
		al, err := OpenAuditLog(ctx, opts.WarehousePath, opts.Logger)
		if err != nil {
			return err
		}
		opts.Audit = al
		defer func() {
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
			defer cancel()
			// A running server folds what this leaves in the spool.
			_, _ = al.Fold(fctx)
		}()
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = 1
	}
	sb, err := New(opts)
	if err != nil {
		return err
	}
	defer sb.Close()
	res, err := sb.Query(ctx, Request{SQL: req.SQL, User: req.User, Role: req.Role, Client: "cli"})
	if err != nil {
		return err
	}
	if res.Truncated {
		fmt.Fprintf(req.Stderr, "note: the result was cut at %d rows (the row limit); aggregate or add LIMIT/WHERE to see the rest\n", len(res.Rows))
	}
	if req.OutFile == "" {
		return Write(out, res, format)
	}
	return writeFileAtomic(req.OutFile, func(w io.Writer) error {
		return Write(w, res, format, WriteOptions{TempDir: filepath.Dir(req.OutFile)})
	})
}

func writeFileAtomic(path string, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := fill(tmp); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	ok = true
	return nil
}

func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return "unknown"
}
