package demo

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Custom field ids of the demo's Jira site (a Data Center site; ids differ per
// site, which is why jira/fields.json lists them for discovery).
const (
	cfEpicLink   = "customfield_10100"
	cfEpicName   = "customfield_10101"
	cfSprint     = "customfield_10104"
	cfStoryPts   = "customfield_10106"
	cfRiskProb   = "customfield_10200"
	cfRiskImpact = "customfield_10201"
	cfRiskCost   = "customfield_10202"
	jiraBase     = "https://jira.hospital.example"
	jiraPageSize = 100
)

type jStatus struct {
	id, name, catKey, catName string
	catID                     int
}

var (
	stToDo     = jStatus{"10000", "To Do", "new", "To Do", 2}
	stProgress = jStatus{"3", "In Progress", "indeterminate", "In Progress", 4}
	stReview   = jStatus{"10001", "In Review", "indeterminate", "In Progress", 4}
	stDone     = jStatus{"10002", "Done", "done", "Done", 3}
)

func statusByName(n string) jStatus {
	for _, s := range []jStatus{stToDo, stProgress, stReview, stDone} {
		if s.name == n {
			return s
		}
	}
	return stToDo
}

type jItem struct {
	Field      string  `json:"field"`
	FieldType  string  `json:"fieldtype"`
	From       *string `json:"from"`
	FromString *string `json:"fromString"`
	To         *string `json:"to"`
	ToString   *string `json:"toString"`
}

type jEvent struct {
	at     time.Time
	author int
	items  []jItem
}

type jWorklog struct {
	started time.Time
	seconds int64
	author  int
}

type jSprint struct {
	id                    int
	name, goal            string
	start, end, completed time.Time
}

type jIssue struct {
	n          int
	typ        string
	summary    string
	epic       *jIssue
	epicName   string
	component  string
	labels     []string
	fixVersion int
	priority   string
	points     float64
	created    time.Time
	assignee   int
	reporter   int
	events     []jEvent
	worklogs   []jWorklog
	due        time.Time
	riskProb   float64
	riskImpact int
	riskCost   float64
	// simulation state
	status  jStatus
	sprints []int // indexes into the project's sprints, in membership order
	started time.Time
}

func strp(s string) *string { return &s }

// people of a Jira project: generic roles, never names.
func jiraPerson(i int) string {
	switch i {
	case 0:
		return "Product Owner"
	case 1:
		return "Scrum Master"
	}
	return "Developer " + strconv.Itoa(i-1)
}

type jiraProject struct {
	def      *projectDef
	idx      int
	r        *rng
	now      time.Time
	sprints  []jSprint
	issues   []*jIssue
	epics    []*jIssue
	backlog  []*jIssue
	versions []jVersion
	histID   int
	hpp      float64 // hours per story point
}

type jVersion struct {
	id       int
	name     string
	released time.Time
}

// sprintDay returns 09:00 plus hours on working day d of a sprint starting on a Monday.
func sprintDay(start time.Time, d int, hours float64) time.Time {
	return start.AddDate(0, 0, d+2*(d/5)).Add(time.Duration(hours * float64(time.Hour)))
}

func (jp *jiraProject) newIssue(typ string, created time.Time, epicIdx int) *jIssue {
	r := jp.r
	is := &jIssue{n: len(jp.issues) + 1, typ: typ, created: created, status: stToDo, fixVersion: -1, assignee: -1, reporter: 0}
	a := jp.def.agile
	if epicIdx >= 0 && len(jp.epics) > 0 {
		is.epic = jp.epics[min(epicIdx, len(jp.epics)-1)]
		is.component = a.components[(epicIdx+r.intn(2))%len(a.components)]
		if len(jp.versions) > 0 {
			is.fixVersion = min(len(jp.versions)-1, epicIdx*len(jp.versions)/len(jp.epics))
		}
	}
	verbs := []string{"Add", "Improve", "Validate", "Refactor", "Expose", "Automate", "Harden", "Migrate", "Document", "Instrument"}
	aspects := []string{"API endpoint", "user interface", "error handling", "audit logging", "performance", "configuration", "unit tests", "accessibility", "monitoring", "data mapping", "role-based access", "reporting"}
	epicName := "platform"
	if is.epic != nil {
		epicName = is.epic.epicName
	}
	switch typ {
	case "Bug":
		is.summary = "Fix " + pick(r, aspects) + " defect in " + strings.ToLower(epicName)
		is.reporter = 2 + r.intn(5)
	default:
		is.summary = pick(r, verbs) + " " + pick(r, aspects) + " for " + strings.ToLower(epicName)
	}
	pts := []float64{1, 2, 2, 3, 3, 3, 5, 5, 5, 8, 8, 13}
	is.points = pick(r, pts)
	if typ == "Bug" {
		is.points = pick(r, []float64{1, 1, 2, 3})
	}
	switch x := r.float(); {
	case x < 0.12:
		is.priority = "High"
	case x < 0.2:
		is.priority = "Low"
	default:
		is.priority = "Medium"
	}
	if typ == "Bug" && r.chance(0.25) {
		is.priority = "Highest"
	}
	if r.chance(0.3) {
		is.labels = []string{pick(r, []string{"tech-debt", "go-live-critical", "security", "ux", "regulatory"})}
	}
	jp.issues = append(jp.issues, is)
	return is
}

