package demo

import (
	"bytes"
	"crypto/sha256"
	"encoding/xml"
	"fmt"
	"strconv"
	"time"
)

func itoa(i int) string { return strconv.Itoa(i) }

// guid derives a stable, GUID-shaped identifier from labels.
func guid(labels ...string) string {
	h := sha256.New()
	for _, l := range labels {
		h.Write([]byte(l))
		h.Write([]byte{0})
	}
	b := h.Sum(nil)
	return fmt.Sprintf("%X-%X-%X-%X-%X", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// xw writes MSPDI the way Project does: one element per line, tab indented,
// elements in the schema's sequence order.
type xw struct {
	b     bytes.Buffer
	depth int
}

func (w *xw) indent() {
	for i := 0; i < w.depth; i++ {
		w.b.WriteByte('\t')
	}
}

func (w *xw) open(name string) {
	w.indent()
	w.b.WriteString("<" + name + ">\n")
	w.depth++
}

func (w *xw) close(name string) {
	w.depth--
	w.indent()
	w.b.WriteString("</" + name + ">\n")
}

func (w *xw) el(name, value string) {
	w.indent()
	w.b.WriteString("<" + name + ">")
	_ = xml.EscapeText(&w.b, []byte(value))
	w.b.WriteString("</" + name + ">\n")
}

func (w *xw) int(name string, v int64) { w.el(name, strconv.FormatInt(v, 10)) }

// money writes hundredths of the currency unit as Project writes the EV fields
// (BCWS, BCWP, ACWP, CV): a decimal with two places, still in hundredths.
func (w *xw) money(name string, cents int64) { w.el(name, strconv.FormatInt(cents, 10)+".00") }

func (w *xw) flag(name string, v bool) {
	if v {
		w.el(name, "1")
	} else {
		w.el(name, "0")
	}
}

var currencySymbols = map[string]string{"USD": "$", "EUR": "€", "GBP": "£"}

// writeMSPDI renders one weekly status export of a plan.
func writeMSPDI(p *plan, status time.Time, fileName string) []byte {
	s := wday(status)
	states := p.snapshot(s)
	def := p.def
	root := states[0]
	w := &xw{}
	w.b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	w.b.WriteString(`<Project xmlns="http://schemas.microsoft.com/project">` + "\n")
	w.depth = 1
	w.el("SaveVersion", "14")
	w.el("BuildNumber", "16.0.17928.20114")
	w.el("Name", fileName)
	w.el("GUID", p.guid)
	w.el("Title", def.name)
	w.el("Category", def.program)
	w.el("Company", portfolioName)
	w.el("CreationDate", isoDate(dateOf(p.bs-15))+"T09:00:00")
	w.el("LastSaved", isoDate(status)+"T16:45:00")
	w.el("ScheduleFromStart", "1")
	w.el("StartDate", startStamp(root.start))
	w.el("FinishDate", finishStamp(root.finish-1))
	w.el("FYStartDate", "1")
	w.el("CriticalSlackLimit", "0")
	w.el("CurrencyDigits", "2")
	w.el("CurrencySymbol", currencySymbols[def.currency])
	w.el("CurrencyCode", def.currency)
	w.el("CurrencySymbolPosition", "0")
	w.el("CalendarUID", "1")
	w.el("DefaultStartTime", "08:00:00")
	w.el("DefaultFinishTime", "17:00:00")
	w.el("MinutesPerDay", "480")
	w.el("MinutesPerWeek", "2400")
	w.el("DaysPerMonth", "20")
	w.el("DefaultTaskType", "0")
	w.el("DefaultFixedCostAccrual", "3")
	w.el("DefaultStandardRate", "0")
	w.el("DefaultOvertimeRate", "0")
	w.el("DurationFormat", "7")
	w.el("WorkFormat", "2")
	w.el("EditableActualCosts", "0")
	w.el("HonorConstraints", "0")
	w.int("EarnedValueMethod", int64(def.evMethod))
	w.el("InsertedProjectsLikeSummary", "1")
	w.el("MultipleCriticalPaths", "0")
	w.el("NewTasksEffortDriven", "0")
	w.el("NewTasksEstimated", "1")
	w.el("SplitsInProgressTasks", "1")
	w.el("SpreadActualCost", "0")
	w.el("SpreadPercentComplete", "0")
	w.el("TaskUpdatesResource", "1")
	w.el("FiscalYearStart", "0")
	w.el("WeekStartDay", "1")
	w.el("MoveCompletedEndsBack", "0")
	w.el("MoveRemainingStartsBack", "0")
	w.el("MoveRemainingStartsForward", "0")
	w.el("MoveCompletedEndsForward", "0")
	w.el("BaselineForEarnedValue", "0")
	w.el("AutoAddNewResourcesAndTasks", "1")
	w.el("StatusDate", isoDate(status)+"T17:00:00")
	w.el("CurrentDate", isoDate(status)+"T08:00:00")
	w.el("MicrosoftProjectServerURL", "1")
	w.el("Autolink", "0")
	w.el("NewTaskStartDate", "0")
	w.el("NewTasksAreManual", "0")
	w.int("DefaultTaskEVMethod", int64(def.evMethod))
	w.el("ProjectExternallyEdited", "0")
	w.el("ExtendedCreationDate", "1984-01-01T00:00:00")
	w.el("ActualsInSync", "0")
	w.el("RemoveFileProperties", "0")
	w.el("AdminProject", "0")
	w.indent()
	w.b.WriteString("<OutlineCodes/>\n")
	w.indent()
	w.b.WriteString("<WBSMasks/>\n")
	w.indent()
	w.b.WriteString("<ExtendedAttributes/>\n")
	writeCalendar(w)

	w.open("Tasks")
	id := 0
	for _, t := range p.rows {
		if t.appearsAt > s {
			continue
		}
		writeTask(w, p, t, states, id, status)
		id++
	}
	w.close("Tasks")

	// Resource totals are the sums of their assignments.
	type resTot struct{ work, act, rem, cost, actCost, remCost, bcws, bcwp int64 }
	tot := make([]resTot, len(p.resources)+1)
	for _, t := range p.rows {
		st, ok := states[t.uid]
		if !ok || t.summary || t.resource == 0 || t.appearsAt > s {
			continue
		}
		r := &tot[t.resource]
		r.work += st.workMin
		r.act += st.actWorkMin
		r.rem += st.remWorkMin
		r.cost += st.costC
		r.actCost += st.actCostC
		r.remCost += st.remCostC
		r.bcws += st.bcwsC
		r.bcwp += st.bcwpC
	}
	w.open("Resources")
	// Project writes a nameless placeholder resource with UID 0.
	w.open("Resource")
	w.el("UID", "0")
	w.el("ID", "0")
	w.el("Type", "1")
	w.el("IsNull", "0")
	w.el("WorkGroup", "0")
	w.el("MaxUnits", "1.00")
	w.el("PeakUnits", "0.00")
	w.el("StandardRate", "0")
	w.el("StandardRateFormat", "2")
	w.el("Cost", "0")
	w.close("Resource")
	for _, r := range p.resources {
		t := tot[r.uid]
		w.open("Resource")
		w.int("UID", int64(r.uid))
		w.el("GUID", guid(def.id, "resource", r.name))
		w.int("ID", int64(r.uid))
		w.el("Name", r.name)
		w.el("Type", "1")
		w.el("IsNull", "0")
		w.el("Initials", initials(r.name))
		w.el("Group", def.program)
		w.el("WorkGroup", "0")
		w.el("MaxUnits", "3.00")
		w.el("PeakUnits", "1.50")
		w.el("OverAllocated", "0")
		w.el("CanLevel", "1")
		w.el("AccrueAt", "3")
		w.el("Work", ptMinutes(t.work))
		w.el("RegularWork", ptMinutes(t.work))
		w.el("OvertimeWork", "PT0H0M0S")
		w.el("ActualWork", ptMinutes(t.act))
		w.el("RemainingWork", ptMinutes(t.rem))
		w.el("ActualOvertimeWork", "PT0H0M0S")
		w.el("RemainingOvertimeWork", "PT0H0M0S")
		w.int("PercentWorkComplete", pctOf(t.act, t.work))
		w.el("StandardRate", strconv.FormatFloat(r.rate, 'f', -1, 64))
		w.el("StandardRateFormat", "2")
		w.int("Cost", t.cost)
		w.el("OvertimeRate", "0")
		w.el("OvertimeRateFormat", "2")
		w.el("OvertimeCost", "0")
		w.el("CostPerUse", "0")
		w.int("ActualCost", t.actCost)
		w.el("ActualOvertimeCost", "0")
		w.int("RemainingCost", t.remCost)
		w.el("RemainingOvertimeCost", "0")
		w.money("SV", t.bcwp-t.bcws)
		w.money("CV", t.bcwp-t.actCost)
		w.money("ACWP", t.actCost)
		w.el("CalendarUID", "1")
		w.money("BCWS", t.bcws)
		w.money("BCWP", t.bcwp)
		w.el("IsGeneric", "1")
		w.el("IsInactive", "0")
		w.close("Resource")
	}
	w.close("Resources")

	w.open("Assignments")
	auid := 1
	for _, t := range p.rows {
		st, ok := states[t.uid]
		if !ok || t.summary || t.appearsAt > s {
			continue
		}
		writeAssignment(w, t, st, auid)
		auid++
	}
	w.close("Assignments")
	w.depth = 0
	w.b.WriteString("</Project>\n")
	return w.b.Bytes()
}

func pctOf(part, whole int64) int64 {
	if whole <= 0 {
		return 0
	}
	return part * 100 / whole
}

func initials(name string) string {
	var out []byte
	prev := byte(' ')
	for i := 0; i < len(name); i++ {
		c := name[i]
		if prev == ' ' && c != ' ' {
			out = append(out, c)
		}
		prev = c
	}
	return string(out)
}

// writeCalendar writes the Standard calendar: Monday to Friday, 8–12 and 13–17.
func writeCalendar(w *xw) {
	w.open("Calendars")
	w.open("Calendar")
	w.el("UID", "1")
	w.el("GUID", guid("calendar", "Standard"))
	w.el("Name", "Standard")
	w.el("IsBaseCalendar", "1")
	w.el("IsBaselineCalendar", "0")
	w.el("BaseCalendarUID", "0")
	w.open("WeekDays")
	for d := 1; d <= 7; d++ {
		w.open("WeekDay")
		w.int("DayType", int64(d))
		working := d >= 2 && d <= 6
		w.flag("DayWorking", working)
		if working {
			w.open("WorkingTimes")
			for _, span := range [][2]string{{"08:00:00", "12:00:00"}, {"13:00:00", "17:00:00"}} {
				w.open("WorkingTime")
				w.el("FromTime", span[0])
				w.el("ToTime", span[1])
				w.close("WorkingTime")
			}
			w.close("WorkingTimes")
		}
		w.close("WeekDay")
	}
	w.close("WeekDays")
	w.close("Calendar")
	w.close("Calendars")
}

// baselineOf sums the baseline of a task's baselined leaves.
func baselineOf(t *task) (bs, bf int, work, cost int64, ok bool) {
	if !t.summary {
		return t.bs, t.bf, t.workMin, t.costCents, t.baselined
	}
	first := true
	for _, c := range t.children {
		cbs, cbf, cw, cc, cok := baselineOf(c)
		if !cok {
			continue
		}
		if first || cbs < bs {
			bs = cbs
		}
		if first || cbf > bf {
			bf = cbf
		}
		first = false
		work += cw
		cost += cc
	}
	return bs, bf, work, cost, !first
}

func writeTask(w *xw, p *plan, t *task, states map[int]*taskState, id int, status time.Time) {
	st := states[t.uid]
	w.open("Task")
	w.int("UID", int64(t.uid))
	w.el("GUID", guid(p.def.id, "task", itoa(t.uid)))
	w.int("ID", int64(id))
	w.el("Name", t.name)
	w.el("Active", "1")
	w.el("Manual", "0")
	w.el("Type", "0")
	w.el("IsNull", "0")
	w.el("CreateDate", isoDate(dateOf(p.bs-15))+"T09:00:00")
	w.el("WBS", t.wbs)
	w.el("OutlineNumber", t.wbs)
	w.int("OutlineLevel", int64(t.outlineLevel))
	w.el("Priority", "500")
	start, finish := startStamp(st.start), finishStamp(st.finish-1)
	durDays := st.finish - st.start
	if t.milestone {
		start = finish
		durDays = 0
	}
	w.el("Start", start)
	w.el("Finish", finish)
	durMin := int64(durDays) * 480
	w.el("Duration", ptMinutes(durMin))
	w.el("DurationFormat", "7")
	w.el("Work", ptMinutes(st.workMin))
	w.el("ResumeValid", "0")
	w.el("EffortDriven", "0")
	w.el("Recurring", "0")
	w.el("OverAllocated", "0")
	w.el("Estimated", "0")
	w.flag("Milestone", t.milestone)
	w.flag("Summary", t.summary)
	w.el("DisplayAsSummary", "0")
	w.flag("Critical", !t.summary)
	w.el("IsSubproject", "0")
	w.el("IsSubprojectReadOnly", "0")
	w.el("ExternalTask", "0")
	w.el("FixedCost", "0")
	w.el("FixedCostAccrual", "3")
	w.int("PercentComplete", int64(st.pct))
	w.int("PercentWorkComplete", pctOf(st.actWorkMin, st.workMin))
	w.int("Cost", st.costC)
	w.el("OvertimeCost", "0")
	w.el("OvertimeWork", "PT0H0M0S")
	if st.actualStart >= 0 {
		if t.milestone {
			w.el("ActualStart", finishStamp(st.actualStart))
		} else {
			w.el("ActualStart", startStamp(st.actualStart))
		}
	}
	if st.actualFinish >= 0 {
		w.el("ActualFinish", finishStamp(st.actualFinish))
	}
	actDur := durMin * int64(st.pct) / 100
	w.el("ActualDuration", ptMinutes(actDur))
	w.int("ActualCost", st.actCostC)
	w.el("ActualOvertimeCost", "0")
	w.el("ActualWork", ptMinutes(st.actWorkMin))
	w.el("ActualOvertimeWork", "PT0H0M0S")
	w.el("RegularWork", ptMinutes(st.workMin))
	w.el("RemainingDuration", ptMinutes(durMin-actDur))
	w.int("RemainingCost", st.remCostC)
	w.el("RemainingWork", ptMinutes(st.remWorkMin))
	w.el("RemainingOvertimeCost", "0")
	w.el("RemainingOvertimeWork", "PT0H0M0S")
	w.money("ACWP", st.actCostC)
	w.money("CV", st.bcwpC-st.actCostC)
	w.el("ConstraintType", "0")
	w.el("CalendarUID", "-1")
	w.el("LevelAssignments", "1")
	w.el("LevelingCanSplit", "1")
	w.el("LevelingDelay", "0")
	w.el("LevelingDelayFormat", "8")
	w.el("IgnoreResourceCalendar", "0")
	w.el("HideBar", "0")
	w.el("Rollup", "0")
	w.money("BCWS", st.bcwsC)
	w.money("BCWP", st.bcwpC)
	w.int("PhysicalPercentComplete", int64(st.physical))
	w.int("EarnedValueMethod", int64(p.def.evMethod))
	for _, pred := range t.preds {
		w.open("PredecessorLink")
		w.int("PredecessorUID", int64(pred))
		w.el("Type", "1") // finish-to-start (MSPDI codes: 0 FF, 1 FS, 2 SF, 3 SS)
		w.el("CrossProject", "0")
		w.el("LinkLag", "0")
		w.el("LagFormat", "7")
		w.close("PredecessorLink")
	}
	if bs, bf, work, cost, ok := baselineOf(t); ok {
		w.open("Baseline")
		w.el("Number", "0")
		w.el("Interim", "0")
		if t.milestone {
			w.el("Start", finishStamp(bf-1))
			w.el("Finish", finishStamp(bf-1))
		} else {
			w.el("Start", startStamp(bs))
			w.el("Finish", finishStamp(bf-1))
		}
		w.el("Duration", ptMinutes(int64(bf-bs)*480))
		w.el("DurationFormat", "7")
		w.el("EstimatedDuration", "0")
		w.el("Work", ptMinutes(work))
		w.int("Cost", cost)
		w.close("Baseline")
	}
	w.el("IsPublished", "0")
	w.el("CommitmentType", "0")
	w.close("Task")
}

func writeAssignment(w *xw, t *task, st *taskState, uid int) {
	w.open("Assignment")
	w.int("UID", int64(uid))
	w.int("TaskUID", int64(t.uid))
	resUID := int64(t.resource)
	if t.resource == 0 || t.milestone {
		resUID = -65535 // Project's placeholder for an unresourced task
	}
	w.int("ResourceUID", resUID)
	w.int("PercentWorkComplete", pctOf(st.actWorkMin, st.workMin))
	w.int("ActualCost", st.actCostC)
	if st.actualFinish >= 0 {
		w.el("ActualFinish", finishStamp(st.actualFinish))
	}
	w.el("ActualOvertimeCost", "0")
	w.el("ActualOvertimeWork", "PT0H0M0S")
	if st.actualStart >= 0 {
		w.el("ActualStart", startStamp(st.actualStart))
	}
	w.el("ActualWork", ptMinutes(st.actWorkMin))
	w.money("ACWP", st.actCostC)
	w.el("Confirmed", "0")
	w.int("Cost", st.costC)
	w.el("CostRateTable", "0")
	w.money("CV", st.bcwpC-st.actCostC)
	w.el("Delay", "0")
	finish := finishStamp(st.finish - 1)
	start := startStamp(st.start)
	if t.milestone {
		start = finish
	}
	w.el("Finish", finish)
	w.el("HasFixedRateUnits", "1")
	w.el("FixedMaterial", "0")
	w.el("LevelingDelay", "0")
	w.el("LinkedFields", "0")
	w.flag("Milestone", t.milestone)
	w.el("Overallocated", "0")
	w.el("OvertimeCost", "0")
	w.el("OvertimeWork", "PT0H0M0S")
	w.el("RegularWork", ptMinutes(st.workMin))
	w.int("RemainingCost", st.remCostC)
	w.el("RemainingOvertimeCost", "0")
	w.el("RemainingOvertimeWork", "PT0H0M0S")
	w.el("RemainingWork", ptMinutes(st.remWorkMin))
	w.el("ResponsePending", "0")
	w.el("Start", start)
	w.el("Stop", start)
	w.el("Resume", start)
	units := "1"
	if resUID > 0 {
		units = strconv.FormatFloat(t.units, 'f', -1, 64)
	}
	w.el("Units", units)
	w.el("UpdateNeeded", "0")
	w.money("VAC", 0)
	w.el("Work", ptMinutes(st.workMin))
	w.el("WorkContour", "0")
	w.money("BCWS", st.bcwsC)
	w.money("BCWP", st.bcwpC)
	if t.baselined && resUID > 0 {
		w.open("Baseline")
		w.el("Number", "0")
		w.el("Start", startStamp(t.bs))
		w.el("Finish", finishStamp(t.bf-1))
		w.el("Work", ptMinutes(t.workMin))
		w.int("Cost", t.costCents)
		w.close("Baseline")
	}
	w.close("Assignment")
}
