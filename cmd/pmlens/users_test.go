package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pmlens/pmlens/auth"
	"github.com/pmlens/pmlens/warehouse/sandbox"
)

func TestUsersCommand(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "pmlens.yaml")
	if err := os.WriteFile(cfgFile, []byte("warehouse:\n  path: data/pmlens.duckdb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var logs bytes.Buffer
	run := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		err := runUsers(ctx, append(args, "--config", cfgFile), strings.NewReader(stdin), &out, &logs)
		return out.String(), err
	}
	const pw = "a sufficiently long passphrase"
	if _, err := run(pw+"\n", "add", "vera", "--role", "viewer", "--portfolio", "Clinical", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	if _, err := run("", "add", "ana@hospital.example", "--role", "analyst", "--sso"); err != nil {
		t.Fatal(err)
	}
	if _, err := run("short\n", "add", "weak", "--role", "viewer", "--password-stdin"); err == nil {
		t.Fatal("a short password was accepted")
	}
	var ue usageError
	if _, err := run("", "add", "x", "--role", "boss", "--sso"); !errors.As(err, &ue) {
		t.Fatalf("bad role: %v, want a usage error", err)
	}
	if _, err := run("", "frobnicate", "x"); !errors.As(err, &ue) {
		t.Fatalf("unknown subcommand: %v", err)
	}
	tok, err := run("", "token", "vera", "--label", "nightly", "--expires", "720h")
	if err != nil {
		t.Fatal(err)
	}
	tok = strings.TrimSpace(tok)
	if !strings.HasPrefix(tok, "pmlens_") {
		t.Fatalf("token output %q", tok)
	}
	if _, err := run("", "disable", "vera"); err != nil {
		t.Fatal(err)
	}
	js, err := run("", "list", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var users []auth.User
	if err := json.Unmarshal([]byte(js), &users); err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0].Name != "ana@hospital.example" || users[1].Name != "vera" || !users[1].Disabled ||
		len(users[1].Tokens) != 1 || users[1].Tokens[0].Label != "nightly" || users[1].Portfolios[0] != "Clinical" {
		t.Fatalf("list: %s", js)
	}
	table, err := run("", "list")
	if err != nil || !strings.Contains(table, "disabled") || !strings.Contains(table, "portfolios Clinical") {
		t.Fatalf("table: %v\n%s", err, table)
	}
	if _, err := run("", "revoke-token", "vera", users[1].Tokens[0].ID); err != nil {
		t.Fatal(err)
	}
	// Secrets reach neither the users file nor the log.
	data, err := os.ReadFile(filepath.Join(dir, "data", "pmlens.duckdb.d", "users.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{pw, tok, tok[len(tok)-43:]} {
		if strings.Contains(string(data), secret) || strings.Contains(logs.String(), secret) {
			t.Fatal("a password or token was written in clear")
		}
	}
	// Every change is in the audit trail, attributed to the command.
	al, err := sandbox.OpenAuditLog(ctx, filepath.Join(dir, "data", "pmlens.duckdb"), nil)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := al.Events(ctx, sandbox.EventFilter{Kind: "user.", NoQueries: true})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, ev := range evs {
		kinds[ev.Kind]++
		if !strings.HasPrefix(ev.Detail, "by cli:") || ev.Method != "CLI" || !strings.HasPrefix(ev.Path, "pmlens users ") {
			t.Errorf("event %+v is not attributed to the command", ev)
		}
		for _, secret := range []string{pw, tok} {
			if strings.Contains(ev.Detail, secret) {
				t.Errorf("event %+v holds a secret", ev)
			}
		}
	}
	// add vera, add ana, token, disable, revoke-token (the refused add and the
	// lists change nothing).
	want := map[string]int{auth.EventUserAdded: 2, auth.EventTokenCreated: 1, auth.EventUserDisabled: 1, auth.EventTokenRevoked: 1}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d %s events in the trail, want %d (all: %v)", kinds[k], k, n, kinds)
		}
	}
}
