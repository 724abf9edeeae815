package metrics

// flowDefinitionVersion names the definitions below; it is part of the flow
// fingerprint, so a binary whose definitions changed rebuilds the base tables
// on its first run.
const flowDefinitionVersion = "flow-1"

// flowBaseTables are rebuilt in this order (later ones read earlier ones); the
// tables and their columns are documented in migration 0460.
var flowBaseTables = []struct{ table, fill string }{
	{"flow_items", `INSERT INTO flow_items (source, project_id, issue_id, issue_key, issue_type, created, resolved, updated,
		story_points, epic_key, fix_versions, fix_version_ids, status, category, column_name)
WITH settings AS (
    SELECT coalesce(any_value(exclude_issue_types), ['epic']) AS exclude FROM flow_settings
)
SELECT i.source, i.project_id, i.issue_id, i.issue_key, i.issue_type, i.created, i.resolved, i.updated,
    i.story_points, coalesce(i.epic_key, i.parent_key), i.fix_versions, i.fix_version_ids, i.status,
    coalesce(m.category, CASE i.status_category WHEN 'new' THEN 'to_do' WHEN 'indeterminate' THEN 'in_progress'
        WHEN 'done' THEN 'done' END, 'to_do'),
    m.column_name
FROM issues i
CROSS JOIN settings s
LEFT JOIN flow_status_map m ON m.source = i.source AND m.project_id = i.project_id AND m.status = lower(i.status)
WHERE i.in_scope AND i.deleted_at IS NULL AND NOT coalesce(i.is_subtask, false)
    AND NOT list_contains(s.exclude, lower(coalesce(i.issue_type, '')))
    AND NOT EXISTS (SELECT 1 FROM risks r WHERE r.source = i.source AND r.risk_id = i.issue_key)`},

	// A sync confirms the whole source up to its latest activity, so a quiet
	// project of a busy source is observed (with zero weeks) up to that time too.
	{"flow_horizon", `INSERT INTO flow_horizon (project_id, observed_at, as_of)
WITH by_source AS (
    SELECT source, max(t) AS observed_at FROM (
        SELECT source, greatest(created, coalesce(updated, created), coalesce(resolved, created)) AS t FROM issues
        UNION ALL
        SELECT source, changed_at FROM issue_status_changes
    ) GROUP BY source
)
SELECT it.project_id, max(b.observed_at), CAST(max(b.observed_at) AT TIME ZONE 'UTC' AS DATE)
FROM (SELECT DISTINCT source, project_id FROM flow_items) it
JOIN by_source b ON b.source = it.source
WHERE b.observed_at IS NOT NULL
GROUP BY it.project_id`},

	{"flow_intervals", `INSERT INTO flow_intervals (source, project_id, issue_id, status, category, entered_at, left_at, previous_category, seq)
WITH ch AS (
    SELECT c.source, c.project_id, c.issue_id, c.changed_at, c.from_status, c.to_status, c.from_category, c.to_category,
        row_number() OVER (PARTITION BY c.source, c.issue_id
            ORDER BY c.changed_at, (c.from_status IS NULL AND c.from_status_id IS NULL) DESC,
                try_cast(c.history_id AS BIGINT) NULLS FIRST, c.history_id) AS seq
    FROM issue_status_changes c
    JOIN flow_items it ON it.source = c.source AND it.issue_id = c.issue_id
), raw AS (
    SELECT source, project_id, issue_id, changed_at AS entered_at, seq, to_status AS status, to_category AS jira_category
    FROM ch
    UNION ALL
    -- History that starts after creation: the time before it in the first from-status.
    SELECT ch.source, ch.project_id, ch.issue_id, it.created, 0, ch.from_status, ch.from_category
    FROM ch JOIN flow_items it ON it.source = ch.source AND it.issue_id = ch.issue_id
    WHERE ch.seq = 1 AND ch.from_status IS NOT NULL AND it.created < ch.changed_at
    UNION ALL
    -- No history: to_do until the resolution (when done), then the current status.
    SELECT it.source, it.project_id, it.issue_id, it.created, 0,
        CASE WHEN it.category = 'done' AND it.resolved > it.created THEN NULL ELSE it.status END,
        CASE WHEN it.category = 'done' AND it.resolved > it.created THEN 'new' END
    FROM flow_items it
    WHERE it.created IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ch WHERE ch.source = it.source AND ch.issue_id = it.issue_id)
    UNION ALL
    SELECT it.source, it.project_id, it.issue_id, it.resolved, 1, it.status, NULL
    FROM flow_items it
    WHERE it.category = 'done' AND it.resolved > it.created
        AND NOT EXISTS (SELECT 1 FROM ch WHERE ch.source = it.source AND ch.issue_id = it.issue_id)
), categorised AS (
    SELECT r.source, r.project_id, r.issue_id, r.entered_at, r.seq, r.status,
        coalesce(m.category,
            CASE r.jira_category WHEN 'new' THEN 'to_do' WHEN 'indeterminate' THEN 'in_progress' WHEN 'done' THEN 'done' END,
            CASE WHEN r.status IS NULL THEN 'to_do' END,
            it.category) AS category
    FROM raw r
    JOIN flow_items it ON it.source = r.source AND it.issue_id = r.issue_id
    LEFT JOIN flow_status_map m ON m.source = r.source AND m.project_id = r.project_id AND m.status = lower(r.status)
)
SELECT source, project_id, issue_id, status, category, entered_at,
    lead(entered_at) OVER (PARTITION BY source, issue_id ORDER BY entered_at, seq),
    lag(category) OVER (PARTITION BY source, issue_id ORDER BY entered_at, seq),
    seq
FROM categorised`},

	{"cycle_times", `INSERT INTO cycle_times (issue_id, started_at, finished_at, cycle_days, lead_days, source, project_id,
		issue_key, issue_type, created, story_points, epic_key, status, category)
WITH per AS (
    SELECT source, issue_id,
        min(entered_at) FILTER (WHERE category = 'in_progress') AS started_at,
        max(entered_at) FILTER (WHERE category = 'done' AND previous_category IS DISTINCT FROM 'done') AS done_at
    FROM flow_intervals GROUP BY source, issue_id
), t AS (
    SELECT it.*, p.started_at,
        CASE WHEN it.category = 'done' THEN coalesce(p.done_at, it.resolved) END AS finished_at
    FROM flow_items it LEFT JOIN per p ON p.source = it.source AND p.issue_id = it.issue_id
)
SELECT issue_id,
    CASE WHEN finished_at IS NULL OR started_at <= finished_at THEN started_at END,
    finished_at,
    CASE WHEN started_at <= finished_at THEN epoch(finished_at - started_at) / 86400.0 END,
    CASE WHEN created <= finished_at THEN epoch(finished_at - created) / 86400.0 END,
    source, project_id, issue_key, issue_type, created, story_points, epic_key, status, category
FROM t`},
}
