-- Jira: issues, their status history, worklogs, sprints, boards and releases.
-- Rows are upserted by (source, issue_id) with delete + insert inside the run's
-- transaction. The tables deliberately have no PRIMARY KEY or UNIQUE constraint:
-- DuckDB checks those eagerly, so deleting and re-inserting the same key in one
-- transaction can fail; the loader keeps the keys unique instead.
-- Free-text columns (summary, description, environment, comment bodies, sprint
-- goals) are NULL unless the source opts in with include_text_fields; people
-- columns hold keyed hashes ("person:…") unless include_people is true.

CREATE TABLE issues (
    source                   VARCHAR NOT NULL,
    project_id               VARCHAR NOT NULL,  -- pmlens project (projects.project_id)
    issue_id                 BIGINT NOT NULL,   -- Jira's numeric id: stable when the key changes
    issue_key                VARCHAR NOT NULL,
    project_key              VARCHAR NOT NULL,
    issue_type               VARCHAR,
    is_subtask               BOOLEAN,
    status                   VARCHAR,
    status_id                VARCHAR,
    status_category          VARCHAR,           -- new, indeterminate, done
    priority                 VARCHAR,
    resolution               VARCHAR,
    created                  TIMESTAMPTZ,
    updated                  TIMESTAMPTZ,
    resolved                 TIMESTAMPTZ,
    due_date                 DATE,
    start_date               DATE,
    target_start             DATE,
    target_end               DATE,
    labels                   VARCHAR[],
    components               VARCHAR[],
    fix_version_ids          VARCHAR[],
    fix_versions             VARCHAR[],
    parent_id                BIGINT,
    parent_key               VARCHAR,
    epic_key                 VARCHAR,
    story_points             DOUBLE,
    original_estimate_hours  DOUBLE,
    remaining_estimate_hours DOUBLE,
    time_spent_hours         DOUBLE,
    sprint_ids               BIGINT[],
    assignee                 VARCHAR,
    reporter                 VARCHAR,
    summary                  VARCHAR,
    description              VARCHAR,
    environment              VARCHAR,
    changelog_complete       BOOLEAN NOT NULL,  -- false: history partial (truncated export)
    in_scope                 BOOLEAN NOT NULL,  -- false: no longer matched by the source's JQL
    out_of_scope_at          TIMESTAMPTZ,
    deleted_at               TIMESTAMPTZ,       -- set when Jira answered 404 at reconciliation
    loaded_at                TIMESTAMPTZ NOT NULL,
    run_id                   BIGINT NOT NULL
);

-- Status transitions from the changelog. When an issue's whole history is known
-- the first row is its creation: from_* NULL, to_* the initial status.
CREATE TABLE issue_status_changes (
    source          VARCHAR NOT NULL,
    project_id      VARCHAR NOT NULL,
    issue_id        BIGINT NOT NULL,
    issue_key       VARCHAR NOT NULL,
    history_id      VARCHAR,
    from_status     VARCHAR,
    to_status       VARCHAR,
    from_status_id  VARCHAR,
    to_status_id    VARCHAR,
    from_category   VARCHAR,
    to_category     VARCHAR,
    changed_at      TIMESTAMPTZ NOT NULL,
    author          VARCHAR
);

CREATE TABLE worklogs (
    source           VARCHAR NOT NULL,
    project_id       VARCHAR NOT NULL,
    issue_id         BIGINT NOT NULL,
    issue_key        VARCHAR NOT NULL,
    worklog_id       VARCHAR NOT NULL,
    author           VARCHAR,
    started          TIMESTAMPTZ NOT NULL,
    time_spent_hours DOUBLE NOT NULL,
    created          TIMESTAMPTZ,
    updated          TIMESTAMPTZ,
    comment          VARCHAR
);

CREATE TABLE issue_comments (
    source     VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    issue_id   BIGINT NOT NULL,
    issue_key  VARCHAR NOT NULL,
    comment_id VARCHAR NOT NULL,
    author     VARCHAR,
    created    TIMESTAMPTZ,
    body       VARCHAR
);

CREATE TABLE boards (
    source      VARCHAR NOT NULL,
    board_id    BIGINT NOT NULL,
    name        VARCHAR,
    board_type  VARCHAR,            -- scrum, kanban, simple
    project_key VARCHAR,
    project_id  VARCHAR,
    filter_id   VARCHAR,
    sub_query   VARCHAR
);

-- One row per (board column, status): which statuses a column shows, in order.
CREATE TABLE board_columns (
    source          VARCHAR NOT NULL,
    board_id        BIGINT NOT NULL,
    column_position INTEGER NOT NULL,
    column_name     VARCHAR NOT NULL,
    status_id       VARCHAR,
    status          VARCHAR,
    status_category VARCHAR,
    min_issues      INTEGER,
    max_issues      INTEGER
);

CREATE TABLE sprints (
    source        VARCHAR NOT NULL,
    sprint_id     BIGINT NOT NULL,  -- negative: made up from the name (CSV exports)
    board_id      BIGINT,
    name          VARCHAR,
    state         VARCHAR,          -- future, active, closed
    start_date    TIMESTAMPTZ,
    end_date      TIMESTAMPTZ,
    complete_date TIMESTAMPTZ,
    created_date  TIMESTAMPTZ,
    goal          VARCHAR
);

-- When an issue was in a sprint. added_at NULL: member since an unknown time;
-- removed_at NULL: still in it.
CREATE TABLE sprint_issues (
    source     VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    issue_id   BIGINT NOT NULL,
    issue_key  VARCHAR NOT NULL,
    sprint_id  BIGINT NOT NULL,
    added_at   TIMESTAMPTZ,
    removed_at TIMESTAMPTZ
);

CREATE TABLE fix_versions (
    source       VARCHAR NOT NULL,
    project_id   VARCHAR,
    project_key  VARCHAR,
    version_id   VARCHAR NOT NULL,
    name         VARCHAR,
    released     BOOLEAN,
    archived     BOOLEAN,
    release_date DATE,
    start_date   DATE
);

CREATE TABLE jira_fields (
    source        VARCHAR NOT NULL,
    field_id      VARCHAR NOT NULL,
    name          VARCHAR,
    custom        BOOLEAN,
    schema_type   VARCHAR,
    schema_items  VARCHAR,
    schema_custom VARCHAR,
    role          VARCHAR  -- story_points, sprint, epic_link, …, risk_probability, …
);

CREATE TABLE jira_statuses (
    source    VARCHAR NOT NULL,
    status_id VARCHAR NOT NULL,
    name      VARCHAR,
    category  VARCHAR
);

-- Scratch space for reconciliation: ids in scope, filled and emptied in one run.
CREATE TABLE jira_scope_ids (
    source   VARCHAR NOT NULL,
    issue_id BIGINT NOT NULL
);
