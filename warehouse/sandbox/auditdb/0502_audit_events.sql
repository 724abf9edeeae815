-- The security audit trail beside the query log (HIPAA 45 CFR 164.312(b)): sign-ins
-- and their failures, lock-outs, views of project pages, exports and downloads,
-- user and configuration changes. Rows arrive only by folding the spool and are
-- never updated; the only deletion is retention pruning of the oldest rows.
-- seq numbers rows in the order they were folded, and chain_sha256 is
-- sha256(previous row's chain_sha256, this row): a row changed, removed or
-- inserted afterwards breaks the chain from there on (AuditLog.VerifyEvents).
CREATE TABLE audit_events (
    id           VARCHAR PRIMARY KEY,   -- random; an event folded twice is stored once
    seq          BIGINT NOT NULL,
    event_at     TIMESTAMPTZ NOT NULL,  -- when it happened
    user_name    VARCHAR NOT NULL,      -- who it is about (the signed-in user, or the name tried)
    role         VARCHAR NOT NULL,      -- the acting principal's role, '' before sign-in
    kind         VARCHAR NOT NULL,      -- auth.signin, view.project, export.csv, user.grant, ...
    detail       VARCHAR NOT NULL,      -- never a password, token, session id or cookie
    client_ip    VARCHAR NOT NULL,
    method       VARCHAR NOT NULL,
    path         VARCHAR NOT NULL,      -- request path, without its query string
    pid          INTEGER NOT NULL,      -- process that recorded it
    chain_sha256 VARCHAR NOT NULL
);
COMMENT ON TABLE audit_events IS 'Security audit trail: sign-ins and failures, page views, exports, user and configuration changes (append-only, hash-chained).';
