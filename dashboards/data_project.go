package dashboards

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// evmSeries is the project's project_evm rows up to as_of, oldest first.
func (r *req) evmSeries(projectID string) ([]row, string, error) {
	if why := r.cat.missing("project_evm", "project_id", "as_of"); why != "" {
		return nil, why, nil
	}
	rs, err := r.queryRows(fmt.Sprintf(`SELECT CAST(as_of AS DATE) AS as_of %s FROM project_evm e
		WHERE project_id = ? AND CAST(as_of AS DATE) <= CAST(? AS DATE) ORDER BY as_of`, r.evmSelect("e")), projectID, r.p.bound())
	if err != nil {
		return nil, "", err
	}
	return rs.Rows, "", nil
}

// milestones is the project's milestone_slips rows up to as_of. Until the metrics
// layer publishes milestone_slips, the schedule snapshots themselves are read
// (task_snapshots milestones: baseline vs current finish, slip in calendar days).
// src names the relation used.
func (r *req) milestones(projectID string) (rows []row, src, why string, err error) {
	if r.cat.has("milestone_slips", "project_id", "milestone", "snapshot_date", "baseline_finish", "forecast_finish", "slip_days") {
		uid := "NULL"
		if r.cat.col("milestone_slips", "task_uid") {
			uid = "task_uid"
		}
		rs, err := r.queryRows(fmt.Sprintf(`SELECT %s AS task_uid, milestone, CAST(snapshot_date AS DATE) AS snapshot_date,
		CAST(baseline_finish AS DATE) AS baseline_finish, CAST(forecast_finish AS DATE) AS forecast_finish, slip_days
		FROM milestone_slips WHERE project_id = ? AND CAST(snapshot_date AS DATE) <= CAST(? AS DATE)
		ORDER BY baseline_finish NULLS LAST, milestone, snapshot_date`, uid), projectID, r.p.bound())
		if err != nil {
			return nil, "", "", err
		}
		return rs.Rows, "milestone_slips", "", nil
	}
	why = r.cat.missing("milestone_slips", "project_id", "milestone", "snapshot_date", "baseline_finish", "forecast_finish", "slip_days")
	if !r.cat.has("task_snapshots", "project_id", "snapshot_date", "task_uid", "milestone", "baseline_finish", "finish") {
		return nil, "milestone_slips", why, nil
	}
	rs, err := r.queryRows(fmt.Sprintf(`SELECT task_uid, coalesce(%s, 'Milestone ' || task_uid) AS milestone, CAST(snapshot_date AS DATE) AS snapshot_date,
		CAST(baseline_finish AS DATE) AS baseline_finish, CAST(finish AS DATE) AS forecast_finish,
		date_diff('day', CAST(baseline_finish AS DATE), CAST(finish AS DATE)) AS slip_days
		FROM task_snapshots WHERE project_id = ? AND milestone AND %s AND CAST(snapshot_date AS DATE) <= CAST(? AS DATE)
		QUALIFY row_number() OVER (PARTITION BY task_uid, CAST(snapshot_date AS DATE) ORDER BY snapshot_date DESC) = 1
		ORDER BY baseline_finish NULLS LAST, milestone, snapshot_date`, nullOr(r.cat.pick("task_snapshots", "name")), r.leafFilter()), projectID, r.p.bound())
	if err != nil {
		return nil, "", "", err
	}
	return rs.Rows, "task_snapshots", "", nil
}

// leafFilter keeps the task_snapshots rows that count (issue 5 §1): leaf, active,
// non-null tasks, never the summary rows that would count twice.
func (r *req) leafFilter() string {
	conds := []string{"TRUE"}
	for _, c := range []string{"summary", "is_project_summary", "is_null"} {
		if r.cat.col("task_snapshots", c) {
			conds = append(conds, "NOT coalesce("+c+", false)")
		}
	}
	if r.cat.col("task_snapshots", "active") {
		conds = append(conds, "coalesce(active, true)")
	}
	return strings.Join(conds, " AND ")
}

