package auth

import (
	"net"
	"strings"
	"sync"
	"time"
)

// throttle counts failed sign-ins per key (a user name or a client address) and
// locks a key out for a while after too many failures within a window. Lock-outs
// expire on their own: a permanent lock would let anyone disable any account.
type throttle struct {
	mu     sync.Mutex
	now    func() time.Time
	max    int
	window time.Duration
	lock   time.Duration
	m      map[string]*failures
}

type failures struct {
	times       []time.Time
	lockedUntil time.Time
}

// maxThrottleKeys bounds memory under a spray of distinct names or addresses.
const maxThrottleKeys = 50000

func newThrottle(now func() time.Time, max int, window, lock time.Duration) *throttle {
	return &throttle{now: now, max: max, window: window, lock: lock, m: map[string]*failures{}}
}

// locked reports whether key is locked out and until when.
func (t *throttle) locked(key string) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.m[key]
	if !ok {
		return time.Time{}, false
	}
	if t.now().Before(f.lockedUntil) {
		return f.lockedUntil, true
	}
	return time.Time{}, false
}

// fail records a failure and reports whether key is now locked out.
func (t *throttle) fail(key string) bool {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.m[key]
	if !ok {
		if len(t.m) >= maxThrottleKeys {
			t.pruneLocked(now)
		}
		f = &failures{}
		t.m[key] = f
	}
	recent := f.times[:0]
	for _, at := range f.times {
		if now.Sub(at) < t.window {
			recent = append(recent, at)
		}
	}
	f.times = append(recent, now)
	if len(f.times) >= t.max {
		f.lockedUntil = now.Add(t.lock)
		f.times = f.times[:0]
		return true
	}
	return false
}

// reset forgets key's failures (after a successful sign-in of that user).
func (t *throttle) reset(key string) {
	t.mu.Lock()
	delete(t.m, key)
	t.mu.Unlock()
}

func (t *throttle) pruneLocked(now time.Time) {
	for k, f := range t.m {
		if !now.Before(f.lockedUntil) && (len(f.times) == 0 || now.Sub(f.times[len(f.times)-1]) >= t.window) {
			delete(t.m, k)
		}
	}
}

// userKey is the throttle key of a user name: case-insensitive like lookups.
func userKey(name string) string { return "u:" + strings.ToLower(strings.TrimSpace(name)) }

// ipKey is the throttle key of a client address. IPv6 clients are grouped by /64,
// the block one host usually controls.
func ipKey(ip string) string {
	p := net.ParseIP(ip)
	if p == nil {
		return "ip:" + ip
	}
	if p.To4() == nil {
		return "ip:" + p.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return "ip:" + p.String()
}
