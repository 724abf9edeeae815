package metrics

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func d(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// noWork is a broken calendar with no working days.
type noWork struct{}

func (noWork) IsWorkingDay(time.Time) bool { return false }

func TestCalendar(t *testing.T) {
	// 2026-03-02 is a Monday. Mon 2 … Fri 13 March holds 10 working days.
	if n := WorkingDaysBetween(Weekdays{}, d("2026-03-02"), d("2026-03-13")); n != 10 {
		t.Errorf("working days = %d, want 10", n)
	}
	if n := WorkingDaysBetween(Weekdays{}, d("2026-03-13"), d("2026-03-02")); n != 0 {
		t.Errorf("reversed span = %d, want 0", n)
	}
	if n := WorkingDaysBetween(AllDays{}, d("2026-03-02"), d("2026-03-15")); n != 14 {
		t.Errorf("calendar days = %d, want 14", n)
	}
	// Times of day are ignored: 17:00 on Friday is still Friday.
	if n := WorkingDaysBetween(nil, time.Date(2026, 3, 6, 17, 0, 0, 0, time.UTC), d("2026-03-09")); n != 2 {
		t.Errorf("Fri 17:00 → Mon = %d, want 2", n)
	}
	// The 6th working day from Mon 2 March is Mon 9 March; from Saturday 7 March the
	// first is Monday 9.
	for _, c := range []struct {
		start string
		n     int
		want  string
	}{{"2026-03-02", 6, "2026-03-09"}, {"2026-03-07", 1, "2026-03-09"}, {"2026-03-02", 1, "2026-03-02"}} {
		got, err := NthWorkingDay(Weekdays{}, d(c.start), c.n)
		if err != nil || !got.Equal(d(c.want)) {
			t.Errorf("NthWorkingDay(%s, %d) = %v, %v; want %s", c.start, c.n, got, err, c.want)
		}
	}
	if _, err := NthWorkingDay(noWork{}, d("2026-03-02"), 1); !errors.Is(err, ErrNoWorkingDay) {
		t.Errorf("no working days: err %v", err)
	}
	if _, err := NthWorkingDay(nil, d("2026-03-02"), 0); err == nil {
		t.Error("n = 0 accepted")
	}
}

// TestEarnedScheduleByHand covers Lipke's rule on a curve with a leading and a middle
// plateau, which the shared cases do not: PV = [0, 0, 10, 10, 30].
func TestEarnedScheduleByHand(t *testing.T) {
	cum := []float64{0, 0, 10, 10, 30}
	cases := []struct {
		ev   float64
		want float64
	}{
		{0, 0},       // EV 0 → ES 0 by rule, though PV_1 = PV_2 = 0 <= EV
		{5, 2.5},     // C = 2 (PV_1, PV_2 <= 5), I = (5 − 0)/(10 − 0) = 0.5
		{10, 4},      // C = 4 (plateau passed), I = 0
		{20, 4.5},    // C = 4, I = (20 − 10)/(30 − 10)
		{30, 5},      // EV = BAC → PD
		{45, 5},      // EV > BAC clamps to PD, never extrapolates
		{-1, 0},      // negative EV (bad data) → 0
		{1e-12, 2.0}, // any EV > 0 has passed the zero plateau: C = 2, I ≈ 1e-13
	}
	for _, c := range cases {
		got := EarnedSchedule(cum, c.ev)
		if !got.Valid || math.Abs(got.V-c.want) > 1e-9 {
			t.Errorf("ES(EV=%g) = %v, want %g", c.ev, got, c.want)
		}
	}
	null(t, "empty curve", EarnedSchedule(nil, 1), ReasonNoCurve)
	null(t, "decreasing curve", EarnedSchedule([]float64{1, 3, 2}, 1), ReasonCurveDecreasing)
	null(t, "negative start", EarnedSchedule([]float64{-1, 3}, 1), ReasonCurveDecreasing)
	null(t, "NaN EV", EarnedSchedule(cum, math.NaN()), ReasonNotFinite)
}

func TestTSPIAndIEAC(t *testing.T) {
	pd := Of(10)
	// ES 4, AT 5: TSPI = (10 − 4)/(10 − 5) = 1.2; to ED 12: 6/7.
	near(t, "tspi", TSPI(pd, Of(4), Of(5)), 1.2)
	near(t, "tspi ed", TSPIToED(pd, Of(4), Of(5), Of(12)), 6.0/7)
	null(t, "tspi after PD", TSPI(pd, Of(8), Of(10)), ReasonPDElapsed)
	null(t, "tspi ED passed", TSPIToED(pd, Of(8), Of(12), Of(11)), ReasonEDElapsed)
	null(t, "tspi done", TSPI(pd, Of(10), Of(12)), ReasonScheduleComplete)
	// IEAC(t) = PD / SPI(t) = 10 / (4/5) = 12.5
	near(t, "ieac", IEACt(pd, SPIt(Of(4), Of(5))), 12.5)
	null(t, "ieac at AT 0", IEACt(pd, SPIt(Of(0), Of(0))), ReasonATZero)
	null(t, "ieac at SPI(t) 0", IEACt(pd, SPIt(Of(0), Of(3))), ReasonSPItZero)
}

// threeTaskFixture is the vitest fixture written out by hand (see cases_test.go for
// the published numbers): A 10 wd × 1000, B 10 wd × 2000, C 10 wd × 3000.
func threeTaskFixture() []Task {
	return []Task{
		{UID: 1, BaselineCost: Of(10000), BaselineStart: d("2026-03-02"), BaselineFinish: d("2026-03-13"), PercentComplete: 1, ActualCost: 12000, Cost: Of(12000)},
		{UID: 2, BaselineCost: Of(20000), BaselineStart: d("2026-03-09"), BaselineFinish: d("2026-03-20"), Method: EVPhysical, PhysicalPercentComplete: 0.3, ActualCost: 5000, Cost: Of(22000)},
		{UID: 3, BaselineCost: Of(30000), BaselineStart: d("2026-03-23"), BaselineFinish: d("2026-04-03"), ActualCost: 0, Cost: Of(30000)},
	}
}

func TestBuildSnapshotWorkingDayAxis(t *testing.T) {
	snap, err := BuildSnapshot(threeTaskFixture(), d("2026-03-13"), Weekdays{})
	if err != nil {
		t.Fatal(err)
	}
	// Working-day curve: days 1–5 A alone (1000/wd), 6–10 A+B (3000/wd), 11–15 B
	// (2000/wd), 16–25 C (3000/wd).
	want := []float64{1000, 2000, 3000, 4000, 5000, 8000, 11000, 14000, 17000, 20000,
		22000, 24000, 26000, 28000, 30000}
	for i := 16; i <= 25; i++ {
		want = append(want, 30000+3000*float64(i-15))
	}
	if !floatsNear(snap.Curve.Cum, want) {
		t.Errorf("curve\n got %v\nwant %v", snap.Curve.Cum, want)
	}
	if !snap.Curve.Start.Equal(d("2026-03-02")) || snap.Curve.PD() != 25 || snap.AT != 10 {
		t.Errorf("start %v PD %d AT %d, want 2026-03-02, 25, 10", snap.Curve.Start, snap.Curve.PD(), snap.AT)
	}
	near(t, "bottom-up", snap.BottomUp, 64000) // 12000 + 22000 + 30000

	m := Compute(snap.Inputs(), Options{})
	s := m.Schedule
	// EV 16000 lies between PV_8 = 14000 and PV_9 = 17000: ES = 8 + 2000/3000.
	near(t, "es", s.ES, 8+2.0/3)
	near(t, "at", s.AT, 10)
	near(t, "pd", s.PD, 25)
	near(t, "sv(t)", s.SVt, 8+2.0/3-10)
	near(t, "spi(t)", s.SPIt, (8+2.0/3)/10)
	// TSPI = (25 − 8.667)/(25 − 10) = 16.333/15
	near(t, "tspi", s.TSPI, (25-(8+2.0/3))/15)
	// IEAC(t) = 25 / 0.86667 = 28.846 working days → the 29th working day from
	// Mon 2 March: 25 end on Fri 3 April, then Mon 6, Tue 7, Wed 8, Thu 9 April.
	near(t, "ieac(t)", s.IEACt, 25/((8+2.0/3)/10))
	if s.ForecastFinish.String() != "2026-04-09" {
		t.Errorf("forecast finish %v, want 2026-04-09", s.ForecastFinish)
	}
	// ES 8.667 falls in the 9th working day, Thu 12 March.
	if s.ESDate.String() != "2026-03-12" {
		t.Errorf("ES date %v, want 2026-03-12", s.ESDate)
	}
	// Reported EAC: the schedule's own cost (bottom-up) 64000.
	if m.EACMethod != EACBottomUpMethod || m.EAC.V != 64000 {
		t.Errorf("reported EAC %q %v", m.EACMethod, m.EAC)
	}
}

func floatsNear(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Abs(x-y) < 1e-6 })
}

