package dashboards

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"net/url"
	"sort"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/gin-gonic/gin"

	"github.com/pmlens/pmlens/auth"
	"github.com/pmlens/pmlens/warehouse"
)

// dateLayout is how every date is written in URLs, tables, CSV and JSON.
const dateLayout = "2006-01-02"

// farFuture stands for "no as_of": the latest data, whatever its date.
const farFuture = "9999-12-31"

// params are the filters every page and API call accepts.
type params struct {
	AsOf      string // YYYY-MM-DD; "" = latest
	Portfolio string
	Program   string
	Project   string
}

// badRequest is an error whose message is shown to the person who made the request.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

// notFound is an error for an unknown project or program.
type notFound struct{ title, msg string }

func (e *notFound) Error() string { return e.msg }

// parseParams reads as_of, portfolio, program and project from the query string.
func parseParams(q url.Values) (params, error) {
	p := params{
		Portfolio: strings.TrimSpace(q.Get("portfolio")),
		Program:   strings.TrimSpace(q.Get("program")),
		Project:   strings.TrimSpace(q.Get("project")),
	}
	if raw := strings.TrimSpace(q.Get("as_of")); raw != "" {
		d, err := time.Parse(dateLayout, raw)
		if err != nil || d.Format(dateLayout) != raw {
			return p, &badRequest{fmt.Sprintf("as_of must be a calendar date written YYYY-MM-DD, for example 2026-03-31; got %q", raw)}
		}
		if d.Year() < 1900 {
			return p, &badRequest{fmt.Sprintf("as_of %s is before 1900; pick a date within the data", raw)}
		}
		p.AsOf = raw
	}
	return p, nil
}

// bound is the inclusive upper date for "as of".
func (p params) bound() string {
	if p.AsOf == "" {
		return farFuture
	}
	return p.AsOf
}

// query returns the canonical query string of the filters (for links and CSV URLs).
func (p params) query(extra ...string) string {
	v := url.Values{}
	if p.AsOf != "" {
		v.Set("as_of", p.AsOf)
	}
	if p.Portfolio != "" {
		v.Set("portfolio", p.Portfolio)
	}
	if p.Program != "" {
		v.Set("program", p.Program)
	}
	if p.Project != "" {
		v.Set("project", p.Project)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// req is one request's view of the warehouse: a published snapshot, its catalog and
// the parsed filters. It lives only while the handler runs.
type req struct {
	ctx     context.Context
	s       *server
	c       *gin.Context
	snap    *warehouse.Snapshot
	db      *sql.DB
	cat     *catalog
	p       params
	version string
	// who is the request's principal: every query that returns data keeps to
	// the projects it may see. Nil sees nothing.
	who *auth.Principal
}

// row is one result row keyed by lower-case column name.
type row map[string]any

// rowset is a query result with its column order (for the API's generic output).
type rowset struct {
	Cols []string
	Rows []row
}

// queryRows runs q and converts DuckDB values to what JSON, templates and CSV
// need: DATE as "YYYY-MM-DD", NaN/Inf as nil (never shown as a number), decimals
// and huge integers as float64.
func (r *req) queryRows(q string, args ...any) (*rowset, error) {
	rows, err := r.db.QueryContext(r.ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query on %s: %w", r.version, err)
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	out := &rowset{}
	types := make([]string, len(cts))
	for i, ct := range cts {
		out.Cols = append(out.Cols, strings.ToLower(ct.Name()))
		types[i] = strings.ToUpper(ct.DatabaseTypeName())
	}
	vals := make([]any, len(cts))
	ptrs := make([]any, len(cts))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("reading row on %s: %w", r.version, err)
		}
		rw := make(row, len(vals))
		for i, v := range vals {
			rw[out.Cols[i]] = convertValue(v, types[i])
		}
		out.Rows = append(out.Rows, rw)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query on %s: %w", r.version, err)
	}
	return out, nil
}

func convertValue(v any, dbType string) any {
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		if dbType == "DATE" {
			return x.Format(dateLayout)
		}
		return x.UTC()
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case float32:
		return convertValue(float64(x), dbType)
	case duckdb.Decimal:
		return convertValue(x.Float64(), dbType)
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		f, _ := new(big.Float).SetInt(x).Float64()
		return f
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return float64(x)
	case []byte:
		return string(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = convertValue(e, "")
		}
		return out
	case duckdb.UUID:
		return x.String()
	case duckdb.Interval:
		return fmt.Sprintf("%d months %d days %d µs", x.Months, x.Days, x.Micros)
	}
	return v
}

// str returns a column as text ("" for NULL); lists are joined with "; ".
func (rw row) str(k string) string {
	switch x := rw[k].(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return x.Format(time.RFC3339)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if e != nil {
				parts = append(parts, fmt.Sprint(e))
			}
		}
		return strings.Join(parts, "; ")
	case float64:
		return fmt.Sprint(x)
	default:
		return fmt.Sprint(x)
	}
}