func (jp *jiraProject) event(is *jIssue, at time.Time, author int, items ...jItem) {
	is.events = append(is.events, jEvent{at: at, author: author, items: items})
}

func (jp *jiraProject) transition(is *jIssue, at time.Time, to jStatus) {
	items := []jItem{{Field: "status", FieldType: "jira", From: strp(is.status.id), FromString: strp(is.status.name), To: strp(to.id), ToString: strp(to.name)}}
	if to == stDone {
		items = append(items, jItem{Field: "resolution", FieldType: "jira", To: strp("10000"), ToString: strp("Done")})
	}
	if is.status == stDone && to != stDone {
		items = append(items, jItem{Field: "resolution", FieldType: "jira", From: strp("10000"), FromString: strp("Done")})
	}
	author := is.assignee
	if author < 0 {
		author = 1
	}
	jp.event(is, at, author, items...)
	is.status = to
}

func (jp *jiraProject) sprintList(idx []int) (ids, names string) {
	var a, b []string
	for _, i := range idx {
		a = append(a, strconv.Itoa(jp.sprints[i].id))
		b = append(b, jp.sprints[i].name)
	}
	return strings.Join(a, ", "), strings.Join(b, ", ")
}

// setSprints records a change of the issue's sprint field as Jira's changelog does.
func (jp *jiraProject) setSprints(is *jIssue, at time.Time, to []int) {
	fromIDs, fromNames := jp.sprintList(is.sprints)
	toIDs, toNames := jp.sprintList(to)
	jp.event(is, at, 1, jItem{Field: "Sprint", FieldType: "custom", From: strp(fromIDs), FromString: strp(fromNames), To: strp(toIDs), ToString: strp(toNames)})
	is.sprints = append([]int(nil), to...)
}

