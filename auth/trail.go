package auth

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// RequestMeta is what the audit trail records about the request an event came
// from. Wrap puts it into every request's context, so an Auditor (and any
// handler) can tell who was asking from where, behind trusted proxies too.
type RequestMeta struct {
	// ClientIP is the client's address with auth.trusted_proxies applied.
	ClientIP string
	Method   string
	// Path is the request path without its query string (which may hold an
	// OIDC code or state).
	Path string
}

type metaKey struct{}

// WithRequestMeta returns a context carrying m (for tests and internal callers).
func WithRequestMeta(ctx context.Context, m RequestMeta) context.Context {
	return context.WithValue(ctx, metaKey{}, m)
}

// RequestMetaFrom returns the request information Wrap recorded in ctx. It
// accepts a *gin.Context as well as a request context.
func RequestMetaFrom(ctx context.Context) (RequestMeta, bool) {
	ctx = requestContext(ctx)
	if ctx == nil {
		return RequestMeta{}, false
	}
	m, ok := ctx.Value(metaKey{}).(RequestMeta)
	return m, ok
}

// Record is one audit event with the request and principal it came from.
type Record struct {
	Time   time.Time
	Kind   string
	User   string
	Role   string // the acting principal's role; "" before sign-in
	Detail string
	RequestMeta
}

// StoreAuditor is the Auditor of a running server: it completes each event with
// the request's client address, method and path and the acting principal's
// role (from the context), and hands it to Store, the durable audit trail
// (sandbox.AuditLog.RecordEvent in pmlens serve). An event that cannot be stored
// is logged at error level with everything but its detail, so it is not lost
// silently; stored events are also logged at debug level.
type StoreAuditor struct {
	Store  func(context.Context, Record) error
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Event records one event.
func (a StoreAuditor) Event(ctx context.Context, kind, user, detail string) {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	r := Record{Time: now(), Kind: kind, User: user, Detail: detail}
	r.RequestMeta, _ = RequestMetaFrom(ctx)
	if p, ok := FromContext(ctx); ok {
		r.Role = p.Role.String()
	}
	var err error
	if a.Store != nil {
		// The event happened; record it even if the request has been cancelled.
		err = a.Store(context.WithoutCancel(ctx), r)
	}
	if a.Logger == nil {
		return
	}
	if err != nil {
		a.Logger.LogAttrs(ctx, slog.LevelError, "audit event could not be stored", slog.String("event", kind), slog.String("user", user),
			slog.String("client", r.ClientIP), slog.String("path", r.Path), slog.String("err", err.Error()))
		return
	}
	a.Logger.LogAttrs(ctx, slog.LevelDebug, "audit", slog.String("event", kind), slog.String("user", user), slog.String("client", r.ClientIP))
}

// ReferrerPolicy is same-origin rather than no-referrer: with no-referrer,
// browsers send "Origin: null" on same-origin form posts (Fetch standard), and
// cross-origin protection then has only Sec-Fetch-Site to go by. Nothing leaves
// for another site either way.
const ReferrerPolicy = "same-origin"

// SetSecurityHeaders sets the headers every pmlens response carries: the
// Content-Security-Policy (csp, or DefaultContentSecurityPolicy when empty),
// nosniff, the referrer policy, framing and cross-origin isolation, and HSTS
// when the browser reached pmlens over HTTPS. It is the one definition of them
// (Service.Wrap and the dashboards handler both use it).
func SetSecurityHeaders(h http.Header, csp string, https bool) {
	if csp == "" {
		csp = DefaultContentSecurityPolicy
	}
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", ReferrerPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if https {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
}
