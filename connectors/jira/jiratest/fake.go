// Package jiratest is a fake Jira on httptest that speaks both deployments' wire
// format: Cloud (/rest/api/2/search/jql with nextPageToken, 410 on the removed
// /rest/api/2/search, embedded changelogs truncated to 40 newest-first) and Data
// Center (/rest/api/2/search with startAt/total, full embedded changelogs), plus
// the Agile API, fields, statuses, myself, serverInfo, changelog and worklog
// pages. It serves typed issues (tests, the 200,000-issue benchmark generator)
// and raw sample payloads, with hooks for faults, latency and a rate limit.
package jiratest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Deployments the fake can play.
const (
	Cloud      = "cloud"
	DataCenter = "datacenter"
)

// JiraTime is the REST timestamp layout.
const JiraTime = "2006-01-02T15:04:05.000-0700"

// User is a Jira user.
type User struct {
	AccountID, Name, DisplayName, Email string
}

// Item is a changelog item.
type Item struct {
	Field, FieldID, From, FromString, To, ToString string
}

// History is a changelog entry.
type History struct {
	ID     int64
	At     time.Time
	Author *User
	Items  []Item
}

// Worklog is a worklog entry; TimeSpent without Seconds mimics old Server payloads.
type Worklog struct {
	ID        int64
	Author    *User
	Started   time.Time
	Seconds   int64
	TimeSpent string
	Comment   string
}

// Sprint is an agile sprint.
type Sprint struct {
	ID, BoardID          int64
	Name, State, Goal    string
	Start, End, Complete time.Time
}

// Issue is a fake issue. Raw, when set, is served as the fields object (filtered
// by the requested fields) instead of the typed attributes, which then only
// drive search matching; RawHistories likewise replace Histories.
type Issue struct {
	ID                        int64
	Key, Project, ProjectName string
	Type                      string
	StatusID, Status          string
	Category                  string
	Created, Updated          time.Time
	Resolved                  time.Time
	StoryPoints               float64
	SprintIDs                 []int64
	Assignee, Reporter        *User
	Summary, Description      string
	Extra                     map[string]any
	Histories                 []History
	Worklogs                  []Worklog
	Raw                       map[string]json.RawMessage
	RawHistories              []json.RawMessage
	RawWorklogPage            []byte // served by /worklog instead of Worklogs
	Deleted                   bool
}

// Source is what the fake searches: a slice of issues, or a generator that
// renders issues on demand so 200,000 of them need no memory.
type Source interface {
	Len() int
	// Meta returns the fields search matching needs.
	Meta(i int) (id int64, project string, created, updated time.Time, deleted bool)
	// Issue returns issue i.
	Issue(i int) *Issue
}

// Issues is a Source over a slice; the fake keeps it sorted by created.
type Issues []*Issue

func (s Issues) Len() int { return len(s) }

func (s Issues) Meta(i int) (int64, string, time.Time, time.Time, bool) {
	is := s[i]
	return is.ID, is.Project, is.Created, is.Updated, is.Deleted
}

func (s Issues) Issue(i int) *Issue { return s[i] }

// Server is the fake Jira.
type Server struct {
	*httptest.Server

	mu         sync.Mutex
	deployment string
	source     Source
	sprints    map[int64]Sprint
	boards     []Board
	versions   map[string][]Version
	fieldsJSON []byte
	statuses   []Status
	userTZ     string
	email      string
	token      string
	now        func() time.Time
	ids        map[string][]int // cached search results by JQL
	byID       map[int64]int

	// ChangelogLimit caps Cloud's embedded changelog (newest first). Default 40.
	ChangelogLimit int
	// WorklogLimit caps embedded worklogs. Default 20.
	WorklogLimit int
	// MaxResults caps search pages (Data Center admins set it; Cloud 100, or 5000 for ids).
	MaxResults int
	// ShortPages makes every other page return three issues fewer than asked.
	ShortPages bool
	// IgnoreFields serves every field whatever was requested.
	IgnoreFields bool
	// Latency is added to every response.
	Latency time.Duration
	// Hook runs first; returning true means it answered the request.
	Hook func(w http.ResponseWriter, r *http.Request, n int64) bool

	rate      float64
	burst     float64
	bucket    float64
	bucketAt  time.Time
	requests  atomic.Int64
	throttled atomic.Int64
	pathCount sync.Map // path kind → *atomic.Int64
}

// Board is an agile board with its raw configuration.
type Board struct {
	ID            int64
	Name, Type    string
	ProjectKey    string
	Configuration json.RawMessage
	SprintIDs     []int64
}

// Version is a fix version.
type Version struct {
	ID, Name    string
	Released    bool
	ReleaseDate string
}

// Status is a workflow status.
type Status struct {
	ID, Name, Category string
}