// taskCols maps the task-level variance view. Issue 5 names no such view; this is
// what dashboards asks the metrics layer for (see notes-for-helpers/dashboards.md).
type taskCols struct {
	rel, date, uid, wbs, name, bac, pv, ev, ac, sv, cv, baseline, finish, slip string
}

func (r *req) taskColumns() (taskCols, string) {
	rel := r.cat.first("task_evm", "task_variances")
	if rel == "" {
		return taskCols{}, "the warehouse has no task-level view task_evm yet"
	}
	t := taskCols{rel: rel,
		date:     r.cat.pick(rel, "as_of", "snapshot_date"),
		uid:      r.cat.pick(rel, "task_uid", "uid"),
		wbs:      r.cat.pick(rel, "wbs", "outline_number"),
		name:     r.cat.pick(rel, "task_name", "name"),
		bac:      r.cat.pick(rel, "bac", "baseline_cost"),
		pv:       r.cat.pick(rel, "pv"),
		ev:       r.cat.pick(rel, "ev"),
		ac:       r.cat.pick(rel, "ac", "actual_cost"),
		sv:       r.cat.pick(rel, "sv"),
		cv:       r.cat.pick(rel, "cv"),
		baseline: r.cat.pick(rel, "baseline_finish"),
		finish:   r.cat.pick(rel, "forecast_finish", "finish"),
		slip:     r.cat.pick(rel, "finish_slip_days", "slip_days"),
	}
	var lack []string
	for name, v := range map[string]string{"as_of": t.date, "task_uid": t.uid, "wbs": t.wbs} {
		if v == "" {
			lack = append(lack, name)
		}
	}
	if !r.cat.col(rel, "project_id") {
		lack = append(lack, "project_id")
	}
	if len(lack) > 0 {
		return t, fmt.Sprintf("view %s has no column %s yet", rel, strings.Join(lack, ", "))
	}
	return t, ""
}

// tasks returns the project's task variances from its latest snapshot on or before
// as_of, in WBS order: from task_evm when the metrics layer provides it, else from
// the schedule snapshot itself (task_snapshots: Microsoft Project's own BCWS, BCWP
// and ACWP at the snapshot's status date). src names the relation used.
func (r *req) tasks(projectID string, limit int) (rows []row, src, why string, err error) {
	t, why := r.taskColumns()
	var q string
	switch {
	case why == "":
		src = t.rel
		col := func(c, as string) string {
			if c == "" {
				return "NULL AS " + as
			}
			return c + " AS " + as
		}
		sv, cv := col(t.sv, "sv"), col(t.cv, "cv")
		if t.sv == "" && t.pv != "" && t.ev != "" {
			sv = fmt.Sprintf("%s - %s AS sv", t.ev, t.pv)
		}
		if t.cv == "" && t.ac != "" && t.ev != "" {
			cv = fmt.Sprintf("%s - %s AS cv", t.ev, t.ac)
		}
		q = fmt.Sprintf(`SELECT CAST(%s AS DATE) AS as_of, %s, CAST(%s AS VARCHAR) AS wbs, %s, %s, %s, %s, %s, %s, %s,
		CAST(%s AS DATE) AS baseline_finish, CAST(%s AS DATE) AS forecast_finish, %s
	FROM %s WHERE project_id = ? AND CAST(%s AS DATE) <= CAST(? AS DATE)
	QUALIFY CAST(%s AS DATE) = max(CAST(%s AS DATE)) OVER ()
	ORDER BY wbs LIMIT %d`,
			t.date, col(t.uid, "task_uid"), t.wbs, col(t.name, "task_name"), col(t.bac, "bac"), col(t.pv, "pv"),
			col(t.ev, "ev"), col(t.ac, "ac"), sv, cv, nullOr(t.baseline), nullOr(t.finish), col(t.slip, "slip_days"),
			t.rel, t.date, t.date, t.date, limit)
	case r.cat.has("task_snapshots", "snapshot_id", "project_id", "snapshot_date", "task_uid", "wbs", "baseline_cost", "bcws", "bcwp", "acwp", "baseline_finish", "finish"):
		src = "task_snapshots"
		q = fmt.Sprintf(`WITH snap AS (
	SELECT snapshot_id FROM task_snapshots WHERE project_id = ? AND CAST(snapshot_date AS DATE) <= CAST(? AS DATE)
	ORDER BY snapshot_date DESC, snapshot_id DESC LIMIT 1)
SELECT CAST(t.snapshot_date AS DATE) AS as_of, t.task_uid, coalesce(t.wbs, CAST(t.task_uid AS VARCHAR)) AS wbs, %s AS task_name,
	t.baseline_cost AS bac, t.bcws AS pv, t.bcwp AS ev, t.acwp AS ac, t.bcwp - t.bcws AS sv, t.bcwp - t.acwp AS cv,
	CAST(t.baseline_finish AS DATE) AS baseline_finish, CAST(t.finish AS DATE) AS forecast_finish,
	date_diff('day', CAST(t.baseline_finish AS DATE), CAST(t.finish AS DATE)) AS slip_days
FROM task_snapshots t JOIN snap ON snap.snapshot_id = t.snapshot_id
WHERE %s ORDER BY wbs LIMIT %d`, nullOr(r.cat.pick("task_snapshots", "name")), r.leafFilter(), limit)
	default:
		return nil, "task_evm", why, nil
	}
	rs, err := r.queryRows(q, projectID, r.p.bound())
	if err != nil {
		return nil, "", "", err
	}
	sort.SliceStable(rs.Rows, func(i, j int) bool { return wbsLess(rs.Rows[i].str("wbs"), rs.Rows[j].str("wbs")) })
	return rs.Rows, src, "", nil
}

