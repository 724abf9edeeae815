package dashboards

import (
	"fmt"
	"strings"
)

// riskItem is one open risk as of the request date.
type riskItem struct {
	ProjectID   string   `json:"project_id"`
	ProjectName string   `json:"project_name"`
	RiskID      string   `json:"risk_id"`
	Title       string   `json:"title"`
	Probability *int64   `json:"probability_level"`
	Impact      *int64   `json:"impact_level"`
	EMV         *float64 `json:"emv"`
	// EMVPortfolio is the EMV in the portfolio currency (risk_scores), for ranking
	// across projects in different currencies.
	EMVPortfolio *float64 `json:"emv_portfolio,omitempty"`
	Band         string   `json:"band,omitempty"`
	Status       string   `json:"status"`
	Owner        string   `json:"owner,omitempty"`
	Due          string   `json:"due,omitempty"`
	Response     string   `json:"response,omitempty"`
	AsOf         string   `json:"as_of"`
}

// riskCols maps the per-risk relation's columns: the risk metrics view risk_scores
// (migration 0450: every risk per project as-of date, scored on the configured
// matrix, as risk_matrix counts them), else the connectors' raw risk_snapshots
// (migration 0300), with alternative spellings accepted so a rename degrades to
// "no data yet" rather than an error.
type riskCols struct {
	rel, id, date, title, prob, impact, status, owner, due, response string
	// emv and open are SQL expressions over alias s.
	emv, emvPortfolio, open, band string
	// partition is what "one snapshot" means: per project, or per project and source.
	partition string
}

func (r *req) riskItemCols() (riskCols, string) {
	rel := r.cat.first("risk_scores", "risk_snapshots")
	if rel == "" {
		return riskCols{}, "the warehouse has no risk tables (risk_scores, risk_snapshots) yet"
	}
	c := riskCols{
		rel:      rel,
		id:       r.cat.pick(rel, "risk_id", "risk_key", "id", "key"),
		date:     r.cat.pick(rel, "as_of", "snapshot_date", "snapshot_at"),
		title:    r.cat.pick(rel, "title", "summary", "name"),
		prob:     r.cat.pick(rel, "probability_level", "probability_score", "prob_level"),
		impact:   r.cat.pick(rel, "impact_level", "impact_score"),
		status:   r.cat.pick(rel, "status"),
		owner:    r.cat.pick(rel, "owner", "owner_hash"),
		due:      r.cat.pick(rel, "due", "due_date", "response_due"),
		response: r.cat.pick(rel, "response", "mitigation"),
	}
	// EMV = probability × cost impact (issue 6); a stored emv column wins.
	switch {
	case r.cat.col(rel, "emv"):
		c.emv = "s.emv"
	case r.cat.col(rel, "probability") && r.cat.col(rel, "impact_cost"):
		c.emv = "s.probability * s.impact_cost"
	default:
		c.emv = "NULL"
	}
	statusOpen := "TRUE"
	if c.status != "" {
		statusOpen = fmt.Sprintf("coalesce(lower(CAST(s.%s AS VARCHAR)), 'open') NOT IN (%s)", c.status, closedStatuses)
	}
	c.open = statusOpen
	if r.cat.col(rel, "is_open") {
		// is_open NULL means the source could not tell: fall back to the status.
		c.open = fmt.Sprintf("coalesce(s.is_open, %s)", statusOpen)
	}
	c.emvPortfolio, c.band = "NULL", "NULL"
	if r.cat.col(rel, "emv_portfolio") {
		c.emvPortfolio = "s.emv_portfolio"
	}
	if r.cat.col(rel, "band") {
		c.band = "s.band"
	}
	// risk_scores already carries each source forward to the project's dates; raw
	// snapshots are dated per source.
	c.partition = "s.project_id"
	if rel != "risk_scores" && r.cat.col(rel, "source") {
		c.partition = "s.project_id, s.source"
	}
	var lack []string
	if !r.cat.col(rel, "project_id") {
		lack = append(lack, "project_id")
	}
	if c.id == "" {
		lack = append(lack, "risk_id")
	}
	if c.prob == "" {
		lack = append(lack, "probability_score")
	}
	if c.impact == "" {
		lack = append(lack, "impact_score")
	}
	if len(lack) > 0 {
		return c, fmt.Sprintf("view %s has no column %s yet", rel, strings.Join(lack, ", "))
	}
	return c, ""
}

