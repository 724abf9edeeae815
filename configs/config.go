// Package configs holds pmlens's typed configuration: the YAML schema, its loader and
// validation, and the commented example in pmlens.example.yaml.
package configs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Source types pmlens knows how to sync.
const (
	TypeMSProject    = "msproject"
	TypeJira         = "jira"
	TypeJiraExport   = "jira-export"
	TypeRiskRegister = "risk-register"
)

// Config is the whole pmlens configuration. Relative paths inside it have already
// been resolved against Dir by Load.
type Config struct {
	Warehouse Warehouse  `yaml:"warehouse"`
	Server    Server     `yaml:"server"`
	Sources   []Source   `yaml:"sources"`
	Projects  []Project  `yaml:"projects"`
	Privacy   Privacy    `yaml:"privacy"`
	Log       Log        `yaml:"log"`
	Metrics   Metrics    `yaml:"metrics"`
	Auth      AuthConfig `yaml:"auth"`
	Workbench Workbench  `yaml:"workbench"`

	// File is the path the configuration was read from ("" for the built-in demo).
	File string `yaml:"-"`
	// Dir is the folder relative paths resolve against.
	Dir string `yaml:"-"`
	// Demo is true for the built-in demo configuration.
	Demo bool `yaml:"-"`
}

// Warehouse configures the DuckDB warehouse.
type Warehouse struct {
	// Path is the published, read-only analytics database analysts open. pmlens keeps
	// its working database and published versions in the folder Path + ".d".
	Path string `yaml:"path"`
	// KeepVersions is how many published versions stay on disk for readers that still
	// have an older one open.
	KeepVersions int `yaml:"keep_versions"`
	// LockTimeout bounds how long a sync waits for another pmlens process that is
	// writing the same warehouse.
	LockTimeout time.Duration `yaml:"lock_timeout"`
}

// Server configures `pmlens serve`.
type Server struct {
	Addr string `yaml:"addr"`
}

// Auth holds credentials for a networked source. Secrets are referenced, never inline.
type Auth struct {
	Email     string `yaml:"email"`
	TokenEnv  string `yaml:"token_env"`
	TokenFile string `yaml:"token_file"`
}

