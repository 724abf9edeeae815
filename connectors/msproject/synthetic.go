package msproject

import (
	"bufio"
	"fmt"
	"io"
	"time"
)

// SyntheticSpec sizes a generated MSPDI document.
type SyntheticSpec struct {
	// Tasks is the number of task rows (every tenth is a summary over the next nine).
	Tasks int
	// Title names the project (default "Synthetic programme").
	Title string
	// StatusDate, when set, is written as the project's status date.
	StatusDate time.Time
	// CostScale multiplies every cost (default 1), so successive snapshots differ.
	CostScale float64
}

// WriteSyntheticMSPDI writes a schedule shaped like a real Project 2019 "Save As
// XML": each task carries the ~70 elements Project writes (most of which the
// parser skips), two baselines, a predecessor link and a custom field; each leaf
// task has one resource assignment with a baseline. It exists for benchmarks and
// load tests, where real files of this size cannot be shipped.
func WriteSyntheticMSPDI(w io.Writer, spec SyntheticSpec) error {
	if spec.Title == "" {
		spec.Title = "Synthetic programme"
	}
	if spec.CostScale == 0 {
		spec.CostScale = 1
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	start := time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC)
	ts := func(t time.Time) string { return t.Format("2006-01-02T15:04:05") }
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }

	p("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Project xmlns=\"http://schemas.microsoft.com/project\">\n")
	p("\t<SaveVersion>14</SaveVersion>\n\t<BuildNumber>16.0.10730.20102</BuildNumber>\n\t<Name>synthetic.xml</Name>\n\t<Title>%s</Title>\n", spec.Title)
	p("\t<StartDate>%s</StartDate>\n\t<CurrencyCode>USD</CurrencyCode>\n\t<CurrencySymbol>$</CurrencySymbol>\n", ts(start))
	p("\t<CalendarUID>1</CalendarUID>\n\t<MinutesPerDay>480</MinutesPerDay>\n\t<MinutesPerWeek>2400</MinutesPerWeek>\n\t<DaysPerMonth>20</DaysPerMonth>\n")
	if !spec.StatusDate.IsZero() {
		p("\t<StatusDate>%s</StatusDate>\n", ts(spec.StatusDate))
	}
	p("\t<CurrentDate>%s</CurrentDate>\n", ts(start.AddDate(0, 1, 0)))
	p("\t<ExtendedAttributes>\n\t\t<ExtendedAttribute>\n\t\t\t<FieldID>188743786</FieldID>\n\t\t\t<FieldName>Cost1</FieldName>\n\t\t\t<Alias>Contingency</Alias>\n\t\t</ExtendedAttribute>\n\t</ExtendedAttributes>\n")
	p("\t<Calendars>\n\t\t<Calendar>\n\t\t\t<UID>1</UID>\n\t\t\t<Name>Standard</Name>\n\t\t\t<IsBaseCalendar>1</IsBaseCalendar>\n\t\t\t<BaseCalendarUID>-1</BaseCalendarUID>\n\t\t</Calendar>\n\t</Calendars>\n")
	p("\t<Tasks>\n")
	for i := 0; i < spec.Tasks; i++ {
		uid := i + 1
		summary := i%10 == 0
		level := 2
		if summary {
			level = 1
		}
		s := start.Add(time.Duration(i%250) * 24 * time.Hour)
		f := s.Add(4*24*time.Hour + 9*time.Hour)
		cost := int64(float64((i%97+1)*10000) * spec.CostScale)
		p("\t\t<Task>\n\t\t\t<UID>%d</UID>\n\t\t\t<ID>%d</ID>\n\t\t\t<Name>Task %d of the synthetic schedule</Name>\n", uid, uid, uid)
		p("\t\t\t<Active>1</Active>\n\t\t\t<Manual>0</Manual>\n\t\t\t<Type>0</Type>\n\t\t\t<IsNull>0</IsNull>\n\t\t\t<CreateDate>2024-12-01T09:00:00</CreateDate>\n")
		p("\t\t\t<WBS>%d.%d</WBS>\n\t\t\t<OutlineNumber>%d.%d</OutlineNumber>\n\t\t\t<OutlineLevel>%d</OutlineLevel>\n\t\t\t<Priority>500</Priority>\n", i/10+1, i%10, i/10+1, i%10, level)
		p("\t\t\t<Start>%s</Start>\n\t\t\t<Finish>%s</Finish>\n\t\t\t<Duration>PT40H0M0S</Duration>\n\t\t\t<ManualStart>%s</ManualStart>\n\t\t\t<ManualFinish>%s</ManualFinish>\n\t\t\t<ManualDuration>PT40H0M0S</ManualDuration>\n\t\t\t<DurationFormat>7</DurationFormat>\n", ts(s), ts(f), ts(s), ts(f))
		p("\t\t\t<Work>PT40H0M0S</Work>\n\t\t\t<ResumeValid>0</ResumeValid>\n\t\t\t<EffortDriven>0</EffortDriven>\n\t\t\t<Recurring>0</Recurring>\n\t\t\t<OverAllocated>0</OverAllocated>\n\t\t\t<Estimated>0</Estimated>\n")
		p("\t\t\t<Milestone>0</Milestone>\n\t\t\t<Summary>%d</Summary>\n\t\t\t<DisplayAsSummary>0</DisplayAsSummary>\n\t\t\t<Critical>%d</Critical>\n\t\t\t<IsSubproject>0</IsSubproject>\n\t\t\t<IsSubprojectReadOnly>0</IsSubprojectReadOnly>\n\t\t\t<ExternalTask>0</ExternalTask>\n", b2i(summary), i%3/2)
		p("\t\t\t<EarlyStart>%s</EarlyStart>\n\t\t\t<EarlyFinish>%s</EarlyFinish>\n\t\t\t<LateStart>%s</LateStart>\n\t\t\t<LateFinish>%s</LateFinish>\n", ts(s), ts(f), ts(s), ts(f))
		p("\t\t\t<StartVariance>0</StartVariance>\n\t\t\t<FinishVariance>0</FinishVariance>\n\t\t\t<WorkVariance>0.00</WorkVariance>\n\t\t\t<FreeSlack>0</FreeSlack>\n\t\t\t<TotalSlack>%d</TotalSlack>\n\t\t\t<StartSlack>0</StartSlack>\n\t\t\t<FinishSlack>0</FinishSlack>\n", (i%5)*4800)
		p("\t\t\t<FixedCost>0</FixedCost>\n\t\t\t<FixedCostAccrual>3</FixedCostAccrual>\n\t\t\t<PercentComplete>%d</PercentComplete>\n\t\t\t<PercentWorkComplete>%d</PercentWorkComplete>\n", i%101, i%101)
		p("\t\t\t<Cost>%d</Cost>\n\t\t\t<OvertimeCost>0</OvertimeCost>\n\t\t\t<OvertimeWork>PT0H0M0S</OvertimeWork>\n\t\t\t<ActualStart>%s</ActualStart>\n\t\t\t<ActualDuration>PT16H0M0S</ActualDuration>\n", cost, ts(s))
		p("\t\t\t<ActualCost>%d</ActualCost>\n\t\t\t<ActualOvertimeCost>0</ActualOvertimeCost>\n\t\t\t<ActualWork>PT16H0M0S</ActualWork>\n\t\t\t<ActualOvertimeWork>PT0H0M0S</ActualOvertimeWork>\n\t\t\t<RegularWork>PT40H0M0S</RegularWork>\n", cost/3)
		p("\t\t\t<RemainingDuration>PT24H0M0S</RemainingDuration>\n\t\t\t<RemainingCost>%d</RemainingCost>\n\t\t\t<RemainingWork>PT24H0M0S</RemainingWork>\n\t\t\t<RemainingOvertimeCost>0</RemainingOvertimeCost>\n\t\t\t<RemainingOvertimeWork>PT0H0M0S</RemainingOvertimeWork>\n", cost-cost/3)
		p("\t\t\t<ACWP>%d.00</ACWP>\n\t\t\t<CV>0.00</CV>\n\t\t\t<ConstraintType>0</ConstraintType>\n\t\t\t<CalendarUID>-1</CalendarUID>\n\t\t\t<LevelAssignments>1</LevelAssignments>\n\t\t\t<LevelingCanSplit>1</LevelingCanSplit>\n\t\t\t<LevelingDelay>0</LevelingDelay>\n\t\t\t<LevelingDelayFormat>8</LevelingDelayFormat>\n", cost/3)
		p("\t\t\t<IgnoreResourceCalendar>0</IgnoreResourceCalendar>\n\t\t\t<HideBar>0</HideBar>\n\t\t\t<Rollup>0</Rollup>\n\t\t\t<BCWS>%d.00</BCWS>\n\t\t\t<BCWP>%d.00</BCWP>\n\t\t\t<PhysicalPercentComplete>0</PhysicalPercentComplete>\n\t\t\t<EarnedValueMethod>0</EarnedValueMethod>\n", cost/2, cost/3)
		if i > 0 && !summary {
			p("\t\t\t<PredecessorLink>\n\t\t\t\t<PredecessorUID>%d</PredecessorUID>\n\t\t\t\t<Type>1</Type>\n\t\t\t\t<CrossProject>0</CrossProject>\n\t\t\t\t<LinkLag>%d</LinkLag>\n\t\t\t\t<LagFormat>7</LagFormat>\n\t\t\t</PredecessorLink>\n", uid-1, (i%3)*4800)
		}
		p("\t\t\t<IsPublished>1</IsPublished>\n\t\t\t<CommitmentType>0</CommitmentType>\n")
		p("\t\t\t<ExtendedAttribute>\n\t\t\t\t<FieldID>188743786</FieldID>\n\t\t\t\t<Value>%d</Value>\n\t\t\t</ExtendedAttribute>\n", cost/10)
		for b := 0; b < 2; b++ {
			p("\t\t\t<Baseline>\n\t\t\t\t<Number>%d</Number>\n\t\t\t\t<Interim>0</Interim>\n\t\t\t\t<Start>%s</Start>\n\t\t\t\t<Finish>%s</Finish>\n\t\t\t\t<Duration>PT40H0M0S</Duration>\n\t\t\t\t<DurationFormat>7</DurationFormat>\n\t\t\t\t<EstimatedDuration>0</EstimatedDuration>\n\t\t\t\t<Work>PT40H0M0S</Work>\n\t\t\t\t<Cost>%d</Cost>\n\t\t\t\t<BCWS>%d.00</BCWS>\n\t\t\t\t<BCWP>%d.00</BCWP>\n\t\t\t</Baseline>\n", b, ts(s), ts(f), cost, cost/2, cost/3)
		}
		p("\t\t</Task>\n")
	}
	p("\t</Tasks>\n\t<Resources>\n\t\t<Resource>\n\t\t\t<UID>0</UID>\n\t\t\t<ID>0</ID>\n\t\t\t<Type>1</Type>\n\t\t</Resource>\n")
	for r := 1; r <= 50; r++ {
		p("\t\t<Resource>\n\t\t\t<UID>%d</UID>\n\t\t\t<ID>%d</ID>\n\t\t\t<Name>Resource %d</Name>\n\t\t\t<Type>1</Type>\n\t\t\t<MaxUnits>1.00</MaxUnits>\n\t\t\t<StandardRate>%d</StandardRate>\n\t\t\t<OvertimeRate>0</OvertimeRate>\n\t\t\t<CostPerUse>0</CostPerUse>\n\t\t</Resource>\n", r, r, r, 50+r)
	}
	p("\t</Resources>\n\t<Assignments>\n")
	for i := 0; i < spec.Tasks; i++ {
		if i%10 == 0 {
			continue
		}
		uid := i + 1
		s := start.Add(time.Duration(i%250) * 24 * time.Hour)
		f := s.Add(4*24*time.Hour + 9*time.Hour)
		cost := int64(float64((i%97+1)*10000) * spec.CostScale)
		p("\t\t<Assignment>\n\t\t\t<UID>%d</UID>\n\t\t\t<TaskUID>%d</TaskUID>\n\t\t\t<ResourceUID>%d</ResourceUID>\n\t\t\t<PercentWorkComplete>40</PercentWorkComplete>\n", uid, uid, i%50+1)
		p("\t\t\t<ActualCost>%d</ActualCost>\n\t\t\t<ActualStart>%s</ActualStart>\n\t\t\t<ActualWork>PT16H0M0S</ActualWork>\n\t\t\t<ACWP>%d.00</ACWP>\n\t\t\t<Confirmed>0</Confirmed>\n\t\t\t<Cost>%d</Cost>\n", cost/3, ts(s), cost/3, cost)
		p("\t\t\t<CostRateTable>0</CostRateTable>\n\t\t\t<Finish>%s</Finish>\n\t\t\t<RemainingCost>%d</RemainingCost>\n\t\t\t<RemainingWork>PT24H0M0S</RemainingWork>\n\t\t\t<Start>%s</Start>\n\t\t\t<Units>1</Units>\n\t\t\t<Work>PT40H0M0S</Work>\n\t\t\t<WorkContour>0</WorkContour>\n", ts(f), cost-cost/3, ts(s))
		p("\t\t\t<BCWS>%d.00</BCWS>\n\t\t\t<BCWP>%d.00</BCWP>\n\t\t\t<Baseline>\n\t\t\t\t<Number>0</Number>\n\t\t\t\t<Start>%s</Start>\n\t\t\t\t<Finish>%s</Finish>\n\t\t\t\t<Work>PT40H0M0S</Work>\n\t\t\t\t<Cost>%d</Cost>\n\t\t\t</Baseline>\n\t\t</Assignment>\n", cost/2, cost/3, ts(s), ts(f), cost)
	}
	p("\t</Assignments>\n</Project>\n")
	return bw.Flush()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
