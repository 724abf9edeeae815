package dashboards

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// projectBody is the model of the project page.
type projectBody struct {
	Project      projectRow
	KPIs         []kpi
	SCurve       *Chart
	Indices      *Chart
	Milestones   *Chart
	WBS          *Chart
	Tasks        []row
	TasksMissing string
	TasksNote    string
	TasksSource  string
	Matrix       *Chart
	Cell         *riskCellList
	Exposure     *Chart
	Delivery     bool
	FlowMissing  string
	Burnup       *Chart
	Throughput   *Chart
	CycleTimes   *Chart
	MonteCarlo   *Chart
	Sprints      *Chart
	Forecasts    []row
	ESForecast   string
	RisksHref    string
}

const taskLimit = 500

func (s *server) projectPage(r *req) (*pageData, string, error) {
	id := r.c.Param("id")
	all, err := r.allProjects()
	if err != nil {
		return nil, "", err
	}
	var info *projectInfo
	for i := range all {
		if all[i].ID == id {
			info = &all[i]
		}
	}
	if info == nil {
		return nil, "", &notFound{"Project not found", fmt.Sprintf("There is no project with id %q in the warehouse.", id)}
	}
	r.p.Project, r.p.Portfolio, r.p.Program = id, "", ""
	path := "/project/" + pathEscape(id)
	pd := &pageData{Heading: info.Name, Nav: "portfolio", Filters: &filterBar{Action: path, AsOf: r.p.AsOf}}
	pd.Crumbs = []crumb{{"Portfolio", "/" + params{AsOf: r.p.AsOf}.query()}}
	if info.Portfolio != "" {
		pd.Crumbs = append(pd.Crumbs, crumb{info.Portfolio, "/" + params{AsOf: r.p.AsOf, Portfolio: info.Portfolio}.query()})
	}
	if info.Program != "" {
		pd.Crumbs = append(pd.Crumbs, crumb{info.Program, "/program/" + pathEscape(info.Program) + params{AsOf: r.p.AsOf}.query()})
	}
	pd.PrintFilters = printFilters(params{AsOf: r.p.AsOf}) + " · Project: " + info.Name
	pd.PublishedAt, pd.Version = r.publishedAt(), r.version

	statuses, _, err := r.projectStatuses()
	if err != nil {
		return nil, "", err
	}
	b := &projectBody{RisksHref: "/risks" + params{AsOf: r.p.AsOf, Project: id}.query()}
	st := projectStatus{projectInfo: *info}
	if len(statuses) == 1 {
		st = statuses[0]
	}
	b.Project = projectRow{projectStatus: st}
	if info.Program != "" {
		b.Project.ProgramHref = "/program/" + pathEscape(info.Program) + params{AsOf: r.p.AsOf}.query()
	}
	for _, reason := range strings.Split(st.Reasons, ";") {
		if reason = strings.TrimSpace(reason); reason != "" {
			b.Project.ReasonList = append(b.Project.ReasonList, reason)
		}
	}
	pd.AsOfText = asOfText(r.p, st.AsOf)
	if r.p.AsOf != "" && st.AsOf != "" && st.AsOf != r.p.AsOf {
		pd.AsOfText += " (latest status date on or before it: " + st.AsOf + ")"
	}
	cur := st.Currency
	money := func(v *float64) string {
		if v == nil {
			return "—"
		}
		return strings.TrimSpace(formatNumber(*v, kindMoney) + " " + cur)
	}
	b.KPIs = []kpi{
		{Label: "Status", Value: ragStyle[st.RAG].Label, Class: ragClassOf(st.RAG)},
		{Label: "BAC", Value: money(st.BAC)},
		{Label: "EAC", Value: money(st.EAC)},
		{Label: "VAC", Value: money(st.VAC), Class: negClass(st.VAC)},
		{Label: "SPI", Value: formatPtr(kindIndex, st.SPI)},
		{Label: "CPI", Value: formatPtr(kindIndex, st.CPI)},
		{Label: "SPI(t)", Value: formatPtr(kindIndex, st.SPIt)},
		{Label: "Forecast finish", Value: orDash(st.ForecastFinish), Hint: "earned schedule"},
	}
	b.ESForecast = st.ForecastFinish

	series, why, err := r.evmSeries(id)
	if err != nil {
		return nil, "", err
	}
	b.SCurve = sCurveChart(series, why, st)
	pd.addChart(b.SCurve, path, r.p)
	b.Indices = indicesChart(series, why)
	pd.addChart(b.Indices, path, r.p)

	ms, msSrc, why, err := r.milestones(id)
	if err != nil {
		return nil, "", err
	}
	b.Milestones = milestoneChart(ms, msSrc, why)
	pd.addChart(b.Milestones, path, r.p)

	tasks, taskSrc, why, err := r.tasks(id, 5000)
	if err != nil {
		return nil, "", err
	}
	b.TasksMissing, b.TasksSource = why, taskSrc
	b.WBS = wbsChart(tasks, taskSrc, why)
	pd.addChart(b.WBS, path, r.p)
	if len(tasks) > taskLimit {
		b.TasksNote = fmt.Sprintf("Showing the first %d of %d tasks in WBS order; the API (/api/v1/projects/%s/tasks) returns all of them.", taskLimit, len(tasks), id)
		tasks = tasks[:taskLimit]
	}
	b.Tasks = tasks

	if b.Matrix, err = s.matrixChart(r, path); err != nil {
		return nil, "", err
	}
	pd.addChart(b.Matrix, path, r.p)
	if b.Cell, err = s.cellList(r, path); err != nil {
		return nil, "", err
	}
	if b.Exposure, _, err = s.exposureChart(r); err != nil {
		return nil, "", err
	}
	pd.addChart(b.Exposure, path, r.p)

	if err := s.deliveryCharts(r, b, id); err != nil {
		return nil, "", err
	}
	for _, ch := range []*Chart{b.Burnup, b.Throughput, b.CycleTimes, b.MonteCarlo, b.Sprints} {
		if ch != nil {
			pd.addChart(ch, path, r.p)
		}
	}
	pd.Body = b
	return pd, "project", nil
}

