package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pmlens/pmlens/connectors/jira"
)

// JiraLoadOptions are the privacy settings of a Jira source as the loader
// applies them: the connector already leaves out what was not opted in, and the
// loader enforces it again, so no code path stores free text or a name by
// accident.
type JiraLoadOptions struct {
	Text          jira.TextFields
	IncludePeople bool
	// Now stamps loaded_at; nil means time.Now.
	Now func() time.Time
}

// JiraLoader writes a Jira sync into a run; it implements jira.Store. It streams:
// issues wait in a small buffer (at most jiraFlushRows rows or jiraFlushIssues
// issues) and are then appended in bulk, table by table. The rows of an issue
// stored earlier (by an earlier run or an earlier flush of this one) are deleted
// in the same flush, before the append, so each (source, issue_id) stays unique
// without constraints DuckDB would check too eagerly; a second version of an
// issue still in the buffer simply replaces the first.
type JiraLoader struct {
	run  *Run
	opts JiraLoadOptions

	// present maps every issue id of the source that is stored or buffered to
	// its updated time (Unix ms): ids only, so it stays small however many
	// issues a sync reads.
	present  map[int64]int64
	prepared bool
	pending  []pendingIssue // issues not yet appended, in arrival order
	slot     map[int64]int  // issue id → its index in pending
	stale    []int64        // stored issues whose rows the next flush replaces
	rows     int            // rows the pending issues will append
	people   map[string]any // identity → stored value (boxed name or hash); people repeat on every row
	interned map[string]any // boxed status names, ids and categories, which repeat on every row

	risksChecked, risksExist, risksWarned bool
}

// pendingIssue is an issue waiting to be appended, with the values its rows
// share boxed once (the appender takes interfaces; boxing per row would allocate).
type pendingIssue struct {
	is                 *jira.Issue
	projectID, id, key any
}

// The buffer is flushed at jiraFlushRows rows (an issue, its status changes,
// worklogs, sprint memberships and comments) or jiraFlushIssues issues: enough
// that opening the appenders and the replacing deletes is amortised, few enough
// that the buffer stays a few megabytes.
const (
	jiraFlushRows   = 8192
	jiraFlushIssues = 1000
)

var jiraColumns = map[string][]string{
	"issues": {"source", "project_id", "issue_id", "issue_key", "project_key", "issue_type", "is_subtask", "status", "status_id",
		"status_category", "priority", "resolution", "created", "updated", "resolved", "due_date", "start_date", "target_start",
		"target_end", "labels", "components", "fix_version_ids", "fix_versions", "parent_id", "parent_key", "epic_key", "story_points",
		"original_estimate_hours", "remaining_estimate_hours", "time_spent_hours", "sprint_ids", "assignee", "reporter", "summary",
		"description", "environment", "changelog_complete", "in_scope", "out_of_scope_at", "deleted_at", "loaded_at", "run_id"},
	"issue_status_changes": {"source", "project_id", "issue_id", "issue_key", "history_id", "from_status", "to_status",
		"from_status_id", "to_status_id", "from_category", "to_category", "changed_at", "author"},
	"worklogs":       {"source", "project_id", "issue_id", "issue_key", "worklog_id", "author", "started", "time_spent_hours", "created", "updated", "comment"},
	"issue_comments": {"source", "project_id", "issue_id", "issue_key", "comment_id", "author", "created", "body"},
	"sprint_issues":  {"source", "project_id", "issue_id", "issue_key", "sprint_id", "added_at", "removed_at"},
	"risks": {"source", "risk_id", "project_id", "title", "category", "owner", "status", "response", "opened", "closed", "due",
		"probability", "impact_cost", "impact_score", "probability_score", "updated_at", "is_open", "as_of"},
}

// jiraIssueTables are cleared per issue on upsert, children before issues.
var jiraIssueTables = []string{"issue_status_changes", "worklogs", "issue_comments", "sprint_issues", "issues"}

