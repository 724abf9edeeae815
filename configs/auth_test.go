package configs

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestAuthDefaults(t *testing.T) {
	a := DefaultAuthConfig()
	if !a.IsEnabled() || a.Session.IdleTimeout != 15*time.Minute || a.Session.AbsoluteTimeout != 8*time.Hour ||
		a.Lockout.MaxFailures != 5 || a.Password.MinLength != 12 || a.AnonymousRole != "admin" {
		t.Fatalf("defaults: %+v", a)
	}
	v := &validator{file: "t.yaml"}
	a.validate(v)
	if err := v.err(); err != nil {
		t.Fatalf("defaults must validate: %v", err)
	}
	o := AuthConfig{ExternalURL: "https://pmlens.example.org", OIDC: OIDCConfig{Issuer: "https://idp.example.org", ClientID: "pmlens"}}
	o.applyDefaults()
	if o.OIDC.RedirectURL != "https://pmlens.example.org/auth/oidc/callback" || !o.SecureTransport() ||
		strings.Join(o.OIDC.GroupsClaims, ",") != "groups,roles" || o.OIDC.Scopes[0] != "openid" {
		t.Fatalf("oidc defaults: %+v", o.OIDC)
	}
}

func TestAuthValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(a *AuthConfig)
		key    string
	}{
		{"idle longer than absolute", func(a *AuthConfig) { a.Session.IdleTimeout = 9 * time.Hour }, "auth.session.idle_timeout"},
		{"weak min length", func(a *AuthConfig) { a.Password.MinLength = 6 }, "auth.password.min_length"},
		{"bad role", func(a *AuthConfig) { a.AnonymousRole = "root" }, "auth.anonymous_role"},
		{"external url with path", func(a *AuthConfig) { a.ExternalURL = "https://h.example/pmlens" }, "auth.external_url"},
		{"bad proxy", func(a *AuthConfig) { a.TrustedProxies = []string{"10.0.0.0/33"} }, "auth.trusted_proxies[0]"},
		{"cert without key", func(a *AuthConfig) { a.TLS.CertFile = "c.pem" }, "auth.tls"},
		{"audit kept under a day", func(a *AuthConfig) { a.AuditRetention = Period(23 * time.Hour) }, "auth.audit_retention"},
		{"grant role", func(a *AuthConfig) { a.Grants = []UserGrantSpec{{User: "x", Role: "boss"}} }, "auth.grants[0].role"},
		{"oidc without client", func(a *AuthConfig) {
			a.OIDC = OIDCConfig{Issuer: "https://idp.example.org", RedirectURL: "https://p.example/auth/oidc/callback", Scopes: []string{"openid"}}
		}, "auth.oidc.client_id"},
		{"oidc over http", func(a *AuthConfig) {
			a.OIDC = OIDCConfig{Issuer: "http://idp.example.org", ClientID: "c", RedirectURL: "https://p.example/auth/oidc/callback", Scopes: []string{"openid"}}
		}, "auth.oidc.issuer"},
		{"oidc without redirect", func(a *AuthConfig) {
			a.OIDC = OIDCConfig{Issuer: "https://idp.example.org", ClientID: "c", Scopes: []string{"openid"}}
		}, "auth.oidc.redirect_url"},
		{"oidc group role", func(a *AuthConfig) {
			a.OIDC = OIDCConfig{Issuer: "https://idp.example.org", ClientID: "c", RedirectURL: "https://p.example/auth/oidc/callback",
				Scopes: []string{"openid"}, Groups: []GroupGrantSpec{{Group: "g", Role: "owner"}}}
		}, "auth.oidc.groups[0].role"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := DefaultAuthConfig()
			tc.mutate(&a)
			v := &validator{file: "t.yaml"}
			a.validate(v)
			err := v.err()
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("error %v, want one naming %s", err, tc.key)
			}
		})
	}
}