func ragClassOf(r string) string {
	if r == "" {
		return "rag-none"
	}
	return "rag-" + r
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// sCurveChart draws cumulative PV, EV and AC with BAC and EAC lines, and the
// forecast from the last actual to EAC at the earned-schedule finish.
func sCurveChart(series []row, why string, st projectStatus) *Chart {
	const title = "S-curve: PV, EV and AC"
	note := "Cumulative planned value (PV, time-phased baseline cost), earned value (EV = baseline cost × % complete) and actual cost (AC) per status date from project_evm. BAC is the budget at completion; EAC the estimate at completion (BAC ÷ CPI unless the metrics layer supplies another). The dashed forecast runs from the last AC to EAC at the earned-schedule forecast finish."
	views := []string{"project_evm"}
	if why != "" {
		return emptyChart("s-curve", title, note, views, "No data yet: "+why+".")
	}
	if len(series) == 0 {
		return emptyChart("s-curve", title, note, views, "No earned-value rows for this project on or before this date.")
	}
	pv := timeSeries{Name: "PV", Kind: kindMoney, Points: map[string]*float64{}, Color: palette[0]}
	ev := timeSeries{Name: "EV", Kind: kindMoney, Points: map[string]*float64{}, Color: palette[2]}
	ac := timeSeries{Name: "AC", Kind: kindMoney, Points: map[string]*float64{}, Color: palette[5]}
	for _, rw := range series {
		d := rw.date("as_of")
		pv.Points[d] = roundPtr(rw.fp("pv"), 2)
		ev.Points[d] = roundPtr(rw.fp("ev"), 2)
		ac.Points[d] = roundPtr(rw.fp("ac"), 2)
	}
	out := []timeSeries{pv, ev, ac}
	last := series[len(series)-1]
	eac := eacOf(last)
	var refs []refLine
	if v := last.fp("bac"); v != nil {
		refs = append(refs, refLine{Name: "BAC", Value: round(*v, 2), Kind: kindMoney})
	}
	if eac != nil {
		refs = append(refs, refLine{Name: "EAC", Value: round(*eac, 2), Kind: kindMoney})
	}
	if ff, lastAC := last.date("forecast_finish"), last.fp("ac"); ff != "" && eac != nil && lastAC != nil && ff > last.date("as_of") {
		fc := timeSeries{Name: "Forecast", Kind: kindMoney, Dashed: true, Color: palette[3], Points: map[string]*float64{
			last.date("as_of"): roundPtr(lastAC, 2), ff: roundPtr(eac, 2)}}
		out = append(out, fc)
	}
	ch := timeLineChart("s-curve", title, out, refs, kindMoney)
	ch.Note, ch.Views = note, views
	return ch
}

// indicesChart draws SPI, CPI and SPI(t) per status date.
func indicesChart(series []row, why string) *Chart {
	const title = "SPI, CPI and SPI(t)"
	note := "Schedule performance SPI = EV ÷ PV, cost performance CPI = EV ÷ AC, and the earned-schedule index SPI(t) = ES ÷ AT (in working days of the project calendar), per status date from project_evm. Values below 1.0 are behind schedule or over budget. A missing point is an undefined index (e.g. PV = 0), never a zero."
	views := []string{"project_evm"}
	if why != "" {
		return emptyChart("indices", title, note, views, "No data yet: "+why+".")
	}
	if len(series) == 0 {
		return emptyChart("indices", title, note, views, "No earned-value rows for this project on or before this date.")
	}
	spi := timeSeries{Name: "SPI", Kind: kindIndex, Points: map[string]*float64{}, Color: palette[0]}
	cpi := timeSeries{Name: "CPI", Kind: kindIndex, Points: map[string]*float64{}, Color: palette[5]}
	spit := timeSeries{Name: "SPI(t)", Kind: kindIndex, Points: map[string]*float64{}, Color: palette[2], Dashed: true}
	for _, rw := range series {
		d := rw.date("as_of")
		spi.Points[d] = roundPtr(rw.fp("spi"), 3)
		cpi.Points[d] = roundPtr(rw.fp("cpi"), 3)
		spit.Points[d] = roundPtr(rw.fp("spi_t"), 3)
	}
	ch := timeLineChart("indices", title, []timeSeries{spi, cpi, spit}, []refLine{{Name: "1.0", Value: 1, Kind: kindIndex}}, kindIndex)
	ch.Note, ch.Views = note, views
	return ch
}

// milestoneChart is a milestone trend chart: for each milestone, its forecast
// finish (solid) and baseline finish (dashed) as seen at each snapshot. A rising
// line is a slipping milestone.
func milestoneChart(ms []row, src, why string) *Chart {
	const title = "Milestone slip (baseline vs forecast finish)"
	note := "For each milestone, the forecast finish (solid) and the baseline finish (dashed) recorded in each schedule snapshot, from milestone_slips. Slip is counted in working days of the project calendar (slip_days). The chart shows the ten milestones that slipped most; the table lists all."
	slipLabel := "Slip (working days)"
	if src == "task_snapshots" {
		note = "For each milestone, the current finish (solid) and the baseline finish (dashed) in each imported schedule snapshot, read from task_snapshots until the metrics view milestone_slips is published; slip is in calendar days here. The chart shows the ten milestones that slipped most; the table lists all."
		slipLabel = "Slip (calendar days)"
	}
	views := []string{src}
	if why != "" {
		return emptyChart("milestones", title, note, views, "No data yet: "+why+".")
	}
	if len(ms) == 0 {
		return emptyChart("milestones", title, note, views, "No milestones for this project on or before this date.")
	}
	type mstone struct {
		name  string
		rows  []row
		worst float64
	}
	byName := map[string]*mstone{}
	var order []*mstone
	for _, rw := range ms {
		key := rw.str("milestone") + "\x00" + rw.str("task_uid")
		m, ok := byName[key]
		if !ok {
			m = &mstone{name: rw.str("milestone")}
			byName[key] = m
			order = append(order, m)
		}
		m.rows = append(m.rows, rw)
		if v, ok := rw.num("slip_days"); ok && math.Abs(v) > m.worst {
			m.worst = math.Abs(v)
		}
	}
	drawn := append([]*mstone(nil), order...)
	sort.SliceStable(drawn, func(i, j int) bool { return drawn[i].worst > drawn[j].worst })
	if len(drawn) > 10 {
		drawn = drawn[:10]
	}
	line := charts.NewLine()
	line.SetGlobalOptions(append(baseOpts("item"),
		charts.WithXAxisOpts(opts.XAxis{Type: "time", Name: "snapshot", NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Type: "time", Name: "finish", Scale: opts.Bool(true)}),
	)...)
	var tips [][][][2]string
	for k, m := range drawn {
		color := palette[k%len(palette)]
		var fc, bl []opts.LineData
		var fcTips, blTips [][][2]string
		for _, rw := range m.rows {
			snap := rw.date("snapshot_date")
			slip := formatCell(kindDays, rw["slip_days"])
			if f := rw.date("forecast_finish"); f != "" {
				fc = append(fc, opts.LineData{Value: []any{snap, f}})
				fcTips = append(fcTips, [][2]string{{"Milestone", m.name}, {"Snapshot", snap}, {"Forecast finish", f}, {slipLabel, slip}})
			}
			if bf := rw.date("baseline_finish"); bf != "" {
				bl = append(bl, opts.LineData{Value: []any{snap, bf}})
				blTips = append(blTips, [][2]string{{"Milestone", m.name}, {"Snapshot", snap}, {"Baseline finish", bf}})
			}
		}
		line.AddSeries(m.name, fc, charts.WithLineStyleOpts(opts.LineStyle{Width: 2, Color: color}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: color}))
		line.AddSeries(m.name+" (baseline)", bl, charts.WithLineStyleOpts(opts.LineStyle{Width: 1, Type: "dashed", Color: color}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: color}), charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)}))
		tips = append(tips, fcTips, blTips)
	}
	t := &dataTable{Cols: []column{{"Milestone", kindText}, {"Snapshot", kindDate}, {"Baseline finish", kindDate}, {"Forecast finish", kindDate}, {slipLabel, kindDays}}}
	for _, m := range order {
		for _, rw := range m.rows {
			var slip any
			if v, ok := rw.num("slip_days"); ok {
				slip = round(v, 1)
			}
			t.Rows = append(t.Rows, []cell{{V: m.name}, {V: rw.date("snapshot_date")}, {V: rw.date("baseline_finish")}, {V: rw.date("forecast_finish")}, {V: slip}})
		}
	}
	return &Chart{ID: "milestones", Title: title, Note: note, Views: views, Option: optionOf(line), Tips: mustJSON(tips), Table: t,
		Summary: fmt.Sprintf("%s: %d milestones; for each, forecast and baseline finish per snapshot. The table view lists every value.", title, len(order))}
}

