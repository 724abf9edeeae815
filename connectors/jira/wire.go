package jira

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Wire types: lean decodings of the /rest/api/2 payloads. go-jira's own Issue type
// drops changelog totals and fieldId and decodes every custom field through a
// generic map, so search pages, changelogs and worklogs decode into these instead
// (through go-jira's client.Do).

// searchPage is a page of /rest/api/2/search (startAt/total) or
// /rest/api/2/search/jql (nextPageToken/isLast); saved export pages use the former.
type searchPage struct {
	StartAt       int               `json:"startAt"`
	MaxResults    int               `json:"maxResults"`
	Total         int               `json:"total"`
	IsLast        *bool             `json:"isLast"`
	NextPageToken string            `json:"nextPageToken"`
	Issues        []wireIssue       `json:"issues"`
	Names         map[string]string `json:"names"`
}

type wireIssue struct {
	ID        string         `json:"id"`
	Key       string         `json:"key"`
	Fields    wireFields     `json:"fields"`
	Changelog *wireChangelog `json:"changelog"`
}

// wireFields decodes the fields pmlens reads in one pass: system fields into
// typed members, custom fields (whose ids differ per site) kept raw by id.
// Free text is kept raw too, and decoded only when a source opts in.
type wireFields struct {
	Project              *wireNamed      `json:"project"`
	IssueType            *wireIssueType  `json:"issuetype"`
	Status               *wireStatus     `json:"status"`
	Priority             *wireNamed      `json:"priority"`
	Resolution           *wireNamed      `json:"resolution"`
	Created              string          `json:"created"`
	Updated              string          `json:"updated"`
	ResolutionDate       string          `json:"resolutiondate"`
	DueDate              string          `json:"duedate"`
	Labels               []string        `json:"labels"`
	Components           []wireNamed     `json:"components"`
	FixVersions          []wireVersion   `json:"fixVersions"`
	Parent               *wireParent     `json:"parent"`
	TimeOriginalEstimate json.RawMessage `json:"timeoriginalestimate"`
	TimeEstimate         json.RawMessage `json:"timeestimate"`
	TimeSpent            json.RawMessage `json:"timespent"`
	Assignee             *wireUser       `json:"assignee"`
	Reporter             *wireUser       `json:"reporter"`
	Summary              json.RawMessage `json:"summary"`
	Description          json.RawMessage `json:"description"`
	Environment          json.RawMessage `json:"environment"`
	Comment              json.RawMessage `json:"comment"`
	Worklog              *wireWorklogs   `json:"worklog"`

	custom map[string]json.RawMessage
}

// UnmarshalJSON decodes the typed members, then collects customfield_* values
// with a plain byte scan (the object is valid JSON by then).
func (f *wireFields) UnmarshalJSON(b []byte) error {
	type plain wireFields
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*f = wireFields(p)
	eachMember(b, func(key, val []byte) {
		if !bytes.HasPrefix(key, []byte("customfield_")) {
			return
		}
		if isNull(val) {
			// A repeated key counts as its last value, as encoding/json reads it.
			delete(f.custom, string(key))
			return
		}
		if f.custom == nil {
			f.custom = map[string]json.RawMessage{}
		}
		// The decoder's buffer is reused after UnmarshalJSON returns.
		f.custom[string(key)] = append(json.RawMessage(nil), val...)
	})
	return nil
}

// get returns a custom field's raw value (nil when absent or null).
func (f *wireFields) get(id string) json.RawMessage { return f.custom[id] }

// eachMember calls fn with the key (undecoded) and raw value of every member of
// a valid JSON object.
func eachMember(b []byte, fn func(key, val []byte)) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i++
	for {
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
		if i >= len(b) || b[i] != '"' {
			return
		}
		end := skipString(b, i)
		key := b[i+1 : max(end-1, i+1)]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return
		}
		i = skipSpace(b, i+1)
		start := i
		i = skipValue(b, i)
		fn(key, b[start:i])
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = skipString(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\r' && b[j] != '\t' {
		j++
	}
	return j
}

type wireChangelog struct {
	StartAt    int           `json:"startAt"`
	MaxResults int           `json:"maxResults"`
	Total      int           `json:"total"`
	Histories  []wireHistory `json:"histories"`
}

// changelogPage is /rest/api/2/issue/{id}/changelog (Cloud), oldest first.
type changelogPage struct {
	StartAt    int           `json:"startAt"`
	MaxResults int           `json:"maxResults"`
	Total      int           `json:"total"`
	IsLast     *bool         `json:"isLast"`
	Values     []wireHistory `json:"values"`
}

type wireHistory struct {
	ID      string     `json:"id"`
	Author  *wireUser  `json:"author"`
	Created string     `json:"created"`
	Items   []wireItem `json:"items"`
}

type wireItem struct {
	Field      string `json:"field"`
	FieldType  string `json:"fieldtype"`
	FieldID    string `json:"fieldId"`
	From       string `json:"from"`
	FromString string `json:"fromString"`
	To         string `json:"to"`
	ToString   string `json:"toString"`
}

