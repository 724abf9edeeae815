package dashboards

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pmlens/pmlens/auth"
	"github.com/pmlens/pmlens/warehouse/sandbox"
)

// Audit event kinds the dashboards record (auth records sign-ins and user
// changes; the sandbox records queries).
const (
	EventViewProject   = "view.project"          // a project page or a project's API data
	EventExportCSV     = "export.csv"            // a chart's CSV download
	EventViewAudit     = "view.audit"            // the audit page
	EventExportAudit   = "export.audit"          // the audit trail as CSV
	EventSyncRequested = "source.sync_requested" // an admin's "Sync now"
)

// recordAccess writes the audit event of a page or API answer just sent:
// views of a project (page or API) and chart CSV exports, with the status, so
// probing for projects outside one's scope (404) shows in the trail too.
func (s *server) recordAccess(c *gin.Context) {
	if isWarmUp(c) {
		return
	}
	who, ok := auth.FromContext(c)
	if !ok {
		return
	}
	status := c.Writer.Status()
	var kind, detail string
	switch {
	case c.Query("format") == "csv":
		kind, detail = EventExportCSV, fmt.Sprintf("chart %q of %s; status %d", c.Query("chart"), c.Request.URL.Path, status)
	case strings.Contains(c.FullPath(), ":id") && c.Param("id") != "":
		kind, detail = EventViewProject, fmt.Sprintf("project %q; status %d", c.Param("id"), status)
	case c.Query("project") != "":
		kind, detail = EventViewProject, fmt.Sprintf("project %q via %s; status %d", c.Query("project"), c.Request.URL.Path, status)
	default:
		return
	}
	if asOf := c.Query("as_of"); asOf != "" && len(asOf) <= 10 {
		detail += "; as of " + asOf
	}
	s.opts.Auditor.Event(c.Request.Context(), kind, who.User, detail)
}

// syncNow starts a configured source's sync at once (admins). A browser form
// is sent back to the Data page; API clients get 202 with JSON.
func (s *server) syncNow(c *gin.Context) {
	who, _ := auth.FromContext(c)
	name := c.Param("name")
	form := strings.HasPrefix(c.ContentType(), "application/x-www-form-urlencoded") || strings.HasPrefix(c.ContentType(), "multipart/form-data")
	c.Header("Cache-Control", "no-store")
	answer := func(status int, msg string) {
		s.opts.Auditor.Event(c.Request.Context(), EventSyncRequested, who.User, fmt.Sprintf("source %q: %s", name, msg))
		if form && status == http.StatusAccepted {
			c.Redirect(http.StatusSeeOther, "/data"+params{}.query("sync", name))
			return
		}
		if status == http.StatusAccepted {
			c.JSON(status, gin.H{"source": name, "status": "started"})
			return
		}
		c.JSON(status, gin.H{"error": msg})
	}
	trig, ok := s.opts.Scheduler.(SyncTrigger)
	if !ok {
		answer(http.StatusNotImplemented, "this server has no scheduler that can start a sync")
		return
	}
	configured := false
	if s.opts.Config != nil {
		for _, src := range s.opts.Config.Sources {
			configured = configured || src.Name == name
		}
	}
	if !configured {
		answer(http.StatusNotFound, "no configured source is named "+strconv.Quote(name))
		return
	}
	if err := trig.Trigger(name); err != nil {
		answer(http.StatusConflict, "not started: "+err.Error())
		return
	}
	answer(http.StatusAccepted, "started")
}

// usersBody is the model of the admin users page.
type usersBody struct {
	Users      []auth.User
	Enabled    bool
	SSO        bool
	MinLength  int
	UsersFile  string
	Error      string
	Portfolios []string
	Programs   []string
	Roles      []string
}

// usersPage lists the users file's users with forms that call the admin user
// API (/api/v1/admin/users, auth.Service.Register) from static/admin.js. The
// page refreshes its table every 30 s with the background header, so an open
// admin page does not keep its session alive.
func (s *server) usersPage(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	if s.opts.Auth == nil {
		s.renderError(c, http.StatusNotFound, "User management unavailable", "This server was started without the sign-in service, so there are no users to manage.")
		return
	}
	who, _ := auth.FromContext(c)
	b := usersBody{Enabled: s.opts.Auth.Enabled(), SSO: s.opts.Auth.SSOEnabled(), UsersFile: s.opts.Auth.Users().Path(), Roles: roleNames}
	if s.opts.Config != nil {
		b.MinLength = s.opts.Config.Auth.Password.MinLength
		var pf, pg []string
		for _, p := range s.opts.Config.Projects {
			pf, pg = append(pf, p.Portfolio), append(pg, p.Program)
		}
		b.Portfolios, b.Programs = distinctSorted(pf), distinctSorted(pg)
	}
	users, err := s.opts.Auth.Users().List()
	if err != nil {
		s.log.Error("listing users for the admin page", "err", err)
		b.Error = "The users file could not be read; the server log has the details."
	}
	b.Users = users
	pd := &pageData{Heading: "Users", Nav: "admin-users", Body: b, Scripts: []string{s.assets.url("admin.js")}}
	s.decorate(pd, params{}, who)
	out, err := s.renderHTML("users", pd)
	if err != nil {
		s.log.Error("rendering the users page", "err", err)
		c.String(http.StatusInternalServerError, "internal error rendering the page\n")
		return
	}
	s.sendHTML(c, http.StatusOK, out)
}

