package jira

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pmlens/pmlens/configs"
)

// Field roles pmlens reads from custom fields.
const (
	RoleStoryPoints = "story_points"
	RoleSprint      = "sprint"
	RoleEpicLink    = "epic_link"
	RoleParentLink  = "parent_link"
	RoleStartDate   = "start_date"
	RoleTargetStart = "target_start"
	RoleTargetEnd   = "target_end"

	RoleRiskProbability = "risk_probability"
	RoleRiskImpactCost  = "risk_impact_cost"
	RoleRiskImpactScore = "risk_impact_score"
	RoleRiskOwner       = "risk_owner"
	RoleRiskResponse    = "risk_response"
	RoleRiskCategory    = "risk_category"
)

// Schema types (schema.custom) that identify the agile and planning fields; ids
// differ per site, the plugin type does not.
const (
	schemaStoryPointsJSW = "com.pyxis.greenhopper.jira:jsw-story-points"
	schemaFloat          = "com.atlassian.jira.plugin.system.customfieldtypes:float"
	schemaDatePicker     = "com.atlassian.jira.plugin.system.customfieldtypes:datepicker"
	schemaSprint         = "com.pyxis.greenhopper.jira:gh-sprint"
	schemaEpicLink       = "com.pyxis.greenhopper.jira:gh-epic-link"
	schemaParentLink     = "com.atlassian.jpo:jpo-custom-field-parent"
	schemaTargetStart    = "com.atlassian.jpo:jpo-custom-field-baseline-start"
	schemaTargetEnd      = "com.atlassian.jpo:jpo-custom-field-baseline-end"
)

// Catalog is what conversion needs to know about a site: which field ids play
// which role and which category each status belongs to.
type Catalog struct {
	Fields []Field

	// StoryPoints lists candidate fields in preference order: a site can carry
	// both the classic "Story Points" and the team-managed "Story point estimate",
	// and an issue uses one of them.
	StoryPoints          []string
	StoryPointsByProject map[string]string
	Sprint, SprintName   string
	EpicLink, ParentLink string
	StartDate            string
	TargetStart          string
	TargetEnd            string

	RiskType                                         string
	RiskProbability, RiskImpactCost, RiskImpactScore string
	RiskOwner, RiskResponse, RiskCategory            string
	riskEnabled                                      bool
	byID                                             map[string]*Field
	byName                                           map[string][]*Field
	statuses                                         map[string]Status
	statusByName                                     map[string]Status
}

// NewCatalog assigns roles to the site's fields: configured overrides first (by
// id or name), then discovery by schema type. Warnings name overrides that match
// no field.
func NewCatalog(fields []Field, over configs.JiraFields, risk configs.JiraRisk) (*Catalog, []string) {
	c := &Catalog{Fields: append([]Field(nil), fields...), StoryPointsByProject: map[string]string{}}
	c.index()
	var warns []string
	resolve := func(key, v string) string {
		if v == "" {
			return ""
		}
		if id, ok := c.lookup(v); ok {
			return id
		}
		warns = append(warns, fmt.Sprintf("%s: no field with id or name %q", key, v))
		return ""
	}
	if id := resolve("fields.story_points", over.StoryPoints); id != "" {
		c.StoryPoints = []string{id}
	}
	keys := make([]string, 0, len(over.StoryPointsByProject))
	for k := range over.StoryPointsByProject {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if id := resolve("fields.story_points_by_project."+k, over.StoryPointsByProject[k]); id != "" {
			c.StoryPointsByProject[strings.ToUpper(k)] = id
		}
	}
	c.Sprint = resolve("fields.sprint", over.Sprint)
	c.EpicLink = resolve("fields.epic_link", over.EpicLink)
	c.ParentLink = resolve("fields.parent_link", over.ParentLink)
	c.StartDate = resolve("fields.start_date", over.StartDate)
	c.TargetStart = resolve("fields.target_start", over.TargetStart)
	c.TargetEnd = resolve("fields.target_end", over.TargetEnd)
	c.discover()

	c.RiskType = risk.IssueType
	c.riskEnabled = risk.IssueType != "" && risk.IssueType != "-"
	if c.riskEnabled {
		c.RiskProbability = resolve("risk.probability", risk.Probability)
		c.RiskImpactCost = resolve("risk.impact_cost", risk.ImpactCost)
		c.RiskImpactScore = resolve("risk.impact_score", risk.ImpactScore)
		c.RiskResponse = resolve("risk.response", risk.Response)
		c.RiskCategory = resolve("risk.category", risk.Category)
		switch o := strings.ToLower(risk.Owner); o {
		case "", "assignee", "reporter":
			c.RiskOwner = o
		default:
			c.RiskOwner = resolve("risk.owner", risk.Owner)
		}
	}
	c.assignRoles()
	return c, warns
}

func (c *Catalog) index() {
	c.byID = make(map[string]*Field, len(c.Fields))
	c.byName = make(map[string][]*Field, len(c.Fields))
	for i := range c.Fields {
		f := &c.Fields[i]
		c.byID[f.ID] = f
		n := strings.ToLower(strings.TrimSpace(f.Name))
		c.byName[n] = append(c.byName[n], f)
	}
}

