package metrics

import (
	"slices"
	"time"
)

// DayRule says whether a weekday is worked; Set false means "not defined here", so
// the day falls through to the next rule (work week → default week → base calendar).
type DayRule struct {
	Set     bool
	Working bool
}

// WeekRule is an alternative working week valid from From to To (dates inclusive),
// such as a summer schedule. Days is indexed by time.Weekday (0 = Sunday).
type WeekRule struct {
	From, To time.Time
	Days     [7]DayRule
}

// ExceptionRule is a dated exception from From to To (dates inclusive): a holiday
// (Working false) or an extra working day.
type ExceptionRule struct {
	From, To time.Time
	Working  bool
}

// RuleCalendar is a working-day calendar held as data, in the shape of Microsoft
// Project's calendars (default week, work weeks, exceptions, base calendar), so the
// warehouse's calendar_hours rows map onto it directly. Build it with
// NewRuleCalendar; it is read-only afterwards and safe for concurrent use.
type RuleCalendar struct {
	week       [7]DayRule
	workWeeks  []span[[7]DayRule]
	exceptions []span[bool]
	base       WorkCalendar
}

type span[T any] struct {
	from, to int64 // day numbers, inclusive
	v        T
}

// NewRuleCalendar builds a calendar. week is indexed by time.Weekday; base answers
// for days this calendar leaves undefined (nil means Mon–Fri). Where exceptions or
// work weeks overlap, the one starting later wins (the narrower edit inside a long
// shutdown, say); for equal starts, the one listed last.
func NewRuleCalendar(week [7]DayRule, workWeeks []WeekRule, exceptions []ExceptionRule, base WorkCalendar) *RuleCalendar {
	c := &RuleCalendar{week: week, base: base}
	if c.base == nil {
		c.base = Weekdays{}
	}
	for _, w := range workWeeks {
		c.workWeeks = append(c.workWeeks, span[[7]DayRule]{dayNumber(w.From), dayNumber(w.To), w.Days})
	}
	for _, e := range exceptions {
		c.exceptions = append(c.exceptions, span[bool]{dayNumber(e.From), dayNumber(e.To), e.Working})
	}
	// A stable sort by start keeps list order among equal starts; lookups scan
	// backwards from the last span starting on or before the day.
	slices.SortStableFunc(c.exceptions, func(a, b span[bool]) int { return cmpInt(a.from, b.from) })
	slices.SortStableFunc(c.workWeeks, func(a, b span[[7]DayRule]) int { return cmpInt(a.from, b.from) })
	return c
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// find returns the last span (in start order) covering day n. Spans are short and
// rarely overlap, so the backward scan from the binary-search point stops quickly; it
// only walks further for long spans that started earlier.
func find[T any](spans []span[T], n int64) (T, bool) {
	i, _ := slices.BinarySearchFunc(spans, n+1, func(s span[T], x int64) int { return cmpInt(s.from, x) })
	for k := i - 1; k >= 0; k-- {
		if spans[k].to >= n {
			return spans[k].v, true
		}
	}
	var zero T
	return zero, false
}

// IsWorkingDay applies exceptions, then work weeks, then the default week, then the
// base calendar.
func (c *RuleCalendar) IsWorkingDay(t time.Time) bool {
	n := dayNumber(t)
	if w, ok := find(c.exceptions, n); ok {
		return w
	}
	wd := t.Weekday()
	if days, ok := find(c.workWeeks, n); ok && days[wd].Set {
		return days[wd].Working
	}
	if c.week[wd].Set {
		return c.week[wd].Working
	}
	return c.base.IsWorkingDay(dateOfDay(n))
}