// auditBody is the model of the admin audit page.
type auditBody struct {
	User, Kind, From, To string
	Limit                int
	Events               []sandbox.AuditEvent
	Truncated            bool
	CSV                  string
	Kinds                []string
	Error                string
}

// auditKinds are offered in the audit page's kind filter (a prefix matches a
// family, such as "auth.").
var auditKinds = []string{"auth.", auth.EventSignIn, auth.EventSignInFailed, auth.EventSignInLocked, auth.EventLockout, auth.EventSignOut,
	auth.EventSessionEnded, auth.EventTokenUsed, auth.EventTokenRefused, auth.EventForbidden, auth.EventCSRFRefused,
	"user.", "view.", EventViewProject, "export.", EventExportCSV, sandbox.QueryEventKind, EventSyncRequested, "server.", "audit."}

const auditPageRows = 500

// auditPage shows the audit trail with filters (user, kind prefix, date range)
// and exports it as CSV (?format=csv, every matching event up to
// sandbox.MaxEvents). Viewing and exporting are themselves audited.
func (s *server) auditPage(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	who, _ := auth.FromContext(c)
	if s.opts.AuditTrail == nil {
		s.renderError(c, http.StatusNotFound, "Audit trail unavailable", "This server was started without an audit log.")
		return
	}
	b := auditBody{User: strings.TrimSpace(c.Query("user")), Kind: strings.TrimSpace(c.Query("kind")),
		From: strings.TrimSpace(c.Query("from")), To: strings.TrimSpace(c.Query("to")), Kinds: auditKinds}
	f := sandbox.EventFilter{User: b.User, Kind: b.Kind, Limit: auditPageRows + 1}
	var errs []string
	if b.From != "" {
		t, err := time.Parse(dateLayout, b.From)
		if err != nil {
			errs = append(errs, fmt.Sprintf("from must be a date written YYYY-MM-DD; got %q", b.From))
		}
		f.From = t
	}
	if b.To != "" {
		t, err := time.Parse(dateLayout, b.To)
		if err != nil {
			errs = append(errs, fmt.Sprintf("to must be a date written YYYY-MM-DD; got %q", b.To))
		}
		// The "to" day is included.
		f.To = t.AddDate(0, 0, 1)
	}
	csvOut := c.Query("format") == "csv"
	if csvOut {
		f.Limit = sandbox.MaxEvents
	}
	if len(errs) > 0 {
		if csvOut {
			c.String(http.StatusBadRequest, strings.Join(errs, "; ")+"\n")
			return
		}
		s.renderError(c, http.StatusBadRequest, "Bad request", strings.Join(errs, "; "))
		return
	}
	events, err := s.opts.AuditTrail.Events(c.Request.Context(), f)
	filterText := fmt.Sprintf("user %q, kind %q, from %q, to %q", b.User, b.Kind, b.From, b.To)
	if err != nil {
		s.log.Error("reading the audit trail", "err", err)
		b.Error = "The audit trail could not be read just now (another pmlens process may hold it); try again in a moment."
	}
	if csvOut {
		if err != nil {
			c.String(http.StatusServiceUnavailable, b.Error+"\n")
			return
		}
		s.opts.Auditor.Event(c.Request.Context(), EventExportAudit, who.User, fmt.Sprintf("%d events; %s", len(events), filterText))
		c.Header("Content-Disposition", `attachment; filename="pmlens-audit-`+time.Now().UTC().Format("20060102-150405")+`.csv"`)
		c.Data(http.StatusOK, "text/csv; charset=utf-8", auditCSV(events))
		return
	}
	s.opts.Auditor.Event(c.Request.Context(), EventViewAudit, who.User, filterText)
	if len(events) > auditPageRows {
		events, b.Truncated = events[:auditPageRows], true
	}
	b.Events = events
	q := c.Request.URL.Query()
	q.Set("format", "csv")
	b.CSV = "/admin/audit?" + q.Encode()
	pd := &pageData{Heading: "Audit trail", Nav: "admin-audit", Body: b}
	s.decorate(pd, params{}, who)
	out, err := s.renderHTML("audit", pd)
	if err != nil {
		s.log.Error("rendering the audit page", "err", err)
		c.String(http.StatusInternalServerError, "internal error rendering the page\n")
		return
	}
	s.sendHTML(c, http.StatusOK, out)
}

// auditCSV writes events as CSV, newest first, with text a spreadsheet would
// run as a formula defused (csvValue).
func auditCSV(events []sandbox.AuditEvent) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"time_utc", "user", "role", "kind", "detail", "client_ip", "method", "path", "pid", "seq", "id"})
	for _, ev := range events {
		_ = w.Write([]string{ev.Time.UTC().Format(time.RFC3339Nano), csvValue(ev.User), csvValue(ev.Role), csvValue(ev.Kind), csvValue(ev.Detail),
			csvValue(ev.ClientIP), csvValue(ev.Method), csvValue(ev.Path), strconv.Itoa(ev.PID), strconv.FormatInt(ev.Seq, 10), ev.ID})
	}
	w.Flush()
	return buf.Bytes()
}

// roleNames are the roles the users page offers.
var roleNames = []string{auth.RoleViewer.String(), auth.RoleAnalyst.String(), auth.RoleAdmin.String()}
