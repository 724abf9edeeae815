package metrics

import (
	"slices"
	"testing"
	"time"
)

func TestSlipDays(t *testing.T) {
	// Baseline finish Fri 13 March 2026.
	for _, c := range []struct {
		forecast string
		want     float64
	}{
		{"2026-03-13", 0},
		{"2026-03-14", 0},  // Saturday: no working day lost
		{"2026-03-16", 1},  // Monday
		{"2026-03-20", 5},  // a week late
		{"2026-03-11", -2}, // Wednesday: Thu 12 and Fri 13 early
	} {
		near(t, "slip to "+c.forecast, SlipDays(Weekdays{}, d("2026-03-13"), d(c.forecast)), c.want)
	}
	null(t, "no forecast", SlipDays(nil, d("2026-03-13"), time.Time{}), ReasonMissingInput)
}

func TestBEIAndHitTasks(t *testing.T) {
	// Status Fri 13 March. Tasks due by then: 1, 2, 3, 4 (4 tasks).
	tasks := []TrackedTask{
		{UID: 1, BaselineFinish: d("2026-03-04"), ActualFinish: d("2026-03-04")}, // on time
		{UID: 2, BaselineFinish: d("2026-03-10"), ActualFinish: d("2026-03-12")}, // late, done
		{UID: 3, BaselineFinish: d("2026-03-12")},                                // late, open
		{UID: 4, BaselineFinish: d("2026-03-13"), ActualFinish: d("2026-03-13")}, // on time
		{UID: 5, BaselineFinish: d("2026-03-20"), ActualFinish: d("2026-03-11")}, // early
		{UID: 6, BaselineFinish: d("2026-03-27")},                                // not due
		{UID: 7, ActualFinish: d("2026-03-05")},                                  // no baseline: ignored
		{UID: 8, BaselineFinish: d("2026-03-09"), ActualFinish: d("2026-03-16")}, // finishes after status
	}
	// Due by status: 1, 2, 3, 4, 8 = 5. Finished by status: 1, 2, 4, 5 = 4. BEI 4/5.
	near(t, "bei", BEI(tasks, d("2026-03-13")), 0.8)
	// Period after Fri 6 March through Fri 13 March: due 2, 3, 4, 8 (4); hit on or
	// before baseline: only 4. 1/4.
	near(t, "hit %", HitTaskPct(tasks, d("2026-03-06"), d("2026-03-13")), 0.25)
	null(t, "bei none due", BEI(tasks, d("2026-03-01")), ReasonNoneDue)
	null(t, "hit none due", HitTaskPct(tasks, d("2026-03-21"), d("2026-03-26")), ReasonNoneInPeriod)
}

func TestCompareScope(t *testing.T) {
	ref := []ScopeTask{{1, Of(100)}, {2, Of(200)}, {3, Of(300)}}
	cur := []ScopeTask{{1, Of(100)}, {3, Of(350)}, {4, Null("")}, {5, Of(50)}}
	got := CompareScope(ref, cur)
	if !slices.Equal(got.Added, []int64{4, 5}) || !slices.Equal(got.Removed, []int64{2}) || got.Unbaselined != 1 {
		t.Errorf("added %v removed %v unbaselined %d", got.Added, got.Removed, got.Unbaselined)
	}
	// (100 + 350 + 50) − (100 + 200 + 300) = −100
	if got.BaselineCostChange != -100 {
		t.Errorf("baseline cost change %g, want -100", got.BaselineCostChange)
	}
}
