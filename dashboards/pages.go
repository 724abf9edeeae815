package dashboards

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pmlens/pmlens/auth"
)

// kpi is one tile at the top of a page.
type kpi struct {
	Label string
	Value string
	Hint  string
	Class string
}

// projectRow is a row of the RAG table.
type projectRow struct {
	projectStatus
	Href        string
	ProgramHref string
	ReasonList  []string
}

// portfolioBody is the model of the portfolio and program pages.
type portfolioBody struct {
	Scope      string
	Projects   []projectRow
	NoEVM      string
	KPIs       []kpi
	RollupNote string
	Bubble     *Chart
	Trend      *Chart
	TopRisks   *Chart
	Freshness  []sourceFreshness
	RisksHref  string
}

// filterBarFor builds the filter form from the projects table.
func filterBarFor(all []projectInfo, p params, action string, scope bool) *filterBar {
	var portfolios, programs []string
	for _, pr := range all {
		portfolios = append(portfolios, pr.Portfolio)
		if p.Portfolio == "" || pr.Portfolio == p.Portfolio {
			programs = append(programs, pr.Program)
		}
	}
	return &filterBar{Action: action, Portfolios: distinctSorted(portfolios), Programs: distinctSorted(programs),
		Portfolio: p.Portfolio, Program: p.Program, AsOf: p.AsOf, ShowScope: scope}
}

func asOfText(p params, latest string) string {
	if p.AsOf != "" {
		return "As of " + p.AsOf
	}
	if latest != "" {
		return "Latest data (newest status date " + latest + ")"
	}
	return "Latest data"
}

func printFilters(p params) string {
	parts := []string{}
	if p.Portfolio != "" {
		parts = append(parts, "Portfolio: "+p.Portfolio)
	}
	if p.Program != "" {
		parts = append(parts, "Program: "+p.Program)
	}
	if p.AsOf != "" {
		parts = append(parts, "As of: "+p.AsOf)
	} else {
		parts = append(parts, "As of: latest")
	}
	return strings.Join(parts, " · ")
}

func (s *server) portfolioPage(r *req) (*pageData, string, error) {
	all, err := r.allProjects()
	if err != nil {
		return nil, "", err
	}
	if err := r.checkFilters(all); err != nil {
		return nil, "", err
	}
	heading := "Portfolio"
	switch {
	case r.p.Program != "":
		heading = "Portfolio · program " + r.p.Program
	case r.p.Portfolio != "":
		heading = "Portfolio · " + r.p.Portfolio
	}
	pd := &pageData{Heading: heading, Nav: "portfolio", Filters: filterBarFor(all, r.p, "/", true)}
	body, err := s.overview(r, pd, "/", "portfolio")
	if err != nil {
		return nil, "", err
	}
	pd.Body = body
	return pd, "portfolio", nil
}

func (s *server) programPage(r *req) (*pageData, string, error) {
	name := r.c.Param("name")
	all, err := r.allProjects()
	if err != nil {
		return nil, "", err
	}
	portfolio := ""
	found := false
	for _, p := range all {
		if p.Program == name {
			found, portfolio = true, p.Portfolio
		}
	}
	if !found {
		return nil, "", &notFound{"Program not found", fmt.Sprintf("There is no program named %q in the warehouse.", name)}
	}
	// The program fixes the scope; query filters other than as_of do not apply.
	r.p.Program, r.p.Portfolio, r.p.Project = name, "", ""
	path := "/program/" + pathEscape(name)
	pd := &pageData{Heading: "Program · " + name, Nav: "portfolio", Filters: filterBarFor(all, r.p, path, false)}
	pd.Crumbs = []crumb{{"Portfolio", "/" + params{AsOf: r.p.AsOf}.query()}}
	if portfolio != "" {
		pd.Crumbs = append(pd.Crumbs, crumb{portfolio, "/" + params{AsOf: r.p.AsOf, Portfolio: portfolio}.query()})
	}
	body, err := s.overview(r, pd, path, "program")
	if err != nil {
		return nil, "", err
	}
	pd.Body = body
	return pd, "program", nil
}