// lookup resolves a field id or (case-insensitive) name; a name shared by several
// fields resolves to the custom one with the lowest id, deterministically.
func (c *Catalog) lookup(v string) (string, bool) {
	if f, ok := c.byID[v]; ok {
		return f.ID, true
	}
	if strings.HasPrefix(v, "customfield_") {
		// Export pages may lack a field list; trust an explicit id.
		return v, true
	}
	fs := c.byName[strings.ToLower(strings.TrimSpace(v))]
	if len(fs) == 0 {
		return "", false
	}
	best := fs[0]
	for _, f := range fs[1:] {
		if f.ID < best.ID {
			best = f
		}
	}
	return best.ID, true
}

// discover fills unset roles from schema types, falling back to the standard
// names when the field list has no schema (export pages with only `names`).
func (c *Catalog) discover() {
	bySchema := func(schema string, names ...string) string {
		var hits []string
		for _, f := range c.Fields {
			if f.SchemaCustom == schema {
				hits = append(hits, f.ID)
			}
		}
		if len(hits) == 1 {
			return hits[0]
		}
		if len(hits) > 1 {
			// Several fields of the type: prefer the standard name, then lowest id.
			sort.Strings(hits)
			for _, id := range hits {
				for _, n := range names {
					if strings.EqualFold(c.byID[id].Name, n) {
						return id
					}
				}
			}
			return hits[0]
		}
		for _, n := range names {
			for _, f := range c.byName[strings.ToLower(n)] {
				if f.SchemaCustom == "" || f.SchemaCustom == schema {
					return f.ID
				}
			}
		}
		return ""
	}
	if len(c.StoryPoints) == 0 {
		if id := bySchema(schemaStoryPointsJSW, "Story point estimate"); id != "" {
			c.StoryPoints = append(c.StoryPoints, id)
		}
		for _, n := range []string{"story points", "story point"} {
			for _, f := range c.byName[n] {
				if f.SchemaCustom == schemaFloat || f.SchemaCustom == "" {
					c.StoryPoints = append(c.StoryPoints, f.ID)
				}
			}
		}
	}
	if c.Sprint == "" {
		c.Sprint = bySchema(schemaSprint, "Sprint")
	}
	if c.EpicLink == "" {
		c.EpicLink = bySchema(schemaEpicLink, "Epic Link")
	}
	if c.ParentLink == "" {
		c.ParentLink = bySchema(schemaParentLink, "Parent Link")
	}
	if c.StartDate == "" {
		for _, f := range c.byName["start date"] {
			if f.SchemaCustom == schemaDatePicker || f.SchemaCustom == "" {
				c.StartDate = f.ID
				break
			}
		}
	}
	if c.TargetStart == "" {
		c.TargetStart = bySchema(schemaTargetStart, "Target start")
	}
	if c.TargetEnd == "" {
		c.TargetEnd = bySchema(schemaTargetEnd, "Target end")
	}
	if c.Sprint != "" {
		if f, ok := c.byID[c.Sprint]; ok {
			c.SprintName = f.Name
		}
	}
}

// assignRoles records each field's role for the jira_fields table.
func (c *Catalog) assignRoles() {
	set := func(id, role string) {
		if f, ok := c.byID[id]; ok && id != "" && f.Role == "" {
			f.Role = role
		}
	}
	for _, id := range c.StoryPoints {
		set(id, RoleStoryPoints)
	}
	for _, id := range c.StoryPointsByProject {
		set(id, RoleStoryPoints)
	}
	set(c.Sprint, RoleSprint)
	set(c.EpicLink, RoleEpicLink)
	set(c.ParentLink, RoleParentLink)
	set(c.StartDate, RoleStartDate)
	set(c.TargetStart, RoleTargetStart)
	set(c.TargetEnd, RoleTargetEnd)
	set(c.RiskProbability, RoleRiskProbability)
	set(c.RiskImpactCost, RoleRiskImpactCost)
	set(c.RiskImpactScore, RoleRiskImpactScore)
	set(c.RiskResponse, RoleRiskResponse)
	set(c.RiskCategory, RoleRiskCategory)
	if c.RiskOwner != "assignee" && c.RiskOwner != "reporter" {
		set(c.RiskOwner, RoleRiskOwner)
	}
}

// SetStatuses installs the site's statuses (id → name, category).
func (c *Catalog) SetStatuses(ss []Status) {
	c.statuses = make(map[string]Status, len(ss))
	c.statusByName = make(map[string]Status, len(ss))
	for _, s := range ss {
		c.statuses[s.ID] = s
		c.statusByName[strings.ToLower(s.Name)] = s
	}
}

// statusCategory finds a status's category by id, then by name ("" if unknown).
func (c *Catalog) statusCategory(id, name string) string {
	if s, ok := c.statuses[id]; ok && id != "" {
		return s.Category
	}
	if s, ok := c.statusByName[strings.ToLower(name)]; ok && name != "" {
		return s.Category
	}
	return ""
}

// customFieldIDs are the custom fields a search must ask for.
func (c *Catalog) customFieldIDs() []string {
	seen := map[string]bool{}
	var out []string
	add := func(id string) {
		if strings.HasPrefix(id, "customfield_") && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, id := range c.StoryPoints {
		add(id)
	}
	for _, id := range c.StoryPointsByProject {
		add(id)
	}
	for _, id := range []string{c.Sprint, c.EpicLink, c.ParentLink, c.StartDate, c.TargetStart, c.TargetEnd,
		c.RiskProbability, c.RiskImpactCost, c.RiskImpactScore, c.RiskOwner, c.RiskResponse, c.RiskCategory} {
		add(id)
	}
	sort.Strings(out)
	return out
}
