package configs

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Roles a grant can give, lowest first. Package auth defines their meaning.
var authRoles = map[string]bool{"viewer": true, "analyst": true, "admin": true}

// AuthConfig configures sign-in, sessions, single sign-on and transport security
// of `pmlens serve` (the `auth:` section).
type AuthConfig struct {
	// Enabled turns sign-in on. Unset means on: a configuration file describes a
	// real installation. The built-in demo sets it to false, and pmlens then binds
	// only loopback addresses and marks every page as running without sign-in.
	Enabled *bool `yaml:"enabled"`
	// AnonymousRole is the role everyone gets while sign-in is off (default admin,
	// so the single-user demo can use every page).
	AnonymousRole string `yaml:"anonymous_role"`
	// UsersFile holds local users, password hashes and API token hashes
	// (default <warehouse.path>.d/users.json). `pmlens users` edits it while the
	// server runs; the server re-reads it when it changes.
	UsersFile string `yaml:"users_file"`
	// ExternalURL is the address people type (https://pmlens.example.org) when a
	// TLS-terminating proxy stands in front of pmlens. It makes cookies Secure,
	// turns HSTS on, is trusted as an origin by CSRF protection and is the base of
	// the default OIDC redirect URL.
	ExternalURL string `yaml:"external_url"`
	// TrustedProxies lists addresses or CIDR ranges of reverse proxies whose
	// X-Forwarded-For is believed when telling a client's address (for throttling
	// and the audit trail). Empty: the connection's address is used.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// AuditRetention is how long the audit trail (sign-ins, page views, exports,
	// queries, user and configuration changes) is kept before the server prunes
	// it: days ("2190d") or a Go duration ("52560h"). The default is 2190d, six
	// years, because HIPAA keeps required documentation six years (45 CFR
	// 164.316(b)(2)); the least accepted is 1d.
	AuditRetention Period          `yaml:"audit_retention"`
	Session        SessionConfig   `yaml:"session"`
	Lockout        LockoutConfig   `yaml:"lockout"`
	Password       PasswordConfig  `yaml:"password"`
	TLS            TLSFilesConfig  `yaml:"tls"`
	OIDC           OIDCConfig      `yaml:"oidc"`
	Grants         []UserGrantSpec `yaml:"grants"`
}

// SessionConfig bounds how long a browser session lives.
type SessionConfig struct {
	// IdleTimeout ends a session nobody used for this long (default 15m).
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// AbsoluteTimeout ends every session this long after sign-in (default 8h).
	AbsoluteTimeout time.Duration `yaml:"absolute_timeout"`
}

// LockoutConfig throttles password guessing. A user name or a client address with
// MaxFailures failed sign-ins within Window is refused for Duration.
type LockoutConfig struct {
	MaxFailures      int           `yaml:"max_failures"`        // per user name (default 5)
	MaxFailuresPerIP int           `yaml:"max_failures_per_ip"` // per client address (default 20)
	Window           time.Duration `yaml:"window"`              // default 15m
	Duration         time.Duration `yaml:"duration"`            // default 15m
}

// PasswordConfig sets the local password policy.
type PasswordConfig struct {
	// MinLength in characters (default 12; NIST SP 800-63B asks for at least 8).
	MinLength int `yaml:"min_length"`
}

// TLSFilesConfig names the certificate and key `pmlens serve` answers HTTPS with.
// Both PEM files are re-read when they change, so certificates can be renewed
// without a restart.
type TLSFilesConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// OIDCConfig configures single sign-on with an OpenID Connect provider (Entra ID,
// Okta, Keycloak, ...), using the authorization-code flow with PKCE.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL (its discovery document lives under
	// /.well-known/openid-configuration). Empty: no single sign-on.
	Issuer   string `yaml:"issuer"`
	ClientID string `yaml:"client_id"`
	// ClientSecretEnv / ClientSecretFile name the client secret; a public client
	// (PKCE only) has none.
	ClientSecretEnv  string `yaml:"client_secret_env"`
	ClientSecretFile string `yaml:"client_secret_file"`
	// RedirectURL registered at the provider (default external_url +
	// /auth/oidc/callback).
	RedirectURL string `yaml:"redirect_url"`
	// Scopes requested (default openid, profile, email).
	Scopes []string `yaml:"scopes"`
	// UsernameClaim names the claim shown as the user's name (default
	// preferred_username, then email, then sub).
	UsernameClaim string `yaml:"username_claim"`
	// GroupsClaims are the claims holding group or role names (default groups,
	// roles). A dotted name reaches into an object: realm_access.roles (Keycloak).
	GroupsClaims []string `yaml:"groups_claims"`
	// Groups maps provider groups to pmlens roles and scopes.
	Groups []GroupGrantSpec `yaml:"groups"`
	// DefaultRole is given to a signed-in person none of whose groups is mapped.
	// Empty (the default) refuses them.
	DefaultRole string `yaml:"default_role"`
	// Label is the text of the sign-in button (default "Sign in with single sign-on").
	Label string `yaml:"label"`
}

