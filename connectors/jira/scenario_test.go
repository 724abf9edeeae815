package jira_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/connectors/jira"
	"github.com/pmlens/pmlens/connectors/jira/jiratest"
	"github.com/pmlens/pmlens/warehouse"
)

// clock is a settable time shared with the fake's handlers.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock { c := &clock{}; c.set(t); return c }
func (c *clock) set(t time.Time)  { c.ns.Store(t.UnixNano()) }
func (c *clock) now() time.Time   { return time.Unix(0, c.ns.Load()).UTC() }

func stateValue(t *testing.T, w *warehouse.Writer, key string) string {
	t.Helper()
	var v string
	if err := w.DB().QueryRow(`SELECT value FROM source_state WHERE source = 'jira' AND key = ?`, key).Scan(&v); err != nil {
		t.Fatalf("state %s: %v", key, err)
	}
	return v
}

func TestShortPagesLoseNothing(t *testing.T) {
	base := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	for _, dep := range []string{jiratest.DataCenter, jiratest.Cloud} {
		t.Run(dep, func(t *testing.T) {
			srv := jiratest.New(jiratest.Options{Deployment: dep, Token: "tok"})
			defer srv.Close()
			srv.ShortPages = true
			srv.SetIssues(genIssues(47, base))
			w, _ := openWarehouse(t)
			res, st := syncOnce(t, w, baseOptions(srv, "", "tok"))
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if got := queryInt(t, w, `SELECT count(DISTINCT issue_id) FROM issues`); got != 47 {
				t.Errorf("distinct issues %d, want 47", got)
			}
			// Duplicates (a page re-read after a short one) must be upserted, not doubled.
			if got := queryInt(t, w, `SELECT count(*) FROM issues`); got != 47 {
				t.Errorf("issue rows %d, want 47", got)
			}
			if st.Issues < 47 {
				t.Errorf("stats count %d issues, want ≥ 47", st.Issues)
			}
		})
	}
}

// A 429 is retried after the wait its headers ask for. The wait is read from
// the transport's log (no clock is involved): Retry-After: 1 means one second
// plus at most 30% jitter; X-RateLimit-Reset a second ahead means a wait of at
// most 1.3 s that is not a backoff of milliseconds.
func TestRetryAfterOn429(t *testing.T) {
	for _, dep := range []string{jiratest.Cloud, jiratest.DataCenter} {
		for _, header := range []string{"Retry-After", "X-RateLimit-Reset"} {
			t.Run(dep+"/"+header, func(t *testing.T) {
				email := ""
				if dep == jiratest.Cloud {
					email = "a@example.org"
				}
				srv := jiratest.New(jiratest.Options{Deployment: dep, Email: email, Token: "tok"})
				defer srv.Close()
				srv.SetIssues(genIssues(12, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)))
				var throttled atomic.Int64
				srv.Hook = func(w http.ResponseWriter, r *http.Request, n int64) bool {
					if strings.HasPrefix(r.URL.Path, "/rest/api/2/search") && r.URL.Query().Get("expand") == "changelog" && throttled.Load() < 2 {
						throttled.Add(1)
						if header == "Retry-After" {
							w.Header().Set("Retry-After", "1")
						} else {
							w.Header().Set("X-RateLimit-Reset", time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano))
						}
						w.Header().Set("RateLimit-Reason", "jira-burst-based")
						w.WriteHeader(http.StatusTooManyRequests)
						return true
					}
					return false
				}
				w, _ := openWarehouse(t)
				opts := baseOptions(srv, email, "tok")
				log, records := newRecorder()
				opts.Logger = log
				res, _ := syncOnce(t, w, opts)
				if res.Err != nil {
					t.Fatal(res.Err)
				}
				if throttled.Load() != 2 {
					t.Errorf("throttled %d requests, want 2", throttled.Load())
				}
				if got := queryInt(t, w, `SELECT count(*) FROM issues`); got != 12 {
					t.Errorf("issues %d, want 12", got)
				}
				var waits []time.Duration
				for _, r := range records() {
					if r.attrs["status"] == int64(http.StatusTooManyRequests) {
						waits = append(waits, r.attrs["wait"].(time.Duration))
						if r.attrs["reason"] != "jira-burst-based" {
							t.Errorf("retry log lacks the rate-limit reason: %v", r.attrs)
						}
					}
				}
				if len(waits) != 2 {
					t.Fatalf("logged %d throttled retries, want 2", len(waits))
				}
				for _, d := range waits {
					lo, hi := time.Second, 1300*time.Millisecond
					if header != "Retry-After" {
						// The test's RetryBase is 1 ms: a header-less backoff waits ≤ 1 ms.
						lo, hi = 20*time.Millisecond, 1300*time.Millisecond
					}
					if d < lo || d > hi {
						t.Errorf("waited %v after a 429 with %s; want %v to %v", d, header, lo, hi)
					}
				}
			})
		}
	}
}

