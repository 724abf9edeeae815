package dashboards

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"

	"github.com/pmlens/pmlens/warehouse"
)

// response is a rendered answer, kept per published version.
type response struct {
	status int
	ctype  string
	body   []byte
	header map[string]string // extra headers, e.g. Content-Disposition
}

// responseCache is an LRU of rendered responses for one published version. A new
// version empties it: everything pmlens shows is a function of (version, URL).
type responseCache struct {
	max int

	mu      sync.Mutex
	version string
	order   *list.List // front = most recent; values are *cacheEntry
	entries map[string]*list.Element
	flights map[string]*flight
}

type cacheEntry struct {
	key  string
	resp *response
}

type flight struct {
	done chan struct{}
	resp *response
	err  error
}

func newResponseCache(max int) *responseCache {
	return &responseCache{max: max, order: list.New(), entries: map[string]*list.Element{}, flights: map[string]*flight{}}
}

// get returns the response for key under version, computing it at most once at a
// time: concurrent requests for the same uncached page wait for the first one
// instead of all querying DuckDB (what keeps p99 low under a burst after a sync).
func (c *responseCache) get(version, key string, compute func() (*response, error)) (*response, error) {
	if c.max < 0 {
		return compute()
	}
	c.mu.Lock()
	if c.version != version {
		c.version = version
		c.order.Init()
		c.entries = map[string]*list.Element{}
	}
	if el, ok := c.entries[key]; ok {
		c.order.MoveToFront(el)
		r := el.Value.(*cacheEntry).resp
		c.mu.Unlock()
		return r, nil
	}
	fkey := version + "\x00" + key
	if f, ok := c.flights[fkey]; ok {
		c.mu.Unlock()
		<-f.done
		return f.resp, f.err
	}
	f := &flight{done: make(chan struct{})}
	c.flights[fkey] = f
	c.mu.Unlock()

	f.resp, f.err = compute()

	c.mu.Lock()
	delete(c.flights, fkey)
	// Server errors are not kept: they may be transient (a timeout, a closed file).
	if f.err == nil && f.resp.status < 500 && c.version == version {
		c.entries[key] = c.order.PushFront(&cacheEntry{key: key, resp: f.resp})
		for c.order.Len() > c.max {
			old := c.order.Back()
			c.order.Remove(old)
			delete(c.entries, old.Value.(*cacheEntry).key)
		}
	}
	c.mu.Unlock()
	close(f.done)
	return f.resp, f.err
}

// makeETag names the representation of one URL under one published version and
// one pmlens build; extra covers inputs outside the warehouse (next scheduled runs).
func makeETag(version, build, extra string) string {
	sum := sha256.Sum256([]byte(build + "\x00" + extra))
	return `"` + strings.TrimSuffix(version, ".duckdb") + "-" + hex.EncodeToString(sum[:])[:12] + `"`
}

// etagMatches implements If-None-Match: a list of tags or "*"; weak tags compare
// equal to strong ones for GET (RFC 9110 weak comparison).
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// readinessCache remembers the schema version of the last checked published version.
type readinessCache struct {
	mu      sync.Mutex
	version string
	schema  int
}

func (r *readinessCache) schemaVersion(ctx context.Context, snap *warehouse.Snapshot) (int, error) {
	r.mu.Lock()
	if r.version == snap.Version {
		v := r.schema
		r.mu.Unlock()
		return v, nil
	}
	r.mu.Unlock()
	var v int
	if err := snap.DB.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, err
	}
	r.mu.Lock()
	r.version, r.schema = snap.Version, v
	r.mu.Unlock()
	return v, nil
}