// GroupGrantSpec gives members of an identity-provider group a role, limited to
// the listed portfolios and programs (none listed: all of them).
type GroupGrantSpec struct {
	Group      string   `yaml:"group"`
	Role       string   `yaml:"role"`
	Portfolios []string `yaml:"portfolios"`
	Programs   []string `yaml:"programs"`
}

// UserGrantSpec sets a named user's role and scope in the configuration; it takes
// precedence over the users file and the provider's groups for that user.
type UserGrantSpec struct {
	User       string   `yaml:"user"`
	Role       string   `yaml:"role"`
	Portfolios []string `yaml:"portfolios"`
	Programs   []string `yaml:"programs"`
}

// DefaultAuditRetention keeps the audit trail six years (2190 days).
const DefaultAuditRetention = Period(2190 * day)

// MinAuditRetention is the shortest audit retention accepted: pruning runs
// hourly, and a trail kept for less than a day cannot serve an investigation.
const MinAuditRetention = Period(day)

const day = 24 * time.Hour

// Period is a length of time written in whole days ("2190d") or as a Go
// duration ("52560h", "90m"), for settings measured in days or years, which Go
// durations cannot express.
type Period time.Duration

// ParsePeriod reads "2190d" (days) or a Go duration such as "52560h".
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseInt(n, 10, 64)
		if err != nil || days < 0 || days > math.MaxInt64/int64(day) {
			return 0, fmt.Errorf("%q is not a whole number of days such as 2190d", s)
		}
		return Period(time.Duration(days) * day), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a length of time: write days as 2190d or a duration such as 52560h", s)
	}
	return Period(d), nil
}

// UnmarshalYAML reads a scalar with ParsePeriod.
func (p *Period) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: expected a length of time such as 2190d", n.Line)}}
	}
	v, err := ParsePeriod(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*p = v
	return nil
}

// Duration is the period as a time.Duration.
func (p Period) Duration() time.Duration { return time.Duration(p) }

// String writes whole days as "2190d" and anything else as a Go duration.
func (p Period) String() string {
	d := time.Duration(p)
	if d != 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

// IsEnabled reports whether sign-in is required.
func (a AuthConfig) IsEnabled() bool { return a.Enabled == nil || *a.Enabled }

// TLSEnabled reports whether pmlens itself terminates TLS.
func (a AuthConfig) TLSEnabled() bool { return a.TLS.CertFile != "" }

// SecureTransport reports whether browsers reach pmlens over HTTPS, directly or
// through a proxy named by external_url.
func (a AuthConfig) SecureTransport() bool {
	return a.TLSEnabled() || strings.HasPrefix(strings.ToLower(a.ExternalURL), "https://")
}

// ClientSecret reads the OIDC client secret from the configured variable or file.
func (o OIDCConfig) ClientSecret() (string, error) {
	s, err := Auth{TokenEnv: o.ClientSecretEnv, TokenFile: o.ClientSecretFile}.Token()
	if err != nil {
		return "", fmt.Errorf("auth.oidc client secret: %w", err)
	}
	return s, nil
}

func (a *AuthConfig) applyDefaults() {
	if a.AnonymousRole == "" {
		a.AnonymousRole = "admin"
	}
	if a.Session.IdleTimeout == 0 {
		a.Session.IdleTimeout = 15 * time.Minute
	}
	if a.Session.AbsoluteTimeout == 0 {
		a.Session.AbsoluteTimeout = 8 * time.Hour
	}
	if a.Lockout.MaxFailures == 0 {
		a.Lockout.MaxFailures = 5
	}
	if a.Lockout.MaxFailuresPerIP == 0 {
		a.Lockout.MaxFailuresPerIP = 20
	}
	if a.Lockout.Window == 0 {
		a.Lockout.Window = 15 * time.Minute
	}
	if a.Lockout.Duration == 0 {
		a.Lockout.Duration = 15 * time.Minute
	}
	if a.Password.MinLength == 0 {
		a.Password.MinLength = 12
	}
	if a.AuditRetention == 0 {
		a.AuditRetention = DefaultAuditRetention
	}
	o := &a.OIDC
	if o.Issuer == "" {
		return
	}
	if len(o.Scopes) == 0 {
		o.Scopes = []string{"openid", "profile", "email"}
	}
	if o.UsernameClaim == "" {
		o.UsernameClaim = "preferred_username"
	}
	if len(o.GroupsClaims) == 0 {
		o.GroupsClaims = []string{"groups", "roles"}
	}
	if o.RedirectURL == "" && a.ExternalURL != "" {
		o.RedirectURL = strings.TrimRight(a.ExternalURL, "/") + "/auth/oidc/callback"
	}
	if o.Label == "" {
		o.Label = "Sign in with single sign-on"
	}
}

// resolvePaths makes file names absolute with abs (Config.resolvePaths's helper).
func (a *AuthConfig) resolvePaths(abs func(string) string) {
	a.UsersFile = abs(a.UsersFile)
	a.TLS.CertFile = abs(a.TLS.CertFile)
	a.TLS.KeyFile = abs(a.TLS.KeyFile)
	a.OIDC.ClientSecretFile = abs(a.OIDC.ClientSecretFile)
}

func (a *AuthConfig) validate(v *validator) {
	if !authRoles[a.AnonymousRole] {
		v.fail("auth.anonymous_role", "%q is not one of viewer, analyst, admin", a.AnonymousRole)
	}
	if a.Session.IdleTimeout < 0 || a.Session.AbsoluteTimeout < 0 {
		v.fail("auth.session", "timeouts must be positive")
	}
	if a.Session.IdleTimeout > a.Session.AbsoluteTimeout {
		v.fail("auth.session.idle_timeout", "%s is longer than absolute_timeout %s", a.Session.IdleTimeout, a.Session.AbsoluteTimeout)
	}
	if a.Lockout.MaxFailures < 1 {
		v.fail("auth.lockout.max_failures", "must be at least 1")
	}
	if a.Lockout.MaxFailuresPerIP < 1 {
		v.fail("auth.lockout.max_failures_per_ip", "must be at least 1")
	}
	if a.Lockout.Window <= 0 || a.Lockout.Duration <= 0 {
		v.fail("auth.lockout", "window and duration must be positive")
	}
	if a.AuditRetention < MinAuditRetention {
		v.fail("auth.audit_retention", "%s is shorter than %s; the default is %s (six years, as HIPAA keeps documentation)", a.AuditRetention, MinAuditRetention, DefaultAuditRetention)
	}
	if a.Password.MinLength < 8 {
		v.fail("auth.password.min_length", "must be at least 8 (NIST SP 800-63B)")
	}
	if a.ExternalURL != "" {
		if u, err := url.Parse(a.ExternalURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			v.fail("auth.external_url", "%q must be an http(s) URL without a path, such as https://pmlens.example.org", a.ExternalURL)
		}
	}
	for i, p := range a.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			v.fail(fmt.Sprintf("auth.trusted_proxies[%d]", i), "%q is not an IP address or CIDR range", p)
		}
	}
	if (a.TLS.CertFile == "") != (a.TLS.KeyFile == "") {
		v.fail("auth.tls", "give both cert_file and key_file, or neither")
	}
	for i, g := range a.Grants {
		p := fmt.Sprintf("auth.grants[%d]", i)
		if strings.TrimSpace(g.User) == "" {
			v.fail(p+".user", "every grant needs a user")
		}
		if !authRoles[g.Role] {
			v.fail(p+".role", "%q is not one of viewer, analyst, admin", g.Role)
		}
	}
	a.OIDC.validate(v)
}