// A 500 that outlasts the retries in the middle of a run fails the run: the
// published data stays as the previous run left it and the watermark does not
// move, so the next run repeats the window and loads what the failed run lost.
func TestServerErrorMidRunKeepsPublishedData(t *testing.T) {
	for _, dep := range []string{jiratest.DataCenter, jiratest.Cloud} {
		t.Run(dep, func(t *testing.T) {
			start := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
			clk := newClock(start)
			email := ""
			if dep == jiratest.Cloud {
				email = "a@example.org"
			}
			srv := jiratest.New(jiratest.Options{Deployment: dep, Email: email, Token: "tok", Now: clk.now})
			defer srv.Close()
			srv.SetIssues(genIssues(30, start.Add(-40*24*time.Hour)))
			w, path := openWarehouse(t)
			opts := baseOptions(srv, email, "tok")
			if res, _ := syncOnce(t, w, opts); res.Err != nil {
				t.Fatal(res.Err)
			}
			wm := stateValue(t, w, jira.StateWatermark)

			// Every issue changes; page two of the next search fails for good.
			clk.set(start.Add(time.Hour))
			srv.Mutate(func(is []*jiratest.Issue) []*jiratest.Issue {
				for _, x := range is {
					x.Updated = start.Add(30 * time.Minute)
					x.StatusID, x.Status, x.Category = "1", "To Do", "new"
				}
				return is
			})
			pageTwo := func(r *http.Request) bool {
				q := r.URL.Query()
				if dep == jiratest.Cloud {
					return r.URL.Path == "/rest/api/2/search/jql" && q.Get("nextPageToken") != "" && q.Get("expand") == "changelog"
				}
				return r.URL.Path == "/rest/api/2/search" && q.Get("startAt") == "10"
			}
			var failures atomic.Int64
			srv.Hook = func(w http.ResponseWriter, r *http.Request, n int64) bool {
				if pageTwo(r) {
					failures.Add(1)
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusInternalServerError)
					_, _ = w.Write([]byte(`{"errorMessages":["Internal server error"]}`))
					return true
				}
				return false
			}
			res, st := syncOnce(t, w, opts)
			if res.Err == nil {
				t.Fatal("run succeeded despite a persistent 500")
			}
			var re *jira.RequestError
			if !errors.As(res.Err, &re) || re.Status != 500 || !re.Retryable() {
				t.Fatalf("error %v: want a retryable *RequestError with status 500", res.Err)
			}
			if want := "GET " + map[string]string{jiratest.Cloud: "/rest/api/2/search/jql", jiratest.DataCenter: "/rest/api/2/search"}[dep] + ": HTTP 500"; !strings.Contains(res.Err.Error(), want) {
				t.Errorf("error %q does not name the request (%q)", res.Err, want)
			}
			// Page one reached the run's transaction before page two failed, so
			// only the rollback keeps it out of the published data.
			if st.Issues == 0 {
				t.Error("the failed run loaded nothing before the failure; the test proves nothing")
			}
			// MaxRetries 3 → 4 attempts.
			if failures.Load() != 4 {
				t.Errorf("page two was tried %d times, want 4", failures.Load())
			}
			if got := stateValue(t, w, jira.StateWatermark); got != wm {
				t.Errorf("watermark moved from %s to %s after a failed run", wm, got)
			}
			r := warehouse.NewReader(path, "")
			defer r.Close()
			snap, release, err := r.Acquire(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var todo int
			var published string
			if err := snap.DB.QueryRow(`SELECT count(*) FROM issues WHERE status = 'To Do'`).Scan(&todo); err != nil {
				t.Fatal(err)
			}
			if err := snap.DB.QueryRow(`SELECT value FROM source_state WHERE source = 'jira' AND key = ?`, jira.StateWatermark).Scan(&published); err != nil {
				t.Fatal(err)
			}
			release()
			if todo != 0 || published != wm {
				t.Errorf("published data shows %d issues from the failed run and watermark %s (want 0 and %s)", todo, published, wm)
			}

			// The site recovers: the next run re-reads the same window.
			srv.Hook = nil
			clk.set(start.Add(2 * time.Hour))
			if res, _ := syncOnce(t, w, opts); res.Err != nil {
				t.Fatal(res.Err)
			}
			if got := queryInt(t, w, `SELECT count(*) FROM issues WHERE status = 'To Do'`); got != 30 {
				t.Errorf("after recovery %d of 30 changed issues are loaded", got)
			}
		})
	}
}

