package jira

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// TextFields says which free-text fields a source opted into.
type TextFields struct {
	Summary, Description, Comments, Environment bool
	WorklogComments, SprintGoals, ProjectNames  bool
	RiskResponses                               bool
}

// isOption reports whether a field value is a select option ({"value": …}) or a
// list of them, rather than typed text.
func isOption(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 1 && (v[0] == '{' || (v[0] == '[' && bytes.HasPrefix(bytes.TrimSpace(v[1:]), []byte("{"))))
}

// converter turns wire issues into records for one source. Pages convert
// concurrently, so its cache is locked.
type converter struct {
	cat         *Catalog
	text        TextFields
	hoursPerDay float64
	daysPerWeek float64

	mu      sync.Mutex
	sprints map[string][]Sprint // raw sprint field → parsed; thousands of issues share a value
	people  map[wireUser]*Person
}

// person returns the shared record of a user: the same few people author
// every history and worklog, and buffered issues should not hold a copy each.
// The record must not be modified.
func (cv *converter) person(u *wireUser) *Person {
	if u == nil {
		return nil
	}
	cv.mu.Lock()
	defer cv.mu.Unlock()
	if p, ok := cv.people[*u]; ok {
		return p
	}
	if cv.people == nil || len(cv.people) > 4096 {
		cv.people = map[wireUser]*Person{}
	}
	p := u.person()
	cv.people[*u] = p
	return p
}

// sprintField parses a sprint field value through the cache. The parsed slice
// is shared between issues and must not be modified.
func (cv *converter) sprintField(raw json.RawMessage) ([]Sprint, error) {
	if isNull(raw) {
		return nil, nil
	}
	cv.mu.Lock()
	sp, ok := cv.sprints[string(raw)]
	cv.mu.Unlock()
	if ok {
		return sp, nil
	}
	sp, err := parseSprintField(raw)
	if err != nil {
		return nil, err
	}
	cv.mu.Lock()
	if cv.sprints == nil || len(cv.sprints) > 4096 {
		cv.sprints = map[string][]Sprint{}
	}
	cv.sprints[string(raw)] = sp
	cv.mu.Unlock()
	return sp, nil
}