// wbsChart sums task SV and CV by top-level WBS element.
func wbsChart(tasks []row, src, why string) *Chart {
	const title = "Variance by WBS"
	note := "Schedule variance (SV = EV − PV) and cost variance (CV = EV − AC) of leaf, active tasks in the latest snapshot on or before the as-of date, summed by top-level WBS element, from " + src + ". Negative is behind schedule or over budget."
	if src == "task_snapshots" {
		note += " Until the metrics view task_evm is published, PV, EV and AC are Microsoft Project's own BCWS, BCWP and ACWP at the snapshot's status date."
	}
	views := []string{src}
	if why != "" {
		return emptyChart("wbs-variance", title, note, views, "No data yet: "+why+".")
	}
	if len(tasks) == 0 {
		return emptyChart("wbs-variance", title, note, views, "No task rows for this project on or before this date.")
	}
	type agg struct{ sv, cv *float64 }
	sums := map[string]*agg{}
	names := map[string]string{}
	var keys []string
	for _, t := range tasks {
		wbs := t.str("wbs")
		top, _, _ := strings.Cut(wbs, ".")
		if wbs == top && t.str("task_name") != "" {
			names[top] = t.str("task_name")
		}
		a, ok := sums[top]
		if !ok {
			a = &agg{}
			sums[top] = a
			keys = append(keys, top)
		}
		a.sv = sumPtr(a.sv, t.fp("sv"))
		a.cv = sumPtr(a.cv, t.fp("cv"))
	}
	sort.SliceStable(keys, func(i, j int) bool { return wbsLess(keys[i], keys[j]) })
	var cats []string
	var sv, cv []*float64
	for _, k := range keys {
		label := "WBS " + k
		if n := names[k]; n != "" {
			label += " " + n
		}
		cats = append(cats, label)
		sv = append(sv, roundPtr(sums[k].sv, 2))
		cv = append(cv, roundPtr(sums[k].cv, 2))
	}
	ch := barChart("wbs-variance", title, cats, nil, []barSeries{
		{Name: "SV", Kind: kindMoney, Values: sv, Color: palette[0]},
		{Name: "CV", Kind: kindMoney, Values: cv, Color: palette[5]},
	}, false, []refLine{{Name: "0", Value: 0}})
	ch.Note, ch.Views = note, views
	return ch
}

