package jira

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		headers map[string]string
		want    time.Duration
		ok      bool
	}{
		{"seconds", map[string]string{"Retry-After": "7"}, 7 * time.Second, true},
		{"fraction", map[string]string{"Retry-After": "0.5"}, 500 * time.Millisecond, true},
		{"http date", map[string]string{"Retry-After": "Wed, 01 Jan 2025 12:00:30 GMT"}, 30 * time.Second, true},
		{"reset iso", map[string]string{"X-RateLimit-Reset": "2025-01-01T12:01:00Z"}, time.Minute, true},
		{"reset with offset", map[string]string{"X-RateLimit-Reset": "2025-01-01T13:00:10+01:00"}, 10 * time.Second, true},
		{"retry-after wins", map[string]string{"Retry-After": "2", "X-RateLimit-Reset": "2025-01-01T12:01:00Z"}, 2 * time.Second, true},
		{"past reset", map[string]string{"X-RateLimit-Reset": "2025-01-01T11:00:00Z"}, 0, true},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0, false},
		{"huge", map[string]string{"Retry-After": "1e300"}, 24 * time.Hour, true},
		{"not a number", map[string]string{"Retry-After": "NaN"}, 0, false},
		{"none", nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.headers {
				h.Set(k, v)
			}
			got, ok := retryAfter(h, now)
			if got != tc.want || ok != tc.ok {
				t.Errorf("retryAfter = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestBackoffBounds(t *testing.T) {
	for _, j := range []float64{0, 0.5, 0.999} {
		tr := &retryTransport{base: time.Second, cap: 8 * time.Second, jitter: func() float64 { return j }}
		for attempt, full := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second} {
			// Equal jitter: between half and all of min(base·2^attempt, cap).
			if d := tr.backoff(attempt); d < full/2 || d > full {
				t.Errorf("jitter %v attempt %d: %v outside [%v, %v]", j, attempt, d, full/2, full)
			}
		}
		if d := tr.backoff(80); d > 8*time.Second || d <= 0 {
			t.Errorf("huge attempt: %v", d)
		}
	}
}

func testClient(t *testing.T, url string, concurrency, retries int) *Client {
	t.Helper()
	c, err := NewClient(ClientOptions{BaseURL: url, Token: "tok", Concurrency: concurrency, MaxRetries: retries,
		RetryBase: time.Millisecond, RetryCap: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRetryPolicyByStatus(t *testing.T) {
	for _, tc := range []struct {
		status    int
		attempts  int64
		retryable bool
	}{
		{400, 1, false}, {401, 1, false}, {403, 1, false}, {404, 1, false}, {410, 1, false},
		{429, 4, true}, {500, 4, true}, {502, 4, true}, {503, 4, true}, {504, 4, true},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			var n atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(`{"errorMessages":["nope"]}`))
			}))
			defer srv.Close()
			c := testClient(t, srv.URL, 2, 3)
			var out any
			_, err := c.get(context.Background(), "rest/api/2/field", nil, &out)
			var re *RequestError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not a *RequestError", err)
			}
			if n.Load() != tc.attempts || re.Attempts != int(tc.attempts) || re.Status != tc.status || re.Retryable() != tc.retryable {
				t.Errorf("server saw %d attempts, error says %d, status %d, retryable %v; want %d attempts, retryable %v (%v)",
					n.Load(), re.Attempts, re.Status, re.Retryable(), tc.attempts, tc.retryable, err)
			}
			if re.Message != "nope" || re.Path != "/rest/api/2/field" || re.Method != "GET" {
				t.Errorf("error does not name the request and Jira's message: %v", err)
			}
		})
	}
}

func TestNetworkErrorIsRetriedThenRetryable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // nothing listens: connection refused
	c := testClient(t, url, 1, 2)
	var out any
	_, err = c.get(context.Background(), "rest/api/2/serverInfo", nil, &out)
	var re *RequestError
	if !errors.As(err, &re) || re.Status != 0 || !re.Retryable() || re.Attempts != 3 {
		t.Fatalf("got %v (attempts %d); want a retryable network error after 3 attempts", err, re.Attempts)
	}
}

func TestConcurrencyCap(t *testing.T) {
	var inFlight, peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur := inFlight.Add(1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		inFlight.Add(-1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c := testClient(t, srv.URL, 3, 0)
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out map[string]any
			if _, err := c.get(context.Background(), "rest/api/2/myself", nil, &out); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 3 || p < 1 {
		t.Errorf("peak concurrency %d, want 1..3", p)
	}
}

// A 429 pauses every request of the source, not only the throttled one.
func TestThrottlePausesAllRequests(t *testing.T) {
	lim := newLimiter(0, 4)
	until := time.Now().Add(time.Hour)
	lim.pauseUntil(until)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := lim.acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire during a pause: %v; want to wait past the deadline", err)
	}
	if len(lim.slots) != 0 {
		t.Error("a cancelled acquire kept its slot")
	}
}

// A throttled request is not retried when Jira asks for a wait beyond
// maxThrottleWait: the run fails with a retryable error at once instead of
// holding the warehouse's writer for an hour.
func TestOverlongRetryAfterFailsAtOnce(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	c := testClient(t, srv.URL, 1, 5)
	var out any
	_, err := c.get(context.Background(), "rest/api/2/field", nil, &out)
	var re *RequestError
	if !errors.As(err, &re) || re.Status != http.StatusTooManyRequests || !re.Retryable() || n.Load() != 1 {
		t.Fatalf("got %v after %d requests; want a retryable 429 after one", err, n.Load())
	}
}
