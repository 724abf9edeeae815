package metrics

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pmlens/pmlens/warehouse"
)

// Sources of project_evm rows.
const (
	SourceMSProject = "msproject"
	SourceJira      = "jira"
)

// evmRow is one project_evm row.
type evmRow struct {
	ProjectID  string
	AsOf       time.Time
	Source     string
	Currency   string
	M          Measures
	RAG        RAG
	SnapshotID int64 // 0 for Jira rows
	AsOfSource string
	Calendar   string
	// Base summarises the schedule snapshot behind the row; nil for Jira rows and
	// for schedules that could not be time-phased.
	Base *snapshotBase
	// Agile holds AgileEVM's extras for Jira rows.
	Agile       *agileExtras
	Fingerprint string
	ComputedAt  time.Time
	RunID       int64
}

// snapshotBase is what a row keeps of its Snapshot (not the curve or task lists,
// which a full recomputation would otherwise hold for every snapshot at once).
type snapshotBase struct {
	CurveStart                     time.Time // zero without a curve
	Counted, Unbaselined           int
	UnbaselinedCost, UnbaselinedAC float64
}

func baseOf(s *Snapshot) *snapshotBase {
	b := &snapshotBase{Counted: s.Counted, Unbaselined: len(s.Unbaselined), UnbaselinedCost: s.UnbaselinedCost, UnbaselinedAC: s.UnbaselinedAC}
	if len(s.Curve.Cum) > 0 {
		b.CurveStart = s.Curve.Start
	}
	return b
}

type agileExtras struct {
	PPC, APC, SprintsForecast Value
	SprintsDone, PointsDone   float64
}

// namedValue is a measure column with its value.
type namedValue struct {
	col string
	v   Value
}

// measureColumns lists the numeric measures shared by the project, program and
// portfolio tables, in column order: the list first, then the extras.
func measureColumns(m Measures) []namedValue {
	s := m.Schedule
	return []namedValue{
		{"bac", m.BAC}, {"pv", m.PV}, {"ev", m.EV}, {"ac", m.AC}, {"sv", m.SV}, {"cv", m.CV},
		{"spi", m.SPI}, {"cpi", m.CPI}, {"sv_pct", m.SVPct}, {"cv_pct", m.CVPct},
		{"eac_cpi", m.EACCPI}, {"eac_atypical", m.EACAtypical}, {"eac_cpi_spi", m.EACCPISPI},
		{"eac_weighted", m.EACWeighted}, {"eac_bottom_up", m.EACBottomUp}, {"etc", m.ETC}, {"vac", m.VAC},
		{"tcpi_bac", m.TCPIBAC}, {"tcpi_eac", m.TCPIEAC},
		{"es_days", s.ES}, {"at_days", s.AT}, {"sv_t_days", s.SVt}, {"spi_t", s.SPIt}, {"tspi", s.TSPI}, {"ieac_t_days", s.IEACt},
	}
}

// extraColumns are the measures after rag/rag_reasons common to every level.
func extraColumns(m Measures) []namedValue {
	return []namedValue{{"eac", m.EAC}, {"vac_pct", m.VACPct}, {"pct_scheduled", m.PctScheduled},
		{"pct_complete", m.PctComplete}, {"pct_spent", m.PctSpent}}
}

// nullReasons is the null_reasons JSON: every NULL measure (and date) with why.
func nullReasons(vals []namedValue, dates map[string]DateValue, extra map[string]string) string {
	out := map[string]string{}
	for _, nv := range vals {
		if !nv.v.Valid {
			out[nv.col] = nv.v.Reason
		}
	}
	for col, d := range dates {
		if !d.Valid {
			out[col] = d.Reason
		}
	}
	for k, v := range extra {
		out[k] = v
	}
	if len(out) == 0 {
		return "{}"
	}
	b, err := json.Marshal(out) // keys sorted: reproducible text
	if err != nil {
		return "{}"
	}
	return string(b)
}

func dateAny(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return Day(t)
}