func without(xs []int, x int) []int {
	var out []int
	for _, v := range xs {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

// simulateJira plays an agile project's sprints up to now.
func simulateJira(def *projectDef, idx int, seed uint64, now time.Time) *jiraProject {
	a := def.agile
	jp := &jiraProject{def: def, idx: idx, r: newRNG(seed, "jira", def.id), now: now, histID: 100000 + idx*20000, hpp: hoursPerPoint(def)}
	r := jp.r
	// Sprints: two weeks from the agile start, up to one that is still running.
	for i := 0; ; i++ {
		start := a.start.AddDate(0, 0, 14*i).Add(9 * time.Hour)
		if start.After(now) {
			break
		}
		end := start.AddDate(0, 0, 11).Add(8 * time.Hour)
		jp.sprints = append(jp.sprints, jSprint{id: 100*(idx+1) + i + 1, name: a.key + " Sprint " + strconv.Itoa(i+1), start: start, end: end, completed: start.AddDate(0, 0, 14).Add(-30 * time.Minute)})
	}
	nSprints := len(jp.sprints)
	// Releases split the planned sprints in three.
	for v := 0; v < 3; v++ {
		rel := a.start.AddDate(0, 0, 14*(nSprints+4)*(v+1)/3-3)
		jp.versions = append(jp.versions, jVersion{id: 12000 + idx*10 + v, name: a.key + " R" + strconv.Itoa(v+1), released: rel})
	}
	created := a.start.AddDate(0, 0, -10).Add(10 * time.Hour)
	for i, name := range a.epics {
		e := jp.newIssue("Epic", created.Add(time.Duration(i)*17*time.Minute), -1)
		e.epicName, e.summary, e.points, e.priority, e.labels = name, name, 0, "Medium", nil
		e.component = a.components[i%len(a.components)]
		e.fixVersion = min(2, i*3/len(a.epics))
		jp.epics = append(jp.epics, e)
	}
	plannedTotal := float64(nSprints+4) * a.velocity
	epicFor := func(progress float64) int {
		i := int(progress / plannedTotal * float64(len(jp.epics)))
		if i >= len(jp.epics) {
			i = len(jp.epics) - 1
		}
		return max(0, i)
	}
	var donePoints float64
	grow := func(at time.Time, n int) {
		for k := 0; k < n; k++ {
			typ := "Story"
			if x := r.float(); x < 0.15 {
				typ = "Task"
			} else if x < 0.25 {
				typ = "Bug"
			}
			is := jp.newIssue(typ, at.Add(time.Duration(r.intn(600))*time.Minute), epicFor(donePoints+float64(len(jp.backlog))*3))
			jp.backlog = append(jp.backlog, is)
		}
	}
	grow(created.Add(2*time.Hour), int(2.5*a.velocity/3.5))
	var carry []*jIssue
	for si := range jp.sprints {
		sp := &jp.sprints[si]
		// Backlog refinement during the previous sprint.
		grow(sp.start.AddDate(0, 0, -9), r.rangeInt(int(a.velocity/4), int(a.velocity/2.5)))
		perf := r.between(0.75, 1.15)
		if si > nSprints/3 && si < nSprints/2 {
			perf *= 0.8 // a mid-project dip: holidays, production support
		}
		capacity := a.velocity * perf
		members := append([]*jIssue(nil), carry...)
		var planned float64
		for _, is := range carry {
			planned += is.points
		}
		for planned < a.velocity*1.05 && len(jp.backlog) > 0 {
			is := jp.backlog[0]
			jp.backlog = jp.backlog[1:]
			if is.created.After(sp.start) {
				is.created = sp.start.Add(-time.Duration(24+r.intn(72)) * time.Hour)
			}
			jp.setSprints(is, sp.start.Add(-10*time.Minute), append(is.sprints, si))
			members = append(members, is)
			planned += is.points
		}
		for _, is := range members {
			if is.assignee < 0 {
				is.assignee = 2 + r.intn(6)
			}
		}
		// Scope added after the sprint started.
		for k := r.intn(4); k > 0; k-- {
			d := r.rangeInt(1, 6)
			typ := "Story"
			if r.chance(0.5) {
				typ = "Bug"
			}
			is := jp.newIssue(typ, sprintDay(sp.start, d, float64(r.intn(6))), epicFor(donePoints))
			is.assignee = 2 + r.intn(6)
			jp.setSprints(is, is.created.Add(40*time.Minute), []int{si})
			members = append(members, is)
		}
		// Scope removed after the sprint started goes back to the top of the backlog.
		if len(members) > len(carry)+2 && r.chance(0.35) {
			k := len(carry) + r.intn(len(members)-len(carry))
			is := members[k]
			if is.status == stToDo {
				jp.setSprints(is, sprintDay(sp.start, r.rangeInt(2, 6), 3), without(is.sprints, si))
				members = append(members[:k:k], members[k+1:]...)
				jp.backlog = append([]*jIssue{is}, jp.backlog...)
			}
		}
		rem := capacity
		carry = nil
		for _, is := range members {
			switch {
			case is.points <= rem+0.5:
				rem -= is.points
				a0 := 0
				if is.status == stToDo {
					a0 = r.rangeInt(0, 5)
					is.started = sprintDay(sp.start, a0, float64(r.intn(7)))
					if is.started.Before(is.created) {
						is.started = is.created.Add(time.Hour)
					}
					jp.transition(is, is.started, stProgress)
				}
				c := r.rangeInt(a0+1, 9)
				doneAt := sprintDay(sp.start, c, 1+float64(r.intn(6)))
				if !doneAt.After(is.started.Add(2 * time.Hour)) {
					doneAt = is.started.Add(6 * time.Hour)
				}
				if r.chance(0.7) {
					rv := doneAt.Add(-time.Duration(4+r.intn(20)) * time.Hour)
					if rv.After(is.started) && is.status != stReview {
						jp.transition(is, rv, stReview)
					}
				}
				jp.transition(is, doneAt, stDone)
				jp.logWork(is, doneAt)
				donePoints += is.points
			case rem > 0 && is.status == stToDo:
				rem = 0
				is.started = sprintDay(sp.start, r.rangeInt(4, 8), float64(r.intn(7)))
				jp.transition(is, is.started, stProgress)
				carry = append(carry, is)
			default:
				carry = append(carry, is)
			}
			if r.chance(0.06) && is.typ != "Bug" {
				// Re-estimated during the sprint.
				old := is.points
				is.points = map[float64]float64{1: 2, 2: 3, 3: 5, 5: 8, 8: 13, 13: 13}[old]
				at := sprintDay(sp.start, 1, 2)
				if at.Before(is.created) {
					at = is.created.Add(30 * time.Minute)
				}
				jp.event(is, at, 0, jItem{Field: "Story Points", FieldType: "custom", FromString: strp(fmtPoints(old)), ToString: strp(fmtPoints(is.points))})
			}
		}
		// Unfinished work rolls into the next sprint when this one is completed.
		if si+1 < nSprints {
			for _, is := range carry {
				jp.setSprints(is, sp.completed, append(is.sprints, si+1))
			}
		}
	}
	// The next sprint is planned but not started.
	last := jp.sprints[nSprints-1]
	fs := jSprint{id: last.id + 1, name: a.key + " Sprint " + strconv.Itoa(nSprints+1), start: last.start.AddDate(0, 0, 14), end: last.end.AddDate(0, 0, 14)}
	jp.sprints = append(jp.sprints, fs)
	var planned float64
	for _, is := range jp.backlog {
		if planned > a.velocity || is.created.After(now) {
			break
		}
		jp.setSprints(is, now.Add(-26*time.Hour), append(is.sprints, len(jp.sprints)-1))
		planned += is.points
	}
	jp.epicProgress()
	jp.addRisks()
	return jp
}

func fmtPoints(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) }

// logWork books one to three worklogs between the issue's start and doneAt.
func (jp *jiraProject) logWork(is *jIssue, doneAt time.Time) {
	r := jp.r
	total := int64(is.points * jp.hpp * 3600 * r.between(0.7, 1.4))
	n := r.rangeInt(1, 3)
	from := is.started
	if from.IsZero() || from.After(doneAt) {
		from = doneAt.Add(-8 * time.Hour)
	}
	span := doneAt.Sub(from)
	for k := 0; k < n; k++ {
		secs := total / int64(n) / 900 * 900
		if secs == 0 {
			secs = 900
		}
		at := from.Add(time.Duration(float64(span) * float64(k+1) / float64(n+1)))
		is.worklogs = append(is.worklogs, jWorklog{started: at, seconds: secs, author: is.assignee})
	}
}

// epicProgress moves each epic through the workflow as its stories do.
func (jp *jiraProject) epicProgress() {
	for _, e := range jp.epics {
		var first, last time.Time
		all := true
		n := 0
		for _, is := range jp.issues {
			if is.epic != e {
				continue
			}
			n++
			var doneAt time.Time
			for _, ev := range is.events {
				for _, it := range ev.items {
					if it.Field != "status" {
						continue
					}
					if *it.ToString == stProgress.name && (first.IsZero() || ev.at.Before(first)) {
						first = ev.at
					}
					if *it.ToString == stDone.name {
						doneAt = ev.at
					}
				}
			}
			if doneAt.IsZero() || doneAt.After(jp.now) {
				all = false
			} else if doneAt.After(last) {
				last = doneAt
			}
		}
		if first.IsZero() {
			continue
		}
		e.assignee = 0
		jp.transition(e, first.Add(-time.Hour), stProgress)
		if all && n > 3 && last.Add(24*time.Hour).Before(jp.now) {
			jp.transition(e, last.Add(24*time.Hour), stDone)
		}
	}
}

// addRisks raises a few issues of type Risk, as teams that keep risks in Jira do.
func (jp *jiraProject) addRisks() {
	r := jp.r
	a := jp.def.agile
	n := r.rangeInt(3, 5)
	span := int(jp.now.Sub(a.start).Hours() / 24)
	for k := 0; k < n; k++ {
		tm := riskTemplates[r.intn(len(riskTemplates))]
		created := a.start.AddDate(0, 0, r.intn(max(1, span-10))).Add(time.Duration(9+r.intn(8)) * time.Hour)
		is := jp.newIssue("Risk", created, -1)
		is.summary = tm.title
		is.points = 0
		is.labels = []string{strings.ToLower(strings.ReplaceAll(tm.category, " ", "-"))}
		is.assignee = 0
		is.riskProb = float64(r.rangeInt(2, 8) * 10)
		is.riskImpact = r.rangeInt(2, 5)
		is.riskCost = float64(r.rangeInt(5, 60) * 1000)
		is.due = created.AddDate(0, 0, 7*r.rangeInt(3, 8)).Truncate(24 * time.Hour)
		if started := created.AddDate(0, 0, 7); started.Before(jp.now) {
			jp.transition(is, started, stProgress)
			if closed := created.AddDate(0, 0, 7*r.rangeInt(4, 14)); closed.Before(jp.now) && r.chance(0.6) {
				jp.event(is, closed.Add(-time.Hour), 0, jItem{Field: "Risk Probability", FieldType: "custom", FromString: strp(fmtPoints(is.riskProb)), ToString: strp("10")})
				is.riskProb = 10
				jp.transition(is, closed, stDone)
			}
		}
	}
}

// JSON shapes of the /rest/api/2/search response.
type (
	jsRef struct {
		Self string `json:"self,omitempty"`
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	jsIssueType struct {
		Self    string `json:"self"`
		ID      string `json:"id"`
		Name    string `json:"name"`
		Subtask bool   `json:"subtask"`
	}
	jsStatusCategory struct {
		Self      string `json:"self"`
		ID        int    `json:"id"`
		Key       string `json:"key"`
		ColorName string `json:"colorName"`
		Name      string `json:"name"`
	}
	jsStatus struct {
		Self           string           `json:"self"`
		Description    string           `json:"description"`
		Name           string           `json:"name"`
		ID             string           `json:"id"`
		StatusCategory jsStatusCategory `json:"statusCategory"`
	}
	jsUser struct {
		Self        string `json:"self"`
		Name        string `json:"name"`
		Key         string `json:"key"`
		DisplayName string `json:"displayName"`
		Active      bool   `json:"active"`
		TimeZone    string `json:"timeZone"`
	}
	jsVersion struct {
		Self        string `json:"self"`
		ID          string `json:"id"`
		Name        string `json:"name"`
		Archived    bool   `json:"archived"`
		Released    bool   `json:"released"`
		ReleaseDate string `json:"releaseDate"`
	}
	jsProject struct {
		Self           string `json:"self"`
		ID             string `json:"id"`
		Key            string `json:"key"`
		Name           string `json:"name"`
		ProjectTypeKey string `json:"projectTypeKey"`
	}
	jsSprint struct {
		ID           int    `json:"id"`
		Name         string `json:"name"`
		State        string `json:"state"`
		BoardID      int    `json:"boardId"`
		Goal         string `json:"goal"`
		StartDate    string `json:"startDate,omitempty"`
		EndDate      string `json:"endDate,omitempty"`
		CompleteDate string `json:"completeDate,omitempty"`
	}
	jsWorklog struct {
		Self             string `json:"self"`
		Author           jsUser `json:"author"`
		UpdateAuthor     jsUser `json:"updateAuthor"`
		Created          string `json:"created"`
		Updated          string `json:"updated"`
		Started          string `json:"started"`
		TimeSpent        string `json:"timeSpent"`
		TimeSpentSeconds int64  `json:"timeSpentSeconds"`
		ID               string `json:"id"`
		IssueID          string `json:"issueId"`
	}
	jsWorklogPage struct {
		StartAt    int         `json:"startAt"`
		MaxResults int         `json:"maxResults"`
		Total      int         `json:"total"`
		Worklogs   []jsWorklog `json:"worklogs"`
	}
	jsFields struct {
		Summary              string        `json:"summary"`
		IssueType            jsIssueType   `json:"issuetype"`
		Status               jsStatus      `json:"status"`
		Priority             jsRef         `json:"priority"`
		Resolution           *jsRef        `json:"resolution"`
		Created              string        `json:"created"`
		Updated              string        `json:"updated"`
		ResolutionDate       *string       `json:"resolutiondate"`
		DueDate              *string       `json:"duedate"`
		Labels               []string      `json:"labels"`
		Components           []jsRef       `json:"components"`
		FixVersions          []jsVersion   `json:"fixVersions"`
		Project              jsProject     `json:"project"`
		Assignee             *jsUser       `json:"assignee"`
		Reporter             *jsUser       `json:"reporter"`
		TimeOriginalEstimate *int64        `json:"timeoriginalestimate"`
		TimeEstimate         *int64        `json:"timeestimate"`
		TimeSpent            *int64        `json:"timespent"`
		Worklog              jsWorklogPage `json:"worklog"`
		EpicLink             *string       `json:"customfield_10100"`
		EpicName             *string       `json:"customfield_10101"`
		Sprint               []jsSprint    `json:"customfield_10104"`
		StoryPoints          *float64      `json:"customfield_10106"`
		RiskProbability      *float64      `json:"customfield_10200"`
		RiskImpact           *float64      `json:"customfield_10201"`
		RiskCost             *float64      `json:"customfield_10202"`
	}
	jsHistory struct {
		ID      string  `json:"id"`
		Author  jsUser  `json:"author"`
		Created string  `json:"created"`
		Items   []jItem `json:"items"`
	}
	jsChangelog struct {
		StartAt    int         `json:"startAt"`
		MaxResults int         `json:"maxResults"`
		Total      int         `json:"total"`
		Histories  []jsHistory `json:"histories"`
	}
	jsIssue struct {
		Expand    string      `json:"expand"`
		ID        string      `json:"id"`
		Self      string      `json:"self"`
		Key       string      `json:"key"`
		Fields    jsFields    `json:"fields"`
		Changelog jsChangelog `json:"changelog"`
	}
	jsSearch struct {
		Expand     string    `json:"expand"`
		StartAt    int       `json:"startAt"`
		MaxResults int       `json:"maxResults"`
		Total      int       `json:"total"`
		Issues     []jsIssue `json:"issues"`
	}
)

func jiraTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

func (jp *jiraProject) user(i int) jsUser {
	name := jiraPerson(i)
	login := strings.ToLower(strings.ReplaceAll(jp.def.agile.key+"."+name, " ", ""))
	return jsUser{Self: jiraBase + "/rest/api/2/user?username=" + login, Name: login, Key: "JIRAUSER" + strconv.Itoa(10000+jp.idx*100+i),
		DisplayName: name, Active: true, TimeZone: "America/New_York"}
}

var issueTypeIDs = map[string]string{"Epic": "10000", "Story": "10001", "Task": "10002", "Bug": "10004", "Risk": "10100"}

func (jp *jiraProject) sprintObject(i int) jsSprint {
	sp := jp.sprints[i]
	o := jsSprint{ID: sp.id, Name: sp.name, BoardID: 10 + jp.idx, Goal: "Deliver the committed " + jp.def.agile.key + " backlog items",
		StartDate: jiraTime(sp.start), EndDate: jiraTime(sp.end)}
	switch {
	case sp.start.After(jp.now):
		o.State = "future"
		o.StartDate, o.EndDate = "", ""
	case !sp.completed.IsZero() && !sp.completed.After(jp.now):
		o.State = "closed"
		o.CompleteDate = jiraTime(sp.completed)
	default:
		o.State = "active"
	}
	return o
}

// render turns an issue's history up to now into the search-API JSON.
func (jp *jiraProject) render(is *jIssue, projectID string) (jsIssue, bool) {
	if is.created.After(jp.now) {
		return jsIssue{}, false
	}
	sort.SliceStable(is.events, func(i, j int) bool { return is.events[i].at.Before(is.events[j].at) })
	id := strconv.Itoa(20000 + jp.idx*5000 + is.n)
	key := jp.def.agile.key + "-" + strconv.Itoa(is.n)
	status := stToDo
	var sprintIDs string
	var resolved *time.Time
	points := is.points
	riskProb := is.riskProb
	updated := is.created
	var hist []jsHistory
	for _, ev := range is.events {
		if ev.at.After(jp.now) {
			break
		}
		jp.histID++
		hist = append(hist, jsHistory{ID: strconv.Itoa(jp.histID), Author: jp.user(ev.author), Created: jiraTime(ev.at), Items: ev.items})
		updated = ev.at
		for _, it := range ev.items {
			switch it.Field {
			case "status":
				status = statusByName(*it.ToString)
				if status == stDone {
					t := ev.at
					resolved = &t
				} else {
					resolved = nil
				}
			case "Sprint":
				sprintIDs = *it.To
			}
		}
	}
	// Field values that changed after now are rolled back to their value at now:
	// the "from" of the first later change.
	var pointsSeen, probSeen bool
	for _, ev := range is.events {
		if !ev.at.After(jp.now) {
			continue
		}
		for _, it := range ev.items {
			switch {
			case it.Field == "Story Points" && !pointsSeen:
				points, _ = strconv.ParseFloat(*it.FromString, 64)
				pointsSeen = true
			case it.Field == "Risk Probability" && !probSeen:
				riskProb, _ = strconv.ParseFloat(*it.FromString, 64)
				probSeen = true
			}
		}
	}
	return jp.finish(is, id, key, projectID, status, sprintIDs, resolved, points, riskProb, updated, hist), true
}

func (jp *jiraProject) finish(is *jIssue, id, key, projectID string, status jStatus, sprintIDs string, resolved *time.Time,
	points, riskProb float64, updated time.Time, hist []jsHistory) jsIssue {
	self := jiraBase + "/rest/api/2/"
	f := jsFields{
		Summary:   is.summary,
		IssueType: jsIssueType{Self: self + "issuetype/" + issueTypeIDs[is.typ], ID: issueTypeIDs[is.typ], Name: is.typ},
		Status: jsStatus{Self: self + "status/" + status.id, Name: status.name, ID: status.id,
			StatusCategory: jsStatusCategory{Self: self + "statuscategory/" + strconv.Itoa(status.catID), ID: status.catID, Key: status.catKey,
				ColorName: map[string]string{"new": "blue-gray", "indeterminate": "yellow", "done": "green"}[status.catKey], Name: status.catName}},
		Priority:    jsRef{Self: self + "priority/" + priorityID(is.priority), ID: priorityID(is.priority), Name: is.priority},
		Created:     jiraTime(is.created),
		Updated:     jiraTime(updated),
		Labels:      append([]string{}, is.labels...),
		Components:  []jsRef{},
		FixVersions: []jsVersion{},
		Project:     jsProject{Self: self + "project/" + projectID, ID: projectID, Key: jp.def.agile.key, Name: jp.def.name, ProjectTypeKey: "software"},
		Worklog:     jsWorklogPage{MaxResults: 20, Worklogs: []jsWorklog{}},
	}
	if resolved != nil {
		f.Resolution = &jsRef{Self: self + "resolution/10000", ID: "10000", Name: "Done"}
		s := jiraTime(*resolved)
		f.ResolutionDate = &s
	}
	if !is.due.IsZero() {
		s := isoDate(is.due)
		f.DueDate = &s
	}
	if is.component != "" {
		ci := 0
		for i, c := range jp.def.agile.components {
			if c == is.component {
				ci = i
			}
		}
		f.Components = append(f.Components, jsRef{Self: self + "component/" + strconv.Itoa(11000+jp.idx*10+ci), ID: strconv.Itoa(11000 + jp.idx*10 + ci), Name: is.component})
	}
	if is.fixVersion >= 0 {
		v := jp.versions[is.fixVersion]
		f.FixVersions = append(f.FixVersions, jsVersion{Self: self + "version/" + strconv.Itoa(v.id), ID: strconv.Itoa(v.id), Name: v.name,
			Released: !v.released.After(jp.now), ReleaseDate: isoDate(v.released)})
	}
	if is.assignee >= 0 && (status != stToDo || is.typ == "Risk" || is.typ == "Epic") {
		u := jp.user(is.assignee)
		f.Assignee = &u
	}
	rep := jp.user(is.reporter)
	f.Reporter = &rep
	if is.epic != nil {
		k := jp.def.agile.key + "-" + strconv.Itoa(is.epic.n)
		f.EpicLink = &k
	}
	if is.typ == "Epic" {
		n := is.epicName
		f.EpicName = &n
	}
	if sprintIDs != "" {
		for _, s := range strings.Split(sprintIDs, ", ") {
			sid, _ := strconv.Atoi(s)
			for i := range jp.sprints {
				if jp.sprints[i].id == sid {
					f.Sprint = append(f.Sprint, jp.sprintObject(i))
				}
			}
		}
	}
	if is.typ != "Epic" && is.typ != "Risk" {
		p := points
		f.StoryPoints = &p
		est := int64(points * jp.hpp * 3600)
		f.TimeOriginalEstimate = &est
		var spent int64
		for _, wl := range is.worklogs {
			if wl.started.After(jp.now) {
				continue
			}
			spent += wl.seconds
			wid := strconv.Itoa(30000 + jp.idx*20000 + is.n*5 + len(f.Worklog.Worklogs))
			f.Worklog.Worklogs = append(f.Worklog.Worklogs, jsWorklog{
				Self: self + "issue/" + id + "/worklog/" + wid, Author: jp.user(wl.author), UpdateAuthor: jp.user(wl.author),
				Created: jiraTime(wl.started.Add(30 * time.Minute)), Updated: jiraTime(wl.started.Add(30 * time.Minute)),
				Started: jiraTime(wl.started), TimeSpent: humanSeconds(wl.seconds), TimeSpentSeconds: wl.seconds, ID: wid, IssueID: id})
		}
		f.Worklog.Total = len(f.Worklog.Worklogs)
		if spent > 0 {
			f.TimeSpent = &spent
		}
		left := max(0, est-spent)
		if status == stDone {
			left = 0
		}
		f.TimeEstimate = &left
	}
	if is.typ == "Risk" {
		pr, im, co := riskProb, float64(is.riskImpact), is.riskCost
		f.RiskProbability, f.RiskImpact, f.RiskCost = &pr, &im, &co
	}
	return jsIssue{
		Expand: "operations,versionedRepresentations,editmeta,changelog,renderedFields",
		ID:     id, Self: self + "issue/" + id, Key: key, Fields: f,
		Changelog: jsChangelog{MaxResults: len(hist), Total: len(hist), Histories: append([]jsHistory{}, hist...)},
	}
}

func priorityID(p string) string {
	return map[string]string{"Highest": "1", "High": "2", "Medium": "3", "Low": "4"}[p]
}

// humanSeconds formats a duration the way Jira's timeSpent does ("1d 2h 30m"),
// with an 8-hour day.
func humanSeconds(s int64) string {
	m := s / 60
	d, m := m/480, m%480
	h, m := m/60, m%60
	var parts []string
	if d > 0 {
		parts = append(parts, strconv.FormatInt(d, 10)+"d")
	}
	if h > 0 {
		parts = append(parts, strconv.FormatInt(h, 10)+"h")
	}
	if m > 0 || len(parts) == 0 {
		parts = append(parts, strconv.FormatInt(m, 10)+"m")
	}
	return strings.Join(parts, " ")
}

// jiraPages renders the project's issues as saved search pages, oldest first.
func (jp *jiraProject) pages() [][]byte {
	projectID := strconv.Itoa(10400 + jp.idx)
	var all []jsIssue
	for _, is := range jp.issues {
		if out, ok := jp.render(is, projectID); ok {
			all = append(all, out)
		}
	}
	var pages [][]byte
	for start := 0; start < len(all); start += jiraPageSize {
		end := min(start+jiraPageSize, len(all))
		b, _ := json.MarshalIndent(jsSearch{Expand: "schema,names", StartAt: start, MaxResults: jiraPageSize, Total: len(all), Issues: all[start:end]}, "", " ")
		pages = append(pages, append(b, '\n'))
	}
	return pages
}

type jsField struct {
	ID          string         `json:"id"`
	Key         string         `json:"key"`
	Name        string         `json:"name"`
	Custom      bool           `json:"custom"`
	Orderable   bool           `json:"orderable"`
	Navigable   bool           `json:"navigable"`
	Searchable  bool           `json:"searchable"`
	ClauseNames []string       `json:"clauseNames"`
	Schema      *jsFieldSchema `json:"schema,omitempty"`
}

type jsFieldSchema struct {
	Type     string `json:"type"`
	Items    string `json:"items,omitempty"`
	System   string `json:"system,omitempty"`
	Custom   string `json:"custom,omitempty"`
	CustomID int    `json:"customId,omitempty"`
}

// fieldsJSON is the site's /rest/api/2/field response.
func fieldsJSON() []byte {
	sys := func(id, name, typ, items string) jsField {
		return jsField{ID: id, Key: id, Name: name, Orderable: true, Navigable: true, Searchable: true, ClauseNames: []string{id},
			Schema: &jsFieldSchema{Type: typ, Items: items, System: id}}
	}
	cust := func(num int, name, typ, items, custom string) jsField {
		id := "customfield_" + strconv.Itoa(num)
		return jsField{ID: id, Key: id, Name: name, Custom: true, Orderable: true, Navigable: true, Searchable: true,
			ClauseNames: []string{"cf[" + strconv.Itoa(num) + "]", name}, Schema: &jsFieldSchema{Type: typ, Items: items, Custom: custom, CustomID: num}}
	}
	fields := []jsField{
		sys("summary", "Summary", "string", ""),
		sys("issuetype", "Issue Type", "issuetype", ""),
		sys("status", "Status", "status", ""),
		sys("priority", "Priority", "priority", ""),
		sys("resolution", "Resolution", "resolution", ""),
		sys("created", "Created", "datetime", ""),
		sys("updated", "Updated", "datetime", ""),
		sys("resolutiondate", "Resolved", "datetime", ""),
		sys("duedate", "Due Date", "date", ""),
		sys("labels", "Labels", "array", "string"),
		sys("components", "Component/s", "array", "component"),
		sys("fixVersions", "Fix Version/s", "array", "version"),
		sys("project", "Project", "project", ""),
		sys("assignee", "Assignee", "user", ""),
		sys("reporter", "Reporter", "user", ""),
		sys("timeoriginalestimate", "Original Estimate", "number", ""),
		sys("timeestimate", "Remaining Estimate", "number", ""),
		sys("timespent", "Time Spent", "number", ""),
		sys("worklog", "Log Work", "array", "worklog"),
		cust(10100, "Epic Link", "any", "", "com.pyxis.greenhopper.jira:gh-epic-link"),
		cust(10101, "Epic Name", "string", "", "com.pyxis.greenhopper.jira:gh-epic-label"),
		cust(10104, "Sprint", "array", "string", "com.pyxis.greenhopper.jira:gh-sprint"),
		cust(10106, "Story Points", "number", "", "com.atlassian.jira.plugin.system.customfieldtypes:float"),
		cust(10200, "Risk Probability", "number", "", "com.atlassian.jira.plugin.system.customfieldtypes:float"),
		cust(10201, "Risk Impact", "number", "", "com.atlassian.jira.plugin.system.customfieldtypes:float"),
		cust(10202, "Risk Cost Impact", "number", "", "com.atlassian.jira.plugin.system.customfieldtypes:float"),
	}
	b, _ := json.MarshalIndent(fields, "", " ")
	return append(b, '\n')
}
