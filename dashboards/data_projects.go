package dashboards

import (
	"fmt"
	"sort"
	"strings"
)

// evmColumns are the project_evm measures (issue 5 §7) the pages and API read; any
// that a published version lacks are simply absent from the rows.
var evmColumns = []string{"bac", "pv", "ev", "ac", "sv", "cv", "spi", "cpi", "sv_pct", "cv_pct",
	"eac", "eac_cpi", "eac_atypical", "eac_cpi_spi", "eac_weighted", "eac_bottom_up", "etc", "vac",
	"tcpi_bac", "tcpi_eac", "es_days", "at_days", "sv_t_days", "spi_t", "tspi", "ieac_t_days",
	"forecast_finish", "rag", "rag_reasons"}

// projectInfo is a row of the projects table.
type projectInfo struct {
	ID        string   `json:"project_id"`
	Name      string   `json:"name"`
	Program   string   `json:"program"`
	Portfolio string   `json:"portfolio"`
	Currency  string   `json:"currency"`
	Budget    *float64 `json:"budget"`
}

// projectStatus is a project with its latest earned-value row as of the request date.
type projectStatus struct {
	projectInfo
	AsOf           string   `json:"as_of"`
	BAC            *float64 `json:"bac"`
	PV             *float64 `json:"pv"`
	EV             *float64 `json:"ev"`
	AC             *float64 `json:"ac"`
	EAC            *float64 `json:"eac"`
	VAC            *float64 `json:"vac"`
	SPI            *float64 `json:"spi"`
	CPI            *float64 `json:"cpi"`
	SPIt           *float64 `json:"spi_t"`
	TCPI           *float64 `json:"tcpi_eac"`
	ForecastFinish string   `json:"forecast_finish"`
	RAG            string   `json:"rag"`
	Reasons        string   `json:"rag_reasons"`
	// EVM holds every project_evm column of the row (the API's full record).
	EVM row `json:"evm,omitempty"`
}

func (p projectStatus) href(q params) string {
	return "/project/" + pathEscape(p.ID) + params{AsOf: q.AsOf}.query()
}

// allProjects reads the projects the principal may see (every page needs them
// for filters and names): a project outside the scope is "not found", and the
// filter bar lists only the portfolios and programs in scope.
func (r *req) allProjects() ([]projectInfo, error) {
	cond, args := r.who.ScopeSQL("portfolio", "program")
	rs, err := r.queryRows(`SELECT project_id, name, program, portfolio, currency, budget FROM projects WHERE `+cond+` ORDER BY name, project_id`, args...)
	if err != nil {
		return nil, err
	}
	out := make([]projectInfo, 0, len(rs.Rows))
	for _, rw := range rs.Rows {
		out = append(out, projectInfoOf(rw))
	}
	return out, nil
}

func projectInfoOf(rw row) projectInfo {
	return projectInfo{ID: rw.str("project_id"), Name: rw.str("name"), Program: rw.str("program"),
		Portfolio: rw.str("portfolio"), Currency: rw.str("currency"), Budget: rw.fp("budget")}
}

// checkFilters rejects a portfolio or program filter naming nothing that exists:
// an empty page would look like "everything is fine".
func (r *req) checkFilters(all []projectInfo) error {
	var portfolios, programs []string
	for _, p := range all {
		portfolios = append(portfolios, p.Portfolio)
		programs = append(programs, p.Program)
	}
	check := func(key, val string, have []string) error {
		if val == "" {
			return nil
		}
		have = distinctSorted(have)
		for _, h := range have {
			if h == val {
				return nil
			}
		}
		known := "none are configured"
		if len(have) > 0 {
			known = "known: " + strings.Join(have, ", ")
		}
		return &badRequest{fmt.Sprintf("unknown %s %q (%s)", key, val, known)}
	}
	if err := check("portfolio", r.p.Portfolio, portfolios); err != nil {
		return err
	}
	if err := check("program", r.p.Program, programs); err != nil {
		return err
	}
	if r.p.Project != "" {
		for _, p := range all {
			if p.ID == r.p.Project {
				return nil
			}
		}
		return &notFound{"Project not found", fmt.Sprintf("There is no project with id %q in the warehouse.", r.p.Project)}
	}
	return nil
}

// evmSelect lists the project_evm columns present in this version, as e.<col>.
func (r *req) evmSelect(alias string) string {
	var cols []string
	for _, c := range evmColumns {
		if r.cat.col("project_evm", c) {
			cols = append(cols, fmt.Sprintf("%s.%s AS %s", alias, c, c))
		}
	}
	if len(cols) == 0 {
		return ""
	}
	return ", " + strings.Join(cols, ", ")
}