func TestBuildSnapshotBeforeStart(t *testing.T) {
	snap, err := BuildSnapshot(threeTaskFixture()[2:], d("2026-03-20"), nil) // C starts 23 March
	if err != nil {
		t.Fatal(err)
	}
	if !snap.BeforeBaselineStart || snap.AT != 0 || snap.PV != 0 {
		t.Fatalf("before start: flag %v AT %d PV %g", snap.BeforeBaselineStart, snap.AT, snap.PV)
	}
	m := Compute(snap.Inputs(), Options{})
	null(t, "spi", m.SPI, ReasonBeforeStart)
	null(t, "cpi", m.CPI, ReasonNothingYet)
	near(t, "es", m.Schedule.ES, 0)
	near(t, "sv(t)", m.Schedule.SVt, 0)
	null(t, "spi(t)", m.Schedule.SPIt, ReasonATZero)
	null(t, "ieac(t)", m.Schedule.IEACt, ReasonATZero)
	null(t, "forecast finish", Value{Reason: m.Schedule.ForecastFinish.Reason}, ReasonATZero)
	assertFinite(t, m)
}

// TestBuildSnapshotFinishedLate: EV = BAC five working days after the planned finish.
func TestBuildSnapshotFinishedLate(t *testing.T) {
	tasks := threeTaskFixture()
	for i := range tasks {
		tasks[i].Method, tasks[i].PercentComplete = EVPercentComplete, 1
	}
	// PD ends Fri 3 April (25 wd); Fri 10 April is AT = 30.
	snap, err := BuildSnapshot(tasks, d("2026-04-10"), nil)
	if err != nil {
		t.Fatal(err)
	}
	m := Compute(snap.Inputs(), Options{})
	near(t, "spi($) drifts to 1", m.SPI, 1)
	near(t, "es clamps to PD", m.Schedule.ES, 25)
	near(t, "spi(t)", m.Schedule.SPIt, 25.0/30)
	// IEAC(t) = 25 / (25/30) = 30 = AT: the actual duration.
	near(t, "ieac(t)", m.Schedule.IEACt, 30)
	if m.Schedule.ForecastFinish.String() != "2026-04-10" {
		t.Errorf("forecast finish %v, want the as-of date 2026-04-10", m.Schedule.ForecastFinish)
	}
	null(t, "tspi", m.Schedule.TSPI, ReasonScheduleComplete)
	null(t, "tcpi", m.TCPIBAC, ReasonNoWorkRemaining)
}

