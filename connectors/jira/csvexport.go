package jira

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pmlens/pmlens/configs"
)

// CSVExportOptions configure ParseCSVExport.
type CSVExportOptions struct {
	Overrides   configs.JiraFields
	Risk        configs.JiraRisk
	Text        TextFields
	HoursPerDay float64
	DaysPerWeek float64
	// Location is the zone of the export's wall-clock times (the exporting
	// user's); CSV exports carry no offsets.
	Location *time.Location
}

// csvColumns finds columns by header name; Jira repeats a header once per value
// (Sprint, Labels, Fix Version/s, Comment, Log Work), and names custom fields
// "Custom field (Name)".
type csvColumns map[string][]int

func (c csvColumns) find(names ...string) []int {
	for _, n := range names {
		n = strings.ToLower(n)
		for _, key := range []string{n, "custom field (" + n + ")"} {
			if idx, ok := c[key]; ok {
				return idx
			}
		}
	}
	return nil
}

// ParseCSVExport parses Jira's issue CSV export ("all fields"). Rows that cannot
// be read are returned as problems (naming the line) and skipped. CSV exports
// hold no changelog, so issues carry their current sprints (ids made up from
// the names, negative) with unknown join times, and no status history.
func ParseCSVExport(b []byte, o CSVExportOptions) ([]*Issue, []error, error) {
	if o.Location == nil {
		o.Location = time.UTC
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("reading the CSV header: %w", err)
	}
	cols := csvColumns{}
	for i, h := range header {
		k := strings.ToLower(strings.TrimSpace(h))
		cols[k] = append(cols[k], i)
	}
	idCol := cols.find("Issue id")
	keyCol := cols.find("Issue key")
	if len(idCol) == 0 || len(keyCol) == 0 {
		return nil, nil, errors.New("not a Jira issue export: the header has no \"Issue id\" and \"Issue key\" columns")
	}
	p := &csvParser{o: o, cols: cols}
	p.resolve()
	var out []*Issue
	var problems []error
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err != csv.ErrFieldCount {
				return out, problems, fmt.Errorf("line %d: %w", line, err)
			}
			problems = append(problems, fmt.Errorf("line %d: %w", line, err))
			continue
		}
		is, err := p.row(rec)
		if err != nil {
			problems = append(problems, fmt.Errorf("line %d: %w", line, err))
			continue
		}
		out = append(out, is)
	}
	return out, problems, nil
}

type csvParser struct {
	o    CSVExportOptions
	cols csvColumns

	storyPoints, sprint, epic, parentLink       []int
	startDate, targetStart, targetEnd           []int
	riskProb, riskCost, riskScore, riskResponse []int
	riskCategory, riskOwner                     []int
}

// resolve finds the custom-field columns: configured names first, then the
// standard ones.
func (p *csvParser) resolve() {
	pick := func(configured string, defaults ...string) []int {
		if configured != "" {
			return p.cols.find(configured)
		}
		return p.cols.find(defaults...)
	}
	f := p.o.Overrides
	p.storyPoints = pick(f.StoryPoints, "Story Points", "Story point estimate")
	p.sprint = pick(f.Sprint, "Sprint")
	p.epic = pick(f.EpicLink, "Epic Link")
	p.parentLink = pick(f.ParentLink, "Parent Link")
	p.startDate = pick(f.StartDate, "Start date")
	p.targetStart = pick(f.TargetStart, "Target start")
	p.targetEnd = pick(f.TargetEnd, "Target end")
	r := p.o.Risk
	if r.IssueType != "" && r.IssueType != "-" {
		p.riskProb = pick(r.Probability)
		p.riskCost = pick(r.ImpactCost)
		p.riskScore = pick(r.ImpactScore)
		p.riskResponse = pick(r.Response)
		p.riskCategory = pick(r.Category)
		if o := strings.ToLower(r.Owner); o != "" && o != "assignee" && o != "reporter" {
			p.riskOwner = pick(r.Owner)
		}
	}
}

func cell(rec []string, idx []int) string {
	for _, i := range idx {
		if i < len(rec) {
			if v := strings.TrimSpace(rec[i]); v != "" {
				return v
			}
		}
	}
	return ""
}