// convert builds the record of a wire issue. Embedded changelogs and worklogs
// that Jira truncated are marked for a follow-up fetch.
func (cv *converter) convert(w *wireIssue) (*Issue, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(w.ID), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("issue %q: id %q is not a number", w.Key, w.ID)
	}
	is := &Issue{ID: id, Key: w.Key}
	f := &w.Fields
	var errs []string
	ts := func(name, v string) time.Time {
		t, err := parseTime(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("field %s: %v", name, err))
		}
		return t
	}
	date := func(name string, v string) time.Time {
		t, err := parseDate(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("field %s: %v", name, err))
		}
		return t
	}
	customDate := func(id string) time.Time {
		if id == "" {
			return time.Time{}
		}
		return date(id, rawString(f.get(id)))
	}
	if p := f.Project; p != nil {
		is.ProjectKey, is.ProjectName = p.Key, p.Name
	}
	if t := f.IssueType; t != nil {
		is.Type, is.Subtask = t.Name, t.Subtask
	}
	if st := f.Status; st != nil {
		is.StatusID, is.Status, is.StatusCategory = st.ID, st.Name, st.StatusCategory.Key
		if is.StatusCategory == "" {
			is.StatusCategory = cv.cat.statusCategory(st.ID, st.Name)
		}
	}
	if f.Priority != nil {
		is.Priority = f.Priority.Name
	}
	if f.Resolution != nil {
		is.Resolution = f.Resolution.Name
	}
	is.Created = ts("created", f.Created)
	is.Updated = ts("updated", f.Updated)
	is.Resolved = ts("resolutiondate", f.ResolutionDate)
	is.DueDate = date("duedate", f.DueDate)
	is.StartDate = customDate(cv.cat.StartDate)
	is.TargetStart = customDate(cv.cat.TargetStart)
	is.TargetEnd = customDate(cv.cat.TargetEnd)
	is.Labels = f.Labels
	for _, c := range f.Components {
		is.Components = append(is.Components, c.Name)
	}
	for _, v := range f.FixVersions {
		ver := Version{ID: v.ID, Name: v.Name, Released: v.Released, Archived: v.Archived, ProjectKey: is.ProjectKey}
		ver.ReleaseDate, _ = parseDate(v.ReleaseDate)
		ver.StartDate, _ = parseDate(v.StartDate)
		is.FixVersions = append(is.FixVersions, ver)
	}
	if p := f.Parent; p != nil {
		is.ParentID, _ = strconv.ParseInt(p.ID, 10, 64)
		is.ParentKey = p.Key
	}
	if cv.cat.EpicLink != "" {
		is.EpicKey = rawString(f.get(cv.cat.EpicLink))
	}
	if is.ParentKey == "" && cv.cat.ParentLink != "" {
		// Advanced Roadmaps' Parent Link holds {id, key?, data{key}} or a key.
		is.ParentKey = parentLinkKey(f.get(cv.cat.ParentLink))
	}
	is.StoryPoints = cv.storyPoints(f, is.ProjectKey)
	is.OriginalEstimate = optFloat(f.TimeOriginalEstimate)
	is.RemainingEstimate = optFloat(f.TimeEstimate)
	is.TimeSpent = optFloat(f.TimeSpent)
	if cv.cat.Sprint != "" {
		sp, err := cv.sprintField(f.get(cv.cat.Sprint))
		if err != nil {
			errs = append(errs, fmt.Sprintf("field %s (sprint): %v", cv.cat.Sprint, err))
		}
		is.Sprints = sp
	}
	is.Assignee, is.Reporter = cv.person(f.Assignee), cv.person(f.Reporter)

	if cv.text.Summary {
		is.Summary = rawString(f.Summary)
	}
	if cv.text.Description {
		is.Description = rawString(f.Description)
	}
	if cv.text.Environment {
		is.Environment = rawString(f.Environment)
	}
	if cv.text.Comments && !isNull(f.Comment) {
		var wc wireComments
		if err := json.Unmarshal(f.Comment, &wc); err != nil {
			errs = append(errs, fmt.Sprintf("field comment: %v", err))
		}
		for _, c := range wc.Comments {
			t, _ := parseTime(c.Created)
			is.Comments = append(is.Comments, Comment{ID: c.ID, Created: t, Author: cv.person(c.Author), Body: c.Body})
		}
	}

	if w.Changelog != nil {
		hs, err := cv.histories(w.Changelog.Histories)
		if err != nil {
			errs = append(errs, err.Error())
		}
		is.Histories = hs
		n, cl := len(w.Changelog.Histories), w.Changelog
		is.ChangelogComplete = n >= cl.Total
		if cl.Total == 0 && n > 0 && cl.MaxResults > 0 {
			// No total given: a full page may have been cut short.
			is.ChangelogComplete = n < cl.MaxResults
		}
		is.needChangelog = !is.ChangelogComplete
	}
	if wl := f.Worklog; wl != nil {
		ws, err := cv.worklogs(wl.Worklogs)
		if err != nil {
			errs = append(errs, err.Error())
		}
		is.Worklogs = ws
		is.WorklogsComplete = len(wl.Worklogs) >= wl.Total
		is.needWorklogs = !is.WorklogsComplete
	}
	if cv.cat.riskEnabled && strings.EqualFold(is.Type, cv.cat.RiskType) {
		is.Risk = cv.risk(f, is)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("issue %s: %s", w.Key, strings.Join(errs, "; "))
	}
	return is, nil
}

func (cv *converter) storyPoints(f *wireFields, project string) *float64 {
	if id, ok := cv.cat.StoryPointsByProject[strings.ToUpper(project)]; ok {
		return optFloat(f.get(id))
	}
	for _, id := range cv.cat.StoryPoints {
		if v := optFloat(f.get(id)); v != nil {
			return v
		}
	}
	return nil
}

