package metrics

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/connectors/jira"
	"github.com/pmlens/pmlens/demo"
	"github.com/pmlens/pmlens/warehouse"
)

// errDiscard rolls a benchmark's run back so every iteration starts from the
// same warehouse.
var errDiscard = errors.New("benchmark run discarded")

// demoJiraWarehouse generates the demo scaled to 300 projects (100 of them agile,
// with Jira) and imports its Jira export exactly as a jira-export source does.
// Benchmarks in this package cannot use package ingest (it imports metrics).
func demoJiraWarehouse(b *testing.B) (*warehouse.Writer, *configs.Config) {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	if err := demo.Generate(ctx, dir, demo.Scale(300), demo.Weeks(4)); err != nil {
		b.Fatal(err)
	}
	cfg, err := demo.Config(dir, demo.Scale(300), demo.Weeks(4))
	if err != nil {
		b.Fatal(err)
	}
	cfg.Warehouse.Path = filepath.Join(dir, "bench.duckdb")
	w, err := warehouse.Open(ctx, warehouse.Options{Path: cfg.Warehouse.Path, Projects: cfg.Projects, Currency: cfg.Metrics.Currency})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close() })
	src, _ := cfg.SourceByName("demo-jira")
	run, err := w.Begin(ctx, src.Name, src.Type)
	if err != nil {
		b.Fatal(err)
	}
	opts, err := jira.ExportOptionsFromSource(src, nil)
	if err == nil {
		loader := warehouse.NewJiraLoader(run, warehouse.JiraLoadOptions{Text: opts.Text, IncludePeople: opts.IncludePeople})
		_, err = jira.ImportExport(ctx, opts, loader)
	}
	if err == nil {
		err = Refresh(ctx, run, RefreshOptions{Config: cfg})
	}
	if res := w.Finish(ctx, run, err); res.Err != nil {
		b.Fatal(res.Err)
	}
	return w, cfg
}

// BenchmarkRefreshForecastsDemo300 times the forecasts step of a sync run on the
// demo scaled to 300 projects: reading histories and backlogs from the flow
// views, simulating every project, epic and fix version (10,000 trials each) and
// the items forecasts, and writing them. The phases are reported as metrics.
func BenchmarkRefreshForecastsDemo300(b *testing.B) {
	if testing.Short() {
		b.Skip("generates and imports the scaled demo")
	}
	w, cfg := demoJiraWarehouse(b)
	ctx := context.Background()
	fc := flowConfig(cfg)
	var load, sim, write time.Duration
	var jobs, items int
	for b.Loop() {
		b.StopTimer()
		run, err := w.Begin(ctx, "demo-jira", configs.TypeJiraExport)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		in, err := loadForecastInputs(ctx, run, fc)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		comp, its, err := simulateForecasts(ctx, in, FlowForecastOptions(fc))
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if err := writeForecasts(ctx, run, in, comp, its, time.Now()); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		b.StopTimer()
		load, sim, write = load+t1.Sub(t0), sim+t2.Sub(t1), write+t3.Sub(t2)
		jobs, items = len(comp), len(its)
		w.Finish(ctx, run, errDiscard)
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(len(uniqueProjects(jobsOf(w, b)))), "projects")
	b.ReportMetric(float64(jobs), "completion-forecasts")
	b.ReportMetric(float64(items), "items-forecasts")
	b.ReportMetric(load.Seconds()*1000/n, "load-ms")
	b.ReportMetric(sim.Seconds()*1000/n, "simulate-ms")
	b.ReportMetric(write.Seconds()*1000/n, "write-ms")
}

// BenchmarkSimulateForecasts300 is the figure on real histories: 300
// project completion forecasts of 10,000 trials (the demo's 100 Jira projects'
// histories and backlogs, each used three times under its own key, so its own
// seed) plus their four "how many by" horizons, one shared simulation per project.
func BenchmarkSimulateForecasts300(b *testing.B) {
	if testing.Short() {
		b.Skip("generates and imports the scaled demo")
	}
	w, cfg := demoJiraWarehouse(b)
	ctx := context.Background()
	fc := flowConfig(cfg)
	run, err := w.Begin(ctx, "demo-jira", configs.TypeJiraExport)
	if err != nil {
		b.Fatal(err)
	}
	in, err := loadForecastInputs(ctx, run, fc)
	w.Finish(ctx, run, errDiscard)
	if err != nil {
		b.Fatal(err)
	}
	var projects []forecastScope
	for _, s := range in.Scopes {
		if s.Type == configs.ForecastScopeProject {
			projects = append(projects, s)
		}
	}
	hist := map[string]ThroughputHistory{}
	for _, h := range in.Histories {
		hist[h.ProjectID] = h
	}
	var big forecastInputs
	for i := 0; len(big.Scopes) < 300 && len(projects) > 0; i++ {
		s := projects[i%len(projects)]
		h := hist[s.ProjectID]
		id := fmt.Sprintf("%s#%d", s.ProjectID, i)
		h.ProjectID, s.ProjectID = id, id
		big.Histories = append(big.Histories, h)
		big.Scopes = append(big.Scopes, s)
		for _, wk := range fc.ItemsHorizonsWeeks {
			big.Targets = append(big.Targets, itemsTarget{ProjectID: id, Name: fmt.Sprint(wk), Date: h.AsOf.AddDate(0, 0, 7*wk), Weeks: wk})
		}
	}
	o := FlowForecastOptions(fc)
	weeks := 0
	for _, h := range big.Histories {
		weeks += len(h.Weeks)
	}
	for b.Loop() {
		if _, _, err := simulateForecasts(ctx, big, o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(big.Scopes)), "projects")
	b.ReportMetric(float64(len(big.Targets)), "items-forecasts")
	b.ReportMetric(float64(weeks)/float64(len(big.Histories)), "history-weeks")
}

func jobsOf(w *warehouse.Writer, b *testing.B) []string {
	rows, err := w.DB().Query(`SELECT project_id FROM forecasts WHERE method = 'monte_carlo'`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			b.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func uniqueProjects(ids []string) map[string]bool {
	out := map[string]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out
}
