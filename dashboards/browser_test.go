package dashboards

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/gin-gonic/gin"
)

// chromiumPath is Debian's chromium, which the Makefile installs with apt-get.
const chromiumPath = "/usr/bin/chromium"

// requireChromium skips only on a developer machine without chromium; in CI
// (CI set) a missing browser fails the test, so the browser tests cannot
// silently stop running.
func requireChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PMLENS_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("browser tests must run in CI but %s is missing: install it with `apt-get install -y chromium` (the Makefile's test target does)", chromiumPath)
		}
		t.Skipf("skipping browser tests: %s is missing (apt-get install -y chromium); they run whenever CI is set", chromiumPath)
	}
	return chromiumPath
}

// artifactDir is $PMLENS_ARTIFACTS/browser or test-artifacts/browser at the
// repository root (gitignored).
func artifactDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("PMLENS_ARTIFACTS")
	if base == "" {
		dir, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				t.Fatal("cannot find the repository root (go.mod) for test-artifacts/")
			}
			dir = parent
		}
		base = filepath.Join(dir, "test-artifacts")
	}
	dir := filepath.Join(base, "browser")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browserProblems collects what must never happen on a page: console errors,
// uncaught exceptions, browser-log errors (CSP violations land there), failed
// requests, HTTP errors, and JavaScript dialogs (an executed XSS payload).
type browserProblems struct {
	mu       sync.Mutex
	problems []string
	// expected404 lists paths whose 404 answer is what the test asked for.
	expected404 map[string]bool
}

func (b *browserProblems) listen(ev any) {
	var p string
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range e.Args {
				if len(a.Value) > 0 {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			p = "console.error: " + strings.Join(parts, " ")
		}
	case *runtime.EventExceptionThrown:
		p = "exception: " + e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			p += " " + e.ExceptionDetails.Exception.Description
		}
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError {
			if strings.Contains(e.Entry.Text, "404") && b.expected(e.Entry.URL) {
				return
			}
			p = fmt.Sprintf("browser log (%s): %s %s", e.Entry.Source, e.Entry.Text, e.Entry.URL)
		}
	case *network.EventLoadingFailed:
		if !e.Canceled {
			p = fmt.Sprintf("request failed: %s (%s)", e.ErrorText, e.RequestID)
		}
	case *network.EventResponseReceived:
		if e.Response.Status >= 400 && !(e.Response.Status == 404 && b.expected(e.Response.URL)) {
			p = fmt.Sprintf("HTTP %d for %s", e.Response.Status, e.Response.URL)
		}
	case *page.EventJavascriptDialogOpening:
		p = "JavaScript dialog opened (escaping failed?): " + e.Message
	}
	if p != "" {
		b.mu.Lock()
		b.problems = append(b.problems, p)
		b.mu.Unlock()
	}
}

func (b *browserProblems) expected(u string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for path := range b.expected404 {
		if strings.Contains(u, path) {
			return true
		}
	}
	return false
}

func (b *browserProblems) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.problems
	b.problems = nil
	return out
}

