-- Delivery flow for Jira work: cycle times, weekly throughput and WIP, aging WIP,
-- cumulative flow, sprint commitment versus completion and velocity.
-- metrics.refreshFlow rewrites the two configuration tables (metrics.flow) and
-- derives four base tables from them and the Jira tables; the views are pure SQL
-- over those.
--
-- Conventions: weeks are ISO weeks (Monday 00:00 UTC to the next Monday); days are
-- elapsed time / 24 h, fractional; percentiles interpolate linearly between ranks
-- (quantile_cont, Excel's PERCENTILE.INC). Each project is observed up to its
-- latest activity (flow_horizon), never the wall clock, so the numbers of a
-- published version do not change from one day to the next.

-- One row: settings the views need. exclude_issue_types are lower-case.
CREATE TABLE flow_settings (
    exclude_issue_types VARCHAR[] NOT NULL,
    window_weeks        INTEGER NOT NULL
);

-- The flow category of every status per project: to_do, in_progress or done.
-- basis: config (metrics.flow.statuses), board (the project's board: first column
-- to_do, last done, others in_progress) or jira (the status category).
CREATE TABLE flow_status_map (
    source          VARCHAR NOT NULL,
    project_id      VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,  -- lower-case status name
    category        VARCHAR NOT NULL,
    basis           VARCHAR NOT NULL,
    board_id        BIGINT,
    column_name     VARCHAR,
    column_position INTEGER
);

-- The four base tables below are derived from the Jira tables and the two above
-- by metrics.refreshFlow (rebuilt in every run of a Jira source, and whenever
-- metrics.flow changes); the views further down read them.

-- flow_items: the issues that are work items — in the source's scope, not
-- deleted, not sub-tasks, not risk issues, not of an excluded type (Epic by
-- default) — with their current flow category (and board column).
CREATE TABLE flow_items (
    source          VARCHAR NOT NULL,
    project_id      VARCHAR NOT NULL,
    issue_id        BIGINT NOT NULL,
    issue_key       VARCHAR NOT NULL,
    issue_type      VARCHAR,
    created         TIMESTAMPTZ,
    resolved        TIMESTAMPTZ,
    updated         TIMESTAMPTZ,
    story_points    DOUBLE,
    epic_key        VARCHAR,          -- Epic Link, else the parent (team-managed epics)
    fix_versions    VARCHAR[],
    fix_version_ids VARCHAR[],
    status          VARCHAR,
    category        VARCHAR NOT NULL, -- to_do, in_progress, done
    column_name     VARCHAR
);

-- flow_horizon: how far each project is observed — the latest activity (issue
-- created/updated/resolved, status change) of the sources feeding it; as_of is
-- that day (UTC).
CREATE TABLE flow_horizon (
    project_id  VARCHAR NOT NULL,
    observed_at TIMESTAMPTZ NOT NULL,
    as_of       DATE NOT NULL
);

-- flow_intervals: the time each work item spent in each status, from the status
-- history (left_at NULL: still there). When the history does not start at
-- creation, the time before its first change is in that change's from-status; an
-- item without history is to_do from creation until its resolution (when done)
-- and in its current status since.
CREATE TABLE flow_intervals (
    source            VARCHAR NOT NULL,
    project_id        VARCHAR NOT NULL,
    issue_id          BIGINT NOT NULL,
    status            VARCHAR,
    category          VARCHAR NOT NULL,
    entered_at        TIMESTAMPTZ NOT NULL,
    left_at           TIMESTAMPTZ,
    previous_category VARCHAR,
    seq               BIGINT NOT NULL
);

-- cycle_times: one row per work item. started_at: first entry into in_progress;
-- finished_at: for items done now, the start of their final stretch in done
-- (reopened work counts when it is finished again), else the resolution date;
-- cycle_days = finished − started, lead_days = finished − created, in days.
-- Items that never showed in progress have no cycle time but count in throughput.
CREATE TABLE cycle_times (
    issue_id     BIGINT NOT NULL,
    started_at   TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ,
    cycle_days   DOUBLE,
    lead_days    DOUBLE,
    source       VARCHAR NOT NULL,
    project_id   VARCHAR NOT NULL,
    issue_key    VARCHAR NOT NULL,
    issue_type   VARCHAR,
    created      TIMESTAMPTZ,
    story_points DOUBLE,
    epic_key     VARCHAR,
    status       VARCHAR,
    category     VARCHAR NOT NULL
);

-- Bookkeeping: the flow configuration the base tables were built with, so runs of
-- other sources rebuild them only when it changed.
CREATE TABLE flow_refreshes (
    config_fingerprint VARCHAR NOT NULL,
    refreshed_at       TIMESTAMPTZ NOT NULL,
    run_id             BIGINT NOT NULL
);

-- flow_weeks: every ISO week of every project, from the week its first work item
-- was created to the week of its horizon. observed_at is the week's end, or the
-- horizon for the current week (complete = false).
CREATE VIEW flow_weeks AS
WITH bounds AS (
    SELECT it.project_id, CAST(date_trunc('week', min(it.created) AT TIME ZONE 'UTC') AS DATE) AS first_week,
        any_value(h.observed_at) AS horizon
    FROM flow_items it JOIN flow_horizon h ON h.project_id = it.project_id
    GROUP BY it.project_id
), weeks AS (
    SELECT project_id, horizon,
        CAST(unnest(generate_series(first_week, CAST(date_trunc('week', horizon AT TIME ZONE 'UTC') AS DATE), INTERVAL 7 DAY)) AS DATE) AS week_start
    FROM bounds WHERE first_week IS NOT NULL
)
SELECT project_id, week_start,
    CAST(week_start AS TIMESTAMP) AT TIME ZONE 'UTC' AS week_from,
    least(CAST(week_start + 7 AS TIMESTAMP) AT TIME ZONE 'UTC', horizon) AS observed_at,
    CAST(week_start + 7 AS TIMESTAMP) AT TIME ZONE 'UTC' <= horizon AS complete
FROM weeks;

-- flow_weekly: per project and week — throughput (items finished), wip (items in
-- progress at the week's end), cycle_p50/p85_days and lead_p50_days over the items
-- finished that week, arrivals (items created), complete (the week is over).
-- Weeks without a finished item have throughput 0 and NULL percentiles.
CREATE VIEW flow_weekly AS
WITH done AS (
    SELECT project_id, CAST(date_trunc('week', finished_at AT TIME ZONE 'UTC') AS DATE) AS week_start,
        count(*) AS throughput,
        quantile_cont(cycle_days, 0.5) AS cycle_p50_days,
        quantile_cont(cycle_days, 0.85) AS cycle_p85_days,
        quantile_cont(lead_days, 0.5) AS lead_p50_days,
        sum(story_points) AS points
    FROM cycle_times WHERE finished_at IS NOT NULL GROUP BY ALL
), arrived AS (
    SELECT project_id, CAST(date_trunc('week', created AT TIME ZONE 'UTC') AS DATE) AS week_start, count(*) AS arrivals
    FROM flow_items GROUP BY ALL
), wip AS (
    SELECT w.project_id, w.week_start, count(*) AS wip
    FROM flow_weeks w
    JOIN flow_intervals i ON i.project_id = w.project_id AND i.entered_at <= w.observed_at
        AND coalesce(i.left_at, CAST('infinity' AS TIMESTAMPTZ)) > w.observed_at
    WHERE i.category = 'in_progress'
    GROUP BY ALL
)
SELECT w.project_id, w.week_start, coalesce(d.throughput, 0) AS throughput, coalesce(p.wip, 0) AS wip,
    d.cycle_p50_days, d.cycle_p85_days, d.lead_p50_days,
    coalesce(a.arrivals, 0) AS arrivals, coalesce(d.points, 0) AS points_done, w.complete
FROM flow_weeks w
LEFT JOIN done d ON d.project_id = w.project_id AND d.week_start = w.week_start
LEFT JOIN arrived a ON a.project_id = w.project_id AND a.week_start = w.week_start
LEFT JOIN wip p ON p.project_id = w.project_id AND p.week_start = w.week_start;

-- cumulative_flow: work items per flow category at the end of every week (the
-- horizon for the current week): the stacked bands of a cumulative flow diagram.
CREATE VIEW cumulative_flow AS
WITH counts AS (
    SELECT w.project_id, w.week_start, i.category, count(*) AS issues
    FROM flow_weeks w
    JOIN flow_intervals i ON i.project_id = w.project_id AND i.entered_at <= w.observed_at
        AND coalesce(i.left_at, CAST('infinity' AS TIMESTAMPTZ)) > w.observed_at
    GROUP BY ALL
)
SELECT w.project_id, w.week_start, w.observed_at, c.category, coalesce(n.issues, 0) AS issues
FROM flow_weeks w
CROSS JOIN (VALUES ('to_do', 1), ('in_progress', 2), ('done', 3)) c(category, ord)
LEFT JOIN counts n ON n.project_id = w.project_id AND n.week_start = w.week_start AND n.category = c.category;

-- aging_wip: work in progress at the horizon with its age (days since it
-- started; since creation when the history lacks the start, age_from says which),
-- beside the project's cycle-time p50/p85 over items finished in the last
-- window_weeks weeks: an item older than p85 is at risk of becoming an outlier.
CREATE VIEW aging_wip AS
WITH settings AS (
    SELECT coalesce(any_value(window_weeks), 12) AS window_weeks FROM flow_settings
), recent AS (
    SELECT c.project_id,
        quantile_cont(c.cycle_days, 0.5) AS cycle_p50_days,
        quantile_cont(c.cycle_days, 0.85) AS cycle_p85_days
    FROM cycle_times c
    JOIN flow_horizon h ON h.project_id = c.project_id
    CROSS JOIN settings s
    WHERE c.finished_at > h.observed_at - to_days(7 * s.window_weeks)
    GROUP BY c.project_id
)
SELECT c.project_id, c.issue_id, c.issue_key, c.issue_type, c.status, it.column_name,
    coalesce(c.started_at, c.created) AS started_at,
    CASE WHEN c.started_at IS NULL THEN 'created' ELSE 'started' END AS age_from,
    h.as_of,
    epoch(h.observed_at - coalesce(c.started_at, c.created)) / 86400.0 AS age_days,
    r.cycle_p50_days, r.cycle_p85_days,
    coalesce(epoch(h.observed_at - coalesce(c.started_at, c.created)) / 86400.0 > r.cycle_p85_days, false) AS over_p85,
    c.story_points, c.epic_key, c.source
FROM cycle_times c
JOIN flow_items it ON it.source = c.source AND it.issue_id = c.issue_id
JOIN flow_horizon h ON h.project_id = c.project_id
LEFT JOIN recent r ON r.project_id = c.project_id
WHERE c.category = 'in_progress';

-- sprint_reports: commitment versus completion of every started sprint, rebuilt
-- from sprint membership history (sprint_issues), counting work items only.
-- committed: members at the sprint's start (a membership of unknown start counts
-- as committed). added: joined after the start and by its end. removed: left
-- after the start and before its end (leaving within a minute of completion is
-- the carry-over of the completion itself, not a removal). completed: members at
-- the end that are done then and were not done at the start. The end is the
-- completion date, else (closed sprints) the end date, else (active sprints) the
-- project's horizon. Points are the items' current story points (Jira's estimate
-- history is not stored); items without points count as 0 and are listed in
-- unestimated_issues.
CREATE VIEW sprint_reports AS
WITH sp AS (
    SELECT s.source, s.sprint_id, s.board_id, s.name, s.state, s.start_date, s.end_date, s.complete_date
    FROM sprints s WHERE s.start_date IS NOT NULL AND coalesce(s.state, '') <> 'future'
), members AS (
    SELECT si.source, si.sprint_id, si.issue_id, it.project_id, it.story_points, si.added_at, si.removed_at
    FROM sprint_issues si JOIN flow_items it ON it.source = si.source AND it.issue_id = si.issue_id
), bounded AS (
    SELECT sp.*, coalesce(sp.complete_date, CASE WHEN sp.state = 'closed' THEN sp.end_date END,
            (SELECT max(h.observed_at) FROM flow_horizon h
             WHERE h.project_id IN (SELECT m.project_id FROM members m WHERE m.source = sp.source AND m.sprint_id = sp.sprint_id))) AS ended
    FROM sp
), per_issue AS (
    SELECT b.source, b.sprint_id, m.issue_id, any_value(m.project_id) AS project_id, any_value(m.story_points) AS points,
        bool_or((m.added_at IS NULL OR m.added_at <= b.start_date) AND (m.removed_at IS NULL OR m.removed_at > b.start_date)) AS committed,
        bool_or(m.added_at > b.start_date AND m.added_at <= b.ended) AS joined,
        bool_or(m.removed_at > b.start_date AND m.removed_at <= b.ended) AS left_during,
        bool_or((m.added_at IS NULL OR m.added_at <= b.ended)
            AND (m.removed_at IS NULL OR m.removed_at >= b.ended - INTERVAL 1 MINUTE)) AS at_end,
        any_value(b.start_date) AS start_date, any_value(b.ended) AS ended
    FROM bounded b JOIN members m ON m.source = b.source AND m.sprint_id = b.sprint_id
    GROUP BY b.source, b.sprint_id, m.issue_id
), states AS (
    SELECT p.*,
        EXISTS (SELECT 1 FROM flow_intervals i WHERE i.source = p.source AND i.issue_id = p.issue_id AND i.category = 'done'
            AND i.entered_at <= p.ended AND coalesce(i.left_at, CAST('infinity' AS TIMESTAMPTZ)) > p.ended) AS done_at_end,
        EXISTS (SELECT 1 FROM flow_intervals i WHERE i.source = p.source AND i.issue_id = p.issue_id AND i.category = 'done'
            AND i.entered_at <= p.start_date AND coalesce(i.left_at, CAST('infinity' AS TIMESTAMPTZ)) > p.start_date) AS done_at_start
    FROM per_issue p
), flags AS (
    SELECT *,
        NOT committed AND joined AS added,
        left_during AND NOT at_end AS removed,
        at_end AND done_at_end AND NOT done_at_start AS completed
    FROM states
), agg AS (
    SELECT source, sprint_id,
        mode(project_id) AS project_id,
        coalesce(sum(points) FILTER (WHERE committed), 0) AS committed_points,
        coalesce(sum(points) FILTER (WHERE added), 0) AS added_points,
        coalesce(sum(points) FILTER (WHERE removed), 0) AS removed_points,
        coalesce(sum(points) FILTER (WHERE completed), 0) AS completed_points,
        count(*) FILTER (WHERE committed) AS committed_issues,
        count(*) FILTER (WHERE completed) AS completed_issues,
        count(*) FILTER (WHERE added) AS added_issues,
        count(*) FILTER (WHERE removed) AS removed_issues,
        count(*) FILTER (WHERE completed AND committed) AS completed_committed_issues,
        count(*) FILTER (WHERE points IS NULL) AS unestimated_issues
    FROM flags GROUP BY source, sprint_id
)
SELECT b.sprint_id, coalesce(a.committed_points, 0) AS committed_points, coalesce(a.added_points, 0) AS added_points,
    coalesce(a.removed_points, 0) AS removed_points, coalesce(a.completed_points, 0) AS completed_points,
    coalesce(a.committed_issues, 0) AS committed_issues, coalesce(a.completed_issues, 0) AS completed_issues,
    coalesce(a.added_issues, 0) AS added_issues, coalesce(a.removed_issues, 0) AS removed_issues,
    coalesce(a.completed_committed_issues, 0) AS completed_committed_issues,
    coalesce(a.unestimated_issues, 0) AS unestimated_issues,
    CASE WHEN a.committed_points > 0 THEN a.completed_points / a.committed_points END AS completion_ratio,
    b.source, a.project_id, b.board_id, b.name, b.state, b.start_date, b.end_date, b.complete_date, b.ended
FROM bounded b LEFT JOIN agg a ON a.source = b.source AND a.sprint_id = b.sprint_id;

-- velocity: completed points of every closed sprint per board, with the mean of
-- the last three closed sprints (this one included).
CREATE VIEW velocity AS
SELECT project_id, source, board_id, sprint_id, name, ended AS completed_at, committed_points, completed_points,
    avg(completed_points) OVER (PARTITION BY source, board_id ORDER BY ended, sprint_id
        ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS velocity_avg_3
FROM sprint_reports
WHERE state = 'closed';