func TestBuildSnapshotSkipsAndReports(t *testing.T) {
	tasks := append(threeTaskFixture(),
		Task{UID: 10, Summary: true, BaselineCost: Of(60000), BaselineStart: d("2026-03-02"), BaselineFinish: d("2026-04-03"), ActualCost: 17000},
		Task{UID: 11, Inactive: true, BaselineCost: Of(999), BaselineStart: d("2026-03-02"), BaselineFinish: d("2026-03-03"), ActualCost: 999},
		Task{UID: 12, IsNull: true},
		// Added after baselining: no baseline, 4000 estimated, 1500 spent.
		Task{UID: 13, BaselineCost: Null(""), Cost: Of(4000), ActualCost: 1500},
		// Baseline cost but the dates were cleared.
		Task{UID: 14, BaselineCost: Of(700), Cost: Of(700)},
		Task{UID: 15, BaselineCost: Of(100), BaselineStart: d("2026-03-10"), BaselineFinish: d("2026-03-09"), Cost: Of(100)},
	)
	snap, err := BuildSnapshot(tasks, d("2026-03-13"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if snap.SkippedSummary != 1 || snap.SkippedInactive != 1 || snap.SkippedNull != 1 || snap.Counted != 3 {
		t.Errorf("skipped %d/%d/%d counted %d", snap.SkippedSummary, snap.SkippedInactive, snap.SkippedNull, snap.Counted)
	}
	reasons := map[int64]string{}
	for _, e := range snap.Unbaselined {
		reasons[e.UID] = e.Reason
	}
	wantReasons := map[int64]string{13: ExcludedNoBaseline, 14: ExcludedNoDates, 15: ExcludedFinishFirst}
	if !mapsEqual(reasons, wantReasons) {
		t.Errorf("unbaselined %v, want %v", reasons, wantReasons)
	}
	// BAC excludes them; AC includes task 13's 1500 (12000 + 5000 + 1500).
	if snap.BAC != 60000 || snap.AC != 18500 || snap.UnbaselinedAC != 1500 || snap.UnbaselinedCost != 4800 {
		t.Errorf("BAC %g AC %g unbaselined AC %g cost %g; want 60000 18500 1500 4800", snap.BAC, snap.AC, snap.UnbaselinedAC, snap.UnbaselinedCost)
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestBuildSnapshotNoBaselineAtAll(t *testing.T) {
	snap, err := BuildSnapshot([]Task{{UID: 1, BaselineCost: Null(""), ActualCost: 50}}, d("2026-03-13"), nil)
	if err != nil {
		t.Fatal(err)
	}
	m := Compute(snap.Inputs(), Options{})
	null(t, "bac", m.BAC, ReasonNoBaseline)
	null(t, "ev", m.EV, ReasonNoBaseline)
	near(t, "ac", m.AC, 50)
	null(t, "es", m.Schedule.ES, ReasonNoCurve)
	assertFinite(t, m)
}

func TestBuildSnapshotLumpsWeekendBaseline(t *testing.T) {
	// Baseline Sat 7 – Sun 8 March: no working day, so the 300 lands on Mon 9 March,
	// the first working day after the start. Task 2 gives the curve a Monday start.
	tasks := []Task{
		{UID: 1, BaselineCost: Of(300), BaselineStart: d("2026-03-07"), BaselineFinish: d("2026-03-08")},
		{UID: 2, BaselineCost: Of(500), BaselineStart: d("2026-03-02"), BaselineFinish: d("2026-03-06")},
	}
	snap, err := BuildSnapshot(tasks, d("2026-03-09"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Mon–Fri 100/day, then Monday +300.
	if want := []float64{100, 200, 300, 400, 500, 800}; !floatsNear(snap.Curve.Cum, want) {
		t.Errorf("curve %v, want %v", snap.Curve.Cum, want)
	}
	if _, err := BuildSnapshot(tasks, d("2026-03-09"), noWork{}); !errors.Is(err, ErrNoWorkingDay) {
		t.Errorf("calendar without working days: %v", err)
	}
}

func TestBuildSnapshotActualSegments(t *testing.T) {
	// 500 of actuals over Mon 2 – Fri 6 March (one weekly segment), 200 on Mon 9.
	task := Task{UID: 1, BaselineCost: Of(1000), BaselineStart: d("2026-03-02"), BaselineFinish: d("2026-03-13"),
		ActualCost: 9999, // ignored: the segments place the actuals
		ActualSegments: []Segment{
			{Start: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), Finish: time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC), Amount: 500},
			{Start: time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC), Finish: time.Date(2026, 3, 9, 17, 0, 0, 0, time.UTC), Amount: 200},
		}}
	for _, c := range []struct {
		asOf string
		want float64
	}{
		{"2026-03-04", 300}, // 3 of the segment's 5 working days
		{"2026-03-08", 500}, // whole first segment (Sunday)
		{"2026-03-09", 700},
	} {
		snap, err := BuildSnapshot([]Task{task}, d(c.asOf), nil)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(snap.AC-c.want) > 1e-9 {
			t.Errorf("AC at %s = %g, want %g", c.asOf, snap.AC, c.want)
		}
	}
}

func TestSegmentDays(t *testing.T) {
	at := func(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		s    Segment
		want string
	}{
		{Segment{Start: at(2, 8), Finish: at(3, 8)}, "2026-03-02"},  // one day, exclusive end
		{Segment{Start: at(2, 8), Finish: at(2, 12)}, "2026-03-02"}, // within a day
		{Segment{Start: at(2, 8), Finish: at(4, 17)}, "2026-03-04"}, // ends late on the 4th
		{Segment{Start: at(2, 0), Finish: at(9, 0)}, "2026-03-08"},  // week, midnight bounds
	} {
		if got := c.s.lastDay().Format(time.DateOnly); got != c.want {
			t.Errorf("%v–%v last day %s, want %s", c.s.Start, c.s.Finish, got, c.want)
		}
	}
}

func TestEarningRules(t *testing.T) {
	base := Task{UID: 1, BaselineCost: Of(100), BaselineStart: d("2026-03-02"), BaselineFinish: d("2026-03-06")}
	for _, c := range []struct {
		name   string
		method EVMethod
		pct    float64
		phys   float64
		want   float64
		warn   string
	}{
		{"percent", EVPercentComplete, 0.6, 0, 60, ""},
		{"physical ignores duration %", EVPhysical, 0.9, 0.25, 25, ""},
		{"0/100 unfinished", EVZeroHundred, 0.99, 0, 0, ""},
		{"0/100 finished", EVZeroHundred, 1, 0, 100, ""},
		{"50/50 started", EVFiftyFifty, 0.1, 0, 50, ""},
		{"50/50 not started", EVFiftyFifty, 0, 0, 0, ""},
		{"percents instead of fractions", EVPercentComplete, 60, 0, 100, "above 1"},
		{"unknown method", EVMethod(7), 0.5, 0, 50, "unknown earned-value method"},
	} {
		t.Run(c.name, func(t *testing.T) {
			task := base
			task.Method, task.PercentComplete, task.PhysicalPercentComplete = c.method, c.pct, c.phys
			snap, err := BuildSnapshot([]Task{task}, d("2026-03-04"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(snap.EV-c.want) > 1e-9 {
				t.Errorf("EV = %g, want %g", snap.EV, c.want)
			}
			if got := strings.Join(snap.Warnings, "|"); (c.warn == "") != (got == "") || !strings.Contains(got, c.warn) {
				t.Errorf("warnings %q, want %q", got, c.warn)
			}
		})
	}
}

func TestSegmentTotalsMismatch(t *testing.T) {
	// Segments sum to 50 for a baseline cost of 100: the shape (1:1) is kept and scaled.
	task := Task{UID: 1, BaselineCost: Of(100), BaselineStart: d("2026-03-02"), BaselineFinish: d("2026-03-03"),
		BaselineSegments: []Segment{{Start: d("2026-03-02"), Finish: d("2026-03-03"), Amount: 25}, {Start: d("2026-03-03"), Finish: d("2026-03-04"), Amount: 25}}}
	snap, err := BuildSnapshot([]Task{task}, d("2026-03-02"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !floatsNear(snap.Curve.Cum, []float64{50, 100}) || len(snap.Warnings) != 1 {
		t.Errorf("curve %v warnings %v", snap.Curve.Cum, snap.Warnings)
	}
}

func TestBuildSnapshotNeedsAsOf(t *testing.T) {
	if _, err := BuildSnapshot(threeTaskFixture(), time.Time{}, nil); err == nil {
		t.Error("zero as-of accepted")
	}
}

func FuzzEarnedSchedule(f *testing.F) {
	f.Add([]byte{1, 1, 0, 1, 2}, 2.5)
	f.Add([]byte{}, 0.0)
	f.Add([]byte{0, 0, 5}, 1e-300)
	f.Fuzz(func(t *testing.T, steps []byte, ev float64) {
		cum := make([]float64, len(steps))
		total := 0.0
		for i, s := range steps {
			total += float64(s)
			cum[i] = total
		}
		es := EarnedSchedule(cum, ev)
		if !es.Valid {
			if es.Reason == "" {
				t.Fatal("NULL without reason")
			}
			return
		}
		if math.IsNaN(es.V) || es.V < 0 || es.V > float64(len(cum)) {
			t.Fatalf("ES %g outside [0, %d] for EV %g on %v", es.V, len(cum), ev, cum)
		}
		// ES is where EV sits on the curve: PV at floor(ES) <= EV.
		c := PVCurve{Cum: cum}
		if ev > 0 && c.PVAfter(int(es.V)) > ev {
			t.Fatalf("PV after %d periods %g exceeds EV %g", int(es.V), c.PVAfter(int(es.V)), ev)
		}
	})
}

// FuzzBuildSnapshot decodes arbitrary bytes into tasks and checks that nothing panics
// and no NaN reaches the measures.
func FuzzBuildSnapshot(f *testing.F) {
	f.Add([]byte{10, 3, 5, 50, 1, 20, 0, 9, 30, 0})
	f.Add([]byte{255, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, data []byte) {
		var tasks []Task
		origin := d("2026-01-05")
		for i := 0; i+4 < len(data); i += 5 {
			b := data[i : i+5]
			task := Task{UID: int64(i), BaselineCost: Of(float64(b[0]) * 10),
				BaselineStart:   origin.AddDate(0, 0, int(b[1])),
				BaselineFinish:  origin.AddDate(0, 0, int(b[1])+int(b[2])-20),
				PercentComplete: float64(b[3]) / 200, Method: EVMethod(b[4] % 3), PhysicalPercentComplete: float64(b[3]) / 255,
				ActualCost: float64(b[4]), Cost: Of(float64(b[0]))}
			if b[4]%7 == 0 {
				task.BaselineCost = Null("")
			}
			if b[4]%5 == 0 {
				task.BaselineSegments = []Segment{{Start: task.BaselineStart, Finish: task.BaselineStart.AddDate(0, 0, int(b[2]%9)), Amount: float64(b[1])}}
			}
			tasks = append(tasks, task)
		}
		asOf := origin.AddDate(0, 0, len(data)%200-20)
		snap, err := BuildSnapshot(tasks, asOf, nil)
		if err != nil {
			t.Fatal(err)
		}
		m := Compute(snap.Inputs(), Options{})
		assertFinite(t, m)
		if snap.Counted > 0 && math.Abs(snap.Curve.BAC()-snap.BAC) > 1e-6*math.Max(1, snap.BAC) {
			t.Fatalf("curve ends at %g, BAC %g", snap.Curve.BAC(), snap.BAC)
		}
		if snap.EV > snap.BAC+1e-6 {
			t.Fatalf("EV %g above BAC %g", snap.EV, snap.BAC)
		}
	})
}

// BenchmarkBuildSnapshot is one project of 1,000 leaf tasks (the size the view
// benchmark uses) time-phased at one as-of date.
func BenchmarkBuildSnapshot(b *testing.B) {
	tasks := benchTasks(1000)
	asOf := d("2026-09-15")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildSnapshot(tasks, asOf, Weekdays{}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchTasks(n int) []Task {
	tasks := make([]Task, n)
	origin := d("2026-01-05")
	for i := range tasks {
		start := origin.AddDate(0, 0, (i*7)%400)
		tasks[i] = Task{UID: int64(i), BaselineCost: Of(float64(1000 + i%37*100)), BaselineStart: start,
			BaselineFinish: start.AddDate(0, 0, 5+i%30), PercentComplete: float64(i%11) / 10, ActualCost: float64(i % 500), Cost: Of(2000)}
	}
	return tasks
}

func BenchmarkEarnedSchedule(b *testing.B) {
	cum := linearCurve(500, 1e6)
	for b.Loop() {
		_ = EarnedSchedule(cum, 654321)
	}
}
