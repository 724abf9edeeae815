package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/pmlens/pmlens/connectors/msproject"
)

// MSProjectFile identifies the file a schedule snapshot was read from.
type MSProjectFile struct {
	Path    string
	SHA256  string // hex content hash: identical content is one snapshot per source
	Size    int64
	ModTime time.Time
}

// MSProjectLoadOptions are a source's privacy settings as the loader applies them.
type MSProjectLoadOptions struct {
	// IncludeResourceNames stores resource names, groups and resource-calendar
	// names; otherwise only keyed hashes of the names are kept.
	IncludeResourceNames bool
	// IncludeCustomText stores text and outline-code custom-field values.
	IncludeCustomText bool
	// ReleaseRecords lets the loader drop the project's tasks, resources and
	// assignments once they are stored, which keeps a big import's memory down.
	// The Project must not be used afterwards.
	ReleaseRecords bool
	// Now stamps imported_at; nil means time.Now.
	Now func() time.Time
}

// MSProjectSnapshot describes a loaded snapshot.
type MSProjectSnapshot struct {
	SnapshotID   int64
	ProjectID    string
	SnapshotDate time.Time
	DateSource   string
	Rows         int64
}

// MSProjectSnapshotByHash returns the snapshot this run's source already holds for
// a file content hash, if any: re-importing identical content changes nothing.
func MSProjectSnapshotByHash(ctx context.Context, run *Run, sha256 string) (int64, bool, error) {
	var id int64
	err := run.QueryRow(ctx, `SELECT snapshot_id FROM schedule_snapshots WHERE source = ? AND file_sha256 = ? LIMIT 1`, run.Source(), sha256).Scan(&id)
	switch {
	case err == nil:
		return id, true, nil
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	}
	return 0, false, fmt.Errorf("looking up schedule snapshot by hash: %w", err)
}

// msprojectTables are the snapshot-keyed tables, for cleaning up a failed load.
var msprojectTables = []string{"task_snapshots", "task_baselines", "task_links", "resources", "resource_rates",
	"assignments", "timephased", "calendars", "calendar_hours", "custom_fields", "schedule_snapshots"}

// LoadMSProjectSnapshot stores one parsed schedule file as a new snapshot of
// projectID. Everything goes through run.Append, so it commits or rolls back with
// the run; if loading fails part-way, the snapshot's rows are removed again so the
// caller can record the file as a problem and carry on with the next one.
func LoadMSProjectSnapshot(ctx context.Context, run *Run, projectID string, file MSProjectFile, p *msproject.Project, opts MSProjectLoadOptions) (MSProjectSnapshot, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	snap := MSProjectSnapshot{ProjectID: projectID}
	if err := run.QueryRow(ctx, `SELECT nextval('msproject_snapshot_ids')`).Scan(&snap.SnapshotID); err != nil {
		return snap, fmt.Errorf("allocating a schedule snapshot id: %w", err)
	}
	snap.SnapshotDate, snap.DateSource = msproject.SnapshotDate(p, file.ModTime)
	l := &msprojectLoader{run: run, p: p, snap: snap, opts: opts, file: file,
		big: len(p.Tasks)+len(p.Assignments) >= bigScheduleRecords}
	err := l.load(ctx)
	snap.Rows = l.rows
	if err != nil {
		// Remove what this snapshot already appended; the run goes on without it.
		var cleanupErr error
		for _, t := range msprojectTables {
			if _, e := run.Exec(context.WithoutCancel(ctx), `DELETE FROM `+t+` WHERE snapshot_id = ?`, snap.SnapshotID); e != nil {
				cleanupErr = errors.Join(cleanupErr, e)
			}
		}
		run.AddRows(-l.rows)
		if cleanupErr != nil {
			return snap, fmt.Errorf("loading %s: %w (and removing its partial rows failed: %v)", file.Path, err, cleanupErr)
		}
		return snap, fmt.Errorf("loading %s: %w", file.Path, err)
	}
	return snap, nil
}

