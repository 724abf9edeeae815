package configs

import (
	"strings"
	"testing"
	"time"
)

const jiraFull = `
sources:
  - name: ehr-jira
    type: jira
    url: https://ehr.atlassian.net
    auth: {email: pm@example.org, token_env: JIRA_TOKEN}
    jql: project in (EHR, PACS) ORDER BY rank
    deployment: cloud
    jql_time: user-zone
    overlap: 15m
    backfill_window_days: 30
    reconcile_every: 12h
    page_size: 50
    max_requests_per_second: 5
    max_concurrency: 2
    max_retries: 4
    request_timeout: 30s
    include_text_fields: [summary, comments]
    include_people: true
    fields:
      story_points: Story Points
      story_points_by_project: {PACS: customfield_10016}
      sprint: customfield_10020
    risk:
      issue_type: Risk
      probability: Likelihood
      impact_cost: customfield_10300
      impact_score: Impact
      owner: Risk Owner
      response: Risk Response
      category: Risk Category
    boards: [12, 14]
    hours_per_day: 7.5
    days_per_week: 5
  - name: exports
    type: jira-export
    path: exports/
    export_time_zone: Europe/Berlin
`

func TestJiraOptionsParse(t *testing.T) {
	cfg, err := Parse([]byte(jiraFull), "pmlens.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.Sources[0].Jira.WithDefaults()
	if o.Deployment != JiraDeploymentCloud || o.JQLTime != JiraTimeUserZone || o.Overlap != 15*time.Minute ||
		o.BackfillWindowDays != 30 || o.ReconcileEvery != 12*time.Hour || o.PageSize != 50 || o.MaxRequestsPerSecond != 5 ||
		o.MaxConcurrency != 2 || o.MaxRetries != 4 || o.RequestTimeout != 30*time.Second || !o.IncludePeople ||
		o.HoursPerDay != 7.5 || len(o.Boards) != 2 {
		t.Errorf("options not read: %+v", o)
	}
	if !o.IncludesText("summary") || !o.IncludesText("comments") || o.IncludesText("description") {
		t.Errorf("include_text_fields %v", o.IncludeTextFields)
	}
	if o.Fields.StoryPointsByProject["PACS"] != "customfield_10016" || o.Risk.Owner != "Risk Owner" || o.Risk.ImpactCost != "customfield_10300" {
		t.Errorf("fields/risk: %+v %+v", o.Fields, o.Risk)
	}
	e := cfg.Sources[1].Jira.WithDefaults()
	// Defaults: the privacy-preserving and documented values.
	if e.ExportTimeZone != "Europe/Berlin" || e.Deployment != JiraDeploymentAuto || e.JQLTime != JiraTimeEpoch ||
		e.Overlap != 10*time.Minute || e.PageSize != 100 || e.IncludePeople || len(e.IncludeTextFields) != 0 ||
		e.Risk.IssueType != "Risk" || e.Risk.Owner != "assignee" {
		t.Errorf("defaults: %+v", e)
	}
}

func TestJiraOptionsBad(t *testing.T) {
	base := "sources:\n  - name: j\n    type: jira\n    url: https://jira.example.org\n    auth: {token_env: T}\n    jql: project = A\n"
	for _, tc := range []struct {
		extra string
		want  []string
	}{
		{"    deployment: server\n", []string{"pmlens.yaml:2", "sources[0]", "deployment", `"server"`, "auto, cloud, datacenter"}},
		{"    jql_time: local\n", []string{"jql_time", `"local"`}},
		{"    include_text_fields: [summary, notes]\n", []string{"include_text_fields", `"notes"`, "summary, description"}},
		{"    include_text_fields: [attachments]\n", []string{"include_text_fields", "never stored"}},
		{"    page_size: 9000\n", []string{"page_size", "9000"}},
		{"    max_concurrency: -1\n", []string{"max_concurrency"}},
		{"    deployment: cloud\n", []string{"auth.email", "Jira Cloud"}},
		{"    export_time_zone: Mars/Olympus\n", []string{"export_time_zone", "IANA"}},
		{"    fields: {story_pts: X}\n", []string{"pmlens.yaml:7", "sources[0].fields.story_pts", "unknown key"}},
		{"    risk: {probabilty: X}\n", []string{"sources[0].risk.probabilty", "unknown key"}},
		{"    overlap: soon\n", []string{"pmlens.yaml"}},
	} {
		t.Run(strings.TrimSpace(tc.extra), func(t *testing.T) {
			_, err := Parse([]byte(base+tc.extra), "pmlens.yaml", t.TempDir())
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	_, err := Parse([]byte("sources:\n  - name: j\n    type: jira\n    url: https://x.example.org\n    auth: {token_env: T}\n"), "pmlens.yaml", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "jql") {
		t.Errorf("a jira source without jql: %v", err)
	}
}

// The privacy keys are keys of the source, shared with the risk-register
// source, which reads them through its helpers and accepts its own text fields.
func TestSourcePrivacyKeysShared(t *testing.T) {
	cfg, err := Parse([]byte(`
sources:
  - name: register
    type: risk-register
    path: registers/
    include_people: true
    include_text_fields: [title]
  - name: plain
    type: risk-register
    path: registers/
  - name: j
    type: jira
    url: https://jira.example.org
    auth: {token_env: T}
    jql: project = A
    include_people: true
    include_text_fields: [summary]
`), "pmlens.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	reg, plain, j := cfg.Sources[0], cfg.Sources[1], cfg.Sources[2]
	if !RiskRegisterIncludesPeople(reg) || !RiskRegisterIncludesText(reg, "title") || RiskRegisterIncludesText(reg, "response") {
		t.Errorf("risk-register privacy keys not read: %+v", reg.Jira.SourcePrivacy)
	}
	if RiskRegisterIncludesPeople(plain) || RiskRegisterIncludesText(plain, "title") {
		t.Errorf("a source without the keys opts in: %+v", plain.Jira.SourcePrivacy)
	}
	if o := j.Jira.WithDefaults(); !o.IncludePeople || !o.IncludesText("summary") {
		t.Errorf("jira privacy keys not read: %+v", o.SourcePrivacy)
	}
	// Each source type accepts its own text fields only.
	for _, tc := range []struct{ yaml, want string }{
		{"  - name: r\n    type: risk-register\n    path: x/\n    include_text_fields: [summary]\n", `"summary" is not one of title, response`},
		{"  - name: j\n    type: jira\n    url: https://j.example.org\n    auth: {token_env: T}\n    jql: project = A\n    include_text_fields: [title]\n", `"title" is not one of summary`},
	} {
		if _, err := Parse([]byte("sources:\n"+tc.yaml), "pmlens.yaml", t.TempDir()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
