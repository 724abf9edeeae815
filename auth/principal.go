package auth

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/pmlens/pmlens/warehouse"
)

// Authentication methods recorded in Principal.Method.
const (
	MethodNone     = "none"     // sign-in is off (loopback demo)
	MethodPassword = "password" // local user, browser session
	MethodOIDC     = "oidc"     // single sign-on, browser session
	MethodToken    = "token"    // API token (Authorization: Bearer)
)

// Principal is who is making a request and what they may see. Handlers get it
// with FromContext; it is never nil inside routes protected by Require.
type Principal struct {
	// User is the name shown on pages and written to the audit trail.
	User string
	// Subject is the immutable key of the person: "local:NAME" for local users,
	// "oidc:ISSUER|SUB" for single sign-on (HIPAA unique user identification).
	Subject string
	// Role is the highest thing the principal may do.
	Role Role
	// Portfolios and Programs the principal may see when AllScopes is false.
	Portfolios []string
	Programs   []string
	// AllScopes lets the principal see every portfolio and program.
	AllScopes bool
	// Anonymous is true while sign-in is off (the loopback demo): pages say so.
	Anonymous bool
	// Method is how the principal authenticated (MethodPassword, ...).
	Method string
	// TokenID identifies the API token used (Method == MethodToken), never the token.
	TokenID string
}

// Allows reports whether the principal may see data of a project in portfolio and
// program. A project with neither is visible only to principals with all scopes.
// Names match exactly, as ScopeSQL does.
func (p *Principal) Allows(portfolio, program string) bool {
	if p == nil || p.Role == RoleNone {
		return false
	}
	if p.AllScopes {
		return true
	}
	return (portfolio != "" && slices.Contains(p.Portfolios, portfolio)) ||
		(program != "" && slices.Contains(p.Programs, program))
}

// Fingerprint names the principal's role and scope (not their identity): two
// principals with equal fingerprints see exactly the same data, so responses
// built for one may be served to the other. Caches key on it.
func (p *Principal) Fingerprint() string {
	if p == nil || p.Role == RoleNone {
		return "none"
	}
	if p.AllScopes {
		return p.Role.String() + "|*"
	}
	enc := func(list []string) string {
		l := slices.Clone(list)
		slices.Sort(l)
		l = slices.Compact(l)
		var b strings.Builder
		for _, s := range l {
			fmt.Fprintf(&b, "%d:%s;", len(s), s)
		}
		return b.String()
	}
	return p.Role.String() + "|P" + enc(p.Portfolios) + "|G" + enc(p.Programs)
}

// Can reports whether the principal has at least role.
func (p *Principal) Can(role Role) bool { return p != nil && p.Role.AtLeast(role) }

// ScopeSQL returns a SQL condition (with ? placeholders) equivalent to Allows on
// the given portfolio and program columns, for filtering rows in queries:
//
//	cond, args := p.ScopeSQL("p.portfolio", "p.program")
//	db.QueryContext(ctx, "SELECT ... FROM projects p WHERE "+cond, args...)
//
// The column expressions are written into the SQL as given: pass constants only.
func (p *Principal) ScopeSQL(portfolioCol, programCol string) (string, []any) {
	switch {
	case p == nil || p.Role == RoleNone:
		return "FALSE", nil
	case p.AllScopes:
		return "TRUE", nil
	}
	return warehouse.ScopeCondition(portfolioCol, programCol, p.Portfolios, p.Programs)
}

type principalKey struct{}
type serviceKey struct{}

// WithPrincipal returns a context carrying p (for tests and internal callers).
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the request's principal. It accepts a *gin.Context as well
// as a request context.
func FromContext(ctx context.Context) (*Principal, bool) {
	ctx = requestContext(ctx)
	if ctx == nil {
		return nil, false
	}
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// requestContext is the request context behind a *gin.Context (whose own Value
// does not see it unless the engine opts in), or ctx itself.
func requestContext(ctx context.Context) context.Context {
	if c, ok := ctx.(*gin.Context); ok {
		if c.Request == nil {
			return nil
		}
		return c.Request.Context()
	}
	return ctx
}

// Require lets a request through only when its principal has at least role. A
// request without a principal gets 401 (API, scripts) or a redirect to the sign-in
// page (browser GET); one with too low a role gets 403.
func Require(role Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, ok := FromContext(c)
		if !ok || p.Role == RoleNone {
			unauthenticated(c.Writer, c.Request)
			c.Abort()
			return
		}
		if !p.Role.AtLeast(role) {
			forbidden(c.Writer, c.Request, p, role)
			c.Abort()
			return
		}
		c.Next()
	}
}

// wantsJSON tells API and script requests from browser page loads.
func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || r.Header.Get("Authorization") != "" ||
		(strings.Contains(r.Header.Get("Accept"), "application/json") && !strings.Contains(r.Header.Get("Accept"), "text/html"))
}

func unauthenticated(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if wantsJSON(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="pmlens"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "sign-in required: send Authorization: Bearer <API token> or sign in at /signin"})
		return
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		http.Redirect(w, r, SignInPath+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
		return
	}
	renderMessage(w, http.StatusUnauthorized, "Sign-in required", "Your session has ended. Sign in again and repeat the action.", SignInPath)
}

func forbidden(w http.ResponseWriter, r *http.Request, p *Principal, need Role) {
	w.Header().Set("Cache-Control", "no-store")
	if svc, ok := r.Context().Value(serviceKey{}).(*Service); ok {
		svc.auditReq(r, EventForbidden, p.User, "needs "+need.String()+" for "+r.Method+" "+r.URL.Path)
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "your role (" + p.Role.String() + ") does not allow this; it needs " + need.String()})
		return
	}
	renderMessage(w, http.StatusForbidden, "Not allowed", "Your role ("+p.Role.String()+") does not include this page; it needs "+need.String()+". Ask a pmlens administrator if you need it.", "/")
}
