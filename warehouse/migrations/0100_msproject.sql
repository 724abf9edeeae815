-- Microsoft Project schedules (MSPDI XML, MPX, CSV/XLSX task exports).
--
-- Every imported file version is one snapshot (schedule_snapshots); every other table
-- here holds rows of exactly one snapshot and carries its snapshot_id and project_id.
-- Units: hours for work, durations and slack; the project's currency for money;
-- TIMESTAMP (no time zone) for schedule dates, which are wall-clock times in the
-- project's calendar. Rows are only ever added: a re-export of a schedule is a new
-- snapshot, so history is kept; the view `tasks` shows the latest.

CREATE SEQUENCE msproject_snapshot_ids START 1;

-- One row per imported file version.
CREATE TABLE schedule_snapshots (
    snapshot_id          BIGINT NOT NULL,
    project_id           VARCHAR NOT NULL,
    source               VARCHAR NOT NULL,   -- configured source name
    run_id               BIGINT NOT NULL,    -- sync_runs.run_id that imported it
    format               VARCHAR NOT NULL,   -- mspdi | mpx | csv | xlsx
    file_path            VARCHAR NOT NULL,
    file_sha256          VARCHAR NOT NULL,   -- identical content is imported once per source
    file_size            BIGINT,
    file_mtime           TIMESTAMPTZ,
    schedule_title       VARCHAR,            -- the schedule's title (or file stem): the source key
    snapshot_date        TIMESTAMP NOT NULL, -- what the figures are "as of"
    snapshot_date_source VARCHAR NOT NULL,   -- status_date | current_date | file_mtime
    status_date          TIMESTAMP,          -- Project's status date (EV as-of date), if set
    project_current_date TIMESTAMP,          -- Project's "current date" at save time (MSPDI CurrentDate)
    start                TIMESTAMP,
    finish               TIMESTAMP,
    currency             VARCHAR,            -- ISO 4217 code from the file (2007+ MSPDI), else NULL
    currency_symbol      VARCHAR,
    minutes_per_day      BIGINT,             -- this file's working day (480 = 8h)
    minutes_per_week     BIGINT,
    days_per_month       DOUBLE,
    calendar_uid         BIGINT,             -- project base calendar
    save_version         VARCHAR,            -- MSPDI SaveVersion (12 = 2007, 14 = 2010+)
    task_count           BIGINT,             -- tasks, excluding the project-summary row and blank rows
    imported_at          TIMESTAMPTZ NOT NULL
);

-- One row per task per snapshot. The project-summary row (outline_level 0) and blank
-- rows (is_null) are kept; summary tasks roll up their children, so sum money and
-- work over `NOT summary` rows, or read the project-summary row — never both.
CREATE TABLE task_snapshots (
    snapshot_id               BIGINT NOT NULL,
    project_id                VARCHAR NOT NULL,
    snapshot_date             TIMESTAMP NOT NULL,
    task_uid                  BIGINT NOT NULL,   -- stable across saves: join history on it
    id                        BIGINT,            -- row number as displayed; changes when rows move
    name                      VARCHAR,
    wbs                       VARCHAR,
    outline_number            VARCHAR,
    outline_level             BIGINT,
    parent_uid                BIGINT,            -- NULL for top-level tasks
    is_project_summary        BOOLEAN NOT NULL,
    summary                   BOOLEAN NOT NULL,
    milestone                 BOOLEAN NOT NULL,
    active                    BOOLEAN NOT NULL,  -- inactive tasks keep figures Project excludes from totals
    is_null                   BOOLEAN NOT NULL,
    manual                    BOOLEAN NOT NULL,
    critical                  BOOLEAN NOT NULL,
    start                     TIMESTAMP,
    finish                    TIMESTAMP,
    duration_hours            DOUBLE,
    duration_days             DOUBLE,            -- working days of this file's minutes_per_day (24h days if elapsed)
    duration_elapsed          BOOLEAN,
    work_hours                DOUBLE,
    actual_work_hours         DOUBLE,
    remaining_work_hours      DOUBLE,
    actual_duration_hours     DOUBLE,
    remaining_duration_hours  DOUBLE,
    percent_complete          DOUBLE,            -- 0–100
    percent_work_complete     DOUBLE,
    physical_percent_complete DOUBLE,
    earned_value_method       VARCHAR,           -- percent_complete | physical_percent_complete
    cost                      DOUBLE,
    fixed_cost                DOUBLE,
    actual_cost               DOUBLE,
    remaining_cost            DOUBLE,
    bcws                      DOUBLE,            -- planned value as Project computed it at save time
    bcwp                      DOUBLE,            -- earned value
    acwp                      DOUBLE,            -- actual cost of work performed
    cv                        DOUBLE,
    actual_start              TIMESTAMP,
    actual_finish             TIMESTAMP,
    deadline                  TIMESTAMP,
    constraint_type           VARCHAR,           -- ASAP ALAP MSO MFO SNET SNLT FNET FNLT
    constraint_date           TIMESTAMP,
    total_slack_hours         DOUBLE,
    free_slack_hours          DOUBLE,
    calendar_uid              BIGINT,
    baseline_start            TIMESTAMP,         -- baseline 0 ("Baseline"), flattened
    baseline_finish           TIMESTAMP,
    baseline_cost             DOUBLE,
    baseline_work_hours       DOUBLE,
    baseline_duration_hours   DOUBLE
);

