package metrics

import (
	"testing"
	"time"
)

func TestAgileEVMHoursAndCap(t *testing.T) {
	// Release 200 points, 120,000 budget, 6 sprints; 4 sprints done, 100 points done,
	// 600 worklog hours at 90/h.
	r, err := AgileEVM(AgileInputs{ReleaseBudget: 120000, PlannedPoints: 200, PlannedSprints: 6,
		SprintsCompleted: 4, PointsDone: 100, Hours: 600, Rate: 90}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := r.Measures
	near(t, "ppc", r.PPC, 4.0/6)
	near(t, "apc", r.APC, 0.5)
	near(t, "pv", m.PV, 80000) // 4/6 × 120000
	near(t, "ev", m.EV, 60000) // 100/200 × 120000
	near(t, "ac", m.AC, 54000) // 600 × 90
	near(t, "spi", m.SPI, 0.75)
	near(t, "cpi", m.CPI, 60000.0/54000)
	near(t, "sprints forecast", r.SprintsForecast, 8) // 6 / 0.75

	// Eight sprints into a six-sprint plan: PPC stays 1 (PV = BAC).
	r, err = AgileEVM(AgileInputs{ReleaseBudget: 100, PlannedPoints: 10, PlannedSprints: 6,
		SprintsCompleted: 8, PointsDone: 9, CostToDate: Of(120)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "ppc capped", r.PPC, 1)
	near(t, "pv capped", r.Measures.PV, 100)

	// No sprint finished yet: PV 0, SPI undefined, forecast undefined.
	r, err = AgileEVM(AgileInputs{ReleaseBudget: 100, PlannedPoints: 10, PlannedSprints: 5, CostToDate: Of(0)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	null(t, "spi", r.Measures.SPI, ReasonPVZero)
	null(t, "sprints forecast", r.SprintsForecast, ReasonPVZero)
}

func TestAgileEVMErrors(t *testing.T) {
	good := AgileInputs{ReleaseBudget: 100, PlannedPoints: 10, PlannedSprints: 5, CostToDate: Of(1)}
	for name, mut := range map[string]func(*AgileInputs){
		"budget":  func(a *AgileInputs) { a.ReleaseBudget = 0 },
		"points":  func(a *AgileInputs) { a.PlannedPoints = -1 },
		"sprints": func(a *AgileInputs) { a.PlannedSprints = 0 },
		"no cost": func(a *AgileInputs) { a.CostToDate = Null("") },
		"done<0":  func(a *AgileInputs) { a.PointsDone = -3 },
	} {
		in := good
		mut(&in)
		if _, err := AgileEVM(in, Options{}); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestSprintsElapsed(t *testing.T) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		asOf string
		want float64
	}{
		{"2026-03-01", 0}, // before the release
		{"2026-03-14", 0}, // day 13 of a 14-day sprint
		{"2026-03-15", 1}, // day 14: sprint 1 complete
		{"2026-04-12", 3}, // day 42
	} {
		if got := SprintsElapsed(start, 14, d(c.asOf)); got != c.want {
			t.Errorf("%s: %g sprints, want %g", c.asOf, got, c.want)
		}
	}
}
