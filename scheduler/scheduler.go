// Package scheduler runs each configured source on its cron schedule inside
// `pmlens serve`: never two runs of one source at once, a stable per-source jitter
// so sources sharing a schedule do not all start in the same second, and retries
// with exponential backoff for errors worth retrying.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/pmlens/pmlens/configs"
)

// RunFunc runs one source once.
type RunFunc func(ctx context.Context, source string) error

// Options configures a Scheduler.
type Options struct {
	Logger *slog.Logger
	Run    RunFunc
	// Retryable decides whether a failed run is retried with backoff.
	Retryable func(error) bool
	// MaxJitter caps the per-source start delay (default 1 minute; it is also at
	// most a tenth of the interval between two runs).
	MaxJitter time.Duration
}

// Scheduler owns the cron loop. Create with New, add sources, Start, then Stop.
type Scheduler struct {
	opts Options
	log  *slog.Logger
	cron *cron.Cron

	mu      sync.Mutex
	running map[string]bool
	entries map[string]cron.EntryID
	jitter  map[string]time.Duration
	sources map[string]configs.Source
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// ErrAlreadyRunning is returned by Trigger when the source is running.
var ErrAlreadyRunning = errors.New("a run of this source is already in progress")

// New returns a stopped scheduler.
func New(opts Options) *Scheduler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Retryable == nil {
		opts.Retryable = func(error) bool { return false }
	}
	if opts.MaxJitter == 0 {
		opts.MaxJitter = time.Minute
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Scheduler{
		opts:    opts,
		log:     opts.Logger.With("component", "scheduler"),
		cron:    cron.New(cron.WithLocation(time.Local)),
		running: map[string]bool{},
		entries: map[string]cron.EntryID{},
		jitter:  map[string]time.Duration{},
		sources: map[string]configs.Source{},
		ctx:     ctx,
		cancel:  cancel,
	}
}

// Add schedules a source. Sources without a schedule are only known to Trigger.
func (s *Scheduler) Add(src configs.Source) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sources[src.Name] = src
	if src.Schedule == "" {
		return nil
	}
	sched, err := configs.ParseSchedule(src.Schedule)
	if err != nil {
		return fmt.Errorf("source %s: schedule %q: %w", src.Name, src.Schedule, err)
	}
	s.jitter[src.Name] = stableJitter(src.Name, sched, s.opts.MaxJitter)
	name := src.Name
	id := s.cron.Schedule(sched, cron.FuncJob(func() { s.fire(name) }))
	s.entries[name] = id
	return nil
}

// stableJitter derives a delay from the source name alone, so it is the same on
// every restart, and keeps it under a tenth of the schedule's interval.
func stableJitter(name string, sched cron.Schedule, max time.Duration) time.Duration {
	now := time.Now()
	first := sched.Next(now)
	interval := sched.Next(first).Sub(first)
	if limit := interval / 10; limit < max {
		max = limit
	}
	if max <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	return time.Duration(h.Sum64() % uint64(max))
}

// Start begins firing schedules.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop stops scheduling, cancels running syncs (each rolls back, leaving the
// published data as it was) and waits for them, or for ctx.
func (s *Scheduler) Stop(ctx context.Context) error {
	stopped := s.cron.Stop()
	s.cancel()
	done := make(chan struct{})
	go func() {
		<-stopped.Done()
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for running syncs: %w", ctx.Err())
	}
}

// Next is when the source runs next (jitter included); false for unscheduled sources.
func (s *Scheduler) Next(source string) (time.Time, bool) {
	s.mu.Lock()
	id, ok := s.entries[source]
	j := s.jitter[source]
	s.mu.Unlock()
	if !ok {
		return time.Time{}, false
	}
	e := s.cron.Entry(id)
	if e.Next.IsZero() {
		return time.Time{}, false
	}
	return e.Next.Add(j), true
}

// Running reports whether a run of the source is in progress.
func (s *Scheduler) Running(source string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running[source]
}

// Trigger starts a run now, in the background, unless one is already running.
func (s *Scheduler) Trigger(source string) error {
	if _, ok := s.source(source); !ok {
		return fmt.Errorf("no source named %q", source)
	}
	if !s.claim(source) {
		return ErrAlreadyRunning
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.release(source)
		s.runWithRetry(source, 0)
	}()
	return nil
}

func (s *Scheduler) source(name string) (configs.Source, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	src, ok := s.sources[name]
	return src, ok
}

func (s *Scheduler) claim(source string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[source] || s.ctx.Err() != nil {
		return false
	}
	s.running[source] = true
	return true
}

func (s *Scheduler) release(source string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.running, source)
}

// fire is the cron job: it skips, rather than queues, when the previous run of the
// same source is still going.
func (s *Scheduler) fire(source string) {
	if !s.claim(source) {
		s.log.Warn("skipping scheduled run: the previous one is still going", "source", source)
		return
	}
	s.wg.Add(1)
	defer s.wg.Done()
	defer s.release(source)
	s.mu.Lock()
	j := s.jitter[source]
	s.mu.Unlock()
	s.runWithRetry(source, j)
}

func (s *Scheduler) runWithRetry(source string, delay time.Duration) {
	if !sleep(s.ctx, delay) {
		return
	}
	src, _ := s.source(source)
	attempts := max(src.Retry.Attempts, 1)
	for attempt := 1; ; attempt++ {
		err := s.opts.Run(s.ctx, source)
		if err == nil || s.ctx.Err() != nil {
			return
		}
		if attempt >= attempts || !s.opts.Retryable(err) {
			s.log.Error("sync failed; waiting for the next scheduled run", "source", source, "attempt", attempt, "err", err)
			return
		}
		wait := Backoff(src.Retry, attempt)
		s.log.Warn("sync failed; retrying", "source", source, "attempt", attempt, "retry_in", wait.Round(time.Second), "err", err)
		if !sleep(s.ctx, wait) {
			return
		}
	}
}

// Backoff is the wait before retry number attempt (1-based): initial doubled each
// time, capped at max, with ±20% jitter so retries of many sources spread out.
func Backoff(r configs.Retry, attempt int) time.Duration {
	d := r.Initial
	for i := 1; i < attempt && d < r.Max; i++ {
		d *= 2
	}
	if r.Max > 0 && d > r.Max {
		d = r.Max
	}
	f := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * f)
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
