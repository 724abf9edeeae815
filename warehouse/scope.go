package warehouse

import "strings"

// ScopeCondition is the SQL condition (with ? placeholders) that keeps the
// projects of the given portfolios or programs, over the named portfolio and
// program columns: "(p IN (?, ?) OR g IN (?))" and its arguments. Both lists
// empty keep nothing ("FALSE"). The column expressions are written into the
// SQL as given: pass constants only. Sign-in scopes (auth) and the sandbox's
// scoped copies both filter with it, so pages and SQL agree on what a grant shows.
func ScopeCondition(portfolioCol, programCol string, portfolios, programs []string) (string, []any) {
	var parts []string
	var args []any
	for _, c := range []struct {
		col  string
		vals []string
	}{{portfolioCol, portfolios}, {programCol, programs}} {
		if len(c.vals) == 0 {
			continue
		}
		parts = append(parts, c.col+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(c.vals)), ", ")+")")
		for _, v := range c.vals {
			args = append(args, v)
		}
	}
	if len(parts) == 0 {
		return "FALSE", nil
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}
