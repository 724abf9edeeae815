package configs

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// JiraOptions are the keys specific to jira and jira-export sources. Every key is
// optional; Defaults fills the unset ones.
type JiraOptions struct {
	// Deployment is auto (ask /rest/api/2/serverInfo), cloud or datacenter.
	Deployment string `yaml:"deployment"`
	// JQLTime is how the incremental watermark is written into JQL: epoch
	// (milliseconds, no time zone involved) or user-zone (the API user's own zone,
	// read from /rest/api/2/myself, to the minute).
	JQLTime string `yaml:"jql_time"`
	// Overlap is how far before the previous watermark an incremental run starts,
	// to catch updates Jira Cloud indexes late and JQL's minute precision.
	Overlap time.Duration `yaml:"overlap"`
	// BackfillWindowDays is the width of the `created` windows the first run loads
	// the history in.
	BackfillWindowDays int `yaml:"backfill_window_days"`
	// ReconcileEvery is how often a run lists every issue id in scope to mark the
	// issues that were deleted or left the JQL scope (a changed JQL reconciles at
	// once); a short interval such as 1m reconciles on every run.
	ReconcileEvery time.Duration `yaml:"reconcile_every"`
	// PageSize is the maxResults asked of search pages (Jira may return fewer).
	PageSize int `yaml:"page_size"`
	// MaxRequestsPerSecond caps the request rate of the whole source.
	MaxRequestsPerSecond float64 `yaml:"max_requests_per_second"`
	// MaxConcurrency caps the requests in flight at once.
	MaxConcurrency int `yaml:"max_concurrency"`
	// MaxRetries is how often one request is retried after 429, 5xx or a network
	// error before the run fails.
	MaxRetries int `yaml:"max_retries"`
	// RequestTimeout bounds one attempt of one request.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// SourcePrivacy holds include_text_fields and include_people. For a Jira
	// source the text fields are summary, description, comments, environment,
	// worklog_comments, sprint_goals, project_names, risk_responses (a risk
	// response kept in a text field; select lists are always stored).
	SourcePrivacy `yaml:",inline"`
	// Fields overrides custom-field discovery.
	Fields JiraFields `yaml:"fields"`
	// Risk says which issues are risks and where their attributes live.
	Risk JiraRisk `yaml:"risk"`
	// Boards limits the agile boards loaded to these ids; empty means every board
	// located in a project the JQL covers.
	Boards []int64 `yaml:"boards"`
	// SkipBoards turns off boards and sprints (sites without Jira Software).
	SkipBoards bool `yaml:"skip_boards"`
	// HoursPerDay and DaysPerWeek convert "1w 2d 3h" durations of old Server
	// worklogs and CSV exports, as configured on the Jira site.
	HoursPerDay float64 `yaml:"hours_per_day"`
	DaysPerWeek float64 `yaml:"days_per_week"`
	// ExportTimeZone is the zone of the wall-clock times in a CSV export (those of
	// the user who exported it); JSON pages carry their own offsets.
	ExportTimeZone string `yaml:"export_time_zone"`
}

// SourcePrivacy are the privacy keys of a source, shared by every source type
// that reads people or free text (jira, jira-export, risk-register; read by the
// latter through RiskRegisterIncludesPeople and RiskRegisterIncludesText). By
// default a source stores no free text and only keyed hashes of people.
type SourcePrivacy struct {
	// IncludeTextFields names the free-text fields to store; which names a
	// source accepts depends on its type.
	IncludeTextFields []string `yaml:"include_text_fields"`
	// IncludePeople stores people's names instead of keyed hashes (never their
	// e-mail addresses).
	IncludePeople bool `yaml:"include_people"`
}

// JiraFields names the custom fields pmlens reads, each by field id
// (customfield_10016) or by field name ("Story point estimate"). Unset ones are
// discovered from the field list by schema type.
type JiraFields struct {
	StoryPoints string `yaml:"story_points"`
	// StoryPointsByProject overrides StoryPoints per Jira project key.
	StoryPointsByProject map[string]string `yaml:"story_points_by_project"`
	Sprint               string            `yaml:"sprint"`
	EpicLink             string            `yaml:"epic_link"`
	ParentLink           string            `yaml:"parent_link"`
	StartDate            string            `yaml:"start_date"`
	TargetStart          string            `yaml:"target_start"`
	TargetEnd            string            `yaml:"target_end"`
}

// JiraRisk maps risks kept as Jira issues onto the risks table. Field keys take a
// field id or name; unset attributes stay NULL.
type JiraRisk struct {
	// IssueType is the issue type whose issues are risks ("Risk" by default; "-"
	// turns risks off).
	IssueType string `yaml:"issue_type"`
	// Probability is a 0-1 number, a percentage, or a 1-5 score/label.
	Probability string `yaml:"probability"`
	// ImpactCost is a money amount in the project currency.
	ImpactCost string `yaml:"impact_cost"`
	// ImpactScore is a 1-5 score or label (Very Low … Very High).
	ImpactScore string `yaml:"impact_score"`
	// Owner is a user field; "assignee" by default.
	Owner string `yaml:"owner"`
	// Response is the response strategy or status (Mitigate, Accept, …).
	Response string `yaml:"response"`
	// Category is a select or text field classifying the risk.
	Category string `yaml:"category"`
}

