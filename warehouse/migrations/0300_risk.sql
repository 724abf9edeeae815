-- Risks, shared by the risk-register source and the Jira connector (risk issues).
-- Each source writes only its own rows (source = the configured source name).

-- The current state of every risk: the latest snapshot a source has seen.
CREATE TABLE risks (
    source            VARCHAR NOT NULL,
    risk_id           VARCHAR NOT NULL,
    project_id        VARCHAR,
    title             VARCHAR,        -- free text: NULL unless the source opts in
    category          VARCHAR,
    owner             VARCHAR,        -- keyed hash ("person:…") unless the source opts in
    status            VARCHAR,        -- as the source writes it
    response          VARCHAR,        -- free text: NULL unless the source opts in
    opened            DATE,
    closed            DATE,
    due               DATE,           -- when the response is due
    probability       DOUBLE,         -- 0–1
    impact_cost       DOUBLE,         -- project currency
    impact_score      INTEGER,        -- 1–5
    probability_score INTEGER,        -- 1–5
    updated_at        TIMESTAMPTZ,
    -- added by the risk-register source:
    is_open           BOOLEAN,        -- false once closed (closed date or a closed status); NULL = unknown
    as_of             DATE            -- date of the snapshot this row comes from
);

-- One row per risk per dated snapshot (a register file, a Jira sync), so
-- exposure can be traced over time.
CREATE TABLE risk_snapshots (
    source               VARCHAR NOT NULL,
    risk_id              VARCHAR NOT NULL,
    project_id           VARCHAR,
    as_of                DATE NOT NULL,
    snapshot_date_source VARCHAR,     -- where as_of came from: column, filename, file_time (registers)
    status               VARCHAR,
    probability          DOUBLE,
    probability_score    INTEGER,
    impact_cost          DOUBLE,
    impact_score         INTEGER,
    owner                VARCHAR,
    due                  DATE,
    closed               DATE,
    -- added by the risk-register source:
    is_open              BOOLEAN,
    opened               DATE,
    title                VARCHAR,
    category             VARCHAR,
    response             VARCHAR,
    file                 VARCHAR,     -- the register file (path relative to the source path)
    run_id               BIGINT
);
