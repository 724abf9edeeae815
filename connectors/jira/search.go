package jira

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
)

// searchSpec is a JQL search, possibly in several consecutive parts (backfill
// windows), and what to ask for.
type searchSpec struct {
	jqls   []string
	fields []string
	expand string
}

// pageFuture is a page whose fetch and follow-up requests may still run; the
// consumer takes pages in order, so loading is ordered while fetching overlaps.
type pageFuture struct {
	done   chan struct{}
	issues []*Issue
	err    error
}

func newFuture() *pageFuture { return &pageFuture{done: make(chan struct{})} }

func (f *pageFuture) resolve(issues []*Issue, err error) {
	f.issues, f.err = issues, err
	close(f.done)
}

// search streams every issue matching spec to sink, one page at a time and in
// order, from a single goroutine. At most `workers` pages are fetched ahead, so
// memory stays bounded however large the result.
//
// Data Center knows the total after page one and fetches the following pages
// concurrently; Cloud's token chain is sequential, so there the changelog and
// worklog follow-ups of earlier pages run while the chain advances.
func (c *Client) search(ctx context.Context, spec searchSpec, cv *converter, sink func(context.Context, []*Issue) error) (int, error) {
	prepare := func(ctx context.Context, wire []wireIssue, detail chan struct{}) ([]*Issue, error) {
		return c.prepare(ctx, cv, wire, detail)
	}
	for {
		n, err := c.searchOnce(ctx, spec, prepare, sink)
		if errors.Is(err, errSwitchedToCloud) && n == 0 {
			continue
		}
		return n, err
	}
}

// preparer turns a fetched page into records (the floor benchmark skips it).
type preparer func(ctx context.Context, wire []wireIssue, detail chan struct{}) ([]*Issue, error)

func (c *Client) searchOnce(ctx context.Context, spec searchSpec, prepare preparer, sink func(context.Context, []*Issue) error) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	futures := make(chan *pageFuture, max(c.workers, 1))
	detail := make(chan struct{}, 2*max(c.workers, 1))
	send := func(f *pageFuture) bool {
		select {
		case futures <- f:
			return true
		case <-ctx.Done():
			return false
		}
	}
	complete := func(f *pageFuture, fetch func() ([]wireIssue, error), where string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wire, err := fetch()
			if err != nil {
				f.resolve(nil, err)
				return
			}
			issues, err := prepare(ctx, wire, detail)
			if err != nil {
				err = fmt.Errorf("search page %s: %w", where, err)
			}
			f.resolve(issues, err)
		}()
	}
	failed := func(err error) {
		f := newFuture()
		f.resolve(nil, err)
		send(f)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(futures)
		if c.Deployment() == Cloud {
			c.produceCloud(ctx, spec, send, complete, failed)
		} else {
			c.produceDC(ctx, spec, send, complete, failed)
		}
	}()
	n := 0
	var err error
	for f := range futures {
		select {
		case <-f.done:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			err = ctx.Err()
			break
		}
		if f.err != nil {
			err = f.err
			break
		}
		if err = sink(ctx, f.issues); err != nil {
			break
		}
		n += len(f.issues)
	}
	cancel()
	for range futures {
		// Unblock the producer so it sees the cancellation.
	}
	wg.Wait()
	return n, err
}

// produceCloud follows each part's token chain in turn; a page's follow-up
// requests run while the chain advances.
func (c *Client) produceCloud(ctx context.Context, spec searchSpec, send func(*pageFuture) bool,
	complete func(*pageFuture, func() ([]wireIssue, error), string), failed func(error)) {
	for part, jql := range spec.jqls {
		token := ""
		seen := map[string]bool{}
		for page := 1; ; page++ {
			p, err := c.searchPage(ctx, jql, spec.fields, spec.expand, 0, token, c.pageSize)
			if err != nil {
				failed(err)
				return
			}
			f := newFuture()
			if !send(f) {
				return
			}
			issues := p.Issues
			complete(f, func() ([]wireIssue, error) { return issues, nil }, fmt.Sprintf("%d of part %d", page, part+1))
			if p.NextPageToken == "" || (p.IsLast != nil && *p.IsLast) {
				break
			}
			if seen[p.NextPageToken] {
				failed(fmt.Errorf("GET /rest/api/2/search/jql: page %d repeats an earlier nextPageToken; stopping instead of looping", page))
				return
			}
			seen[p.NextPageToken] = true
			token = p.NextPageToken
		}
	}
}