// closedStatuses are register statuses that mean the risk no longer counts.
const closedStatuses = "'closed','retired','resolved','done','cancelled','canceled','expired','occurred'"

// risks lists open risks of the projects in scope from each source's latest
// register snapshot (per project) on or before as_of, highest EMV first.
// prob/impact > 0 select one matrix cell.
func (r *req) risks(prob, impact int64, limit int) ([]riskItem, string, error) {
	c, why := r.riskItemCols()
	if why != "" {
		return nil, why, nil
	}
	scope, sargs := r.projectScope("s.project_id")
	opt := func(col, as string) string {
		if col == "" {
			return "NULL AS " + as
		}
		return fmt.Sprintf("s.%s AS %s", col, as)
	}
	var where []string
	args := []any{}
	latest := "TRUE"
	dateSel := "NULL AS as_of"
	if c.date != "" {
		where = append(where, fmt.Sprintf("CAST(s.%s AS DATE) <= CAST(? AS DATE)", c.date))
		args = append(args, r.p.bound())
		latest = fmt.Sprintf("CAST(s.%[1]s AS DATE) = max(CAST(s.%[1]s AS DATE)) OVER (PARTITION BY %[2]s)", c.date, c.partition)
		dateSel = fmt.Sprintf("CAST(s.%s AS DATE) AS as_of", c.date)
	}
	where = append(where, scope)
	args = append(args, sargs...)
	outer := []string{"is_open"}
	if prob > 0 && impact > 0 {
		outer = append(outer, "probability_level = ? AND impact_level = ?")
		args = append(args, prob, impact)
	}
	q := fmt.Sprintf(`WITH s AS (
	SELECT s.project_id, CAST(s.%s AS VARCHAR) AS risk_id, %s, TRY_CAST(s.%s AS BIGINT) AS probability_level,
		TRY_CAST(s.%s AS BIGINT) AS impact_level, %s AS emv, %s AS emv_portfolio, %s AS band, %s AS is_open, %s, %s, %s, %s, %s
	FROM %s s WHERE %s
	QUALIFY %s)
SELECT s.* EXCLUDE (is_open), p.name AS project_name FROM s JOIN projects p ON p.project_id = s.project_id
WHERE %s
ORDER BY coalesce(emv_portfolio, emv) DESC NULLS LAST, probability_level * impact_level DESC NULLS LAST, project_name, risk_id
LIMIT %d`, c.id, opt(c.title, "title"), c.prob, c.impact, c.emv, c.emvPortfolio, c.band, c.open, opt(c.status, "status"), opt(c.owner, "owner"),
		opt(c.due, "due"), opt(c.response, "response"), dateSel, c.rel, strings.Join(where, " AND "), latest,
		strings.Join(outer, " AND "), limit)
	rs, err := r.queryRows(q, args...)
	if err != nil {
		return nil, "", err
	}
	out := make([]riskItem, 0, len(rs.Rows))
	for _, rw := range rs.Rows {
		it := riskItem{ProjectID: rw.str("project_id"), ProjectName: rw.str("project_name"), RiskID: rw.str("risk_id"),
			Title: rw.str("title"), EMV: rw.fp("emv"), EMVPortfolio: rw.fp("emv_portfolio"), Band: rw.str("band"),
			Status: rw.str("status"), Owner: rw.str("owner"),
			Due: rw.date("due"), Response: rw.str("response"), AsOf: rw.date("as_of")}
		if v, ok := rw.num("probability_level"); ok {
			n := int64(v)
			it.Probability = &n
		}
		if v, ok := rw.num("impact_level"); ok {
			n := int64(v)
			it.Impact = &n
		}
		if it.Title == "" {
			// Titles are free text, stored only when the source opts in.
			it.Title = "Risk " + it.RiskID
		}
		out = append(out, it)
	}
	return out, "", nil
}