// overview builds the shared body of the portfolio and program pages.
func (s *server) overview(r *req, pd *pageData, path, scope string) (*portfolioBody, error) {
	b := &portfolioBody{Scope: scope}
	statuses, noEVM, err := r.projectStatuses()
	if err != nil {
		return nil, err
	}
	b.NoEVM = noEVM
	latest := r.latestAsOf()
	pd.AsOfText = asOfText(r.p, latest)
	pd.PrintFilters = printFilters(r.p)
	pd.PublishedAt = r.publishedAt()
	pd.Version = r.version

	counts := map[string]int{}
	var pts []bubble
	for _, st := range statuses {
		row := projectRow{projectStatus: st, Href: st.href(r.p)}
		if st.Program != "" {
			row.ProgramHref = "/program/" + pathEscape(st.Program) + params{AsOf: r.p.AsOf}.query()
		}
		for _, reason := range strings.Split(st.Reasons, ";") {
			if reason = strings.TrimSpace(reason); reason != "" {
				row.ReasonList = append(row.ReasonList, reason)
			}
		}
		b.Projects = append(b.Projects, row)
		counts[st.RAG]++
		if st.SPI != nil && st.CPI != nil {
			bac := 0.0
			if st.BAC != nil {
				bac = round(*st.BAC, 2)
			}
			pts = append(pts, bubble{Name: st.Name, RAG: st.RAG, Href: row.Href, SPI: round(*st.SPI, 3), CPI: round(*st.CPI, 3), BAC: bac,
				Tip: [][2]string{{"Project", st.Name}, {"Status", ragStyle[st.RAG].Label}, {"SPI", formatNumber(round(*st.SPI, 3), kindIndex)},
					{"CPI", formatNumber(round(*st.CPI, 3), kindIndex)}, {"BAC", formatNumber(bac, kindMoney) + " " + st.Currency}, {"As of", st.AsOf}}})
		}
	}

	src, err := r.rollupSource(statuses)
	if err != nil {
		return nil, err
	}
	trend, err := r.scopeTrend(src)
	if err != nil {
		return nil, err
	}
	tot := scopeTotals(src, trend)
	b.RollupNote = src.missing
	money := func(v *float64) string {
		if v == nil {
			return "—"
		}
		return formatNumber(*v, kindMoney) + " " + tot.Currency
	}
	b.KPIs = []kpi{
		{Label: "Projects", Value: fmt.Sprint(len(statuses))},
		{Label: "BAC", Value: money(tot.BAC), Hint: "budget at completion"},
		{Label: "EAC", Value: money(tot.EAC), Hint: "estimate at completion"},
		{Label: "VAC", Value: money(tot.VAC), Hint: "BAC − EAC; negative is an overrun", Class: negClass(tot.VAC)},
		{Label: "SPI", Value: formatPtr(kindIndex, roundPtr(tot.SPI, 3)), Hint: "ΣEV ÷ ΣPV"},
		{Label: "CPI", Value: formatPtr(kindIndex, roundPtr(tot.CPI, 3)), Hint: "ΣEV ÷ ΣAC"},
		{Label: "Red", Value: fmt.Sprint(counts["red"]), Class: "rag-red"},
		{Label: "Amber", Value: fmt.Sprint(counts["amber"]), Class: "rag-amber"},
		{Label: "Green", Value: fmt.Sprint(counts["green"]), Class: "rag-green"},
	}
	if n := counts[""]; n > 0 {
		b.KPIs = append(b.KPIs, kpi{Label: "No status", Value: fmt.Sprint(n), Class: "rag-none"})
	}

	bubbleNote := "Each bubble is a project's latest project_evm row on or before the as-of date: SPI = EV ÷ PV across, CPI = EV ÷ AC up; bubble area is proportional to BAC. Right of 1.0 is ahead of schedule, above 1.0 under budget. Colour, symbol and legend give the RAG status the metrics layer assigned."
	switch {
	case noEVM != "":
		b.Bubble = emptyChart("spi-cpi", "Schedule × cost performance", bubbleNote, []string{"project_evm"}, "No data yet: "+noEVM+".")
	case len(pts) == 0:
		b.Bubble = emptyChart("spi-cpi", "Schedule × cost performance", bubbleNote, []string{"project_evm"}, "No project has SPI and CPI on or before this date.")
	default:
		b.Bubble = bubbleChart("spi-cpi", "Schedule × cost performance", pts)
		b.Bubble.Note, b.Bubble.Views = bubbleNote, []string{"project_evm"}
	}
	pd.addChart(b.Bubble, path, r.p)

	trendNote := fmt.Sprintf("SPI and CPI of the whole scope per status date, recomputed from summed values (ΣEV ÷ ΣPV, ΣEV ÷ ΣAC), never averaged; each %s carries its latest row forward to dates on which it did not report. Source: %s.", keyWord(src.key), src.rel)
	if src.missing != "" {
		b.Trend = emptyChart("cpi-spi-trend", "CPI and SPI trend", trendNote, []string{"portfolio_evm", "program_evm"}, "No data yet: "+src.missing+".")
	} else if len(trend) == 0 {
		b.Trend = emptyChart("cpi-spi-trend", "CPI and SPI trend", trendNote, []string{src.rel}, "No earned-value rows on or before this date.")
	} else {
		spi, cpi := timeSeries{Name: "SPI", Kind: kindIndex, Points: map[string]*float64{}}, timeSeries{Name: "CPI", Kind: kindIndex, Points: map[string]*float64{}}
		for _, t := range trend {
			d := t.date("d")
			spi.Points[d] = roundPtr(t.fp("spi"), 3)
			cpi.Points[d] = roundPtr(t.fp("cpi"), 3)
		}
		b.Trend = timeLineChart("cpi-spi-trend", "CPI and SPI trend", []timeSeries{spi, cpi}, []refLine{{Name: "1.0", Value: 1, Kind: kindIndex}}, kindIndex)
		b.Trend.Note, b.Trend.Views = trendNote, []string{src.rel}
	}
	pd.addChart(b.Trend, path, r.p)

	b.TopRisks, err = s.topRisksChart(r)
	if err != nil {
		return nil, err
	}
	pd.addChart(b.TopRisks, path, r.p)
	b.RisksHref = "/risks" + r.p.query()

	if b.Freshness, err = r.freshness(); err != nil {
		return nil, err
	}
	return b, nil
}

