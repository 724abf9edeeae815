// Package workbench serves the analyst SQL workbench: the editor page, the
// JSON query API, schema, downloads, saved queries and history. Queries run in
// warehouse/sandbox; this package only speaks HTTP.
//
// Routes (registered by Register):
//
//	GET    /workbench                      the page (framed by the dashboards layout)
//	GET    /workbench/static/:file         the editor bundle (built by web/build.sh)
//	POST   /api/v1/query                   {"sql"} → {"columns","rows","truncated",...}
//	POST   /api/v1/query/download          {"sql","format"} → csv | json | xlsx | parquet file
//	GET    /api/v1/schema                  tables, views, columns, types, descriptions
//	GET    /api/v1/workbench/history       the caller's recent queries
//	GET    /api/v1/workbench/saved         the caller's saved queries
//	POST   /api/v1/workbench/saved         {"name","sql"} → saved query (same name replaces)
//	DELETE /api/v1/workbench/saved/:id
//
// State-changing and query requests must be JSON POSTs from the same origin
// (http.CrossOriginProtection), so another site cannot make a signed-in
// analyst's browser run or download a query.
package workbench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pmlens/pmlens/auth"
	"github.com/pmlens/pmlens/dashboards"
	"github.com/pmlens/pmlens/warehouse"
	"github.com/pmlens/pmlens/warehouse/sandbox"
)

// Deps is what the workbench needs from the server.
type Deps struct {
	// Sandbox runs the queries. Required.
	Sandbox *sandbox.Sandbox
	// Audit stores history and saved queries (and must be the Sandbox's
	// Options.Audit, so history shows what the sandbox recorded). Required.
	Audit *sandbox.AuditLog
	// User names the caller, their role (sandbox.RoleAdmin or
	// sandbox.RoleAnalyst; anything else is refused) and the scope of rows
	// they may query (nil = everything). Nil means everyone is "local" with
	// role admin, which only the loopback demo with sign-in off may use.
	User func(*gin.Context) Caller
	// Logger receives request errors; nil discards them.
	Logger *slog.Logger
	// Auditor receives an export.download event for every result downloaded
	// (the query itself is in the sandbox's audit log); nil drops them.
	Auditor auth.Auditor
	// Descriptions add or override schema descriptions: "table" or
	// "table.column" → text. DuckDB comments (COMMENT ON) are used first.
	Descriptions map[string]string
}

// NavLink is the navigation entry to pass to dashboards.Options.Nav.
var NavLink = dashboards.NavLink{Label: "SQL", Path: "/workbench", Role: auth.RoleAnalyst}

// MaxRequestBytes bounds a JSON request body.
const MaxRequestBytes = sandbox.MaxSQLBytes + 64<<10

//go:embed templates/workbench.html
var templateFS embed.FS

// staticFS is the editor bundle; static/ holds only a .gitignore until
// web/build.sh has run, and the page then falls back to a plain text box.
//
//go:embed all:static
var staticFS embed.FS

type handler struct {
	deps   Deps
	log    *slog.Logger
	page   *template.Template
	assets map[string]asset
	cop    *http.CrossOriginProtection
}

type asset struct {
	data  []byte
	hash  string
	ctype string
}

// Register adds the workbench routes to r.
func Register(r gin.IRouter, deps Deps) {
	if deps.Sandbox == nil || deps.Audit == nil {
		panic("workbench.Register: Deps.Sandbox and Deps.Audit are required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.User == nil {
		deps.User = func(*gin.Context) Caller { return Caller{Name: "local", Role: sandbox.RoleAdmin} }
	}
	if deps.Auditor == nil {
		deps.Auditor = auth.NopAuditor{}
	}
	h := &handler{
		deps:   deps,
		log:    deps.Logger.With("component", "workbench"),
		page:   template.Must(template.New("workbench").ParseFS(templateFS, "templates/workbench.html")),
		assets: loadAssets(),
		cop:    http.NewCrossOriginProtection(),
	}
	r.GET("/workbench", h.allowed, h.showPage)
	r.GET("/workbench/static/:file", h.static)
	r.POST("/api/v1/query", h.sameOrigin, h.allowed, h.query)
	r.POST("/api/v1/query/download", h.sameOrigin, h.allowed, h.download)
	r.GET("/api/v1/schema", h.allowed, h.schema)
	r.GET("/api/v1/workbench/history", h.allowed, h.history)
	r.GET("/api/v1/workbench/saved", h.allowed, h.listSaved)
	r.POST("/api/v1/workbench/saved", h.sameOrigin, h.allowed, h.save)
	r.DELETE("/api/v1/workbench/saved/:id", h.sameOrigin, h.allowed, h.deleteSaved)
}

func loadAssets() map[string]asset {
	out := map[string]asset{}
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		out[path.Base(p)] = asset{data: b, hash: hex.EncodeToString(sum[:8]), ctype: ctype}
		return nil
	})
	return out
}

