package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestPrincipalAllows(t *testing.T) {
	scoped := &Principal{User: "s", Role: RoleAnalyst, Portfolios: []string{"Clinical"}, Programs: []string{"EHR"}}
	all := &Principal{User: "a", Role: RoleViewer, AllScopes: true}
	none := &Principal{User: "n", Role: RoleNone, AllScopes: true}
	cases := []struct {
		p                  *Principal
		portfolio, program string
		want               bool
	}{
		{scoped, "Clinical", "Imaging", true},   // granted portfolio
		{scoped, "Corporate", "EHR", true},      // granted program in another portfolio
		{scoped, "Corporate", "Finance", false}, // neither
		{scoped, "clinical", "", false},         // names match exactly
		{scoped, "", "", false},                 // unassigned project: all-scope principals only
		{all, "", "", true},
		{all, "Anything", "Else", true},
		{none, "Clinical", "EHR", false}, // no role, no data
		{nil, "Clinical", "EHR", false},
	}
	for _, tc := range cases {
		if got := tc.p.Allows(tc.portfolio, tc.program); got != tc.want {
			t.Errorf("%v.Allows(%q, %q) = %v, want %v", tc.p, tc.portfolio, tc.program, got, tc.want)
		}
	}
	cond, args := scoped.ScopeSQL("p.portfolio", "p.program")
	if cond != "(p.portfolio IN (?) OR p.program IN (?))" || !slices.Equal(args, []any{"Clinical", "EHR"}) {
		t.Errorf("ScopeSQL = %q %v", cond, args)
	}
	if cond, _ := all.ScopeSQL("a", "b"); cond != "TRUE" {
		t.Errorf("all scopes: %q", cond)
	}
	if cond, _ := (&Principal{Role: RoleViewer}).ScopeSQL("a", "b"); cond != "FALSE" {
		t.Errorf("no scopes: %q", cond)
	}
}

func TestFromContextGin(t *testing.T) {
	p := &Principal{User: "vera", Role: RoleViewer}
	req := httptest.NewRequest("GET", "/", nil)
	req = req.WithContext(WithPrincipal(req.Context(), p))
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = req
	if got, ok := FromContext(c); !ok || got != p {
		t.Fatal("FromContext(*gin.Context) must read the request's principal")
	}
	if _, ok := FromContext(context.Background()); ok {
		t.Fatal("no principal in an empty context")
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("a long passphrase", cheapHash)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := HashPassword("a long passphrase", cheapHash)
	if h == h2 {
		t.Fatal("two hashes of one password must differ (random salt)")
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=256,t=1,p=1$") {
		t.Fatalf("hash %q is not PHC argon2id with the given parameters", h)
	}
	if err := VerifyPassword("a long passphrase", h); err != nil {
		t.Fatal(err)
	}
	if err := VerifyPassword("a long passphrasE", h); !errors.Is(err, ErrPasswordMismatch) {
		t.Fatalf("wrong password: %v", err)
	}
	for _, bad := range []string{
		"", "$argon2i$v=19$m=256,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", // 4 GiB: refused before hashing
		"$argon2id$v=19$m=256,t=1000,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=256,t=1,p=1,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	} {
		if err := VerifyPassword("x", bad); err == nil || errors.Is(err, ErrPasswordMismatch) {
			t.Errorf("malformed hash %q: %v", bad, err)
		}
	}
	if err := CheckPasswordPolicy("short", "u", 12); err == nil {
		t.Error("short password accepted")
	}
	if err := CheckPasswordPolicy("vera@hospital.example", "Vera@hospital.example", 12); err == nil {
		t.Error("password equal to the user name accepted")
	}
	if err := CheckPasswordPolicy("ein langes Paßwort", "u", 12); err != nil {
		t.Error(err)
	}
}

// TestConcurrentWriters has several stores (as several processes would) add users
// at once; the lock and rename must keep every change.
func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "users.json")
	const writers, each = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		st := OpenUserStore(path, cheapHash, nil, nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				errs <- st.AddUser(context.Background(), fmt.Sprintf("u%d-%d", w, i), KindSSO, "", Grant{Role: RoleViewer, AllScopes: true})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	users, err := OpenUserStore(path, cheapHash, nil, nil).List()
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != writers*each {
		t.Fatalf("%d users, want %d", len(users), writers*each)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("users file mode: %v %v", fi.Mode(), err)
	}
	st := OpenUserStore(path, cheapHash, nil, nil)
	if err := st.AddUser(context.Background(), "U0-0", KindSSO, "", Grant{Role: RoleViewer, AllScopes: true}); !errors.Is(err, ErrUserExists) {
		t.Fatalf("names are unique case-insensitively: %v", err)
	}
	if err := st.SetDisabled(context.Background(), "ghost", true); !errors.Is(err, ErrNoUser) {
		t.Fatalf("unknown user: %v", err)
	}
	if err := st.AddUser(context.Background(), "bad name", KindSSO, "", Grant{Role: RoleViewer, AllScopes: true}); err == nil {
		t.Fatal("a name with a space was accepted")
	}
	if err := st.AddUser(context.Background(), "noscope", KindSSO, "", Grant{Role: RoleViewer}); err == nil {
		t.Fatal("a viewer without any scope was accepted")
	}
}

func TestUsersFileRejectsDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.json")
	st := OpenUserStore(path, cheapHash, nil, nil)
	if err := st.AddUser(context.Background(), "vera", KindLocal, testPassword, Grant{Role: RoleViewer, AllScopes: true}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := st.Lookup("VERA"); err != nil || !ok {
		t.Fatalf("case-insensitive lookup: %v %v", ok, err)
	}
	for name, body := range map[string]string{
		"unknown key":   `{"version":1,"users":[],"admin":true}`,
		"version":       `{"version":2,"users":[]}`,
		"no role":       `{"version":1,"users":[{"name":"x","kind":"local","role":"none"}]}`,
		"bad hash":      `{"version":1,"users":[{"name":"x","kind":"local","role":"admin","password_hash":"plaintext"}]}`,
		"duplicate":     `{"version":1,"users":[{"name":"x","kind":"sso","role":"viewer"},{"name":"X","kind":"sso","role":"viewer"}]}`,
		"trailing data": `{"version":1,"users":[]} {}`,
	} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.Lookup("vera"); err == nil {
			t.Errorf("%s: damaged users file accepted", name)
		}
	}
}