func keyWord(key string) string {
	switch key {
	case "project_id":
		return "project"
	case "":
		return "key"
	}
	return key
}

func negClass(v *float64) string {
	if v != nil && *v < 0 {
		return "neg"
	}
	return ""
}

// topRisksChart is the ten open risks with the highest EMV in scope; across
// projects it ranks and draws EMV in the portfolio currency when the risk views
// provide it, so projects in different currencies compare fairly.
func (s *server) topRisksChart(r *req) (*Chart, error) {
	const title = "Top 10 risks by EMV"
	note := "Open risks of each project's latest risk statement on or before the as-of date, ranked by expected monetary value (EMV = probability × cost impact). Closed or resolved risks are left out."
	items, why, err := r.risks(0, 0, 10)
	if err != nil {
		return nil, err
	}
	rel := r.cat.first("risk_scores", "risk_snapshots")
	if rel == "" {
		rel = "risk_scores"
	}
	if why != "" {
		return emptyChart("top-risks", title, note, []string{rel}, "No data yet: "+why+"."), nil
	}
	if len(items) == 0 {
		return emptyChart("top-risks", title, note, []string{rel}, "No open risks on or before this date."), nil
	}
	portfolioCur := true
	for _, it := range items {
		if it.EMVPortfolio == nil {
			portfolioCur = false
		}
	}
	series := "EMV (project currency)"
	if portfolioCur {
		series = "EMV (" + r.portfolioCurrency() + ")"
		note += " EMV is converted to the portfolio currency (emv_portfolio)."
	}
	var cats, links []string
	vals := make([]*float64, 0, len(items))
	for _, it := range items {
		cats = append(cats, fmt.Sprintf("%s — %s", it.ProjectName, it.Title))
		links = append(links, "/project/"+pathEscape(it.ProjectID)+params{AsOf: r.p.AsOf}.query()+"#risks")
		v := it.EMV
		if portfolioCur {
			v = it.EMVPortfolio
		}
		vals = append(vals, roundPtr(v, 2))
	}
	ch := barChart("top-risks", title, cats, links, []barSeries{{Name: series, Kind: kindMoney, Values: vals, Color: palette[5]}}, true, nil)
	ch.Note, ch.Views = note, []string{rel}
	ch.Table = riskTable(items, r.p, portfolioCur, series)
	return ch, nil
}

