package scheduler

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pmlens/pmlens/configs"
)

// concurrencyProbe records the highest number of simultaneous runs per source.
type concurrencyProbe struct {
	mu      sync.Mutex
	current map[string]int
	peak    map[string]int
	total   atomic.Int64
	hold    time.Duration
}

func (p *concurrencyProbe) run(ctx context.Context, source string) error {
	p.mu.Lock()
	p.current[source]++
	if p.current[source] > p.peak[source] {
		p.peak[source] = p.current[source]
	}
	p.mu.Unlock()
	p.total.Add(1)
	select {
	case <-time.After(p.hold):
	case <-ctx.Done():
	}
	p.mu.Lock()
	p.current[source]--
	p.mu.Unlock()
	return nil
}

func TestNeverOverlapsRunsOfOneSource(t *testing.T) {
	p := &concurrencyProbe{current: map[string]int{}, peak: map[string]int{}, hold: 1500 * time.Millisecond}
	s := New(Options{Run: p.run, MaxJitter: time.Nanosecond})
	// A one-second schedule for a run that takes 1.5 s: cron fires while it runs.
	for _, name := range []string{"a", "b"} {
		if err := s.Add(configs.Source{Name: name, Schedule: "@every 1s", Retry: configs.Retry{Attempts: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	s.Start()
	// Manual triggers race the schedule too.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); _ = s.Trigger("a") }()
	}
	wg.Wait()
	time.Sleep(3200 * time.Millisecond)
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.peak["a"] != 1 || p.peak["b"] != 1 {
		t.Fatalf("peak concurrent runs per source = %v, want 1 each", p.peak)
	}
	if p.total.Load() < 3 {
		t.Fatalf("only %d runs happened; the schedule did not fire", p.total.Load())
	}
}

func TestTriggerRefusesWhileRunning(t *testing.T) {
	release := make(chan struct{})
	s := New(Options{Run: func(ctx context.Context, _ string) error { <-release; return nil }})
	_ = s.Add(configs.Source{Name: "a", Retry: configs.Retry{Attempts: 1}})
	if err := s.Trigger("a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Trigger("a"); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second trigger: %v, want ErrAlreadyRunning", err)
	}
	if err := s.Trigger("nope"); err == nil {
		t.Fatal("unknown source accepted")
	}
	close(release)
	_ = s.Stop(context.Background())
}

type retryErr struct{ retry bool }

func (e retryErr) Error() string { return "boom" }

func TestRetriesOnlyRetryableErrors(t *testing.T) {
	cases := []struct {
		name      string
		err       error
		wantCalls int64
	}{
		{"retryable error uses every attempt", retryErr{retry: true}, 3},
		{"bad input is not retried", retryErr{retry: false}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			done := make(chan struct{})
			s := New(Options{
				Run: func(ctx context.Context, _ string) error {
					if calls.Add(1) == tc.wantCalls {
						defer close(done)
					}
					return tc.err
				},
				Retryable: func(err error) bool { var r retryErr; return errors.As(err, &r) && r.retry },
			})
			_ = s.Add(configs.Source{Name: "a", Retry: configs.Retry{Attempts: 3, Initial: time.Millisecond, Max: 2 * time.Millisecond}})
			_ = s.Trigger("a")
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("runs did not happen")
			}
			_ = s.Stop(context.Background())
			if got := calls.Load(); got != tc.wantCalls {
				t.Fatalf("calls = %d, want %d", got, tc.wantCalls)
			}
		})
	}
}

func TestBackoffDoublesAndCaps(t *testing.T) {
	r := configs.Retry{Initial: time.Second, Max: 5 * time.Second}
	for attempt, base := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 5 * time.Second, 9: 5 * time.Second} {
		got := Backoff(r, attempt)
		if got < base*8/10 || got > base*12/10 {
			t.Errorf("attempt %d: %v outside ±20%% of %v", attempt, got, base)
		}
	}
}

func TestJitterIsStableAndBounded(t *testing.T) {
	sched, _ := configs.ParseSchedule("@every 1h")
	a1, a2 := stableJitter("ehr-jira", sched, time.Minute), stableJitter("ehr-jira", sched, time.Minute)
	if a1 != a2 || a1 < 0 || a1 >= time.Minute {
		t.Fatalf("jitter %v / %v not stable or out of bounds", a1, a2)
	}
	short, _ := configs.ParseSchedule("@every 10s")
	if j := stableJitter("ehr-jira", short, time.Minute); j >= time.Second {
		t.Fatalf("jitter %v exceeds a tenth of a 10s interval", j)
	}
}

func TestStopCancelsRunningSync(t *testing.T) {
	started := make(chan struct{})
	var cancelled atomic.Bool
	s := New(Options{Run: func(ctx context.Context, _ string) error {
		close(started)
		<-ctx.Done()
		cancelled.Store(true)
		return ctx.Err()
	}})
	_ = s.Add(configs.Source{Name: "a", Retry: configs.Retry{Attempts: 1}})
	_ = s.Trigger("a")
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if !cancelled.Load() {
		t.Fatal("running sync was not cancelled on Stop")
	}
}
