package demo

import (
	"math"
	"time"
)

// task is one row of a plan. Baseline dates are working-day indexes: a task
// occupies days [bs, bf), a milestone has bs == bf and falls on day bf-1.
type task struct {
	uid, outlineLevel int
	name, wbs         string
	summary           bool
	milestone         bool
	parent            *task
	children          []*task
	bs, bf            int
	baselined         bool
	appearsAt         int   // status-date index from which the task exists (added scope)
	workMin           int64 // baseline work in minutes
	costCents         int64 // baseline cost in hundredths
	resource          int   // resource UID, 0 for none
	units             float64
	costFactor        float64
	preds             []int // predecessor UIDs (finish-to-start)
}

// resource is a generic role, never a person.
type resource struct {
	uid  int
	name string
	rate float64 // per hour, project currency
}

// plan is a project's baseline schedule.
type plan struct {
	def       *projectDef
	root      *task // UID 0 project summary
	rows      []*task
	resources []resource
	bs, bf    int
	progress  []float64 // progress[t] = baseline day reached by the end of working day t (index from bs)
	guid      string
}

// buildPlan lays the catalogue phases out over the baseline and sizes work and
// cost so the baseline cost lands near the project's target BAC.
func buildPlan(def *projectDef, seed uint64) *plan {
	r := newRNG(seed, "plan", def.id)
	p := &plan{def: def, bs: wday(def.start)}
	total := def.weeks * 5
	p.bf = p.bs + total
	p.root = &task{uid: 0, name: def.name, wbs: "0", summary: true, bs: p.bs, bf: p.bf, baselined: true}
	p.rows = append(p.rows, p.root)
	uid := 1
	roleCount := map[string]int{}
	resByName := map[string]int{}
	cursor := p.bs
	var prevMilestone int
	for i, ph := range def.phases {
		days := int(math.Round(float64(ph.share * float64(total))))
		if i == len(def.phases)-1 {
			days = p.bf - cursor
		}
		if days < len(ph.tasks) {
			days = len(ph.tasks)
		}
		sum := &task{uid: uid, outlineLevel: 1, name: ph.name, wbs: itoa(i + 1), summary: true, parent: p.root, baselined: true}
		uid++
		p.root.children = append(p.root.children, sum)
		p.rows = append(p.rows, sum)
		// Split the phase into task lengths with random weights, each at least a day.
		weights := make([]float64, len(ph.tasks))
		var wsum float64
		for j := range weights {
			weights[j] = r.between(0.6, 1.4)
			wsum += weights[j]
		}
		resUID := 0
		if ph.role != "" {
			roleCount[ph.role]++
			name := ph.role + " " + itoa(roleCount[ph.role])
			if existing, ok := resByName[name]; ok {
				resUID = existing
			} else {
				resUID = len(p.resources) + 1
				resByName[name] = resUID
				p.resources = append(p.resources, resource{uid: resUID, name: name, rate: roleRates[ph.role]})
			}
		}
		start := cursor
		prev := prevMilestone
		for j, name := range ph.tasks {
			d := int(math.Max(1, math.Round(float64(weights[j]/wsum*float64(days)))))
			if j == len(ph.tasks)-1 {
				d = max(1, cursor+days-start)
			}
			t := &task{uid: uid, outlineLevel: 2, name: name, wbs: itoa(i+1) + "." + itoa(j+1), parent: sum,
				bs: start, bf: start + d, baselined: true, resource: resUID, units: r.between(0.5, 1.5)}
			if prev != 0 {
				t.preds = []int{prev}
			}
			uid++
			sum.children = append(sum.children, t)
			p.rows = append(p.rows, t)
			prev = t.uid
			start += d
		}
		ms := &task{uid: uid, outlineLevel: 2, name: ph.milestone, wbs: itoa(i+1) + "." + itoa(len(ph.tasks)+1), parent: sum,
			milestone: true, bs: start, bf: start, baselined: true, preds: []int{prev}}
		uid++
		sum.children = append(sum.children, ms)
		p.rows = append(p.rows, ms)
		prevMilestone = ms.uid
		cursor = start
		sum.bs, sum.bf = sum.children[0].bs, ms.bf
	}
	if def.addedScope != "" && len(def.phases) > 1 {
		// Scope added after the baseline: it appears 40% of the way through the
		// project, has no baseline, and runs inside whichever phase is under way.
		appears := p.bs + total*2/5
		ph := p.root.children[len(p.root.children)-1]
		for _, c := range p.root.children {
			if c.children[0].bs <= appears && appears < c.children[len(c.children)-1].bf {
				ph = c
				break
			}
		}
		t := &task{uid: uid, outlineLevel: 2, name: def.addedScope, parent: ph, bs: appears + 5, bf: appears + 35,
			resource: ph.children[0].resource, units: 1, appearsAt: appears}
		if t.resource == 0 {
			t.resource = 1
		}
		uid++
		// Insert before the phase milestone so IDs shift while UIDs stay stable.
		n := len(ph.children)
		ms := ph.children[n-1]
		ph.children = append(ph.children[:n-1:n-1], t, ms)
		t.wbs = ph.wbs + "." + itoa(n)
		ms.wbs = ph.wbs + "." + itoa(n+1)
		p.rows = flatten(p.root)
	}
	p.size(r)
	p.guid = guid(def.id)
	p.simulate()
	return p
}

