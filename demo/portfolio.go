package demo

import (
	"fmt"
	"time"
)

// Program and portfolio names of the demo.
const (
	portfolioName   = "Hospital IT"
	programClinical = "Clinical Systems"
	programInfra    = "Infrastructure & Security"
	programBusiness = "Business Systems"
)

// point is one knot of a piecewise-linear curve over the fraction x of a
// project's baseline duration that has elapsed.
type point struct{ x, y float64 }

// at interpolates the curve at x (held flat outside its knots).
func at(c []point, x float64) float64 {
	if len(c) == 0 {
		return 0
	}
	if x <= c[0].x {
		return c[0].y
	}
	for i := 1; i < len(c); i++ {
		if x <= c[i].x {
			f := (x - c[i-1].x) / (c[i].x - c[i-1].x)
			return c[i-1].y + float64(f*(c[i].y-c[i-1].y))
		}
	}
	return c[len(c)-1].y
}

// phaseDef is one summary task of a plan: its leaf tasks, the role doing them
// and the milestone that closes it.
type phaseDef struct {
	name      string
	share     float64 // of the baseline duration
	role      string
	tasks     []string
	milestone string
}

// agileDef describes the Jira side of an agile project.
type agileDef struct {
	key        string
	velocity   float64 // story points per two-week sprint
	start      time.Time
	components []string
	epics      []string
	hourlyRate float64
}

// projectDef is one project of the catalogue. Curves are functions of the
// elapsed fraction of the baseline: delay in working days behind the baseline
// (negative = ahead) and the actual-to-earned cost factor.
type projectDef struct {
	id, name, program, currency string
	budget, contingency         float64
	bac                         float64 // target baseline cost of the schedule (0 = a cost-less release plan)
	start                       time.Time
	weeks                       int
	evMethod                    int // 0 % complete, 1 physical % complete
	delay, cost                 []point
	phases                      []phaseDef
	addedScope                  string // a task added mid-way without a baseline
	agile                       *agileDef
	seq                         int // 0 for the catalogue, n for the n-th scaled copy
}

func (p *projectDef) hasPlan() bool { return len(p.phases) > 0 }

// fileStem is the prefix of the project's schedule exports.
func (p *projectDef) fileStem() string { return p.id }

// roleRates are hourly rates in the project currency.
var roleRates = map[string]float64{
	"Project Manager":         125,
	"Application Analyst":     105,
	"Clinical Analyst":        98,
	"Test Analyst":            85,
	"Trainer":                 78,
	"Integration Developer":   115,
	"Infrastructure Engineer": 108,
	"Network Engineer":        110,
	"Security Analyst":        120,
	"Business Analyst":        95,
	"Data Engineer":           112,
}

