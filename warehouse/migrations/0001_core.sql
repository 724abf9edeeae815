-- Core tables every source and reader relies on.

CREATE TABLE warehouse_meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- One row per sync run of one source. status: running, success, partial, failed.
CREATE TABLE sync_runs (
    run_id      BIGINT PRIMARY KEY,
    source      VARCHAR NOT NULL,
    source_type VARCHAR NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status      VARCHAR NOT NULL,
    rows_loaded BIGINT NOT NULL DEFAULT 0,
    error       VARCHAR
);
CREATE SEQUENCE sync_run_ids START 1;

-- Non-fatal problems of a run: one bad file or row, named by location.
CREATE TABLE sync_problems (
    run_id   BIGINT NOT NULL,
    source   VARCHAR NOT NULL,
    location VARCHAR NOT NULL,
    message  VARCHAR NOT NULL
);

-- Per-source key/value state (watermarks, imported file hashes), written inside the
-- run's transaction so a failed run never advances it.
CREATE TABLE source_state (
    source     VARCHAR NOT NULL,
    key        VARCHAR NOT NULL,
    value      VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, key)
);

-- pmlens projects: configured in `projects:` or discovered from a source.
CREATE TABLE projects (
    project_id  VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    program     VARCHAR,
    portfolio   VARCHAR,
    budget      DOUBLE,
    currency    VARCHAR,
    contingency DOUBLE,
    configured  BOOLEAN NOT NULL,
    first_seen  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- Which source-level keys (schedule title, Jira project key, register project) feed a project.
CREATE TABLE project_sources (
    source     VARCHAR NOT NULL,
    source_key VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, source_key)
);