func optFloat(v json.RawMessage) *float64 {
	f, ok := rawFloat(v)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

func parentLinkKey(v json.RawMessage) string {
	if isNull(v) {
		return ""
	}
	var o struct {
		Key  string `json:"key"`
		Data struct {
			Key string `json:"key"`
		} `json:"data"`
	}
	if json.Unmarshal(v, &o) == nil {
		if o.Data.Key != "" {
			return o.Data.Key
		}
		return o.Key
	}
	return rawString(v)
}

// histories keeps the status and sprint items of each history, oldest first.
func (cv *converter) histories(in []wireHistory) ([]History, error) {
	out := make([]History, 0, len(in))
	for _, h := range in {
		var items []Item
		for _, it := range h.Items {
			x := Item{Field: it.Field, FieldID: it.FieldID, From: it.From, FromString: it.FromString, To: it.To, ToString: it.ToString}
			switch {
			case strings.EqualFold(it.FieldID, "status") || (it.FieldID == "" && strings.EqualFold(it.Field, "status")):
				x.isStatus = true
			case cv.isSprintItem(it):
				x.isSprint = true
			default:
				continue
			}
			items = append(items, x)
		}
		if len(items) == 0 {
			continue
		}
		t, err := parseTime(h.Created)
		if err != nil {
			return nil, fmt.Errorf("changelog history %s: %w", h.ID, err)
		}
		out = append(out, History{ID: h.ID, Created: t, Author: cv.person(h.Author), Items: items})
	}
	sortHistories(out)
	return out, nil
}

func (cv *converter) isSprintItem(it wireItem) bool {
	if it.FieldID != "" {
		return cv.cat.Sprint != "" && it.FieldID == cv.cat.Sprint
	}
	// Data Center items carry only the field's display name at the time.
	return strings.EqualFold(it.Field, "Sprint") || (cv.cat.SprintName != "" && strings.EqualFold(it.Field, cv.cat.SprintName))
}

// sortHistories orders by time, then numeric id: expand=changelog lists newest
// first, /changelog oldest first.
func sortHistories(hs []History) {
	less := func(i, j int) bool {
		if !hs[i].Created.Equal(hs[j].Created) {
			return hs[i].Created.Before(hs[j].Created)
		}
		a, ea := strconv.ParseInt(hs[i].ID, 10, 64)
		b, eb := strconv.ParseInt(hs[j].ID, 10, 64)
		if ea == nil && eb == nil {
			return a < b
		}
		return hs[i].ID < hs[j].ID
	}
	if sort.SliceIsSorted(hs, less) {
		return
	}
	if sort.SliceIsSorted(hs, func(i, j int) bool { return less(j, i) }) {
		// Newest first, as expand=changelog lists them: reversing is enough.
		slices.Reverse(hs)
		return
	}
	sort.SliceStable(hs, less)
}

func (cv *converter) worklogs(in []wireWorklog) ([]Worklog, error) {
	out := make([]Worklog, 0, len(in))
	for _, w := range in {
		wl := Worklog{ID: w.ID, Seconds: w.TimeSpentSeconds, Author: cv.person(w.Author)}
		var err error
		if wl.Started, err = parseTime(w.Started); err != nil {
			return nil, fmt.Errorf("worklog %s: %w", w.ID, err)
		}
		wl.Created, _ = parseTime(w.Created)
		wl.Updated, _ = parseTime(w.Updated)
		if wl.Seconds == 0 && w.TimeSpent != "" {
			// Old Server payloads give only "18w 2d".
			s, err := parseDuration(w.TimeSpent, cv.hoursPerDay, cv.daysPerWeek)
			if err != nil {
				return nil, fmt.Errorf("worklog %s: %w", w.ID, err)
			}
			wl.Seconds = s
		}
		if cv.text.WorklogComments {
			wl.Comment = w.Comment
		}
		out = append(out, wl)
	}
	return out, nil
}

// parseDuration reads Jira's "1w 2d 3h 30m" form; days and weeks follow the
// site's time-tracking settings.
func parseDuration(s string, hoursPerDay, daysPerWeek float64) (int64, error) {
	var total float64
	parts := strings.Fields(s)
	if len(parts) == 0 {
		return 0, fmt.Errorf("duration %q is empty", s)
	}
	for _, p := range parts {
		if len(p) < 2 {
			return 0, fmt.Errorf("duration %q: %q has no unit", s, p)
		}
		n, err := strconv.ParseFloat(p[:len(p)-1], 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("duration %q: %q is not a number with a unit", s, p)
		}
		switch p[len(p)-1] {
		case 'w':
			total += n * daysPerWeek * hoursPerDay * 3600
		case 'd':
			total += n * hoursPerDay * 3600
		case 'h':
			total += n * 3600
		case 'm':
			total += n * 60
		case 's':
			total += n
		default:
			return 0, fmt.Errorf("duration %q: unknown unit in %q", s, p)
		}
	}
	// A worklog of more than ten years is a typo or garbage, and beyond int64.
	if total > 10*365*24*3600 {
		return 0, fmt.Errorf("duration %q is implausibly long", s)
	}
	return int64(math.Round(total)), nil
}

// parseSprintField reads the sprint custom field: Cloud gives an array of
// objects, Server/DC an array of "…Sprint@hash[id=…,name=…]" strings.
func parseSprintField(v json.RawMessage) ([]Sprint, error) {
	if isNull(v) {
		return nil, nil
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(v, &arr); err != nil {
		arr = []json.RawMessage{v}
	}
	var out []Sprint
	for _, e := range arr {
		if isNull(e) {
			continue
		}
		switch e[0] {
		case '{':
			var ws wireSprint
			if err := json.Unmarshal(e, &ws); err != nil {
				return nil, err
			}
			s, err := ws.sprint()
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		case '"':
			var str string
			if err := json.Unmarshal(e, &str); err != nil {
				return nil, err
			}
			s, err := parseSprintString(str)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		default:
			if id, err := strconv.ParseInt(string(e), 10, 64); err == nil {
				out = append(out, Sprint{ID: id})
				continue
			}
			return nil, fmt.Errorf("unexpected sprint value %.40s", e)
		}
	}
	return out, nil
}

func (ws wireSprint) sprint() (Sprint, error) {
	s := Sprint{ID: ws.ID, BoardID: ws.BoardID, Name: ws.Name, State: strings.ToLower(ws.State), Goal: ws.Goal}
	if s.BoardID == 0 {
		s.BoardID = ws.OriginBoardID
	}
	var err error
	for _, p := range []struct {
		dst *time.Time
		v   string
	}{{&s.Start, ws.StartDate}, {&s.End, ws.EndDate}, {&s.Complete, ws.CompleteDate}, {&s.Created, ws.CreatedDate}} {
		if *p.dst, err = parseTime(p.v); err != nil {
			return s, fmt.Errorf("sprint %d: %w", ws.ID, err)
		}
	}
	return s, nil
}

var sprintKeyRE = regexp.MustCompile(`(?:\[|,)(id|rapidViewId|state|name|goal|startDate|endDate|completeDate|activatedDate|sequence|autoStartStop|synced|incompleteIssuesDestinationId)=`)

// parseSprintString parses Server/DC's toString form. Goals may contain commas,
// so values run until the next known key rather than the next comma.
func parseSprintString(s string) (Sprint, error) {
	locs := sprintKeyRE.FindAllStringSubmatchIndex(s, -1)
	if len(locs) == 0 {
		// A bare id (as in changelog items) or a name (CSV exports).
		if id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return Sprint{ID: id}, nil
		}
		return Sprint{}, fmt.Errorf("unrecognised sprint value %.60q", s)
	}
	vals := map[string]string{}
	for i, l := range locs {
		end := len(s)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		} else {
			end = strings.LastIndex(s, "]")
			if end < l[1] {
				end = len(s)
			}
		}
		v := s[l[1]:end]
		if v == "<null>" {
			v = ""
		}
		vals[s[l[2]:l[3]]] = v
	}
	id, err := strconv.ParseInt(vals["id"], 10, 64)
	if err != nil {
		return Sprint{}, fmt.Errorf("sprint value %.60q has no numeric id", s)
	}
	sp := Sprint{ID: id, Name: vals["name"], State: strings.ToLower(vals["state"]), Goal: vals["goal"]}
	sp.BoardID, _ = strconv.ParseInt(vals["rapidViewId"], 10, 64)
	for _, p := range []struct {
		dst *time.Time
		v   string
	}{{&sp.Start, vals["startDate"]}, {&sp.End, vals["endDate"]}, {&sp.Complete, vals["completeDate"]}} {
		t, err := parseTime(p.v)
		if err != nil {
			return Sprint{}, fmt.Errorf("sprint %d: %w", id, err)
		}
		*p.dst = t
	}
	return sp, nil
}

