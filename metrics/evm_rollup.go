package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pmlens/pmlens/warehouse"
)

// storedRow is the part of a project_evm row the roll-ups sum.
type storedRow struct {
	AsOf time.Time
	M    Measures
}

type memberSeries struct {
	ProjectID, Currency, Program, Portfolio string
	Rows                                    []storedRow // oldest first
}

// loadRollupInputs reads every project's stored base measures and EACs.
func loadRollupInputs(ctx context.Context, run *warehouse.Run, portfolioCurrency string) ([]*memberSeries, error) {
	var out []*memberSeries
	var cur *memberSeries
	err := queryValues(ctx, run, `SELECT e.project_id, e.as_of, coalesce(e.currency, p.currency, ?), coalesce(p.program, ''), coalesce(p.portfolio, ''),
			e.bac, e.pv, e.ev, e.ac, e.eac_cpi, e.eac_atypical, e.eac_cpi_spi, e.eac_weighted, e.eac_bottom_up, e.eac, e.null_reasons
		FROM evm_project_rows e JOIN projects p ON p.project_id = e.project_id
		ORDER BY e.project_id, e.as_of`, []any{portfolioCurrency},
		func(vals []any) error {
			id, _ := vals[0].(string)
			asOf, _ := vals[1].(time.Time)
			if cur == nil || cur.ProjectID != id {
				currency, _ := vals[2].(string)
				program, _ := vals[3].(string)
				portfolio, _ := vals[4].(string)
				cur = &memberSeries{ProjectID: id, Currency: currency, Program: program, Portfolio: portfolio}
				out = append(out, cur)
			}
			var why map[string]string
			v := func(i int, col string) Value {
				if f, ok := vals[i].(float64); ok {
					return Of(f)
				}
				if reasons, ok := vals[15].(string); ok && why == nil {
					_ = json.Unmarshal([]byte(reasons), &why)
				}
				if r := why[col]; r != "" {
					return Null(r)
				}
				return Null(ReasonMissingInput)
			}
			m := Measures{BAC: v(5, "bac"), PV: v(6, "pv"), EV: v(7, "ev"), AC: v(8, "ac"), EACCPI: v(9, "eac_cpi"),
				EACAtypical: v(10, "eac_atypical"), EACCPISPI: v(11, "eac_cpi_spi"), EACWeighted: v(12, "eac_weighted"),
				EACBottomUp: v(13, "eac_bottom_up"), EAC: v(14, "eac")}
			cur.Rows = append(cur.Rows, storedRow{AsOf: Day(asOf), M: m})
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("reading project_evm for roll-ups: %w", err)
	}
	return out, nil
}

// rollupRow is one program_evm or portfolio_evm row.
type rollupRow struct {
	Key               string // program or portfolio name
	AsOf              time.Time
	Currency          string
	M                 Measures
	RAG               RAG
	Included, Carried int
	Excluded          []RollupExcluded
	ComputedAt        time.Time
	RunID             int64
}

// rollupGroup computes a group's rows: on every date any member reports, the
// latest row on or before it of each member that has started, converted and
// summed by Rollup. Members whose currency has no rate are excluded and listed.
func rollupGroup(key string, members []*memberSeries, st evmSettings, rules RAGRules, now time.Time, runID int64) ([]rollupRow, error) {
	dateSet := map[time.Time]bool{}
	for _, mb := range members {
		for _, r := range mb.Rows {
			dateSet[r.AsOf] = true
		}
	}
	dates := make([]time.Time, 0, len(dateSet))
	for d := range dateSet {
		dates = append(dates, d)
	}
	sort.Slice(dates, func(i, j int) bool { return dates[i].Before(dates[j]) })
	pos := make([]int, len(members)) // per member: index of its latest row on or before the date, -1 none
	for i := range pos {
		pos[i] = -1
	}
	var out []rollupRow
	for _, d := range dates {
		var pm []ProjectMeasures
		row := rollupRow{Key: key, AsOf: d, Currency: st.rates.Currency, ComputedAt: now, RunID: runID}
		var noRate []RollupExcluded
		for i, mb := range members {
			for pos[i]+1 < len(mb.Rows) && !mb.Rows[pos[i]+1].AsOf.After(d) {
				pos[i]++
			}
			if pos[i] < 0 {
				continue // not started yet
			}
			r := mb.Rows[pos[i]]
			if _, err := st.rates.Rate(mb.Currency); err != nil {
				noRate = append(noRate, RollupExcluded{ProjectID: mb.ProjectID, Reason: err.Error()})
				continue
			}
			if r.AsOf.Before(d) {
				if _, bad := firstInvalid(r.M.BAC, r.M.PV, r.M.EV, r.M.AC); !bad {
					row.Carried++
				}
			}
			pm = append(pm, ProjectMeasures{ProjectID: mb.ProjectID, Currency: mb.Currency, Measures: r.M})
		}
		res, err := Rollup(pm, st.rates, st.opts)
		if err != nil {
			return nil, fmt.Errorf("rolling up %s on %s: %w", key, d.Format(time.DateOnly), err)
		}
		row.M = res.Measures
		row.Included = res.Included
		row.Excluded = append(res.Excluded, noRate...)
		row.RAG = rules.Evaluate(row.M)
		out = append(out, row)
	}
	return out, nil
}

// refreshRollups rewrites program_evm and portfolio_evm from the stored project rows.
func refreshRollups(ctx context.Context, run *warehouse.Run, st evmSettings, now time.Time) (int, error) {
	series, err := loadRollupInputs(ctx, run, st.rates.Currency)
	if err != nil {
		return 0, err
	}
	programs, portfolios := map[string][]*memberSeries{}, map[string][]*memberSeries{}
	programPortfolios := map[string]map[string]bool{}
	for _, s := range series {
		if s.Program != "" {
			programs[s.Program] = append(programs[s.Program], s)
			if programPortfolios[s.Program] == nil {
				programPortfolios[s.Program] = map[string]bool{}
			}
			programPortfolios[s.Program][s.Portfolio] = true
		}
		if s.Portfolio != "" {
			portfolios[s.Portfolio] = append(portfolios[s.Portfolio], s)
		}
	}
	var progRows, portRows []rollupRow
	for _, name := range rfSortedKeys(programs) {
		// A program within one portfolio is rated by that portfolio's rules;
		// one spanning several by metrics.rag's.
		portfolio := ""
		if len(programPortfolios[name]) == 1 {
			for p := range programPortfolios[name] {
				portfolio = p
			}
		}
		rows, err := rollupGroup(name, programs[name], st, st.ragRules(portfolio), now, run.ID())
		if err != nil {
			return 0, err
		}
		progRows = append(progRows, rows...)
	}
	for _, name := range rfSortedKeys(portfolios) {
		rows, err := rollupGroup(name, portfolios[name], st, st.ragRules(name), now, run.ID())
		if err != nil {
			return 0, err
		}
		portRows = append(portRows, rows...)
	}
	for _, t := range []struct {
		table, key string
		rows       []rollupRow
	}{{"evm_program_rows", "program", progRows}, {"evm_portfolio_rows", "portfolio", portRows}} {
		if _, err := run.Exec(ctx, `DELETE FROM `+t.table); err != nil {
			return 0, fmt.Errorf("clearing %s: %w", t.table, err)
		}
		if err := appendRows(ctx, run, t.table, rollupColumns(t.key), t.rows, (*rollupRow).values); err != nil {
			return 0, err
		}
	}
	return len(progRows) + len(portRows), nil
}

func rollupColumns(key string) []string {
	cols := []string{key, "as_of"}
	for _, nv := range measureColumns(Measures{}) {
		cols = append(cols, nv.col)
	}
	cols = append(cols, "forecast_finish", "rag", "rag_reasons", "currency")
	for _, nv := range extraColumns(Measures{}) {
		cols = append(cols, nv.col)
	}
	return append(cols, "eac_method", "projects_included", "projects_carried", "projects_excluded", "excluded_reasons",
		"rag_flags", "null_reasons", "computed_at", "run_id")
}

func (r *rollupRow) values() []any {
	out := []any{r.Key, r.AsOf}
	for _, nv := range measureColumns(r.M) {
		out = append(out, nv.v.Any())
	}
	out = append(out, r.M.Schedule.ForecastFinish.Any(), string(r.RAG.Status), r.RAG.Text(), r.Currency)
	for _, nv := range extraColumns(r.M) {
		out = append(out, nv.v.Any())
	}
	var excluded []string
	for _, e := range r.Excluded {
		excluded = append(excluded, e.ProjectID+": "+e.Reason)
	}
	vals := append(measureColumns(r.M), extraColumns(r.M)...)
	return append(out, strAny(string(r.M.EACMethod)), int64(r.Included), int64(r.Carried), int64(len(r.Excluded)),
		strAny(strings.Join(excluded, "; ")), strAny(strings.Join(r.RAG.Flags, ",")),
		nullReasons(vals, map[string]DateValue{"forecast_finish": r.M.Schedule.ForecastFinish}, nil), r.ComputedAt, r.RunID)
}
