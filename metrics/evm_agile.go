package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/warehouse"
)

// As-of sources of AgileEVM rows.
const (
	AsOfSprintEnd    = "sprint_end"    // a planned sprint's last day, or a closed sprint's completion
	AsOfJiraActivity = "jira_activity" // the day of the project's latest Jira activity
)

// ReasonAgileNoSchedule explains the undefined earned-schedule measures of AgileEVM rows.
const ReasonAgileNoSchedule = "AgileEVM project: earned schedule needs a time-phased baseline; sprints_forecast is its schedule forecast"

// agileIssue is a work item whose story points AgileEVM counts.
type agileIssue struct {
	points   float64
	doneNow  bool
	doneAt   time.Time // no status history: when it became done (resolved, else updated)
	changes  []statusChange
	hasTrail bool
}

type statusChange struct {
	at       time.Time
	from, to string
}

// doneBy reports whether the issue was in a done-category status at t: the
// target of its last status change by t; before its first change, that change's
// origin; without any history, done since it was resolved.
func (is *agileIssue) doneBy(t time.Time) bool {
	if !is.hasTrail {
		return is.doneNow && !is.doneAt.IsZero() && !is.doneAt.After(t)
	}
	i := sort.Search(len(is.changes), func(k int) bool { return is.changes[k].at.After(t) })
	if i == 0 {
		return is.changes[0].from == "done"
	}
	return is.changes[i-1].to == "done"
}

// agileData is one project's Jira figures.
type agileData struct {
	issues   []*agileIssue
	worklogs []worklog // by start
	horizon  time.Time // latest activity
	sprints  []time.Time
}

type worklog struct {
	at    time.Time
	hours float64
}