// NewJiraLoader returns a loader writing into run.
func NewJiraLoader(run *Run, opts JiraLoadOptions) *JiraLoader {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &JiraLoader{run: run, opts: opts, slot: map[int64]int{}, people: map[string]any{}, interned: map[string]any{}}
}

// State reads a per-source value.
func (l *JiraLoader) State(ctx context.Context, key string) (string, bool, error) {
	return l.run.State(ctx, key)
}

// SetState writes a per-source value, kept only if the run commits.
func (l *JiraLoader) SetState(ctx context.Context, key, value string) error {
	return l.run.SetState(ctx, key, value)
}

// Problem records a non-fatal problem of the run.
func (l *JiraLoader) Problem(location string, err error) { l.run.Problem(location, err) }

// Fields replaces the source's field list.
func (l *JiraLoader) Fields(ctx context.Context, fields []jira.Field) error {
	if _, err := l.run.Exec(ctx, `DELETE FROM jira_fields WHERE source = ?`, l.run.Source()); err != nil {
		return fmt.Errorf("clearing jira_fields: %w", err)
	}
	_, err := l.run.Append(ctx, "jira_fields", []string{"source", "field_id", "name", "custom", "schema_type", "schema_items", "schema_custom", "role"},
		func(add func(...any) error) error {
			for _, f := range fields {
				if err := add(l.run.Source(), f.ID, jstr(f.Name), f.Custom, jstr(f.SchemaType), jstr(f.SchemaItems), jstr(f.SchemaCustom), jstr(f.Role)); err != nil {
					return err
				}
			}
			return nil
		})
	return err
}