// Options configure New.
type Options struct {
	Deployment string
	// Email and Token are the credentials the fake accepts: basic when Email is
	// set, bearer otherwise.
	Email, Token string
	UserTimeZone string
	Now          func() time.Time
}

// New starts a fake Jira. Close it when done.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.UserTimeZone == "" {
		o.UserTimeZone = "UTC"
	}
	s := &Server{
		deployment: o.Deployment, email: o.Email, token: o.Token, userTZ: o.UserTimeZone, now: o.Now,
		source: Issues{}, sprints: map[int64]Sprint{}, versions: map[string][]Version{}, ids: map[string][]int{},
		statuses: DefaultStatuses(), fieldsJSON: []byte(DefaultFields),
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// DefaultStatuses are three statuses, one per category.
func DefaultStatuses() []Status {
	return []Status{{"1", "To Do", "new"}, {"3", "In Progress", "indeterminate"}, {"10001", "Done", "done"}}
}

// DefaultFields is a field list with the agile custom fields at fixed ids.
const DefaultFields = `[
 {"id":"summary","name":"Summary","custom":false,"schema":{"type":"string","system":"summary"}},
 {"id":"customfield_10016","name":"Story point estimate","custom":true,"schema":{"type":"number","custom":"com.pyxis.greenhopper.jira:jsw-story-points","customId":10016}},
 {"id":"customfield_10020","name":"Sprint","custom":true,"schema":{"type":"array","items":"json","custom":"com.pyxis.greenhopper.jira:gh-sprint","customId":10020}},
 {"id":"customfield_10014","name":"Epic Link","custom":true,"schema":{"type":"any","custom":"com.pyxis.greenhopper.jira:gh-epic-link","customId":10014}}
]`

// SetIssues replaces the issues (sorted by created, then id).
func (s *Server) SetIssues(issues []*Issue) {
	sorted := append(Issues(nil), issues...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if !sorted[i].Created.Equal(sorted[j].Created) {
			return sorted[i].Created.Before(sorted[j].Created)
		}
		return sorted[i].ID < sorted[j].ID
	})
	s.SetSource(sorted)
}

// SetSource replaces what is searched.
func (s *Server) SetSource(src Source) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.source = src
	s.ids = map[string][]int{}
	s.byID = make(map[int64]int, src.Len())
	for i := 0; i < src.Len(); i++ {
		id, _, _, _, _ := src.Meta(i)
		s.byID[id] = i
	}
}

// Mutate changes issues under the lock (and forgets cached search results).
func (s *Server) Mutate(fn func(issues []*Issue) []*Issue) {
	s.mu.Lock()
	cur, _ := s.source.(Issues)
	s.mu.Unlock()
	s.SetIssues(fn([]*Issue(cur)))
}

// SetFieldsJSON replaces the /rest/api/2/field answer.
func (s *Server) SetFieldsJSON(b []byte) { s.mu.Lock(); s.fieldsJSON = b; s.mu.Unlock() }

// SetStatuses replaces the /rest/api/2/status answer.
func (s *Server) SetStatuses(st []Status) { s.mu.Lock(); s.statuses = st; s.mu.Unlock() }

// SetSprints replaces the sprints.
func (s *Server) SetSprints(sp []Sprint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sprints = map[int64]Sprint{}
	for _, x := range sp {
		s.sprints[x.ID] = x
	}
}

// SetBoards replaces the boards.
func (s *Server) SetBoards(b []Board) { s.mu.Lock(); s.boards = b; s.mu.Unlock() }

// SetVersions sets a project's versions.
func (s *Server) SetVersions(project string, v []Version) {
	s.mu.Lock()
	s.versions[project] = v
	s.mu.Unlock()
}

// SetDeployment switches what the fake pretends to be.
func (s *Server) SetDeployment(d string) { s.mu.Lock(); s.deployment = d; s.mu.Unlock() }

// SetRateLimit makes the fake answer 429 beyond perSecond requests (burst allowed).
func (s *Server) SetRateLimit(perSecond, burst float64) {
	s.mu.Lock()
	s.rate, s.burst, s.bucket, s.bucketAt = perSecond, burst, burst, time.Now()
	s.mu.Unlock()
}

// Requests is the number of requests served (including throttled ones).
func (s *Server) Requests() int64 { return s.requests.Load() }

// Throttled is the number of 429s the rate limit answered.
func (s *Server) Throttled() int64 { return s.throttled.Load() }