// num returns a column as a number; false for NULL, NaN and non-numbers.
func (rw row) num(k string) (float64, bool) {
	switch x := rw[k].(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// fp returns a column as *float64 (nil for NULL): the API's and tables' "no value".
func (rw row) fp(k string) *float64 {
	if v, ok := rw.num(k); ok {
		return &v
	}
	return nil
}

// date returns a DATE/TIMESTAMP column as YYYY-MM-DD ("" for NULL).
func (rw row) date(k string) string {
	switch x := rw[k].(type) {
	case string:
		if len(x) >= 10 {
			return x[:10]
		}
		return x
	case time.Time:
		return x.Format(dateLayout)
	}
	return ""
}

// ratio is a/b, nil when b is zero or either is missing (never Inf or NaN).
func ratio(a, b *float64) *float64 {
	if a == nil || b == nil || *b == 0 {
		return nil
	}
	v := *a / *b
	return &v
}

func fptr(v float64) *float64 { return &v }

// sumPtr adds b to a, keeping nil only when both are nil.
func sumPtr(a, b *float64) *float64 {
	switch {
	case a == nil && b == nil:
		return nil
	case a == nil:
		return fptr(*b)
	case b == nil:
		return a
	}
	return fptr(*a + *b)
}

// projectScope is a SQL predicate restricting project ids to the request's
// portfolio/program/project filters and to the projects the principal may see,
// for any relation with a project_id column.
func (r *req) projectScope(col string) (string, []any) {
	var conds []string
	var args []any
	if sc, sargs := r.who.ScopeSQL("portfolio", "program"); sc != "TRUE" {
		conds = append(conds, sc)
		args = append(args, sargs...)
	}
	if r.p.Portfolio != "" {
		conds = append(conds, "portfolio = ?")
		args = append(args, r.p.Portfolio)
	}
	if r.p.Program != "" {
		conds = append(conds, "program = ?")
		args = append(args, r.p.Program)
	}
	if r.p.Project != "" {
		conds = append(conds, "project_id = ?")
		args = append(args, r.p.Project)
	}
	// Even unfiltered, keep to known projects: roll-up rows that a view may hold
	// beside project rows (program or portfolio keys) must never be summed again.
	if len(conds) == 0 {
		return col + " IN (SELECT project_id FROM projects)", nil
	}
	return col + " IN (SELECT project_id FROM projects WHERE " + strings.Join(conds, " AND ") + ")", args
}

// wholeKeys returns the values of a projects column (portfolio or program) all
// of whose projects the principal may see, and whether that is every value. A
// roll-up row keyed by one of them sums only projects the principal may see;
// any other roll-up row would reveal the sums of projects outside the scope.
func (r *req) wholeKeys(col string) (keys map[string]bool, all bool, err error) {
	if r.who != nil && r.who.AllScopes && r.who.Role != auth.RoleNone {
		return nil, true, nil
	}
	cond, args := r.who.ScopeSQL("portfolio", "program")
	rs, err := r.queryRows(fmt.Sprintf(`SELECT %[1]s AS k FROM projects WHERE %[1]s IS NOT NULL GROUP BY %[1]s HAVING bool_and(coalesce(%[2]s, false))`, col, cond), args...)
	if err != nil {
		return nil, false, err
	}
	keys = map[string]bool{}
	for _, rw := range rs.Rows {
		keys[rw.str("k")] = true
	}
	return keys, false, nil
}

// wholeRollup decides whether a roll-up view keyed by col (portfolio or program)
// may answer for the request: the filtered key must be wholly visible, or, with
// no filter, every visible project must sit in a wholly visible key. It returns
// the condition on the view (with its arguments) and false when the view may
// not be used, so the caller sums the visible projects instead.
func (r *req) wholeRollup(col, filter string, visible []projectInfo) (string, []any, bool, error) {
	keys, all, err := r.wholeKeys(col)
	if err != nil {
		return "", nil, false, err
	}
	switch {
	case filter != "" && (all || keys[filter]):
		return col + " = ?", []any{filter}, true, nil
	case filter != "":
		return "", nil, false, nil
	case all:
		return "TRUE", nil, true, nil
	}
	var list []string
	for _, p := range visible {
		k := p.Portfolio
		if col == "program" {
			k = p.Program
		}
		if !keys[k] {
			return "", nil, false, nil
		}
		list = append(list, k)
	}
	list = distinctSorted(list)
	if len(list) == 0 {
		return "FALSE", nil, true, nil
	}
	args := make([]any, len(list))
	for i, k := range list {
		args[i] = k
	}
	return col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(list)), ", ") + ")", args, true, nil
}

// alignedSumSQL sums measures over keys (projects, programs, portfolios) per date
// after carrying each key's latest row forward (ASOF join): keys report on different
// days, and a plain GROUP BY date would drop the ones that did not report that day.
func alignedSumSQL(rel, key, date string, measures []string, where string) string {
	var sel, sums []string
	for _, m := range measures {
		sel = append(sel, fmt.Sprintf("%s AS %s", m, m))
		sums = append(sums, fmt.Sprintf("sum(src.%s) AS %s", m, m))
	}
	return fmt.Sprintf(`WITH src AS (
	SELECT coalesce(CAST(%s AS VARCHAR), '') AS k, CAST(%s AS DATE) AS d, %s FROM %s WHERE (%s) AND CAST(%s AS DATE) <= CAST(? AS DATE)),
dates AS (SELECT DISTINCT d FROM src),
keys AS (SELECT DISTINCT k FROM src),
grid AS (SELECT keys.k, dates.d FROM keys CROSS JOIN dates)
SELECT grid.d AS d, %s, count(*) AS reporting
FROM grid ASOF JOIN src ON grid.k = src.k AND grid.d >= src.d
GROUP BY grid.d ORDER BY grid.d`, key, date, strings.Join(sel, ", "), rel, where, date, strings.Join(sums, ", "))
}

// distinctSorted returns the sorted distinct non-empty values.
func distinctSorted(vals []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vals {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// round keeps n decimals: charts, tables and CSV all show the rounded number, so
// the CSV holds exactly what is drawn.
func round(v float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(v*p) / p
}

func roundPtr(v *float64, n int) *float64 {
	if v == nil {
		return nil
	}
	return fptr(round(*v, n))
}