// catalogue returns the twelve demo projects. It is a function, not a package
// variable, so no caller can change the demo for another.
func catalogue() []*projectDef {
	return []*projectDef{
		{
			id: "ehr-upgrade", name: "EHR Upgrade 2026", program: programClinical, currency: "USD",
			budget: 4600000, contingency: 320000, bac: 4150000, start: day(2025, 11, 3), weeks: 72,
			delay: []point{{0, 0}, {0.25, 4}, {0.45, 18}, {0.6, 22}, {0.75, 10}, {1, 6}},
			cost:  []point{{0, 1.0}, {0.4, 1.08}, {0.7, 1.04}, {1, 1.02}},
			phases: []phaseDef{
				{"Initiation & Planning", 0.10, "Project Manager", []string{"Project charter approval", "Upgrade scope & delta review", "Vendor statement of work", "Resource plan & governance"}, "Planning complete"},
				{"Build & Configuration", 0.26, "Application Analyst", []string{"Environment build (TEST/TRAIN)", "Order sets & clinical content update", "Interface regression inventory", "Security role redesign", "Report & dashboard remediation"}, "Build complete"},
				{"Testing", 0.22, "Test Analyst", []string{"Unit testing", "Integrated testing round 1", "Integrated testing round 2", "Clinician acceptance testing", "Performance & failover test"}, "Test sign-off"},
				{"Training & Readiness", 0.16, "Trainer", []string{"Super-user training", "End-user e-learning", "Command centre planning", "Downtime procedures update"}, "Go-live readiness review"},
				{"Cutover & Go-Live", 0.10, "Application Analyst", []string{"Technical dress rehearsal", "Cutover weekend", "At-the-elbow support"}, "Go-live"},
				{"Stabilisation & Closure", 0.16, "Project Manager", []string{"Issue triage & fixes", "Optimisation sprint", "Benefits measurement baseline", "Project closure report"}, "Project closed"},
			},
		},
		{
			id: "pacs-migration", name: "PACS Migration to Enterprise VNA", program: programClinical, currency: "USD",
			budget: 1950000, contingency: 150000, bac: 1780000, start: day(2026, 2, 2), weeks: 44,
			delay:      []point{{0, 0}, {0.3, 6}, {0.6, 20}, {1, 28}},
			cost:       []point{{0, 1.05}, {0.5, 1.15}, {1, 1.18}},
			addedScope: "Cardiology modality interface (added scope)",
			phases: []phaseDef{
				{"Planning", 0.12, "Project Manager", []string{"Modality inventory", "Data migration strategy", "Vendor contract & SOW", "Storage sizing"}, "Migration plan approved"},
				{"VNA Build", 0.22, "Infrastructure Engineer", []string{"VNA storage install", "DICOM routing rules", "Retention policy configuration", "Radiologist worklist integration"}, "VNA ready"},
				{"Data Migration", 0.34, "Data Engineer", []string{"Pilot migration (one year of studies)", "Bulk migration wave 1", "Bulk migration wave 2", "Reconciliation & exception handling"}, "Historical studies migrated"},
				{"Testing & Cutover", 0.20, "Test Analyst", []string{"Modality connectivity testing", "Reading-room workstation validation", "Cutover & legacy read-only"}, "Cutover complete"},
				{"Decommission", 0.12, "Infrastructure Engineer", []string{"Legacy PACS archive decommission", "Closure report"}, "Project closed"},
			},
		},
		{
			id: "bcma-rollout", name: "Barcode Medication Administration Rollout", program: programClinical, currency: "USD",
			budget: 980000, contingency: 70000, bac: 900000, start: day(2026, 5, 4), weeks: 34,
			delay: []point{{0, 0}, {0.5, -3}, {1, -2}},
			cost:  []point{{0, 0.95}, {1, 0.93}},
			phases: []phaseDef{
				{"Planning & Design", 0.18, "Clinical Analyst", []string{"Medication workflow review", "Scanner & printer selection", "Wristband printing design", "Pharmacy barcode readiness audit"}, "Design approved"},
				{"Build", 0.24, "Application Analyst", []string{"eMAR scanning configuration", "Override reason codes", "Device deployment image", "Ward Wi-Fi coverage validation"}, "Build complete"},
				{"Pilot", 0.18, "Clinical Analyst", []string{"Pilot ward training", "Pilot go-live (two wards)", "Pilot compliance review"}, "Pilot sign-off"},
				{"Hospital-wide Rollout", 0.40, "Trainer", []string{"Wave 1 – medical wards", "Wave 2 – surgical wards", "Wave 3 – ICU & ED", "Scanning compliance dashboards"}, "Rollout complete"},
			},
		},
		{
			id: "patient-portal", name: "Patient Portal Rollout", program: programClinical, currency: "USD",
			budget: 1250000, contingency: 90000, start: day(2026, 1, 12), weeks: 48,
			delay: []point{{0, 0}, {0.5, 8}, {1, 10}},
			phases: []phaseDef{
				{"Release 1 – Appointments & messaging", 0.35, "", []string{"R1 build sprints", "R1 pilot clinics"}, "R1 live"},
				{"Release 2 – Results & bill pay", 0.35, "", []string{"R2 build sprints", "R2 accessibility audit"}, "R2 live"},
				{"Release 3 – Proxy access & mobile", 0.30, "", []string{"R3 build sprints", "App store submission"}, "R3 live"},
			},
			agile: &agileDef{key: "PORTAL", velocity: 34, start: day(2026, 1, 12), hourlyRate: 95,
				components: []string{"Scheduling", "Messaging", "Results", "Billing", "Mobile"},
				epics:      []string{"Online appointment booking", "Secure messaging", "Lab results release", "Bill pay", "Proxy access", "Mobile app parity", "Accessibility (WCAG 2.1)", "Identity proofing"}},
		},
		{
			id: "fhir-engine", name: "HL7/FHIR Interface Engine", program: programClinical, currency: "USD",
			budget: 1100000, contingency: 80000, start: day(2026, 3, 2), weeks: 40,
			delay: []point{{0, 0}, {0.6, 15}, {1, 12}},
			phases: []phaseDef{
				{"Engine platform", 0.30, "", []string{"Platform build sprints", "High-availability failover test"}, "Engine in production"},
				{"ADT & orders feeds", 0.40, "", []string{"Feed migration sprints", "Downstream regression testing"}, "Legacy engine retired"},
				{"FHIR API for partners", 0.30, "", []string{"FHIR API sprints", "Partner onboarding"}, "FHIR API live"},
			},
			agile: &agileDef{key: "FHIR", velocity: 28, start: day(2026, 3, 2), hourlyRate: 110,
				components: []string{"ADT", "Orders", "Results", "FHIR API", "Monitoring"},
				epics:      []string{"Engine platform & HA", "ADT feed migration", "Lab orders & results (ORM/ORU)", "Radiology orders", "FHIR R4 Patient & Encounter API", "SMART on FHIR app launch", "Interface monitoring & alerting"}},
		},
		{
			id: "network-refresh", name: "Clinical Network Refresh", program: programInfra, currency: "USD",
			budget: 2450000, contingency: 180000, bac: 2250000, start: day(2026, 1, 5), weeks: 38,
			delay: []point{{0, 0}, {0.4, 10}, {0.7, 18}, {1, 15}},
			cost:  []point{{0, 1.0}, {1, 0.97}},
			phases: []phaseDef{
				{"Design", 0.16, "Network Engineer", []string{"Site surveys", "Core & distribution design", "Medical-device VLAN segmentation plan", "Change windows with clinical operations"}, "Design approved"},
				{"Procurement", 0.16, "Project Manager", []string{"Hardware order", "Staging & configuration", "Asset tagging"}, "Hardware staged"},
				{"Core Cutover", 0.18, "Network Engineer", []string{"Data-centre core switch replacement", "Firewall policy migration", "Core cutover weekend"}, "Core live"},
				{"Floor-by-floor Refresh", 0.40, "Network Engineer", []string{"Towers A–B access switches", "Tower C & theatres", "Outpatient clinics", "Wireless access-point replacement"}, "Access layer complete"},
				{"Closure", 0.10, "Project Manager", []string{"Monitoring handover", "As-built documentation", "Closure report"}, "Project closed"},
			},
		},
		{
			id: "hipaa-remediation", name: "HIPAA Risk Assessment Remediation", program: programInfra, currency: "USD",
			budget: 820000, contingency: 60000, bac: 760000, start: day(2026, 3, 2), weeks: 40, evMethod: 1,
			delay: []point{{0, 0}, {0.35, 12}, {0.7, 4}, {1, 2}},
			cost:  []point{{0, 1.02}, {1, 1.0}},
			phases: []phaseDef{
				{"Assessment Review", 0.14, "Security Analyst", []string{"Risk analysis findings triage", "Remediation plan & owners", "Policy gap analysis"}, "Remediation plan approved"},
				{"Technical Safeguards", 0.38, "Security Analyst", []string{"Encryption at rest for clinical shares", "Audit logging to SIEM", "MFA for remote access", "Endpoint hardening baseline"}, "Technical safeguards in place"},
				{"Administrative Safeguards", 0.28, "Business Analyst", []string{"Workforce security training refresh", "Business associate agreement review", "Contingency plan update", "Access review process"}, "Administrative safeguards complete"},
				{"Validation", 0.20, "Security Analyst", []string{"Internal audit of controls", "Penetration test & retest", "Compliance evidence package"}, "Remediation closed"},
			},
		},
		{
			id: "dc-dublin", name: "Data Centre Consolidation – Dublin Campus", program: programInfra, currency: "EUR",
			budget: 1500000, contingency: 110000, bac: 1380000, start: day(2026, 4, 6), weeks: 46,
			delay: []point{{0, 0}, {0.5, 5}, {1, 8}},
			cost:  []point{{0, 0.9}, {0.5, 0.94}, {1, 0.96}},
			phases: []phaseDef{
				{"Discovery", 0.14, "Infrastructure Engineer", []string{"Application dependency mapping", "Rack & power audit", "Migration wave plan"}, "Wave plan approved"},
				{"Target Build", 0.22, "Infrastructure Engineer", []string{"Hyper-converged cluster install", "Backup & DR replication", "Network extension to Dublin"}, "Target platform ready"},
				{"Migration Waves", 0.50, "Infrastructure Engineer", []string{"Wave 1 – non-clinical applications", "Wave 2 – lab & pharmacy systems", "Wave 3 – imaging & clinical", "DR failover test"}, "All waves migrated"},
				{"Exit", 0.14, "Project Manager", []string{"Legacy room decommission", "Lease exit & disposal certificates", "Closure report"}, "Project closed"},
			},
		},
		{
			id: "iam-sso", name: "Identity & Access Management (SSO/MFA)", program: programInfra, currency: "USD",
			budget: 700000, contingency: 50000,
			agile: &agileDef{key: "IAM", velocity: 30, start: day(2026, 5, 4), hourlyRate: 105,
				components: []string{"SSO", "MFA", "Provisioning", "Badge tap"},
				epics:      []string{"Single sign-on for clinical apps", "MFA for remote access", "Joiner-mover-leaver automation", "Tap-and-go badge login", "Privileged access management"}},
		},
		{
			id: "erp-revcycle", name: "ERP & Revenue Cycle Modernisation", program: programBusiness, currency: "USD",
			budget: 3900000, contingency: 260000, bac: 3550000, start: day(2025, 9, 1), weeks: 96,
			delay: []point{{0, 0}, {0.2, 5}, {0.4, 25}, {0.6, 38}, {1, 45}},
			cost:  []point{{0, 1.05}, {0.5, 1.2}, {1, 1.25}},
			phases: []phaseDef{
				{"Initiation", 0.10, "Project Manager", []string{"Business case refresh", "Vendor selection", "Programme governance set-up", "Fit-gap workshops"}, "Design authority approval"},
				{"Finance & Supply Build", 0.20, "Business Analyst", []string{"General ledger & chart of accounts", "Procure-to-pay configuration", "Asset management", "Data conversion – finance"}, "Finance build complete"},
				{"Revenue Cycle Build", 0.24, "Business Analyst", []string{"Patient accounting configuration", "Charge description master clean-up", "Claims scrubber & clearinghouse interface", "Denials work queues", "Data conversion – accounts receivable"}, "Revenue cycle build complete"},
				{"Testing", 0.20, "Test Analyst", []string{"System integration testing", "Payroll parallel run", "Charge-to-cash end-to-end testing", "User acceptance testing"}, "UAT sign-off"},
				{"Deployment", 0.14, "Trainer", []string{"Training delivery", "Cutover rehearsal", "Go-live weekend"}, "Go-live"},
				{"Hypercare & Closure", 0.12, "Project Manager", []string{"Hypercare", "Month-end close support", "Closure report"}, "Project closed"},
			},
		},
		{
			id: "supply-chain", name: "Supply Chain & Inventory Automation", program: programBusiness, currency: "USD",
			budget: 1150000, contingency: 80000, bac: 1050000, start: day(2026, 6, 1), weeks: 36,
			delay: []point{{0, 0}, {1, 3}},
			cost:  []point{{0, 0.9}, {1, 0.92}},
			phases: []phaseDef{
				{"Planning", 0.16, "Project Manager", []string{"Par-level analysis", "Vendor catalogue clean-up", "Scanner & cabinet selection"}, "Plan approved"},
				{"Build", 0.30, "Business Analyst", []string{"Item master integration", "Automated replenishment rules", "Point-of-use cabinet interfaces"}, "Build complete"},
				{"Deployment", 0.42, "Trainer", []string{"Theatres pilot", "Ward rollout", "Pharmacy & lab rollout"}, "Deployment complete"},
				{"Closure", 0.12, "Project Manager", []string{"Benefits tracking", "Closure report"}, "Project closed"},
			},
		},
		{
			id: "denials-analytics", name: "Claims Denial Analytics", program: programBusiness, currency: "USD",
			budget: 600000, contingency: 40000,
			agile: &agileDef{key: "DENY", velocity: 18, start: day(2026, 2, 2), hourlyRate: 100,
				components: []string{"Data pipeline", "Dashboards", "Work queues"},
				epics:      []string{"Claims & remittance ingestion", "Denial root-cause model", "Payer scorecards", "Work-queue prioritisation", "Executive denials dashboard"}},
		},
	}
}

// portfolio returns the catalogue, extended to n projects by copies of it with
// their own ids, seeds, start dates and Jira keys.
func portfolio(n int) []*projectDef {
	base := catalogue()
	if n <= len(base) {
		return base
	}
	out := base
	for i := len(base); i < n; i++ {
		src := catalogue()[i%len(base)]
		seq := i/len(base) + 1
		cp := *src
		cp.seq = i
		cp.id = fmt.Sprintf("%s-%03d", src.id, i)
		cp.name = fmt.Sprintf("%s #%03d", src.name, i)
		// Spread the copies' starts over ±10 weeks so roll-ups do not move in lockstep.
		shift := (i*7)%21 - 10
		if !cp.start.IsZero() {
			cp.start = cp.start.AddDate(0, 0, 7*shift)
		}
		if src.agile != nil {
			a := *src.agile
			a.key = fmt.Sprintf("%s%d", src.agile.key, i)
			a.start = a.start.AddDate(0, 0, 14*(seq%4))
			cp.agile = &a
		}
		out = append(out, &cp)
	}
	return out
}