func TestGoneOldSearchMeansCloud(t *testing.T) {
	srv := jiratest.New(jiratest.Options{Deployment: jiratest.Cloud, Email: "a@example.org", Token: "tok"})
	defer srv.Close()
	srv.SetIssues(genIssues(15, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)))
	w, _ := openWarehouse(t)
	opts := baseOptions(srv, "a@example.org", "tok")
	opts.Client.Deployment = jira.DataCenter // configured wrongly: the 410 corrects it
	res, st := syncOnce(t, w, opts)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if st.Deployment != jira.Cloud {
		t.Errorf("deployment %q after a 410, want cloud", st.Deployment)
	}
	if srv.Count("search") == 0 || srv.Count("searchjql") == 0 {
		t.Errorf("search %d, search/jql %d: want the old endpoint tried and the new one used", srv.Count("search"), srv.Count("searchjql"))
	}
	if got := queryInt(t, w, `SELECT count(*) FROM issues`); got != 15 {
		t.Errorf("issues %d, want 15", got)
	}
}

// Jira Cloud indexes updates late: an issue whose `updated` lies before the last
// watermark can appear only afterwards. The overlap window picks it up when the
// delay is within the overlap, and only then.
func TestLateUpdatesInsideOverlap(t *testing.T) {
	for _, zone := range []string{"epoch", "America/Guatemala", "Pacific/Auckland"} {
		t.Run(zone, func(t *testing.T) {
			t0 := time.Date(2024, 5, 10, 8, 0, 0, 0, time.UTC)
			clk := newClock(t0)
			tz := "UTC"
			if zone != "epoch" {
				tz = zone
			}
			srv := jiratest.New(jiratest.Options{Deployment: jiratest.Cloud, Email: "a@example.org", Token: "tok", Now: clk.now, UserTimeZone: tz})
			defer srv.Close()
			issues := genIssues(20, t0.Add(-30*24*time.Hour))
			srv.SetIssues(issues)
			w, _ := openWarehouse(t)
			opts := baseOptions(srv, "a@example.org", "tok")
			if zone != "epoch" {
				opts.JQLTime = "user-zone"
			}
			if res, _ := syncOnce(t, w, opts); res.Err != nil {
				t.Fatal(res.Err)
			}
			// Issue 0: updated 5 min before the watermark (inside the 10 min
			// overlap), visible only now. Issue 1: updated 20 min before (outside).
			// Issue 2: updated after the watermark.
			clk.set(t0.Add(time.Hour))
			srv.Mutate(func(is []*jiratest.Issue) []*jiratest.Issue {
				for k, d := range map[int]time.Duration{0: -5 * time.Minute, 1: -20 * time.Minute, 2: 30 * time.Minute} {
					is[k].Updated = t0.Add(d)
					is[k].StatusID, is[k].Status, is[k].Category = "1", "To Do", "new"
				}
				return is
			})
			res, st := syncOnce(t, w, opts)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			got := map[string]bool{}
			rows, err := w.DB().Query(`SELECT issue_key FROM issues WHERE status = 'To Do'`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var k string
				_ = rows.Scan(&k)
				got[k] = true
			}
			rows.Close()
			if !got["TP-1"] || got["TP-2"] || !got["TP-3"] || len(got) != 2 {
				t.Errorf("re-read issues %v; want TP-1 (inside overlap) and TP-3, not TP-2", got)
			}
			// Only those two match updated >= watermark-10m when the literal is read
			// in the right zone; a UTC literal in a non-UTC zone would catch more or
			// fewer.
			if st.Issues != 2 {
				t.Errorf("incremental run fetched %d issues, want 2", st.Issues)
			}
		})
	}
}