// Jira deployments and JQL time forms.
const (
	JiraDeploymentAuto       = "auto"
	JiraDeploymentCloud      = "cloud"
	JiraDeploymentDataCenter = "datacenter"
	JiraTimeEpoch            = "epoch"
	JiraTimeUserZone         = "user-zone"
)

// JiraTextFields are the values include_text_fields accepts.
var JiraTextFields = []string{"summary", "description", "comments", "environment", "worklog_comments", "sprint_goals", "project_names", "risk_responses"}

// WithDefaults returns the options with every unset key at its default.
func (o JiraOptions) WithDefaults() JiraOptions {
	if o.Deployment == "" {
		o.Deployment = JiraDeploymentAuto
	}
	if o.JQLTime == "" {
		o.JQLTime = JiraTimeEpoch
	}
	if o.Overlap == 0 {
		o.Overlap = 10 * time.Minute
	}
	if o.BackfillWindowDays == 0 {
		o.BackfillWindowDays = 90
	}
	if o.ReconcileEvery == 0 {
		o.ReconcileEvery = 24 * time.Hour
	}
	if o.PageSize == 0 {
		o.PageSize = 100
	}
	if o.MaxRequestsPerSecond == 0 {
		o.MaxRequestsPerSecond = 10
	}
	if o.MaxConcurrency == 0 {
		o.MaxConcurrency = 4
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 5
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = time.Minute
	}
	if o.HoursPerDay == 0 {
		o.HoursPerDay = 8
	}
	if o.DaysPerWeek == 0 {
		o.DaysPerWeek = 5
	}
	if o.ExportTimeZone == "" {
		o.ExportTimeZone = "UTC"
	}
	if o.Risk.IssueType == "" {
		o.Risk.IssueType = "Risk"
	}
	if o.Risk.Owner == "" {
		o.Risk.Owner = "assignee"
	}
	return o
}

// IncludesText reports whether the free-text field (one of JiraTextFields) is opted in.
func (o JiraOptions) IncludesText(field string) bool {
	for _, f := range o.IncludeTextFields {
		if f == field {
			return true
		}
	}
	return false
}

// validate checks the jira keys; it is called for jira and jira-export sources.
func (o JiraOptions) validate(s *Source) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	switch o.Deployment {
	case "", JiraDeploymentAuto, JiraDeploymentCloud, JiraDeploymentDataCenter:
	default:
		bad("deployment", "%q is not one of auto, cloud, datacenter", o.Deployment)
	}
	switch o.JQLTime {
	case "", JiraTimeEpoch, JiraTimeUserZone:
	default:
		bad("jql_time", "%q is not one of epoch, user-zone", o.JQLTime)
	}
	if o.Overlap < 0 {
		bad("overlap", "must not be negative")
	}
	if o.BackfillWindowDays < 0 {
		bad("backfill_window_days", "must not be negative")
	}
	if o.ReconcileEvery < 0 {
		bad("reconcile_every", "must not be negative")
	}
	if o.PageSize < 0 || o.PageSize > 5000 {
		bad("page_size", "%d is outside 1-5000", o.PageSize)
	}
	if o.MaxRequestsPerSecond < 0 {
		bad("max_requests_per_second", "must not be negative")
	}
	if o.MaxConcurrency < 0 || o.MaxConcurrency > 64 {
		bad("max_concurrency", "%d is outside 1-64", o.MaxConcurrency)
	}
	if o.MaxRetries < 0 {
		bad("max_retries", "must not be negative")
	}
	if o.RequestTimeout < 0 {
		bad("request_timeout", "must not be negative")
	}
	if o.HoursPerDay < 0 || o.HoursPerDay > 24 {
		bad("hours_per_day", "%v is outside 1-24", o.HoursPerDay)
	}
	if o.DaysPerWeek < 0 || o.DaysPerWeek > 7 {
		bad("days_per_week", "%v is outside 1-7", o.DaysPerWeek)
	}
	if o.ExportTimeZone != "" {
		if _, err := time.LoadLocation(o.ExportTimeZone); err != nil {
			bad("export_time_zone", "%q is not an IANA time zone such as Europe/Berlin", o.ExportTimeZone)
		}
	}
	known := map[string]bool{}
	for _, f := range JiraTextFields {
		known[f] = true
	}
	for _, f := range o.IncludeTextFields {
		switch {
		case f == "attachments":
			bad("include_text_fields", "attachments are never stored")
		case !known[f]:
			bad("include_text_fields", "%q is not one of %s", f, strings.Join(JiraTextFields, ", "))
		}
	}
	for _, id := range o.Boards {
		if id <= 0 {
			bad("boards", "%d is not a board id", id)
		}
	}
	keys := make([]string, 0, len(o.Fields.StoryPointsByProject))
	for k := range o.Fields.StoryPointsByProject {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.TrimSpace(o.Fields.StoryPointsByProject[k]) == "" {
			bad("fields.story_points_by_project."+k, "needs a field id or name")
		}
	}
	if s.Type == TypeJira {
		if strings.TrimSpace(s.JQL) == "" {
			// Cloud's /search/jql refuses unbounded queries, and a scope is what
			// reconciliation compares against.
			errs = append(errs, errors.New("jql: a jira source needs a JQL scope such as `project in (ABC, DEF)`"))
		}
		if o.Deployment == JiraDeploymentCloud && s.Auth.Email == "" {
			errs = append(errs, errors.New("auth.email: Jira Cloud authenticates with the account e-mail plus an API token"))
		}
	}
	return errors.Join(errs...)
}
