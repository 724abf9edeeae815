package jira

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pmlens/pmlens/configs"
)

// ExportOptions configure an import of Jira exports (type jira-export).
type ExportOptions struct {
	Source string
	// Path is a file, a folder (searched recursively) or a glob of *.json search
	// pages and *.csv issue exports. A fields.json (the /rest/api/2/field list)
	// anywhere among them drives custom-field discovery.
	Path          string
	Text          TextFields
	IncludePeople bool
	Fields        configs.JiraFields
	Risk          configs.JiraRisk
	HoursPerDay   float64
	DaysPerWeek   float64
	// Location is the zone of CSV wall-clock times.
	Location *time.Location
	Logger   *slog.Logger
	Now      func() time.Time
}

// ExportOptionsFromSource maps a configured jira-export source.
func ExportOptionsFromSource(src configs.Source, log *slog.Logger) (ExportOptions, error) {
	o := src.Jira.WithDefaults()
	loc, err := time.LoadLocation(o.ExportTimeZone)
	if err != nil {
		return ExportOptions{}, fmt.Errorf("export_time_zone: %w", err)
	}
	opts, err := OptionsFromSource(src, nil, log)
	if err != nil {
		return ExportOptions{}, err
	}
	return ExportOptions{
		Source: src.Name, Path: src.Path, Text: opts.Text, IncludePeople: o.IncludePeople,
		Fields: o.Fields, Risk: o.Risk, HoursPerDay: o.HoursPerDay, DaysPerWeek: o.DaysPerWeek,
		Location: loc, Logger: log,
	}, nil
}

// StateExportFile prefixes the state key holding an imported file's hash: an
// unchanged file is not read again.
const StateExportFile = "jira-export.file:"

// ImportExport loads every export file under opts.Path. A file that cannot be
// parsed is a problem of the run (which ends partial); the other files load.
func ImportExport(ctx context.Context, opts ExportOptions, store Store) (Stats, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	var st Stats
	files, fieldFiles, err := exportFiles(opts.Path)
	if err != nil {
		return st, err
	}
	var fields []Field
	for _, ff := range fieldFiles {
		fs, err := readFieldsFile(ff)
		if err != nil {
			store.Problem(ff, err)
			continue
		}
		fields = append(fields, fs...)
	}
	base, warns := NewCatalog(fields, opts.Fields, opts.Risk)
	for _, w := range warns {
		if len(fields) > 0 {
			store.Problem("config", errors.New(w))
		}
	}
	if len(fields) > 0 {
		if err := store.Fields(ctx, base.Fields); err != nil {
			return st, err
		}
	}
	im := &importer{opts: opts, store: store, base: base, fields: fields, sprints: map[int64]Sprint{}, versions: map[string]Version{}, statuses: map[string]Status{}}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		n, err := im.file(ctx, f)
		if err != nil {
			return st, err
		}
		st.Issues += n
	}
	if err := im.flush(ctx); err != nil {
		return st, err
	}
	st.Sprints, st.Versions = len(im.sprints), len(im.versions)
	return st, store.Finish(ctx, opts.Now().UTC())
}

type importer struct {
	opts     ExportOptions
	store    Store
	base     *Catalog
	fields   []Field
	sprints  map[int64]Sprint
	versions map[string]Version
	statuses map[string]Status
}

// exportFiles lists the export files in name order (so later exports, named by
// date, apply last) and the fields.json files.
func exportFiles(path string) (files, fieldFiles []string, err error) {
	var cands []string
	st, statErr := os.Stat(path)
	switch {
	case statErr == nil && st.IsDir():
		err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				cands = append(cands, p)
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("listing %s: %w", path, err)
		}
	case statErr == nil:
		cands = []string{path}
	case strings.ContainsAny(path, "*?["):
		cands, err = filepath.Glob(path)
		if err != nil {
			return nil, nil, fmt.Errorf("path %q: %w", path, err)
		}
	default:
		return nil, nil, fmt.Errorf("export path: %w", statErr)
	}
	sort.Strings(cands)
	for _, p := range cands {
		switch ext := strings.ToLower(filepath.Ext(p)); {
		case strings.EqualFold(filepath.Base(p), "fields.json"):
			fieldFiles = append(fieldFiles, p)
		case ext == ".json" || ext == ".csv":
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("no .json or .csv export files at %s", path)
	}
	return files, fieldFiles, nil
}

