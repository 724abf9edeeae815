package dashboards

import (
	"sort"
	"time"
)

// syncRun is one row of sync_runs.
type syncRun struct {
	RunID      int64      `json:"run_id"`
	Source     string     `json:"source"`
	SourceType string     `json:"source_type"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Status     string     `json:"status"`
	RowsLoaded int64      `json:"rows_loaded"`
	Error      string     `json:"error"`
}

// sourceFreshness summarises one source: when it last loaded data and what's next.
type sourceFreshness struct {
	Source      string     `json:"source"`
	SourceType  string     `json:"source_type"`
	LastSuccess *time.Time `json:"last_success"`
	LastStatus  string     `json:"last_status"`
	LastStarted *time.Time `json:"last_started"`
	LastError   string     `json:"last_error"`
	LastRows    int64      `json:"last_rows_loaded"`
	Runs        int64      `json:"runs"`
	Failed      int64      `json:"failed_runs"`
	NextRun     *time.Time `json:"next_run"`
	Schedule    string     `json:"schedule"`
	Configured  bool       `json:"configured"`
}

// syncProblem is one row of sync_problems with its run's start.
type syncProblem struct {
	RunID     int64     `json:"run_id"`
	Source    string    `json:"source"`
	Location  string    `json:"location"`
	Message   string    `json:"message"`
	StartedAt time.Time `json:"started_at"`
}

// hiddenForScope replaces sync error texts and problem locations for principals
// limited to some portfolios: they name files, projects and messages of every
// source, including those outside the principal's scope.
const hiddenForScope = "(not shown: your access covers only some portfolios)"

// limited reports whether the principal sees only some portfolios or programs.
func (r *req) limited() bool { return r.who == nil || !r.who.AllScopes }

func timePtr(rw row, k string) *time.Time {
	if t, ok := rw[k].(time.Time); ok {
		return &t
	}
	return nil
}

func int64Of(rw row, k string) int64 {
	v, _ := rw.num(k)
	return int64(v)
}

// syncRuns lists runs started on or before as_of, newest first.
func (r *req) syncRuns(source string, limit int) ([]syncRun, error) {
	rs, err := r.queryRows(`SELECT run_id, source, source_type, started_at, finished_at, status, rows_loaded, error
		FROM sync_runs WHERE CAST(started_at AS DATE) <= CAST(? AS DATE) AND (? = '' OR source = ?)
		ORDER BY started_at DESC, run_id DESC LIMIT ?`, r.p.bound(), source, source, limit)
	if err != nil {
		return nil, err
	}
	out := make([]syncRun, 0, len(rs.Rows))
	for _, rw := range rs.Rows {
		sr := syncRun{RunID: int64Of(rw, "run_id"), Source: rw.str("source"), SourceType: rw.str("source_type"),
			FinishedAt: timePtr(rw, "finished_at"), Status: rw.str("status"), RowsLoaded: int64Of(rw, "rows_loaded"), Error: rw.str("error")}
		if t := timePtr(rw, "started_at"); t != nil {
			sr.StartedAt = *t
		}
		if sr.Error != "" && r.limited() {
			sr.Error = hiddenForScope
		}
		out = append(out, sr)
	}
	return out, nil
}

// freshness summarises every source that ran or is configured.
func (r *req) freshness() ([]sourceFreshness, error) {
	rs, err := r.queryRows(`SELECT source, any_value(source_type) AS source_type,
		max(finished_at) FILTER (WHERE status IN ('success', 'partial')) AS last_success,
		arg_max(status, started_at) AS last_status, max(started_at) AS last_started,
		arg_max(coalesce(error, ''), started_at) AS last_error, arg_max(rows_loaded, started_at) AS last_rows,
		count(*) AS runs, count(*) FILTER (WHERE status = 'failed') AS failed
		FROM sync_runs WHERE CAST(started_at AS DATE) <= CAST(? AS DATE) GROUP BY source`, r.p.bound())
	if err != nil {
		return nil, err
	}
	by := map[string]*sourceFreshness{}
	var out []*sourceFreshness
	for _, rw := range rs.Rows {
		f := &sourceFreshness{Source: rw.str("source"), SourceType: rw.str("source_type"), LastSuccess: timePtr(rw, "last_success"),
			LastStatus: rw.str("last_status"), LastStarted: timePtr(rw, "last_started"), LastError: rw.str("last_error"),
			LastRows: int64Of(rw, "last_rows"), Runs: int64Of(rw, "runs"), Failed: int64Of(rw, "failed")}
		if f.LastError != "" && r.limited() {
			f.LastError = hiddenForScope
		}
		by[f.Source] = f
		out = append(out, f)
	}
	if cfg := r.s.opts.Config; cfg != nil {
		for _, src := range cfg.Sources {
			f, ok := by[src.Name]
			if !ok {
				f = &sourceFreshness{Source: src.Name, SourceType: src.Type}
				by[src.Name] = f
				out = append(out, f)
			}
			f.Configured, f.Schedule = true, src.Schedule
		}
	}
	if sch := r.s.opts.Scheduler; sch != nil {
		for _, f := range out {
			if t, ok := sch.Next(f.Source); ok {
				t := t
				f.NextRun = &t
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	res := make([]sourceFreshness, len(out))
	for i, f := range out {
		res[i] = *f
	}
	return res, nil
}

// syncProblems lists per-file/row problems of runs started on or before as_of.
func (r *req) syncProblems(limit int) ([]syncProblem, error) {
	rs, err := r.queryRows(`SELECT p.run_id, p.source, p.location, p.message, r.started_at
		FROM sync_problems p JOIN sync_runs r ON r.run_id = p.run_id
		WHERE CAST(r.started_at AS DATE) <= CAST(? AS DATE)
		ORDER BY r.started_at DESC, p.run_id DESC, p.location LIMIT ?`, r.p.bound(), limit)
	if err != nil {
		return nil, err
	}
	out := make([]syncProblem, 0, len(rs.Rows))
	for _, rw := range rs.Rows {
		p := syncProblem{RunID: int64Of(rw, "run_id"), Source: rw.str("source"), Location: rw.str("location"), Message: rw.str("message")}
		if r.limited() {
			p.Location, p.Message = "", hiddenForScope
		}
		if t := timePtr(rw, "started_at"); t != nil {
			p.StartedAt = *t
		}
		out = append(out, p)
	}
	return out, nil
}

// publishedAt reads when this version was published (warehouse_meta).
func (r *req) publishedAt() string {
	if !r.cat.has("warehouse_meta", "key", "value") {
		return ""
	}
	rs, err := r.queryRows(`SELECT value FROM warehouse_meta WHERE key = 'published_at'`)
	if err != nil || len(rs.Rows) == 0 {
		return ""
	}
	if t, err := time.Parse(time.RFC3339Nano, rs.Rows[0].str("value")); err == nil {
		return t.UTC().Format("2006-01-02 15:04 UTC")
	}
	return rs.Rows[0].str("value")
}