// projectStatuses returns the filtered projects with their latest project_evm row
// on or before as_of, red first. With an explicit as_of, projects whose earned
// value starts after it are left out (they did not exist yet); projects that never
// report earned value stay listed. noEVM explains a missing project_evm view.
func (r *req) projectStatuses() (out []projectStatus, noEVM string, err error) {
	scope, args := r.projectScope("p.project_id")
	noEVM = r.cat.missing("project_evm", "project_id", "as_of")
	var q string
	if noEVM == "" {
		q = fmt.Sprintf(`WITH e AS (
	SELECT * FROM project_evm WHERE CAST(as_of AS DATE) <= CAST(? AS DATE)
	QUALIFY row_number() OVER (PARTITION BY project_id ORDER BY as_of DESC) = 1)
SELECT p.project_id, p.name, p.program, p.portfolio, p.currency, p.budget, CAST(e.as_of AS DATE) AS as_of %s
FROM projects p LEFT JOIN e ON e.project_id = p.project_id
WHERE %s AND (? = '%s' OR e.project_id IS NOT NULL OR p.project_id NOT IN (SELECT project_id FROM project_evm))
ORDER BY p.name, p.project_id`, r.evmSelect("e"), scope, farFuture)
		args = append([]any{r.p.bound()}, args...)
		args = append(args, r.p.bound())
	} else {
		q = fmt.Sprintf(`SELECT p.project_id, p.name, p.program, p.portfolio, p.currency, p.budget FROM projects p WHERE %s ORDER BY p.name, p.project_id`, scope)
	}
	rs, err := r.queryRows(q, args...)
	if err != nil {
		return nil, noEVM, err
	}
	for _, rw := range rs.Rows {
		ps := projectStatus{projectInfo: projectInfoOf(rw), AsOf: rw.date("as_of"),
			BAC: rw.fp("bac"), PV: rw.fp("pv"), EV: rw.fp("ev"), AC: rw.fp("ac"),
			SPI: rw.fp("spi"), CPI: rw.fp("cpi"), SPIt: rw.fp("spi_t"), TCPI: rw.fp("tcpi_eac"),
			ForecastFinish: rw.date("forecast_finish"), RAG: normaliseRAG(rw.str("rag")), Reasons: rw.str("rag_reasons")}
		ps.EAC = eacOf(rw)
		ps.VAC = rw.fp("vac")
		if ps.VAC == nil && ps.BAC != nil && ps.EAC != nil {
			ps.VAC = fptr(*ps.BAC - *ps.EAC)
		}
		evm := row{}
		for _, c := range append([]string{"as_of"}, evmColumns...) {
			if v, ok := rw[c]; ok {
				evm[c] = v
			}
		}
		if ps.AsOf != "" {
			ps.EVM = evm
		}
		out = append(out, ps)
	}
	sort.SliceStable(out, func(i, j int) bool { return ragRank(out[i].RAG) < ragRank(out[j].RAG) })
	return out, noEVM, nil
}

// eacOf is the EAC pmlens shows by default: an `eac` column when the metrics layer
// provides one, otherwise eac_cpi (BAC/CPI, the "typical variances" forecast).
func eacOf(rw row) *float64 {
	if v := rw.fp("eac"); v != nil {
		return v
	}
	return rw.fp("eac_cpi")
}

func normaliseRAG(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "red", "r":
		return "red"
	case "amber", "a", "yellow":
		return "amber"
	case "green", "g":
		return "green"
	}
	return ""
}

func ragRank(s string) int {
	switch s {
	case "red":
		return 0
	case "amber":
		return 1
	case "green":
		return 2
	}
	return 3
}

// totals are the KPI sums of a scope (portfolio, program or filter).
type totals struct {
	Currency string   `json:"currency"`
	BAC      *float64 `json:"bac"`
	PV       *float64 `json:"pv"`
	EV       *float64 `json:"ev"`
	AC       *float64 `json:"ac"`
	EAC      *float64 `json:"eac"`
	VAC      *float64 `json:"vac"`
	SPI      *float64 `json:"spi"`
	CPI      *float64 `json:"cpi"`
	AsOf     string   `json:"as_of"`
	Source   string   `json:"source"`
}

// rollupSource says where a scope's sums come from: program_evm for a program,
// portfolio_evm otherwise, or (before those views exist) project_evm summed when
// every project in scope shares one currency.
type rollupSource struct {
	rel, key, where string
	args            []any
	currency        string
	missing         string
}