// deliveryCharts fills the Jira delivery section when the project has flow data.
func (s *server) deliveryCharts(r *req, b *projectBody, id string) error {
	flow, why, err := r.flowWeekly(id)
	if err != nil {
		return err
	}
	fc, fwhy, err := r.forecastRows(id)
	if err != nil {
		return err
	}
	b.Forecasts = fc
	switch {
	case why != "" && fwhy != "":
		b.Delivery, b.FlowMissing = true, why
	case len(flow) == 0 && len(fc) == 0:
		// A schedule-driven project: no delivery section.
		return nil
	default:
		b.Delivery = true
	}
	flowViews := []string{"flow_weekly"}

	// Throughput and WIP.
	{
		const title = "Weekly throughput and WIP"
		note := "Items finished per week (throughput) and work in progress at week end (WIP) from flow_weekly, for weeks starting on or before the as-of date."
		switch {
		case why != "":
			b.Throughput = emptyChart("throughput", title, note, flowViews, "No data yet: "+why+".")
		case len(flow) == 0:
			b.Throughput = emptyChart("throughput", title, note, flowViews, "No finished work recorded for this project.")
		default:
			var cats []string
			var tp, wip []*float64
			hasWIP := false
			for _, rw := range flow {
				cats = append(cats, rw.date("week_start"))
				tp = append(tp, rw.fp("throughput"))
				w := rw.fp("wip")
				wip = append(wip, w)
				hasWIP = hasWIP || w != nil
			}
			series := []barSeries{{Name: "Throughput", Kind: kindInt, Values: tp, Color: palette[0]}}
			if hasWIP {
				series = append(series, barSeries{Name: "WIP", Kind: kindInt, Values: wip, Color: palette[1], Line: true})
			}
			b.Throughput = barChart("throughput", title, cats, nil, series, false, nil)
			b.Throughput.Note, b.Throughput.Views = note, flowViews
		}
	}

	// Burn-up: cumulative done against total scope (done + remaining at each forecast).
	{
		const title = "Burn-up"
		note := "Cumulative items finished (running sum of weekly throughput from flow_weekly) and total scope = items finished by each forecast date + remaining_items from forecasts. The gap between the lines is the remaining work."
		views := []string{"flow_weekly", "forecasts"}
		if why != "" {
			b.Burnup = emptyChart("burn-up", title, note, views, "No data yet: "+why+".")
		} else if len(flow) == 0 {
			b.Burnup = emptyChart("burn-up", title, note, views, "No finished work recorded for this project.")
		} else {
			done := timeSeries{Name: "Done", Kind: kindInt, Points: map[string]*float64{}, Color: palette[2], Area: true}
			cum := 0.0
			var weeks []string
			var cums []float64
			for _, rw := range flow {
				v, _ := rw.num("throughput")
				cum += v
				d := rw.date("week_start")
				done.Points[d] = fptr(cum)
				weeks = append(weeks, d)
				cums = append(cums, cum)
			}
			series := []timeSeries{done}
			scopeName := ""
			if len(fc) > 0 {
				scopeName = fc[0].str("scope")
			}
			hist, err := r.forecastHistory(id, scopeName)
			if err != nil {
				return err
			}
			if len(hist) > 0 {
				scope := timeSeries{Name: "Scope", Kind: kindInt, Points: map[string]*float64{}, Color: palette[0], Dashed: true}
				for _, h := range hist {
					d := h.date("as_of")
					rem, ok := h.num("remaining_items")
					if !ok {
						continue
					}
					doneBy := 0.0
					for k, w := range weeks {
						if w <= d {
							doneBy = cums[k]
						}
					}
					scope.Points[d] = fptr(doneBy + rem)
				}
				series = append(series, scope)
			}
			b.Burnup = timeLineChart("burn-up", title, series, nil, kindInt)
			b.Burnup.Note, b.Burnup.Views = note, views
		}
	}

	// Cycle-time scatter.
	{
		const title = "Cycle time of finished items"
		note := "Each point is an item from cycle_times: days from start of work to done, by finish date (newest 2,000 on or before the as-of date). The 50th and 85th percentile lines are computed from the points drawn (nearest rank)."
		views := []string{"cycle_times"}
		ct, cwhy, err := r.cycleTimes(id, 2000)
		if err != nil {
			return err
		}
		switch {
		case cwhy != "":
			b.CycleTimes = emptyChart("cycle-times", title, note, views, "No data yet: "+cwhy+".")
		case len(ct) == 0:
			b.CycleTimes = emptyChart("cycle-times", title, note, views, "No finished items on or before this date.")
		default:
			var pts []datedPoint
			var vals []float64
			for k := len(ct) - 1; k >= 0; k-- {
				rw := ct[k]
				v, ok := rw.num("cycle_days")
				if !ok {
					continue
				}
				v = round(v, 1)
				pts = append(pts, datedPoint{Date: rw.date("finished"), Value: v, Label: rw.str("item")})
				vals = append(vals, v)
			}
			var refs []refLine
			if len(vals) > 0 {
				refs = []refLine{{Name: "p50", Value: percentile(vals, 0.50), Kind: kindDays}, {Name: "p85", Value: percentile(vals, 0.85), Kind: kindDays}}
			}
			b.CycleTimes = timeScatterChart("cycle-times", title, "Cycle time (days)", kindDays, pts, refs)
			b.CycleTimes.Note, b.CycleTimes.Views = note, views
		}
	}

	// Monte Carlo histogram.
	{
		const title = "Monte Carlo completion forecast"
		views := []string{"forecasts", "flow_weekly"}
		note := "Distribution of completion weeks over 10,000 trials that draw weekly throughput from the project's history (zero weeks kept) until the remaining items are done. The p50/p85/p95 lines are the forecasts view's dates: half, 85% and 95% of trials finish by then."
		switch {
		case fwhy != "":
			b.MonteCarlo = emptyChart("monte-carlo", title, note, views, "No data yet: "+fwhy+".")
		case len(fc) == 0:
			b.MonteCarlo = emptyChart("monte-carlo", title, note, views, "No forecast for this project on or before this date.")
		default:
			ch, err := s.monteCarloChart(r, id, fc[0], title, note)
			if err != nil {
				return err
			}
			b.MonteCarlo = ch
		}
	}

	// Sprint commitment versus completion.
	{
		const title = "Sprint commitment and completion"
		note := "Story points committed at sprint start (reconstructed from sprint membership history), added and removed during the sprint, and completed, from sprint_reports."
		views := []string{"sprint_reports"}
		sp, swhy, err := r.sprints(id)
		if err != nil {
			return err
		}
		switch {
		case swhy != "":
			b.Sprints = emptyChart("sprints", title, note, views, "No data yet: "+swhy+".")
		case len(sp) == 0:
			b.Sprints = nil
		default:
			var cats []string
			var com, add, rem, done []*float64
			for _, rw := range sp {
				cats = append(cats, rw.str("sprint"))
				com = append(com, rw.fp("committed_points"))
				add = append(add, rw.fp("added_points"))
				rem = append(rem, rw.fp("removed_points"))
				done = append(done, rw.fp("completed_points"))
			}
			b.Sprints = barChart("sprints", title, cats, nil, []barSeries{
				{Name: "Committed", Kind: kindNum, Values: com, Color: palette[0]},
				{Name: "Added", Kind: kindNum, Values: add, Color: palette[1]},
				{Name: "Removed", Kind: kindNum, Values: rem, Color: palette[6]},
				{Name: "Completed", Kind: kindNum, Values: done, Color: palette[2]},
			}, false, nil)
			b.Sprints.Note, b.Sprints.Views = note, views
		}
	}
	return nil
}