func TestReconciliationMarksDeletedAndOutOfScope(t *testing.T) {
	t0 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	clk := newClock(t0)
	srv := jiratest.New(jiratest.Options{Deployment: jiratest.DataCenter, Token: "tok", Now: clk.now})
	defer srv.Close()
	srv.SetIssues(genIssues(12, t0.Add(-20*24*time.Hour)))
	w, _ := openWarehouse(t)
	opts := baseOptions(srv, "", "tok")
	opts.ReconcileEvery = time.Hour
	if res, _ := syncOnce(t, w, opts); res.Err != nil {
		t.Fatal(res.Err)
	}
	// TP-3 is deleted; TP-4 moves to project OTHER (out of the JQL scope) without
	// an update the incremental search would see; TP-13 appears in scope with an
	// old `updated` (e.g. the JQL scope was widened elsewhere).
	clk.set(t0.Add(2 * time.Hour))
	srv.Mutate(func(is []*jiratest.Issue) []*jiratest.Issue {
		is[2].Deleted = true
		is[3].Project = "OTHER"
		extra := genIssues(13, t0.Add(-20*24*time.Hour))[12]
		extra.Updated = t0.Add(-10 * 24 * time.Hour)
		return append(is, extra)
	})
	res, st := syncOnce(t, w, opts)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if !st.Reconciled || st.Deleted != 1 || st.OutOfScope != 1 {
		t.Errorf("stats %+v: want reconciled with 1 deleted, 1 out of scope", st)
	}
	for q, want := range map[string]int64{
		`SELECT count(*) FROM issues WHERE issue_key = 'TP-3' AND deleted_at IS NOT NULL AND NOT in_scope`: 1,
		`SELECT count(*) FROM issues WHERE issue_key = 'TP-4' AND deleted_at IS NULL AND NOT in_scope`:     1,
		`SELECT count(*) FROM issues WHERE issue_key = 'TP-13'`:                                            1,
		`SELECT count(*) FROM issues WHERE in_scope AND deleted_at IS NULL`:                                11,
		`SELECT count(*) FROM issue_status_changes WHERE issue_key = 'TP-3'`:                               3, // history kept
		`SELECT count(*) FROM jira_scope_ids`:                                                              0,
	} {
		if got := queryInt(t, w, q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
	// Within reconcile_every nothing is listed again.
	clk.set(t0.Add(150 * time.Minute))
	if _, st := syncOnce(t, w, opts); st.Reconciled {
		t.Error("reconciled again before reconcile_every passed")
	}
	// TP-4 moves back into the project, again without an update the incremental
	// search would see: the next reconciliation brings it back into scope.
	srv.Mutate(func(is []*jiratest.Issue) []*jiratest.Issue {
		for _, x := range is {
			if x.Key == "TP-4" {
				x.Project = "TP"
			}
		}
		return is
	})
	clk.set(t0.Add(4 * time.Hour))
	if res, st := syncOnce(t, w, opts); res.Err != nil || !st.Reconciled || st.OutOfScope != 0 || st.Deleted != 0 {
		t.Fatalf("run after TP-4 came back: %v, stats %+v; want reconciled with nothing newly gone", res.Err, st)
	}
	if got := queryInt(t, w, `SELECT count(*) FROM issues WHERE issue_key = 'TP-4' AND in_scope AND out_of_scope_at IS NULL`); got != 1 {
		t.Error("TP-4 is still out of scope after it came back")
	}
	if got := queryInt(t, w, `SELECT count(*) FROM issues WHERE issue_key = 'TP-3' AND deleted_at IS NOT NULL`); got != 1 {
		t.Error("the deleted TP-3 lost its mark")
	}
}

// A response that is not the JSON it should be fails the run with an error that
// names the request (method, path, status) and is not retried.
func TestMalformedJSONNamesTheRequest(t *testing.T) {
	for _, tc := range []struct {
		name, dep, path string
		match           func(r *http.Request) bool
	}{
		{"datacenter search page", jiratest.DataCenter, "GET /rest/api/2/search", func(r *http.Request) bool {
			return r.URL.Path == "/rest/api/2/search" && r.URL.Query().Get("expand") == "changelog"
		}},
		{"cloud search page", jiratest.Cloud, "GET /rest/api/2/search/jql", func(r *http.Request) bool {
			return r.URL.Path == "/rest/api/2/search/jql" && r.URL.Query().Get("expand") == "changelog"
		}},
		{"cloud changelog follow-up", jiratest.Cloud, "GET /rest/api/2/issue/10003/changelog", func(r *http.Request) bool {
			return r.URL.Path == "/rest/api/2/issue/10003/changelog"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := jiratest.New(jiratest.Options{Deployment: tc.dep, Token: "tok"})
			defer srv.Close()
			srv.ChangelogLimit = 1 // every issue with two or more histories needs its changelog fetched
			srv.SetIssues(genIssues(5, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)))
			var served atomic.Int64
			srv.Hook = func(w http.ResponseWriter, r *http.Request, n int64) bool {
				if tc.match(r) {
					served.Add(1)
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(`{"startAt":0,"maxResults":10,"total":5,"issues":[{"id":"10000","key":"TP-1","fields":{"created":`))
					return true
				}
				return false
			}
			w, _ := openWarehouse(t)
			res, _ := syncOnce(t, w, baseOptions(srv, "", "tok"))
			if res.Err == nil {
				t.Fatal("malformed JSON was accepted")
			}
			msg := res.Err.Error()
			for _, want := range []string{tc.path + ": HTTP 200", "decoding response", "unexpected EOF"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			var re *jira.RequestError
			if !errors.As(res.Err, &re) || re.Retryable() || re.Attempts != 1 {
				t.Errorf("a malformed response must fail at once, not retryable: %v", res.Err)
			}
			if served.Load() != 1 {
				t.Errorf("the malformed answer was requested %d times, want once", served.Load())
			}
		})
	}
}

// Histories beyond what Jira embeds (Cloud: the newest 40) are fetched from
// /changelog in pages of 100, worklogs beyond the 20 embedded from /worklog; on
// Data Center the search embeds the whole changelog.
func TestLongChangelogsAndWorklogsFetchedInFull(t *testing.T) {
	base := time.Date(2024, 2, 1, 8, 0, 0, 0, time.UTC)
	for _, dep := range []string{jiratest.Cloud, jiratest.DataCenter} {
		t.Run(dep, func(t *testing.T) {
			srv := jiratest.New(jiratest.Options{Deployment: dep, Token: "tok"})
			defer srv.Close()
			issues := genIssues(4, base)
			long := issues[1]
			// 230 status histories alternating To Do → In Progress → To Do …,
			// one a minute; 45 worklogs of 30 minutes.
			long.Histories = nil
			st := [][2]string{{"1", "To Do"}, {"3", "In Progress"}}
			for k := 0; k < 230; k++ {
				from, to := st[k%2], st[(k+1)%2]
				long.Histories = append(long.Histories, jiratest.History{ID: int64(5000 + k), At: long.Created.Add(time.Duration(k+1) * time.Minute), Author: alice,
					Items: []jiratest.Item{{Field: "status", FieldID: "status", From: from[0], FromString: from[1], To: to[0], ToString: to[1]}}})
			}
			// 230 moves from To Do end in In Progress.
			long.StatusID, long.Status, long.Category, long.Resolved = "3", "In Progress", "indeterminate", time.Time{}
			long.SprintIDs = nil
			long.Worklogs = nil
			for k := 0; k < 45; k++ {
				long.Worklogs = append(long.Worklogs, jiratest.Worklog{ID: int64(9000 + k), Author: bob, Started: long.Created.Add(time.Duration(k) * time.Hour), Seconds: 1800})
			}
			srv.SetIssues(issues)
			w, _ := openWarehouse(t)
			if res, _ := syncOnce(t, w, baseOptions(srv, "", "tok")); res.Err != nil {
				t.Fatal(res.Err)
			}
			// The creation row plus 230 transitions, the first from To Do.
			for q, want := range map[string]int64{
				`SELECT count(*) FROM issue_status_changes WHERE issue_key = 'TP-2'`:                                                 231,
				`SELECT count(*) FROM issue_status_changes WHERE issue_key = 'TP-2' AND from_status IS NULL AND to_status = 'To Do'`: 1,
				`SELECT count(*) FROM worklogs WHERE issue_key = 'TP-2'`:                                                             45,
				`SELECT CAST(sum(time_spent_hours) * 2 AS BIGINT) FROM worklogs WHERE issue_key = 'TP-2'`:                            45,
				`SELECT count(*) FROM issues WHERE issue_key = 'TP-2' AND changelog_complete`:                                        1,
			} {
				if got := queryInt(t, w, q); got != want {
					t.Errorf("%s = %d, want %d", q, got, want)
				}
			}
			// Cloud: 230 histories are 3 pages of /changelog (100, 100, 30); Data
			// Center needs none. Both read /worklog for the 25 worklogs not embedded.
			wantChangelog := map[string]int64{jiratest.Cloud: 3, jiratest.DataCenter: 0}[dep]
			if srv.Count("changelog") != wantChangelog || srv.Count("worklog") != 1 {
				t.Errorf("%d changelog and %d worklog requests, want %d and 1", srv.Count("changelog"), srv.Count("worklog"), wantChangelog)
			}
		})
	}
}

func TestBadTokenIsNotRetried(t *testing.T) {
	srv := jiratest.New(jiratest.Options{Deployment: jiratest.DataCenter, Token: "right"})
	defer srv.Close()
	w, _ := openWarehouse(t)
	res, _ := syncOnce(t, w, baseOptions(srv, "", "wrong"))
	var re *jira.RequestError
	if !errors.As(res.Err, &re) || re.Status != 401 || re.Retryable() || re.Attempts != 1 {
		t.Fatalf("got %v; want a non-retryable 401 after one attempt", res.Err)
	}
	if strings.Contains(res.Err.Error(), "wrong") {
		t.Error("the error message leaks the token")
	}
}

// Re-syncing the same issues in later runs and within one run must replace rows:
// DuckDB would reject a delete + re-insert of the same primary key in one
// transaction, so the tables have none and the loader keeps keys unique.
func TestUpsertAcrossAndWithinRuns(t *testing.T) {
	t0 := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	clk := newClock(t0)
	srv := jiratest.New(jiratest.Options{Deployment: jiratest.DataCenter, Token: "tok", Now: clk.now})
	defer srv.Close()
	srv.SetIssues(genIssues(8, t0.Add(-5*24*time.Hour)))
	w, _ := openWarehouse(t)
	opts := baseOptions(srv, "", "tok")
	opts.Overlap = 30 * 24 * time.Hour // every run re-reads everything
	opts.ReconcileEvery = time.Nanosecond
	for i := 1; i <= 3; i++ {
		clk.set(t0.Add(time.Duration(i) * time.Hour))
		if res, _ := syncOnce(t, w, opts); res.Err != nil {
			t.Fatalf("run %d: %v", i, res.Err)
		}
	}
	for q, want := range map[string]int64{
		`SELECT count(*) FROM issues`:               8,
		`SELECT count(*) FROM issue_status_changes`: 8 + 8 + 4, // creations, to In Progress, to Done (even i)
		`SELECT count(*) FROM sprint_issues`:        8 + 3,     // joins + moves (i = 0, 3, 6)
	} {
		if got := queryInt(t, w, q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
}

func TestRiskIssuesAndSprintPages(t *testing.T) {
	day := time.Date(2024, 8, 1, 10, 0, 0, 0, time.UTC)
	srv := jiratest.New(jiratest.Options{Deployment: jiratest.DataCenter, Token: "tok", Now: func() time.Time { return day }})
	defer srv.Close()
	srv.SetFieldsJSON([]byte(strings.Replace(jiratest.DefaultFields, "]", `,
 {"id":"customfield_10300","name":"Probability","custom":true,"schema":{"type":"option","custom":"com.atlassian.jira.plugin.system.customfieldtypes:select"}},
 {"id":"customfield_10301","name":"Impact cost","custom":true,"schema":{"type":"number","custom":"com.atlassian.jira.plugin.system.customfieldtypes:float"}},
 {"id":"customfield_10302","name":"Risk response","custom":true,"schema":{"type":"option","custom":"com.atlassian.jira.plugin.system.customfieldtypes:select"}},
 {"id":"customfield_10303","name":"Response notes","custom":true,"schema":{"type":"string","custom":"com.atlassian.jira.plugin.system.customfieldtypes:textarea"}}
]`, 1)))
	issues := genIssues(3, day.Add(-10*24*time.Hour))
	risk := issues[1]
	risk.Type = "Risk"
	risk.Extra = map[string]any{"customfield_10300": map[string]string{"value": "Likely"}, "customfield_10301": 25000, "customfield_10302": map[string]string{"value": "Mitigate"}}
	other := issues[2]
	other.Type = "Risk"
	other.Extra = map[string]any{"customfield_10300": "35%", "customfield_10303": "call Dr. Roe about the patient"}
	srv.SetIssues(issues)
	// 120 sprints on one scrum board: three pages of 50.
	var sprints []jiratest.Sprint
	var ids []int64
	for i := int64(1); i <= 120; i++ {
		sprints = append(sprints, jiratest.Sprint{ID: i, BoardID: 7, Name: fmt.Sprintf("S%d", i), State: "closed", Goal: "secret goal"})
		ids = append(ids, i)
	}
	srv.SetSprints(sprints)
	srv.SetBoards([]jiratest.Board{{ID: 7, Name: "TP board", Type: "scrum", ProjectKey: "TP", SprintIDs: ids}, {ID: 8, Name: "TP kanban", Type: "kanban", ProjectKey: "TP"}})
	w, _ := openWarehouse(t)
	opts := baseOptions(srv, "", "tok")
	opts.Risk = configs.JiraRisk{IssueType: "Risk", Probability: "Probability", ImpactCost: "Impact cost", Response: "Risk response", Owner: "assignee"}
	res, st := syncOnce(t, w, opts)
	if res.Err != nil || len(res.Problems) > 0 {
		t.Fatal(res.Err, res.Problems)
	}
	if st.Boards != 2 || st.Sprints != 120 || srv.Count("sprint") != 3 {
		t.Errorf("boards %d, sprints %d, sprint requests %d; want 2, 120, 3 (kanban boards have no sprints)", st.Boards, st.Sprints, srv.Count("sprint"))
	}
	// TP-2: "Likely" is score 4, cost 25000, a select response is kept. TP-3:
	// "35%" is probability 0.35; its text notes are not a configured field.
	for q, want := range map[string]int64{
		`SELECT count(*) FROM risks WHERE risk_id = 'TP-2' AND probability_score = 4 AND impact_cost = 25000 AND response = 'Mitigate' AND owner LIKE 'person:%' AND title IS NULL`: 1,
		`SELECT count(*) FROM risks WHERE risk_id = 'TP-3' AND probability = 0.35 AND response IS NULL`:                                                                             1,
		`SELECT count(*) FROM risk_snapshots WHERE as_of = DATE '2024-08-01' AND snapshot_date_source = 'jira-sync'`:                                                                2,
		`SELECT count(*) FROM sprints WHERE goal IS NOT NULL`:                                                                                                                       0,
		`SELECT count(*) FROM jira_fields WHERE role = 'risk_probability' AND field_id = 'customfield_10300'`:                                                                       1,
	} {
		if got := queryInt(t, w, q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
}
