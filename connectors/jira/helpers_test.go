package jira_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/connectors/jira"
	"github.com/pmlens/pmlens/connectors/jira/jiratest"
	"github.com/pmlens/pmlens/warehouse"
)

// openWarehouse opens a real warehouse under t.TempDir().
func openWarehouse(tb testing.TB) (*warehouse.Writer, string) {
	tb.Helper()
	dir := tb.TempDir()
	path := filepath.Join(dir, "pmlens.duckdb")
	w, err := warehouse.Open(context.Background(), warehouse.Options{Path: path, HashKey: []byte("test-hash-key-0123456789abcdef0123")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.Close() })
	return w, path
}

// syncOnce runs one sync of source "jira" as the ingest layer does.
func syncOnce(tb testing.TB, w *warehouse.Writer, opts jira.Options) (warehouse.Result, jira.Stats) {
	tb.Helper()
	ctx := context.Background()
	run, err := w.Begin(ctx, "jira", "jira")
	if err != nil {
		tb.Fatal(err)
	}
	loader := warehouse.NewJiraLoader(run, warehouse.JiraLoadOptions{Text: opts.Text, IncludePeople: opts.IncludePeople})
	st, err := jira.Sync(ctx, opts, loader)
	return w.Finish(ctx, run, err), st
}

// baseOptions points a sync at a fake with fast retries.
func baseOptions(srv *jiratest.Server, email, token string) jira.Options {
	return optionsFor(srv.URL, email, token)
}

func optionsFor(url, email, token string) jira.Options {
	return jira.Options{
		Source: "jira",
		Client: jira.ClientOptions{
			BaseURL: url, Email: email, Token: token, PageSize: 10, Concurrency: 4, MaxRetries: 3,
			RetryBase: time.Millisecond, RetryCap: 10 * time.Millisecond, RequestTimeout: 10 * time.Second,
		},
		JQL:            "project = TP",
		JQLTime:        "epoch",
		Overlap:        10 * time.Minute,
		BackfillWindow: 48 * time.Hour, // several windows in most tests
		ReconcileEvery: 24 * time.Hour,
		HoursPerDay:    8,
		DaysPerWeek:    5,
		MaxGoneChecks:  100,
		Risk:           configs.JiraRisk{IssueType: "Risk", Owner: "assignee"},
	}
}

var (
	alice = &jiratest.User{AccountID: "acc-alice", DisplayName: "Alice Example", Email: "alice@example.org"}
	bob   = &jiratest.User{AccountID: "acc-bob", DisplayName: "Bob Example", Email: "bob@example.org"}
)

// genIssues builds n issues of project TP, one every 6 hours from base. Issue i
// moves To Do → In Progress at +1h and, when i is even, In Progress → Done at
// +2h; it joins sprint 1 at +30m and, when i%3 == 0, moves to sprint 2 at +3h;
// it has i%3 worklogs of one hour each by alice.
func genIssues(n int, base time.Time) []*jiratest.Issue {
	var out []*jiratest.Issue
	for i := 0; i < n; i++ {
		created := base.Add(time.Duration(i) * 6 * time.Hour)
		is := &jiratest.Issue{
			ID: int64(10000 + i), Key: fmt.Sprintf("TP-%d", i+1), Project: "TP", Type: "Story",
			StatusID: "3", Status: "In Progress", Category: "indeterminate",
			Created: created, Updated: created.Add(3 * time.Hour), StoryPoints: float64(i%5 + 1),
			Assignee: alice, Reporter: bob, Summary: fmt.Sprintf("Patient record %d cannot be opened", i),
			SprintIDs: []int64{1},
		}
		hid := int64(i * 100)
		is.Histories = append(is.Histories,
			jiratest.History{ID: hid + 1, At: created.Add(30 * time.Minute), Author: bob, Items: []jiratest.Item{{Field: "Sprint", FieldID: "customfield_10020", To: "1", ToString: "Sprint 1"}}},
			jiratest.History{ID: hid + 2, At: created.Add(time.Hour), Author: alice, Items: []jiratest.Item{{Field: "status", FieldID: "status", From: "1", FromString: "To Do", To: "3", ToString: "In Progress"},
				{Field: "assignee", FieldID: "assignee", FromString: "", ToString: alice.DisplayName}}})
		if i%2 == 0 {
			is.Histories = append(is.Histories, jiratest.History{ID: hid + 3, At: created.Add(2 * time.Hour), Author: alice,
				Items: []jiratest.Item{{Field: "status", FieldID: "status", From: "3", FromString: "In Progress", To: "10001", ToString: "Done"}}})
			is.StatusID, is.Status, is.Category = "10001", "Done", "done"
			is.Resolved = created.Add(2 * time.Hour)
		}
		if i%3 == 0 {
			is.Histories = append(is.Histories, jiratest.History{ID: hid + 4, At: created.Add(3 * time.Hour), Author: bob,
				Items: []jiratest.Item{{Field: "Sprint", FieldID: "customfield_10020", From: "1", FromString: "Sprint 1", To: "2", ToString: "Sprint 2"}}})
			is.SprintIDs = []int64{2}
		}
		for k := 0; k < i%3; k++ {
			is.Worklogs = append(is.Worklogs, jiratest.Worklog{ID: int64(i*10 + k), Author: alice, Started: created.Add(time.Duration(k+1) * time.Hour), Seconds: 3600, Comment: "worked on patient chart"})
		}
		out = append(out, is)
	}
	return out
}

func queryInt(tb testing.TB, w *warehouse.Writer, q string, args ...any) int64 {
	tb.Helper()
	var n int64
	if err := w.DB().QueryRow(q, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return n
}

// logRecord is one record a recordingHandler kept: its message and attributes.
type logRecord struct {
	msg   string
	attrs map[string]any
}

// recordingHandler keeps every log record, so tests can check what the
// connector decided (a retry's wait) without timing anything.
type recordingHandler struct {
	mu      *sync.Mutex
	records *[]logRecord
	attrs   []slog.Attr
}

func newRecorder() (*slog.Logger, func() []logRecord) {
	h := &recordingHandler{mu: &sync.Mutex{}, records: &[]logRecord{}}
	return slog.New(h), func() []logRecord {
		h.mu.Lock()
		defer h.mu.Unlock()
		return append([]logRecord(nil), (*h.records)...)
	}
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{msg: r.Message, attrs: map[string]any{}}
	for _, a := range h.attrs {
		rec.attrs[a.Key] = a.Value.Any()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.Any()
		return true
	})
	h.mu.Lock()
	*h.records = append(*h.records, rec)
	h.mu.Unlock()
	return nil
}

func (h *recordingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &recordingHandler{mu: h.mu, records: h.records, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *recordingHandler) WithGroup(string) slog.Handler { return h }
