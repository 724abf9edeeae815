package demo

import (
	"bytes"
	"encoding/csv"
	"math"
	"sort"
	"strconv"
	"time"
)

// riskTemplate is a kind of risk a healthcare IT project carries.
type riskTemplate struct {
	category, title, owner, strategy, response string
}

var riskTemplates = []riskTemplate{
	{"Vendor", "Vendor delivery of upgrade build slips", "Vendor Manager", "Mitigate", "Weekly vendor checkpoint with contractual escalation path"},
	{"Vendor", "Third-party interface vendor lacks test environment", "Integration Lead", "Mitigate", "Fund a shared test environment and book test windows early"},
	{"Resource", "Clinical analysts pulled into operational support", "Project Manager", "Mitigate", "Backfill agreement with nursing leadership; protect analyst time"},
	{"Resource", "Key integration skills concentrated in one team", "Application Manager", "Mitigate", "Pair on interface builds and document runbooks"},
	{"Schedule", "Testing window compressed by late build", "Test Manager", "Mitigate", "Risk-based test plan; prioritise high-volume clinical workflows"},
	{"Schedule", "Change freeze over holiday period limits cutover dates", "Project Manager", "Accept", "Plan cutover outside the freeze and hold a fallback date"},
	{"Technical", "Legacy data quality blocks conversion", "Data Lead", "Mitigate", "Profile source data early; agree cleansing rules with data owners"},
	{"Technical", "Interface message volumes exceed engine capacity", "Integration Lead", "Mitigate", "Load test at 150% of peak volume before go-live"},
	{"Technical", "Wireless coverage gaps on wards", "Infrastructure Manager", "Mitigate", "Heat-map survey and add access points before rollout"},
	{"Clinical Safety", "Order-set changes introduce medication safety issue", "Chief Medical Information Officer", "Mitigate", "Clinical safety review board signs off every order-set change"},
	{"Clinical Safety", "Downtime procedures not understood by night shift", "Nurse Informaticist", "Mitigate", "Downtime drills on every shift before go-live"},
	{"Regulatory", "Audit finding not closed before regulator review", "Compliance Officer", "Mitigate", "Track each finding to evidence with a named owner role"},
	{"Security", "Privileged accounts without MFA during migration", "Chief Information Security Officer", "Avoid", "Enforce MFA on all admin accounts before migration starts"},
	{"Security", "Medical devices cannot join segmented network", "Biomedical Engineering Manager", "Mitigate", "Device-by-device compatibility test and exception process"},
	{"Cost", "Hardware prices rise before purchase order", "Finance Business Partner", "Transfer", "Fixed-price quote with vendor valid for 90 days"},
	{"Cost", "Consultant rates exceed budget assumptions", "Finance Business Partner", "Mitigate", "Cap time-and-materials spend; monthly burn review"},
	{"Adoption", "Low clinician adoption after go-live", "Clinical Informatics Lead", "Mitigate", "At-the-elbow support and adoption dashboards by unit"},
	{"Adoption", "Patients do not activate portal accounts", "Patient Experience Director", "Mitigate", "Activation at registration desks and in discharge packs"},
	{"Vendor", "Cloud hosting contract not signed in time", "Procurement Lead", "Mitigate", "Parallel legal review; escalate to CIO at two weeks late"},
	{"Technical", "Backup window too short for migrated volume", "Infrastructure Manager", "Mitigate", "Move to incremental-forever backups before wave 2"},
}

// riskEvent is the life of one risk; the register shows it as of a date.
type riskEvent struct {
	id             string
	project        *projectDef
	tmpl           riskTemplate
	opened, due    time.Time
	closed         time.Time // zero = still open at the end of the window
	mitigating     time.Time // when the response started (zero = never)
	p0, p1         float64   // probability when opened and when closed/at the end
	impact         float64   // cost impact, 0 = not quantified
	score0, score1 int
	monitoring     bool
}