// apiError is the JSON error body of every endpoint.
type apiError struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Kind     string            `json:"kind"`
	Message  string            `json:"message"`
	Position *sandbox.Position `json:"position,omitempty"`
}

func (h *handler) fail(c *gin.Context, status int, kind, msg string) {
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(status, apiError{Error: errorBody{Kind: kind, Message: msg}})
}

// sameOrigin refuses cross-site requests and non-JSON bodies.
func (h *handler) sameOrigin(c *gin.Context) {
	if err := h.cop.Check(c.Request); err != nil {
		h.fail(c, http.StatusForbidden, "forbidden", "cross-origin requests are not accepted: "+err.Error())
		return
	}
	if c.Request.Method == http.MethodPost {
		mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
		if mt != "application/json" {
			h.fail(c, http.StatusUnsupportedMediaType, "invalid", "send the request as JSON (Content-Type: application/json)")
			return
		}
	}
	c.Next()
}

type userKey struct{}

// EventDownload is the audit event kind of a query result downloaded as a file.
const EventDownload = "export.download"

// clientIP is the caller's address as the sign-in service saw it (trusted
// proxies applied), else the connection's.
func clientIP(c *gin.Context) string {
	if m, ok := auth.RequestMetaFrom(c); ok && m.ClientIP != "" {
		return m.ClientIP
	}
	return c.RemoteIP()
}

// Caller is who uses the workbench: Name for history and the audit log, Role
// for what they may run, Scope for the rows they may see (nil = all).
type Caller struct {
	Name  string
	Role  string
	Scope *sandbox.Scope
}

// allowed lets admins and analysts in and remembers who the caller is.
func (h *handler) allowed(c *gin.Context) {
	u := h.deps.User(c)
	if u.Name == "" {
		h.fail(c, http.StatusUnauthorized, "forbidden", "sign in to use the SQL workbench")
		return
	}
	if u.Role != sandbox.RoleAdmin && u.Role != sandbox.RoleAnalyst {
		h.fail(c, http.StatusForbidden, "forbidden", "the SQL workbench is for the analyst and admin roles")
		return
	}
	c.Set(userKey{}, u)
	c.Next()
}

func who(c *gin.Context) Caller {
	v, _ := c.Get(userKey{})
	u, _ := v.(Caller)
	return u
}

type pageModel struct {
	User, Role  string
	MaxRows     int
	Timeout     string
	Initial     string
	Downloads   []sandbox.Format
	BundleBuilt bool
}

func (h *handler) showPage(c *gin.Context) {
	u := who(c)
	opts := h.deps.Sandbox.Options()
	m := pageModel{
		User: u.Name, Role: u.Role, MaxRows: opts.MaxRows, Timeout: opts.Timeout.String(),
		Initial:     "SELECT program, count(*) AS projects, sum(budget) AS budget\nFROM projects\nGROUP BY ALL\nORDER BY budget DESC",
		Downloads:   []sandbox.Format{sandbox.FormatCSV, sandbox.FormatXLSX, sandbox.FormatJSON, sandbox.FormatParquet},
		BundleBuilt: h.assets["workbench.js"].data != nil,
	}
	var body bytes.Buffer
	if err := h.page.ExecuteTemplate(&body, "body", m); err != nil {
		h.log.Error("rendering workbench page", "err", err)
		c.String(http.StatusInternalServerError, "internal error rendering the workbench\n")
		return
	}
	p := dashboards.Page{Title: "SQL workbench", Nav: NavLink.Path, Body: template.HTML(body.String())} //nolint:gosec // produced by html/template above
	for _, name := range []string{"workbench.js"} {
		if a, ok := h.assets[name]; ok {
			p.Scripts = append(p.Scripts, "/workbench/static/"+name+"?v="+a.hash)
		}
	}
	for _, name := range []string{"workbench.css"} {
		if a, ok := h.assets[name]; ok {
			p.Styles = append(p.Styles, "/workbench/static/"+name+"?v="+a.hash)
		}
	}
	c.Header("Cache-Control", "no-store")
	dashboards.RenderPage(c, http.StatusOK, p)
}

func (h *handler) static(c *gin.Context) {
	a, ok := h.assets[c.Param("file")]
	if !ok {
		c.Status(http.StatusNotFound)
		return
	}
	etag := `"` + a.hash + `"`
	if c.GetHeader("If-None-Match") == etag {
		c.Status(http.StatusNotModified)
		return
	}
	c.Header("ETag", etag)
	if c.Query("v") == a.hash {
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Header("Cache-Control", "no-cache")
	}
	c.Data(http.StatusOK, a.ctype, a.data)
}