// syntheticSprintID gives a stable negative id to a sprint known only by name
// (CSV exports carry no sprint ids); negative so it never meets a real id.
func syntheticSprintID(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(strings.TrimSpace(name))))
	return -int64(h.Sum64() >> 2)
}

// risk maps the configured risk fields of an issue.
func (cv *converter) risk(f *wireFields, is *Issue) *Risk {
	c := cv.cat
	r := &Risk{Status: is.Status}
	if cv.text.Summary {
		r.Title = rawString(f.Summary)
	}
	if c.RiskCategory != "" {
		r.Category = rawString(f.get(c.RiskCategory))
	}
	if raw := f.get(c.RiskResponse); c.RiskResponse != "" && (cv.text.RiskResponses || isOption(raw)) {
		// A select list (Accept, Mitigate …) is not free text; a text field is.
		r.Response = rawString(raw)
	}
	switch c.RiskOwner {
	case "assignee":
		r.Owner = is.Assignee
	case "reporter":
		r.Owner = is.Reporter
	case "":
	default:
		var u *wireUser
		if raw := f.get(c.RiskOwner); !isNull(raw) && json.Unmarshal(raw, &u) == nil {
			r.Owner = cv.person(u)
		}
	}
	if c.RiskProbability != "" {
		r.Probability, r.ProbabilityScore = probability(f.get(c.RiskProbability))
	}
	if c.RiskImpactCost != "" {
		r.ImpactCost = optFloat(f.get(c.RiskImpactCost))
	}
	if c.RiskImpactScore != "" {
		r.ImpactScore = score(rawString(f.get(c.RiskImpactScore)))
	}
	return r
}