func (o *OIDCConfig) validate(v *validator) {
	if o.Issuer == "" {
		if o.ClientID != "" || len(o.Groups) > 0 {
			v.fail("auth.oidc.issuer", "single sign-on needs the provider's issuer URL")
		}
		return
	}
	if u, err := url.Parse(o.Issuer); err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname()))) {
		v.fail("auth.oidc.issuer", "%q must be an https URL", o.Issuer)
	}
	if o.ClientID == "" {
		v.fail("auth.oidc.client_id", "single sign-on needs the client id registered at the provider")
	}
	if o.ClientSecretEnv != "" && o.ClientSecretFile != "" {
		v.fail("auth.oidc", "give either client_secret_env or client_secret_file, not both")
	}
	if o.RedirectURL == "" {
		v.fail("auth.oidc.redirect_url", "set redirect_url (or auth.external_url) to the address the provider sends people back to")
	} else if u, err := url.Parse(o.RedirectURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.Path != "/auth/oidc/callback" {
		v.fail("auth.oidc.redirect_url", "%q must be an http(s) URL ending in /auth/oidc/callback", o.RedirectURL)
	}
	hasOpenID := false
	for _, s := range o.Scopes {
		hasOpenID = hasOpenID || s == "openid"
	}
	if !hasOpenID {
		v.fail("auth.oidc.scopes", "must include openid")
	}
	if o.DefaultRole != "" && !authRoles[o.DefaultRole] {
		v.fail("auth.oidc.default_role", "%q is not one of viewer, analyst, admin (or empty to refuse unmapped people)", o.DefaultRole)
	}
	for i, g := range o.Groups {
		p := fmt.Sprintf("auth.oidc.groups[%d]", i)
		if strings.TrimSpace(g.Group) == "" {
			v.fail(p+".group", "every mapping needs the provider's group (or app role) name or id")
		}
		if !authRoles[g.Role] {
			v.fail(p+".role", "%q is not one of viewer, analyst, admin", g.Role)
		}
	}
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// DefaultAuthConfig returns the auth section as an empty `auth:` would load:
// sign-in on, every default applied.
func DefaultAuthConfig() AuthConfig {
	var a AuthConfig
	a.applyDefaults()
	return a
}
