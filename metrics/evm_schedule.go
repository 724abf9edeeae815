package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/pmlens/pmlens/warehouse"
)

// schedSnap is a schedule snapshot chosen as a project's figures on one as-of date
// (the latest import when several share a status date).
type schedSnap struct {
	SnapshotID int64
	ProjectID  string
	AsOf       time.Time // the status date's day
	StatusAt   time.Time // the status date as the file gives it
	DateSource string
	Calendar   sql.NullInt64
	Currency   string // the file's currency code, "" when it gives none
	Tasks      int64  // task_count, to size read batches
}

// loadScheduleSnapshots returns each project's snapshots, one per as-of date,
// oldest first.
func loadScheduleSnapshots(ctx context.Context, run *warehouse.Run) (map[string][]schedSnap, error) {
	out := map[string][]schedSnap{}
	err := rfQueryEach(ctx, run, `SELECT snapshot_id, project_id, CAST(snapshot_date AS DATE), snapshot_date, snapshot_date_source,
			calendar_uid, coalesce(currency, ''), coalesce(task_count, 0)
		FROM schedule_snapshots
		QUALIFY row_number() OVER (PARTITION BY project_id, CAST(snapshot_date AS DATE) ORDER BY snapshot_date DESC, snapshot_id DESC) = 1`, nil,
		func(scan func(...any) error) error {
			var s schedSnap
			if err := scan(&s.SnapshotID, &s.ProjectID, &s.AsOf, &s.StatusAt, &s.DateSource, &s.Calendar, &s.Currency, &s.Tasks); err != nil {
				return err
			}
			s.AsOf = Day(s.AsOf)
			out[s.ProjectID] = append(out[s.ProjectID], s)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("listing schedule snapshots: %w", err)
	}
	for _, ss := range out {
		sort.Slice(ss, func(i, j int) bool { return ss[i].AsOf.Before(ss[j].AsOf) })
	}
	return out, nil
}

// schedJob is one snapshot to compute, with what its rows depend on beyond its
// own tasks.
type schedJob struct {
	Snap schedSnap
	// Prev is the project's previous as-of date (zero for its first): the start of
	// the hit-task period.
	Prev time.Time
	// Ref is the project's first snapshot, the scope reference.
	Ref         schedSnap
	Currency    string
	Rules       RAGRules
	Fingerprint string
	batch       int
}

// taskRow is one leaf task as read, with the fields beyond metrics.Task that the
// milestone and execution rows need.
type taskRow struct {
	Task
	Milestone    bool
	Name, WBS    sql.NullString
	Finish       time.Time
	ActualFinish time.Time
	// DueDate is the baseline finish for schedule execution (BEI, hit-task %, slip);
	// zero when the task has no baseline.
	DueDate time.Time
}

// segKey addresses one task of one snapshot.
type segKey struct {
	snapshot, task int64
}

// taskSegments are a task's time-phased baseline and actual cost: its own rows,
// or failing those the sum of its assignments' rows.
type taskSegments struct {
	baseTask, baseAsg, actTask, actAsg []Segment
}

func (s *taskSegments) baseline() []Segment {
	if len(s.baseTask) > 0 {
		return s.baseTask
	}
	return s.baseAsg
}

func (s *taskSegments) actual() []Segment {
	if len(s.actTask) > 0 {
		return s.actTask
	}
	return s.actAsg
}

// schedResult is everything one snapshot contributes to the tables.
type schedResult struct {
	row        evmRow
	milestones []milestoneRow
	scope      scopeRow
	// warnings are the snapshot's data oddities (clamped percentages, time-phased
	// baselines that disagree with the baseline cost), for the log.
	warnings []string
}

// scheduleBatch is one batch's data, read from the warehouse.
type scheduleBatch struct {
	tasks map[int64][]taskRow
	cals  calendarRows
	err   error
}

// computeSchedule reads the jobs' tasks, time-phased costs and calendars batch
// by batch (each batch a few hundred thousand task rows, so memory stays
// bounded) and computes each snapshot on GOMAXPROCS workers. Reading the next
// batch overlaps computing this one. refs holds each project's scope reference
// tasks.
func computeSchedule(ctx context.Context, run *warehouse.Run, st evmSettings, jobs []schedJob, refs map[int64][]ScopeTask,
	now time.Time) ([]schedResult, error) {
	batches := 0
	for _, j := range jobs {
		batches = max(batches, j.batch+1)
	}
	byID := make(map[int64]*schedJob, len(jobs))
	for i := range jobs {
		byID[jobs[i].Snap.SnapshotID] = &jobs[i]
	}
	ctx, cancel := context.WithCancel(ctx)
	loaded := make(chan scheduleBatch, 1)
	var reader sync.WaitGroup
	// Only this goroutine uses the run's connection until it is done: the caller
	// waits for it before returning.
	reader.Go(func() {
		defer close(loaded)
		for b := 0; b < batches; b++ {
			var sb scheduleBatch
			var segs map[segKey]*taskSegments
			segs, sb.err = loadSegments(ctx, run, b)
			if sb.err == nil {
				sb.cals, sb.err = loadCalendars(ctx, run, b)
			}
			if sb.err == nil {
				sb.tasks, sb.err = loadTasks(ctx, run, b, segs)
			}
			select {
			case loaded <- sb:
			case <-ctx.Done():
				return
			}
			if sb.err != nil {
				return
			}
		}
	})
	defer func() {
		cancel()
		reader.Wait()
	}()
	out := make([]schedResult, 0, len(jobs))
	b := -1
	for sb := range loaded {
		b++
		if sb.err != nil {
			return nil, sb.err
		}
		tasks, cals := sb.tasks, sb.cals
		ids := make([]int64, 0, len(tasks))
		for id := range tasks {
			ids = append(ids, id)
		}
		for _, j := range jobs {
			if j.batch == b {
				if _, ok := tasks[j.Snap.SnapshotID]; !ok {
					// A snapshot whose tasks are all summaries, inactive or blank.
					ids = append(ids, j.Snap.SnapshotID)
				}
			}
		}
		sort.Slice(ids, func(i, k int) bool { return ids[i] < ids[k] })
		res := make([]schedResult, len(ids))
		var wg sync.WaitGroup
		next := make(chan int)
		for range max(1, runtime.GOMAXPROCS(0)) {
			wg.Go(func() {
				for i := range next {
					j := byID[ids[i]]
					cal, basis := cals.calendar(j.Snap)
					res[i] = computeScheduleSnapshot(st, *j, tasks[ids[i]], cal, basis, refs[j.Ref.SnapshotID], now, run.ID())
				}
			})
		}
		for i := range ids {
			if ctx.Err() != nil {
				break
			}
			next <- i
		}
		close(next)
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out = append(out, res...)
	}
	if b+1 < batches {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("reading schedule batches stopped after %d of %d", b+1, batches)
	}
	return out, nil
}

// leafFilter keeps the task rows that count: leaf, active, non-null tasks (summary
// rows already hold their children's sums).
const leafFilter = `NOT t.summary AND NOT t.is_project_summary AND NOT t.is_null AND t.active`

// dayCol converts a TIMESTAMP column to its day number (days since 1970-01-01):
// tasks are time-phased by date, and an integer scans several times faster than
// a timestamp.
func dayCol(col string) string {
	return "date_diff('day', DATE '1970-01-01', CAST(" + col + " AS DATE))"
}

// loadTasks reads the leaf tasks of a batch's snapshots, grouped by snapshot in
// UID order (a fixed order keeps float sums reproducible). Milestones get their
// name, WBS and finish from a second, small query.
func loadTasks(ctx context.Context, run *warehouse.Run, batch int, segs map[segKey]*taskSegments) (map[int64][]taskRow, error) {
	out := map[int64][]taskRow{}
	var cur []taskRow
	curID := int64(-1)
	flush := func() {
		if curID >= 0 {
			out[curID] = cur
		}
	}
	const inBatch = `t.snapshot_id IN (SELECT snapshot_id FROM evm_work WHERE kind = 'compute' AND batch = ?) AND ` + leafFilter
	err := queryValues(ctx, run, `SELECT t.snapshot_id, t.task_uid, t.milestone, `+dayCol("t.baseline_start")+`, `+dayCol("t.baseline_finish")+`,
			t.baseline_cost, t.percent_complete, t.physical_percent_complete, t.earned_value_method = 'physical_percent_complete',
			t.actual_cost, t.cost, `+dayCol("t.actual_finish")+`
		FROM task_snapshots t WHERE `+inBatch+`
		ORDER BY t.snapshot_id, t.task_uid`, []any{batch},
		func(v []any) error {
			sid, uid := anyInt(v[0]), anyInt(v[1])
			if sid != curID {
				flush()
				cur, curID = make([]taskRow, 0, 64), sid
			}
			r := taskRow{Milestone: anyBool(v[2])}
			t := &r.Task
			t.UID = uid
			bs, bf := anyDay(v[3]), anyDay(v[4])
			t.BaselineCost = baselineCost(v[5], !bs.IsZero() || !bf.IsZero())
			t.BaselineStart, t.BaselineFinish = bs, bf
			if t.BaselineCost.Valid {
				r.DueDate = bf
			}
			t.PercentComplete = anyFloat(v[6]) / 100
			t.PhysicalPercentComplete = anyFloat(v[7]) / 100
			if anyBool(v[8]) {
				t.Method = EVPhysical
			}
			t.ActualCost = anyFloat(v[9])
			if c, ok := v[10].(float64); ok {
				t.Cost = Of(c)
			} else {
				t.Cost = Null(ReasonMissingInput)
			}
			r.ActualFinish = anyDay(v[11])
			if s := segs[segKey{sid, uid}]; s != nil {
				t.BaselineSegments, t.ActualSegments = s.baseline(), s.actual()
			}
			cur = append(cur, r)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("reading tasks of schedule snapshots: %w", err)
	}
	flush()
	err = queryValues(ctx, run, `SELECT t.snapshot_id, t.task_uid, t.name, t.wbs, `+dayCol("t.finish")+`
		FROM task_snapshots t WHERE t.milestone AND `+inBatch, []any{batch},
		func(v []any) error {
			rows := out[anyInt(v[0])]
			uid := anyInt(v[1])
			i := sort.Search(len(rows), func(k int) bool { return rows[k].UID >= uid })
			if i < len(rows) && rows[i].UID == uid {
				r := &rows[i]
				r.Name, r.WBS = anyNullString(v[2]), anyNullString(v[3])
				r.Finish = anyDay(v[4])
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("reading milestones of schedule snapshots: %w", err)
	}
	return out, nil
}

// queryValues runs q and calls row with each row's values as the driver returns
// them (int64, int32, float64, bool, string, time.Time or nil): scanning into
// `any` skips database/sql's conversions, which dominate reading many rows.
func queryValues(ctx context.Context, run *warehouse.Run, q string, args []any, row func([]any) error) error {
	rows, err := run.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := row(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

func anyInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint64:
		return int64(x)
	case uint32:
		return int64(x)
	}
	return 0
}

func anyFloat(v any) float64 {
	if f, ok := v.(float64); ok {
		return f
	}
	return float64(anyInt(v))
}

func anyBool(v any) bool {
	b, _ := v.(bool)
	return b
}

// anyDay turns a day number (dayCol) into that date at midnight UTC; NULL is the
// zero time.
func anyDay(v any) time.Time {
	if v == nil {
		return time.Time{}
	}
	return dateOfDay(anyInt(v))
}

func anyNullString(v any) sql.NullString {
	s, ok := v.(string)
	return sql.NullString{String: s, Valid: ok}
}

// baselineCost is a task's baseline-0 cost: NULL when the task has no baseline;
// 0 when it has baseline dates but no cost (Project leaves a zero cost out).
func baselineCost(cost any, hasDates bool) Value {
	switch c := cost.(type) {
	case float64:
		return Of(c)
	}
	if hasDates {
		return Of(0)
	}
	return Null(ExcludedNoBaseline)
}

// loadSegments reads the time-phased baseline-0 and actual costs of a batch.
func loadSegments(ctx context.Context, run *warehouse.Run, batch int) (map[segKey]*taskSegments, error) {
	out := map[segKey]*taskSegments{}
	var (
		sid, uid      int64
		taskLevel     bool
		kind          string
		start, finish sql.NullTime
		value         float64
	)
	err := rfQueryEach(ctx, run, `SELECT p.snapshot_id, p.task_uid, p.assignment_uid IS NULL, p.kind, p.start, p.finish, p.value
		FROM timephased p
		WHERE p.snapshot_id IN (SELECT snapshot_id FROM evm_work WHERE kind = 'compute' AND batch = ?)
			AND p.task_uid IS NOT NULL AND (p.kind = 'actual_cost' OR (p.kind = 'baseline_cost' AND coalesce(p.baseline_number, 0) = 0))
		ORDER BY p.snapshot_id, p.task_uid, p.start, p.assignment_uid`, []any{batch},
		func(scan func(...any) error) error {
			if err := scan(&sid, &uid, &taskLevel, &kind, &start, &finish, &value); err != nil {
				return err
			}
			if !start.Valid || !finish.Valid {
				return nil
			}
			k := segKey{sid, uid}
			s := out[k]
			if s == nil {
				s = &taskSegments{}
				out[k] = s
			}
			seg := Segment{Start: start.Time, Finish: finish.Time, Amount: value}
			switch {
			case kind == "baseline_cost" && taskLevel:
				s.baseTask = append(s.baseTask, seg)
			case kind == "baseline_cost":
				s.baseAsg = append(s.baseAsg, seg)
			case taskLevel:
				s.actTask = append(s.actTask, seg)
			default:
				s.actAsg = append(s.actAsg, seg)
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("reading time-phased costs: %w", err)
	}
	return out, nil
}

// calendarRows holds the base calendars of a batch's snapshots.
type calendarRows struct {
	// base[snapshot][uid] is the calendar's base calendar uid (-1: none).
	base  map[int64]map[int64]int64
	hours map[segKey][]calendarHour
}

type calendarHour struct {
	kind     string
	dow      sql.NullInt64
	from, to sql.NullTime
	working  bool
}

func loadCalendars(ctx context.Context, run *warehouse.Run, batch int) (calendarRows, error) {
	c := calendarRows{base: map[int64]map[int64]int64{}, hours: map[segKey][]calendarHour{}}
	const inBatch = `snapshot_id IN (SELECT snapshot_id FROM evm_work WHERE kind = 'compute' AND batch = ?)`
	err := rfQueryEach(ctx, run, `SELECT snapshot_id, calendar_uid, coalesce(base_calendar_uid, -1) FROM calendars WHERE `+inBatch, []any{batch},
		func(scan func(...any) error) error {
			var sid, uid, base int64
			if err := scan(&sid, &uid, &base); err != nil {
				return err
			}
			if c.base[sid] == nil {
				c.base[sid] = map[int64]int64{}
			}
			c.base[sid][uid] = base
			return nil
		})
	if err != nil {
		return c, fmt.Errorf("reading calendars: %w", err)
	}
	// Resource calendars are never a project calendar's base; leave their (many) rows out.
	err = rfQueryEach(ctx, run, `SELECT h.snapshot_id, h.calendar_uid, h.kind, h.day_of_week, h.from_date, h.to_date, h.working
		FROM calendar_hours h
		JOIN calendars c ON c.snapshot_id = h.snapshot_id AND c.calendar_uid = h.calendar_uid
		WHERE h.`+inBatch+` AND c.resource_uid IS NULL`, []any{batch},
		func(scan func(...any) error) error {
			var sid, uid int64
			var h calendarHour
			if err := scan(&sid, &uid, &h.kind, &h.dow, &h.from, &h.to, &h.working); err != nil {
				return err
			}
			k := segKey{sid, uid}
			c.hours[k] = append(c.hours[k], h)
			return nil
		})
	if err != nil {
		return c, fmt.Errorf("reading calendar working times: %w", err)
	}
	return c, nil
}

// Calendar bases recorded in project_evm.calendar.
const (
	CalendarProject = "project"
	CalendarDefault = "default"
)

// calendar returns the snapshot's project calendar, or Mon–Fri (basis "default")
// when the file names none or has no working time for it.
func (c calendarRows) calendar(s schedSnap) (WorkCalendar, string) {
	if !s.Calendar.Valid {
		return Weekdays{}, CalendarDefault
	}
	cal := c.build(s.SnapshotID, s.Calendar.Int64, 0)
	if cal == nil {
		return Weekdays{}, CalendarDefault
	}
	return cal, CalendarProject
}

// build turns a calendar's rows into a RuleCalendar over its base chain; nil when
// the calendar has no rows at all (its base chain included).
func (c calendarRows) build(sid, uid int64, depth int) WorkCalendar {
	if depth > 8 {
		return nil // a cycle of base calendars: give up on this chain
	}
	var base WorkCalendar
	if b, ok := c.base[sid][uid]; ok && b >= 0 && b != uid {
		base = c.build(sid, b, depth+1)
	}
	rows := c.hours[segKey{sid, uid}]
	if len(rows) == 0 {
		return base
	}
	var week [7]DayRule
	type weekKey struct{ from, to time.Time }
	weeks := map[weekKey]*WeekRule{}
	var order []weekKey
	var exc []ExceptionRule
	for _, h := range rows {
		switch h.kind {
		case "weekday":
			if h.dow.Valid && h.dow.Int64 >= 1 && h.dow.Int64 <= 7 {
				d := &week[h.dow.Int64-1]
				// Several rows (one per working period) of one day say the same thing;
				// any working row makes the day a working day.
				d.Working = d.Working || h.working
				d.Set = true
			}
		case "exception":
			if h.from.Valid && h.to.Valid {
				exc = append(exc, ExceptionRule{From: h.from.Time, To: h.to.Time, Working: h.working})
			}
		case "work_week":
			if !h.from.Valid || !h.to.Valid || !h.dow.Valid || h.dow.Int64 < 1 || h.dow.Int64 > 7 {
				continue
			}
			k := weekKey{h.from.Time, h.to.Time}
			w := weeks[k]
			if w == nil {
				w = &WeekRule{From: h.from.Time, To: h.to.Time}
				weeks[k] = w
				order = append(order, k)
			}
			d := &w.Days[h.dow.Int64-1]
			d.Working = d.Working || h.working
			d.Set = true
		}
	}
	var ww []WeekRule
	for _, k := range order {
		ww = append(ww, *weeks[k])
	}
	return NewRuleCalendar(week, ww, exc, base)
}

// computeScheduleSnapshot derives one snapshot's earned value, RAG, milestone slips,
// execution and scope rows.
func computeScheduleSnapshot(st evmSettings, j schedJob, rows []taskRow, cal WorkCalendar, calBasis string,
	ref []ScopeTask, now time.Time, runID int64) schedResult {
	tasks := make([]Task, len(rows))
	for i := range rows {
		tasks[i] = rows[i].Task
	}
	var res schedResult
	row := evmRow{ProjectID: j.Snap.ProjectID, AsOf: j.Snap.AsOf, Source: SourceMSProject, Currency: j.Currency,
		SnapshotID: j.Snap.SnapshotID, AsOfSource: j.Snap.DateSource, Calendar: calBasis, Fingerprint: j.Fingerprint,
		ComputedAt: now, RunID: runID}
	snap, err := BuildSnapshot(tasks, j.Snap.StatusAt, cal)
	if err != nil {
		reason := "schedule could not be time-phased: " + err.Error()
		row.M = Compute(Inputs{BAC: Null(reason), PV: Null(reason), EV: Null(reason), AC: Null(reason), EACBottomUp: Null(reason)}, st.opts)
		row.M.Schedule = nullSchedule(reason)
	} else {
		row.M = Compute(snap.Inputs(), st.opts)
		row.Base = baseOf(&snap)
	}
	row.RAG = j.Rules.Evaluate(row.M)
	res.warnings = snap.Warnings
	res.row = row

	tracked := make([]TrackedTask, 0, len(rows))
	scope := make([]ScopeTask, 0, len(rows))
	for i := range rows {
		r := &rows[i]
		tracked = append(tracked, TrackedTask{UID: r.UID, BaselineFinish: r.DueDate, ActualFinish: r.ActualFinish})
		scope = append(scope, ScopeTask{UID: r.UID, BaselineCost: r.BaselineCost})
		if !r.Milestone {
			continue
		}
		m := milestoneRow{ProjectID: j.Snap.ProjectID, AsOf: j.Snap.AsOf, SnapshotID: j.Snap.SnapshotID, TaskUID: r.UID,
			Name: r.Name, WBS: r.WBS, Fingerprint: j.Fingerprint, RunID: runID}
		m.BaselineFinish, m.Finish, m.ActualFinish = r.DueDate, r.Finish, r.ActualFinish
		switch {
		case r.DueDate.IsZero():
			m.Slip = Null("no baseline finish: the milestone is not baselined")
		case r.Finish.IsZero():
			m.Slip = Null("no forecast finish in the snapshot")
		default:
			m.Slip = SlipDays(cal, r.DueDate, r.Finish)
		}
		res.milestones = append(res.milestones, m)
	}
	res.scope = newScopeRow(j, tracked, scope, ref, runID)
	return res
}

// newScopeRow compares the snapshot with the project's first one and measures
// schedule execution at its status date.
func newScopeRow(j schedJob, tracked []TrackedTask, cur, ref []ScopeTask, runID int64) scopeRow {
	asOf := j.Snap.AsOf
	s := scopeRow{ProjectID: j.Snap.ProjectID, AsOf: asOf, SnapshotID: j.Snap.SnapshotID, RefSnapshotID: j.Ref.SnapshotID,
		RefAsOf: j.Ref.AsOf, LeafTasks: len(cur), Fingerprint: j.Fingerprint, RunID: runID, PeriodStart: j.Prev}
	ch := CompareScope(ref, cur)
	s.Added, s.Removed, s.Unbaselined = len(ch.Added), len(ch.Removed), ch.Unbaselined
	s.BaselineCost, s.RefBaselineCost = sumBaselineCost(cur), sumBaselineCost(ref)
	s.BaselineCostChange = ch.BaselineCostChange
	s.BEI = BEI(tracked, asOf)
	s.HitTaskPct = HitTaskPct(tracked, j.Prev, asOf)
	d := Day(asOf)
	from := Day(j.Prev)
	for _, t := range tracked {
		if t.BaselineFinish.IsZero() {
			continue
		}
		bf := Day(t.BaselineFinish)
		if !bf.After(d) {
			s.BEIDue++
		}
		if t.finishedBy(d) {
			s.BEIFinished++
		}
		if bf.After(from) && !bf.After(d) {
			s.HitDue++
			if t.finishedBy(bf) {
				s.HitOnTime++
			}
		}
	}
	return s
}

func sumBaselineCost(ts []ScopeTask) float64 {
	total := 0.0
	for _, t := range ts {
		if t.BaselineCost.Valid {
			total += t.BaselineCost.V
		}
	}
	return total
}

// loadScopeReferences reads the leaf tasks (UID and baseline cost) of the
// reference snapshots listed in evm_work.
func loadScopeReferences(ctx context.Context, run *warehouse.Run) (map[int64][]ScopeTask, error) {
	out := map[int64][]ScopeTask{}
	err := queryValues(ctx, run, `SELECT t.snapshot_id, t.task_uid, t.baseline_cost, t.baseline_start IS NOT NULL OR t.baseline_finish IS NOT NULL
		FROM task_snapshots t
		WHERE t.snapshot_id IN (SELECT snapshot_id FROM evm_work WHERE kind = 'reference') AND `+leafFilter+`
		ORDER BY t.snapshot_id, t.task_uid`, nil,
		func(v []any) error {
			sid := anyInt(v[0])
			out[sid] = append(out[sid], ScopeTask{UID: anyInt(v[1]), BaselineCost: baselineCost(v[2], anyBool(v[3]))})
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("reading scope reference snapshots: %w", err)
	}
	return out, nil
}