// portfolioCurrency is metrics.currency (default USD).
func (r *req) portfolioCurrency() string {
	if cfg := r.s.opts.Config; cfg != nil && cfg.Metrics.Currency != "" {
		return cfg.Metrics.Currency
	}
	return "USD"
}

// riskTable lists risks with the EMV the chart draws.
func riskTable(items []riskItem, p params, portfolioCur bool, emvLabel string) *dataTable {
	t := &dataTable{Cols: []column{{"Project", kindText}, {"Risk", kindText}, {"Title", kindText}, {"Probability level", kindInt},
		{"Impact level", kindInt}, {emvLabel, kindMoney}, {"Status", kindText}, {"As of", kindDate}}}
	for _, it := range items {
		var pr, im any
		if it.Probability != nil {
			pr = *it.Probability
		}
		if it.Impact != nil {
			im = *it.Impact
		}
		v := it.EMV
		if portfolioCur {
			v = it.EMVPortfolio
		}
		var emv any
		if v != nil {
			emv = round(*v, 2)
		}
		t.Rows = append(t.Rows, []cell{{V: it.ProjectName, Href: "/project/" + pathEscape(it.ProjectID) + params{AsOf: p.AsOf}.query()},
			{V: it.RiskID}, {V: it.Title}, {V: pr}, {V: im}, {V: emv}, {V: it.Status}, {V: it.AsOf}})
	}
	return t
}

// risksBody is the model of the Risks page.
type risksBody struct {
	KPIs     []kpi
	Matrix   *Chart
	Exposure *Chart
	Top      *Chart
	Cell     *riskCellList
}

// riskCellList is the server-rendered list of one matrix cell's risks.
type riskCellList struct {
	Probability, Impact int64
	Items               []riskItem
	Missing             string
	CloseHref           string
}

func (s *server) risksPage(r *req) (*pageData, string, error) {
	all, err := r.allProjects()
	if err != nil {
		return nil, "", err
	}
	if err := r.checkFilters(all); err != nil {
		return nil, "", err
	}
	pd := &pageData{Heading: "Risks", Nav: "risks", Filters: filterBarFor(all, r.p, "/risks", true)}
	if r.p.Project != "" {
		for _, p := range all {
			if p.ID == r.p.Project {
				pd.Heading = "Risks · " + p.Name
				pd.Filters.HiddenFields = map[string]string{"project": p.ID}
			}
		}
	}
	pd.AsOfText = asOfText(r.p, r.latestAsOf())
	pd.PrintFilters = printFilters(r.p)
	pd.PublishedAt, pd.Version = r.publishedAt(), r.version
	b := &risksBody{}
	if b.Matrix, err = s.matrixChart(r, "/risks"); err != nil {
		return nil, "", err
	}
	pd.addChart(b.Matrix, "/risks", r.p)
	if b.Cell, err = s.cellList(r, "/risks"); err != nil {
		return nil, "", err
	}
	var exp []row
	if b.Exposure, exp, err = s.exposureChart(r); err != nil {
		return nil, "", err
	}
	pd.addChart(b.Exposure, "/risks", r.p)
	if b.Top, err = s.topRisksChart(r); err != nil {
		return nil, "", err
	}
	pd.addChart(b.Top, "/risks", r.p)
	if len(exp) > 0 {
		last := exp[len(exp)-1]
		cur := r.portfolioCurrency()
		if r.p.Project != "" {
			for _, p := range all {
				if p.ID == r.p.Project && p.Currency != "" {
					cur = p.Currency
				}
			}
		}
		money := func(v *float64) string {
			if v == nil {
				return "—"
			}
			return formatNumber(*v, kindMoney) + " " + cur
		}
		b.KPIs = append(b.KPIs,
			kpi{Label: "Open risks", Value: formatPtr(kindInt, last.fp("open_risks"))},
			kpi{Label: "EMV", Value: money(roundPtr(last.fp("emv"), 2)), Hint: "Σ probability × cost impact"},
			kpi{Label: "Contingency", Value: money(roundPtr(last.fp("contingency"), 2))},
			kpi{Label: "Coverage", Value: formatPtr(kindRatio, ratio(last.fp("contingency"), last.fp("emv"))), Hint: "contingency ÷ EMV"},
			kpi{Label: "Overdue responses", Value: formatPtr(kindInt, last.fp("overdue"))},
		)
	}
	pd.Body = b
	return pd, "risks", nil
}