// produceDC reads each part's first page for its total, then requests the
// other pages concurrently. The next part starts as soon as this one's pages
// are queued, so the pipe stays full across backfill windows.
func (c *Client) produceDC(ctx context.Context, spec searchSpec, send func(*pageFuture) bool,
	complete func(*pageFuture, func() ([]wireIssue, error), string), failed func(error)) {
	for _, jql := range spec.jqls {
		first, err := c.searchPage(ctx, jql, spec.fields, spec.expand, 0, "", c.pageSize)
		if err != nil {
			failed(err)
			return
		}
		// The server may cap maxResults below what was asked; page by what it says.
		step := first.MaxResults
		if step <= 0 || step > c.pageSize {
			step = max(len(first.Issues), 1)
		}
		total := first.Total
		f := newFuture()
		if !send(f) {
			return
		}
		complete(f, func() ([]wireIssue, error) { return c.fetchRange(ctx, jql, spec, 0, step, first) }, "startAt=0")
		for start := step; start < total; start += step {
			f := newFuture()
			if !send(f) {
				return
			}
			s := start
			complete(f, func() ([]wireIssue, error) { return c.fetchRange(ctx, jql, spec, s, step, nil) }, "startAt="+strconv.Itoa(s))
		}
	}
}

// fetchRange reads the issues at offsets [start, start+want). A page shorter than
// asked while more remain (Jira may drop issues it cannot render, or cap a page)
// is followed by a request for the rest, so no offset is skipped.
func (c *Client) fetchRange(ctx context.Context, jql string, spec searchSpec, start, want int, first *searchPage) ([]wireIssue, error) {
	var out []wireIssue
	pos := start
	p := first
	for {
		if p == nil {
			var err error
			if p, err = c.searchPage(ctx, jql, spec.fields, spec.expand, pos, "", want-len(out)); err != nil {
				return nil, err
			}
		}
		out = append(out, p.Issues...)
		pos += len(p.Issues)
		if len(p.Issues) == 0 || len(out) >= want || pos >= p.Total {
			return out, nil
		}
		p = nil
	}
}

// prepare converts a page and completes truncated changelogs and worklogs
// concurrently (bounded by detail), then derives each issue's history rows.
func (c *Client) prepare(ctx context.Context, cv *converter, wire []wireIssue, detail chan struct{}) ([]*Issue, error) {
	issues := make([]*Issue, 0, len(wire))
	for i := range wire {
		is, err := cv.convert(&wire[i])
		if err != nil {
			return nil, err
		}
		issues = append(issues, is)
	}
	var (
		mu       sync.Mutex
		firstErr error
		local    sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	for _, is := range issues {
		if !is.needChangelog && !is.needWorklogs {
			continue
		}
		select {
		case detail <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		local.Add(1)
		go func() {
			defer local.Done()
			defer func() { <-detail }()
			if err := c.complete(ctx, cv, is); err != nil {
				fail(fmt.Errorf("issue %s: %w", is.Key, err))
			}
		}()
	}
	local.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	for _, is := range issues {
		cv.finish(is)
		// The store reads the derived rows; the raw histories would only hold
		// memory while the issue waits in the loader's buffer.
		is.Histories = nil
	}
	return issues, nil
}

// complete fetches the full changelog and worklogs of an issue whose embedded
// lists were truncated.
func (c *Client) complete(ctx context.Context, cv *converter, is *Issue) error {
	if is.needChangelog {
		wh, err := c.changelog(ctx, is.ID)
		if err != nil {
			return err
		}
		hs, err := cv.histories(wh)
		if err != nil {
			return err
		}
		is.Histories, is.ChangelogComplete, is.needChangelog = hs, true, false
	}
	if is.needWorklogs {
		ww, err := c.worklogs(ctx, is.ID)
		if err != nil {
			return err
		}
		ws, err := cv.worklogs(ww)
		if err != nil {
			return err
		}
		is.Worklogs, is.WorklogsComplete, is.needWorklogs = ws, true, false
	}
	return nil
}

// listIDs streams the ids of every issue matching jql (fields=id, large pages).
func (c *Client) listIDs(ctx context.Context, jql string, fn func([]int64) error) error {
	for {
		err := c.listIDsOnce(ctx, jql, fn)
		if errors.Is(err, errSwitchedToCloud) {
			continue
		}
		return err
	}
}

func (c *Client) listIDsOnce(ctx context.Context, jql string, fn func([]int64) error) error {
	cloud := c.Deployment() == Cloud
	size := 1000
	if cloud {
		size = 5000
	}
	token, start := "", 0
	first := true
	for {
		p, err := c.searchPage(ctx, jql, []string{"id"}, "", start, token, size)
		if err != nil {
			if !first && errors.Is(err, errSwitchedToCloud) {
				return fmt.Errorf("the search endpoint went away mid-listing: %w", err)
			}
			return err
		}
		first = false
		ids := make([]int64, 0, len(p.Issues))
		for _, w := range p.Issues {
			id, err := strconv.ParseInt(w.ID, 10, 64)
			if err != nil {
				return fmt.Errorf("listing issue ids: id %q is not a number", w.ID)
			}
			ids = append(ids, id)
		}
		if err := fn(ids); err != nil {
			return err
		}
		if cloud {
			if p.NextPageToken == "" || (p.IsLast != nil && *p.IsLast) || p.NextPageToken == token {
				return nil
			}
			token = p.NextPageToken
			continue
		}
		start += len(p.Issues)
		if len(p.Issues) == 0 || start >= p.Total {
			return nil
		}
	}
}