// Count is the number of requests of a kind: search, searchjql, changelog,
// worklog, issue, board, sprint, field, status, myself, serverinfo, versions.
func (s *Server) Count(kind string) int64 {
	v, ok := s.pathCount.Load(kind)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

func (s *Server) count(kind string) {
	v, _ := s.pathCount.LoadOrStore(kind, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

func (s *Server) allow() (bool, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rate <= 0 {
		return true, 0
	}
	now := time.Now()
	s.bucket = min(s.burst, s.bucket+now.Sub(s.bucketAt).Seconds()*s.rate)
	s.bucketAt = now
	if s.bucket >= 1 {
		s.bucket--
		return true, 0
	}
	return false, time.Duration((1 - s.bucket) / s.rate * float64(time.Second))
}

var (
	reIssue     = regexp.MustCompile(`^/rest/api/2/issue/([^/]+)$`)
	reChangelog = regexp.MustCompile(`^/rest/api/2/issue/([^/]+)/changelog$`)
	reWorklog   = regexp.MustCompile(`^/rest/api/2/issue/([^/]+)/worklog$`)
	reBoard     = regexp.MustCompile(`^/rest/agile/1.0/board/(\d+)(/configuration|/sprint)?$`)
	reVersions  = regexp.MustCompile(`^/rest/api/2/project/([^/]+)/versions$`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	n := s.requests.Add(1)
	if s.Latency > 0 {
		time.Sleep(s.Latency)
	}
	if !s.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, `{"errorMessages":["You are not authenticated. Authentication required to perform this operation."]}`)
		return
	}
	if ok, wait := s.allow(); !ok {
		s.throttled.Add(1)
		secs := int(wait/time.Second) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		w.Header().Set("X-RateLimit-Reset", time.Now().Add(time.Duration(secs)*time.Second).UTC().Format(time.RFC3339))
		w.Header().Set("RateLimit-Reason", "jira-burst-based")
		writeJSON(w, http.StatusTooManyRequests, `{"errorMessages":["Rate limit exceeded."]}`)
		return
	}
	if h := s.Hook; h != nil && h(w, r, n) {
		return
	}
	s.mu.Lock()
	dep := s.deployment
	s.mu.Unlock()
	p := r.URL.Path
	q := r.URL.Query()
	switch {
	case p == "/rest/api/2/serverInfo":
		s.count("serverinfo")
		typ := "Server"
		if dep == Cloud {
			typ = "Cloud"
		}
		writeJSON(w, 200, fmt.Sprintf(`{"baseUrl":%q,"version":"9.12.0","deploymentType":%q,"serverTime":%q}`, s.URL, typ, s.now().Format(JiraTime)))
	case p == "/rest/api/2/myself":
		s.count("myself")
		writeJSON(w, 200, fmt.Sprintf(`{"accountId":"api-user","displayName":"API User","timeZone":%q}`, s.userTZ))
	case p == "/rest/api/2/field":
		s.count("field")
		s.mu.Lock()
		b := s.fieldsJSON
		s.mu.Unlock()
		writeJSON(w, 200, string(b))
	case p == "/rest/api/2/status":
		s.count("status")
		s.mu.Lock()
		var parts []string
		for _, st := range s.statuses {
			parts = append(parts, fmt.Sprintf(`{"id":%q,"name":%q,"statusCategory":{"key":%q}}`, st.ID, st.Name, st.Category))
		}
		s.mu.Unlock()
		writeJSON(w, 200, "["+strings.Join(parts, ",")+"]")
	case p == "/rest/api/2/search":
		s.count("search")
		if dep == Cloud {
			writeJSON(w, http.StatusGone, `{"errorMessages":["The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"]}`)
			return
		}
		s.search(w, q, dep)
	case p == "/rest/api/2/search/jql":
		s.count("searchjql")
		if dep != Cloud {
			writeJSON(w, http.StatusNotFound, `{"errorMessages":["null for uri: /rest/api/2/search/jql"]}`)
			return
		}
		s.search(w, q, dep)
	case reChangelog.MatchString(p):
		s.count("changelog")
		if dep != Cloud {
			writeJSON(w, http.StatusNotFound, `{"errorMessages":["null for uri"]}`)
			return
		}
		s.changelogPage(w, reChangelog.FindStringSubmatch(p)[1], q)
	case reWorklog.MatchString(p):
		s.count("worklog")
		s.worklogPage(w, reWorklog.FindStringSubmatch(p)[1], q)
	case reIssue.MatchString(p):
		s.count("issue")
		s.getIssue(w, reIssue.FindStringSubmatch(p)[1], q, dep)
	case p == "/rest/agile/1.0/board":
		s.count("board")
		s.boardList(w, q)
	case reBoard.MatchString(p):
		m := reBoard.FindStringSubmatch(p)
		id, _ := strconv.ParseInt(m[1], 10, 64)
		s.boardDetail(w, id, m[2], q)
	case reVersions.MatchString(p):
		s.count("versions")
		s.mu.Lock()
		vs := s.versions[reVersions.FindStringSubmatch(p)[1]]
		s.mu.Unlock()
		var parts []string
		for _, v := range vs {
			rd := ""
			if v.ReleaseDate != "" {
				rd = fmt.Sprintf(`,"releaseDate":%q`, v.ReleaseDate)
			}
			parts = append(parts, fmt.Sprintf(`{"id":%q,"name":%q,"released":%t,"archived":false%s}`, v.ID, v.Name, v.Released, rd))
		}
		writeJSON(w, 200, "["+strings.Join(parts, ",")+"]")
	default:
		writeJSON(w, http.StatusNotFound, fmt.Sprintf(`{"errorMessages":["no fake for %s"]}`, p))
	}
}

func (s *Server) authorized(r *http.Request) bool {
	switch {
	case s.email != "":
		u, p, ok := r.BasicAuth()
		return ok && u == s.email && p == s.token
	case s.token != "":
		return r.Header.Get("Authorization") == "Bearer "+s.token
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// jql is the subset of JQL the fake understands: time bounds on created and
// updated, id in (…), project = / in (…); the order is created (ascending, or
// descending when asked), then id.
type jql struct {
	conds    []timeCond
	ids      map[int64]bool
	projects map[string]bool
}

type timeCond struct {
	field string
	op    string
	t     time.Time
}

var (
	reTimeCond = regexp.MustCompile(`(?i)\b(updated|created)\s*(>=|<=|>|<)\s*(\d+|"[^"]*"|'[^']*')`)
	reIDIn     = regexp.MustCompile(`(?i)\bid\s+in\s*\(([^)]*)\)`)
	reProjEq   = regexp.MustCompile(`(?i)\bproject\s*=\s*"?([A-Za-z0-9_]+)"?`)
	reProjIn   = regexp.MustCompile(`(?i)\bproject\s+in\s*\(([^)]*)\)`)
	reDesc     = regexp.MustCompile(`(?i)\border\s+by\s+created\s+desc\b`)
)

func (s *Server) parseJQL(q string) (*jql, error) {
	loc, err := time.LoadLocation(s.userTZ)
	if err != nil {
		return nil, err
	}
	out := &jql{}
	for _, m := range reTimeCond.FindAllStringSubmatch(q, -1) {
		lit := strings.Trim(m[3], `"'`)
		var t time.Time
		if ms, err := strconv.ParseInt(lit, 10, 64); err == nil && !strings.ContainsAny(m[3], `"'`) {
			t = time.UnixMilli(ms)
		} else {
			// Zone-less JQL times are read in the API user's zone.
			t, err = time.ParseInLocation("2006/01/02 15:04", lit, loc)
			if err != nil {
				return nil, fmt.Errorf("Date value '%s' for field '%s' is invalid", lit, m[1])
			}
		}
		out.conds = append(out.conds, timeCond{strings.ToLower(m[1]), m[2], t})
	}
	if m := reIDIn.FindStringSubmatch(q); m != nil {
		out.ids = map[int64]bool{}
		for _, p := range strings.Split(m[1], ",") {
			if id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64); err == nil {
				out.ids[id] = true
			}
		}
	}
	add := func(k string) {
		if out.projects == nil {
			out.projects = map[string]bool{}
		}
		out.projects[strings.ToUpper(strings.Trim(strings.TrimSpace(k), `"'`))] = true
	}
	if m := reProjIn.FindStringSubmatch(q); m != nil {
		for _, p := range strings.Split(m[1], ",") {
			add(p)
		}
	} else if m := reProjEq.FindStringSubmatch(q); m != nil {
		add(m[1])
	}
	return out, nil
}

func (j *jql) match(id int64, project string, created, updated time.Time) bool {
	if j.ids != nil && !j.ids[id] {
		return false
	}
	if j.projects != nil && !j.projects[strings.ToUpper(project)] {
		return false
	}
	for _, c := range j.conds {
		v := created
		if c.field == "updated" {
			v = updated
		}
		// JQL compares to the minute when the literal has no seconds; the epoch
		// form is exact. Both cases behave as plain comparisons here.
		switch c.op {
		case ">=":
			if v.Before(c.t) {
				return false
			}
		case ">":
			if !v.After(c.t) {
				return false
			}
		case "<":
			if !v.Before(c.t) {
				return false
			}
		case "<=":
			if v.After(c.t) {
				return false
			}
		}
	}
	return true
}

// matches returns the indexes matching the JQL, cached per query string.
func (s *Server) matches(q string) ([]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ids, ok := s.ids[q]; ok {
		return ids, nil
	}
	j, err := s.parseJQL(q)
	if err != nil {
		return nil, err
	}
	var out []int
	for i := 0; i < s.source.Len(); i++ {
		id, proj, created, updated, deleted := s.source.Meta(i)
		if !deleted && j.match(id, proj, created, updated) {
			out = append(out, i)
		}
	}
	if reDesc.MatchString(q) {
		for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
			out[a], out[b] = out[b], out[a]
		}
	}
	s.ids[q] = out
	return out, nil
}

func (s *Server) search(w http.ResponseWriter, q neturl.Values, dep string) {
	hits, err := s.matches(q.Get("jql"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, fmt.Sprintf(`{"errorMessages":[%q]}`, err.Error()))
		return
	}
	fields := parseFields(q.Get("fields"), dep)
	max, _ := strconv.Atoi(q.Get("maxResults"))
	if max <= 0 {
		max = 50
	}
	limit := s.MaxResults
	if limit <= 0 {
		limit = 1000
		if dep == Cloud {
			limit = 100
			if len(fields) == 1 && fields["id"] {
				limit = 5000
			}
		}
	}
	max = min(max, limit)
	start := 0
	if dep == Cloud {
		if tok := q.Get("nextPageToken"); tok != "" {
			b, err := base64.RawURLEncoding.DecodeString(tok)
			if err != nil || !strings.HasPrefix(string(b), "o:") {
				writeJSON(w, http.StatusBadRequest, `{"errorMessages":["Invalid nextPageToken."]}`)
				return
			}
			start, _ = strconv.Atoi(string(b[2:]))
		}
	} else {
		start, _ = strconv.Atoi(q.Get("startAt"))
	}
	n := max
	if s.ShortPages && (start/max)%2 == 1 && n > 3 {
		n -= 3
	}
	end := min(start+n, len(hits))
	if start > len(hits) {
		start = end
	}
	var b bytes.Buffer
	b.Grow(4096 * (end - start + 1))
	if dep == Cloud {
		b.WriteString(`{"issues":[`)
	} else {
		fmt.Fprintf(&b, `{"expand":"schema,names","startAt":%d,"maxResults":%d,"total":%d,"issues":[`, start, max, len(hits))
	}
	expandChangelog := strings.Contains(q.Get("expand"), "changelog")
	for k, i := range hits[start:end] {
		if k > 0 {
			b.WriteByte(',')
		}
		s.mu.Lock()
		is := s.source.Issue(i)
		s.mu.Unlock()
		s.renderIssue(&b, is, fields, expandChangelog, dep)
	}
	b.WriteString("]")
	if dep == Cloud {
		if end < len(hits) {
			fmt.Fprintf(&b, `,"nextPageToken":%q,"isLast":false`, base64.RawURLEncoding.EncodeToString([]byte("o:"+strconv.Itoa(end))))
		} else {
			b.WriteString(`,"isLast":true`)
		}
	}
	b.WriteString("}")
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(b.Bytes())
}

func parseFields(f, dep string) map[string]bool {
	out := map[string]bool{}
	if f == "" {
		if dep == Cloud {
			out["id"] = true // Cloud's new search returns ids only by default
			return out
		}
		out["*all"] = true
		return out
	}
	for _, x := range strings.Split(f, ",") {
		out[strings.TrimSpace(x)] = true
	}
	return out
}

func (s *Server) lookup(idOrKey string) *Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, err := strconv.ParseInt(idOrKey, 10, 64); err == nil {
		if i, ok := s.byID[id]; ok {
			return s.source.Issue(i)
		}
		return nil
	}
	for i := 0; i < s.source.Len(); i++ {
		if is := s.source.Issue(i); is.Key == idOrKey {
			return is
		}
	}
	return nil
}

func (s *Server) getIssue(w http.ResponseWriter, idOrKey string, q neturl.Values, dep string) {
	is := s.lookup(idOrKey)
	if is == nil || is.Deleted {
		writeJSON(w, http.StatusNotFound, `{"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}}`)
		return
	}
	var b bytes.Buffer
	fields := parseFields(q.Get("fields"), DataCenter)
	// A single issue always embeds its whole changelog.
	s.renderIssueFull(&b, is, fields, strings.Contains(q.Get("expand"), "changelog"), dep)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(b.Bytes())
}

func (s *Server) changelogPage(w http.ResponseWriter, idOrKey string, q neturl.Values) {
	is := s.lookup(idOrKey)
	if is == nil || is.Deleted {
		writeJSON(w, http.StatusNotFound, `{"errorMessages":["Issue does not exist or you do not have permission to see it."]}`)
		return
	}
	start, _ := strconv.Atoi(q.Get("startAt"))
	max, _ := strconv.Atoi(q.Get("maxResults"))
	if max <= 0 || max > 100 {
		max = 100
	}
	hs := s.histories(is)
	end := min(start+max, len(hs))
	start = min(start, end)
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"startAt":%d,"maxResults":%d,"total":%d,"isLast":%t,"values":[`, start, max, len(hs), end >= len(hs))
	for k, h := range hs[start:end] {
		if k > 0 {
			b.WriteByte(',')
		}
		b.Write(h)
	}
	b.WriteString("]}")
	writeJSON(w, 200, b.String())
}

func (s *Server) worklogPage(w http.ResponseWriter, idOrKey string, q neturl.Values) {
	is := s.lookup(idOrKey)
	if is == nil || is.Deleted {
		writeJSON(w, http.StatusNotFound, `{"errorMessages":["Issue does not exist or you do not have permission to see it."]}`)
		return
	}
	if is.RawWorklogPage != nil {
		writeJSON(w, 200, string(is.RawWorklogPage))
		return
	}
	start, _ := strconv.Atoi(q.Get("startAt"))
	max, _ := strconv.Atoi(q.Get("maxResults"))
	if max <= 0 || max > 1000 {
		max = 1000
	}
	var b bytes.Buffer
	end := min(start+max, len(is.Worklogs))
	start = min(start, end)
	fmt.Fprintf(&b, `{"startAt":%d,"maxResults":%d,"total":%d,"worklogs":[`, start, max, len(is.Worklogs))
	for k, wl := range is.Worklogs[start:end] {
		if k > 0 {
			b.WriteByte(',')
		}
		renderWorklog(&b, wl)
	}
	b.WriteString("]}")
	writeJSON(w, 200, b.String())
}

func (s *Server) boardList(w http.ResponseWriter, q neturl.Values) {
	s.mu.Lock()
	var bs []Board
	for _, b := range s.boards {
		if p := q.Get("projectKeyOrId"); p == "" || strings.EqualFold(p, b.ProjectKey) {
			bs = append(bs, b)
		}
	}
	s.mu.Unlock()
	start, _ := strconv.Atoi(q.Get("startAt"))
	max, _ := strconv.Atoi(q.Get("maxResults"))
	if max <= 0 {
		max = 50
	}
	end := min(start+max, len(bs))
	start = min(start, end)
	var parts []string
	for _, b := range bs[start:end] {
		parts = append(parts, boardJSON(b))
	}
	writeJSON(w, 200, fmt.Sprintf(`{"maxResults":%d,"startAt":%d,"total":%d,"isLast":%t,"values":[%s]}`, max, start, len(bs), end >= len(bs), strings.Join(parts, ",")))
}

func boardJSON(b Board) string {
	return fmt.Sprintf(`{"id":%d,"name":%q,"type":%q,"location":{"projectKey":%q}}`, b.ID, b.Name, b.Type, b.ProjectKey)
}

func (s *Server) boardDetail(w http.ResponseWriter, id int64, sub string, q neturl.Values) {
	s.mu.Lock()
	var board *Board
	for i := range s.boards {
		if s.boards[i].ID == id {
			board = &s.boards[i]
		}
	}
	s.mu.Unlock()
	if board == nil {
		writeJSON(w, http.StatusNotFound, `{"errorMessages":["Board does not exist or you do not have permission to see it."]}`)
		return
	}
	switch sub {
	case "":
		s.count("board")
		writeJSON(w, 200, boardJSON(*board))
	case "/configuration":
		s.count("board")
		cfg := board.Configuration
		if cfg == nil {
			cfg = json.RawMessage(fmt.Sprintf(`{"id":%d,"name":%q,"location":{"type":"project","key":%q},"filter":{"id":"1"},"columnConfig":{"columns":[]}}`, board.ID, board.Name, board.ProjectKey))
		}
		writeJSON(w, 200, string(cfg))
	case "/sprint":
		s.count("sprint")
		if !strings.EqualFold(board.Type, "scrum") {
			writeJSON(w, http.StatusBadRequest, `{"errorMessages":["The board does not support sprints"]}`)
			return
		}
		start, _ := strconv.Atoi(q.Get("startAt"))
		max, _ := strconv.Atoi(q.Get("maxResults"))
		if max <= 0 || max > 50 {
			max = 50
		}
		s.mu.Lock()
		var sps []Sprint
		for _, sid := range board.SprintIDs {
			if sp, ok := s.sprints[sid]; ok {
				sps = append(sps, sp)
			}
		}
		s.mu.Unlock()
		end := min(start+max, len(sps))
		start = min(start, end)
		var parts []string
		for _, sp := range sps[start:end] {
			parts = append(parts, sprintObject(sp, true))
		}
		writeJSON(w, 200, fmt.Sprintf(`{"maxResults":%d,"startAt":%d,"isLast":%t,"values":[%s]}`, max, start, end >= len(sps), strings.Join(parts, ",")))
	}
}

func rfc(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z07:00") }

func sprintObject(sp Sprint, agile bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"id":%d,"name":%q,"state":%q`, sp.ID, sp.Name, sp.State)
	if agile {
		fmt.Fprintf(&b, `,"originBoardId":%d`, sp.BoardID)
	} else {
		fmt.Fprintf(&b, `,"boardId":%d`, sp.BoardID)
	}
	if sp.Goal != "" {
		fmt.Fprintf(&b, `,"goal":%q`, sp.Goal)
	}
	for _, p := range []struct {
		k string
		t time.Time
	}{{"startDate", sp.Start}, {"endDate", sp.End}, {"completeDate", sp.Complete}} {
		if !p.t.IsZero() {
			fmt.Fprintf(&b, `,%q:%q`, p.k, rfc(p.t))
		}
	}
	b.WriteString("}")
	return b.String()
}

// sprintString is Server/DC's toString form of a sprint in the sprint field.
func sprintString(sp Sprint) string {
	d := func(t time.Time) string {
		if t.IsZero() {
			return "<null>"
		}
		return rfc(t)
	}
	return fmt.Sprintf("com.atlassian.greenhopper.service.sprint.Sprint@%x[id=%d,rapidViewId=%d,state=%s,name=%s,startDate=%s,endDate=%s,completeDate=%s,sequence=%d,goal=%s]",
		sp.ID*7919, sp.ID, sp.BoardID, strings.ToUpper(sp.State), sp.Name, d(sp.Start), d(sp.End), d(sp.Complete), sp.ID, sp.Goal)
}

func userJSON(b *bytes.Buffer, u *User) {
	if u == nil {
		b.WriteString("null")
		return
	}
	b.WriteString(`{`)
	if u.AccountID != "" {
		fmt.Fprintf(b, `"accountId":%q,`, u.AccountID)
	}
	if u.Name != "" {
		fmt.Fprintf(b, `"name":%q,`, u.Name)
	}
	if u.Email != "" {
		fmt.Fprintf(b, `"emailAddress":%q,`, u.Email)
	}
	fmt.Fprintf(b, `"displayName":%q,"active":true}`, u.DisplayName)
}

func renderWorklog(b *bytes.Buffer, wl Worklog) {
	fmt.Fprintf(b, `{"id":"%d","author":`, wl.ID)
	userJSON(b, wl.Author)
	fmt.Fprintf(b, `,"comment":%q,"started":%q,"created":%q,"updated":%q`, wl.Comment, wl.Started.Format(JiraTime), wl.Started.Format(JiraTime), wl.Started.Format(JiraTime))
	if wl.Seconds > 0 {
		fmt.Fprintf(b, `,"timeSpentSeconds":%d`, wl.Seconds)
	}
	if wl.TimeSpent != "" {
		fmt.Fprintf(b, `,"timeSpent":%q`, wl.TimeSpent)
	}
	b.WriteString("}")
}

// histories renders an issue's changelog, oldest first.
func (s *Server) histories(is *Issue) [][]byte {
	if is.RawHistories != nil {
		out := make([][]byte, len(is.RawHistories))
		for i, h := range is.RawHistories {
			out[i] = h
		}
		return out
	}
	out := make([][]byte, 0, len(is.Histories))
	for _, h := range is.Histories {
		var b bytes.Buffer
		fmt.Fprintf(&b, `{"id":"%d","author":`, h.ID)
		userJSON(&b, h.Author)
		fmt.Fprintf(&b, `,"created":%q,"items":[`, h.At.Format(JiraTime))
		for k, it := range h.Items {
			if k > 0 {
				b.WriteByte(',')
			}
			if it.FieldID != "" {
				fmt.Fprintf(&b, `{"field":%q,"fieldtype":"jira","fieldId":%q,"from":%q,"fromString":%q,"to":%q,"toString":%q}`, it.Field, it.FieldID, it.From, it.FromString, it.To, it.ToString)
			} else {
				fmt.Fprintf(&b, `{"field":%q,"fieldtype":"jira","from":%q,"fromString":%q,"to":%q,"toString":%q}`, it.Field, it.From, it.FromString, it.To, it.ToString)
			}
		}
		b.WriteString("]}")
		out = append(out, b.Bytes())
	}
	return out
}

func (s *Server) renderIssue(b *bytes.Buffer, is *Issue, fields map[string]bool, changelog bool, dep string) {
	s.render(b, is, fields, changelog, dep, false)
}

func (s *Server) renderIssueFull(b *bytes.Buffer, is *Issue, fields map[string]bool, changelog bool, dep string) {
	s.render(b, is, fields, changelog, dep, true)
}

func (s *Server) render(b *bytes.Buffer, is *Issue, fields map[string]bool, changelog bool, dep string, full bool) {
	fmt.Fprintf(b, `{"expand":"operations,changelog","id":"%d","self":"%s/rest/api/2/issue/%d","key":%q`, is.ID, s.URL, is.ID, is.Key)
	want := func(f string) bool { return s.IgnoreFields || fields["*all"] || fields[f] }
	b.WriteString(`,"fields":{`)
	first := true
	sep := func() {
		if !first {
			b.WriteByte(',')
		}
		first = false
	}
	if is.Raw != nil {
		keys := make([]string, 0, len(is.Raw))
		for k := range is.Raw {
			if want(k) {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			sep()
			fmt.Fprintf(b, "%q:", k)
			b.Write(is.Raw[k])
		}
	} else {
		s.renderTyped(b, is, want, sep, dep)
	}
	b.WriteString("}")
	if changelog {
		hs := s.histories(is)
		limit := s.ChangelogLimit
		if limit <= 0 {
			limit = 40
		}
		if dep == Cloud && !full && len(hs) > limit {
			// Cloud embeds the newest `limit` histories, newest first.
			fmt.Fprintf(b, `,"changelog":{"startAt":0,"maxResults":%d,"total":%d,"histories":[`, limit, len(hs))
			for k := 0; k < limit; k++ {
				if k > 0 {
					b.WriteByte(',')
				}
				b.Write(hs[len(hs)-1-k])
			}
		} else {
			fmt.Fprintf(b, `,"changelog":{"startAt":0,"maxResults":%d,"total":%d,"histories":[`, len(hs), len(hs))
			for k := range hs {
				if k > 0 {
					b.WriteByte(',')
				}
				if dep == Cloud {
					b.Write(hs[len(hs)-1-k])
				} else {
					b.Write(hs[k])
				}
			}
		}
		b.WriteString("]}")
	}
	b.WriteString("}")
}

func (s *Server) renderTyped(b *bytes.Buffer, is *Issue, want func(string) bool, sep func(), dep string) {
	kv := func(k, v string) {
		if want(k) {
			sep()
			fmt.Fprintf(b, "%q:%s", k, v)
		}
	}
	q := func(v string) string { return strconv.Quote(v) }
	tm := func(t time.Time) string {
		if t.IsZero() {
			return "null"
		}
		return q(t.Format(JiraTime))
	}
	typ := is.Type
	if typ == "" {
		typ = "Story"
	}
	kv("issuetype", fmt.Sprintf(`{"id":"10001","name":%q,"subtask":false}`, typ))
	name := is.ProjectName
	if name == "" {
		name = is.Project + " project"
	}
	kv("project", fmt.Sprintf(`{"id":"100","key":%q,"name":%q}`, is.Project, name))
	kv("status", fmt.Sprintf(`{"id":%q,"name":%q,"statusCategory":{"key":%q}}`, is.StatusID, is.Status, is.Category))
	kv("priority", `{"id":"3","name":"Medium"}`)
	kv("created", tm(is.Created))
	kv("updated", tm(is.Updated))
	kv("resolutiondate", tm(is.Resolved))
	kv("labels", `["backend"]`)
	kv("components", `[{"id":"1","name":"API"}]`)
	kv("fixVersions", `[]`)
	if want("assignee") {
		sep()
		b.WriteString(`"assignee":`)
		userJSON(b, is.Assignee)
	}
	if want("reporter") {
		sep()
		b.WriteString(`"reporter":`)
		userJSON(b, is.Reporter)
	}
	if is.Summary != "" {
		kv("summary", q(is.Summary))
	}
	if is.Description != "" {
		kv("description", q(is.Description))
	}
	if is.StoryPoints != 0 {
		kv("customfield_10016", strconv.FormatFloat(is.StoryPoints, 'f', -1, 64))
	}
	if len(is.SprintIDs) > 0 && want("customfield_10020") {
		var parts []string
		s.mu.Lock()
		for _, id := range is.SprintIDs {
			sp, ok := s.sprints[id]
			if !ok {
				sp = Sprint{ID: id, Name: fmt.Sprintf("Sprint %d", id), State: "closed"}
			}
			if dep == Cloud {
				parts = append(parts, sprintObject(sp, false))
			} else {
				parts = append(parts, q(sprintString(sp)))
			}
		}
		s.mu.Unlock()
		kv("customfield_10020", "["+strings.Join(parts, ",")+"]")
	}
	for k, v := range is.Extra {
		if want(k) {
			raw, _ := json.Marshal(v)
			sep()
			fmt.Fprintf(b, "%q:%s", k, raw)
		}
	}
	if want("worklog") {
		sep()
		limit := s.WorklogLimit
		if limit <= 0 {
			limit = 20
		}
		n := min(limit, len(is.Worklogs))
		fmt.Fprintf(b, `"worklog":{"startAt":0,"maxResults":%d,"total":%d,"worklogs":[`, limit, len(is.Worklogs))
		for k, wl := range is.Worklogs[:n] {
			if k > 0 {
				b.WriteByte(',')
			}
			renderWorklog(b, wl)
		}
		b.WriteString("]}")
	}
}
