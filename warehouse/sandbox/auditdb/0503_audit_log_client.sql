-- Where a query came from and what its author could see: the client address of
-- web and API queries, and the principal's scope (all, or the granted portfolios
-- and programs its sandbox was limited to).
ALTER TABLE audit_log ADD COLUMN client_ip VARCHAR;
ALTER TABLE audit_log ADD COLUMN scope VARCHAR;