// bigScheduleRecords is the size (tasks + assignments) from which releasing records
// also returns memory to the OS; a forced collection is not worth it for small files.
const bigScheduleRecords = 20_000

type msprojectLoader struct {
	big  bool
	run  *Run
	p    *msproject.Project
	snap MSProjectSnapshot
	opts MSProjectLoadOptions
	file MSProjectFile
	rows int64
	defs map[int64]msproject.FieldDef
}

func (l *msprojectLoader) append(ctx context.Context, table string, cols []string, fill func(add func(values ...any) error) error) error {
	n, err := l.run.Append(ctx, table, cols, fill)
	l.rows += n
	if err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	return nil
}

func (l *msprojectLoader) load(ctx context.Context) error {
	p := l.p
	// Tasks and everything hanging off them first, then resources (with the
	// calendars that name them), then assignments; with ReleaseRecords each group
	// is dropped once stored, so the Go heap shrinks while DuckDB's load buffers grow.
	steps := []func(context.Context) error{
		l.scheduleSnapshot, l.tasks, l.baselines, l.links,
		func(ctx context.Context) error { return l.customFields(ctx, "task") },
		func(ctx context.Context) error { return l.timephased(ctx, "task") },
		func(context.Context) error { l.release(func() { p.Tasks = nil }); return nil },
		l.resources, l.calendars,
		func(ctx context.Context) error { return l.customFields(ctx, "resource") },
		func(ctx context.Context) error { return l.timephased(ctx, "resource") },
		func(context.Context) error { l.release(func() { p.Resources, p.Calendars = nil, nil }); return nil },
		l.assignments,
		func(ctx context.Context) error { return l.customFields(ctx, "assignment") },
		func(ctx context.Context) error { return l.timephased(ctx, "assignment") },
		func(context.Context) error { l.release(func() { p.Assignments = nil }); return nil },
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// release drops a group of stored records when the caller allowed it, and returns
// the memory to the OS for a big schedule (DuckDB allocates outside the Go heap,
// so memory the Go runtime merely keeps would still count against the process).
func (l *msprojectLoader) release(drop func()) {
	if !l.opts.ReleaseRecords {
		return
	}
	drop()
	if l.big {
		debug.FreeOSMemory()
	}
}

// Column helpers: absent values become NULL.
func mspStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func mspTime(t time.Time) any { return msproject.DateOrNil(t) }

func mspHours(d msproject.Dur) any { return d.Hours() }

func mspBaseline0(bs []msproject.Baseline) *msproject.Baseline {
	for i := range bs {
		if bs[i].Number == 0 {
			return &bs[i]
		}
	}
	return nil
}

func (l *msprojectLoader) scheduleSnapshot(ctx context.Context) error {
	p := l.p
	tasks := int64(0)
	for i := range p.Tasks {
		if !p.Tasks[i].ProjectSummary && !p.Tasks[i].IsNull {
			tasks++
		}
	}
	var mtime any
	if !l.file.ModTime.IsZero() {
		mtime = l.file.ModTime
	}
	var size any
	if l.file.Size > 0 {
		size = l.file.Size
	}
	cols := []string{"snapshot_id", "project_id", "source", "run_id", "format", "file_path", "file_sha256", "file_size", "file_mtime",
		"schedule_title", "snapshot_date", "snapshot_date_source", "status_date", "project_current_date", "start", "finish",
		"currency", "currency_symbol", "minutes_per_day", "minutes_per_week", "days_per_month", "calendar_uid", "save_version",
		"task_count", "imported_at"}
	return l.append(ctx, "schedule_snapshots", cols, func(add func(...any) error) error {
		return add(l.snap.SnapshotID, l.snap.ProjectID, l.run.Source(), l.run.ID(), string(p.Format), l.file.Path, l.file.SHA256, size, mtime,
			mspStr(p.Key()), l.snap.SnapshotDate, l.snap.DateSource, mspTime(p.StatusDate), mspTime(p.CurrentDate), mspTime(p.StartDate), mspTime(p.FinishDate),
			mspStr(p.CurrencyCode), mspStr(p.CurrencySymbol), p.MinutesPerDay, p.MinutesPerWeek, p.DaysPerMonth, p.CalendarUID.Value(), mspStr(p.SaveVersion),
			tasks, l.opts.Now())
	})
}

var mspConstraintNames = []string{"ASAP", "ALAP", "MSO", "MFO", "SNET", "SNLT", "FNET", "FNLT"}

func mspConstraint(o msproject.Opt[int64]) any {
	if !o.Valid || o.V < 0 || int(o.V) >= len(mspConstraintNames) {
		return nil
	}
	return mspConstraintNames[o.V]
}

func mspEVMethod(o msproject.Opt[int64]) any {
	switch {
	case !o.Valid:
		return nil
	case o.V == 1:
		return "physical_percent_complete"
	}
	return "percent_complete"
}

func (l *msprojectLoader) tasks(ctx context.Context) error {
	p := l.p
	cols := []string{"snapshot_id", "project_id", "snapshot_date", "task_uid", "id", "name", "wbs", "outline_number", "outline_level",
		"parent_uid", "is_project_summary", "summary", "milestone", "active", "is_null", "manual", "critical", "start", "finish",
		"duration_hours", "duration_days", "duration_elapsed", "work_hours", "actual_work_hours", "remaining_work_hours",
		"actual_duration_hours", "remaining_duration_hours", "percent_complete", "percent_work_complete", "physical_percent_complete",
		"earned_value_method", "cost", "fixed_cost", "actual_cost", "remaining_cost", "bcws", "bcwp", "acwp", "cv",
		"actual_start", "actual_finish", "deadline", "constraint_type", "constraint_date", "total_slack_hours", "free_slack_hours",
		"calendar_uid", "baseline_start", "baseline_finish", "baseline_cost", "baseline_work_hours", "baseline_duration_hours"}
	return l.append(ctx, "task_snapshots", cols, func(add func(...any) error) error {
		for i := range p.Tasks {
			t := &p.Tasks[i]
			var days, elapsed any
			if t.Duration.Valid {
				elapsed = t.Duration.Elapsed
				switch {
				case t.Duration.Elapsed:
					days = t.Duration.Minutes / (24 * 60)
				case p.MinutesPerDay > 0:
					days = t.Duration.Minutes / float64(p.MinutesPerDay)
				}
			}
			var blStart, blFinish, blCost, blWork, blDur any
			if b := mspBaseline0(t.Baselines); b != nil {
				blStart, blFinish, blCost, blWork, blDur = mspTime(b.Start), mspTime(b.Finish), b.Cost.Value(), mspHours(b.Work), mspHours(b.Duration)
			}
			if err := add(l.snap.SnapshotID, l.snap.ProjectID, l.snap.SnapshotDate, t.UID, t.ID.Value(), mspStr(t.Name), mspStr(t.WBS),
				mspStr(t.OutlineNumber), t.OutlineLevel.Value(), t.ParentUID.Value(), t.ProjectSummary, t.Summary, t.Milestone, t.Active,
				t.IsNull, t.Manual, t.Critical, mspTime(t.Start), mspTime(t.Finish),
				mspHours(t.Duration), days, elapsed, mspHours(t.Work), mspHours(t.ActualWork), mspHours(t.RemainingWork),
				mspHours(t.ActualDuration), mspHours(t.RemainingDuration), t.PercentComplete.Value(), t.PercentWorkComplete.Value(),
				t.PhysicalPercentComplete.Value(), mspEVMethod(t.EarnedValueMethod), t.Cost.Value(), t.FixedCost.Value(),
				t.ActualCost.Value(), t.RemainingCost.Value(), t.BCWS.Value(), t.BCWP.Value(), t.ACWP.Value(), t.CV.Value(),
				mspTime(t.ActualStart), mspTime(t.ActualFinish), mspTime(t.Deadline), mspConstraint(t.ConstraintType), mspTime(t.ConstraintDate),
				mspHours(t.TotalSlack), mspHours(t.FreeSlack), t.CalendarUID.Value(),
				blStart, blFinish, blCost, blWork, blDur); err != nil {
				return err
			}
		}
		return nil
	})
}

func (l *msprojectLoader) baselines(ctx context.Context) error {
	cols := []string{"snapshot_id", "project_id", "task_uid", "baseline_number", "start", "finish", "duration_hours", "work_hours", "cost", "bcws", "bcwp"}
	return l.append(ctx, "task_baselines", cols, func(add func(...any) error) error {
		for i := range l.p.Tasks {
			t := &l.p.Tasks[i]
			for _, b := range t.Baselines {
				if err := add(l.snap.SnapshotID, l.snap.ProjectID, t.UID, int64(b.Number), mspTime(b.Start), mspTime(b.Finish),
					mspHours(b.Duration), mspHours(b.Work), b.Cost.Value(), b.BCWS.Value(), b.BCWP.Value()); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func (l *msprojectLoader) links(ctx context.Context) error {
	cols := []string{"snapshot_id", "project_id", "predecessor_uid", "successor_uid", "link_type", "lag_hours", "lag_elapsed", "cross_project", "cross_project_name"}
	return l.append(ctx, "task_links", cols, func(add func(...any) error) error {
		for i := range l.p.Tasks {
			t := &l.p.Tasks[i]
			for _, k := range t.Predecessors {
				if err := add(l.snap.SnapshotID, l.snap.ProjectID, k.PredecessorUID, t.UID, k.Type, mspHours(k.Lag), k.Lag.Elapsed,
					k.CrossProject, mspStr(k.CrossProjectName)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func (l *msprojectLoader) resources(ctx context.Context) error {
	p := l.p
	cols := []string{"snapshot_id", "project_id", "resource_uid", "id", "name", "name_hash", "group_name", "resource_type", "is_generic",
		"is_inactive", "max_units", "standard_rate", "overtime_rate", "cost_per_use", "work_hours", "actual_work_hours",
		"remaining_work_hours", "cost", "actual_cost", "remaining_cost", "bcws", "bcwp", "acwp", "baseline_work_hours",
		"baseline_cost", "calendar_uid"}
	if err := l.append(ctx, "resources", cols, func(add func(...any) error) error {
		for i := range p.Resources {
			r := &p.Resources[i]
			var name, group any
			if l.opts.IncludeResourceNames {
				name, group = mspStr(r.Name), mspStr(r.Group)
			}
			var blWork, blCost any
			if b := mspBaseline0(r.Baselines); b != nil {
				blWork, blCost = mspHours(b.Work), b.Cost.Value()
			}
			if err := add(l.snap.SnapshotID, l.snap.ProjectID, r.UID, r.ID.Value(), name, mspStr(l.run.HashPerson(r.Name)), group,
				r.Type, r.IsGeneric, r.IsInactive, r.MaxUnits.Value(), r.StandardRate.Value(), r.OvertimeRate.Value(),
				r.CostPerUse.Value(), mspHours(r.Work), mspHours(r.ActualWork), mspHours(r.RemainingWork), r.Cost.Value(),
				r.ActualCost.Value(), r.RemainingCost.Value(), r.BCWS.Value(), r.BCWP.Value(), r.ACWP.Value(),
				blWork, blCost, r.CalendarUID.Value()); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	cols = []string{"snapshot_id", "project_id", "resource_uid", "rate_table", "effective_from", "effective_to", "standard_rate", "overtime_rate", "cost_per_use"}
	return l.append(ctx, "resource_rates", cols, func(add func(...any) error) error {
		for i := range p.Resources {
			r := &p.Resources[i]
			for _, rt := range r.Rates {
				table := string(rune('A' + rt.Table))
				if rt.Table < 0 || rt.Table > 4 {
					table = fmt.Sprint(rt.Table)
				}
				if err := add(l.snap.SnapshotID, l.snap.ProjectID, r.UID, table, mspTime(rt.From), mspTime(rt.To),
					rt.StandardRate.Value(), rt.OvertimeRate.Value(), rt.CostPerUse.Value()); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func (l *msprojectLoader) assignments(ctx context.Context) error {
	cols := []string{"snapshot_id", "project_id", "assignment_uid", "task_uid", "resource_uid", "units", "work_hours", "actual_work_hours",
		"remaining_work_hours", "overtime_work_hours", "cost", "actual_cost", "remaining_cost", "bcws", "bcwp", "acwp", "start",
		"finish", "actual_start", "actual_finish", "stop", "resume", "work_contour", "baseline_work_hours", "baseline_cost"}
	return l.append(ctx, "assignments", cols, func(add func(...any) error) error {
		for i := range l.p.Assignments {
			a := &l.p.Assignments[i]
			if a.Placeholder() {
				continue
			}
			var blWork, blCost any
			if b := mspBaseline0(a.Baselines); b != nil {
				blWork, blCost = mspHours(b.Work), b.Cost.Value()
			}
			if err := add(l.snap.SnapshotID, l.snap.ProjectID, a.UID, a.TaskUID, a.ResourceUID, a.Units.Value(), mspHours(a.Work),
				mspHours(a.ActualWork), mspHours(a.RemainingWork), mspHours(a.OvertimeWork), a.Cost.Value(), a.ActualCost.Value(),
				a.RemainingCost.Value(), a.BCWS.Value(), a.BCWP.Value(), a.ACWP.Value(), mspTime(a.Start), mspTime(a.Finish),
				mspTime(a.ActualStart), mspTime(a.ActualFinish), mspTime(a.Stop), mspTime(a.Resume), a.WorkContour.Value(), blWork, blCost); err != nil {
				return err
			}
		}
		return nil
	})
}

func mspValueUnit(kind string) string {
	switch kind {
	case "baseline_cost", "actual_cost":
		return "currency"
	case "percent_complete", "physical_percent_complete":
		return "percent"
	}
	return "hours"
}

func (l *msprojectLoader) timephased(ctx context.Context, entity string) error {
	p := l.p
	cols := []string{"snapshot_id", "project_id", "task_uid", "assignment_uid", "resource_uid", "kind", "baseline_number", "start", "finish", "value", "value_unit"}
	return l.append(ctx, "timephased", cols, func(add func(...any) error) error {
		emit := func(taskUID, asgUID, resUID any, tps []msproject.Timephased) error {
			for _, tp := range tps {
				if err := add(l.snap.SnapshotID, l.snap.ProjectID, taskUID, asgUID, resUID, tp.Kind, tp.Baseline.Value(),
					mspTime(tp.Start), mspTime(tp.Finish), tp.Value, mspValueUnit(tp.Kind)); err != nil {
					return err
				}
			}
			return nil
		}
		switch entity {
		case "task":
			for i := range p.Tasks {
				if err := emit(p.Tasks[i].UID, nil, nil, p.Tasks[i].Timephased); err != nil {
					return err
				}
			}
		case "resource":
			for i := range p.Resources {
				if err := emit(nil, nil, p.Resources[i].UID, p.Resources[i].Timephased); err != nil {
					return err
				}
			}
		case "assignment":
			for i := range p.Assignments {
				a := &p.Assignments[i]
				// A placeholder assignment's periods are the unresourced task's own work.
				var res any = a.ResourceUID
				if a.Placeholder() {
					res = nil
				}
				if err := emit(a.TaskUID, a.UID, res, a.Timephased); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func (l *msprojectLoader) calendars(ctx context.Context) error {
	p := l.p
	calRes := map[int64]int64{}
	for _, r := range p.Resources {
		if r.CalendarUID.Valid {
			calRes[r.CalendarUID.V] = r.UID
		}
	}
	cols := []string{"snapshot_id", "project_id", "calendar_uid", "name", "is_base", "base_calendar_uid", "resource_uid"}
	if err := l.append(ctx, "calendars", cols, func(add func(...any) error) error {
		for _, c := range p.Calendars {
			var name, res any
			if uid, ok := calRes[c.UID]; ok && !c.IsBase {
				res = uid
			}
			// Resource calendars carry the resource's name.
			if c.IsBase || l.opts.IncludeResourceNames {
				name = mspStr(c.Name)
			}
			if err := add(l.snap.SnapshotID, l.snap.ProjectID, c.UID, name, c.IsBase, c.BaseCalendarUID.Value(), res); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	cols = []string{"snapshot_id", "project_id", "calendar_uid", "kind", "day_of_week", "from_date", "to_date", "name", "working", "from_time", "to_time", "hours"}
	return l.append(ctx, "calendar_hours", cols, func(add func(...any) error) error {
		row := func(c *msproject.Calendar, kind string, dow any, from, to time.Time, name string, working bool, times []msproject.TimeRange) error {
			if len(times) == 0 {
				return add(l.snap.SnapshotID, l.snap.ProjectID, c.UID, kind, dow, mspTime(from), mspTime(to), mspStr(name), working, nil, nil, nil)
			}
			for _, tr := range times {
				if err := add(l.snap.SnapshotID, l.snap.ProjectID, c.UID, kind, dow, mspTime(from), mspTime(to), mspStr(name), working, tr.From, tr.To, tr.Hours()); err != nil {
					return err
				}
			}
			return nil
		}
		for i := range p.Calendars {
			c := &p.Calendars[i]
			for _, wd := range c.WeekDays {
				if err := row(c, "weekday", int64(wd.DayOfWeek), time.Time{}, time.Time{}, "", wd.Working, wd.Times); err != nil {
					return err
				}
			}
			for _, e := range c.Exceptions {
				if err := row(c, "exception", nil, e.From, e.To, e.Name, e.Working, e.Times); err != nil {
					return err
				}
			}
			for _, ww := range c.WorkWeeks {
				for _, wd := range ww.WeekDays {
					if err := row(c, "work_week", int64(wd.DayOfWeek), ww.From, ww.To, ww.Name, wd.Working, wd.Times); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

func (l *msprojectLoader) customFields(ctx context.Context, entity string) error {
	p := l.p
	if l.defs == nil {
		l.defs = map[int64]msproject.FieldDef{}
	}
	def := func(id int64) msproject.FieldDef {
		d, ok := l.defs[id]
		if !ok {
			d = p.FieldInfo(id)
			l.defs[id] = d
		}
		return d
	}
	cols := []string{"snapshot_id", "project_id", "entity", "owner_uid", "field_id", "field_name", "alias", "value_type", "value_text", "value_number", "value_date", "value_flag"}
	return l.append(ctx, "custom_fields", cols, func(add func(...any) error) error {
		emit := func(owner int64, values []msproject.CustomValue) error {
			for _, v := range values {
				d := def(v.FieldID)
				var text, num any
				switch v.ValueType {
				case "text", "outline_code":
					if !l.opts.IncludeCustomText {
						continue
					}
					text = mspStr(v.Text)
				case "duration":
					if v.Number.Valid {
						num = v.Number.V / 60
					}
				default:
					num = v.Number.Value()
				}
				if err := add(l.snap.SnapshotID, l.snap.ProjectID, entity, owner, v.FieldID, mspStr(d.FieldName), mspStr(d.Alias),
					v.ValueType, text, num, mspTime(v.Date), v.Flag.Value()); err != nil {
					return err
				}
			}
			return nil
		}
		switch entity {
		case "task":
			for i := range p.Tasks {
				if err := emit(p.Tasks[i].UID, p.Tasks[i].Custom); err != nil {
					return err
				}
			}
		case "resource":
			for i := range p.Resources {
				if err := emit(p.Resources[i].UID, p.Resources[i].Custom); err != nil {
					return err
				}
			}
		case "assignment":
			for i := range p.Assignments {
				if err := emit(p.Assignments[i].UID, p.Assignments[i].Custom); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
