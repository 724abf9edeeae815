package dashboards

import (
	"bytes"
	"flag"
	"html/template"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pmlens/pmlens/warehouse"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n got: %s\nwant: %s", name, got, want)
	}
}

func newEmptyReader(t *testing.T) *warehouse.Reader {
	r := warehouse.NewReader(filepath.Join(t.TempDir(), "none.duckdb"), "")
	t.Cleanup(func() { r.Close() })
	return r
}

// TestRegisterAndRenderPage is how the workbench plugs in: its routes get the
// middleware, and RenderPage frames its HTML in the shared layout.
func TestRegisterAndRenderPage(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	body := template.HTML(`<p id="wb">workbench body</p>`)
	h := f.handler(t, func(o *Options) {
		o.Nav = []NavLink{{Label: "Workbench", Path: "/workbench"}}
		o.Register = []func(gin.IRouter){func(r gin.IRouter) {
			r.GET("/workbench", func(c *gin.Context) {
				RenderPage(c, 200, Page{Title: "SQL <workbench>", Nav: "/workbench", Body: body, Scripts: []string{"/workbench/static/wb.js"}})
			})
			r.GET("/boom", func(c *gin.Context) { panic("deliberate test panic") })
		}}
	})
	rec := get(t, h, "/workbench")
	page := rec.Body.String()
	for _, want := range []string{`<p id="wb">workbench body</p>`, `SQL &lt;workbench&gt;`, `href="/workbench" aria-current="page"`,
		`<script src="/workbench/static/wb.js" defer></script>`, "Skip to content", `/static/app.css?v=`} {
		if !strings.Contains(page, want) {
			t.Errorf("workbench page lacks %q", want)
		}
	}
	if rec.Header().Get("Content-Security-Policy") == "" {
		t.Error("registered route lacks security headers")
	}
	// The Workbench link is on the built-in pages too.
	if !strings.Contains(get(t, h, "/").Body.String(), `<a href="/workbench">Workbench</a>`) {
		t.Error("nav link missing on the portfolio page")
	}

	// A panic is a logged 500, not a dropped connection.
	rec = get(t, h, "/boom")
	if rec.Code != 500 {
		t.Errorf("panic: status %d", rec.Code)
	}
	logs := f.logs.String()
	for _, want := range []string{`"msg":"panic serving request"`, `"panic":"deliberate test panic"`,
		`"msg":"http request"`, `"method":"GET"`, `"path":"/boom"`, `"status":500`, `"duration_ms":`, `"bytes":`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

func TestRenderPageOutsideDashboards(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.GET("/x", func(c *gin.Context) { RenderPage(c, 201, Page{Title: "x", Body: "<b>raw</b>"}) })
	rec := get(t, e, "/x")
	if rec.Code != 201 || rec.Body.String() != "<b>raw</b>" {
		t.Errorf("%d %q", rec.Code, rec.Body.String())
	}
}

func TestParseParams(t *testing.T) {
	tests := []struct {
		query   string
		want    params
		wantErr string
	}{
		{"", params{}, ""},
		{"as_of=2026-01-31&portfolio=Hospital+IT&program=+Clinical+&project=ehr", params{AsOf: "2026-01-31", Portfolio: "Hospital IT", Program: "Clinical", Project: "ehr"}, ""},
		{"as_of=2024-02-29", params{AsOf: "2024-02-29"}, ""},
		{"as_of=2026-02-29", params{}, "calendar date"},
		{"as_of=2026-1-5", params{}, "YYYY-MM-DD"},
		{"as_of=2026-01-05T00:00:00Z", params{}, "YYYY-MM-DD"},
		{"as_of=0001-01-01", params{}, "before 1900"},
	}
	for _, tc := range tests {
		q, _ := url.ParseQuery(tc.query)
		got, err := parseParams(q)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want %q", tc.query, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %+v, %v; want %+v", tc.query, got, err, tc.want)
		}
	}
}

func FuzzParseParams(f *testing.F) {
	for _, s := range []string{"as_of=2026-01-31", "as_of=2026-02-30", "portfolio=%00&as_of=", "as_of=9999-12-31", "as_of=+2026-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		p, err := parseParams(q)
		if err != nil {
			return
		}
		// An accepted date is canonical: it survives the query round trip unchanged.
		back, _ := url.ParseQuery(strings.TrimPrefix(p.query(), "?"))
		p2, err := parseParams(back)
		if err != nil || p2 != p {
			t.Fatalf("round trip of %q: %+v -> %+v (%v)", raw, p, p2, err)
		}
	})
}

