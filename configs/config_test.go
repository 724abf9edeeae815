package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBadConfigsNameKeyAndLine(t *testing.T) {
	cases := []struct {
		file string
		want []string // every fragment must appear in the error
	}{
		{"unknown-key.yaml", []string{"unknown-key.yaml:3", "warehouse.pth", "unknown key", "path"}},
		{"inline-token.yaml", []string{"inline-token.yaml:7", "sources[0].auth.token", "token_env", "token_file"}},
		{"bad-schedule.yaml", []string{"bad-schedule.yaml:5", "sources[0].schedule", `"every hour"`}},
		{"duplicate-name.yaml", []string{"duplicate-name.yaml:5", "sources[1].name", "unique"}},
		{"bad-type.yaml", []string{"bad-type.yaml:3", "sources[0].type", "primavera"}},
		{"jira-no-auth.yaml", []string{"sources[0].url", "not an http(s) URL", "sources[0].auth", "token_env"}},
		{"bad-addr.yaml", []string{"bad-addr.yaml:2", "server.addr", "host:port"}},
		{"foreign-key.yaml", []string{"foreign-key.yaml:5", "sources[0].deployment", "not a key of msproject sources"}},
		{"workbench.yaml", []string{"workbench.yaml:2", "workbench.max_concurrent", "workbench.memory_limit", `"lots"`, "workbench.niceness"}},
		{"project-agile.yaml", []string{"project-agile.yaml:8", "projects[0].agile.planned_points", "must be positive"}},
		{"project-unknown-source.yaml", []string{"projects[0].currency", "ISO 4217", "projects[0].sources[0].source", `"jira"`}},
		{"not-a-list.yaml", []string{"not-a-list.yaml:2", "sources", "expected a list"}},
		{"syntax.yaml", []string{"syntax.yaml", "line"}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			_, err := Load(filepath.Join("testdata", "bad", tc.file))
			if err == nil {
				t.Fatal("loaded without error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestGoodConfigs(t *testing.T) {
	dir, _ := filepath.Abs(filepath.Join("testdata", "good"))
	cfg, err := Load(filepath.Join(dir, "minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Warehouse.Path, filepath.Join(dir, "data", "pmlens.duckdb"); got != want {
		t.Errorf("warehouse path %q, want %q (relative to the config folder)", got, want)
	}
	if got, want := cfg.Sources[0].Path, filepath.Join(dir, "exports"); got != want {
		t.Errorf("source path %q, want %q", got, want)
	}
	if cfg.Server.Addr != "127.0.0.1:8080" || cfg.Warehouse.KeepVersions != 3 || cfg.Sources[0].Retry.Attempts != 3 {
		t.Errorf("defaults not applied: %+v", cfg)
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	cfg, err := Load("pmlens.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Sources) != 3 || len(cfg.Projects) != 1 {
		t.Fatalf("example lost sources or projects: %d, %d", len(cfg.Sources), len(cfg.Projects))
	}
	if cfg.Warehouse.LockTimeout != 10*time.Minute {
		t.Errorf("lock_timeout = %v", cfg.Warehouse.LockTimeout)
	}
	if w := cfg.Workbench; w.MaxConcurrent != 4 || w.Timeout != 30*time.Second || w.MemoryLimit != "512MB" || w.Niceness != 10 {
		t.Errorf("workbench section not read: %+v", w)
	}
	p, ok := cfg.ProjectFor("schedules", "ehr upgrade 2026")
	if !ok || p.ID != "ehr-upgrade" {
		t.Errorf("glob mapping EHR* did not claim a schedule title: %v %v", p, ok)
	}
}

func TestAuthTokenFromEnvAndFile(t *testing.T) {
	t.Setenv("PMLENS_TEST_TOKEN", "s3cret")
	if tok, err := (Auth{TokenEnv: "PMLENS_TEST_TOKEN"}).Token(); err != nil || tok != "s3cret" {
		t.Fatalf("env token: %q %v", tok, err)
	}
	f := filepath.Join(t.TempDir(), "tok")
	_ = os.WriteFile(f, []byte("filetoken\n"), 0o600)
	if tok, err := (Auth{TokenFile: f}).Token(); err != nil || tok != "filetoken" {
		t.Fatalf("file token: %q %v", tok, err)
	}
	_, err := (Auth{TokenEnv: "PMLENS_TEST_UNSET_VAR"}).Token()
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "PMLENS_TEST_UNSET_VAR") {
		t.Fatalf("unset env: %v", err)
	}
}
