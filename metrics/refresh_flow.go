package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/warehouse"
)

// refreshFlow rebuilds what the flow views (migration 0460) read: the settings
// and the flow category of every status of every Jira project (from
// metrics.flow), then the base tables flow_items, flow_horizon, flow_intervals
// and cycle_times. Only runs of Jira sources can change their inputs, so other
// runs skip the step unless the flow configuration changed since the last build.
func refreshFlow(ctx context.Context, run *warehouse.Run, opts RefreshOptions) error {
	fc := flowConfig(opts.Config)
	fp := fingerprint(struct {
		Definitions string
		Config      configs.FlowMetrics
	}{flowDefinitionVersion, fc})
	var last string
	switch err := run.QueryRow(ctx, `SELECT config_fingerprint FROM flow_refreshes ORDER BY refreshed_at DESC LIMIT 1`).Scan(&last); {
	case err == sql.ErrNoRows:
	case err != nil:
		return fmt.Errorf("reading flow_refreshes: %w", err)
	}
	if last == fp && !feedsFlow(opts.Config, run.Source()) {
		opts.Logger.Debug("flow tables unchanged: no Jira data in this run", "source", run.Source())
		return nil
	}
	tables := []string{"flow_settings", "flow_status_map", "flow_refreshes"}
	for _, b := range flowBaseTables {
		tables = append(tables, b.table)
	}
	for _, t := range tables {
		if _, err := run.Exec(ctx, `DELETE FROM `+t); err != nil {
			return fmt.Errorf("clearing %s: %w", t, err)
		}
	}
	exclude := make([]string, len(fc.ExcludeIssueTypes))
	for i, t := range fc.ExcludeIssueTypes {
		exclude[i] = strings.ToLower(strings.TrimSpace(t))
	}
	if _, err := run.Append(ctx, "flow_settings", []string{"exclude_issue_types", "window_weeks"}, func(add func(...any) error) error {
		return add(exclude, int64(fc.WindowWeeks))
	}); err != nil {
		return fmt.Errorf("writing flow_settings: %w", err)
	}
	rows, err := flowStatusMap(ctx, run, fc)
	if err != nil {
		return err
	}
	if _, err := run.Append(ctx, "flow_status_map", []string{"source", "project_id", "status", "category", "basis", "board_id", "column_name", "column_position"},
		func(add func(...any) error) error {
			for _, r := range rows {
				if err := add(r.source, r.project, r.status, r.category, r.basis, r.boardID, r.column, r.position); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
		return fmt.Errorf("writing flow_status_map: %w", err)
	}
	for _, b := range flowBaseTables {
		start := time.Now()
		if _, err := run.Exec(ctx, b.fill); err != nil {
			return fmt.Errorf("building %s: %w", b.table, err)
		}
		opts.Logger.Debug("flow table built", "table", b.table, "duration", time.Since(start))
	}
	if _, err := run.Exec(ctx, `INSERT INTO flow_refreshes VALUES (?, ?, ?)`, fp, opts.Now().UTC(), run.ID()); err != nil {
		return fmt.Errorf("recording the flow refresh: %w", err)
	}
	return nil
}

// flowConfig returns the flow settings with defaults applied.
func flowConfig(cfg *configs.Config) configs.FlowMetrics {
	if cfg == nil {
		return configs.FlowMetrics{}.WithDefaults()
	}
	return cfg.Metrics.Flow.WithDefaults()
}

type flowStatusRow struct {
	source, project, status, category, basis string
	boardID, column, position                any
}

type flowKey struct{ source, project string }

// boardColumn is where a project's board shows a status.
type boardColumn struct {
	boardID  int64
	name     string
	position int
	category string
}

// flowStatusMap decides the flow category of every status each project has shown:
// the configuration's override, else the project's board column (first column
// to_do, last done, the ones between in_progress), else Jira's status category.
func flowStatusMap(ctx context.Context, run *warehouse.Run, fc configs.FlowMetrics) ([]flowStatusRow, error) {
	overrides := fc.StatusOverrides()
	// Every status a source has shown, with Jira's category for it.
	statuses := map[string]map[string]string{} // source → lower name → jira category
	q := `SELECT source, lower(name) AS status, any_value(category) FILTER (WHERE category IS NOT NULL) FROM (
			SELECT source, name, category FROM jira_statuses
			UNION ALL SELECT source, to_status, to_category FROM issue_status_changes
			UNION ALL SELECT source, from_status, from_category FROM issue_status_changes
			UNION ALL SELECT source, status, status_category FROM issues
		) WHERE name IS NOT NULL GROUP BY source, lower(name)`
	if err := rfQueryEach(ctx, run, q, nil, func(scan func(...any) error) error {
		var src, st string
		var cat *string
		if err := scan(&src, &st, &cat); err != nil {
			return err
		}
		if statuses[src] == nil {
			statuses[src] = map[string]string{}
		}
		statuses[src][st] = rfDeref(cat)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("listing jira statuses: %w", err)
	}
	var projects []flowKey
	if err := rfQueryEach(ctx, run, `SELECT DISTINCT source, project_id FROM issues ORDER BY 1, 2`, nil, func(scan func(...any) error) error {
		var k flowKey
		if err := scan(&k.source, &k.project); err != nil {
			return err
		}
		projects = append(projects, k)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("listing jira projects: %w", err)
	}
	boards := map[flowKey]map[string]boardColumn{}
	if fc.UseBoardColumns() {
		var err error
		if boards, err = boardMappings(ctx, run); err != nil {
			return nil, err
		}
	}
	var out []flowStatusRow
	for _, p := range projects {
		names := map[string]bool{}
		for n := range statuses[p.source] {
			names[n] = true
		}
		for n := range boards[p] {
			names[n] = true
		}
		sorted := make([]string, 0, len(names))
		for n := range names {
			sorted = append(sorted, n)
		}
		sort.Strings(sorted)
		for _, n := range sorted {
			r := flowStatusRow{source: p.source, project: p.project, status: n}
			if col, ok := boards[p][n]; ok {
				r.boardID, r.column, r.position = col.boardID, col.name, int64(col.position)
			}
			switch col, onBoard := boards[p][n]; {
			case overrides[n] != "":
				r.category, r.basis = overrides[n], "config"
			case onBoard:
				r.category, r.basis = col.category, "board"
			default:
				r.category, r.basis = jiraFlowCategory(statuses[p.source][n]), "jira"
			}
			if r.category == "" {
				continue // unknown category: the views fall back to the issue's own
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// boardMappings reads the column of every status on each project's board. A
// project with several boards uses the one with the lowest id that maps at least
// two columns (a single column cannot tell work started from work finished).
func boardMappings(ctx context.Context, run *warehouse.Run) (map[flowKey]map[string]boardColumn, error) {
	type col struct {
		board    int64
		name     string
		position int
		status   string
	}
	cols := map[flowKey][]col{}
	q := `SELECT b.source, b.project_id, b.board_id, c.column_position, c.column_name, lower(coalesce(s.name, c.status))
		FROM boards b
		JOIN board_columns c ON c.source = b.source AND c.board_id = b.board_id
		LEFT JOIN jira_statuses s ON s.source = c.source AND s.status_id = c.status_id
		WHERE b.project_id IS NOT NULL AND coalesce(s.name, c.status) IS NOT NULL
		ORDER BY b.source, b.project_id, b.board_id, c.column_position`
	if err := rfQueryEach(ctx, run, q, nil, func(scan func(...any) error) error {
		var k flowKey
		var c col
		if err := scan(&k.source, &k.project, &c.board, &c.position, &c.name, &c.status); err != nil {
			return err
		}
		cols[k] = append(cols[k], c)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("reading board columns: %w", err)
	}
	out := map[flowKey]map[string]boardColumn{}
	for k, cs := range cols {
		// Rows are ordered by board then position: take the first board with two columns.
		for start := 0; start < len(cs); {
			end := start
			for end < len(cs) && cs[end].board == cs[start].board {
				end++
			}
			board := cs[start:end]
			first, last := board[0].position, board[len(board)-1].position
			if first != last {
				m := map[string]boardColumn{}
				for _, c := range board {
					cat := configs.FlowInProgress
					switch c.position {
					case first:
						cat = configs.FlowToDo
					case last:
						cat = configs.FlowDone
					}
					if _, dup := m[c.status]; !dup {
						m[c.status] = boardColumn{boardID: c.board, name: c.name, position: c.position, category: cat}
					}
				}
				out[k] = m
				break
			}
			start = end
		}
	}
	return out, nil
}

// jiraFlowCategory maps Jira's status category key onto a flow category.
func jiraFlowCategory(key string) string {
	switch key {
	case "new":
		return configs.FlowToDo
	case "indeterminate":
		return configs.FlowInProgress
	case "done":
		return configs.FlowDone
	}
	return ""
}

// rfQueryEach runs a query inside the run and calls row for every result row.
func rfQueryEach(ctx context.Context, run *warehouse.Run, q string, args []any, row func(scan func(...any) error) error) error {
	rows, err := run.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

func rfDeref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