// Statuses upserts statuses by id.
func (l *JiraLoader) Statuses(ctx context.Context, statuses []jira.Status) error {
	if len(statuses) == 0 {
		return nil
	}
	ids := make([]string, len(statuses))
	for i, s := range statuses {
		ids[i] = s.ID
	}
	if _, err := l.run.Exec(ctx, `DELETE FROM jira_statuses WHERE source = ? AND list_contains(?, status_id)`, l.run.Source(), ids); err != nil {
		return fmt.Errorf("clearing jira_statuses: %w", err)
	}
	_, err := l.run.Append(ctx, "jira_statuses", []string{"source", "status_id", "name", "category"}, func(add func(...any) error) error {
		for _, s := range statuses {
			if err := add(l.run.Source(), s.ID, jstr(s.Name), jstr(s.Category)); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// prepare reads the ids (and update times) of the source's stored issues once,
// so upserts know which issues to delete first, and tunes the run's connection.
func (l *JiraLoader) prepare(ctx context.Context) error {
	if l.prepared {
		return nil
	}
	// DuckDB keeps a transaction's appended rows in memory until it has buffered
	// this many row groups per table (default 5, ~600,000 rows) and only then
	// writes them to the file; one keeps a large backfill's memory flat (the
	// 200,000-issue benchmark peaks ~80 MB lower). The setting is database-wide;
	// it only makes bulk loads of the writer flush sooner.
	if _, err := l.run.Exec(ctx, `SET write_buffer_row_group_count = 1`); err != nil {
		return fmt.Errorf("tuning the run's connection: %w", err)
	}
	rows, err := l.run.Query(ctx, `SELECT issue_id, epoch_ms(updated) FROM issues WHERE source = ?`, l.run.Source())
	if err != nil {
		return fmt.Errorf("reading stored issue ids: %w", err)
	}
	defer rows.Close()
	l.present = map[int64]int64{}
	for rows.Next() {
		var id int64
		var upd sql.NullInt64
		if err := rows.Scan(&id, &upd); err != nil {
			return err
		}
		l.present[id] = upd.Int64
	}
	l.prepared = true
	return rows.Err()
}

// Issues upserts a batch of issues. An issue older than the stored version (an
// earlier export file applied after a later one) is skipped; an issue without a
// project key is a problem of the run and skipped.
func (l *JiraLoader) Issues(ctx context.Context, issues []*jira.Issue) error {
	if err := l.prepare(ctx); err != nil {
		return err
	}
	for _, is := range issues {
		if is.ProjectKey == "" {
			l.run.Problem("issue "+is.Key, errors.New("no project key; the issue was not loaded"))
			continue
		}
		upd := int64(0)
		if !is.Updated.IsZero() {
			upd = is.Updated.UnixMilli()
		}
		prev, known := l.present[is.ID]
		if known && prev != 0 && upd != 0 && upd < prev {
			continue
		}
		pid, err := l.projectID(ctx, is.ProjectKey, is.ProjectName)
		if err != nil {
			return err
		}
		if is.Risk != nil {
			if ok, err := l.hasRisks(ctx); err != nil {
				return err
			} else if !ok {
				l.noRisks()
			}
		}
		p := pendingIssue{is: is, projectID: pid, id: is.ID, key: is.Key}
		l.present[is.ID] = upd
		if i, buffered := l.slot[is.ID]; buffered {
			// The earlier version never reached the table: replace it.
			l.rows += issueRows(is) - issueRows(l.pending[i].is)
			l.pending[i] = p
			continue
		}
		if known {
			l.stale = append(l.stale, is.ID)
		}
		l.slot[is.ID] = len(l.pending)
		l.pending = append(l.pending, p)
		l.rows += issueRows(is)
		if l.rows >= jiraFlushRows || len(l.pending) >= jiraFlushIssues {
			if err := l.flush(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// issueRows counts the rows an issue appends.
func issueRows(is *jira.Issue) int {
	return 1 + len(is.StatusChanges) + len(is.Worklogs) + len(is.SprintMemberships) + len(is.Comments)
}

func jidList(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

// deleteStale removes the stored rows of the issues the pending ones replace,
// with their risk rows: a risk is keyed by the issue key, which changes when an
// issue moves, and an issue may have stopped being a risk. A new risk issue
// also clears a risk row left under its key (a key Jira gave out again).
func (l *JiraLoader) deleteStale(ctx context.Context) error {
	src := l.run.Source()
	var keys []string
	for _, p := range l.pending {
		if p.is.Risk != nil {
			keys = append(keys, p.is.Key)
		}
	}
	if len(l.stale) > 0 || len(keys) > 0 {
		ok, err := l.hasRisks(ctx)
		if err != nil {
			return err
		}
		if ok {
			var conds []string
			args := []any{src}
			if len(keys) > 0 {
				conds = append(conds, `list_contains(?, risk_id)`)
				args = append(args, keys)
			}
			if len(l.stale) > 0 {
				conds = append(conds, `risk_id IN (SELECT issue_key FROM issues WHERE source = ? AND issue_id IN (`+jidList(l.stale)+`))`)
				args = append(args, src)
			}
			q := `DELETE FROM risks WHERE source = ? AND (` + strings.Join(conds, " OR ") + `)`
			if _, err := l.run.Exec(ctx, q, args...); err != nil {
				return fmt.Errorf("replacing risks: %w", err)
			}
		}
	}
	if len(l.stale) == 0 {
		return nil
	}
	in := jidList(l.stale)
	for _, t := range jiraIssueTables {
		if _, err := l.run.Exec(ctx, `DELETE FROM `+t+` WHERE source = ? AND issue_id IN (`+in+`)`, src); err != nil {
			return fmt.Errorf("replacing %s rows: %w", t, err)
		}
	}
	return nil
}

// hasRisks reports whether the risks tables exist (the risk-register migration
// creates them); without them risk issues load as plain issues.
func (l *JiraLoader) hasRisks(ctx context.Context) (bool, error) {
	if l.risksChecked {
		return l.risksExist, nil
	}
	var n int
	if err := l.run.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_name IN ('risks', 'risk_snapshots')`).Scan(&n); err != nil {
		return false, fmt.Errorf("looking for the risks tables: %w", err)
	}
	l.risksChecked, l.risksExist = true, n == 2
	return l.risksExist, nil
}

func (l *JiraLoader) noRisks() {
	if !l.risksWarned {
		l.risksWarned = true
		l.run.Problem("risks", errors.New("the risks table is missing (no risk-register migration in this build); risk issues were stored as issues only"))
	}
}

// person is what a person column holds: the name when the source opts in,
// otherwise (and for a person known only by e-mail address) its keyed hash;
// cached, as the same few people sign every row.
func (l *JiraLoader) person(p *jira.Person) any {
	id := p.Identity()
	if id == "" {
		return nil
	}
	v, ok := l.people[id]
	if !ok {
		if label := p.Label(); l.opts.IncludePeople && label != "" {
			v = label
		} else {
			v = l.run.HashPerson(id)
		}
		l.people[id] = v
	}
	return v
}

// intern boxes a short repeated string (a status, its id or category) once;
// "" is NULL.
func (l *JiraLoader) intern(s string) any {
	if s == "" {
		return nil
	}
	v, ok := l.interned[s]
	if !ok {
		if len(l.interned) > 4096 {
			clear(l.interned)
		}
		v = s
		l.interned[s] = v
	}
	return v
}

func (l *JiraLoader) text(opted bool, s string) any {
	if !opted || s == "" {
		return nil
	}
	return s
}

func (l *JiraLoader) projectID(ctx context.Context, key, name string) (string, error) {
	ref := ProjectRef{SourceKey: key, Name: key}
	if l.opts.Text.ProjectNames && name != "" {
		ref.Name = name
	}
	return l.run.Project(ctx, ref)
}

// flush deletes the rows the pending issues replace and appends the pending
// issues, one appender per table.
func (l *JiraLoader) flush(ctx context.Context) error {
	if len(l.pending) == 0 {
		return nil
	}
	if err := l.deleteStale(ctx); err != nil {
		return err
	}
	var (
		t    = l.opts.Text
		src  = any(l.run.Source())
		now  = l.opts.Now().UTC()
		vals = make([]any, 0, 48) // reused: add copies the values
	)
	row := func(add func(...any) error, values ...any) error {
		vals = append(vals[:0], values...)
		return add(vals...)
	}
	rows := map[string]func(add func(...any) error, p pendingIssue) error{
		"issues": func(add func(...any) error, p pendingIssue) error {
			is := p.is
			fvIDs := make([]string, 0, len(is.FixVersions))
			fvNames := make([]string, 0, len(is.FixVersions))
			for _, v := range is.FixVersions {
				fvIDs = append(fvIDs, v.ID)
				fvNames = append(fvNames, v.Name)
			}
			sprintIDs := make([]int64, 0, len(is.Sprints))
			for _, s := range is.Sprints {
				sprintIDs = append(sprintIDs, s.ID)
			}
			return row(add, src, p.projectID, p.id, p.key, l.intern(is.ProjectKey), l.intern(is.Type), is.Subtask, l.intern(is.Status),
				l.intern(is.StatusID), l.intern(is.StatusCategory), l.intern(is.Priority), l.intern(is.Resolution), jts(is.Created), jts(is.Updated), jts(is.Resolved),
				jts(is.DueDate), jts(is.StartDate), jts(is.TargetStart), jts(is.TargetEnd), jnonNil(is.Labels), jnonNil(is.Components),
				fvIDs, fvNames, joptInt(is.ParentID), jstr(is.ParentKey), jstr(is.EpicKey), joptF(is.StoryPoints, 1),
				joptF(is.OriginalEstimate, 3600), joptF(is.RemainingEstimate, 3600), joptF(is.TimeSpent, 3600), sprintIDs,
				l.person(is.Assignee), l.person(is.Reporter), l.text(t.Summary, is.Summary), l.text(t.Description, is.Description),
				l.text(t.Environment, is.Environment), is.ChangelogComplete, true, nil, nil, now, l.run.ID())
		},
		"issue_status_changes": func(add func(...any) error, p pendingIssue) error {
			for _, c := range p.is.StatusChanges {
				if err := row(add, src, p.projectID, p.id, p.key, jstr(c.HistoryID), l.intern(c.From), l.intern(c.To), l.intern(c.FromID),
					l.intern(c.ToID), l.intern(c.FromCategory), l.intern(c.ToCategory), c.ChangedAt, l.person(c.Author)); err != nil {
					return err
				}
			}
			return nil
		},
		"worklogs": func(add func(...any) error, p pendingIssue) error {
			for _, w := range p.is.Worklogs {
				if err := row(add, src, p.projectID, p.id, p.key, w.ID, l.person(w.Author), w.Started, float64(w.Seconds)/3600,
					jts(w.Created), jts(w.Updated), l.text(t.WorklogComments, w.Comment)); err != nil {
					return err
				}
			}
			return nil
		},
		"issue_comments": func(add func(...any) error, p pendingIssue) error {
			if !t.Comments {
				return nil
			}
			for _, c := range p.is.Comments {
				if err := row(add, src, p.projectID, p.id, p.key, c.ID, l.person(c.Author), jts(c.Created), jstr(c.Body)); err != nil {
					return err
				}
			}
			return nil
		},
		"sprint_issues": func(add func(...any) error, p pendingIssue) error {
			for _, m := range p.is.SprintMemberships {
				if err := row(add, src, p.projectID, p.id, p.key, m.SprintID, jts(m.AddedAt), jts(m.RemovedAt)); err != nil {
					return err
				}
			}
			return nil
		},
		"risks": func(add func(...any) error, p pendingIssue) error {
			is, r := p.is, p.is.Risk
			if r == nil || !l.risksExist {
				return nil
			}
			return row(add, src, p.key, p.projectID, l.text(t.Summary, r.Title), jstr(r.Category), l.person(r.Owner), jstr(r.Status), jstr(r.Response),
				jdate(is.Created), jdate(is.Resolved), jts(is.DueDate), joptF(r.Probability, 1), joptF(r.ImpactCost, 1),
				joptI(r.ImpactScore), joptI(r.ProbabilityScore), jts(is.Updated),
				is.Resolved.IsZero() && is.StatusCategory != "done", jdate(now))
		},
	}
	for _, table := range append([]string{"risks"}, jiraIssueTables...) {
		if !l.hasRows(table) {
			continue
		}
		fill := rows[table]
		if _, err := l.run.Append(ctx, table, jiraColumns[table], func(add func(...any) error) error {
			for _, p := range l.pending {
				if err := fill(add, p); err != nil {
					return fmt.Errorf("issue %s: %w", p.is.Key, err)
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	clear(l.pending)
	l.pending = l.pending[:0]
	l.stale = l.stale[:0]
	l.rows = 0
	clear(l.slot)
	return nil
}

// hasRows reports whether any pending issue has rows for table (an appender
// on a table is not opened for nothing).
func (l *JiraLoader) hasRows(table string) bool {
	for _, p := range l.pending {
		is := p.is
		switch table {
		case "issues":
			return true
		case "issue_status_changes":
			if len(is.StatusChanges) > 0 {
				return true
			}
		case "worklogs":
			if len(is.Worklogs) > 0 {
				return true
			}
		case "issue_comments":
			if l.opts.Text.Comments && len(is.Comments) > 0 {
				return true
			}
		case "sprint_issues":
			if len(is.SprintMemberships) > 0 {
				return true
			}
		case "risks":
			if is.Risk != nil && l.risksExist {
				return true
			}
		}
	}
	return false
}

// Boards replaces the source's boards and their column → status mapping.
func (l *JiraLoader) Boards(ctx context.Context, boards []jira.Board) error {
	src := l.run.Source()
	for _, t := range []string{"boards", "board_columns"} {
		if _, err := l.run.Exec(ctx, `DELETE FROM `+t+` WHERE source = ?`, src); err != nil {
			return fmt.Errorf("clearing %s: %w", t, err)
		}
	}
	projects, err := l.knownProjects(ctx)
	if err != nil {
		return err
	}
	if _, err := l.run.Append(ctx, "boards", []string{"source", "board_id", "name", "board_type", "project_key", "project_id", "filter_id", "sub_query"},
		func(add func(...any) error) error {
			for _, b := range boards {
				// A board's sub-filter is JQL, which can name people ("assignee =
				// jsmith"): kept only when the source opts into people's names.
				subQuery := jstr(b.SubQuery)
				if !l.opts.IncludePeople {
					subQuery = nil
				}
				if err := add(src, b.ID, jstr(b.Name), jstr(b.Type), jstr(b.ProjectKey), jstr(projects[b.ProjectKey]), jstr(b.FilterID), subQuery); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
		return err
	}
	if _, err := l.run.Append(ctx, "board_columns", []string{"source", "board_id", "column_position", "column_name", "status_id", "min_issues", "max_issues"},
		func(add func(...any) error) error {
			for _, b := range boards {
				for _, c := range b.Columns {
					ids := c.StatusIDs
					if len(ids) == 0 {
						ids = []string{""}
					}
					for _, sid := range ids {
						if err := add(src, b.ID, int32(c.Position), c.Name, jstr(sid), joptI32(c.Min), joptI32(c.Max)); err != nil {
							return err
						}
					}
				}
			}
			return nil
		}); err != nil {
		return err
	}
	if _, err := l.run.Exec(ctx, `UPDATE board_columns SET status = s.name, status_category = s.category
		FROM jira_statuses s WHERE board_columns.source = ? AND s.source = board_columns.source AND s.status_id = board_columns.status_id`, src); err != nil {
		return fmt.Errorf("naming board column statuses: %w", err)
	}
	return nil
}

// knownProjects maps the source's Jira project keys to pmlens project ids
// without creating projects for boards that lie outside the scope.
func (l *JiraLoader) knownProjects(ctx context.Context) (map[string]string, error) {
	rows, err := l.run.Query(ctx, `SELECT source_key, project_id FROM project_sources WHERE source = ?`, l.run.Source())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, p string
		if err := rows.Scan(&k, &p); err != nil {
			return nil, err
		}
		out[k] = p
	}
	return out, rows.Err()
}

// Sprints upserts sprints by id.
func (l *JiraLoader) Sprints(ctx context.Context, sprints []jira.Sprint) error {
	if len(sprints) == 0 {
		return nil
	}
	ids := make([]int64, len(sprints))
	for i, s := range sprints {
		ids[i] = s.ID
	}
	if _, err := l.run.Exec(ctx, `DELETE FROM sprints WHERE source = ? AND sprint_id IN (`+jidList(ids)+`)`, l.run.Source()); err != nil {
		return fmt.Errorf("replacing sprints: %w", err)
	}
	_, err := l.run.Append(ctx, "sprints", []string{"source", "sprint_id", "board_id", "name", "state", "start_date", "end_date", "complete_date", "created_date", "goal"},
		func(add func(...any) error) error {
			for _, s := range sprints {
				if err := add(l.run.Source(), s.ID, joptInt(s.BoardID), jstr(s.Name), jstr(s.State), jts(s.Start), jts(s.End), jts(s.Complete), jts(s.Created),
					l.text(l.opts.Text.SprintGoals, s.Goal)); err != nil {
					return err
				}
			}
			return nil
		})
	return err
}

// Versions upserts fix versions by id.
func (l *JiraLoader) Versions(ctx context.Context, versions []jira.Version) error {
	if len(versions) == 0 {
		return nil
	}
	ids := make([]string, len(versions))
	for i, v := range versions {
		ids[i] = v.ID
	}
	if _, err := l.run.Exec(ctx, `DELETE FROM fix_versions WHERE source = ? AND list_contains(?, version_id)`, l.run.Source(), ids); err != nil {
		return fmt.Errorf("replacing fix_versions: %w", err)
	}
	projects, err := l.knownProjects(ctx)
	if err != nil {
		return err
	}
	_, err = l.run.Append(ctx, "fix_versions", []string{"source", "project_id", "project_key", "version_id", "name", "released", "archived", "release_date", "start_date"},
		func(add func(...any) error) error {
			for _, v := range versions {
				if err := add(l.run.Source(), jstr(projects[v.ProjectKey]), jstr(v.ProjectKey), v.ID, jstr(v.Name), v.Released, v.Archived, jts(v.ReleaseDate), jts(v.StartDate)); err != nil {
					return err
				}
			}
			return nil
		})
	return err
}

// ProjectKeys lists the Jira projects of the source's live issues.
func (l *JiraLoader) ProjectKeys(ctx context.Context) ([]string, error) {
	if err := l.flush(ctx); err != nil {
		return nil, err
	}
	rows, err := l.run.Query(ctx, `SELECT DISTINCT project_key FROM issues WHERE source = ? AND deleted_at IS NULL ORDER BY 1`, l.run.Source())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// BeginScope empties the reconciliation scratch table.
func (l *JiraLoader) BeginScope(ctx context.Context) error {
	_, err := l.run.Exec(ctx, `DELETE FROM jira_scope_ids WHERE source = ?`, l.run.Source())
	return err
}

// ScopeIDs records ids that are in scope.
func (l *JiraLoader) ScopeIDs(ctx context.Context, ids []int64) error {
	_, err := l.run.Append(ctx, "jira_scope_ids", []string{"source", "issue_id"}, func(add func(...any) error) error {
		for _, id := range ids {
			if err := add(l.run.Source(), id); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// ScopeDiff compares the scope with the stored issues.
func (l *JiraLoader) ScopeDiff(ctx context.Context) (missing, unknown []int64, err error) {
	if err := l.flush(ctx); err != nil {
		return nil, nil, err
	}
	src := l.run.Source()
	missing, err = l.ids(ctx, `SELECT issue_id FROM issues i WHERE source = ? AND deleted_at IS NULL AND in_scope
		AND NOT EXISTS (SELECT 1 FROM jira_scope_ids s WHERE s.source = i.source AND s.issue_id = i.issue_id) ORDER BY issue_id`, src)
	if err != nil {
		return nil, nil, err
	}
	unknown, err = l.ids(ctx, `SELECT DISTINCT issue_id FROM jira_scope_ids s WHERE source = ?
		AND NOT EXISTS (SELECT 1 FROM issues i WHERE i.source = s.source AND i.issue_id = s.issue_id AND i.deleted_at IS NULL) ORDER BY issue_id`, src)
	return missing, unknown, err
}

func (l *JiraLoader) ids(ctx context.Context, q string, args ...any) ([]int64, error) {
	rows, err := l.run.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reconciling issue ids: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// MarkGone flags deleted and out-of-scope issues (their history stays), brings
// back issues that re-entered the scope, and empties the scratch table.
func (l *JiraLoader) MarkGone(ctx context.Context, deleted, outOfScope []int64, at time.Time) error {
	if err := l.flush(ctx); err != nil {
		return err
	}
	src := l.run.Source()
	stmts := []struct {
		q    string
		args []any
	}{
		{`UPDATE issues SET in_scope = true, out_of_scope_at = NULL WHERE source = ? AND NOT in_scope AND deleted_at IS NULL
			AND issue_id IN (SELECT issue_id FROM jira_scope_ids WHERE source = ?)`, []any{src, src}},
		{`DELETE FROM jira_scope_ids WHERE source = ?`, []any{src}},
	}
	if len(deleted) > 0 {
		stmts = append(stmts, struct {
			q    string
			args []any
		}{`UPDATE issues SET deleted_at = ?, in_scope = false, out_of_scope_at = coalesce(out_of_scope_at, ?) WHERE source = ? AND issue_id IN (` + jidList(deleted) + `)`, []any{at, at, src}})
	}
	if len(outOfScope) > 0 {
		stmts = append(stmts, struct {
			q    string
			args []any
		}{`UPDATE issues SET in_scope = false, out_of_scope_at = coalesce(out_of_scope_at, ?) WHERE source = ? AND issue_id IN (` + jidList(outOfScope) + `)`, []any{at, src}})
	}
	for _, s := range stmts {
		if _, err := l.run.Exec(ctx, s.q, s.args...); err != nil {
			return fmt.Errorf("marking issues gone: %w", err)
		}
	}
	return nil
}

// Finish appends what is buffered, learns statuses from the issues, fills
// status categories the changelog could not resolve, and snapshots the risks.
func (l *JiraLoader) Finish(ctx context.Context, asOf time.Time) error {
	if err := l.flush(ctx); err != nil {
		return err
	}
	src := l.run.Source()
	stmts := []string{
		`INSERT INTO jira_statuses (source, status_id, name, category)
			SELECT source, status_id, any_value(status), any_value(status_category) FROM issues
			WHERE source = $1 AND status_id IS NOT NULL
			AND status_id NOT IN (SELECT status_id FROM jira_statuses WHERE source = $1)
			GROUP BY source, status_id`,
		`UPDATE issue_status_changes SET from_category = s.category FROM jira_statuses s
			WHERE issue_status_changes.source = $1 AND s.source = $1 AND issue_status_changes.from_category IS NULL
			AND (s.status_id = issue_status_changes.from_status_id OR lower(s.name) = lower(issue_status_changes.from_status))`,
		`UPDATE issue_status_changes SET to_category = s.category FROM jira_statuses s
			WHERE issue_status_changes.source = $1 AND s.source = $1 AND issue_status_changes.to_category IS NULL
			AND (s.status_id = issue_status_changes.to_status_id OR lower(s.name) = lower(issue_status_changes.to_status))`,
	}
	for _, q := range stmts {
		if _, err := l.run.Exec(ctx, q, src); err != nil {
			return fmt.Errorf("finishing jira load: %w", err)
		}
	}
	ok, err := l.hasRisks(ctx)
	if err != nil || !ok {
		return err
	}
	day := time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
	if _, err := l.run.Exec(ctx, `DELETE FROM risk_snapshots WHERE source = ? AND as_of = ?`, src, day); err != nil {
		return fmt.Errorf("replacing today's risk snapshots: %w", err)
	}
	if _, err := l.run.Exec(ctx, `INSERT INTO risk_snapshots (source, risk_id, project_id, as_of, snapshot_date_source, status,
			probability, probability_score, impact_cost, impact_score, owner, due, closed, is_open, opened, title, category, response, run_id)
		SELECT source, risk_id, project_id, $2, 'jira-sync', status, probability, probability_score, impact_cost, impact_score, owner,
			due, closed, is_open, opened, title, category, response, $3
		FROM risks WHERE source = $1
		AND risk_id NOT IN (SELECT issue_key FROM issues WHERE source = $1 AND deleted_at IS NOT NULL)`, src, day, l.run.ID()); err != nil {
		return fmt.Errorf("snapshotting risks: %w", err)
	}
	return nil
}

func jstr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func jts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func jdate(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
}

func joptF(f *float64, div float64) any {
	if f == nil {
		return nil
	}
	return *f / div
}

func joptI(i *int) any {
	if i == nil {
		return nil
	}
	return int32(*i)
}

func joptI32(i int) any {
	if i == 0 {
		return nil
	}
	return int32(i)
}

func joptInt(i int64) any {
	if i == 0 {
		return nil
	}
	return i
}

func jnonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