// queryRequest is the body of POST /api/v1/query and /download.
type queryRequest struct {
	SQL    string `json:"sql"`
	Format string `json:"format"`
}

// queryResponse is the answer of POST /api/v1/query. Rows are arrays in column
// order; dates and times are ISO 8601 strings, exact decimals JSON numbers.
type queryResponse struct {
	Columns    []sandbox.Column `json:"columns"`
	Rows       [][]any          `json:"rows"`
	RowCount   int              `json:"row_count"`
	Truncated  bool             `json:"truncated"`
	MaxRows    int              `json:"max_rows"`
	DurationMS float64          `json:"duration_ms"`
	Version    string           `json:"version"`
}

func (h *handler) readQuery(c *gin.Context) (queryRequest, bool) {
	var req queryRequest
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxRequestBytes))
	if err != nil {
		h.fail(c, http.StatusRequestEntityTooLarge, "invalid", fmt.Sprintf("the request is larger than %d bytes", MaxRequestBytes))
		return req, false
	}
	if err := json.Unmarshal(body, &req); err != nil {
		h.fail(c, http.StatusBadRequest, "invalid", "the request body is not the expected JSON ({\"sql\": \"...\"}): "+err.Error())
		return req, false
	}
	return req, true
}

// run sends the query to the sandbox under the request's context, so a closed
// tab cancels it.
func (h *handler) run(c *gin.Context, sqlText, client string) (*sandbox.Result, bool) {
	u := who(c)
	res, err := h.deps.Sandbox.Query(c.Request.Context(), sandbox.Request{SQL: sqlText, User: u.Name, Role: u.Role, Client: client, ClientIP: clientIP(c), Scope: u.Scope})
	if err != nil {
		h.queryFailed(c, err)
		return nil, false
	}
	return res, true
}

func (h *handler) queryFailed(c *gin.Context, err error) {
	kind := sandbox.KindOf(err)
	status := http.StatusInternalServerError
	switch kind {
	case sandbox.KindRefused, sandbox.KindInvalid:
		status = http.StatusBadRequest
	case sandbox.KindTimeout:
		status = http.StatusRequestTimeout
	case sandbox.KindMemory:
		status = http.StatusUnprocessableEntity
	case sandbox.KindBusy:
		status = http.StatusTooManyRequests
		c.Header("Retry-After", "2")
	case sandbox.KindCancelled:
		status = 499 // client closed the request; nobody reads this answer
	}
	body := errorBody{Kind: string(kind), Message: err.Error()}
	var qe *sandbox.QueryError
	if errors.As(err, &qe) {
		body.Message, body.Position = qe.Message, qe.Position
	} else if errors.Is(err, warehouse.ErrNotPublished) {
		status, body.Kind = http.StatusServiceUnavailable, "unavailable"
	}
	if status == http.StatusInternalServerError {
		h.log.Error("workbench query failed", "user", who(c).Name, "err", err)
	}
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(status, apiError{Error: body})
}