// wbsLess orders WBS codes segment by segment, numerically where both are numbers
// (1.2 < 1.10), as a schedule lists them.
func wbsLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for k := 0; k < len(as) && k < len(bs); k++ {
		if as[k] == bs[k] {
			continue
		}
		ai, aerr := strconv.Atoi(as[k])
		bi, berr := strconv.Atoi(bs[k])
		if aerr == nil && berr == nil {
			return ai < bi
		}
		return as[k] < bs[k]
	}
	return len(as) < len(bs)
}

func nullOr(c string) string {
	if c == "" {
		return "NULL"
	}
	return c
}

// flowWeekly is the project's flow_weekly rows up to as_of.
func (r *req) flowWeekly(projectID string) ([]row, string, error) {
	if why := r.cat.missing("flow_weekly", "project_id", "week_start", "throughput"); why != "" {
		return nil, why, nil
	}
	var cols []string
	for _, c := range []string{"wip", "cycle_p50_days", "cycle_p85_days", "lead_p50_days"} {
		if r.cat.col("flow_weekly", c) {
			cols = append(cols, c)
		}
	}
	extra := ""
	if len(cols) > 0 {
		extra = ", " + strings.Join(cols, ", ")
	}
	rs, err := r.queryRows(fmt.Sprintf(`SELECT CAST(week_start AS DATE) AS week_start, throughput%s FROM flow_weekly
		WHERE project_id = ? AND CAST(week_start AS DATE) <= CAST(? AS DATE) ORDER BY week_start`, extra), projectID, r.p.bound())
	if err != nil {
		return nil, "", err
	}
	return rs.Rows, "", nil
}

// projectLink finds how rows of rel (keyed by keyCol) belong to projects: a
// project_id column of rel itself, or a link table holding (keyCol, project_id),
// such as the Jira connector's issues and sprint_issues. It returns a join clause
// (alias l), the qualified project column, the link table, or a reason.
func (r *req) projectLink(rel, keyCol string, extra []string, linkTables ...string) (join, projectCol, link, why string) {
	if r.cat.col(rel, "project_id") {
		return "", "x.project_id", "", ""
	}
	for _, lt := range linkTables {
		if r.cat.has(lt, keyCol, "project_id") {
			cols := []string{keyCol, "project_id"}
			for _, e := range extra {
				if r.cat.col(lt, e) {
					cols = append(cols, e)
				}
			}
			return fmt.Sprintf("JOIN (SELECT DISTINCT ON (%[1]s, project_id) %[2]s FROM %[3]s) l ON l.%[1]s = x.%[1]s", keyCol, strings.Join(cols, ", "), lt),
				"l.project_id", lt, ""
		}
	}
	return "", "", "", fmt.Sprintf("view %s has no project_id column and no table (%s) links %s to a project yet", rel, strings.Join(linkTables, ", "), keyCol)
}