func strAny(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullStrAny(s sql.NullString) any {
	if !s.Valid {
		return nil
	}
	return s.String
}

var evmProjectColumns = []string{"project_id", "as_of",
	"bac", "pv", "ev", "ac", "sv", "cv", "spi", "cpi", "sv_pct", "cv_pct", "eac_cpi", "eac_atypical", "eac_cpi_spi",
	"eac_weighted", "eac_bottom_up", "etc", "vac", "tcpi_bac", "tcpi_eac", "es_days", "at_days", "sv_t_days", "spi_t",
	"tspi", "ieac_t_days", "forecast_finish", "rag", "rag_reasons",
	"source", "currency", "eac", "vac_pct", "pct_scheduled", "pct_complete", "pct_spent", "eac_method", "pd_days",
	"baseline_start", "es_date", "tasks_counted", "tasks_without_baseline", "cost_without_baseline", "ac_without_baseline",
	"rag_flags", "null_reasons", "snapshot_id", "as_of_source", "calendar", "agile_ppc", "agile_apc", "sprints_done",
	"points_done", "sprints_forecast", "eac_weight_cpi", "eac_weight_spi", "fingerprint", "computed_at", "run_id"}

func (r *evmRow) values() []any {
	m := r.M
	s := m.Schedule
	vals := append(measureColumns(m), extraColumns(m)...)
	vals = append(vals, namedValue{"pd_days", s.PD})
	out := []any{r.ProjectID, r.AsOf}
	for _, nv := range measureColumns(m) {
		out = append(out, nv.v.Any())
	}
	out = append(out, s.ForecastFinish.Any(), string(r.RAG.Status), r.RAG.Text(), r.Source, strAny(r.Currency))
	for _, nv := range extraColumns(m) {
		out = append(out, nv.v.Any())
	}
	out = append(out, strAny(string(m.EACMethod)), s.PD.Any())
	var curveStart, tasksCounted, unbCount, unbCost, unbAC any
	if b := r.Base; b != nil {
		curveStart = dateAny(b.CurveStart)
		tasksCounted, unbCount = int64(b.Counted), int64(b.Unbaselined)
		unbCost, unbAC = b.UnbaselinedCost, b.UnbaselinedAC
	}
	out = append(out, curveStart, s.ESDate.Any(), tasksCounted, unbCount, unbCost, unbAC,
		strAny(strings.Join(r.RAG.Flags, ",")))
	dates := map[string]DateValue{"forecast_finish": s.ForecastFinish, "es_date": s.ESDate}
	var ppc, apc, sprintsDone, pointsDone, forecast any
	if a := r.Agile; a != nil {
		vals = append(vals, namedValue{"agile_ppc", a.PPC}, namedValue{"agile_apc", a.APC}, namedValue{"sprints_forecast", a.SprintsForecast})
		ppc, apc, forecast = a.PPC.Any(), a.APC.Any(), a.SprintsForecast.Any()
		sprintsDone, pointsDone = a.SprintsDone, a.PointsDone
	}
	var snapshotID any
	if r.SnapshotID != 0 {
		snapshotID = r.SnapshotID
	}
	out = append(out, nullReasons(vals, dates, nil), snapshotID, strAny(r.AsOfSource), strAny(r.Calendar),
		ppc, apc, sprintsDone, pointsDone, forecast, m.WeightCPI, m.WeightSPI, r.Fingerprint, r.ComputedAt, r.RunID)
	return out
}

// milestoneRow is one milestone_slips row.
type milestoneRow struct {
	ProjectID                            string
	AsOf                                 time.Time
	SnapshotID, TaskUID                  int64
	Name, WBS                            sql.NullString
	BaselineFinish, Finish, ActualFinish time.Time
	Slip                                 Value
	Fingerprint                          string
	RunID                                int64
}

var milestoneColumns = []string{"project_id", "as_of", "snapshot_id", "task_uid", "milestone", "wbs", "baseline_finish",
	"forecast_finish", "actual_finish", "slip_days", "slip_reason", "fingerprint", "run_id"}

func (m *milestoneRow) values() []any {
	return []any{m.ProjectID, m.AsOf, m.SnapshotID, m.TaskUID, nullStrAny(m.Name), nullStrAny(m.WBS), dateAny(m.BaselineFinish),
		dateAny(m.Finish), dateAny(m.ActualFinish), m.Slip.Any(), m.Slip.ReasonOrNil(), m.Fingerprint, m.RunID}
}

// scopeRow is one project_scope row.
type scopeRow struct {
	ProjectID                     string
	AsOf, RefAsOf, PeriodStart    time.Time
	SnapshotID, RefSnapshotID     int64
	LeafTasks, Added, Removed     int
	Unbaselined                   int
	BaselineCost, RefBaselineCost float64
	BaselineCostChange            float64
	BEI, HitTaskPct               Value
	BEIFinished, BEIDue           int
	HitDue, HitOnTime             int
	Fingerprint                   string
	RunID                         int64
}

var scopeColumns = []string{"project_id", "as_of", "snapshot_id", "reference_snapshot_id", "reference_as_of", "leaf_tasks",
	"tasks_added", "tasks_removed", "tasks_without_baseline", "baseline_cost", "reference_baseline_cost", "baseline_cost_change",
	"bei", "bei_finished", "bei_due", "hit_task_pct", "hit_period_start", "hit_due", "hit_on_time", "null_reasons",
	"fingerprint", "run_id"}

func (s *scopeRow) values() []any {
	return []any{s.ProjectID, s.AsOf, s.SnapshotID, s.RefSnapshotID, dateAny(s.RefAsOf), int64(s.LeafTasks),
		int64(s.Added), int64(s.Removed), int64(s.Unbaselined), s.BaselineCost, s.RefBaselineCost, s.BaselineCostChange,
		s.BEI.Any(), int64(s.BEIFinished), int64(s.BEIDue), s.HitTaskPct.Any(), dateAny(s.PeriodStart), int64(s.HitDue),
		int64(s.HitOnTime), nullReasons([]namedValue{{"bei", s.BEI}, {"hit_task_pct", s.HitTaskPct}}, nil, nil),
		s.Fingerprint, s.RunID}
}

// appendRows writes rows through the run's appender.
func appendRows[T any](ctx context.Context, run *warehouse.Run, table string, cols []string, rows []T, values func(*T) []any) error {
	if len(rows) == 0 {
		return nil
	}
	_, err := run.Append(ctx, table, cols, func(add func(...any) error) error {
		for i := range rows {
			if err := add(values(&rows[i])...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("writing %s: %w", table, err)
	}
	return nil
}