func (h *handler) query(c *gin.Context) {
	req, ok := h.readQuery(c)
	if !ok {
		return
	}
	res, ok := h.run(c, req.SQL, "api")
	if !ok {
		return
	}
	out := queryResponse{Columns: res.Columns, Rows: make([][]any, len(res.Rows)), RowCount: len(res.Rows), Truncated: res.Truncated,
		MaxRows: h.deps.Sandbox.Options().MaxRows, DurationMS: float64(res.Duration.Microseconds()) / 1000, Version: res.Version}
	for i, row := range res.Rows {
		out.Rows[i] = sandbox.JSONRow(res, row)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}

func (h *handler) download(c *gin.Context) {
	req, ok := h.readQuery(c)
	if !ok {
		return
	}
	format, err := sandbox.ParseFormat(req.Format)
	if err != nil || format == sandbox.FormatTable {
		h.fail(c, http.StatusBadRequest, "invalid", "choose a download format: csv, json, xlsx or parquet")
		return
	}
	res, ok := h.run(c, req.SQL, "web-download")
	if !ok {
		return
	}
	var buf bytes.Buffer
	// Rendered fully before the first byte is sent, so a failure is still a
	// clean JSON error rather than half a file.
	if err := sandbox.Write(&buf, res, format, sandbox.WriteOptions{SpreadsheetSafe: true}); err != nil {
		h.log.Error("rendering download", "format", format, "err", err)
		h.fail(c, http.StatusInternalServerError, "failed", "the result could not be written as "+string(format))
		return
	}
	name := "pmlens-query-" + time.Now().UTC().Format("20060102-150405") + "." + string(format)
	sum := sha256.Sum256([]byte(req.SQL))
	truncated := ""
	if res.Truncated {
		truncated = " (truncated)"
	}
	h.deps.Auditor.Event(c.Request.Context(), EventDownload, who(c).Name, fmt.Sprintf("%s, %d rows%s, %d bytes; scope %s; sql sha256 %s",
		format, len(res.Rows), truncated, buf.Len(), who(c).Scope, hex.EncodeToString(sum[:])))
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	c.Header("Cache-Control", "no-store")
	c.Header("X-Pmlens-Truncated", strconv.FormatBool(res.Truncated))
	c.Data(http.StatusOK, format.ContentType(), buf.Bytes())
}

// schemaResponse is the answer of GET /api/v1/schema.
type schemaResponse struct {
	Version string                `json:"version"`
	Tables  []sandbox.SchemaTable `json:"tables"`
}

func (h *handler) schema(c *gin.Context) {
	tables, version, err := h.deps.Sandbox.Schema(c.Request.Context(), who(c).Role, who(c).Scope)
	if err != nil {
		h.queryFailed(c, err)
		return
	}
	for i := range tables {
		t := &tables[i]
		if t.Description == "" {
			t.Description = h.describe(t.Name)
		}
		for j := range t.Columns {
			if t.Columns[j].Description == "" {
				t.Columns[j].Description = h.describe(t.Name + "." + t.Columns[j].Name)
			}
		}
	}
	c.Header("Cache-Control", "private, no-cache")
	c.JSON(http.StatusOK, schemaResponse{Version: version, Tables: tables})
}

func (h *handler) describe(key string) string {
	if d, ok := h.deps.Descriptions[key]; ok {
		return d
	}
	return coreDescriptions[key]
}

func (h *handler) history(c *gin.Context) {
	limit, _ := strconv.Atoi(c.DefaultQuery("limit", "50"))
	entries, err := h.deps.Audit.History(c.Request.Context(), who(c).Name, limit)
	if err != nil {
		h.log.Error("reading history", "err", err)
		h.fail(c, http.StatusServiceUnavailable, "unavailable", "history is unavailable right now; retry in a moment")
		return
	}
	type item struct {
		At         time.Time `json:"at"`
		SQL        string    `json:"sql"`
		Outcome    string    `json:"outcome"`
		Rows       int64     `json:"rows"`
		DurationMS float64   `json:"duration_ms"`
		Error      string    `json:"error,omitempty"`
	}
	out := make([]item, len(entries))
	for i, e := range entries {
		out[i] = item{At: e.Time.UTC(), SQL: e.SQL, Outcome: e.Outcome, Rows: e.Rows, DurationMS: float64(e.Duration.Microseconds()) / 1000, Error: e.Error}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"history": out})
}

func (h *handler) listSaved(c *gin.Context) {
	list, err := h.deps.Audit.SavedQueries(c.Request.Context(), who(c).Name)
	if err != nil {
		h.log.Error("listing saved queries", "err", err)
		h.fail(c, http.StatusServiceUnavailable, "unavailable", "saved queries are unavailable right now; retry in a moment")
		return
	}
	if list == nil {
		list = []sandbox.SavedQuery{}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"saved": list})
}

func (h *handler) save(c *gin.Context) {
	var req struct {
		Name string `json:"name"`
		SQL  string `json:"sql"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxRequestBytes))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		h.fail(c, http.StatusBadRequest, "invalid", "the request body is not the expected JSON ({\"name\": \"...\", \"sql\": \"...\"})")
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 15*time.Second)
	defer cancel()
	q, err := h.deps.Audit.SaveQuery(ctx, who(c).Name, req.Name, req.SQL)
	if err != nil {
		h.fail(c, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	c.JSON(http.StatusOK, q)
}

func (h *handler) deleteSaved(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		h.fail(c, http.StatusBadRequest, "invalid", "a saved query id is a number")
		return
	}
	if err := h.deps.Audit.DeleteSavedQuery(c.Request.Context(), who(c).Name, id); errors.Is(err, sandbox.ErrNotFound) {
		h.fail(c, http.StatusNotFound, "not_found", "no saved query "+strconv.FormatInt(id, 10)+" of yours")
		return
	} else if err != nil {
		h.log.Error("deleting saved query", "err", err)
		h.fail(c, http.StatusServiceUnavailable, "unavailable", "saved queries are unavailable right now; retry in a moment")
		return
	}
	c.Status(http.StatusNoContent)
}
