package configs

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/robfig/cron/v3"
)

// validator collects every problem in one pass so a user fixes the file once.
type validator struct {
	file  string
	lines map[string]int
	errs  []error
}

// fail records a problem at the key path (e.g. "sources[1].schedule").
func (v *validator) fail(path, format string, args ...any) {
	line := v.lines[path]
	for p := path; line == 0 && p != ""; {
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
		line = v.lines[p]
	}
	v.errs = append(v.errs, &Error{File: v.file, Line: line, Key: path, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) err() error { return errors.Join(v.errs...) }

var (
	namePattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	cronParser   = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	validLevels  = map[string]bool{"debug": true, "info": true, "warn": true, "error": true}
	validFormats = map[string]bool{"text": true, "json": true}
)

// ParseSchedule parses a source's schedule: a five-field cron expression or a
// descriptor such as "@every 1h" or "@daily".
func ParseSchedule(spec string) (cron.Schedule, error) {
	return cronParser.Parse(spec)
}

func (c *Config) validate(v *validator) {
	if _, _, err := net.SplitHostPort(c.Server.Addr); err != nil {
		v.fail("server.addr", "%q is not host:port", c.Server.Addr)
	}
	if c.Warehouse.KeepVersions < 1 {
		v.fail("warehouse.keep_versions", "must be at least 1")
	}
	if !strings.HasSuffix(c.Warehouse.Path, ".duckdb") {
		v.fail("warehouse.path", "%q must end in .duckdb", c.Warehouse.Path)
	}
	if !validLevels[c.Log.Level] {
		v.fail("log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	if !validFormats[c.Log.Format] {
		v.fail("log.format", "%q is not one of text, json", c.Log.Format)
	}
	seen := map[string]int{}
	for i := range c.Sources {
		s := &c.Sources[i]
		p := fmt.Sprintf("sources[%d]", i)
		switch {
		case s.Name == "":
			v.fail(p+".name", "every source needs a name")
		case !namePattern.MatchString(s.Name):
			v.fail(p+".name", "%q must be lower-case letters, digits, - or _", s.Name)
		default:
			if j, dup := seen[s.Name]; dup {
				v.fail(p+".name", "%q is already the name of sources[%d]; names must be unique", s.Name, j)
			}
			seen[s.Name] = i
		}
		if s.Schedule != "" {
			if _, err := ParseSchedule(s.Schedule); err != nil {
				v.fail(p+".schedule", "%q is not a cron expression or @every interval: %v", s.Schedule, err)
			}
		}
		if s.Retry.Attempts < 1 {
			v.fail(p+".retry.attempts", "must be at least 1")
		}
		switch s.Type {
		case TypeMSProject, TypeJiraExport, TypeRiskRegister:
			if s.Path == "" {
				v.fail(p+".path", "a %s source needs a path (a file, folder or glob)", s.Type)
			}
		case TypeJira:
			if s.URL == "" {
				v.fail(p+".url", "a jira source needs the Jira base URL")
			} else if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				v.fail(p+".url", "%q is not an http(s) URL", s.URL)
			}
			if s.Auth.TokenEnv == "" && s.Auth.TokenFile == "" {
				v.fail(p+".auth", "a jira source needs auth.token_env or auth.token_file")
			}
			if s.Auth.TokenEnv != "" && s.Auth.TokenFile != "" {
				v.fail(p+".auth", "give either token_env or token_file, not both")
			}
		case "":
			v.fail(p+".type", "every source needs a type (msproject, jira, jira-export, risk-register)")
		default:
			v.fail(p+".type", "%q is not one of msproject, jira, jira-export, risk-register", s.Type)
		}
		if err := s.validateOptions(); err != nil {
			v.fail(p, "%v", err)
		}
		if s.Type != "" {
			for _, k := range s.foreignKeys() {
				v.fail(p+"."+k, "is not a key of %s sources", s.Type)
			}
		}
	}
	ids := map[string]bool{}
	for i, pr := range c.Projects {
		p := fmt.Sprintf("projects[%d]", i)
		if pr.ID == "" {
			v.fail(p+".id", "every project needs an id")
		} else if ids[pr.ID] {
			v.fail(p+".id", "%q is used twice", pr.ID)
		}
		ids[pr.ID] = true
		if pr.Budget < 0 {
			v.fail(p+".budget", "must not be negative")
		}
		if pr.Currency != "" && !currencyPattern.MatchString(pr.Currency) {
			v.fail(p+".currency", "%q is not a three-letter ISO 4217 code", pr.Currency)
		}
		for j, ps := range pr.Sources {
			if _, ok := seen[ps.Source]; !ok {
				v.fail(fmt.Sprintf("%s.sources[%d].source", p, j), "%q is not the name of a configured source", ps.Source)
			}
		}
		if pr.Agile != nil {
			pr.Agile.Validate(func(k, format string, args ...any) { v.fail(p+".agile."+k, format, args...) })
		}
	}
	c.Metrics.validate(v)
	c.Auth.validate(v)
	c.Workbench.validate(v)
}

var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

// validateOptions checks the type-specific options of the source's own type.
func (s *Source) validateOptions() error {
	switch s.Type {
	case TypeMSProject:
		return s.MSProject.validate(s)
	case TypeJira, TypeJiraExport:
		return s.Jira.validate(s)
	case TypeRiskRegister:
		return s.RiskRegister.validate(s)
	}
	return nil
}

// foreignKeys lists the keys set on a source that belong to other source
// types ("deployment" on an msproject source): the YAML decoder accepts them
// because every type's options are inlined into Source, but they would be
// silently ignored, which a person reading the file would not expect.
func (s *Source) foreignKeys() []string {
	owners := []struct {
		opts  any
		types []string
	}{
		{s.MSProject, []string{TypeMSProject}},
		{s.Jira, []string{TypeJira, TypeJiraExport}},
		{s.RiskRegister, []string{TypeRiskRegister}},
	}
	var out []string
	for _, o := range owners {
		if slices.Contains(o.types, s.Type) {
			continue
		}
		out = append(out, setKeys(reflect.ValueOf(o.opts), s.Type)...)
	}
	return out
}

// setKeys names the non-zero fields of an options struct by their YAML key,
// descending into inlined structs; SourcePrivacy is shared with risk registers.
func setKeys(v reflect.Value, srcType string) []string {
	var out []string
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")
		if tag[0] == "-" || !f.IsExported() {
			continue
		}
		if len(tag) > 1 && tag[1] == "inline" {
			if f.Type == reflect.TypeOf(SourcePrivacy{}) && srcType == TypeRiskRegister {
				continue
			}
			out = append(out, setKeys(fv, srcType)...)
			continue
		}
		if !fv.IsZero() {
			out = append(out, tag[0])
		}
	}
	return out
}
