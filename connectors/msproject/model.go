package msproject

import (
	"encoding/json"
	"strconv"
	"time"
)

// Format is the kind of file a Project was read from.
type Format string

// Formats the connector reads. FormatMPP is only ever detected, never parsed.
const (
	FormatMSPDI Format = "mspdi"
	FormatMPX   Format = "mpx"
	FormatCSV   Format = "csv"
	FormatXLSX  Format = "xlsx"
	FormatMPP   Format = "mpp"
)

// Opt is an optional value: Valid is false when the source left the field empty
// (element absent in MSPDI, "NA"/"NV" or blank in text exports). Loaders write NULL
// for it, so "not recorded" never turns into a misleading zero.
type Opt[T any] struct {
	V     T
	Valid bool
}

// Some returns a valid Opt holding v.
func Some[T any](v T) Opt[T] { return Opt[T]{V: v, Valid: true} }

// IsZero reports whether the value is absent; it lets `json:",omitzero"` drop absent
// values from golden files while keeping a recorded 0.
func (o Opt[T]) IsZero() bool { return !o.Valid }

// Value returns the value, or nil when absent (the shape database appenders want).
func (o Opt[T]) Value() any {
	if !o.Valid {
		return nil
	}
	return o.V
}

// MarshalJSON writes the bare value or null.
func (o Opt[T]) MarshalJSON() ([]byte, error) {
	if !o.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(o.V)
}

// Dur is an optional duration in minutes. Elapsed durations count 24-hour days
// (Project's "ed", "ew", "emo" units) rather than working time; the minutes are the
// same either way, the flag only records how the planner entered them.
type Dur struct {
	Minutes float64
	Elapsed bool
	Valid   bool
}

// Minutes returns a valid working-time duration.
func Minutes(m float64) Dur { return Dur{Minutes: m, Valid: true} }

// IsZero reports whether the duration is absent.
func (d Dur) IsZero() bool { return !d.Valid }

// Hours returns the duration in hours, or nil when absent.
func (d Dur) Hours() any {
	if !d.Valid {
		return nil
	}
	return d.Minutes / 60
}

// MarshalJSON writes {"min":…} (plus "elapsed":true) or null.
func (d Dur) MarshalJSON() ([]byte, error) {
	if !d.Valid {
		return []byte("null"), nil
	}
	b := []byte(`{"min":`)
	b = strconv.AppendFloat(b, d.Minutes, 'g', -1, 64)
	if d.Elapsed {
		b = append(b, `,"elapsed":true`...)
	}
	return append(b, '}'), nil
}

// DateOrNil returns t, or nil for the zero time (an absent date).
func DateOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// Project is one schedule file: project-level properties plus every record the
// connector understands. Dates are wall-clock times in the project's calendar,
// stored as UTC without any shift. Money is in currency units (MSPDI's hundredths
// are already divided), work and durations are minutes.
type Project struct {
	Format Format `json:"format"`
	// File is the base name of the file the project was read from.
	File  string `json:"file"`
	Name  string `json:"name,omitempty"`
	Title string `json:"title,omitempty"`
	GUID  string `json:"guid,omitempty"`

	SaveVersion string `json:"save_version,omitempty"`
	BuildNumber string `json:"build_number,omitempty"`

	StatusDate   time.Time `json:"status_date,omitzero"`
	CurrentDate  time.Time `json:"current_date,omitzero"`
	StartDate    time.Time `json:"start_date,omitzero"`
	FinishDate   time.Time `json:"finish_date,omitzero"`
	CreationDate time.Time `json:"creation_date,omitzero"`
	LastSaved    time.Time `json:"last_saved,omitzero"`

	CurrencyCode      string     `json:"currency_code,omitempty"`
	CurrencySymbol    string     `json:"currency_symbol,omitempty"`
	CurrencyDigits    Opt[int64] `json:"currency_digits,omitzero"`
	MinutesPerDay     int64      `json:"minutes_per_day"`
	MinutesPerWeek    int64      `json:"minutes_per_week"`
	DaysPerMonth      float64    `json:"days_per_month"`
	CalendarUID       Opt[int64] `json:"calendar_uid,omitzero"`
	CalendarName      string     `json:"calendar_name,omitempty"`
	DefaultEVMethod   Opt[int64] `json:"default_ev_method,omitzero"`
	EVBaseline        Opt[int64] `json:"ev_baseline,omitzero"`
	ScheduleFromStart Opt[bool]  `json:"schedule_from_start,omitzero"`

	FieldDefs   []FieldDef   `json:"field_defs,omitempty"`
	Calendars   []Calendar   `json:"calendars,omitempty"`
	Tasks       []Task       `json:"tasks"`
	Resources   []Resource   `json:"resources,omitempty"`
	Assignments []Assignment `json:"assignments,omitempty"`

	// Warnings are non-fatal observations about the file (a missing Unique ID
	// column, an unresolved predecessor) worth logging.
	Warnings []string `json:"warnings,omitempty"`
}