func cells(rec []string, idx []int) []string {
	var out []string
	for _, i := range idx {
		if i < len(rec) {
			if v := strings.TrimSpace(rec[i]); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

var csvTimeLayouts = []string{
	"02/Jan/06 3:04 PM", "2/Jan/06 3:04 PM", "02/Jan/06 15:04", "02/Jan/2006 3:04 PM", "02/Jan/2006 15:04",
	"2006-01-02 15:04", "2006-01-02 15:04:05", "2006/01/02 15:04", "01/02/2006 15:04", "1/2/2006 3:04 PM",
	"02/Jan/06", "2006-01-02",
}

// csvTime parses an export timestamp: with an offset when it has one, else as
// wall-clock time in the export's zone.
func (p *csvParser) csvTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := parseTime(s); err == nil {
		return t, nil
	}
	for _, l := range csvTimeLayouts {
		if t, err := time.ParseInLocation(l, s, p.o.Location); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q is in no known Jira export format", s)
}

func (p *csvParser) csvDate(s string) (time.Time, error) {
	t, err := p.csvTime(s)
	if err != nil || t.IsZero() {
		if d, derr := parseDate(s); derr == nil {
			return d, nil
		}
		return time.Time{}, err
	}
	// A date-only cell was parsed as midnight in the export zone: keep its date.
	local := t.In(p.o.Location)
	return time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC), nil
}

var csvCategories = map[string]string{"to do": "new", "new": "new", "in progress": "indeterminate", "indeterminate": "indeterminate", "done": "done", "complete": "done"}

func (p *csvParser) row(rec []string) (*Issue, error) {
	var errs []string
	idStr := cell(rec, p.cols.find("Issue id"))
	id, err := strconv.ParseInt(idStr, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("issue id %q is not a number", idStr)
	}
	is := &Issue{ID: id, Key: cell(rec, p.cols.find("Issue key"))}
	tm := func(names ...string) time.Time {
		t, err := p.csvTime(cell(rec, p.cols.find(names...)))
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", names[0], err))
		}
		return t
	}
	dt := func(idx []int, name string) time.Time {
		t, err := p.csvDate(cell(rec, idx))
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", name, err))
		}
		return t
	}
	num := func(idx []int, name string) *float64 {
		s := cell(rec, idx)
		if s == "" {
			return nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %q is not a number", name, s))
			return nil
		}
		return &f
	}
	is.ProjectKey = cell(rec, p.cols.find("Project key"))
	is.ProjectName = cell(rec, p.cols.find("Project name"))
	if is.ProjectKey == "" {
		if k, _, ok := strings.Cut(is.Key, "-"); ok {
			is.ProjectKey = k
		}
	}
	is.Type = cell(rec, p.cols.find("Issue Type"))
	is.Status = cell(rec, p.cols.find("Status"))
	is.StatusCategory = csvCategories[strings.ToLower(cell(rec, p.cols.find("Status Category")))]
	is.Priority = cell(rec, p.cols.find("Priority"))
	is.Resolution = cell(rec, p.cols.find("Resolution"))
	is.Created = tm("Created")
	is.Updated = tm("Updated")
	is.Resolved = tm("Resolved")
	is.DueDate = dt(p.cols.find("Due Date", "Due date"), "Due Date")
	is.StartDate = dt(p.startDate, "Start date")
	is.TargetStart = dt(p.targetStart, "Target start")
	is.TargetEnd = dt(p.targetEnd, "Target end")
	is.Labels = cells(rec, p.cols.find("Labels"))
	is.Components = cells(rec, p.cols.find("Component/s", "Components"))
	for _, v := range cells(rec, p.cols.find("Fix Version/s", "Fix versions")) {
		is.FixVersions = append(is.FixVersions, Version{ID: "name:" + is.ProjectKey + ":" + v, Name: v, ProjectKey: is.ProjectKey})
	}
	if pid := cell(rec, p.cols.find("Parent id", "Parent")); pid != "" {
		if n, err := strconv.ParseInt(pid, 10, 64); err == nil {
			is.ParentID = n
		}
	}
	is.ParentKey = cell(rec, p.cols.find("Parent key"))
	is.EpicKey = cell(rec, p.epic)
	if is.ParentKey == "" {
		is.ParentKey = cell(rec, p.parentLink)
	}
	is.StoryPoints = num(p.storyPoints, "Story Points")
	is.OriginalEstimate = num(p.cols.find("Original Estimate", "Original estimate"), "Original Estimate")
	is.RemainingEstimate = num(p.cols.find("Remaining Estimate"), "Remaining Estimate")
	is.TimeSpent = num(p.cols.find("Time Spent"), "Time Spent")
	for _, name := range cells(rec, p.sprint) {
		is.Sprints = append(is.Sprints, Sprint{ID: syntheticSprintID(name), Name: name})
	}
	if v := cell(rec, p.cols.find("Assignee")); v != "" {
		is.Assignee = &Person{DisplayName: v}
	}
	if v := cell(rec, p.cols.find("Reporter")); v != "" {
		is.Reporter = &Person{DisplayName: v}
	}
	t := p.o.Text
	if t.Summary {
		is.Summary = cell(rec, p.cols.find("Summary"))
	}
	if t.Description {
		is.Description = cell(rec, p.cols.find("Description"))
	}
	if t.Environment {
		is.Environment = cell(rec, p.cols.find("Environment"))
	}
	if t.Comments {
		// "date;author;body" — the body may itself contain semicolons.
		for n, c := range cells(rec, p.cols.find("Comment")) {
			parts := strings.SplitN(c, ";", 3)
			if len(parts) < 3 {
				continue
			}
			at, _ := p.csvTime(parts[0])
			is.Comments = append(is.Comments, Comment{ID: fmt.Sprintf("csv-%d-%d", id, n+1), Created: at, Author: &Person{DisplayName: parts[1]}, Body: parts[2]})
		}
	}
	// "comment;started;author;seconds" — the comment may contain semicolons, so
	// the fixed parts are taken from the right.
	for n, w := range cells(rec, p.cols.find("Log Work")) {
		parts := strings.Split(w, ";")
		if len(parts) < 4 {
			// The cell holds a comment and a name: say where, not what.
			errs = append(errs, fmt.Sprintf("Log Work value %d has %d of the parts comment;started;author;seconds", n+1, len(parts)))
			continue
		}
		k := len(parts)
		secs, err := strconv.ParseInt(strings.TrimSpace(parts[k-1]), 10, 64)
		if err != nil {
			if secs, err = parseDuration(parts[k-1], p.o.HoursPerDay, p.o.DaysPerWeek); err != nil {
				errs = append(errs, fmt.Sprintf("Log Work: %v", err))
				continue
			}
		}
		started, err := p.csvTime(parts[k-3])
		if err != nil {
			errs = append(errs, fmt.Sprintf("Log Work: %v", err))
			continue
		}
		wl := Worklog{ID: fmt.Sprintf("csv-%d-%d", id, n+1), Started: started, Seconds: secs}
		if a := strings.TrimSpace(parts[k-2]); a != "" {
			wl.Author = &Person{DisplayName: a}
		}
		if t.WorklogComments {
			wl.Comment = strings.Join(parts[:k-3], ";")
		}
		is.Worklogs = append(is.Worklogs, wl)
	}
	is.WorklogsComplete = true
	if r := p.o.Risk; r.IssueType != "" && r.IssueType != "-" && strings.EqualFold(is.Type, r.IssueType) {
		risk := &Risk{Status: is.Status, Category: cell(rec, p.riskCategory)}
		if t.RiskResponses {
			// A CSV cell does not tell a select list from typed text.
			risk.Response = cell(rec, p.riskResponse)
		}
		if t.Summary {
			risk.Title = is.Summary
		}
		switch strings.ToLower(r.Owner) {
		case "", "assignee":
			risk.Owner = is.Assignee
		case "reporter":
			risk.Owner = is.Reporter
		default:
			if v := cell(rec, p.riskOwner); v != "" {
				risk.Owner = &Person{DisplayName: v}
			}
		}
		if v := cell(rec, p.riskProb); v != "" {
			raw, _ := json.Marshal(v)
			risk.Probability, risk.ProbabilityScore = probability(raw)
		}
		risk.ImpactCost = num(p.riskCost, "risk impact cost")
		risk.ImpactScore = score(cell(rec, p.riskScore))
		is.Risk = risk
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("issue %s: %s", is.Key, strings.Join(errs, "; "))
	}
	is.SprintMemberships = sprintMemberships(is)
	return is, nil
}