// waitFor polls a JavaScript predicate, tolerating the errors of a page that is
// navigating (its execution context goes away mid-call).
func waitFor(ctx context.Context, expr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := chromedp.Run(cctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return nil
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("timed out after %s waiting for %s (last error: %v)", timeout, expr, last)
}

// chartsReady is what app.js sets once every chart has finished rendering.
const chartsReady = `document.documentElement.getAttribute('data-charts-ready') === 'true'`

// TestBrowserHarnessCatchesProblems proves the listener is live: a page with an
// inline script (blocked by the CSP) and a missing image must be reported.
func TestBrowserHarnessCatchesProblems(t *testing.T) {
	exe := requireChromium(t)
	if testing.Short() {
		t.Skip("browser tests skipped with -short")
	}
	f := newFixture(t, fixtureOptions{coreOnly: true})
	h := f.handler(t, func(o *Options) {
		o.Register = []func(gin.IRouter){func(r gin.IRouter) {
			r.GET("/selftest", func(c *gin.Context) {
				RenderPage(c, 200, Page{Title: "self test", Body: `<script>console.log("inline")</script><img src="/static/missing.png" alt="">`})
			})
		}}
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, probs := newBrowser(t, exe)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/selftest")); err != nil {
		t.Fatal(err)
	}
	if err := waitFor(ctx, chartsReady, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	got := strings.Join(probs.take(), "\n")
	if !strings.Contains(got, "Content Security Policy") || !strings.Contains(got, "missing.png") {
		t.Errorf("the harness missed the page's problems; it reported:\n%s", got)
	}
}

// newBrowser starts headless Chromium with the flags the Makefile's CI expects and
// a fresh profile, and returns a tab context whose problems are recorded.
func newBrowser(t *testing.T, exe string) (context.Context, *browserProblems) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	probs := &browserProblems{expected404: map[string]bool{"/project/no-such-project": true}}
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(probs.listen))
	t.Cleanup(cancel)
	// The first run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	return ctx, probs
}

// tab is one headless Chromium tab on a test server, with the checks every
// page gets: charts rendered, no console error or failed request, screenshots.
type tab struct {
	t     *testing.T
	ctx   context.Context
	probs *browserProblems
	base  string // the server's URL
	out   string // where screenshots go
}

// newTab starts a browser on the server at base.
func newTab(t *testing.T, exe, base string) *tab {
	ctx, probs := newBrowser(t, exe)
	return &tab{t: t, ctx: ctx, probs: probs, base: base, out: artifactDir(t)}
}

// shot saves a full-page screenshot as a test artifact.
func (b *tab) shot(name string) {
	b.t.Helper()
	cctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	buf, err := chromedp.Run(cctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(b.out, name+".png"), buf, 0o644); err != nil {
		b.t.Error(err)
	}
}

// open navigates to path and waits until app.js has rendered every chart.
func (b *tab) open(path string) {
	b.t.Helper()
	cctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(cctx, chromedp.Navigate(b.base+path)); err != nil {
		b.t.Fatalf("opening %s: %v", path, err)
	}
	if err := waitFor(b.ctx, chartsReady, 20*time.Second); err != nil {
		b.t.Fatalf("%s: %v", path, err)
	}
}

// checkCharts requires every chart container to have a canvas and an ECharts
// instance, and app.js to have recorded no error.
func (b *tab) checkCharts(path string) {
	t := b.t
	t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]int](`[
		document.querySelectorAll('.chart[data-option]').length,
		document.querySelectorAll('.chart[data-option] canvas').length,
		document.querySelectorAll('.chart[data-rendered="true"]').length,
		Object.keys(window.pmlens.charts).length,
		window.pmlens.errors.length]`))
	if err != nil {
		t.Fatalf("%s: inspecting charts: %v", path, err)
	}
	charts, canvases, rendered, instances, jsErrors := res[0], res[1], res[2], res[3], res[4]
	if canvases < charts || rendered != charts || instances != charts || jsErrors != 0 {
		t.Errorf("%s: %d charts, %d canvases, %d rendered, %d instances, %d script errors", path, charts, canvases, rendered, instances, jsErrors)
	}
}

// hoverFirstChart shows a tooltip: its HTML comes from our escaping formatter
// and must not trip the CSP (markers are classes, not inline styles).
func (b *tab) hoverFirstChart() {
	xy, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]float64](`(() => {
		const el = document.querySelector('.chart[data-option]');
		if (!el) return [];
		el.scrollIntoView({block: 'center'});
		const r = el.getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2];
	})()`))
	if err != nil || len(xy) != 2 {
		return
	}
	_ = chromedp.Do(b.ctx, chromedp.MouseEvent(chromedp.MouseMoved, xy[0], xy[1]))
	time.Sleep(200 * time.Millisecond)
}

// requireClean fails the test with every problem the page showed since the last call.
func (b *tab) requireClean(what string) {
	b.t.Helper()
	for _, p := range b.probs.take() {
		b.t.Errorf("%s: %s", what, p)
	}
}