// loadAgileData reads the work items, status histories, worklogs and closed
// sprints of the projects listed in evm_work (kind agile).
func loadAgileData(ctx context.Context, run *warehouse.Run, exclude []string) (map[string]*agileData, error) {
	out := map[string]*agileData{}
	get := func(id string) *agileData {
		d := out[id]
		if d == nil {
			d = &agileData{}
			out[id] = d
		}
		return d
	}
	const agile = `project_id IN (SELECT project_id FROM evm_work WHERE kind = 'agile')`
	type issueKey struct {
		source string
		id     int64
	}
	byKey := map[issueKey]*agileIssue{}
	err := rfQueryEach(ctx, run, `SELECT project_id, source, issue_id, lower(coalesce(issue_type, '')), coalesce(story_points, 0),
			coalesce(status_category, '') = 'done', coalesce(resolved, updated),
			greatest(created, updated, resolved)
		FROM issues WHERE `+agile+` AND deleted_at IS NULL AND in_scope AND NOT coalesce(is_subtask, false)`, nil,
		func(scan func(...any) error) error {
			var project, source, typ string
			var id int64
			var points float64
			var done bool
			var doneAt, latest sql.NullTime
			if err := scan(&project, &source, &id, &typ, &points, &done, &doneAt, &latest); err != nil {
				return err
			}
			d := get(project)
			if latest.Valid && latest.Time.After(d.horizon) {
				d.horizon = latest.Time
			}
			if slices.Contains(exclude, typ) {
				return nil
			}
			is := &agileIssue{points: points, doneNow: done, doneAt: doneAt.Time}
			d.issues = append(d.issues, is)
			byKey[issueKey{source, id}] = is
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("reading issues for AgileEVM: %w", err)
	}
	err = rfQueryEach(ctx, run, `SELECT project_id, source, issue_id, changed_at, coalesce(from_category, ''), coalesce(to_category, '')
		FROM issue_status_changes WHERE `+agile+` ORDER BY source, issue_id, changed_at`, nil,
		func(scan func(...any) error) error {
			var project, source, from, to string
			var id int64
			var at time.Time
			if err := scan(&project, &source, &id, &at, &from, &to); err != nil {
				return err
			}
			d := get(project)
			if at.After(d.horizon) {
				d.horizon = at
			}
			if is := byKey[issueKey{source, id}]; is != nil {
				is.changes = append(is.changes, statusChange{at: at, from: from, to: to})
				is.hasTrail = true
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("reading status history for AgileEVM: %w", err)
	}
	err = rfQueryEach(ctx, run, `SELECT project_id, started, time_spent_hours FROM worklogs WHERE `+agile+` ORDER BY project_id, started`, nil,
		func(scan func(...any) error) error {
			var project string
			var w worklog
			if err := scan(&project, &w.at, &w.hours); err != nil {
				return err
			}
			d := get(project)
			d.worklogs = append(d.worklogs, w)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("reading worklogs for AgileEVM: %w", err)
	}
	err = rfQueryEach(ctx, run, `SELECT DISTINCT si.project_id, coalesce(s.complete_date, s.end_date)
		FROM sprints s JOIN sprint_issues si ON si.source = s.source AND si.sprint_id = s.sprint_id
		WHERE si.`+agile+` AND s.state = 'closed' AND coalesce(s.complete_date, s.end_date) IS NOT NULL
		ORDER BY 1, 2`, nil,
		func(scan func(...any) error) error {
			var project string
			var at time.Time
			if err := scan(&project, &at); err != nil {
				return err
			}
			d := get(project)
			d.sprints = append(d.sprints, at)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("reading closed sprints for AgileEVM: %w", err)
	}
	return out, nil
}

// agilePoint is one as-of date of an AgileEVM project.
type agilePoint struct {
	asOf    time.Time // the day
	sprints float64   // n, sprints finished by the end of it
	source  string
}

// agilePoints lists the as-of dates: each planned sprint's last day (start +
// k × sprint_days − 1) before the latest Jira activity, or each closed sprint's
// completion day when the plan has no start, and the day of the latest activity.
func agilePoints(plan configs.Agile, d *agileData) []agilePoint {
	horizon := Day(d.horizon.UTC())
	start, planned, _ := plan.StartDate()
	var out []agilePoint
	if planned && plan.SprintDays > 0 {
		for k := 1; ; k++ {
			end := start.AddDate(0, 0, k*plan.SprintDays-1)
			if !end.Before(horizon) {
				break
			}
			out = append(out, agilePoint{asOf: end, sprints: float64(k), source: AsOfSprintEnd})
		}
		out = append(out, agilePoint{asOf: horizon, sprints: SprintsElapsed(start, plan.SprintDays, horizon), source: AsOfJiraActivity})
		return out
	}
	closedBy := func(day time.Time) float64 {
		n := 0
		for _, s := range d.sprints {
			if !Day(s.UTC()).After(day) {
				n++
			}
		}
		return float64(n)
	}
	for _, s := range d.sprints {
		day := Day(s.UTC())
		if !day.Before(horizon) {
			break
		}
		if len(out) == 0 || !out[len(out)-1].asOf.Equal(day) {
			out = append(out, agilePoint{asOf: day, sprints: closedBy(day), source: AsOfSprintEnd})
		}
	}
	return append(out, agilePoint{asOf: horizon, sprints: closedBy(horizon), source: AsOfJiraActivity})
}

// computeAgile derives a Jira-driven project's rows with AgileEVM.
func computeAgile(st evmSettings, p evmProject, plan configs.Agile, d *agileData, fp string, now time.Time, runID int64) []evmRow {
	rules := st.ragRules(p.Portfolio)
	var out []evmRow
	if d.horizon.IsZero() {
		return nil
	}
	points := agilePoints(plan, d)
	for _, pt := range points {
		end := pt.asOf.AddDate(0, 0, 1) // the as-of day counts as worked
		done := 0.0
		for _, is := range d.issues {
			if is.points != 0 && is.doneBy(end.Add(-time.Nanosecond)) {
				done += is.points
			}
		}
		hours := 0.0
		for _, w := range d.worklogs {
			if w.at.Before(end) {
				hours += w.hours
			}
		}
		in := AgileInputs{ReleaseBudget: plan.ReleaseBudget, PlannedPoints: plan.PlannedPoints, PlannedSprints: plan.PlannedSprints,
			SprintsCompleted: pt.sprints, PointsDone: done, Hours: hours, Rate: plan.HourlyRate, CostToDate: Null(ReasonMissingInput)}
		latest := pt.source == AsOfJiraActivity
		if plan.ActualCost > 0 && latest {
			in.CostToDate = Of(plan.ActualCost)
		}
		row := evmRow{ProjectID: p.ID, AsOf: pt.asOf, Source: SourceJira, Currency: p.Currency, AsOfSource: pt.source,
			Fingerprint: fp, ComputedAt: now, RunID: runID}
		res, err := AgileEVM(in, st.opts)
		if err != nil && plan.HourlyRate == 0 && !in.CostToDate.Valid {
			// No cost basis for this date (actual_cost is the cost to date at the
			// latest as-of): keep PV and EV, leave AC and what needs it NULL.
			in.CostToDate = Of(0)
			if res, err = AgileEVM(in, st.opts); err == nil {
				m := res.Measures
				res.Measures = Compute(Inputs{BAC: m.BAC, PV: m.PV, EV: m.EV, EACBottomUp: Null(ReasonNoBottomUp),
					AC: Null("no actual cost for this date: actual_cost is the cost to date at the latest as-of; set hourly_rate for history")}, st.opts)
				res.SprintsForecast = ratio(Of(float64(plan.PlannedSprints)), res.Measures.SPI, ReasonIndexZero)
			}
		}
		if err != nil {
			reason := "AgileEVM release plan: " + strings.TrimPrefix(err.Error(), "metrics: ")
			row.M = Compute(Inputs{BAC: Null(reason), PV: Null(reason), EV: Null(reason), AC: Null(reason), EACBottomUp: Null(reason)}, st.opts)
			n := Null(reason)
			row.Agile = &agileExtras{PPC: n, APC: n, SprintsForecast: n, SprintsDone: pt.sprints, PointsDone: done}
		} else {
			row.M = res.Measures
			row.Agile = &agileExtras{PPC: res.PPC, APC: res.APC, SprintsForecast: res.SprintsForecast, SprintsDone: pt.sprints, PointsDone: done}
		}
		row.M.Schedule = nullSchedule(ReasonAgileNoSchedule)
		row.RAG = rules.Evaluate(row.M)
		out = append(out, row)
	}
	return out
}
