package jira

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// limiter paces and bounds the requests of one source: at most one request start
// per interval, at most cap(slots) requests in flight, and nobody starts before a
// pause a 429 asked for has passed.
type limiter struct {
	interval time.Duration
	slots    chan struct{}

	mu    sync.Mutex
	next  time.Time // earliest start of the next request
	pause time.Time // set by Retry-After / X-RateLimit-Reset
}

func newLimiter(perSecond float64, concurrency int) *limiter {
	l := &limiter{slots: make(chan struct{}, max(concurrency, 1))}
	if perSecond > 0 {
		l.interval = time.Duration(float64(time.Second) / perSecond)
	}
	return l
}

// acquire takes a concurrency slot and then waits for the request's turn.
func (l *limiter) acquire(ctx context.Context) error {
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	start := now
	if l.next.After(start) {
		start = l.next
	}
	if l.pause.After(start) {
		start = l.pause
	}
	l.next = start.Add(l.interval)
	l.mu.Unlock()
	if err := sleepCtx(ctx, start.Sub(now)); err != nil {
		l.release()
		return err
	}
	return nil
}

func (l *limiter) release() { <-l.slots }

// pauseUntil holds every new request of the source until t: a 429 is about the
// whole tenant's budget, not only the request that received it.
func (l *limiter) pauseUntil(t time.Time) {
	l.mu.Lock()
	if t.After(l.pause) {
		l.pause = t
	}
	l.mu.Unlock()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// limitTransport applies the limiter to every attempt; the slot is held until the
// response body is closed, because reading the body is part of the request's load.
type limitTransport struct {
	lim  *limiter
	next http.RoundTripper
}

func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.lim.acquire(req.Context()); err != nil {
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.lim.release()
		return nil, err
	}
	resp.Body = &onClose{ReadCloser: resp.Body, fn: t.lim.release}
	return resp, nil
}

// onClose runs fn once when the body is closed.
type onClose struct {
	io.ReadCloser
	once sync.Once
	fn   func()
}

func (o *onClose) Close() error {
	err := drainClose(o.ReadCloser)
	o.once.Do(o.fn)
	return err
}

// attemptsKey carries a counter through the request context so a final error can
// say how often the request was tried.
type attemptsKey struct{}

type attemptCounter struct {
	mu sync.Mutex
	n  int
}

func (a *attemptCounter) add() {
	a.mu.Lock()
	a.n++
	a.mu.Unlock()
}

func (a *attemptCounter) get() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n
}

// retryTransport retries what a later attempt can fix. It sits under the auth
// transport, so every attempt carries credentials, and over the limiter, so every
// attempt is paced.
//   - 429 and 503 wait for Retry-After (seconds or HTTP date) or X-RateLimit-Reset
//     (ISO 8601), plus up to 30% jitter, and pause the whole source meanwhile;
//   - other 5xx and network errors back off exponentially with jitter (GET only:
//     a write might have happened);
//   - other 4xx are returned at once: bad credentials or JQL do not heal;
//   - a wait longer than maxThrottleWait is not waited: the run fails with a
//     retryable error instead of holding the warehouse's writer for that long.
type retryTransport struct {
	next       http.RoundTripper
	lim        *limiter
	maxRetries int
	base, cap  time.Duration
	timeout    time.Duration
	log        *slog.Logger
	jitter     func() float64 // [0,1)
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	counter, _ := ctx.Value(attemptsKey{}).(*attemptCounter)
	idempotent := req.Method == http.MethodGet || req.Method == http.MethodHead
	for attempt := 0; ; attempt++ {
		if counter != nil {
			counter.add()
		}
		r := req
		if attempt > 0 && req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				return nil, errNoRewind
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		actx, cancel := ctx, context.CancelFunc(func() {})
		if t.timeout > 0 {
			actx, cancel = context.WithTimeout(ctx, t.timeout)
		}
		resp, err := t.next.RoundTrip(r.WithContext(actx))
		last := attempt >= t.maxRetries
		if err != nil {
			cancel()
			if ctx.Err() != nil || !idempotent || last {
				return nil, err
			}
			wait := t.backoff(attempt)
			t.log.Warn("jira request failed; retrying", "method", req.Method, "path", req.URL.Path, "attempt", attempt+1, "wait", wait, "err", err)
			if err := sleepCtx(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		if !t.shouldRetry(resp.StatusCode, idempotent) || last {
			resp.Body = &onClose{ReadCloser: resp.Body, fn: cancel}
			return resp, nil
		}
		wait, told := retryAfter(resp.Header, time.Now())
		if told && wait > maxThrottleWait {
			t.log.Warn("jira asks to wait longer than pmlens will; the run fails and is retried later", "method", req.Method,
				"path", req.URL.Path, "status", resp.StatusCode, "wait", wait)
			resp.Body = &onClose{ReadCloser: resp.Body, fn: cancel}
			return resp, nil
		}
		if told {
			wait += time.Duration(float64(wait) * 0.3 * t.jitter())
			t.lim.pauseUntil(time.Now().Add(wait))
		} else {
			wait = t.backoff(attempt)
		}
		t.log.Warn("jira request throttled or failed; retrying", "method", req.Method, "path", req.URL.Path, "status", resp.StatusCode,
			"reason", resp.Header.Get("RateLimit-Reason"), "attempt", attempt+1, "wait", wait)
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		cancel()
		if err := sleepCtx(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func (t *retryTransport) shouldRetry(status int, idempotent bool) bool {
	switch {
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		return true
	case status >= 500:
		return idempotent
	}
	return false
}

// backoff is base·2^attempt capped, with "equal jitter": half fixed, half random,
// so retries of concurrent requests spread out but never fire at once.
func (t *retryTransport) backoff(attempt int) time.Duration {
	d := t.base << min(attempt, 20)
	if d > t.cap || d <= 0 {
		d = t.cap
	}
	return d/2 + time.Duration(float64(d/2)*t.jitter())
}

// maxThrottleWait bounds the wait a 429 or 503 can impose on one request.
const maxThrottleWait = 15 * time.Minute

// retryAfter reads the wait a throttling response asks for: Retry-After in
// seconds or as an HTTP date, else X-RateLimit-Reset as an ISO 8601 time. A
// wait beyond a day is reported as a day.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	const day = 24 * time.Hour
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			return time.Duration(min(s, day.Seconds()) * float64(time.Second)), true
		}
		if t, err := http.ParseTime(v); err == nil {
			return min(max(t.Sub(now), 0), day), true
		}
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05.999Z0700"} {
			if t, err := time.Parse(layout, v); err == nil {
				return min(max(t.Sub(now), 0), day), true
			}
		}
	}
	return 0, false
}

var errNoRewind = &rewindError{}

type rewindError struct{}

func (*rewindError) Error() string { return "cannot retry a request whose body cannot be rewound" }

func defaultJitter() float64 { return rand.Float64() }