// probability reads a probability field: "30%" or 30 → 0.30, 0.3 → 0.30, an
// integer 1-5 or a label (Likely, High …) → a 1-5 score.
func probability(v json.RawMessage) (*float64, *int) {
	s := strings.TrimSpace(rawString(v))
	if s == "" {
		return nil, nil
	}
	if !strings.ContainsAny(s, ".%") {
		if sc := score(s); sc != nil {
			return nil, sc
		}
	}
	pct := strings.HasSuffix(s, "%")
	x, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, "%")), 64)
	if err != nil || x < 0 {
		return nil, nil
	}
	if pct || x > 1 {
		x /= 100
	}
	if x > 1 {
		return nil, nil
	}
	return &x, nil
}

var scoreLabels = map[string]int{
	"very low": 1, "rare": 1, "negligible": 1, "insignificant": 1, "minimal": 1,
	"low": 2, "unlikely": 2, "minor": 2,
	"medium": 3, "moderate": 3, "possible": 3,
	"high": 4, "likely": 4, "major": 4, "significant": 4,
	"very high": 5, "almost certain": 5, "severe": 5, "critical": 5, "catastrophic": 5, "extreme": 5,
}

// score reads a 1-5 score: a digit 1-5 (also "3 - Moderate") or a known label.
func score(s string) *int {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if s[0] >= '1' && s[0] <= '5' && (len(s) == 1 || !isDigitOrDot(s[1])) {
		n := int(s[0] - '0')
		return &n
	}
	if n, ok := scoreLabels[strings.ToLower(s)]; ok {
		return &n
	}
	return nil
}

func isDigitOrDot(b byte) bool { return (b >= '0' && b <= '9') || b == '.' }