// TestBrowser opens every page in headless Chromium, waits until every chart has
// rendered to a canvas, fails on any console error, failed request or dialog,
// walks portfolio → project → risk cell with real mouse clicks, and saves
// screenshots (and a PDF of the print layout) as test artifacts.
func TestBrowser(t *testing.T) {
	exe := requireChromium(t)
	if testing.Short() {
		t.Skip("browser tests skipped with -short")
	}
	f := newFixture(t, fixtureOptions{})
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	b := newTab(t, exe, srv.URL)
	ctx, out := b.ctx, b.out

	pages := []struct{ path, name string }{
		{"/", "portfolio"},
		{"/?portfolio=Hospital%20IT&as_of=2026-01-12", "portfolio-filtered-as-of"},
		{"/program/Clinical%20Systems", "program"},
		{"/project/ehr", "project-ehr"},
		{"/project/portal", "project-portal-jira"},
		{"/risks", "risks"},
		{"/risks?cell=4-5", "risks-cell"},
		{"/data", "data"},
		{"/project/no-such-project", "not-found"},
	}
	for _, pg := range pages {
		b.open(pg.path)
		b.checkCharts(pg.path)
		b.hoverFirstChart()
		b.shot(pg.name)
		b.requireClean(pg.path)
	}

	// Portfolio → project: click the EHR bubble in the SPI×CPI chart.
	b.open("/")
	xy, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
		const el = document.getElementById('spi-cpi-chart');
		el.scrollIntoView({block: 'center'});
		const c = window.pmlens.charts['spi-cpi-chart'];
		const series = c.getOption().series;
		for (let s = 0; s < series.length; s++) {
			const d = series[s].data.findIndex(p => p.name === 'EHR Upgrade');
			if (d >= 0) {
				const px = c.convertToPixel({seriesIndex: s}, series[s].data[d].value.slice(0, 2));
				const r = el.getBoundingClientRect();
				return [r.left + px[0], r.top + px[1]];
			}
		}
		return [];
	})()`))
	if err != nil || len(xy) != 2 {
		t.Fatalf("locating the EHR bubble: %v %v", xy, err)
	}
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(xy[0], xy[1])); err != nil {
		t.Fatal(err)
	}
	if err := waitFor(ctx, `location.pathname === '/project/ehr'`, 15*time.Second); err != nil {
		t.Fatalf("clicking the EHR bubble did not open the project: %v", err)
	}
	if err := waitFor(ctx, chartsReady, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	b.checkCharts("/project/ehr (after click)")

	// Project → risk cell: click probability 4 × impact 5 in the risk matrix; the
	// cell's risks are listed below it, titles as text (one is an XSS payload).
	xy, err = chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
		const el = document.getElementById('risk-matrix-chart');
		el.scrollIntoView({block: 'center'});
		const c = window.pmlens.charts['risk-matrix-chart'];
		const px = c.convertToPixel({seriesIndex: 0}, [4, 3]);
		const r = el.getBoundingClientRect();
		return [r.left + px[0], r.top + px[1]];
	})()`))
	if err != nil || len(xy) != 2 {
		t.Fatalf("locating the risk cell: %v %v", xy, err)
	}
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(xy[0], xy[1])); err != nil {
		t.Fatal(err)
	}
	if err := waitFor(ctx, `(document.getElementById('risk-matrix-cell') || {}).dataset?.loaded === '2'`, 15*time.Second); err != nil {
		t.Fatalf("risk cell list: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('risk-matrix-cell').innerText`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Interface vendor late", "<img src=x onerror=alert(1)>"} {
		if !strings.Contains(text, want) {
			t.Errorf("risk cell list lacks %q as text; got %q", want, text)
		}
	}
	b.shot("project-ehr-risk-cell")
	b.requireClean("portfolio → project → risk cell")

	// Keyboard: focus the bubble chart, arrow to the first point, Enter opens it.
	b.open("/")
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.ID("spi-cpi-chart")), chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	if err := waitFor(ctx, `location.pathname.startsWith('/project/')`, 15*time.Second); err != nil {
		t.Errorf("keyboard Enter on a bubble did not open a project: %v", err)
	}
	if err := waitFor(ctx, chartsReady, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	b.requireClean("keyboard navigation")

	// Print layout: a PDF of the portfolio page for people to look at.
	b.open("/?as_of=2026-01-19")
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(func(p *page.PrintToPDFParams) {
		yes, w, h := true, 8.27, 11.69 // A4 in inches
		p.PrintBackground, p.PaperWidth, p.PaperHeight = &yes, w, h
	}))
	if err != nil {
		t.Errorf("printing the portfolio page: %v", err)
	} else if err := os.WriteFile(filepath.Join(out, "portfolio-print-a4.pdf"), pdf, 0o644); err != nil {
		t.Error(err)
	}
	b.requireClean("print")
	t.Logf("screenshots and PDF in %s", out)
}