// buildRisks draws the risks of every project over the status window.
func buildRisks(projects []*projectDef, seed uint64, end time.Time, weeks int) []*riskEvent {
	windowStart := end.AddDate(0, 0, -7*(weeks-1))
	var all []*riskEvent
	for _, def := range projects {
		r := newRNG(seed, "risks", def.id)
		start := def.start
		if def.agile != nil && (start.IsZero() || def.agile.start.Before(start)) {
			start = def.agile.start
		}
		from := start.AddDate(0, 0, -14)
		if from.Before(windowStart.AddDate(0, 0, -120)) {
			from = windowStart.AddDate(0, 0, -120)
		}
		span := int(end.Sub(from).Hours()/24) - 7
		if span < 14 {
			continue
		}
		scaleCost := def.bac
		if scaleCost == 0 {
			scaleCost = def.budget
		}
		n := r.rangeInt(5, 9)
		for i := 0; i < n; i++ {
			tm := riskTemplates[r.intn(len(riskTemplates))]
			opened := from.AddDate(0, 0, r.intn(span))
			for opened.Weekday() == time.Saturday || opened.Weekday() == time.Sunday {
				opened = opened.AddDate(0, 0, 1)
			}
			ev := &riskEvent{project: def, tmpl: tm, opened: opened}
			ev.due = opened.AddDate(0, 0, 7*r.rangeInt(4, 10))
			ev.p0 = math.Round(float64(r.between(0.2, 0.8)*20)) / 20
			if r.chance(0.85) {
				ev.impact = math.Round(float64(scaleCost*r.between(0.005, 0.06)/1000)) * 1000
			}
			ev.score0 = r.rangeInt(2, 5)
			if ev.impact > 0 {
				// Score follows the cost impact relative to the project's size.
				f := ev.impact / scaleCost
				ev.score0 = 1 + min(4, int(f/0.012))
			}
			ev.score1 = ev.score0
			if tm.strategy == "Accept" {
				ev.monitoring = true
			} else {
				ev.mitigating = opened.AddDate(0, 0, 7*r.rangeInt(1, 3))
			}
			// Most risks are retired after their response lands; some stay open.
			life := 7 * r.rangeInt(6, 20)
			if c := opened.AddDate(0, 0, life); c.Before(end) && r.chance(0.7) {
				ev.closed = c
				for ev.closed.Weekday() == time.Saturday || ev.closed.Weekday() == time.Sunday {
					ev.closed = ev.closed.AddDate(0, 0, 1)
				}
			}
			ev.p1 = math.Max(0.05, math.Round(float64(ev.p0*r.between(0.2, 0.7)*20))/20)
			if r.chance(0.2) {
				ev.p1 = math.Min(0.95, ev.p0+0.1) // this one got worse before it got better
				ev.score1 = min(5, ev.score0+1)
			}
			all = append(all, ev)
		}
	}
	// Two risks are overdue on purpose: open, response due well before the end.
	overdue := 0
	for _, ev := range all {
		if overdue == 2 {
			break
		}
		if ev.closed.IsZero() && !ev.monitoring && ev.opened.Before(end.AddDate(0, 0, -70)) {
			ev.due = end.AddDate(0, 0, -21-14*overdue)
			overdue++
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].opened.Equal(all[j].opened) {
			return all[i].opened.Before(all[j].opened)
		}
		return all[i].project.id < all[j].project.id
	})
	for i, ev := range all {
		ev.id = "RSK-" + pad4(i+1)
	}
	return all
}

func pad4(i int) string {
	s := strconv.Itoa(i)
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}

// riskRegisterHeader is the header of the demo's PMO risk register.
var riskRegisterHeader = []string{"ID", "Title", "Category", "Probability (%)", "Impact (cost)", "Impact (1-5)", "Owner", "Status", "Response", "Opened", "Closed", "Due", "Project"}

// writeRegister renders the register as it stood on date.
func writeRegister(risks []*riskEvent, date time.Time) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(riskRegisterHeader)
	for _, ev := range risks {
		if ev.opened.After(date) {
			continue
		}
		end := ev.closed
		if end.IsZero() {
			end = date.AddDate(0, 0, 60)
		}
		// Probability and score move linearly from opening to closing.
		f := 1.0
		if span := end.Sub(ev.opened); span > 0 {
			f = math.Min(1, float64(date.Sub(ev.opened))/float64(span))
		}
		prob := ev.p0 + float64(f*(ev.p1-ev.p0))
		score := ev.score0
		if f > 0.5 {
			score = ev.score1
		}
		status := "Open"
		switch {
		case !ev.closed.IsZero() && !ev.closed.After(date):
			status = "Closed"
		case ev.monitoring:
			status = "Monitoring"
		case !ev.mitigating.IsZero() && !ev.mitigating.After(date):
			status = "Mitigating"
		}
		closed := ""
		if status == "Closed" {
			closed = isoDate(ev.closed)
			prob = ev.p1
		}
		impact := ""
		if ev.impact > 0 {
			impact = strconv.FormatFloat(ev.impact, 'f', 0, 64)
		}
		_ = w.Write([]string{
			ev.id, ev.tmpl.title, ev.tmpl.category,
			strconv.Itoa(int(math.Round(float64(prob * 100)))),
			impact, strconv.Itoa(score), ev.tmpl.owner, status,
			ev.tmpl.strategy + ": " + ev.tmpl.response,
			isoDate(ev.opened), closed, isoDate(ev.due), ev.project.name,
		})
	}
	w.Flush()
	return b.Bytes()
}
