package metrics

import (
	"errors"
	"fmt"
	"time"
)

// WorkCalendar says which dates are working days. IsWorkingDay receives midnight UTC of
// the date being asked about (wall-clock dates, as the connectors store them). A
// calendar built from MSPDI calendar data implements it too.
type WorkCalendar interface {
	IsWorkingDay(time.Time) bool
}

// Weekdays is the default calendar: Monday to Friday, no holidays.
type Weekdays struct{}

// IsWorkingDay reports whether t falls Monday to Friday.
func (Weekdays) IsWorkingDay(t time.Time) bool {
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// AllDays treats every date as a working day: the calendar-day time axis.
type AllDays struct{}

// IsWorkingDay always reports true.
func (AllDays) IsWorkingDay(time.Time) bool { return true }

// ErrNoWorkingDay is returned when a calendar has no working day within
// maxNonWorkingRun consecutive days, which means the calendar is broken rather than
// that a long holiday happens to fall there.
var ErrNoWorkingDay = errors.New("calendar has no working day")

// maxNonWorkingRun bounds searches for the next working day so a calendar with no
// working days cannot hang a computation.
const maxNonWorkingRun = 366

// Day truncates t to its calendar date at midnight UTC, keeping the wall-clock date.
func Day(t time.Time) time.Time { return dateOfDay(dayNumber(t)) }

// dayNumber is the count of days since 1970-01-01 of t's wall-clock date. It avoids
// time.Date, which dominated the cost of time-phasing a thousand tasks.
func dayNumber(t time.Time) int64 {
	_, off := t.Zone()
	s := t.Unix() + int64(off)
	n := s / 86400
	if s%86400 < 0 {
		n--
	}
	return n
}

func dateOfDay(n int64) time.Time { return time.Unix(n*86400, 0).UTC() }

// WorkingDaysBetween counts working days from `from` to `to`, both dates included; it
// is 0 when to is before from.
func WorkingDaysBetween(cal WorkCalendar, from, to time.Time) int {
	if cal == nil {
		cal = Weekdays{}
	}
	n := 0
	for d, end := dayNumber(from), dayNumber(to); d <= end; d++ {
		if cal.IsWorkingDay(dateOfDay(d)) {
			n++
		}
	}
	return n
}

// NthWorkingDay returns the n-th working day counting from start (start itself is the
// first when it is a working day); n must be at least 1.
func NthWorkingDay(cal WorkCalendar, start time.Time, n int) (time.Time, error) {
	if cal == nil {
		cal = Weekdays{}
	}
	if n < 1 {
		return time.Time{}, fmt.Errorf("working day number %d: must be at least 1", n)
	}
	run := 0
	for d := dayNumber(start); ; d++ {
		t := dateOfDay(d)
		if cal.IsWorkingDay(t) {
			run = 0
			n--
			if n == 0 {
				return t, nil
			}
			continue
		}
		run++
		if run > maxNonWorkingRun {
			return time.Time{}, fmt.Errorf("%w in %d days after %s", ErrNoWorkingDay, maxNonWorkingRun, t.AddDate(0, 0, -run).Format(time.DateOnly))
		}
	}
}

// axis maps calendar days from an origin to working-day indices with O(1) look-ups, so
// spreading a thousand tasks over a baseline costs one calendar query per day rather
// than one per task-day.
type axis struct {
	cal    WorkCalendar
	origin int64 // day number of day 0
	// before[d] is the number of working days in [origin, origin+d).
	before []int32
}

func newAxis(cal WorkCalendar, origin, last int64) *axis {
	a := &axis{cal: cal, origin: origin, before: []int32{0}}
	a.grow(int(last - origin))
	return a
}

// grow extends the axis so day d (relative to origin) is covered.
func (a *axis) grow(d int) {
	for len(a.before) <= d+1 {
		k := len(a.before) - 1 // day to classify
		n := a.before[k]
		if a.cal.IsWorkingDay(dateOfDay(a.origin + int64(k))) {
			n++
		}
		a.before = append(a.before, n)
	}
}

// day returns t's day offset from the origin (negative before it).
func (a *axis) day(t time.Time) int { return int(dayNumber(t) - a.origin) }

// dayOf returns the offset of day number n.
func (a *axis) dayOf(n int64) int { return int(n - a.origin) }

// workingIn counts working days in [d0, d1] (offsets), 0 when d1 < d0.
func (a *axis) workingIn(d0, d1 int) int {
	if d0 < 0 {
		d0 = 0
	}
	if d1 < d0 {
		return 0
	}
	a.grow(d1)
	return int(a.before[d1+1] - a.before[d0])
}

// firstWorkingIndex returns the working-day index (0-based from the origin) of the
// first working day on or after offset d.
func (a *axis) firstWorkingIndex(d int) (int, error) {
	if d < 0 {
		d = 0
	}
	for run := 0; ; run++ {
		a.grow(d)
		if a.before[d+1] > a.before[d] {
			return int(a.before[d]), nil
		}
		if run > maxNonWorkingRun {
			return 0, fmt.Errorf("%w in %d days after %s", ErrNoWorkingDay, maxNonWorkingRun, dateOfDay(a.origin+int64(d-run)).Format(time.DateOnly))
		}
		d++
	}
}
