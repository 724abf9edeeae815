-- Every query sent to the SQL workbench, POST /api/v1/query or `pmlens query`:
-- who, when, what, how long, how many rows, and how it ended. Admins can read it
-- from the workbench as audit.audit_log; nobody can change it from there.
CREATE TABLE audit_log (
    id                VARCHAR PRIMARY KEY,  -- random; a record folded twice is stored once
    queried_at        TIMESTAMPTZ NOT NULL, -- when the query was received
    user_name         VARCHAR NOT NULL,
    role              VARCHAR NOT NULL,
    client            VARCHAR NOT NULL,     -- web, api or cli
    sql_text          VARCHAR NOT NULL,
    sql_sha256        VARCHAR NOT NULL,
    duration_ms       DOUBLE NOT NULL,
    rows_returned     BIGINT NOT NULL,
    truncated         BOOLEAN NOT NULL,
    outcome           VARCHAR NOT NULL,     -- ok, refused, invalid, timeout, memory, cancelled, busy, failed
    error             VARCHAR,
    warehouse_version VARCHAR,              -- published file the query read
    pid               INTEGER NOT NULL      -- process that ran it
);
COMMENT ON TABLE audit_log IS 'Every SQL workbench, API and CLI query: user, time, SQL, duration, rows, outcome.';
