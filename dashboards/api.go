package dashboards

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// apiEnvelope wraps every API answer: the published version the data comes from,
// the filters applied, the data, and why it is empty when a view is missing.
type apiEnvelope struct {
	Version string         `json:"version"`
	AsOf    *string        `json:"as_of"`
	Filters map[string]any `json:"filters,omitempty"`
	Data    any            `json:"data"`
	Missing string         `json:"missing,omitempty"`
}

type apiFunc func(r *req) (data any, missing string, err error)

func (s *server) registerAPI(g *gin.RouterGroup) {
	g.GET("/openapi.yaml", func(c *gin.Context) {
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusOK, "application/yaml; charset=utf-8", openAPISpec)
	})
	g.GET("/projects", s.api(s.apiProjects, nil))
	g.GET("/projects/:id", s.api(s.apiProject, nil))
	g.GET("/projects/:id/evm", s.api(s.projectAPI(func(r *req, id string) (any, string, error) { return r.evmSeries(id) }), nil))
	g.GET("/projects/:id/milestones", s.api(s.projectAPI(func(r *req, id string) (any, string, error) {
		rows, _, why, err := r.milestones(id)
		return rows, why, err
	}), nil))
	g.GET("/projects/:id/tasks", s.api(s.projectAPI(func(r *req, id string) (any, string, error) {
		rows, _, why, err := r.tasks(id, 100000)
		return rows, why, err
	}), nil))
	g.GET("/projects/:id/flow", s.api(s.projectAPI(func(r *req, id string) (any, string, error) { return r.flowWeekly(id) }), nil))
	g.GET("/projects/:id/cycle-times", s.api(s.projectAPI(func(r *req, id string) (any, string, error) {
		return r.cycleTimes(id, limitParam(r.c, 100000))
	}), nil))
	g.GET("/projects/:id/sprints", s.api(s.projectAPI(func(r *req, id string) (any, string, error) { return r.sprints(id) }), nil))
	g.GET("/projects/:id/forecasts", s.api(s.projectAPI(func(r *req, id string) (any, string, error) { return r.forecastRows(id) }), nil))
	g.GET("/evm", s.api(s.apiScopeEVM, nil))
	g.GET("/risks", s.api(s.apiRisks, nil))
	g.GET("/risks/matrix", s.api(s.apiRiskMatrix, nil))
	g.GET("/risks/exposure", s.api(func(r *req) (any, string, error) {
		rows, _, why, err := r.riskExposure()
		return renameDate(rows), why, err
	}, nil))
	g.GET("/forecasts", s.api(s.apiForecasts, nil))
	g.GET("/sync-runs", s.api(func(r *req) (any, string, error) {
		runs, err := r.syncRuns(r.c.Query("source"), limitParam(r.c, 500))
		return runs, "", err
	}, nil))
	g.GET("/sync-problems", s.api(func(r *req) (any, string, error) {
		p, err := r.syncProblems(limitParam(r.c, 500))
		return p, "", err
	}, nil))
	g.GET("/sources", s.api(func(r *req) (any, string, error) {
		f, err := r.freshness()
		return f, "", err
	}, s.scheduleTag))
}

// api wraps an API function: parameters, JSON errors (400 with the message, 404
// for unknown projects), the envelope, and per-version caching.
func (s *server) api(fn apiFunc, extraTag func() string) gin.HandlerFunc {
	return func(c *gin.Context) {
		s.serveCached(c, extraTag, func(r *req) (*response, error) {
			p, err := parseParams(c.Request.URL.Query())
			r.p = p
			if err == nil {
				err = checkLimit(c)
			}
			if err != nil {
				return apiError(err)
			}
			if p.Portfolio != "" || p.Program != "" || p.Project != "" {
				all, err := r.allProjects()
				if err != nil {
					return nil, err
				}
				if err := r.checkFilters(all); err != nil {
					return apiError(err)
				}
			}
			data, missing, err := fn(r)
			if err != nil {
				return apiError(err)
			}
			env := apiEnvelope{Version: r.version, Data: data, Missing: missing, Filters: map[string]any{}}
			if p.AsOf != "" {
				env.AsOf = &p.AsOf
			}
			for k, v := range map[string]string{"portfolio": p.Portfolio, "program": p.Program, "project": p.Project} {
				if v != "" {
					env.Filters[k] = v
				}
			}
			b, err := json.Marshal(env)
			if err != nil {
				return nil, fmt.Errorf("encoding API answer: %w", err)
			}
			return &response{status: http.StatusOK, ctype: "application/json; charset=utf-8", body: b}, nil
		})
		s.recordAccess(c)
	}
}

func apiError(err error) (*response, error) {
	var br *badRequest
	var nf *notFound
	status := 0
	switch {
	case errors.As(err, &br):
		status = http.StatusBadRequest
	case errors.As(err, &nf):
		status = http.StatusNotFound
	default:
		return nil, err
	}
	b, _ := json.Marshal(map[string]string{"error": err.Error()})
	return &response{status: status, ctype: "application/json; charset=utf-8", body: b}, nil
}

