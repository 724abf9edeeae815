-- Queries analysts saved in the workbench, private to their owner.
CREATE SEQUENCE saved_query_ids START 1;
CREATE TABLE saved_queries (
    id         BIGINT PRIMARY KEY DEFAULT nextval('saved_query_ids'),
    owner      VARCHAR NOT NULL,
    name       VARCHAR NOT NULL,
    sql_text   VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (owner, name)
);
COMMENT ON TABLE saved_queries IS 'Queries saved in the SQL workbench: name, SQL, owner, created, updated.';
