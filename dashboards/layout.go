package dashboards

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pmlens/pmlens/auth"
)

// Page is what another package (the workbench) hands to RenderPage to be framed in
// the shared layout: navigation, skip link, print header, styles and scripts.
type Page struct {
	// Title is the document title and main heading.
	Title string
	// Nav is the navigation key to mark current; use the Path of your NavLink.
	Nav string
	// Body is the page's content, already escaped by the caller's html/template.
	Body template.HTML
	// Scripts are extra script URLs (same origin only, e.g. "/workbench/static/wb.js");
	// inline scripts are blocked by the Content-Security-Policy.
	Scripts []string
	// Styles are extra stylesheet URLs (same origin only).
	Styles []string
}

type layoutKey struct{}

// withLayout makes the server reachable from handlers registered by other
// packages (Options.Register), so RenderPage needs no package-level state.
func (s *server) withLayout(c *gin.Context) {
	c.Set(layoutKey{}, s)
	c.Next()
}

// RenderPage writes p framed in the dashboards layout with the given status,
// with the navigation, name and sign-out form of the request's principal. It
// works in handlers registered through Options.Register; elsewhere it writes the
// body without the frame.
func RenderPage(c *gin.Context, status int, p Page) {
	v, ok := c.Get(layoutKey{})
	s, _ := v.(*server)
	if !ok || s == nil {
		c.Data(status, "text/html; charset=utf-8", []byte(p.Body))
		return
	}
	who, _ := auth.FromContext(c)
	pd := &pageData{Title: p.Title, Heading: p.Title, Nav: p.Nav, Body: p.Body, Scripts: p.Scripts, Styles: p.Styles}
	s.decorate(pd, params{}, who)
	b, err := s.renderHTML("raw", pd)
	if err != nil {
		s.log.Error("rendering page", "path", c.Request.URL.Path, "err", err)
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("internal error rendering the page\n"))
		return
	}
	s.sendHTML(c, status, b)
}

// Placeholders in the layout for what differs between people who share a
// cached page: the demo banner and the signed-in user's name and sign-out form.
// They are elements, not comments, because html/template drops comments; data
// cannot produce them (it is HTML-escaped, so "<" never appears).
var (
	sessionMark = []byte("<x-pmlens-session></x-pmlens-session>")
	userMark    = []byte("<x-pmlens-user></x-pmlens-user>")
)

// sessionTemplate renders the per-person parts of a page.
var sessionTemplate = template.Must(template.New("session").Parse(`{{define "banner"}}{{if .Anonymous}}<p class="demo-banner" role="note"><strong>Demo mode:</strong> no sign-in; this server only listens on this machine.</p>{{end}}{{end}}` +
	`{{define "user"}}{{if .}}<div class="user-bar"><span class="user-name">{{.User}}<span class="user-role"> · {{.Role}}</span></span>` +
	`{{if not .Anonymous}}<form method="post" action="/signout" class="signout"><button type="submit">Sign out</button></form>{{end}}</div>{{end}}{{end}}`))

// personalise splits a rendered page at its placeholders and puts the
// principal's banner and user bar in them. The cached page is not copied: a
// project page is hundreds of kilobytes and is sent hundreds of times a second.
func personalise(body []byte, who *auth.Principal) [][]byte {
	var banner, user bytes.Buffer
	if who != nil {
		_ = sessionTemplate.ExecuteTemplate(&banner, "banner", who)
		_ = sessionTemplate.ExecuteTemplate(&user, "user", who)
	}
	parts := make([][]byte, 0, 5)
	for _, m := range []struct{ mark, fill []byte }{{sessionMark, banner.Bytes()}, {userMark, user.Bytes()}} {
		// The layout puts the banner's mark before the user bar's.
		if i := bytes.Index(body, m.mark); i >= 0 {
			parts = append(parts, body[:i], m.fill)
			body = body[i+len(m.mark):]
		}
	}
	return append(parts, body)
}

// sendHTML writes a rendered page personalised for the request's principal.
func (s *server) sendHTML(c *gin.Context, status int, body []byte) {
	who, _ := auth.FromContext(c)
	parts := personalise(body, who)
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	h := c.Writer.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(n))
	c.Status(status)
	if c.Request.Method == http.MethodHead {
		return
	}
	for _, p := range parts {
		if _, err := c.Writer.Write(p); err != nil {
			return // the client went away
		}
	}
}

// crumb is one breadcrumb link.
type crumb struct {
	Label, Href string
}

// filterBar is the form at the top of the data pages.
type filterBar struct {
	Action       string
	Portfolios   []string
	Programs     []string
	Portfolio    string
	Program      string
	AsOf         string
	Latest       string
	ShowScope    bool
	ClearHref    string
	HiddenFields map[string]string
}

// pageData is everything the layout and a page template need.
type pageData struct {
	Title        string
	Heading      string
	Subtitle     string
	Nav          string
	Crumbs       []crumb
	Filters      *filterBar
	AsOfText     string
	PrintFilters string
	Version      string
	PublishedAt  string
	Build        string
	NavQuery     string
	NavLinks     []NavLink
	// Admin shows the administration links (users, audit trail).
	Admin   bool
	Scripts []string
	Styles  []string
	Charts  map[string]*Chart
	Notices []string
	Body    any
}

