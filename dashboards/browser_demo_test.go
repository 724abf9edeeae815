package dashboards

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pmlens/pmlens/demo"
	"github.com/pmlens/pmlens/ingest"
	"github.com/pmlens/pmlens/warehouse"
)

// TestBrowserDemo is what a new user sees: the demo portfolio generated and
// synced through the real connectors and metrics into a real warehouse, then
// every page — portfolio, each program, each project, risks, data — opened in
// headless Chromium. Every chart must render with no console error or failed
// request, and the RAG table's first project link and a risk-matrix cell must
// work with real clicks. Screenshots go to test-artifacts/browser/demo-*.png.
func TestBrowserDemo(t *testing.T) {
	exe := requireChromium(t)
	if testing.Short() {
		t.Skip("browser tests skipped with -short")
	}
	ctx := context.Background()
	dir := t.TempDir()
	if err := demo.Generate(ctx, dir); err != nil {
		t.Fatal(err)
	}
	cfg, err := demo.Config(dir)
	if err != nil {
		t.Fatal(err)
	}
	syncer := ingest.New(ingest.Env{Config: cfg})
	if err := syncer.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	results, err := syncer.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Fatalf("demo source %s: %v", r.Source, r.Err)
		}
	}
	reader := warehouse.NewReader(cfg.Warehouse.Path, "")
	defer reader.Close()
	svc := newAuth(t, false, nil)
	srv := httptest.NewServer(svc.Wrap(New(Options{Reader: reader, Config: cfg, Version: "test", Auth: svc,
		Logger: slog.New(slog.DiscardHandler)})))
	defer srv.Close()

	b := newTab(t, exe, srv.URL)
	pages := []struct{ path, name string }{
		{"/", "portfolio"},
		{"/?as_of=2026-06-05", "portfolio-as-of"},
		{"/risks", "risks"},
		{"/data", "data"},
	}
	programs := map[string]bool{}
	for _, p := range cfg.Projects {
		pages = append(pages, struct{ path, name string }{"/project/" + url.PathEscape(p.ID), "project-" + p.ID})
		if p.Program != "" && !programs[p.Program] {
			programs[p.Program] = true
			pages = append(pages, struct{ path, name string }{"/program/" + url.PathEscape(p.Program), "program-" + p.Program})
		}
	}
	for _, pg := range pages {
		b.open(pg.path)
		b.checkCharts(pg.path)
		b.hoverFirstChart()
		b.shot(filepath.Base("demo-" + pg.name))
		b.requireClean(pg.path)
	}

	// Portfolio → project through the RAG table, then a cell of the project's
	// risk matrix lists its risks.
	b.open("/")
	href, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(() => {
		const a = document.querySelector('table a[href^="/project/"]');
		if (!a) return '';
		a.click();
		return a.getAttribute('href');
	})()`))
	if err != nil || href == "" {
		t.Fatalf("the portfolio page has no project link to click: %q %v", href, err)
	}
	if err := waitFor(b.ctx, `location.pathname === `+jsString(href), 15*time.Second); err != nil {
		t.Fatalf("clicking %s: %v", href, err)
	}
	if err := waitFor(b.ctx, chartsReady, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	b.checkCharts(href + " (after click)")
	b.requireClean("portfolio → project")

	b.open("/risks")
	clicked, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(() => {
		const c = window.pmlens.charts['risk-matrix-chart'];
		if (!c) return false;
		const data = c.getOption().series[0].data.filter(d => (Array.isArray(d) ? d[2] : d.value[2]) > 0);
		if (!data.length) return false;
		const v = Array.isArray(data[0]) ? data[0] : data[0].value;
		const el = document.getElementById('risk-matrix-chart');
		el.scrollIntoView({block: 'center'});
		const px = c.convertToPixel({seriesIndex: 0}, [v[0], v[1]]);
		const r = el.getBoundingClientRect();
		window.__cell = [r.left + px[0], r.top + px[1]];
		return true;
	})()`))
	if err != nil || !clicked {
		t.Fatalf("the risks page has no risk-matrix cell with risks: %v", err)
	}
	xy, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]float64](`window.__cell`))
	if err != nil || len(xy) != 2 {
		t.Fatalf("locating a risk cell: %v %v", xy, err)
	}
	if err := chromedp.Do(b.ctx, chromedp.MouseClickXY(xy[0], xy[1])); err != nil {
		t.Fatal(err)
	}
	if err := waitFor(b.ctx, `Number((document.getElementById('risk-matrix-cell') || {dataset: {}}).dataset.loaded) > 0`, 15*time.Second); err != nil {
		t.Fatalf("a click on a risk cell listed no risks: %v", err)
	}
	b.shot("demo-risks-cell")
	b.requireClean("risks → cell")
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	q := []byte{'\''}
	for _, r := range s {
		if r == '\'' || r == '\\' {
			q = append(q, '\\')
		}
		q = append(q, string(r)...)
	}
	return string(append(q, '\''))
}