func readFieldsFile(path string) ([]Field, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseFieldList(b)
}

// ParseFieldList parses a saved /rest/api/2/field answer.
func ParseFieldList(b []byte) ([]Field, error) {
	var raw []struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Custom bool   `json:"custom"`
		Schema struct {
			Type   string `json:"type"`
			Items  string `json:"items"`
			Custom string `json:"custom"`
		} `json:"schema"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("not a /rest/api/2/field list: %w", err)
	}
	out := make([]Field, 0, len(raw))
	for _, f := range raw {
		if f.ID == "" {
			continue
		}
		out = append(out, Field{ID: f.ID, Name: f.Name, Custom: f.Custom, SchemaType: f.Schema.Type, SchemaItems: f.Schema.Items, SchemaCustom: f.Schema.Custom})
	}
	return out, nil
}

func (im *importer) file(ctx context.Context, path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		im.store.Problem(path, err)
		return 0, nil
	}
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:])
	if prev, ok, err := im.store.State(ctx, StateExportFile+path); err != nil {
		return 0, err
	} else if ok && prev == hash {
		im.opts.Logger.Debug("export file unchanged; skipped", "file", path)
		return 0, nil
	}
	var issues []*Issue
	var rowProblems []error
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		issues, rowProblems, err = ParseCSVExport(b, im.csvOptions())
	} else {
		issues, err = im.parseJSON(b)
	}
	if err != nil {
		im.store.Problem(path, err)
		return 0, nil
	}
	for _, p := range rowProblems {
		im.store.Problem(path, p)
	}
	partial := 0
	for _, is := range issues {
		if !is.ChangelogComplete && len(is.Histories) > 0 {
			partial++
		}
		for _, sp := range is.Sprints {
			if old, ok := im.sprints[sp.ID]; !ok || (old.Name == "" && sp.Name != "") {
				if !im.opts.Text.SprintGoals {
					sp.Goal = ""
				}
				im.sprints[sp.ID] = sp
			}
		}
		for _, v := range is.FixVersions {
			if _, ok := im.versions[v.ID]; !ok {
				im.versions[v.ID] = v
			}
		}
		if is.StatusID != "" {
			im.statuses[is.StatusID] = Status{ID: is.StatusID, Name: is.Status, Category: is.StatusCategory}
		}
	}
	if partial > 0 {
		im.opts.Logger.Warn("export holds truncated changelogs; their status history is partial", "file", path, "issues", partial)
	}
	for i := 0; i < len(issues); i += 500 {
		if err := im.store.Issues(ctx, issues[i:min(i+500, len(issues))]); err != nil {
			return 0, err
		}
	}
	im.opts.Logger.Info("imported jira export", "file", path, "issues", len(issues))
	return len(issues), im.store.SetState(ctx, StateExportFile+path, hash)
}

func (im *importer) flush(ctx context.Context) error {
	ss := make([]Status, 0, len(im.statuses))
	for _, s := range im.statuses {
		ss = append(ss, s)
	}
	sort.Slice(ss, func(i, j int) bool { return ss[i].ID < ss[j].ID })
	if err := im.store.Statuses(ctx, ss); err != nil {
		return err
	}
	sps := make([]Sprint, 0, len(im.sprints))
	for _, s := range im.sprints {
		sps = append(sps, s)
	}
	sort.Slice(sps, func(i, j int) bool { return sps[i].ID < sps[j].ID })
	if err := im.store.Sprints(ctx, sps); err != nil {
		return err
	}
	vs := make([]Version, 0, len(im.versions))
	for _, v := range im.versions {
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].ID < vs[j].ID })
	return im.store.Versions(ctx, vs)
}

func (im *importer) parseJSON(b []byte) ([]*Issue, error) {
	return ParseJSONExport(b, JSONExportOptions{
		Fields: im.fields, Overrides: im.opts.Fields, Risk: im.opts.Risk, Text: im.opts.Text,
		HoursPerDay: im.opts.HoursPerDay, DaysPerWeek: im.opts.DaysPerWeek,
	})
}

func (im *importer) csvOptions() CSVExportOptions {
	return CSVExportOptions{Overrides: im.opts.Fields, Risk: im.opts.Risk, Text: im.opts.Text,
		HoursPerDay: im.opts.HoursPerDay, DaysPerWeek: im.opts.DaysPerWeek, Location: im.opts.Location}
}

// JSONExportOptions configure ParseJSONExport.
type JSONExportOptions struct {
	// Fields is the site's field list (fields.json), if there is one.
	Fields      []Field
	Overrides   configs.JiraFields
	Risk        configs.JiraRisk
	Text        TextFields
	HoursPerDay float64
	DaysPerWeek float64
}

// ParseJSONExport parses a saved search page (/rest/api/2/search, optionally
// with expand=changelog,names), a JSON array of issues, or one issue. Without a
// field list, custom fields are found by the page's `names`, the configured
// names, the standard names, and finally the sprint field by the shape of its
// values.
func ParseJSONExport(b []byte, o JSONExportOptions) ([]*Issue, error) {
	b = bytes.TrimPrefix(bytes.TrimSpace(b), []byte("\xef\xbb\xbf"))
	if len(b) == 0 {
		return nil, errors.New("empty file")
	}
	var page searchPage
	switch b[0] {
	case '{':
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(b, &probe); err != nil {
			return nil, fmt.Errorf("not JSON: %w", err)
		}
		if _, ok := probe["issues"]; ok {
			if err := json.Unmarshal(b, &page); err != nil {
				return nil, fmt.Errorf("not a Jira search page: %w", err)
			}
		} else if _, ok := probe["fields"]; ok {
			var w wireIssue
			if err := json.Unmarshal(b, &w); err != nil {
				return nil, fmt.Errorf("not a Jira issue: %w", err)
			}
			page.Issues = []wireIssue{w}
		} else {
			return nil, errors.New("JSON object is neither a search page (issues) nor an issue (fields)")
		}
	case '[':
		if err := json.Unmarshal(b, &page.Issues); err != nil {
			return nil, fmt.Errorf("not a JSON array of Jira issues: %w", err)
		}
	default:
		return nil, errors.New("not JSON: expected { or [")
	}
	fields := o.Fields
	if len(fields) == 0 {
		fields = fieldsFromNames(page.Names)
	}
	cat, _ := NewCatalog(fields, o.Overrides, o.Risk)
	if cat.Sprint == "" {
		cat.Sprint = sniffSprintField(page.Issues)
	}
	cv := &converter{cat: cat, text: o.Text, hoursPerDay: o.HoursPerDay, daysPerWeek: o.DaysPerWeek}
	out := make([]*Issue, 0, len(page.Issues))
	for i := range page.Issues {
		is, err := cv.convert(&page.Issues[i])
		if err != nil {
			return nil, fmt.Errorf("issue %d of %d: %w", i+1, len(page.Issues), err)
		}
		is.needChangelog, is.needWorklogs = false, false
		cv.finish(is)
		out = append(out, is)
	}
	return out, nil
}

func fieldsFromNames(names map[string]string) []Field {
	ids := make([]string, 0, len(names))
	for id := range names {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]Field, 0, len(ids))
	for _, id := range ids {
		out = append(out, Field{ID: id, Name: names[id], Custom: strings.HasPrefix(id, "customfield_")})
	}
	return out
}

// sniffSprintField finds the sprint field by its values: Cloud's objects with
// boardId and state, or Server's "…greenhopper.service.sprint.Sprint@…" strings.
func sniffSprintField(issues []wireIssue) string {
	for _, w := range issues {
		keys := make([]string, 0, len(w.Fields.custom))
		for k := range w.Fields.custom {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := bytes.TrimSpace(w.Fields.custom[k])
			if len(v) < 2 || v[0] != '[' {
				continue
			}
			var arr []json.RawMessage
			if json.Unmarshal(v, &arr) != nil || len(arr) == 0 {
				continue
			}
			e := bytes.TrimSpace(arr[0])
			if len(e) == 0 {
				continue
			}
			if e[0] == '"' && bytes.Contains(e, []byte("greenhopper.service.sprint.Sprint@")) {
				return k
			}
			if e[0] == '{' {
				var probe map[string]json.RawMessage
				if json.Unmarshal(e, &probe) == nil {
					_, b := probe["boardId"]
					_, s := probe["state"]
					if b && s {
						return k
					}
				}
			}
		}
	}
	return ""
}
