package dashboards

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pmlens/pmlens/auth"
	"github.com/pmlens/pmlens/warehouse"
)

// requestTimeout bounds one page's or API call's queries.
const requestTimeout = 20 * time.Second

// serveCached answers a GET from the per-version cache, or builds it once. The
// ETag names (published version, pmlens build, extra, principal), so a browser
// revalidating after no sync gets 304 without any query running.
//
// What a response shows depends on the principal's role and scope, so both are
// part of the cache key (Principal.Fingerprint): a response built for one scope
// is never served to another. People with the same role and scope share
// entries; their own name is put into HTML pages as they are sent (personalise),
// and is part of the ETag so a browser shared by two people revalidates.
func (s *server) serveCached(c *gin.Context, extraTag func() string, build func(r *req) (*response, error)) {
	isAPI := strings.HasPrefix(c.Request.URL.Path, "/api/")
	who, _ := auth.FromContext(c)
	fail := func(status int, title, msg string) {
		c.Header("Cache-Control", "no-store")
		if isAPI {
			c.JSON(status, gin.H{"error": msg})
			return
		}
		r := s.errorPage(status, title, msg, params{}, who)
		s.sendHTML(c, r.status, r.body)
	}
	if s.opts.Reader == nil {
		fail(http.StatusServiceUnavailable, "Warehouse unavailable", "pmlens was started without a warehouse reader.")
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), requestTimeout)
	defer cancel()
	snap, release, err := s.opts.Reader.Acquire(ctx)
	if err != nil {
		if errors.Is(err, warehouse.ErrNotPublished) {
			fail(http.StatusServiceUnavailable, "No data yet", err.Error())
			return
		}
		s.log.Error("opening published warehouse", "path", c.Request.URL.Path, "err", err)
		fail(http.StatusServiceUnavailable, "Warehouse unavailable", "The published warehouse could not be opened; the server log has the details.")
		return
	}
	defer release()
	s.remember(who)
	s.maybeWarm(snap.Version)

	extra := ""
	if extraTag != nil {
		extra = extraTag()
	}
	fp := who.Fingerprint()
	subject := ""
	if who != nil {
		subject = who.Subject
	}
	etag := makeETag(snap.Version, s.opts.Version, extra+"\x00"+fp+"\x00"+subject)
	c.Header("ETag", etag)
	// private: a shared cache (a proxy) must never hand one person's answer to another.
	c.Header("Cache-Control", "private, no-cache")
	c.Header("X-Pmlens-Data-Version", snap.Version)
	if etagMatches(c.GetHeader("If-None-Match"), etag) {
		c.Status(http.StatusNotModified)
		return
	}
	key := fp + "\x00" + extra + "\x00" + canonicalURL(c)
	resp, err := s.cache.get(snap.Version, key, func() (*response, error) {
		cat, err := s.catalogs.get(ctx, snap)
		if err != nil {
			return nil, err
		}
		r := &req{ctx: ctx, s: s, c: c, snap: snap, db: snap.DB, cat: cat, version: snap.Version, who: who}
		return build(r)
	})
	if err != nil {
		s.log.Error("building response", "path", c.Request.URL.Path, "query", c.Request.URL.RawQuery, "version", snap.Version, "err", err)
		_ = c.Error(err)
		msg := "The server could not build this page; the server log has the details."
		if errors.Is(err, context.DeadlineExceeded) {
			msg = "The warehouse took too long to answer; try again, or narrow the filters."
		}
		fail(http.StatusInternalServerError, "Something went wrong", msg)
		return
	}
	for k, v := range resp.header {
		c.Header(k, v)
	}
	if resp.status >= 400 {
		c.Header("Cache-Control", "no-store")
		c.Writer.Header().Del("ETag")
	}
	if strings.HasPrefix(resp.ctype, "text/html") {
		s.sendHTML(c, resp.status, resp.body)
		return
	}
	c.Data(resp.status, resp.ctype, resp.body)
}

// canonicalURL is the path plus the query with keys sorted and empty values
// dropped, so equivalent URLs share one cache entry.
func canonicalURL(c *gin.Context) string {
	q := c.Request.URL.Query()
	keys := make([]string, 0, len(q))
	for k, vs := range q {
		if len(vs) > 0 && vs[0] != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(c.Request.URL.Path)
	for i, k := range keys {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		fmt.Fprintf(&b, "%s=%s", k, strings.Join(c.Request.URL.Query()[k], ","))
	}
	return b.String()
}

// pageFunc builds a page model; pagePath is the page's own path (for CSV links).
type pageFunc func(r *req) (*pageData, string, error)

// page wraps a page builder: parameters, errors as pages (400/404 with the
// message), HTML or, with format=csv&chart=ID, the chart's CSV.
func (s *server) page(fn pageFunc, extraTag func() string) gin.HandlerFunc {
	return func(c *gin.Context) {
		s.serveCached(c, extraTag, func(r *req) (*response, error) {
			p, err := parseParams(c.Request.URL.Query())
			r.p = p
			if err != nil {
				return s.userError(err, p, r.who)
			}
			pd, name, err := fn(r)
			if err != nil {
				return s.userError(err, p, r.who)
			}
			switch c.Query("format") {
			case "":
			case "csv":
				id := c.Query("chart")
				ch, ok := pd.Charts[id]
				if !ok || ch.Table == nil || ch.Empty != "" {
					return &response{status: http.StatusNotFound, ctype: "text/plain; charset=utf-8",
						body: []byte(fmt.Sprintf("this page has no chart %q with data to download\n", id))}, nil
				}
				suffix := ""
				if p.AsOf != "" {
					suffix = "-" + p.AsOf
				}
				return csvResponse(ch, fmt.Sprintf("pmlens-%s-%s%s.csv", name, id, suffix)), nil
			default:
				return s.userError(&badRequest{fmt.Sprintf("format must be csv (with chart=ID) or absent; got %q", c.Query("format"))}, p, r.who)
			}
			s.decorate(pd, p, r.who)
			b, err := s.renderHTML(name, pd)
			if err != nil {
				return nil, err
			}
			return &response{status: http.StatusOK, ctype: "text/html; charset=utf-8", body: b}, nil
		})
		s.recordAccess(c)
	}
}

// userError turns a request's own mistake into its page; other errors propagate.
func (s *server) userError(err error, p params, who *auth.Principal) (*response, error) {
	var br *badRequest
	var nf *notFound
	switch {
	case errors.As(err, &br):
		return s.errorPage(http.StatusBadRequest, "Bad request", br.msg, p, who), nil
	case errors.As(err, &nf):
		return s.errorPage(http.StatusNotFound, nf.title, nf.msg, p, who), nil
	}
	return nil, err
}

// scheduleTag changes the Data page's ETag when a next-run time moves.
func (s *server) scheduleTag() string {
	if s.opts.Scheduler == nil || s.opts.Config == nil {
		return ""
	}
	var b strings.Builder
	for _, src := range s.opts.Config.Sources {
		if t, ok := s.opts.Scheduler.Next(src.Name); ok {
			fmt.Fprintf(&b, "%s=%d;", src.Name, t.Unix())
		}
	}
	return b.String()
}