func flatten(root *task) []*task {
	out := []*task{root}
	for _, c := range root.children {
		out = append(out, flatten(c)...)
	}
	return out
}

// size gives every leaf its baseline work and cost; units are scaled so the
// baseline cost comes close to the catalogue's target BAC.
func (p *plan) size(r *rng) {
	var raw float64
	for _, t := range p.rows {
		if t.resource != 0 && !t.summary && !t.milestone && t.baselined {
			raw += float64(float64(t.bf-t.bs) * 8 * t.units * p.resources[t.resource-1].rate)
		}
	}
	scale := 0.0
	if raw > 0 {
		scale = p.def.bac / raw
	}
	for _, t := range p.rows {
		if t.summary || t.milestone || t.resource == 0 {
			continue
		}
		u := math.Round(float64(t.units*scale*4)) / 4
		if u < 0.25 {
			u = 0.25
		}
		t.units = u
		t.workMin = int64(math.Round(float64(float64(t.bf-t.bs) * 480 * u)))
		rate := p.resources[t.resource-1].rate
		t.costCents = int64(math.Round(float64(float64(t.workMin) / 60 * rate * 100)))
		x := (float64((t.bs+t.bf)/2 - p.bs)) / float64(p.bf-p.bs)
		t.costFactor = at(p.def.cost, x) * r.between(0.95, 1.05)
		if t.costFactor == 0 {
			t.costFactor = 1
		}
	}
}

// simulate walks the project day by day: progress[t] is the baseline day the
// work has reached by the end of working day p.bs+t, i.e. the day minus the
// delay curve, never moving backwards. Actual dates follow from it, so they
// are the same in every weekly snapshot.
func (p *plan) simulate() {
	total := float64(p.bf - p.bs)
	var prev float64
	for t := 0; ; t++ {
		x := float64(t) / total
		e := float64(t+1) - at(p.def.delay, x)
		if e < prev {
			e = prev
		}
		if e < 0 {
			e = 0
		}
		p.progress = append(p.progress, e)
		prev = e
		if e >= total || t > 10*int(total) {
			break
		}
	}
}

// reached returns how far (in baseline days from bs) the work had got by the
// end of working day d.
func (p *plan) reached(d int) float64 {
	i := d - p.bs
	if i < 0 {
		return 0
	}
	if i >= len(p.progress) {
		return p.progress[len(p.progress)-1]
	}
	return p.progress[i]
}

// crossing returns the first working day by whose end the work reached
// baseline day b (relative to bs), or -1 if it never does.
func (p *plan) crossing(b float64) int {
	for i, e := range p.progress {
		if e >= b {
			return p.bs + i
		}
	}
	return -1
}

// finishDay is the working day on which the last task finished (-1 if never).
func (p *plan) finishDay() int { return p.crossing(float64(p.bf - p.bs)) }

// delayAt is the schedule delay in whole working days at the end of day d.
func (p *plan) delayAt(d int) int {
	return int(math.Round(float64(float64(d+1-p.bs) - p.reached(d))))
}

// taskState is one task in one status snapshot.
type taskState struct {
	t                   *task
	start, finish       int // forecast/actual [start, finish) working days
	actualStart         int // -1 when not started
	actualFinish        int // -1 when not finished
	pct, physical       int
	workMin, actWorkMin int64
	costC, actCostC     int64
	bcwsC, bcwpC        int64
	remWorkMin          int64
	remCostC            int64
}