// Token reads the secret from the environment variable or file named in the config.
func (a Auth) Token() (string, error) {
	switch {
	case a.TokenEnv != "":
		v := os.Getenv(a.TokenEnv)
		if v == "" {
			return "", fmt.Errorf("environment variable %s (auth.token_env) is empty or unset", a.TokenEnv)
		}
		return v, nil
	case a.TokenFile != "":
		b, err := os.ReadFile(a.TokenFile)
		if err != nil {
			return "", fmt.Errorf("reading auth.token_file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", nil
}

// Retry configures how the scheduler retries a source whose run failed with a
// retryable error.
type Retry struct {
	Attempts int           `yaml:"attempts"`
	Initial  time.Duration `yaml:"initial"`
	Max      time.Duration `yaml:"max"`
}

// Source is one configured data source. The keys name, type, path, schedule, url,
// auth and jql are fixed; type-specific options are inlined from their own structs.
type Source struct {
	Name     string `yaml:"name"`
	Type     string `yaml:"type"`
	Path     string `yaml:"path"`
	Schedule string `yaml:"schedule"`
	URL      string `yaml:"url"`
	Auth     Auth   `yaml:"auth"`
	JQL      string `yaml:"jql"`
	Retry    Retry  `yaml:"retry"`

	MSProject    MSProjectOptions    `yaml:",inline"`
	Jira         JiraOptions         `yaml:",inline"`
	RiskRegister RiskRegisterOptions `yaml:",inline"`

	// Line is where the source starts in the config file, for error messages.
	Line int `yaml:"-"`
}

// IsFileSource reports whether the source reads files from Path.
func (s Source) IsFileSource() bool {
	return s.Type == TypeMSProject || s.Type == TypeJiraExport || s.Type == TypeRiskRegister
}

// Project maps source-level keys (a schedule's title, a Jira project key) to one
// pmlens project and gives it the attributes roll-ups need.
type Project struct {
	ID          string          `yaml:"id"`
	Name        string          `yaml:"name"`
	Program     string          `yaml:"program"`
	Portfolio   string          `yaml:"portfolio"`
	Budget      float64         `yaml:"budget"`
	Currency    string          `yaml:"currency"`
	Contingency float64         `yaml:"contingency"`
	Sources     []ProjectSource `yaml:"sources"`
	Agile       *Agile          `yaml:"agile"`
}

// ProjectSource says which keys of which source belong to a project. Key is matched
// case-insensitively as a glob against the source-level key (schedule title or file
// name for msproject, project key for Jira, the Project column for risk registers).
type ProjectSource struct {
	Source string `yaml:"source"`
	Key    string `yaml:"key"`
}

// Agile holds the release plan AgileEVM needs for a Jira-driven project.
type Agile struct {
	ReleaseBudget  float64 `yaml:"release_budget"`
	PlannedPoints  float64 `yaml:"planned_points"`
	PlannedSprints int     `yaml:"planned_sprints"`
	SprintDays     int     `yaml:"sprint_days"`
	Start          string  `yaml:"start"`
	HourlyRate     float64 `yaml:"hourly_rate"`
	ActualCost     float64 `yaml:"actual_cost"`
}

// Privacy configures how personal data is protected.
type Privacy struct {
	// HashKeyEnv / HashKeyFile name the secret used to hash people's names. Without
	// one, pmlens creates a random key inside the warehouse, so hashes are stable per
	// warehouse but cannot be correlated across installations.
	HashKeyEnv  string `yaml:"hash_key_env"`
	HashKeyFile string `yaml:"hash_key_file"`
}

// HashKey returns the configured person-hashing key, or nil when none is configured.
func (p Privacy) HashKey() ([]byte, error) {
	a := Auth{TokenEnv: p.HashKeyEnv, TokenFile: p.HashKeyFile}
	k, err := a.Token()
	if err != nil {
		return nil, fmt.Errorf("privacy hash key: %w", err)
	}
	if k == "" {
		return nil, nil
	}
	return []byte(k), nil
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// Error is a configuration problem tied to a place in the file.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	loc := e.File
	if loc == "" {
		loc = "config"
	}
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, e.Line)
	}
	if e.Key != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// Load reads, checks and resolves the configuration file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, abs, filepath.Dir(abs))
}

// Parse checks and resolves configuration bytes. file names the origin in error
// messages; dir is the folder relative paths resolve against.
func Parse(data []byte, file, dir string) (*Config, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, errEOF) || err.Error() == "EOF" {
			return nil, &Error{File: file, Msg: "the file is empty"}
		}
		return nil, &Error{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	lines := map[string]int{}
	if err := checkKeys(file, &root, typeOfConfig, "", lines); err != nil {
		return nil, err
	}
	cfg := &Config{}
	if err := root.Decode(cfg); err != nil {
		return nil, &Error{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	for i := range cfg.Sources {
		cfg.Sources[i].Line = lines[fmt.Sprintf("sources[%d]", i)]
	}
	cfg.File, cfg.Dir = file, dir
	v := validator{file: file, lines: lines}
	cfg.applyDefaults()
	cfg.validate(&v)
	if err := v.err(); err != nil {
		return nil, err
	}
	cfg.resolvePaths()
	return cfg, nil
}

var errEOF = errors.New("EOF")

func (c *Config) applyDefaults() {
	if c.Warehouse.Path == "" {
		c.Warehouse.Path = "data/pmlens.duckdb"
	}
	if c.Warehouse.KeepVersions == 0 {
		c.Warehouse.KeepVersions = 3
	}
	if c.Warehouse.LockTimeout == 0 {
		c.Warehouse.LockTimeout = 10 * time.Minute
	}
	if c.Server.Addr == "" {
		c.Server.Addr = "127.0.0.1:8080"
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	for i := range c.Sources {
		r := &c.Sources[i].Retry
		if r.Attempts == 0 {
			r.Attempts = 3
		}
		if r.Initial == 0 {
			r.Initial = 30 * time.Second
		}
		if r.Max == 0 {
			r.Max = 10 * time.Minute
		}
	}
	c.Metrics.applyDefaults()
	c.Auth.applyDefaults()
}

func (c *Config) resolvePaths() {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(c.Dir, p)
	}
	c.Warehouse.Path = abs(c.Warehouse.Path)
	c.Privacy.HashKeyFile = abs(c.Privacy.HashKeyFile)
	c.Auth.resolvePaths(abs)
	for i := range c.Sources {
		s := &c.Sources[i]
		s.Auth.TokenFile = abs(s.Auth.TokenFile)
		if s.IsFileSource() {
			s.Path = abs(s.Path)
		}
	}
}

// SourceByName returns the named source.
func (c *Config) SourceByName(name string) (Source, bool) {
	for _, s := range c.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

// ProjectFor returns the configured project that claims key of the named source.
func (c *Config) ProjectFor(source, key string) (Project, bool) {
	return MatchProject(c.Projects, source, key)
}

// MatchProject returns the first project whose sources claim key of the named source.
func MatchProject(projects []Project, source, key string) (Project, bool) {
	for _, p := range projects {
		for _, ps := range p.Sources {
			if ps.Source != source {
				continue
			}
			if ok, _ := filepath.Match(strings.ToLower(ps.Key), strings.ToLower(key)); ok {
				return p, true
			}
		}
	}
	return Project{}, false
}

// DefaultDataDir is where pmlens keeps data when no configuration names a place:
// $PMLENS_DATA_DIR, else $XDG_DATA_HOME/pmlens, else ~/.local/share/pmlens. It is
// never inside the repository.
func DefaultDataDir() (string, error) {
	if d := os.Getenv("PMLENS_DATA_DIR"); d != "" {
		return filepath.Abs(d)
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "pmlens"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding a data folder (set PMLENS_DATA_DIR): %w", err)
	}
	return filepath.Join(home, ".local", "share", "pmlens"), nil
}
