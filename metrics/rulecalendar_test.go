package metrics

import (
	"testing"
	"time"
)

func TestRuleCalendar(t *testing.T) {
	worked := DayRule{Set: true, Working: true}
	off := DayRule{Set: true}
	// Sunday–Thursday week (index = time.Weekday), a summer work week where Thursday
	// is off, a holiday and an extra working Saturday.
	week := [7]DayRule{worked, worked, worked, worked, worked, off, off}
	summer := WeekRule{From: d("2026-07-01"), To: d("2026-08-31"), Days: [7]DayRule{4: off}}
	cal := NewRuleCalendar(week, []WeekRule{summer}, []ExceptionRule{
		{From: d("2026-03-09"), To: d("2026-03-10"), Working: false}, // Mon–Tue holiday
		{From: d("2026-03-14"), To: d("2026-03-14"), Working: true},  // Saturday worked
		{From: d("2026-03-10"), To: d("2026-03-10"), Working: true},  // starts later: Tue worked after all
	}, nil)
	for day, want := range map[string]bool{
		"2026-03-01": true,  // Sunday in this week
		"2026-03-06": false, // Friday off
		"2026-03-09": false, // holiday
		"2026-03-10": true,  // the later-starting exception wins
		"2026-03-14": true,  // extra Saturday
		"2026-07-02": false, // Thursday in the summer week
		"2026-07-05": true,  // Sunday: not set in the summer week, default week applies
		"2026-09-03": true,  // Thursday after the summer week
	} {
		if got := cal.IsWorkingDay(d(day)); got != want {
			t.Errorf("%s (%s) working = %v, want %v", day, d(day).Weekday(), got, want)
		}
	}
	// Days this calendar leaves undefined fall through to its base calendar.
	derived := NewRuleCalendar([7]DayRule{}, nil, []ExceptionRule{{From: d("2026-03-02"), To: d("2026-03-02")}}, cal)
	if derived.IsWorkingDay(d("2026-03-02")) || !derived.IsWorkingDay(d("2026-03-01")) || derived.IsWorkingDay(d("2026-03-06")) {
		t.Error("derived calendar does not combine its exception with the base week")
	}
	// As a time axis, Mon 2 (17:00: the time is ignored) to Fri 13 March holds
	// Mon 2–Thu 5 (4), Sun 8 (1), Tue 10–Thu 12 (3) = 8 working days; Fri 6, Sat 7,
	// the Mon 9 holiday and Fri 13 are off.
	if n := WorkingDaysBetween(cal, time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC), d("2026-03-13")); n != 8 {
		t.Errorf("working days 2–13 March = %d, want 8", n)
	}
}

func TestParseEVMethod(t *testing.T) {
	for in, want := range map[string]EVMethod{"": EVPercentComplete, "percent_complete": EVPercentComplete,
		"physical_percent_complete": EVPhysical, "1": EVPhysical, " 0/100 ": EVZeroHundred, "50/50": EVFiftyFifty} {
		if got, err := ParseEVMethod(in); err != nil || got != want {
			t.Errorf("%q → %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseEVMethod("earned"); err == nil {
		t.Error("unknown method accepted")
	}
}

func FuzzParseEVMethod(f *testing.F) {
	for _, s := range []string{"", "percent_complete", "physical_percent_complete", "0/100", "50/50", "1", "Physical % Complete"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseEVMethod(s)
		if err != nil {
			return
		}
		switch m {
		case EVPercentComplete, EVPhysical, EVZeroHundred, EVFiftyFifty:
		default:
			t.Fatalf("%q parsed to unknown method %d", s, m)
		}
	})
}

func BenchmarkRuleCalendar(b *testing.B) {
	var ex []ExceptionRule
	for y := 2020; y < 2030; y++ { // ten holidays a year for a decade
		for m := 1; m <= 10; m++ {
			day := time.Date(y, time.Month(m), 10, 0, 0, 0, 0, time.UTC)
			ex = append(ex, ExceptionRule{From: day, To: day})
		}
	}
	cal := NewRuleCalendar([7]DayRule{}, nil, ex, nil)
	day := d("2026-06-01")
	for b.Loop() {
		_ = WorkingDaysBetween(cal, day, day.AddDate(0, 0, 365))
	}
}