// snapshot computes every task's state at the end of status day s.
func (p *plan) snapshot(s int) map[int]*taskState {
	out := map[int]*taskState{}
	shift := p.delayAt(s)
	e := p.reached(s) + float64(p.bs)
	var walk func(t *task) *taskState
	walk = func(t *task) *taskState {
		st := &taskState{t: t, actualStart: -1, actualFinish: -1}
		if t.summary {
			first := true
			var durW, doneW float64
			for _, c := range t.children {
				if c.appearsAt > s {
					continue
				}
				cs := walk(c)
				if first || cs.start < st.start {
					st.start = cs.start
				}
				if first || cs.finish > st.finish {
					st.finish = cs.finish
				}
				first = false
				st.workMin += cs.workMin
				st.actWorkMin += cs.actWorkMin
				st.remWorkMin += cs.remWorkMin
				st.costC += cs.costC
				st.actCostC += cs.actCostC
				st.remCostC += cs.remCostC
				st.bcwsC += cs.bcwsC
				st.bcwpC += cs.bcwpC
				d := float64(c.bf - c.bs)
				durW += d
				doneW += d * float64(cs.pct) / 100
			}
			if durW > 0 {
				st.pct = int(math.Floor(float64(100 * doneW / durW)))
			}
			allDone, anyStarted := true, false
			for _, c := range t.children {
				if c.appearsAt > s {
					continue
				}
				cs := out[c.uid]
				if cs.actualFinish < 0 {
					allDone = false
				}
				if cs.actualStart >= 0 && (!anyStarted || cs.actualStart < st.actualStart) {
					st.actualStart = cs.actualStart
					anyStarted = true
				}
				if cs.actualFinish > st.actualFinish {
					st.actualFinish = cs.actualFinish
				}
			}
			if allDone {
				st.pct = 100
			} else {
				st.actualFinish = -1
				if st.pct == 100 {
					st.pct = 99
				}
			}
			out[t.uid] = st
			return st
		}
		dur := t.bf - t.bs
		var frac float64
		if t.baselined {
			switch {
			case e >= float64(t.bf):
				frac = 1
			case dur > 0 && e > float64(t.bs):
				frac = (e - float64(t.bs)) / float64(dur)
			}
		} else {
			// Unbaselined added scope progresses on its own dates from when it appears.
			if dur > 0 && s >= t.bs {
				frac = math.Min(1, float64(s+1-t.bs)/float64(dur)*0.8)
			}
		}
		st.pct = int(math.Floor(float64(frac * 100)))
		if frac >= 1 {
			st.pct = 100
		}
		if t.baselined {
			if st.pct > 0 || (t.milestone && st.pct == 100) {
				st.actualStart = p.crossing(float64(t.bs-p.bs) + 1e-9)
				if t.milestone {
					st.actualStart = p.crossing(float64(t.bs - p.bs))
				}
			}
			if st.pct == 100 {
				st.actualFinish = p.crossing(float64(t.bf - p.bs))
				if st.actualStart < 0 || st.actualStart > st.actualFinish {
					st.actualStart = st.actualFinish
				}
			}
		} else if st.pct > 0 {
			st.actualStart = t.bs
			if st.pct == 100 {
				st.actualFinish = t.bs + int(math.Ceil(float64(dur)/0.8)) - 1
			}
		}
		switch {
		case st.actualFinish >= 0:
			st.start, st.finish = st.actualStart, st.actualFinish+1
			if t.milestone {
				st.start, st.finish = st.actualFinish+1, st.actualFinish+1
			}
		case st.actualStart >= 0:
			st.start = st.actualStart
			st.finish = max(t.bf+shift, s+2)
		default:
			if t.baselined {
				st.start = max(t.bs+shift, s+1)
			} else {
				st.start = max(t.bs, s+1)
			}
			st.finish = st.start + dur
		}
		if st.finish < st.start {
			st.finish = st.start
		}
		if st.pct == 100 && !t.milestone && st.finish <= st.start {
			st.finish = st.start + 1
		}
		cf := t.costFactor
		if cf == 0 {
			cf = 1
		}
		st.actWorkMin = int64(math.Round(float64(float64(t.workMin) * frac * cf)))
		st.remWorkMin = int64(math.Round(float64(float64(t.workMin) * (1 - frac))))
		if st.pct == 100 {
			st.remWorkMin = 0
		}
		st.workMin = st.actWorkMin + st.remWorkMin
		st.actCostC = int64(math.Round(float64(float64(t.costCents) * frac * cf)))
		st.remCostC = int64(math.Round(float64(float64(t.costCents) * (1 - frac))))
		if st.pct == 100 {
			st.remCostC = 0
		}
		st.costC = st.actCostC + st.remCostC
		if t.baselined {
			// PV: baseline cost spread linearly over the baseline working days.
			var pv float64
			switch {
			case s+1 >= t.bf:
				pv = 1
			case s+1 > t.bs && dur > 0:
				pv = float64(s+1-t.bs) / float64(dur)
			}
			st.bcwsC = int64(math.Round(float64(float64(t.costCents) * pv)))
			ev := st.pct
			if p.def.evMethod == 1 {
				// Physical % complete trails duration % complete a little: PMs
				// claim physical progress only at checkpoints.
				st.physical = min(st.pct, int(math.Floor(float64(frac*20)))*5)
				if st.pct == 100 {
					st.physical = 100
				}
				ev = st.physical
			}
			st.bcwpC = t.costCents * int64(ev) / 100
		}
		out[t.uid] = st
		return st
	}
	walk(p.root)
	return out
}

// statusDates returns the Fridays of the status window, oldest first.
func statusDates(end time.Time, weeks int) []time.Time {
	out := make([]time.Time, weeks)
	for i := range out {
		out[i] = end.AddDate(0, 0, -7*(weeks-1-i))
	}
	return out
}