-- Every saved baseline (0 = "Baseline", 1–10 = "Baseline1"…"Baseline10") of every task.
CREATE TABLE task_baselines (
    snapshot_id     BIGINT NOT NULL,
    project_id      VARCHAR NOT NULL,
    task_uid        BIGINT NOT NULL,
    baseline_number BIGINT NOT NULL,
    start           TIMESTAMP,            -- may be after finish in real files
    finish          TIMESTAMP,
    duration_hours  DOUBLE,
    work_hours      DOUBLE,
    cost            DOUBLE,
    bcws            DOUBLE,
    bcwp            DOUBLE
);

-- Predecessor links: successor_uid depends on predecessor_uid.
CREATE TABLE task_links (
    snapshot_id        BIGINT NOT NULL,
    project_id         VARCHAR NOT NULL,
    predecessor_uid    BIGINT NOT NULL,
    successor_uid      BIGINT NOT NULL,
    link_type          VARCHAR NOT NULL,  -- FS SS FF SF
    lag_hours          DOUBLE,            -- negative = lead
    lag_elapsed        BOOLEAN,
    cross_project      BOOLEAN NOT NULL,  -- the predecessor is in another file
    cross_project_name VARCHAR
);

-- Resources. Names are stored only when the source sets include_resource_names;
-- name_hash (a keyed hash) always lets analysts count and group by resource.
CREATE TABLE resources (
    snapshot_id          BIGINT NOT NULL,
    project_id           VARCHAR NOT NULL,
    resource_uid         BIGINT NOT NULL,
    id                   BIGINT,
    name                 VARCHAR,
    name_hash            VARCHAR,
    group_name           VARCHAR,          -- only with include_resource_names
    resource_type        VARCHAR NOT NULL, -- work | material | cost
    is_generic           BOOLEAN NOT NULL,
    is_inactive          BOOLEAN NOT NULL,
    max_units            DOUBLE,           -- 1 = 100 %
    standard_rate        DOUBLE,           -- per hour (per unit for material)
    overtime_rate        DOUBLE,
    cost_per_use         DOUBLE,
    work_hours           DOUBLE,
    actual_work_hours    DOUBLE,
    remaining_work_hours DOUBLE,
    cost                 DOUBLE,
    actual_cost          DOUBLE,
    remaining_cost       DOUBLE,
    bcws                 DOUBLE,
    bcwp                 DOUBLE,
    acwp                 DOUBLE,
    baseline_work_hours  DOUBLE,
    baseline_cost        DOUBLE,
    calendar_uid         BIGINT
);

-- Cost-rate tables A–E of each resource, with their effective dates (NULL = open).
CREATE TABLE resource_rates (
    snapshot_id    BIGINT NOT NULL,
    project_id     VARCHAR NOT NULL,
    resource_uid   BIGINT NOT NULL,
    rate_table     VARCHAR NOT NULL,   -- A B C D E
    effective_from TIMESTAMP,
    effective_to   TIMESTAMP,
    standard_rate  DOUBLE,
    overtime_rate  DOUBLE,
    cost_per_use   DOUBLE
);