// cycleTimes lists the project's finished items up to as_of, newest first.
func (r *req) cycleTimes(projectID string, limit int) ([]row, string, error) {
	if why := r.cat.missing("cycle_times", "issue_id", "finished_at", "cycle_days"); why != "" {
		return nil, why, nil
	}
	join, pcol, link, why := r.projectLink("cycle_times", "issue_id", []string{"issue_key"}, "issues", "jira_issues")
	if why != "" {
		return nil, why, nil
	}
	label := "CAST(x.issue_id AS VARCHAR)"
	switch {
	case r.cat.col("cycle_times", "issue_key"):
		label = "coalesce(x.issue_key, " + label + ")"
	case link != "" && r.cat.col(link, "issue_key"):
		label = "coalesce(l.issue_key, " + label + ")"
	}
	lead := "NULL"
	if r.cat.col("cycle_times", "lead_days") {
		lead = "x.lead_days"
	}
	started := "NULL"
	if r.cat.col("cycle_times", "started_at") {
		started = "CAST(x.started_at AS DATE)"
	}
	q := fmt.Sprintf(`SELECT %s AS item, %s AS started, CAST(x.finished_at AS DATE) AS finished, x.cycle_days AS cycle_days, %s AS lead_days
	FROM cycle_times x %s WHERE %s = ? AND x.finished_at IS NOT NULL AND CAST(x.finished_at AS DATE) <= CAST(? AS DATE)
	ORDER BY x.finished_at DESC, item LIMIT %d`, label, started, lead, join, pcol, limit)
	rs, err := r.queryRows(q, projectID, r.p.bound())
	if err != nil {
		return nil, "", err
	}
	return rs.Rows, "", nil
}

// sprints lists the project's sprint reports (commitment versus completion), in
// sprint order; names and end dates come from the Jira sprints table when the
// view does not carry them.
func (r *req) sprints(projectID string) ([]row, string, error) {
	if why := r.cat.missing("sprint_reports", "sprint_id", "committed_points", "completed_points"); why != "" {
		return nil, why, nil
	}
	join, pcol, _, why := r.projectLink("sprint_reports", "sprint_id", nil, "sprint_issues", "jira_sprints", "sprints")
	if why != "" {
		return nil, why, nil
	}
	names := ""
	name := "CAST(x.sprint_id AS VARCHAR)"
	end := ""
	if c := r.cat.pick("sprint_reports", "sprint_name", "name"); c != "" {
		name = fmt.Sprintf("coalesce(CAST(x.%s AS VARCHAR), %s)", c, name)
	} else if r.cat.has("sprints", "sprint_id", "name") {
		names = "LEFT JOIN (SELECT DISTINCT ON (sprint_id) * FROM sprints) sn ON sn.sprint_id = x.sprint_id"
		name = "coalesce(CAST(sn.name AS VARCHAR), " + name + ")"
	}
	if c := r.cat.pick("sprint_reports", "end_date", "complete_date", "ended_at", "end_at"); c != "" {
		end = "x." + c
	} else if names != "" {
		if c := r.cat.pick("sprints", "complete_date", "end_date"); c != "" {
			end = "sn." + c
		}
	}
	order, dateFilter := "x.sprint_id", "TRUE"
	args := []any{projectID}
	if end != "" {
		order = end + " NULLS LAST, x.sprint_id"
		dateFilter = fmt.Sprintf("(%[1]s IS NULL OR CAST(%[1]s AS DATE) <= CAST(? AS DATE))", end)
		args = append(args, r.p.bound())
	}
	var extra []string
	for _, c := range []string{"added_points", "removed_points", "committed_issues", "completed_issues"} {
		if r.cat.col("sprint_reports", c) {
			extra = append(extra, "x."+c+" AS "+c)
		} else {
			extra = append(extra, "NULL AS "+c)
		}
	}
	q := fmt.Sprintf(`SELECT %s AS sprint, x.committed_points AS committed_points, x.completed_points AS completed_points, %s
	FROM sprint_reports x %s %s WHERE %s = ? AND %s ORDER BY %s`, name, strings.Join(extra, ", "), join, names, pcol, dateFilter, order)
	rs, err := r.queryRows(q, args...)
	if err != nil {
		return nil, "", err
	}
	return rs.Rows, "", nil
}