// authExample is the auth section documented for the README; it must load.
const authExample = `
enabled: true
users_file: /var/lib/pmlens/users.json
external_url: https://pmlens.hospital.example
trusted_proxies: [10.0.0.0/8]
audit_retention: 2190d
session:
  idle_timeout: 15m
  absolute_timeout: 8h
lockout:
  max_failures: 5
  max_failures_per_ip: 20
  window: 15m
  duration: 15m
password:
  min_length: 12
tls:
  cert_file: /etc/pmlens/tls.crt
  key_file: /etc/pmlens/tls.key
grants:
  - user: cfo@hospital.example
    role: viewer
    portfolios: [Corporate]
oidc:
  issuer: https://login.microsoftonline.com/TENANT/v2.0
  client_id: 00000000-0000-0000-0000-000000000000
  client_secret_env: PMLENS_OIDC_SECRET
  username_claim: preferred_username
  groups_claims: [groups, roles]
  default_role: ""
  groups:
    - {group: pmlens-admins, role: admin}
    - {group: pmo-clinical, role: analyst, portfolios: [Clinical]}
    - {group: ehr-program, role: viewer, programs: [EHR]}
`

func TestAuthExampleLoads(t *testing.T) {
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(authExample), &root); err != nil {
		t.Fatal(err)
	}
	lines := map[string]int{}
	if err := checkKeys("example", &root, reflect.TypeOf(AuthConfig{}), "auth", lines); err != nil {
		t.Fatal(err)
	}
	var a AuthConfig
	if err := root.Decode(&a); err != nil {
		t.Fatal(err)
	}
	a.applyDefaults()
	v := &validator{file: "example", lines: lines}
	a.validate(v)
	if err := v.err(); err != nil {
		t.Fatal(err)
	}
	if a.OIDC.RedirectURL != "https://pmlens.hospital.example/auth/oidc/callback" || len(a.OIDC.Groups) != 3 || !a.IsEnabled() {
		t.Fatalf("decoded: %+v", a)
	}
	// An inline secret gets the *_env / *_file hint, not "unknown key".
	var bad yaml.Node
	_ = yaml.Unmarshal([]byte("oidc:\n  client_secret: hunter2\n"), &bad)
	err := checkKeys("example", &bad, reflect.TypeOf(AuthConfig{}), "auth", map[string]int{})
	if err == nil || !strings.Contains(err.Error(), "client_secret_env") {
		t.Fatalf("inline secret: %v", err)
	}
}

func TestAuditRetention(t *testing.T) {
	if DefaultAuthConfig().AuditRetention.Duration() != 2190*24*time.Hour {
		t.Fatalf("default retention %s, want six years of days", DefaultAuthConfig().AuditRetention)
	}
	cases := []struct {
		yaml string
		want time.Duration // with err == ""
		err  string        // part of the load error
	}{
		{"2190d", 2190 * 24 * time.Hour, ""},
		{"52560h", 52560 * time.Hour, ""},
		{"1d", 24 * time.Hour, ""},
		{"400d", 400 * 24 * time.Hour, ""},
		{"12h", 0, "auth.audit_retention"},
		{"0d", 0, ""}, // unset: the default applies
		{"-3d", 0, "whole number of days"},
		{"1.5d", 0, "whole number of days"},
		{"six years", 0, "line 4"},
		{"[1, 2]", 0, "auth.audit_retention: expected a single value"},
	}
	for _, tc := range cases {
		t.Run(tc.yaml, func(t *testing.T) {
			dir := t.TempDir()
			cfg, err := Parse([]byte("warehouse:\n  path: data/pmlens.duckdb\nauth:\n  audit_retention: "+tc.yaml+"\n"), filepath.Join(dir, "t.yaml"), dir)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if want == 0 {
				want = DefaultAuditRetention.Duration()
			}
			if got := cfg.Auth.AuditRetention.Duration(); got != want {
				t.Errorf("retention %s, want %s", got, want)
			}
		})
	}
	for p, want := range map[Period]string{Period(2190 * 24 * time.Hour): "2190d", Period(36 * time.Hour): "36h0m0s"} {
		if p.String() != want {
			t.Errorf("String() = %q, want %q", p.String(), want)
		}
	}
}