// matrixChart is the 5×5 heat map of the projects in scope.
func (s *server) matrixChart(r *req, path string) (*Chart, error) {
	const title = "Risk matrix (probability × impact)"
	note := "Counts of open risks per probability and impact level (1–5) from risk_matrix, each project at its latest as-of date on or before the one shown, summed over the projects in scope. Levels and bands come from the configured 5×5 matrix (metrics.risk); a risk the matrix cannot place is in no cell."
	m, why, err := r.riskMatrix()
	if err != nil {
		return nil, err
	}
	if why != "" {
		return emptyChart("risk-matrix", title, note, []string{"risk_matrix"}, "No data yet: "+why+"."), nil
	}
	total := int64(0)
	for p := range m {
		for i := range m[p] {
			total += m[p][i].Risks
		}
	}
	if total == 0 {
		return emptyChart("risk-matrix", title, note, []string{"risk_matrix"}, "No open risks on or before this date."), nil
	}
	cellHref := func(p, i int) string {
		return path + r.p.query("cell", fmt.Sprintf("%d-%d", p, i)) + "#risk-cell"
	}
	api := "/api/v1/risks" + r.p.query()
	ch := riskMatrixChart("risk-matrix", title, m, cellHref, api)
	ch.Note, ch.Views = note, []string{"risk_matrix"}
	return ch, nil
}

// cellList renders ?cell=P-I: the risks in one matrix cell, without JavaScript.
func (s *server) cellList(r *req, path string) (*riskCellList, error) {
	raw := r.c.Query("cell")
	if raw == "" {
		return nil, nil
	}
	var p, i int64
	if _, err := fmt.Sscanf(raw, "%d-%d", &p, &i); err != nil || p < 1 || p > 5 || i < 1 || i > 5 || fmt.Sprintf("%d-%d", p, i) != raw {
		return nil, &badRequest{fmt.Sprintf("cell must be PROBABILITY-IMPACT with levels 1 to 5, for example 4-3; got %q", raw)}
	}
	items, why, err := r.risks(p, i, 500)
	if err != nil {
		return nil, err
	}
	return &riskCellList{Probability: p, Impact: i, Items: items, Missing: why, CloseHref: path + r.p.query()}, nil
}