func TestPercentile(t *testing.T) {
	vals := []float64{5, 1, 4, 2, 3, 10, 6, 9, 8, 7}
	// Nearest rank over 10 sorted values: p50 is the 5th (5), p85 the 9th (9).
	if p := percentile(vals, 0.5); p != 5 {
		t.Errorf("p50 %v", p)
	}
	if p := percentile(vals, 0.85); p != 9 {
		t.Errorf("p85 %v", p)
	}
}

func TestWBSLess(t *testing.T) {
	ordered := []string{"1", "1.1", "1.2", "1.10", "2", "2.1.3", "2.9", "10", "A.1", "A.2"}
	for i := 0; i+1 < len(ordered); i++ {
		if !wbsLess(ordered[i], ordered[i+1]) || wbsLess(ordered[i+1], ordered[i]) {
			t.Errorf("%s should sort before %s", ordered[i], ordered[i+1])
		}
	}
}

func TestETagMatching(t *testing.T) {
	tag := makeETag("v000042.duckdb", "1.0", "")
	if !strings.HasPrefix(tag, `"v000042-`) {
		t.Errorf("tag %s", tag)
	}
	if makeETag("v000042.duckdb", "1.1", "") == tag || makeETag("v000043.duckdb", "1.0", "") == tag {
		t.Error("tag does not change with build or version")
	}
	for _, tc := range []struct {
		header string
		want   bool
	}{{tag, true}, {"W/" + tag, true}, {`"x", ` + tag, true}, {"*", true}, {`"x"`, false}, {"", false}} {
		if got := etagMatches(tc.header, tag); got != tc.want {
			t.Errorf("If-None-Match %q: %v", tc.header, got)
		}
	}
}

func TestCSVValue(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{1250000.0, "1250000"}, {0.907142857, "0.907142857"}, {-20000.0, "-20000"}, {int64(12), "12"}, {nil, ""},
		{"=SUM(A1)", "'=SUM(A1)"}, {"+1", "'+1"}, {"-x", "'-x"}, {"@cmd", "'@cmd"}, {"plain", "plain"},
	} {
		if got := csvValue(tc.in); got != tc.want {
			t.Errorf("csvValue(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFormatNumber(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		kind string
		want string
	}{
		{2600000, kindMoney, "2,600,000"}, {-209057.4, kindMoney, "-209,057"}, {0.9071, kindIndex, "0.907"},
		{12, kindInt, "12"}, {1.25, kindRatio, "125.0%"}, {22, kindDays, "22.0"}, {-0.4, kindMoney, "0"},
	} {
		if got := formatNumber(tc.v, tc.kind); got != tc.want {
			t.Errorf("formatNumber(%v, %s) = %q, want %q", tc.v, tc.kind, got, tc.want)
		}
	}
}

func TestWarmupBuildsPagesOfANewVersion(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	h := f.handler(t, func(o *Options) { o.Warm = DefaultWarmPaths() })
	// Pages are cached per role and scope, so warm-up builds them for the
	// principals seen recently: here the demo's anonymous admin.
	if rec := get(t, h, "/data"); rec.Code != 200 {
		t.Fatal(rec.Code)
	}
	f.republish(t)
	if rec := get(t, h, "/readyz"); rec.Code != 200 {
		t.Fatal(rec.Code)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(f.logs.String(), `"msg":"warmed the page cache"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no warm-up logged:\n%s", f.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	logs := f.logs.String()
	// Warm-up requests are logged at debug level and answered 200.
	if !strings.Contains(logs, `"level":"DEBUG","msg":"http request","component":"dashboards","method":"GET","path":"/risks","status":200`) {
		t.Errorf("warm-up of /risks not logged as a debug 200:\n%s", logs)
	}
}

// TestConcurrentFirstRequests: a burst on an uncached page is built once and every
// request gets the same answer (run with -race).
func TestConcurrentFirstRequests(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	h := f.handler(t)
	const n = 20
	bodies := make([]string, n)
	done := make(chan int, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			rec := get(t, h, "/project/ehr")
			if rec.Code == 200 {
				bodies[i] = rec.Body.String()
			}
			done <- i
		}(i)
	}
	for i := 0; i < n; i++ {
		<-done
	}
	for i := 1; i < n; i++ {
		if bodies[i] == "" || bodies[i] != bodies[0] {
			t.Fatalf("request %d got a different or failed answer", i)
		}
	}
}
