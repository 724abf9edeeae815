package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fixtureConfig copies a fixture config and its data into a temporary folder so
// each test has its own warehouse, and returns the config's path there.
func fixtureConfig(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	// The fixtures name their warehouse relative to the repo; here it lives in dir.
	body = regexp.MustCompile(`path: \.\./\.\./\.\./test-artifacts/[^\n]+`).ReplaceAll(body, []byte("path: data/pmlens.duckdb"))
	if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(dir, "registers"), os.DirFS(filepath.Join("testdata", "registers"))); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name)
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestSyncThenQueryGolden(t *testing.T) {
	cfg := fixtureConfig(t, "sync.yaml")
	code, out, stderr := runCLI(t, "sync", "--config", cfg)
	if code != exitOK {
		t.Fatalf("sync exit %d\n%s\n%s", code, out, stderr)
	}
	// One line per source: name, status, rows, duration.
	if !regexp.MustCompile(`(?m)^risks\s+success\s+\d+ rows\s+\d`).MatchString(out) {
		t.Fatalf("sync output not one line per source with status and rows:\n%s", out)
	}
	// EMV by hand: ehr = 0.40×100000 + 0.60×20000 = 52000; pacs = 0.25×48000 = 12000.
	const q = `select p.project_id, p.name, p.budget, count(r.risk_id) as risks,
		sum(r.probability * r.impact_cost) as emv
		from projects p left join risks r using (project_id) group by all order by 1`
	for _, f := range []string{"csv", "json", "table"} {
		t.Run(f, func(t *testing.T) {
			code, out, stderr := runCLI(t, "query", "--config", cfg, "--format", f, q)
			if code != exitOK {
				t.Fatalf("query exit %d: %s", code, stderr)
			}
			golden(t, "query."+f, []byte(out))
		})
	}
	code, out, _ = runCLI(t, "query", "--config", cfg, "--format", "csv", q)
	if code != exitOK || !strings.HasPrefix(out, "project_id,name,budget,risks,emv\n") {
		t.Fatalf("csv must start with the header row: %q", out)
	}
}

func TestSyncFailureExitsOneAndNamesTheProblem(t *testing.T) {
	cfg := fixtureConfig(t, "broken.yaml")
	code, out, stderr := runCLI(t, "sync", "--config", cfg)
	if code != exitFailure {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, stderr)
	}
	if !regexp.MustCompile(`(?m)^missing\s+failed`).MatchString(out) || !strings.Contains(out+stderr, "no-such-folder") {
		t.Fatalf("output does not name the failed source and path:\n%s\n%s", out, stderr)
	}
	// The failure is queryable afterwards.
	code, out, _ = runCLI(t, "query", "--config", cfg, "--format", "csv", "select source, status from sync_runs")
	if code != exitOK || !strings.Contains(out, "missing,failed") {
		t.Fatalf("failed run not recorded: %q", out)
	}
}

func TestQueryRefusesWrites(t *testing.T) {
	cfg := fixtureConfig(t, "sync.yaml")
	if code, _, stderr := runCLI(t, "sync", "--config", cfg); code != exitOK {
		t.Fatal(stderr)
	}
	code, _, stderr := runCLI(t, "query", "--config", cfg, "delete from projects")
	if code != exitFailure || stderr == "" {
		t.Fatalf("a write statement was not refused: exit %d %q", code, stderr)
	}
	code, out, _ := runCLI(t, "query", "--config", cfg, "--format", "csv", "select count(*) as n from projects")
	if code != exitOK || !strings.Contains(out, "n\n2\n") {
		t.Fatalf("projects changed after a refused write: %q", out)
	}
}
