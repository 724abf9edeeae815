package jiratest

import (
	"fmt"
	"time"
)

// Generated is a Source of N synthetic issues rendered on demand, so a fake can
// serve hundreds of thousands without holding them. Issue i is created i minutes
// after Base and has Histories changelog entries: status moves between To Do,
// In Progress and Done, every fifth entry also moving the issue to the next
// sprint; one worklog of an hour.
type Generated struct {
	N         int
	Base      time.Time
	Histories int
	Project   string
}

// Len is the number of issues.
func (g *Generated) Len() int { return g.N }

// Meta returns the matching attributes of issue i without building it.
func (g *Generated) Meta(i int) (int64, string, time.Time, time.Time, bool) {
	c := g.Base.Add(time.Duration(i) * time.Minute)
	return int64(100000 + i), g.Project, c, c.Add(time.Duration(g.Histories+1) * time.Hour), false
}

var genStatuses = []Status{{"1", "To Do", "new"}, {"3", "In Progress", "indeterminate"}, {"10001", "Done", "done"}}

var genPeople = []*User{
	{AccountID: "g1", DisplayName: "Generated Person One"},
	{AccountID: "g2", DisplayName: "Generated Person Two"},
	{AccountID: "g3", DisplayName: "Generated Person Three"},
}

// Issue builds issue i.
func (g *Generated) Issue(i int) *Issue {
	id, proj, created, updated, _ := g.Meta(i)
	is := &Issue{
		ID: id, Key: fmt.Sprintf("%s-%d", proj, i+1), Project: proj, Type: "Story",
		Created: created, Updated: updated, StoryPoints: float64(i%8 + 1),
		Assignee: genPeople[i%3], Reporter: genPeople[(i+1)%3],
		Histories: make([]History, 0, g.Histories),
	}
	cur, sprint := 0, int64(i/500+1)
	is.SprintIDs = []int64{sprint}
	for k := 0; k < g.Histories; k++ {
		next := (cur + 1) % len(genStatuses)
		h := History{ID: int64(i)*100 + int64(k), At: created.Add(time.Duration(k+1) * time.Hour), Author: genPeople[k%3],
			Items: []Item{{Field: "status", FieldID: "status", From: genStatuses[cur].ID, FromString: genStatuses[cur].Name,
				To: genStatuses[next].ID, ToString: genStatuses[next].Name}}}
		if k%5 == 4 {
			h.Items = append(h.Items, Item{Field: "Sprint", FieldID: "customfield_10020",
				From: fmt.Sprint(sprint), FromString: fmt.Sprintf("Sprint %d", sprint), To: fmt.Sprint(sprint + 1), ToString: fmt.Sprintf("Sprint %d", sprint+1)})
			sprint++
			is.SprintIDs = []int64{sprint}
		}
		is.Histories = append(is.Histories, h)
		cur = next
	}
	is.StatusID, is.Status, is.Category = genStatuses[cur].ID, genStatuses[cur].Name, genStatuses[cur].Category
	is.Worklogs = []Worklog{{ID: id, Author: genPeople[i%3], Started: created.Add(30 * time.Minute), Seconds: 3600}}
	return is
}