// decorate fills the layout fields every page shares; the navigation shows
// only what who's role may open (pages are cached per role, so this is safe).
func (s *server) decorate(pd *pageData, p params, who *auth.Principal) {
	pd.Build = s.opts.Version
	pd.NavLinks = nil
	for _, l := range s.opts.Nav {
		if who.Can(max(l.Role, auth.RoleViewer)) {
			pd.NavLinks = append(pd.NavLinks, l)
		}
	}
	pd.Admin = who.Can(auth.RoleAdmin)
	pd.NavQuery = params{AsOf: p.AsOf, Portfolio: p.Portfolio}.query()
	if pd.Title == "" {
		pd.Title = pd.Heading
	}
}

func (pd *pageData) addChart(ch *Chart, pagePath string, p params) *Chart {
	if pd.Charts == nil {
		pd.Charts = map[string]*Chart{}
	}
	ch.CSV = pagePath + p.query("chart", ch.ID, "format", "csv")
	pd.Charts[ch.ID] = ch
	return ch
}

func parsePages(a *assets) (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"static":   a.url,
		"fmt":      formatCell,
		"fmtp":     formatPtr,
		"ragLabel": func(r string) string { return ragStyle[r].Label },
		"ragClass": func(r string) string {
			if r == "" {
				return "rag-none"
			}
			return "rag-" + r
		},
		"time": func(t any) string {
			switch x := t.(type) {
			case time.Time:
				return x.UTC().Format("2006-01-02 15:04 UTC")
			case *time.Time:
				if x == nil {
					return ""
				}
				return x.UTC().Format("2006-01-02 15:04 UTC")
			}
			return ""
		},
		"pathEscape": pathEscape,
		"query":      url.QueryEscape,
		"sortKey":    sortKey,
		"ragRank":    ragRank,
		"lower":      strings.ToLower,
		"add":        func(a, b int) int { return a + b },
		"clip": func(s string, n int) string {
			if len(s) <= n {
				return s
			}
			for n > 0 && s[n]&0xC0 == 0x80 {
				n--
			}
			return s[:n] + "…"
		},
		"timesec": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
	}
	pages := map[string]*template.Template{}
	names, err := fs.Glob(templateFS, "templates/page_*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		key := strings.TrimSuffix(strings.TrimPrefix(n, "templates/page_"), ".html")
		t, err := template.New(key).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", n, err)
		}
		pages[key] = t
	}
	return pages, nil
}

func (s *server) renderHTML(page string, pd *pageData) ([]byte, error) {
	t, ok := s.pages[page]
	if !ok {
		return nil, fmt.Errorf("no template for page %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pd); err != nil {
		return nil, fmt.Errorf("rendering page %s: %w", page, err)
	}
	return buf.Bytes(), nil
}

// errorPage renders a message page (400, 404, 503…) in the layout.
func (s *server) errorPage(status int, title, msg string, p params, who *auth.Principal) *response {
	pd := &pageData{Heading: title, Body: errorBody{Status: status, Message: msg}}
	s.decorate(pd, p, who)
	b, err := s.renderHTML("error", pd)
	if err != nil {
		return &response{status: status, ctype: "text/plain; charset=utf-8", body: []byte(title + ": " + msg + "\n")}
	}
	return &response{status: status, ctype: "text/html; charset=utf-8", body: b}
}

type errorBody struct {
	Status  int
	Message string
}

func (s *server) renderError(c *gin.Context, status int, title, msg string) {
	who, _ := auth.FromContext(c)
	r := s.errorPage(status, title, msg, params{}, who)
	c.Header("Cache-Control", "no-store")
	s.sendHTML(c, r.status, r.body)
}

// csvResponse writes a chart's table as CSV: the same rounded numbers the chart
// draws, raw (no thousands separators), dates as YYYY-MM-DD. Text cells that a
// spreadsheet would run as a formula are prefixed with an apostrophe.
func csvResponse(ch *Chart, filename string) *response {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	var head []string
	for _, c := range ch.Table.Cols {
		head = append(head, c.Label)
	}
	_ = w.Write(head)
	for _, rw := range ch.Table.Rows {
		rec := make([]string, len(rw))
		for i, c := range rw {
			rec[i] = csvValue(c.V)
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return &response{status: http.StatusOK, ctype: "text/csv; charset=utf-8", body: buf.Bytes(),
		header: map[string]string{"Content-Disposition": fmt.Sprintf(`attachment; filename="%s"`, filename)}}
}

func csvValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case string:
		if x != "" && strings.ContainsRune("=+-@\t\r", rune(x[0])) {
			return "'" + x
		}
		return x
	default:
		return fmt.Sprint(x)
	}
}

// formatCell formats a table value for people (thousands separators, 3-decimal
// indices, Red/Amber/Green words).
func formatCell(kind string, v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case float64:
		return formatNumber(x, kind)
	case int64:
		return formatNumber(float64(x), kind)
	case int:
		return formatNumber(float64(x), kind)
	case *float64:
		if x == nil {
			return "—"
		}
		return formatNumber(*x, kind)
	case string:
		if kind == kindRAG {
			return ragStyle[x].Label
		}
		if x == "" {
			return "—"
		}
		return x
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04 UTC")
	}
	return fmt.Sprint(v)
}

func formatPtr(kind string, v *float64) string {
	if v == nil {
		return "—"
	}
	return formatNumber(*v, kind)
}

// sortKey is the value the table sorter compares (data-sort): numbers raw, text
// lower-cased, missing values last.
func sortKey(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case *float64:
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(*x, 'f', -1, 64)
	case float64:
		if math.IsNaN(x) {
			return ""
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return fmt.Sprint(x)
	case string:
		return strings.ToLower(x)
	}
	return fmt.Sprint(v)
}

func pathEscape(s string) string { return url.PathEscape(s) }