// forecastRows returns the project's forecasts from its latest as_of on or before
// the request date (one row per scope), largest remaining scope first.
func (r *req) forecastRows(projectID string) ([]row, string, error) {
	if why := r.cat.missing("forecasts", "project_id", "as_of", "p50_date", "p85_date", "p95_date"); why != "" {
		return nil, why, nil
	}
	col := func(c string) string {
		if r.cat.col("forecasts", c) {
			return c
		}
		return "NULL"
	}
	q := fmt.Sprintf(`SELECT CAST(as_of AS DATE) AS as_of, %s AS scope, %s AS remaining_items, CAST(p50_date AS DATE) AS p50_date,
		CAST(p85_date AS DATE) AS p85_date, CAST(p95_date AS DATE) AS p95_date, %s AS method
	FROM forecasts WHERE project_id = ? AND CAST(as_of AS DATE) <= CAST(? AS DATE)
	QUALIFY CAST(as_of AS DATE) = max(CAST(as_of AS DATE)) OVER ()
	ORDER BY remaining_items DESC NULLS LAST, scope`, col("scope"), col("remaining_items"), col("method"))
	rs, err := r.queryRows(q, projectID, r.p.bound())
	if err != nil {
		return nil, "", err
	}
	return rs.Rows, "", nil
}

// forecastHistory returns each forecast as_of's remaining items for the project's
// main scope, for the burn-up's scope line.
func (r *req) forecastHistory(projectID, scope string) ([]row, error) {
	if !r.cat.has("forecasts", "project_id", "as_of", "remaining_items") {
		return nil, nil
	}
	scopeCond, args := "TRUE", []any{projectID, r.p.bound()}
	if r.cat.col("forecasts", "scope") {
		scopeCond = "scope IS NOT DISTINCT FROM ?"
		args = append(args, nullIfEmpty(scope))
	}
	rs, err := r.queryRows(fmt.Sprintf(`SELECT CAST(as_of AS DATE) AS as_of, max(remaining_items) AS remaining_items FROM forecasts
		WHERE project_id = ? AND CAST(as_of AS DATE) <= CAST(? AS DATE) AND %s GROUP BY ALL ORDER BY as_of`, scopeCond), args...)
	if err != nil {
		return nil, err
	}
	return rs.Rows, nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// forecastDistribution reads a precomputed Monte Carlo distribution when the
// forecasts layer publishes one (forecast_distribution: project_id, as_of, scope,
// finish_date, trials); nil means the page simulates it from flow_weekly.
func (r *req) forecastDistribution(projectID, asOf, scope string) ([]row, error) {
	if !r.cat.has("forecast_distribution", "project_id", "as_of", "finish_date", "trials") {
		return nil, nil
	}
	scopeCond, args := "TRUE", []any{projectID, asOf}
	if r.cat.col("forecast_distribution", "scope") {
		scopeCond = "scope IS NOT DISTINCT FROM ?"
		args = append(args, nullIfEmpty(scope))
	}
	rs, err := r.queryRows(fmt.Sprintf(`SELECT CAST(finish_date AS DATE) AS finish_date, sum(trials) AS trials FROM forecast_distribution
		WHERE project_id = ? AND CAST(as_of AS DATE) = CAST(? AS DATE) AND %s GROUP BY ALL ORDER BY finish_date`, scopeCond), args...)
	if err != nil {
		return nil, err
	}
	return rs.Rows, nil
}
