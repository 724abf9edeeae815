package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"sync"
	"time"
)

// Session ids are 256 random bits (ASVS asks for at least 128) in unpadded
// base64url: 43 characters.
const (
	sessionIDBytes = 32
	sessionIDLen   = 43
	// maxSessions bounds memory; when full, expired sessions are swept and then the
	// least recently used one is dropped.
	maxSessions = 20000
)

// session is the server-side state of a signed-in browser. The map is keyed by the
// SHA-256 of the id, so a memory dump does not hand out usable cookies.
type session struct {
	subject    string
	user       string
	method     string
	generation int64 // of the user record at sign-in (0: no record)
	// principal is the grant computed at sign-in; for local users it is recomputed
	// from the users file on every request.
	principal Principal
	created   time.Time
	lastSeen  time.Time
}

// sessionStore keeps sessions in the server's memory: only `pmlens serve` has
// browsers, a restart signs everyone out (acceptable and arguably safer), and
// revocation from the CLI works through the users file's generations.
type sessionStore struct {
	mu      sync.Mutex
	m       map[string]*session
	now     func() time.Time
	idle    time.Duration
	absolut time.Duration
}

func newSessionStore(now func() time.Time, idle, absolute time.Duration) *sessionStore {
	return &sessionStore{m: map[string]*session{}, now: now, idle: idle, absolut: absolute}
}

func newSessionID() (string, error) {
	b := make([]byte, sessionIDBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// validSessionID checks a cookie value's shape before it is hashed and looked up.
func validSessionID(s string) bool {
	if len(s) != sessionIDLen {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == sessionIDBytes
}

func sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// create stores s under a fresh id and returns the id.
func (st *sessionStore) create(s *session) (string, error) {
	id, err := newSessionID()
	if err != nil {
		return "", err
	}
	now := st.now()
	s.created, s.lastSeen = now, now
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.m) >= maxSessions {
		st.sweepLocked(now)
	}
	if len(st.m) >= maxSessions {
		var oldestKey string
		var oldest time.Time
		for k, v := range st.m {
			if oldestKey == "" || v.lastSeen.Before(oldest) {
				oldestKey, oldest = k, v.lastSeen
			}
		}
		delete(st.m, oldestKey)
	}
	st.m[sessionKey(id)] = s
	return id, nil
}

// get returns the live session with id and marks it used. An idle or too old
// session is deleted and returned with the reason it ended; an unknown or
// malformed id returns nil and a reason.
//
// touch=false checks the session without counting the request as activity.
func (st *sessionStore) get(id string, touch bool) (*session, string) {
	if !validSessionID(id) {
		return nil, "malformed"
	}
	key := sessionKey(id)
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.m[key]
	if !ok {
		return nil, "unknown"
	}
	cp := *s
	if now.Sub(s.created) >= st.absolut {
		delete(st.m, key)
		return &cp, "absolute timeout"
	}
	if now.Sub(s.lastSeen) >= st.idle {
		delete(st.m, key)
		return &cp, "idle timeout"
	}
	if touch {
		s.lastSeen = now
		cp.lastSeen = now
	}
	return &cp, ""
}

func (st *sessionStore) delete(id string) {
	if !validSessionID(id) {
		return
	}
	st.mu.Lock()
	delete(st.m, sessionKey(id))
	st.mu.Unlock()
}

// deleteUser ends every session of the named user and returns how many ended.
func (st *sessionStore) deleteUser(name string) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	n := 0
	for k, s := range st.m {
		if strings.EqualFold(s.user, name) {
			delete(st.m, k)
			n++
		}
	}
	return n
}

// ended is a session the sweep removed, for the audit trail.
type ended struct{ user, reason string }

// sweep drops expired sessions and reports them.
func (st *sessionStore) sweep() []ended {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.sweepLocked(st.now())
}

func (st *sessionStore) sweepLocked(now time.Time) []ended {
	var out []ended
	for k, s := range st.m {
		switch {
		case now.Sub(s.created) >= st.absolut:
			out = append(out, ended{s.user, "absolute timeout"})
		case now.Sub(s.lastSeen) >= st.idle:
			out = append(out, ended{s.user, "idle timeout"})
		default:
			continue
		}
		delete(st.m, k)
	}
	return out
}

func (st *sessionStore) count() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.m)
}
