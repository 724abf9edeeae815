package auth

import (
	"strings"
	"testing"
)

func FuzzParseUsersFile(f *testing.F) {
	f.Add([]byte(`{"version":1,"users":[{"name":"vera","kind":"local","role":"viewer","all_scopes":true,"password_hash":"$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g","generation":1,"created":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z","tokens":[{"id":"0123456789abcdef","hash":"sha256:00","created":"2026-01-01T00:00:00Z"}]}]}`))
	f.Add([]byte(`{"version":1,"users":[]}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		uf, err := parseUsersFile(data)
		if err != nil {
			return
		}
		// Whatever parses is indexable and every user has a valid name and role.
		snap := newSnapshot(uf, fileStamp{})
		for _, u := range uf.Users {
			if !ValidUserName(u.Name) || u.Role < RoleViewer || u.Role > RoleAdmin {
				t.Fatalf("accepted user %+v", u)
			}
			if _, ok := snap.lookup(strings.ToUpper(u.Name)); !ok {
				t.Fatalf("user %q not found by name", u.Name)
			}
		}
	})
}

func FuzzParseHash(f *testing.F) {
	f.Add("$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=65536,t=3,p=2$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := parseHash(s)
		if err != nil {
			return
		}
		if p.Memory > maxHashMemory || p.Time > maxHashTime || p.Threads == 0 || len(salt) < 8 || len(key) < 16 {
			t.Fatalf("accepted out-of-range hash %q: %+v", s, p)
		}
	})
}

func FuzzParseToken(f *testing.F) {
	tok, _, _, _ := newToken()
	f.Add(tok)
	f.Add("pmlens_0123456789abcdef_" + strings.Repeat("A", 43))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, err := parseToken(s)
		if err != nil {
			return
		}
		if tokenPrefix+id+"_"+secret != s || len(id) != tokenIDLen || len(secret) != tokenSecretLen {
			t.Fatalf("parseToken(%q) = %q, %q", s, id, secret)
		}
	})
}

func FuzzSessionID(f *testing.F) {
	id, _ := newSessionID()
	f.Add(id)
	f.Add(strings.Repeat("A", 43))
	f.Fuzz(func(t *testing.T, s string) {
		if validSessionID(s) && len(s) != sessionIDLen {
			t.Fatalf("accepted %q", s)
		}
	})
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "/project/x?y=1", "//evil", "/\\evil", "https://evil", "/%2F%2Fevil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := safeNext(s)
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.HasPrefix(got, "/\\") || strings.ContainsAny(got, "\r\n\\") {
			t.Fatalf("safeNext(%q) = %q leaves the site", s, got)
		}
	})
}
