package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestExitCodes(t *testing.T) {
	t.Setenv("PMLENS_DATA_DIR", t.TempDir())
	cases := []struct {
		args []string
		code int
		want string // in stdout+stderr
	}{
		{nil, exitUsage, "Usage:"},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"version"}, exitOK, "pmlens"},
		{[]string{"sync", "--help"}, exitOK, "--source"},
		{[]string{"query", "--help"}, exitOK, "--format"},
		{[]string{"serve", "--help"}, exitOK, "--config"},
		{[]string{"sync", "--bogus"}, exitUsage, "flag provided but not defined"},
		{[]string{"query"}, exitUsage, "SQL"},
		{[]string{"query", "--format", "yaml", "select 1"}, exitUsage, "yaml"},
		{[]string{"sync", "--source", "nope"}, exitUsage, `no source named "nope"`},
		{[]string{"sync", "--config", "testdata/does-not-exist.yaml"}, exitFailure, "does-not-exist.yaml"},
		{[]string{"serve", "--addr", "0.0.0.0:0"}, exitFailure, "refusing to listen on 0.0.0.0:0"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tc.args, &out, &errb)
			all := out.String() + errb.String()
			if code != tc.code {
				t.Fatalf("exit %d, want %d; output:\n%s", code, tc.code, all)
			}
			if !strings.Contains(all, tc.want) {
				t.Fatalf("output lacks %q:\n%s", tc.want, all)
			}
		})
	}
}

// buildBinary compiles pmlens once for the process-level tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pmlens")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("building pmlens: %v", err)
	}
	return bin
}

// TestServeDemoAndQueryFromSecondProcess is the acceptance path of a new user: the
// demo serves with no configuration, /readyz answers 200, and `pmlens query` in a
// second process answers while the server runs; SIGTERM shuts it down cleanly.
func TestServeDemoAndQueryFromSecondProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	env := append(os.Environ(), "PMLENS_DATA_DIR="+data, "PMLENS_CONFIG=")

	serve := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	serve.Env = env
	stdout, _ := serve.StdoutPipe()
	var logs bytes.Buffer
	serve.Stderr = &logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer serve.Process.Kill()
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := regexp.MustCompile(`http://\S+`).FindString(sc.Text()); m != "" {
				urlc <- m
			}
		}
	}()
	var base string
	select {
	case base = <-urlc:
	case <-time.After(2 * time.Minute):
		t.Fatalf("server never announced its address; logs:\n%s", logs.String())
	}
	waitFor(t, base+"/readyz", 200, time.Minute)
	if code := get(t, base+"/healthz"); code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	// The initial demo sync runs in the background; wait until every source loaded.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		poll := exec.Command(bin, "query", "--format", "csv",
			"select count(*) filter (where status in ('success','partial')) as ok, count(*) filter (where status = 'running') as running from sync_runs")
		poll.Env = env
		out, err := poll.Output()
		if err == nil && strings.HasPrefix(string(out), "ok,running\n") {
			var ok, running int
			fmt.Sscanf(strings.Split(string(out), "\n")[1], "%d,%d", &ok, &running)
			if ok >= 3 && running == 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo sources did not all load; last query output %q err %v; logs:\n%s", out, err, logs.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
	q := exec.Command(bin, "query", "select count(*) from sync_runs")
	q.Env = env
	out, err := q.CombinedOutput()
	if err != nil {
		t.Fatalf("query while serving: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`\b[1-9][0-9]*\b`).Match(out) {
		t.Fatalf("query output has no count: %s", out)
	}
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM; logs:\n%s", err, logs.String())
		}
	case <-time.After(45 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func waitFor(t *testing.T, url string, code int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for get(t, url) != code {
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered %d", url, code)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}