// exposureChart is EMV against contingency over time for the projects in scope.
func (s *server) exposureChart(r *req) (*Chart, []row, error) {
	const title = "Risk exposure against contingency"
	note := "Σ EMV of open risks (probability × cost impact) and Σ contingency reserve per as-of date, each project's latest row carried forward to later dates. Exposure above the contingency line means the reserve no longer covers the expected cost of risk."
	rows, rel, why, err := r.riskExposure()
	if err != nil {
		return nil, nil, err
	}
	if rel != "risk_exposure" {
		note += " Roll-ups come from " + rel + ", in the portfolio currency."
	}
	if why != "" {
		return emptyChart("risk-exposure", title, note, []string{rel}, "No data yet: "+why+"."), nil, nil
	}
	if len(rows) == 0 {
		return emptyChart("risk-exposure", title, note, []string{rel}, "No risk exposure rows on or before this date."), nil, nil
	}
	emv := timeSeries{Name: "EMV", Kind: kindMoney, Points: map[string]*float64{}, Color: palette[5], Area: true}
	cont := timeSeries{Name: "Contingency", Kind: kindMoney, Points: map[string]*float64{}, Color: palette[0], Dashed: true}
	hasCont := false
	for _, rw := range rows {
		d := rw.date("d")
		emv.Points[d] = roundPtr(rw.fp("emv"), 2)
		if v := rw.fp("contingency"); v != nil {
			cont.Points[d] = roundPtr(v, 2)
			hasCont = true
		}
	}
	series := []timeSeries{emv}
	if hasCont {
		series = append(series, cont)
	}
	ch := timeLineChart("risk-exposure", title, series, nil, kindMoney)
	ch.Note, ch.Views = note, []string{rel}
	return ch, rows, nil
}

// dataBody is the model of the Data page.
type dataBody struct {
	Sources  []sourceFreshness
	Runs     []syncRun
	Problems []syncProblem
	Rows     *Chart
	// CanSync shows admins a "Sync now" button per configured source.
	CanSync bool
}

func (s *server) dataPage(r *req) (*pageData, string, error) {
	pd := &pageData{Heading: "Data", Nav: "data", Filters: &filterBar{Action: "/data", AsOf: r.p.AsOf}}
	r.p.Portfolio, r.p.Program, r.p.Project = "", "", ""
	pd.AsOfText = asOfText(r.p, "")
	if r.p.AsOf != "" {
		pd.AsOfText = "Runs started on or before " + r.p.AsOf
	}
	pd.PrintFilters = printFilters(r.p)
	pd.PublishedAt, pd.Version = r.publishedAt(), r.version
	b := &dataBody{}
	if _, ok := s.opts.Scheduler.(SyncTrigger); ok && r.who.Can(auth.RoleAdmin) {
		b.CanSync = true
	}
	if name := r.c.Query("sync"); name != "" && len(name) <= 200 {
		pd.Notices = append(pd.Notices, fmt.Sprintf("The sync of %s has started; its run appears here when it finishes (reload the page).", name))
	}
	var err error
	if b.Sources, err = r.freshness(); err != nil {
		return nil, "", err
	}
	if b.Runs, err = r.syncRuns("", 200); err != nil {
		return nil, "", err
	}
	if b.Problems, err = r.syncProblems(200); err != nil {
		return nil, "", err
	}
	const title = "Rows loaded per run"
	note := "rows_loaded of each sync run (sync_runs), by source, newest 200 runs. A failed run loads nothing: its rows were rolled back and the previously published data stayed."
	if len(b.Runs) == 0 {
		b.Rows = emptyChart("rows-loaded", title, note, []string{"sync_runs"}, "No sync has run yet.")
	} else {
		runs := append([]syncRun(nil), b.Runs...)
		sort.Slice(runs, func(i, j int) bool { return runs[i].RunID < runs[j].RunID })
		var cats []string
		var sources []string
		for _, run := range runs {
			sources = append(sources, run.Source)
		}
		sources = distinctSorted(sources)
		vals := map[string][]*float64{}
		for _, src := range sources {
			vals[src] = make([]*float64, len(runs))
		}
		for j, run := range runs {
			cats = append(cats, fmt.Sprintf("#%d %s", run.RunID, run.StartedAt.UTC().Format("01-02 15:04")))
			vals[run.Source][j] = fptr(float64(run.RowsLoaded))
		}
		var series []barSeries
		for k, src := range sources {
			series = append(series, barSeries{Name: src, Kind: kindInt, Values: vals[src], Color: palette[k%len(palette)], Stack: "rows"})
		}
		b.Rows = barChart("rows-loaded", title, cats, nil, series, false, nil)
		b.Rows.Note, b.Rows.Views = note, []string{"sync_runs"}
	}
	pd.addChart(b.Rows, "/data", r.p)
	pd.Body = b
	return pd, "data", nil
}
