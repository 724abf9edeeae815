package jira

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// finish derives the status changes and sprint memberships of an issue whose
// histories are final (embedded, or fetched in full).
func (cv *converter) finish(is *Issue) {
	sortHistories(is.Histories)
	is.StatusChanges = cv.statusChanges(is)
	is.SprintMemberships = sprintMemberships(is)
}

// statusChanges lists the status transitions. With the whole history known, a
// first row records the status the issue was created in (from the first
// transition's "from", or the current status if it never moved), so analysts get
// time-in-status from one LEAD() over the table.
func (cv *converter) statusChanges(is *Issue) []StatusChange {
	var out []StatusChange
	for _, h := range is.Histories {
		for _, it := range h.Items {
			if !it.isStatus {
				continue
			}
			out = append(out, StatusChange{
				HistoryID: h.ID, ChangedAt: h.Created, Author: h.Author,
				FromID: it.From, From: it.FromString, FromCategory: cv.cat.statusCategory(it.From, it.FromString),
				ToID: it.To, To: it.ToString, ToCategory: cv.cat.statusCategory(it.To, it.ToString),
			})
		}
	}
	if !is.ChangelogComplete || is.Created.IsZero() {
		return out
	}
	first := StatusChange{ChangedAt: is.Created, ToID: is.StatusID, To: is.Status, ToCategory: is.StatusCategory}
	if len(out) > 0 {
		first.ToID, first.To, first.ToCategory = out[0].FromID, out[0].From, out[0].FromCategory
	}
	return append([]StatusChange{first}, out...)
}

// sprintMemberships rebuilds when the issue entered and left each sprint from the
// sprint field's changelog items (from/to hold comma-separated sprint ids). The
// sprints it was created in are the "from" of its first sprint change, or its
// current sprints if it never changed; they count from creation only when the
// history is complete.
func sprintMemberships(is *Issue) []SprintMembership {
	type event struct {
		at       time.Time
		from, to []int64
	}
	var evs []event
	for _, h := range is.Histories {
		for _, it := range h.Items {
			if it.isSprint {
				evs = append(evs, event{at: h.Created, from: sprintIDs(it.From), to: sprintIDs(it.To)})
			}
		}
	}
	current := make([]int64, 0, len(is.Sprints))
	for _, s := range is.Sprints {
		current = append(current, s.ID)
	}
	initial := current
	if len(evs) > 0 {
		initial = evs[0].from
	}
	var created time.Time
	if is.ChangelogComplete {
		created = is.Created
	}
	open := map[int64]time.Time{}
	var out []SprintMembership
	for _, id := range initial {
		open[id] = created
	}
	for _, e := range evs {
		for _, id := range e.from {
			if added, ok := open[id]; ok && !contains(e.to, id) {
				out = append(out, SprintMembership{SprintID: id, AddedAt: added, RemovedAt: e.at})
				delete(open, id)
			}
		}
		// Whatever "to" lists is a member from now on, even when an item disagrees
		// with the state before it (a sprint deleted in between).
		for _, id := range e.to {
			if _, ok := open[id]; !ok {
				open[id] = e.at
			}
		}
	}
	for _, id := range current {
		if _, ok := open[id]; !ok {
			// Current sprint missing from the (partial) history: known member,
			// unknown since when.
			open[id] = time.Time{}
		}
	}
	ids := make([]int64, 0, len(open))
	for id := range open {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		out = append(out, SprintMembership{SprintID: id, AddedAt: open[id]})
	}
	return out
}

// sprintIDs parses "12, 14" (ids of the sprint field's changelog items).
func sprintIDs(s string) []int64 {
	var out []int64
	for _, p := range strings.Split(s, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64); err == nil && !contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func contains(xs []int64, x int64) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