type wireUser struct {
	AccountID    string `json:"accountId"`
	Name         string `json:"name"`
	Key          string `json:"key"`
	DisplayName  string `json:"displayName"`
	EmailAddress string `json:"emailAddress"`
}

func (u *wireUser) person() *Person {
	if u == nil {
		return nil
	}
	p := &Person{AccountID: u.AccountID, Name: u.Name, Key: u.Key, DisplayName: u.DisplayName, Email: u.EmailAddress}
	if p.Identity() == "" {
		return nil
	}
	return p
}

type wireNamed struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

type wireStatus struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	StatusCategory struct {
		Key string `json:"key"`
	} `json:"statusCategory"`
}

type wireIssueType struct {
	Name    string `json:"name"`
	Subtask bool   `json:"subtask"`
}

type wireVersion struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Archived    bool   `json:"archived"`
	Released    bool   `json:"released"`
	ReleaseDate string `json:"releaseDate"`
	StartDate   string `json:"startDate"`
	ProjectID   int64  `json:"projectId"`
}

type wireParent struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

type wireWorklogs struct {
	StartAt    int           `json:"startAt"`
	MaxResults int           `json:"maxResults"`
	Total      int           `json:"total"`
	Worklogs   []wireWorklog `json:"worklogs"`
}

type wireWorklog struct {
	ID               string    `json:"id"`
	Author           *wireUser `json:"author"`
	Comment          string    `json:"comment"`
	Created          string    `json:"created"`
	Updated          string    `json:"updated"`
	Started          string    `json:"started"`
	TimeSpent        string    `json:"timeSpent"`
	TimeSpentSeconds int64     `json:"timeSpentSeconds"`
}

type wireComments struct {
	Comments []struct {
		ID      string    `json:"id"`
		Author  *wireUser `json:"author"`
		Body    string    `json:"body"`
		Created string    `json:"created"`
	} `json:"comments"`
}

// wireSprint is a sprint as the Agile API and Cloud's sprint custom field give it.
type wireSprint struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	State         string `json:"state"`
	BoardID       int64  `json:"boardId"`
	OriginBoardID int64  `json:"originBoardId"`
	Goal          string `json:"goal"`
	StartDate     string `json:"startDate"`
	EndDate       string `json:"endDate"`
	CompleteDate  string `json:"completeDate"`
	CreatedDate   string `json:"createdDate"`
}

// serverInfo is /rest/api/2/serverInfo.
type serverInfo struct {
	BaseURL        string `json:"baseUrl"`
	Version        string `json:"version"`
	DeploymentType string `json:"deploymentType"`
	ServerTime     string `json:"serverTime"`
}

// Time layouts Jira uses: REST (…T15:04:05.000-0700), Agile (RFC 3339), dates.
var timeLayouts = []string{
	"2006-01-02T15:04:05.999999999Z0700",
	time.RFC3339Nano,
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04Z07:00",
}

// parseTime parses a Jira timestamp with its offset; "" gives the zero time.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	var firstErr error
	for _, l := range timeLayouts {
		t, err := time.Parse(l, s)
		if err == nil {
			return t.UTC(), nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q: %w", s, firstErr)
}

// parseDate parses a Jira date (2006-01-02), also accepting a full timestamp.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if len(s) >= 10 {
		if t, err := time.Parse(time.DateOnly, s[:10]); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q is not YYYY-MM-DD", s)
}

// rawString decodes a JSON string, number or {value|name|key} option to text.
func rawString(v json.RawMessage) string {
	if isNull(v) {
		return ""
	}
	switch v[0] {
	case '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	case '{':
		var o struct {
			Value       string `json:"value"`
			Name        string `json:"name"`
			Key         string `json:"key"`
			DisplayName string `json:"displayName"`
		}
		if json.Unmarshal(v, &o) == nil {
			for _, s := range []string{o.Value, o.Name, o.Key} {
				if s != "" {
					return s
				}
			}
		}
	case '[':
		var arr []json.RawMessage
		if json.Unmarshal(v, &arr) == nil && len(arr) > 0 {
			return rawString(arr[0])
		}
	default:
		return string(bytes.TrimSpace(v))
	}
	return ""
}

// rawFloat decodes a number, a numeric string, or an option whose value is numeric.
func rawFloat(v json.RawMessage) (float64, bool) {
	if isNull(v) {
		return 0, false
	}
	if v[0] != '"' && v[0] != '{' && v[0] != '[' {
		f, err := strconv.ParseFloat(string(bytes.TrimSpace(v)), 64)
		return f, err == nil
	}
	s := strings.TrimSpace(rawString(v))
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		return 0, false
	}
	if strings.HasSuffix(s, "%") {
		f /= 100
	}
	return f, true
}

func isNull(v json.RawMessage) bool {
	return len(v) == 0 || bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}