// riskMatrix sums risk_matrix over the projects in scope, each at its latest
// as_of on or before the request date.
func (r *req) riskMatrix() ([5][5]matrixCell, string, error) {
	var m [5][5]matrixCell
	if why := r.cat.missing("risk_matrix", "project_id", "as_of", "probability_level", "impact_level", "risks"); why != "" {
		return m, why, nil
	}
	scope, sargs := r.projectScope("project_id")
	emv := "0"
	if r.cat.col("risk_matrix", "emv") {
		emv = "emv"
	}
	q := fmt.Sprintf(`WITH m AS (
	SELECT * FROM risk_matrix WHERE CAST(as_of AS DATE) <= CAST(? AS DATE) AND %s
	QUALIFY CAST(as_of AS DATE) = max(CAST(as_of AS DATE)) OVER (PARTITION BY project_id))
SELECT TRY_CAST(probability_level AS BIGINT) AS p, TRY_CAST(impact_level AS BIGINT) AS i,
	sum(risks) AS risks, sum(%s) AS emv FROM m GROUP BY ALL`, scope, emv)
	rs, err := r.queryRows(q, append([]any{r.p.bound()}, sargs...)...)
	if err != nil {
		return m, "", err
	}
	for _, rw := range rs.Rows {
		p, ok1 := rw.num("p")
		i, ok2 := rw.num("i")
		if !ok1 || !ok2 || p < 1 || p > 5 || i < 1 || i > 5 {
			continue
		}
		n, _ := rw.num("risks")
		e, _ := rw.num("emv")
		m[int(p)-1][int(i)-1] = matrixCell{Risks: int64(n), EMV: round(e, 2)}
	}
	return m, "", nil
}

// riskExposure returns EMV, contingency and open risks per date for the scope:
// one project's risk_exposure, a program's program_risk_exposure or the
// portfolios' portfolio_risk_exposure (converted to the portfolio currency by the
// risk views), each key's latest row carried forward. Before the roll-up views
// exist, projects' risk_exposure rows are summed as they are. rel names the view.
func (r *req) riskExposure() (rows []row, rel, why string, err error) {
	var key, where string
	var args []any
	// Roll-up views answer only for keys wholly in scope (see wholeRollup).
	var visible []projectInfo
	if r.p.Project == "" && (r.cat.has("program_risk_exposure", "program", "as_of", "emv") || r.cat.has("portfolio_risk_exposure", "portfolio", "as_of", "emv")) {
		if visible, err = r.allProjects(); err != nil {
			return nil, "", "", err
		}
	}
	ok := false
	switch {
	case r.p.Project != "":
		rel, key, where, args, ok = "risk_exposure", "project_id", "project_id = ?", []any{r.p.Project}, true
	case r.p.Program != "" && r.cat.has("program_risk_exposure", "program", "as_of", "emv"):
		rel, key = "program_risk_exposure", "program"
		where, args, ok, err = r.wholeRollup("program", r.p.Program, visible)
	case r.p.Program == "" && r.cat.has("portfolio_risk_exposure", "portfolio", "as_of", "emv"):
		rel, key = "portfolio_risk_exposure", "portfolio"
		where, args, ok, err = r.wholeRollup("portfolio", r.p.Portfolio, visible)
	}
	if err != nil {
		return nil, rel, "", err
	}
	if !ok {
		rel, key = "risk_exposure", "project_id"
		where, args = r.projectScope("project_id")
	}
	if why := r.cat.missing(rel, key, "as_of", "emv"); why != "" {
		return nil, rel, why, nil
	}
	measures := []string{"emv"}
	for _, m := range []string{"contingency", "open_risks", "overdue", "high"} {
		if r.cat.col(rel, m) {
			measures = append(measures, m)
		}
	}
	q := alignedSumSQL(rel, key, "as_of", measures, where)
	rs, err := r.queryRows(q, append(args, r.p.bound())...)
	if err != nil {
		return nil, rel, "", err
	}
	return rs.Rows, rel, "", nil
}