-- Resource assignments. Project's placeholder assignments for unresourced tasks
-- (ResourceUID -65535) are not resource usage and are left out.
CREATE TABLE assignments (
    snapshot_id          BIGINT NOT NULL,
    project_id           VARCHAR NOT NULL,
    assignment_uid       BIGINT NOT NULL,
    task_uid             BIGINT NOT NULL,
    resource_uid         BIGINT NOT NULL,
    units                DOUBLE,           -- 1 = 100 %
    work_hours           DOUBLE,
    actual_work_hours    DOUBLE,
    remaining_work_hours DOUBLE,
    overtime_work_hours  DOUBLE,
    cost                 DOUBLE,
    actual_cost          DOUBLE,
    remaining_cost       DOUBLE,
    bcws                 DOUBLE,
    bcwp                 DOUBLE,
    acwp                 DOUBLE,
    start                TIMESTAMP,
    finish               TIMESTAMP,
    actual_start         TIMESTAMP,
    actual_finish        TIMESTAMP,
    stop                 TIMESTAMP,        -- progress stopped here …
    resume               TIMESTAMP,        -- … and resumes here
    work_contour         BIGINT,           -- 0 flat … 8 contoured
    baseline_work_hours  DOUBLE,
    baseline_cost        DOUBLE
);

-- Time-phased values, one row per period. kind: remaining_work, actual_work,
-- actual_overtime_work, actual_cost, baseline_work, baseline_cost (with
-- baseline_number), percent_complete, physical_percent_complete. value is hours for
-- *_work, currency for *_cost, percent for *_percent_complete (see value_unit).
-- The owner is an assignment (assignment_uid + task_uid), a task (task_uid only) or
-- a resource (resource_uid only).
CREATE TABLE timephased (
    snapshot_id     BIGINT NOT NULL,
    project_id      VARCHAR NOT NULL,
    task_uid        BIGINT,
    assignment_uid  BIGINT,
    resource_uid    BIGINT,
    kind            VARCHAR NOT NULL,
    baseline_number BIGINT,
    start           TIMESTAMP,
    finish          TIMESTAMP,
    value           DOUBLE NOT NULL,
    value_unit      VARCHAR NOT NULL    -- hours | currency | percent
);

-- Calendars: base calendars and resource calendars.
CREATE TABLE calendars (
    snapshot_id       BIGINT NOT NULL,
    project_id        VARCHAR NOT NULL,
    calendar_uid      BIGINT NOT NULL,
    name              VARCHAR,          -- resource calendars are named after their resource: opt-in
    is_base           BOOLEAN NOT NULL,
    base_calendar_uid BIGINT,
    resource_uid      BIGINT            -- the resource using it, for resource calendars
);

-- Working time of calendars, one row per working period (or one row with
-- working = false for a non-working day). kind:
--   weekday    default week: day_of_week 1 = Sunday … 7 = Saturday
--   exception  a dated exception from from_date to to_date (holiday, extra working day);
--              each dated period once, although Project 2007+ writes it twice
--   work_week  an alternative week valid from from_date to to_date, per day_of_week
CREATE TABLE calendar_hours (
    snapshot_id  BIGINT NOT NULL,
    project_id   VARCHAR NOT NULL,
    calendar_uid BIGINT NOT NULL,
    kind         VARCHAR NOT NULL,
    day_of_week  BIGINT,
    from_date    TIMESTAMP,
    to_date      TIMESTAMP,
    name         VARCHAR,             -- exception or work-week name
    working      BOOLEAN NOT NULL,
    from_time    VARCHAR,             -- 'HH:MM:SS'
    to_time      VARCHAR,             -- 'HH:MM:SS', may be '24:00:00'
    hours        DOUBLE               -- length of the period
);

-- Custom-field values (Text1, Cost3, Flag2, … and enterprise fields) with the
-- planner's alias. Text values are stored only with include_custom_text.
CREATE TABLE custom_fields (
    snapshot_id  BIGINT NOT NULL,
    project_id   VARCHAR NOT NULL,
    entity       VARCHAR NOT NULL,    -- task | resource | assignment
    owner_uid    BIGINT NOT NULL,
    field_id     BIGINT NOT NULL,     -- MSPDI FieldID (MPX: the MPX field number)
    field_name   VARCHAR,             -- e.g. Cost1
    alias        VARCHAR,             -- e.g. Contingency
    value_type   VARCHAR NOT NULL,    -- cost | date | duration | flag | number | text | outline_code
    value_text   VARCHAR,
    value_number DOUBLE,              -- currency for cost, hours for duration
    value_date   TIMESTAMP,
    value_flag   BOOLEAN
);

-- The latest snapshot of each project: highest snapshot_date, then last imported.
CREATE VIEW latest_schedule_snapshots AS
SELECT * FROM schedule_snapshots
QUALIFY row_number() OVER (PARTITION BY project_id ORDER BY snapshot_date DESC, snapshot_id DESC) = 1;

-- The tasks of each project's latest snapshot.
CREATE VIEW tasks AS
SELECT t.* FROM task_snapshots t
JOIN latest_schedule_snapshots l ON l.snapshot_id = t.snapshot_id;