// Task is one row of the schedule, including the UID 0 project-summary row and
// blank (IsNull) rows, which analysts filter with ProjectSummary / IsNull.
type Task struct {
	UID  int64      `json:"uid"`
	ID   Opt[int64] `json:"id,omitzero"`
	GUID string     `json:"guid,omitempty"`
	Name string     `json:"name,omitempty"`

	WBS           string     `json:"wbs,omitempty"`
	OutlineNumber string     `json:"outline_number,omitempty"`
	OutlineLevel  Opt[int64] `json:"outline_level,omitzero"`
	// ParentUID is the nearest preceding task one outline level up; absent for
	// top-level tasks (the project-summary row is not treated as a parent).
	ParentUID Opt[int64] `json:"parent_uid,omitzero"`

	// ProjectSummary marks the UID 0 / outline level 0 row that rolls up the whole file.
	ProjectSummary bool       `json:"project_summary,omitempty"`
	Summary        bool       `json:"summary,omitempty"`
	Milestone      bool       `json:"milestone,omitempty"`
	Active         bool       `json:"active"`
	IsNull         bool       `json:"is_null,omitempty"`
	Manual         bool       `json:"manual,omitempty"`
	Critical       bool       `json:"critical,omitempty"`
	External       bool       `json:"external,omitempty"`
	Type           Opt[int64] `json:"type,omitzero"`

	Start  time.Time `json:"start,omitzero"`
	Finish time.Time `json:"finish,omitzero"`

	Duration          Dur        `json:"duration,omitzero"`
	DurationFormat    Opt[int64] `json:"duration_format,omitzero"`
	ActualDuration    Dur        `json:"actual_duration,omitzero"`
	RemainingDuration Dur        `json:"remaining_duration,omitzero"`
	Work              Dur        `json:"work,omitzero"`
	ActualWork        Dur        `json:"actual_work,omitzero"`
	RemainingWork     Dur        `json:"remaining_work,omitzero"`

	PercentComplete         Opt[float64] `json:"percent_complete,omitzero"`
	PercentWorkComplete     Opt[float64] `json:"percent_work_complete,omitzero"`
	PhysicalPercentComplete Opt[float64] `json:"physical_percent_complete,omitzero"`
	EarnedValueMethod       Opt[int64]   `json:"earned_value_method,omitzero"`

	Cost          Opt[float64] `json:"cost,omitzero"`
	FixedCost     Opt[float64] `json:"fixed_cost,omitzero"`
	ActualCost    Opt[float64] `json:"actual_cost,omitzero"`
	RemainingCost Opt[float64] `json:"remaining_cost,omitzero"`
	BCWS          Opt[float64] `json:"bcws,omitzero"`
	BCWP          Opt[float64] `json:"bcwp,omitzero"`
	ACWP          Opt[float64] `json:"acwp,omitzero"`
	CV            Opt[float64] `json:"cv,omitzero"`

	ActualStart    time.Time  `json:"actual_start,omitzero"`
	ActualFinish   time.Time  `json:"actual_finish,omitzero"`
	Deadline       time.Time  `json:"deadline,omitzero"`
	ConstraintType Opt[int64] `json:"constraint_type,omitzero"`
	ConstraintDate time.Time  `json:"constraint_date,omitzero"`
	TotalSlack     Dur        `json:"total_slack,omitzero"`
	FreeSlack      Dur        `json:"free_slack,omitzero"`
	CalendarUID    Opt[int64] `json:"calendar_uid,omitzero"`

	Baselines    []Baseline    `json:"baselines,omitempty"`
	Predecessors []Link        `json:"predecessors,omitempty"`
	Custom       []CustomValue `json:"custom,omitempty"`
	Timephased   []Timephased  `json:"timephased,omitempty"`
}

// Baseline is one saved baseline (0 = "Baseline", 1–10 = "Baseline1"…"Baseline10")
// of a task, resource or assignment. Start may be after Finish in real files.
type Baseline struct {
	Number   int          `json:"number"`
	Start    time.Time    `json:"start,omitzero"`
	Finish   time.Time    `json:"finish,omitzero"`
	Duration Dur          `json:"duration,omitzero"`
	Work     Dur          `json:"work,omitzero"`
	Cost     Opt[float64] `json:"cost,omitzero"`
	BCWS     Opt[float64] `json:"bcws,omitzero"`
	BCWP     Opt[float64] `json:"bcwp,omitzero"`
}

