-- Earned value (EVM), earned schedule, RAG, milestone slip and scope, per project,
-- program and portfolio over time (issue 5). metrics.refreshEVM fills the evm_*
-- tables inside every sync run; the views with the documented names are thin
-- projections of them, so reading project_health or project_evm costs a scan of a
-- small table rather than a recomputation.
--
-- Units and conventions (the README repeats them):
--   money        the project's currency (evm_project_rows.currency); program and
--                portfolio rows are in the portfolio currency (metrics.currency),
--                each project converted at metrics.rates
--   ratios       fractions, never percents: spi 0.95, sv_pct -0.10 = -10 %,
--                pct_complete 0.25 = 25 %
--   time         *_days columns are working days of the project calendar, counted
--                from baseline_start (the first working day on or after the earliest
--                leaf baseline start; that day is period 1); the as-of day counts as
--                worked
--   NULL         a measure is NULL when it is undefined (PV = 0, AC = 0, before the
--                baseline start, no baseline …), never NaN or Inf; null_reasons (a
--                JSON object: column → reason) says why for every NULL measure
--   as_of        the schedule snapshot's status date (else Project's current date,
--                else the file's time: as_of_source); for Jira-driven (AgileEVM)
--                projects the planned sprint ends (or closed sprints) and the date
--                of the latest Jira activity