func (r *req) rollupSource(projects []projectStatus) (rollupSource, error) {
	cur := "USD"
	if r.s.opts.Config != nil && r.s.opts.Config.Metrics.Currency != "" {
		cur = r.s.opts.Config.Metrics.Currency
	}
	// A roll-up view answers only when every project it sums is in scope (see
	// wholeRollup); otherwise the visible projects are summed below, so a scoped
	// principal never sees a total that includes projects outside the scope.
	var visible []projectInfo
	if r.p.Project == "" && (r.cat.has("program_evm", "program", "as_of") || r.cat.has("portfolio_evm", "portfolio", "as_of")) {
		var err error
		if visible, err = r.allProjects(); err != nil {
			return rollupSource{}, err
		}
	}
	switch {
	case r.p.Project != "":
	case r.p.Program != "" && r.cat.has("program_evm", "program", "as_of"):
		where, args, ok, err := r.wholeRollup("program", r.p.Program, visible)
		if err != nil {
			return rollupSource{}, err
		}
		if ok {
			return rollupSource{rel: "program_evm", key: "program", where: where, args: args, currency: cur}, nil
		}
	case r.p.Program == "" && r.cat.has("portfolio_evm", "portfolio", "as_of"):
		where, args, ok, err := r.wholeRollup("portfolio", r.p.Portfolio, visible)
		if err != nil {
			return rollupSource{}, err
		}
		if ok {
			return rollupSource{rel: "portfolio_evm", key: "portfolio", where: where, args: args, currency: cur}, nil
		}
	}
	if why := r.cat.missing("project_evm", "project_id", "as_of"); why != "" {
		return rollupSource{missing: why}, nil
	}
	currencies := map[string]bool{}
	for _, p := range projects {
		if p.AsOf != "" {
			currencies[p.Currency] = true
		}
	}
	if len(currencies) > 1 {
		want := "portfolio_evm"
		if r.p.Program != "" {
			want = "program_evm"
		}
		return rollupSource{missing: fmt.Sprintf("projects in several currencies need the converted roll-up view %s, which the warehouse does not have yet (or, with access to only part of a portfolio, cannot be used)", want)}, nil
	}
	for c := range currencies {
		cur = c
	}
	scope, args := r.projectScope("project_id")
	return rollupSource{rel: "project_evm", key: "project_id", where: scope, args: args, currency: cur}, nil
}

// scopeTrend returns the scope's PV/EV/AC/BAC/EAC per date (each key's latest row
// carried forward), with SPI and CPI recomputed from the sums, never averaged.
func (r *req) scopeTrend(src rollupSource) ([]row, error) {
	if src.missing != "" {
		return nil, nil
	}
	measures := []string{"bac", "pv", "ev", "ac"}
	eacCol := ""
	if r.cat.col(src.rel, "eac") {
		eacCol = "eac"
	} else if r.cat.col(src.rel, "eac_cpi") {
		eacCol = "eac_cpi"
	}
	var present []string
	for _, m := range measures {
		if r.cat.col(src.rel, m) {
			present = append(present, m)
		}
	}
	if eacCol != "" {
		present = append(present, eacCol)
	}
	if len(present) == 0 {
		return nil, nil
	}
	q := alignedSumSQL(src.rel, src.key, "as_of", present, src.where)
	rs, err := r.queryRows(q, append(append([]any{}, src.args...), r.p.bound())...)
	if err != nil {
		return nil, err
	}
	for _, rw := range rs.Rows {
		if eacCol != "" && eacCol != "eac" {
			rw["eac"] = rw[eacCol]
		}
		rw["spi"] = ptrVal(ratio(rw.fp("ev"), rw.fp("pv")))
		rw["cpi"] = ptrVal(ratio(rw.fp("ev"), rw.fp("ac")))
	}
	return rs.Rows, nil
}

func ptrVal(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// scopeTotals is the last point of the trend: the KPI tiles.
func scopeTotals(src rollupSource, trend []row) totals {
	t := totals{Currency: src.currency, Source: src.rel}
	if len(trend) == 0 {
		return t
	}
	last := trend[len(trend)-1]
	t.AsOf = last.date("d")
	t.BAC, t.PV, t.EV, t.AC, t.EAC = last.fp("bac"), last.fp("pv"), last.fp("ev"), last.fp("ac"), last.fp("eac")
	t.SPI, t.CPI = ratio(t.EV, t.PV), ratio(t.EV, t.AC)
	if t.BAC != nil && t.EAC != nil {
		t.VAC = fptr(*t.BAC - *t.EAC)
	}
	return t
}

// latestAsOf is the newest project_evm date in scope (what "latest" means on screen).
func (r *req) latestAsOf() string {
	if !r.cat.has("project_evm", "project_id", "as_of") {
		return ""
	}
	scope, args := r.projectScope("project_id")
	rs, err := r.queryRows(`SELECT CAST(max(as_of) AS DATE) AS d FROM project_evm WHERE `+scope, args...)
	if err != nil || len(rs.Rows) == 0 {
		return ""
	}
	return rs.Rows[0].date("d")
}
