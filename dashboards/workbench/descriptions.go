package workbench

// coreDescriptions describe the lead's core tables (warehouse/migrations/
// 0001_core.sql) until the migrations carry COMMENT ON statements; a DuckDB
// comment, when present, always wins. Keys are "table" or "table.column".
var coreDescriptions = map[string]string{
	"warehouse_meta":        "Facts about this published version: published_version, published_at, schema_version.",
	"schema_migrations":     "Schema migrations applied to this warehouse, in order.",
	"sync_runs":             "One row per sync run of one source; status is running, success, partial or failed.",
	"sync_runs.rows_loaded": "Rows the run loaded (0 for a failed run: nothing it loaded was kept).",
	"sync_runs.error":       "Why the run failed, or a summary of its problems when partial.",
	"sync_problems":         "Non-fatal problems of a run: one bad file or row, named by location.",
	"source_state":          "Per-source key/value state (watermarks, imported file hashes), advanced only by successful runs.",
	"projects":              "pmlens projects: configured in projects: or discovered from a source.",
	"projects.project_id":   "pmlens project id: the configured id, or the slug of the source key.",
	"projects.budget":       "Budget at completion in the project's currency.",
	"projects.contingency":  "Contingency reserve in the project's currency.",
	"projects.configured":   "True when the project is named in the configuration, false when discovered.",
	"project_sources":       "Which source-level keys (schedule title, Jira project key, register project) feed a project.",
	"audit_log":             "Every SQL workbench, API and CLI query: user, time, SQL, duration, rows, outcome (admins only).",
	"audit_log.outcome":     "ok, refused, invalid, timeout, memory, cancelled, busy or failed.",
	"saved_queries":         "Queries saved in the SQL workbench (admins only).",
}