// Link is a predecessor relationship of the task that holds it.
type Link struct {
	PredecessorUID int64 `json:"predecessor_uid"`
	// Type is FS, SS, FF or SF.
	Type string `json:"type"`
	// Lag in minutes (negative = lead); LagFormat is MSPDI's display unit code.
	Lag              Dur        `json:"lag"`
	LagFormat        Opt[int64] `json:"lag_format,omitzero"`
	CrossProject     bool       `json:"cross_project,omitempty"`
	CrossProjectName string     `json:"cross_project_name,omitempty"`
}

// Resource is a work, material or cost resource. Name and Group are read but the
// warehouse loader stores them only when the source opts in.
type Resource struct {
	UID   int64      `json:"uid"`
	ID    Opt[int64] `json:"id,omitzero"`
	Name  string     `json:"name,omitempty"`
	Group string     `json:"group,omitempty"`
	// Type is "work", "material" or "cost".
	Type        string     `json:"type,omitempty"`
	IsGeneric   bool       `json:"is_generic,omitempty"`
	IsInactive  bool       `json:"is_inactive,omitempty"`
	CalendarUID Opt[int64] `json:"calendar_uid,omitzero"`

	// MaxUnits is a fraction: 1 = 100 %.
	MaxUnits Opt[float64] `json:"max_units,omitzero"`
	// StandardRate and OvertimeRate are per hour of work (per unit for material).
	StandardRate Opt[float64] `json:"standard_rate,omitzero"`
	OvertimeRate Opt[float64] `json:"overtime_rate,omitzero"`
	CostPerUse   Opt[float64] `json:"cost_per_use,omitzero"`

	Work          Dur          `json:"work,omitzero"`
	ActualWork    Dur          `json:"actual_work,omitzero"`
	RemainingWork Dur          `json:"remaining_work,omitzero"`
	Cost          Opt[float64] `json:"cost,omitzero"`
	ActualCost    Opt[float64] `json:"actual_cost,omitzero"`
	RemainingCost Opt[float64] `json:"remaining_cost,omitzero"`
	BCWS          Opt[float64] `json:"bcws,omitzero"`
	BCWP          Opt[float64] `json:"bcwp,omitzero"`
	ACWP          Opt[float64] `json:"acwp,omitzero"`

	Rates      []Rate        `json:"rates,omitempty"`
	Baselines  []Baseline    `json:"baselines,omitempty"`
	Custom     []CustomValue `json:"custom,omitempty"`
	Timephased []Timephased  `json:"timephased,omitempty"`
}

// Rate is one entry of a resource's cost-rate tables A–E (Table 0–4), effective
// from From to To (absent = open-ended).
type Rate struct {
	Table        int          `json:"table"`
	From         time.Time    `json:"from,omitzero"`
	To           time.Time    `json:"to,omitzero"`
	StandardRate Opt[float64] `json:"standard_rate,omitzero"`
	OvertimeRate Opt[float64] `json:"overtime_rate,omitzero"`
	CostPerUse   Opt[float64] `json:"cost_per_use,omitzero"`
}

// PlaceholderResourceUID is the ResourceUID Project writes on the assignment it keeps
// for every task without a resource.
const PlaceholderResourceUID = -65535

// Assignment is a resource working on a task.
type Assignment struct {
	UID         int64 `json:"uid"`
	TaskUID     int64 `json:"task_uid"`
	ResourceUID int64 `json:"resource_uid"`

	// Units is a fraction: 0.5 = 50 %.
	Units         Opt[float64] `json:"units,omitzero"`
	Work          Dur          `json:"work,omitzero"`
	ActualWork    Dur          `json:"actual_work,omitzero"`
	RemainingWork Dur          `json:"remaining_work,omitzero"`
	OvertimeWork  Dur          `json:"overtime_work,omitzero"`
	Cost          Opt[float64] `json:"cost,omitzero"`
	ActualCost    Opt[float64] `json:"actual_cost,omitzero"`
	RemainingCost Opt[float64] `json:"remaining_cost,omitzero"`
	BCWS          Opt[float64] `json:"bcws,omitzero"`
	BCWP          Opt[float64] `json:"bcwp,omitzero"`
	ACWP          Opt[float64] `json:"acwp,omitzero"`

	Start        time.Time  `json:"start,omitzero"`
	Finish       time.Time  `json:"finish,omitzero"`
	ActualStart  time.Time  `json:"actual_start,omitzero"`
	ActualFinish time.Time  `json:"actual_finish,omitzero"`
	Stop         time.Time  `json:"stop,omitzero"`
	Resume       time.Time  `json:"resume,omitzero"`
	WorkContour  Opt[int64] `json:"work_contour,omitzero"`

	Baselines  []Baseline    `json:"baselines,omitempty"`
	Custom     []CustomValue `json:"custom,omitempty"`
	Timephased []Timephased  `json:"timephased,omitempty"`
}

