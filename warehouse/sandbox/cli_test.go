package sandbox

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunCLI(t *testing.T) {
	dir := t.TempDir()
	path := buildWarehouse(t, dir, 3)
	opts := Options{WarehousePath: path}
	var out, notes bytes.Buffer
	err := RunCLI(t.Context(), &out, CLIRequest{SQL: "SELECT project_id FROM projects ORDER BY 1", Format: "csv", User: "cli:test", Stderr: &notes}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "project_id\np000\np001\np002\n"; got != want {
		t.Fatalf("csv %q, want %q", got, want)
	}
	// Binary formats need a file, which is written whole or not at all.
	if err := RunCLI(t.Context(), &out, CLIRequest{SQL: "SELECT 1", Format: "parquet"}, opts); err == nil || !strings.Contains(err.Error(), "--out") {
		t.Fatalf("parquet to terminal: %v", err)
	}
	outFile := filepath.Join(dir, "r.parquet")
	if err := RunCLI(t.Context(), &out, CLIRequest{SQL: "SELECT * FROM projects", Format: "parquet", OutFile: outFile}, opts); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(outFile); err != nil || !bytes.HasPrefix(b, []byte("PAR1")) {
		t.Fatalf("parquet file: %v", err)
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := RunCLI(t.Context(), &out, CLIRequest{SQL: "DROP TABLE projects", Format: "csv", OutFile: bad}, opts); KindOf(err) != KindRefused {
		t.Fatalf("drop: %v", err)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Fatalf("a refused query left %s behind", bad)
	}
	// Truncation is reported on Stderr.
	opts.MaxRows = 2
	out.Reset()
	if err := RunCLI(t.Context(), &out, CLIRequest{SQL: "SELECT * FROM projects", Stderr: &notes}, opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(notes.String(), "cut at 2 rows") {
		t.Fatalf("notes %q", notes.String())
	}
	// The CLI's queries are in the audit log, folded before RunCLI returned: the
	// csv, parquet-file, DROP and truncated runs (parquet-to-terminal was
	// rejected before any query ran).
	al, err := OpenAuditLog(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := countAudit(t, al, "client = 'cli'"); n != 4 {
		t.Fatalf("%d cli audit records, want 4", n)
	}
}
