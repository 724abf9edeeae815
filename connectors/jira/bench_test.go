package jira_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pmlens/pmlens/connectors/jira"
	"github.com/pmlens/pmlens/connectors/jira/jiratest"
)

// Benchmarks of issue 4 §10. They only run with -bench, e.g.
//
//	go test ./connectors/jira/ -run '^$' -bench 'JiraSync$' -benchtime 1x
//	go test ./connectors/jira/ -run '^$' -bench 'JiraRateLimited' -benchtime 1x
//
// PMLENS_JIRA_BENCH_ISSUES overrides the 200,000 issues (10 histories each). The
// fake Jira runs in a child process (this test binary, see TestMain), so the
// peak RSS reported is pmlens's alone, as it would be against a real site.

const fakeEnv = "PMLENS_JIRA_FAKE_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(fakeEnv) != "" {
		serveFake()
		return
	}
	os.Exit(m.Run())
}

// fakeSpec configures a fake Jira in a child process.
type fakeSpec struct {
	Deployment     string
	Issues         int
	Latency        time.Duration
	RatePerSecond  float64
	ChangelogLimit int
}

// serveFake is the child: it serves generated issues, prints its URL, and when
// stdin closes prints "requests throttled" and exits.
func serveFake() {
	var s fakeSpec
	if _, err := fmt.Sscanf(os.Getenv(fakeEnv), "%s %d %d %g %d", &s.Deployment, &s.Issues, &s.Latency, &s.RatePerSecond, &s.ChangelogLimit); err != nil {
		fmt.Fprintln(os.Stderr, "bad fake spec:", err)
		os.Exit(2)
	}
	srv := benchServer(s.Deployment, s.Issues)
	srv.Latency = s.Latency
	srv.ChangelogLimit = s.ChangelogLimit
	if s.RatePerSecond > 0 {
		srv.SetRateLimit(s.RatePerSecond, s.RatePerSecond)
	}
	fmt.Println(srv.URL)
	_, _ = io.Copy(io.Discard, os.Stdin)
	fmt.Println(srv.Requests(), srv.Throttled())
	srv.Close()
}

// childFake is a running fake in a child process.
type childFake struct {
	URL   string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

func startFake(b *testing.B, s fakeSpec) *childFake {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d %d %g %d", fakeEnv, s.Deployment, s.Issues, s.Latency, s.RatePerSecond, s.ChangelogLimit))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	f := &childFake{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	if !f.out.Scan() {
		b.Fatal("the fake Jira did not start")
	}
	f.URL = strings.TrimSpace(f.out.Text())
	return f
}

// stop ends the child and returns its request counts.
func (f *childFake) stop(b *testing.B) (requests, throttled int64) {
	b.Helper()
	f.stdin.Close()
	if f.out.Scan() {
		fmt.Sscan(f.out.Text(), &requests, &throttled)
	}
	if err := f.cmd.Wait(); err != nil {
		b.Fatal(err)
	}
	return requests, throttled
}

func benchIssues(b *testing.B) int {
	if v := os.Getenv("PMLENS_JIRA_BENCH_ISSUES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	return 200_000
}

// resetPeakRSS zeroes VmHWM (Linux ≥ 4.0), so each sub-benchmark reports its own peak.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMB reads VmHWM from /proc/self/status (0 where unavailable).
func peakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func benchServer(dep string, n int) *jiratest.Server {
	srv := jiratest.New(jiratest.Options{Deployment: dep, Email: benchEmail(dep), Token: "tok"})
	srv.SetSource(&jiratest.Generated{N: n, Base: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), Histories: 10, Project: "BEN"})
	return srv
}

func benchEmail(dep string) string {
	if dep == jiratest.Cloud {
		return "bench@example.org"
	}
	return ""
}

func benchOptions(url, dep string) jira.Options {
	o := optionsFor(url, benchEmail(dep), "tok")
	o.JQL = "project = BEN"
	o.Client.PageSize = 100
	o.Client.Concurrency = 4
	o.BackfillWindow = 90 * 24 * time.Hour
	o.SkipBoards = true
	return o
}