func checkLimit(c *gin.Context) error {
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			return &badRequest{fmt.Sprintf("limit must be a whole number from 1 to 100000; got %q", v)}
		}
	}
	return nil
}

func limitParam(c *gin.Context, def int) int {
	if n, err := strconv.Atoi(c.Query("limit")); err == nil && n > 0 && n <= 100000 {
		return n
	}
	return def
}

func (s *server) apiProjects(r *req) (any, string, error) {
	st, why, err := r.projectStatuses()
	if st == nil {
		st = []projectStatus{}
	}
	return st, why, err
}

// projectAPI resolves :id (404 when unknown) before calling fn.
func (s *server) projectAPI(fn func(r *req, id string) (any, string, error)) apiFunc {
	return func(r *req) (any, string, error) {
		id := r.c.Param("id")
		all, err := r.allProjects()
		if err != nil {
			return nil, "", err
		}
		for _, p := range all {
			if p.ID == id {
				data, why, err := fn(r, id)
				if rows, ok := data.([]row); ok && rows == nil {
					data = []row{}
				}
				return data, why, err
			}
		}
		return nil, "", &notFound{"Project not found", fmt.Sprintf("no project with id %q", id)}
	}
}

func (s *server) apiProject(r *req) (any, string, error) {
	return s.projectAPI(func(r *req, id string) (any, string, error) {
		r.p.Project, r.p.Portfolio, r.p.Program = id, "", ""
		st, why, err := r.projectStatuses()
		if err != nil || len(st) == 0 {
			return nil, why, err
		}
		return st[0], why, nil
	})(r)
}

// apiScopeEVM is the earned-value series of the filtered scope (portfolio,
// program, or the filtered projects), with indices recomputed from the sums.
func (s *server) apiScopeEVM(r *req) (any, string, error) {
	st, _, err := r.projectStatuses()
	if err != nil {
		return nil, "", err
	}
	src, err := r.rollupSource(st)
	if err != nil {
		return nil, "", err
	}
	trend, err := r.scopeTrend(src)
	if err != nil {
		return nil, "", err
	}
	out := map[string]any{"source": src.rel, "currency": src.currency, "series": renameDate(trend), "totals": scopeTotals(src, trend)}
	return out, src.missing, nil
}

// renameDate exposes the aligned series' date column as as_of.
func renameDate(rows []row) []row {
	out := make([]row, 0, len(rows))
	for _, rw := range rows {
		n := row{}
		for k, v := range rw {
			if k == "d" {
				k = "as_of"
			}
			n[k] = v
		}
		out = append(out, n)
	}
	return out
}

func (s *server) apiRisks(r *req) (any, string, error) {
	var prob, impact int64
	for name, dst := range map[string]*int64{"probability": &prob, "impact": &impact} {
		if v := r.c.Query(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 || n > 5 {
				return nil, "", &badRequest{fmt.Sprintf("%s must be a level from 1 to 5; got %q", name, v)}
			}
			*dst = n
		}
	}
	if (prob == 0) != (impact == 0) {
		return nil, "", &badRequest{"probability and impact select one matrix cell: give both or neither"}
	}
	items, why, err := r.risks(prob, impact, limitParam(r.c, 1000))
	if items == nil {
		items = []riskItem{}
	}
	return items, why, err
}

func (s *server) apiRiskMatrix(r *req) (any, string, error) {
	m, why, err := r.riskMatrix()
	if err != nil || why != "" {
		return []any{}, why, err
	}
	type cellOut struct {
		Probability int     `json:"probability_level"`
		Impact      int     `json:"impact_level"`
		Risks       int64   `json:"risks"`
		EMV         float64 `json:"emv"`
	}
	var out []cellOut
	for p := 0; p < 5; p++ {
		for i := 0; i < 5; i++ {
			out = append(out, cellOut{p + 1, i + 1, m[p][i].Risks, m[p][i].EMV})
		}
	}
	return out, "", nil
}

// apiForecasts lists each project's forecasts at its latest as_of in scope.
func (s *server) apiForecasts(r *req) (any, string, error) {
	if why := r.cat.missing("forecasts", "project_id", "as_of"); why != "" {
		return []row{}, why, nil
	}
	scope, args := r.projectScope("project_id")
	rs, err := r.queryRows(`SELECT * FROM forecasts WHERE CAST(as_of AS DATE) <= CAST(? AS DATE) AND `+scope+`
		QUALIFY CAST(as_of AS DATE) = max(CAST(as_of AS DATE)) OVER (PARTITION BY project_id) ORDER BY project_id`,
		append([]any{r.p.bound()}, args...)...)
	if err != nil {
		return nil, "", err
	}
	if rs.Rows == nil {
		return []row{}, "", nil
	}
	return rs.Rows, "", nil
}