-- One row per project per as-of date.
CREATE TABLE evm_project_rows (
    project_id             VARCHAR NOT NULL,
    as_of                  DATE NOT NULL,
    bac                    DOUBLE,
    pv                     DOUBLE,
    ev                     DOUBLE,
    ac                     DOUBLE,
    sv                     DOUBLE,
    cv                     DOUBLE,
    spi                    DOUBLE,
    cpi                    DOUBLE,
    sv_pct                 DOUBLE,    -- SV / PV
    cv_pct                 DOUBLE,    -- CV / EV
    eac_cpi                DOUBLE,    -- BAC / CPI
    eac_atypical           DOUBLE,    -- AC + BAC − EV
    eac_cpi_spi            DOUBLE,    -- AC + (BAC − EV) / (CPI × SPI)
    eac_weighted           DOUBLE,    -- AC + (BAC − EV) / (w_cpi·CPI + w_spi·SPI)
    eac_bottom_up          DOUBLE,    -- Σ leaf Cost of the schedule (actual + remaining)
    etc                    DOUBLE,    -- eac − AC
    vac                    DOUBLE,    -- BAC − eac
    tcpi_bac               DOUBLE,    -- (BAC − EV) / (BAC − AC)
    tcpi_eac               DOUBLE,    -- (BAC − EV) / (eac − AC)
    es_days                DOUBLE,    -- earned schedule ES
    at_days                DOUBLE,    -- actual time AT
    sv_t_days              DOUBLE,    -- ES − AT
    spi_t                  DOUBLE,    -- ES / AT
    tspi                   DOUBLE,    -- (PD − ES) / (PD − AT)
    ieac_t_days            DOUBLE,    -- PD / SPI(t)
    forecast_finish        DATE,      -- baseline_start + IEAC(t) working days
    rag                    VARCHAR,   -- green | amber | red | grey (not rated)
    rag_reasons            VARCHAR,
    -- Beyond the issue's list:
    source                 VARCHAR NOT NULL,  -- msproject (schedule snapshots) | jira (AgileEVM)
    currency               VARCHAR,
    eac                    DOUBLE,    -- the reported EAC behind etc, vac, tcpi_eac and RAG
    eac_method             VARCHAR,   -- which EAC that is: bottom_up, cpi, …
    vac_pct                DOUBLE,    -- VAC / BAC
    pct_scheduled          DOUBLE,    -- PV / BAC
    pct_complete           DOUBLE,    -- EV / BAC
    pct_spent              DOUBLE,    -- AC / BAC
    pd_days                DOUBLE,    -- planned duration PD in working days
    baseline_start         DATE,      -- working day 1 of the earned-schedule axis
    es_date                DATE,      -- the working day in which ES falls
    tasks_counted          BIGINT,    -- baselined leaf tasks behind BAC
    tasks_without_baseline BIGINT,    -- leaf tasks left out of BAC, PV and EV
    cost_without_baseline  DOUBLE,    -- their Cost (not in BAC)
    ac_without_baseline    DOUBLE,    -- their actual cost (in AC, as Project's ACWP)
    rag_flags              VARCHAR,   -- e.g. unrealistic_eac
    null_reasons           VARCHAR,   -- JSON: {"spi": "PV = 0: …", …}
    snapshot_id            BIGINT,    -- schedule_snapshots.snapshot_id (msproject)
    as_of_source           VARCHAR,   -- status_date | current_date | file_mtime | sprint_end | jira_activity
    calendar               VARCHAR,   -- project (the file's calendar) | default (Mon–Fri: none in the file)
    agile_ppc              DOUBLE,    -- AgileEVM planned % complete, sprints done / planned
    agile_apc              DOUBLE,    -- AgileEVM actual % complete, points done / planned
    sprints_done           DOUBLE,
    points_done            DOUBLE,
    sprints_forecast       DOUBLE,    -- planned sprints / SPI
    eac_weight_cpi         DOUBLE,
    eac_weight_spi         DOUBLE,
    -- Bookkeeping:
    fingerprint            VARCHAR NOT NULL,  -- settings the row was computed with
    computed_at            TIMESTAMPTZ NOT NULL,
    run_id                 BIGINT NOT NULL
);

-- The latest row of each project (a copy refreshEVM rewrites), so project_health
-- reads 300 rows rather than filtering years of history: a first query on a
-- freshly published file then touches a few kilobytes.
CREATE TABLE evm_latest_rows AS SELECT * FROM evm_project_rows LIMIT 0;

-- Program and portfolio roll-ups: sums of BAC, PV, EV, AC and of each EAC variant
-- in the portfolio currency, every index recomputed from the sums. The as-of dates
-- are every date any member project reports; on each, every member that has
-- started contributes its latest row on or before it (carried forward). Two tables
-- rather than one with a level column, so a scoped copy of the warehouse can show
-- a program's totals to someone granted only that program.
CREATE TABLE evm_program_rows (
    program            VARCHAR NOT NULL,
    as_of              DATE NOT NULL,
    bac DOUBLE, pv DOUBLE, ev DOUBLE, ac DOUBLE, sv DOUBLE, cv DOUBLE, spi DOUBLE, cpi DOUBLE,
    sv_pct DOUBLE, cv_pct DOUBLE, eac_cpi DOUBLE, eac_atypical DOUBLE, eac_cpi_spi DOUBLE,
    eac_weighted DOUBLE, eac_bottom_up DOUBLE, etc DOUBLE, vac DOUBLE, tcpi_bac DOUBLE, tcpi_eac DOUBLE,
    es_days DOUBLE, at_days DOUBLE, sv_t_days DOUBLE, spi_t DOUBLE, tspi DOUBLE, ieac_t_days DOUBLE,
    forecast_finish DATE, rag VARCHAR, rag_reasons VARCHAR,
    currency           VARCHAR NOT NULL,  -- the portfolio currency
    eac                DOUBLE,            -- Σ each project's reported EAC
    eac_method         VARCHAR,           -- sum_of_projects
    vac_pct DOUBLE, pct_scheduled DOUBLE, pct_complete DOUBLE, pct_spent DOUBLE,
    projects_included  BIGINT NOT NULL,   -- projects summed
    projects_carried   BIGINT NOT NULL,   -- of those, rows carried forward from an earlier as_of
    projects_excluded  BIGINT NOT NULL,   -- started projects left out (no baseline, no rate …)
    excluded_reasons   VARCHAR,           -- "project: reason; …"
    rag_flags          VARCHAR,
    null_reasons       VARCHAR,
    computed_at        TIMESTAMPTZ NOT NULL,
    run_id             BIGINT NOT NULL
);

CREATE TABLE evm_portfolio_rows (
    portfolio          VARCHAR NOT NULL,
    as_of              DATE NOT NULL,
    bac DOUBLE, pv DOUBLE, ev DOUBLE, ac DOUBLE, sv DOUBLE, cv DOUBLE, spi DOUBLE, cpi DOUBLE,
    sv_pct DOUBLE, cv_pct DOUBLE, eac_cpi DOUBLE, eac_atypical DOUBLE, eac_cpi_spi DOUBLE,
    eac_weighted DOUBLE, eac_bottom_up DOUBLE, etc DOUBLE, vac DOUBLE, tcpi_bac DOUBLE, tcpi_eac DOUBLE,
    es_days DOUBLE, at_days DOUBLE, sv_t_days DOUBLE, spi_t DOUBLE, tspi DOUBLE, ieac_t_days DOUBLE,
    forecast_finish DATE, rag VARCHAR, rag_reasons VARCHAR,
    currency           VARCHAR NOT NULL,
    eac                DOUBLE,
    eac_method         VARCHAR,
    vac_pct DOUBLE, pct_scheduled DOUBLE, pct_complete DOUBLE, pct_spent DOUBLE,
    projects_included  BIGINT NOT NULL,
    projects_carried   BIGINT NOT NULL,
    projects_excluded  BIGINT NOT NULL,
    excluded_reasons   VARCHAR,
    rag_flags          VARCHAR,
    null_reasons       VARCHAR,
    computed_at        TIMESTAMPTZ NOT NULL,
    run_id             BIGINT NOT NULL
);

-- One row per milestone (leaf, active, milestone flag) per schedule snapshot.
-- milestone is the task name as the schedule source stored it in task_snapshots;
-- when that is NULL, the WBS code, else "Task <uid>".
CREATE TABLE evm_milestone_rows (
    project_id      VARCHAR NOT NULL,
    as_of           DATE NOT NULL,
    snapshot_id     BIGINT NOT NULL,
    task_uid        BIGINT NOT NULL,
    milestone       VARCHAR,
    wbs             VARCHAR,
    baseline_finish DATE,
    forecast_finish DATE,      -- the milestone's finish in the snapshot (actual once done)
    actual_finish   DATE,
    slip_days       DOUBLE,    -- working days, + late / − early
    slip_reason     VARCHAR,   -- why slip_days is NULL
    fingerprint     VARCHAR NOT NULL,
    run_id          BIGINT NOT NULL
);

-- Schedule execution and scope per project per schedule snapshot.
CREATE TABLE evm_scope_rows (
    project_id              VARCHAR NOT NULL,
    as_of                   DATE NOT NULL,
    snapshot_id             BIGINT NOT NULL,
    reference_snapshot_id   BIGINT,    -- the project's first snapshot: the scope reference
    reference_as_of         DATE,
    leaf_tasks              BIGINT,
    tasks_added             BIGINT,    -- leaf task UIDs not in the reference snapshot
    tasks_removed           BIGINT,    -- reference leaf task UIDs gone
    tasks_without_baseline  BIGINT,
    baseline_cost           DOUBLE,    -- Σ leaf baseline cost now
    reference_baseline_cost DOUBLE,
    baseline_cost_change    DOUBLE,    -- now − reference: re-baselines and baseline edits
    bei                     DOUBLE,    -- baselined tasks finished by as_of / due by as_of
    bei_finished            BIGINT,
    bei_due                 BIGINT,
    hit_task_pct            DOUBLE,    -- tasks due in the period finished on time (fraction)
    hit_period_start        DATE,      -- exclusive: the previous as_of (NULL: from the start)
    hit_due                 BIGINT,
    hit_on_time             BIGINT,
    null_reasons            VARCHAR,
    fingerprint             VARCHAR NOT NULL,
    run_id                  BIGINT NOT NULL
);

-- Scratch space of refreshEVM: snapshots to compute in this run (filled and
-- emptied inside the run).
CREATE TABLE evm_work (
    kind        VARCHAR NOT NULL,   -- compute | reference | rebuild | replace | agile
    project_id  VARCHAR NOT NULL,
    as_of       DATE,
    snapshot_id BIGINT,
    batch       INTEGER            -- compute rows are read in batches
);

CREATE VIEW project_evm AS
SELECT project_id, as_of, bac, pv, ev, ac, sv, cv, spi, cpi, sv_pct, cv_pct,
    eac_cpi, eac_atypical, eac_cpi_spi, eac_weighted, eac_bottom_up, etc, vac, tcpi_bac, tcpi_eac,
    es_days, at_days, sv_t_days, spi_t, tspi, ieac_t_days, forecast_finish, rag, rag_reasons,
    source, currency, eac, eac_method, vac_pct, pct_scheduled, pct_complete, pct_spent, pd_days,
    baseline_start, es_date, tasks_counted, tasks_without_baseline, cost_without_baseline,
    ac_without_baseline, rag_flags, null_reasons, snapshot_id, as_of_source, calendar,
    agile_ppc, agile_apc, sprints_done, points_done, sprints_forecast, eac_weight_cpi, eac_weight_spi,
    computed_at, run_id
FROM evm_project_rows;

CREATE VIEW program_evm AS SELECT * FROM evm_program_rows;

CREATE VIEW portfolio_evm AS SELECT * FROM evm_portfolio_rows;

-- The latest project_evm row of each project with its name, program, portfolio
-- and currency (the row's currency, else the project's).
CREATE VIEW project_health AS
SELECT e.project_id, p.name, p.program, p.portfolio, coalesce(e.currency, p.currency) AS currency,
    e.as_of, e.bac, e.pv, e.ev, e.ac, e.sv, e.cv, e.spi, e.cpi, e.sv_pct, e.cv_pct,
    e.eac_cpi, e.eac_atypical, e.eac_cpi_spi, e.eac_weighted, e.eac_bottom_up, e.etc, e.vac, e.tcpi_bac, e.tcpi_eac,
    e.es_days, e.at_days, e.sv_t_days, e.spi_t, e.tspi, e.ieac_t_days, e.forecast_finish, e.rag, e.rag_reasons,
    e.source, e.eac, e.eac_method, e.vac_pct, e.pct_scheduled, e.pct_complete, e.pct_spent, e.pd_days,
    e.baseline_start, e.es_date, e.tasks_counted, e.tasks_without_baseline, e.cost_without_baseline,
    e.ac_without_baseline, e.rag_flags, e.null_reasons, e.snapshot_id, e.as_of_source, e.calendar,
    e.agile_ppc, e.agile_apc, e.sprints_done, e.points_done, e.sprints_forecast, p.budget
FROM evm_latest_rows e
JOIN projects p ON p.project_id = e.project_id;

CREATE VIEW milestone_slips AS
SELECT project_id, task_uid, coalesce(milestone, wbs, 'Task ' || task_uid) AS milestone,
    as_of AS snapshot_date, baseline_finish, forecast_finish, slip_days,
    snapshot_id, wbs, actual_finish, actual_finish IS NOT NULL AS finished, slip_reason
FROM evm_milestone_rows;

CREATE VIEW project_scope AS
SELECT * EXCLUDE (fingerprint, run_id) FROM evm_scope_rows;