// BenchmarkJiraSync compares a full first sync (backfill into a real warehouse,
// committed and published) with the floor: fetching and decoding the same pages
// without converting or storing them.
func BenchmarkJiraSync(b *testing.B) {
	n := benchIssues(b)
	for _, dep := range []string{jiratest.DataCenter, jiratest.Cloud} {
		b.Run(dep+"/floor", func(b *testing.B) {
			fake := startFake(b, fakeSpec{Deployment: dep, Issues: n})
			defer fake.stop(b)
			resetPeakRSS()
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				got, hist, err := jira.FetchFloor(context.Background(), benchOptions(fake.URL, dep))
				if err != nil || got != int64(n) || hist != int64(n)*10 {
					b.Fatalf("floor: %d issues, %d histories, %v", got, hist, err)
				}
			}
			el := time.Since(start)
			b.ReportMetric(float64(n*b.N)/el.Seconds(), "issues/s")
			b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
		})
		b.Run(dep+"/end-to-end", func(b *testing.B) {
			fake := startFake(b, fakeSpec{Deployment: dep, Issues: n})
			defer fake.stop(b)
			resetPeakRSS()
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				b.StopTimer()
				w, _ := openWarehouse(b)
				b.StartTimer()
				res, st := syncOnce(b, w, benchOptions(fake.URL, dep))
				if res.Err != nil || st.Issues != n {
					b.Fatalf("sync: %v, %d issues", res.Err, st.Issues)
				}
				b.StopTimer()
				// 10 histories each, plus the creation row.
				if got := queryInt(b, w, `SELECT count(*) FROM issue_status_changes`); got != int64(n)*11 {
					b.Fatalf("%d status changes, want %d", got, n*11)
				}
				w.Close()
				b.StartTimer()
			}
			el := time.Since(start)
			b.ReportMetric(float64(n*b.N)/el.Seconds(), "issues/s")
			b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
		})
	}
}

// BenchmarkJiraRateLimited runs a sync against a fake with 100 ms latency that
// answers 429 beyond 10 requests/s, with the client capped at 10 requests/s,
// and reports the rate of successful requests. Data Center overlaps page
// fetches; on Cloud every issue's changelog is truncated (5 of 10 embedded), so
// the changelog fetches must run while the token chain advances.
func BenchmarkJiraRateLimited(b *testing.B) {
	for _, tc := range []struct {
		dep            string
		issues, page   int
		changelogLimit int
	}{
		{jiratest.DataCenter, 5000, 50, 0},
		{jiratest.Cloud, 250, 50, 5},
	} {
		b.Run(tc.dep, func(b *testing.B) {
			for range b.N {
				fake := startFake(b, fakeSpec{Deployment: tc.dep, Issues: tc.issues, Latency: 100 * time.Millisecond, RatePerSecond: 10, ChangelogLimit: tc.changelogLimit})
				opts := benchOptions(fake.URL, tc.dep)
				opts.Client.PageSize = tc.page
				opts.Client.RatePerSecond = 10
				opts.Client.MaxRetries = 8
				opts.Client.RetryBase = 200 * time.Millisecond
				w, _ := openWarehouse(b)
				start := time.Now()
				res, st := syncOnce(b, w, opts)
				el := time.Since(start)
				requests, throttled := fake.stop(b)
				if res.Err != nil || st.Issues != tc.issues {
					b.Fatalf("sync: %v, %d issues", res.Err, st.Issues)
				}
				ok := requests - throttled
				b.ReportMetric(float64(ok)/el.Seconds(), "req/s")
				b.ReportMetric(100*float64(ok)/el.Seconds()/10, "%-of-limit")
				b.ReportMetric(float64(throttled), "429s")
				b.ReportMetric(float64(ok), "requests")
				b.ReportMetric(float64(tc.issues)/el.Seconds(), "issues/s")
				w.Close()
			}
		})
	}
}