// monteCarloChart draws the distribution of completion dates the forecast's
// trials produced (forecast_distribution) with the forecasts view's
// p50/p85/p95 dates marked.
func (s *server) monteCarloChart(r *req, id string, f row, title, note string) (*Chart, error) {
	asOf := f.date("as_of")
	views := []string{"forecasts", "forecast_distribution"}
	dist, err := r.forecastDistribution(id, asOf, f.str("scope"))
	if err != nil {
		return nil, err
	}
	if len(dist) == 0 {
		// Each Monte Carlo forecast is published with its distribution; a
		// warehouse older than forecast_distribution shows the dates alone.
		return emptyChart("monte-carlo", title, note, views, "This forecast was published without its distribution: sync again to draw it."), nil
	}
	note = "Distribution of completion dates over the forecast's Monte Carlo trials, from forecast_distribution; the p50/p85/p95 lines are the forecasts view's dates."
	var cats []string
	var counts []*float64
	for _, d := range dist {
		cats = append(cats, d.date("finish_date"))
		counts = append(counts, d.fp("trials"))
	}
	markerAt := func(date string) string {
		for _, c := range cats {
			if c >= date {
				return c
			}
		}
		if len(cats) > 0 {
			return cats[len(cats)-1]
		}
		return ""
	}
	var refs []refLine
	marks := map[string][]string{}
	for _, pc := range []string{"p50", "p85", "p95"} {
		d := f.date(pc + "_date")
		if d == "" {
			continue
		}
		at := markerAt(d)
		refs = append(refs, refLine{Name: pc, X: at})
		marks[at] = append(marks[at], pc+" "+d)
	}
	ch := barChart("monte-carlo", title, cats, nil, []barSeries{{Name: "Trials", Kind: kindInt, Values: counts, Color: palette[4]}}, false, refs)
	ch.Note, ch.Views = note, views
	total := 0.0
	for _, c := range counts {
		if c != nil {
			total += *c
		}
	}
	t := &dataTable{Cols: []column{{"Finish by", kindDate}, {"Trials", kindInt}, {"Cumulative share", kindRatio}, {"Marker", kindText}}}
	cum := 0.0
	for k, c := range cats {
		v := 0.0
		if counts[k] != nil {
			v = *counts[k]
		}
		cum += v
		share := 0.0
		if total > 0 {
			share = round(cum/total, 4)
		}
		t.Rows = append(t.Rows, []cell{{V: c}, {V: v}, {V: share}, {V: strings.Join(marks[c], ", ")}})
	}
	ch.Table = t
	return ch, nil
}

// percentile is the nearest-rank percentile of vals (which it sorts a copy of).
func percentile(vals []float64, p float64) float64 {
	s := append([]float64(nil), vals...)
	sort.Float64s(s)
	k := int(math.Ceil(p*float64(len(s)))) - 1
	if k < 0 {
		k = 0
	}
	return s[k]
}
