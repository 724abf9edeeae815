package auth

import (
	"context"
	"log/slog"
)

// Auditor receives security events for the audit trail. detail never contains a
// password, token, session id or cookie.
type Auditor interface {
	Event(ctx context.Context, kind, user, detail string)
}

// Audit event kinds.
const (
	EventSignIn         = "auth.signin"           // password or SSO sign-in succeeded
	EventSignInFailed   = "auth.signin_failed"    // wrong credentials, disabled user, SSO refusal
	EventSignInLocked   = "auth.signin_locked"    // refused because of repeated failures
	EventLockout        = "auth.lockout"          // a user name or client address was just locked out
	EventSignOut        = "auth.signout"          // the person signed out
	EventSessionEnded   = "auth.session_ended"    // idle/absolute timeout or revocation
	EventTokenUsed      = "auth.token_used"       // an API token authenticated a request
	EventTokenRefused   = "auth.token_refused"    // a bad, expired or revoked API token
	EventForbidden      = "auth.forbidden"        // a signed-in principal lacked the role
	EventCSRFRefused    = "auth.csrf_refused"     // a cross-origin state-changing request
	EventUserAdded      = "user.added"            // user changes, from the CLI or the admin API
	EventUserPassword   = "user.password"         //
	EventUserDisabled   = "user.disabled"         //
	EventUserEnabled    = "user.enabled"          //
	EventUserGrant      = "user.grant"            //
	EventTokenCreated   = "user.token_created"    //
	EventTokenRevoked   = "user.token_revoked"    //
	EventSessionsRevoke = "user.sessions_revoked" //
)

// NopAuditor drops events.
type NopAuditor struct{}

// Event does nothing.
func (NopAuditor) Event(context.Context, string, string, string) {}

// SlogAuditor writes events to a logger, until the audit trail takes them.
type SlogAuditor struct{ Logger *slog.Logger }

// Event logs one event at info level.
func (a SlogAuditor) Event(ctx context.Context, kind, user, detail string) {
	if a.Logger == nil {
		return
	}
	a.Logger.LogAttrs(ctx, slog.LevelInfo, "audit", slog.String("event", kind), slog.String("user", user), slog.String("detail", detail))
}
