package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/pmlens/pmlens/configs"
)

// Querier runs read queries. *sql.DB, *sql.Conn and *sql.Tx satisfy it, so the
// API can answer from a published warehouse version (warehouse.Snapshot.DB).
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// ThroughputHistory is a project's weekly throughput as the forecasts sample it.
type ThroughputHistory struct {
	ProjectID string
	// AsOf is the project's flow horizon (the day of its latest Jira activity);
	// forecast dates count whole weeks from it.
	AsOf time.Time
	// Weeks are the items finished in each complete ISO week, oldest first, from
	// the week work first started or finished up to the week before AsOf's; weeks
	// without a finished item are zeros and stay in.
	Weeks []int
	// FirstWeek is the Monday of Weeks[0] (zero when there is no complete week).
	FirstWeek time.Time
}

// throughputSQL reads flow_weekly's complete weeks from the first week with work
// started or finished. Before that week the team was not delivering yet (a
// backlog being written), which would read as zero-throughput weeks.
const throughputSQL = `
WITH first AS (
    SELECT project_id,
        CAST(date_trunc('week', min(coalesce(started_at, finished_at)) AT TIME ZONE 'UTC') AS DATE) AS first_week
    FROM cycle_times GROUP BY project_id
)
SELECT h.project_id, h.as_of, w.week_start, w.throughput
FROM flow_horizon h
LEFT JOIN first f ON f.project_id = h.project_id
LEFT JOIN flow_weekly w ON w.project_id = h.project_id AND w.complete AND w.week_start >= f.first_week
%s
ORDER BY h.project_id, w.week_start`

// ThroughputHistories reads the weekly throughput of the given projects (all Jira
// projects when none are given) from the flow views.
func ThroughputHistories(ctx context.Context, q Querier, projectIDs ...string) (map[string]ThroughputHistory, error) {
	where, args := "", []any{}
	if len(projectIDs) > 0 {
		marks := make([]string, len(projectIDs))
		for i, p := range projectIDs {
			marks[i] = "?"
			args = append(args, p)
		}
		where = "WHERE h.project_id IN (" + strings.Join(marks, ", ") + ")"
	}
	rows, err := q.QueryContext(ctx, fmt.Sprintf(throughputSQL, where), args...)
	if err != nil {
		return nil, fmt.Errorf("reading weekly throughput: %w", err)
	}
	defer rows.Close()
	out := map[string]ThroughputHistory{}
	for rows.Next() {
		var (
			id   string
			asOf time.Time
			week sql.NullTime
			n    sql.NullInt64
		)
		if err := rows.Scan(&id, &asOf, &week, &n); err != nil {
			return nil, fmt.Errorf("reading weekly throughput: %w", err)
		}
		h, ok := out[id]
		if !ok {
			h = ThroughputHistory{ProjectID: id, AsOf: Day(asOf)}
		}
		if week.Valid {
			if len(h.Weeks) == 0 {
				h.FirstWeek = Day(week.Time)
			}
			h.Weeks = append(h.Weeks, int(n.Int64))
		}
		out[id] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading weekly throughput: %w", err)
	}
	return out, nil
}

// FlowForecastOptions turns the flow configuration into simulation options
// reporting the 50, 85 and 95 % levels the forecasts tables hold.
func FlowForecastOptions(fc configs.FlowMetrics) ForecastOptions {
	fc = fc.WithDefaults()
	return ForecastOptions{Trials: fc.Trials, WindowWeeks: fc.WindowWeeks, Seed: fc.Seed, MaxWeeks: fc.MaxWeeks,
		Levels: []float64{0.50, 0.85, 0.95}}
}

// ForecastItemsByDate answers "how many items will the project finish by date
// until?": its weekly throughput simulated over the whole weeks from the
// project's as-of date to until, reporting the count reached with at least 50,
// 85 and 95 % probability. It reads the flow tables of q (a published version)
// and draws from the project's own stream (as ForecastProject does), so it gives
// the same answer as the forecast_items table for the same date.
func ForecastItemsByDate(ctx context.Context, q Querier, fc configs.FlowMetrics, projectID string, until time.Time) (Forecast, error) {
	hs, err := ThroughputHistories(ctx, q, projectID)
	if err != nil {
		return Forecast{}, err
	}
	h, ok := hs[projectID]
	if !ok {
		return Forecast{}, errorf("forecast: project %q has no Jira work items", projectID)
	}
	if Day(until).Before(h.AsOf) {
		return Forecast{}, errorf("forecast: target date %s is before the project's as-of date %s",
			Day(until).Format(time.DateOnly), h.AsOf.Format(time.DateOnly))
	}
	o := FlowForecastOptions(fc)
	o.Seed = SeedFor(o.Seed, projectID)
	return ForecastItems(h.Weeks, h.AsOf, Day(until), o)
}
