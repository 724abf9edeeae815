package jira

import (
	"strings"
	"time"
)

// Typed records the connector hands to its Store. Times are UTC instants; a zero
// time.Time means "not set". People carry their raw identity: the Store decides,
// by the source's privacy settings, whether to keep a name or a keyed hash.

// Person is a Jira user as a payload names them.
type Person struct {
	AccountID   string // Cloud
	Name        string // Server/DC user name
	Key         string // Server/DC user key
	DisplayName string
	Email       string
}

// Identity is the string a person is stored or hashed by: the display name, so
// that the same person hashes alike in Jira, CSV exports (which hold only display
// names), schedules and risk registers; the account id or user name only when a
// payload has no display name.
func (p *Person) Identity() string {
	if p == nil {
		return ""
	}
	for _, s := range []string{p.DisplayName, p.Email, p.AccountID, p.Name, p.Key} {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// Label is what a person column holds when a source opts into people's names
// (include_people): the display name, else the Server user name or account id.
// It is never the e-mail address; a person known only by address gets "" and
// is stored as a keyed hash even then.
func (p *Person) Label() string {
	if p == nil {
		return ""
	}
	for _, s := range []string{p.DisplayName, p.Name, p.Key, p.AccountID} {
		if s = strings.TrimSpace(s); s != "" && !strings.Contains(s, "@") {
			return s
		}
	}
	return ""
}

// Issue is one Jira issue with everything pmlens keeps of it.
type Issue struct {
	ID          int64
	Key         string
	ProjectKey  string
	ProjectName string
	Type        string
	Subtask     bool

	StatusID       string
	Status         string
	StatusCategory string // new, indeterminate, done
	Priority       string
	Resolution     string

	Created, Updated, Resolved                 time.Time
	DueDate, StartDate, TargetStart, TargetEnd time.Time // dates (midnight UTC)

	Labels      []string
	Components  []string
	FixVersions []Version

	ParentID  int64
	ParentKey string
	EpicKey   string

	StoryPoints *float64
	// Estimates and time spent in seconds, as Jira keeps them.
	OriginalEstimate, RemainingEstimate, TimeSpent *float64

	Sprints []Sprint

	Assignee, Reporter *Person

	// Free text: filled only for the fields a source opts into.
	Summary, Description, Environment string
	Comments                          []Comment

	// Histories are the status and sprint changes, oldest first. A sync drops
	// them once StatusChanges and SprintMemberships are derived, so a buffered
	// issue stays small; export parsers keep them.
	Histories         []History
	ChangelogComplete bool
	Worklogs          []Worklog
	WorklogsComplete  bool

	// Risk is set when the issue is of the configured risk type.
	Risk *Risk

	// Derived from Histories by finish.
	StatusChanges     []StatusChange
	SprintMemberships []SprintMembership

	// needChangelog/needWorklogs mark truncated embedded lists to fetch in full.
	needChangelog, needWorklogs bool
}

// Version is a fix version (release).
type Version struct {
	ID          string
	ProjectKey  string
	Name        string
	Released    bool
	Archived    bool
	ReleaseDate time.Time
	StartDate   time.Time
}

// Sprint is an agile sprint, from the Agile API or an issue's sprint field.
type Sprint struct {
	ID           int64
	BoardID      int64
	Name         string
	State        string // future, active, closed
	Goal         string
	Start, End   time.Time
	Complete     time.Time
	Created      time.Time
	FromBoardAPI bool
}

// Comment is an issue comment (stored only when comments are opted in).
type Comment struct {
	ID      string
	Created time.Time
	Author  *Person
	Body    string
}

// History is one changelog entry, reduced to the items pmlens uses.
type History struct {
	ID      string
	Created time.Time
	Author  *Person
	Items   []Item
}

// Item is one field change of a history.
type Item struct {
	Field, FieldID       string
	From, FromString     string
	To, ToString         string
	isStatus, isSprint   bool
	isEpic, isStoryPoint bool
}

// Worklog is time logged on an issue.
type Worklog struct {
	ID                        string
	Started, Created, Updated time.Time
	Seconds                   int64
	Author                    *Person
	Comment                   string
}

// StatusChange is one status transition; the first row of a fully known history
// is the creation (no from status).
type StatusChange struct {
	HistoryID    string
	ChangedAt    time.Time
	FromID, From string
	ToID, To     string
	FromCategory string
	ToCategory   string
	Author       *Person
}

// SprintMembership is an interval during which the issue was in a sprint. A zero
// AddedAt means unknown (no complete history); a zero RemovedAt means still in it.
type SprintMembership struct {
	SprintID  int64
	AddedAt   time.Time
	RemovedAt time.Time
}

// Risk is an issue of the configured risk type mapped onto the risks table.
type Risk struct {
	Title            string
	Category         string
	Owner            *Person
	Status           string
	Response         string
	Probability      *float64 // 0-1
	ProbabilityScore *int     // 1-5
	ImpactCost       *float64
	ImpactScore      *int // 1-5
}

// Board is an agile board with its column → status mapping.
type Board struct {
	ID         int64
	Name       string
	Type       string // scrum, kanban, simple
	ProjectKey string
	FilterID   string
	SubQuery   string
	Columns    []BoardColumn
}

// BoardColumn is one column of a board and the statuses it shows.
type BoardColumn struct {
	Position  int
	Name      string
	StatusIDs []string
	Min, Max  int
}

// Field is an entry of /rest/api/2/field and the role pmlens gave it.
type Field struct {
	ID           string
	Name         string
	Custom       bool
	SchemaType   string
	SchemaItems  string
	SchemaCustom string
	Role         string
}

// Status is a workflow status and its category key.
type Status struct {
	ID       string
	Name     string
	Category string
}