// Placeholder reports whether this is Project's stand-in assignment for a task with
// no resource (ResourceUID -65535); it is not real resource usage.
func (a *Assignment) Placeholder() bool { return a.ResourceUID == PlaceholderResourceUID }

// Timephased is one period of a time-phased value. Kind names what is measured
// (see TimephasedKind); Value is hours for work kinds, currency units for cost kinds
// and a percentage for the percent-complete kinds. A period Project wrote without a
// value is zero.
type Timephased struct {
	Type     int        `json:"type"`
	Kind     string     `json:"kind"`
	Baseline Opt[int64] `json:"baseline,omitzero"`
	Start    time.Time  `json:"start,omitzero"`
	Finish   time.Time  `json:"finish,omitzero"`
	// Unit is MSPDI's period unit code (0 m, 1 h, 2 d, 3 w, 5 mo, 8 y).
	Unit  int     `json:"unit"`
	Value float64 `json:"value"`
}

// Calendar is a base calendar or a resource calendar.
type Calendar struct {
	UID             int64      `json:"uid"`
	Name            string     `json:"name,omitempty"`
	IsBase          bool       `json:"is_base"`
	BaseCalendarUID Opt[int64] `json:"base_calendar_uid,omitzero"`
	// WeekDays are the default working times; DayOfWeek 1 = Sunday … 7 = Saturday.
	WeekDays   []WeekDay   `json:"week_days,omitempty"`
	Exceptions []Exception `json:"exceptions,omitempty"`
	WorkWeeks  []WorkWeek  `json:"work_weeks,omitempty"`
}

// WeekDay says whether a weekday is worked and when.
type WeekDay struct {
	DayOfWeek int         `json:"day"`
	Working   bool        `json:"working"`
	Times     []TimeRange `json:"times,omitempty"`
}

// TimeRange is a working period within a day, "HH:MM:SS" to "HH:MM:SS" (To may be
// "24:00:00").
type TimeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Hours is the length of the range in hours (a To before From wraps past midnight).
func (r TimeRange) Hours() float64 {
	f, t := clockMinutes(r.From), clockMinutes(r.To)
	if t <= f {
		t += 24 * 60
	}
	return float64(t-f) / 60
}

// Exception is a dated change to a calendar (holiday, overtime day). Each dated
// period is listed once: Project 2007+ writes exceptions twice (recurrence rules and
// the expanded days) and only the expanded days are kept, named after their rule.
type Exception struct {
	Name    string      `json:"name,omitempty"`
	From    time.Time   `json:"from"`
	To      time.Time   `json:"to"`
	Working bool        `json:"working"`
	Times   []TimeRange `json:"times,omitempty"`
	// Recurrence is the rule type of an unexpanded recurring exception (only set
	// when a file carries rules without expanded days).
	Recurrence  Opt[int64] `json:"recurrence,omitzero"`
	Occurrences Opt[int64] `json:"occurrences,omitzero"`
}

// WorkWeek is an alternative working week valid between From and To.
type WorkWeek struct {
	Name     string    `json:"name,omitempty"`
	From     time.Time `json:"from,omitzero"`
	To       time.Time `json:"to,omitzero"`
	WeekDays []WeekDay `json:"week_days,omitempty"`
}

// FieldDef is a custom-field definition (MSPDI ExtendedAttribute): the field
// (e.g. "Cost1"), the planner's alias for it and which records it belongs to.
type FieldDef struct {
	FieldID   int64  `json:"field_id"`
	FieldName string `json:"field_name,omitempty"`
	Alias     string `json:"alias,omitempty"`
	// Entity is "task", "resource", "assignment" or "" when the ID is unfamiliar.
	Entity string `json:"entity,omitempty"`
	// ValueType is "cost", "date", "duration", "flag", "number", "text" or
	// "outline_code"; it decides how values are decoded.
	ValueType string `json:"value_type,omitempty"`
}

// FieldInfo describes a custom field: the file's own definition when it has one
// (alias included), else what the FieldID is known to denote.
func (p *Project) FieldInfo(id int64) FieldDef {
	for _, d := range p.FieldDefs {
		if d.FieldID == id {
			return d
		}
	}
	d := FieldDef{FieldID: id, Entity: fieldEntity(id)}
	if name, ok := KnownFieldName(id); ok {
		d.FieldName = name
		d.ValueType = fieldValueType(name)
	}
	return d
}

// CustomValue is a custom-field value of a task, resource or assignment, decoded by
// its definition's type: money in currency units, durations in minutes.
type CustomValue struct {
	FieldID   int64        `json:"field_id"`
	ValueType string       `json:"value_type,omitempty"`
	Text      string       `json:"text,omitempty"`
	Number    Opt[float64] `json:"number,omitzero"`
	Date      time.Time    `json:"date,omitzero"`
	Flag      Opt[bool]    `json:"flag,omitzero"`
}
