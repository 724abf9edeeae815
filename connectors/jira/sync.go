// Package jira loads Jira Cloud and Data Center sites, and Jira's CSV and JSON
// exports, into pmlens: issues with their full status history, worklogs, boards,
// sprints and sprint membership over time, fix versions and risks.
//
// A sync is incremental: a watermark per source (kept only when the run commits),
// JQL on `updated` with an overlap window, upserts by issue id, a first run that
// backfills in `created` windows, and a periodic reconciliation of the ids in
// scope that marks deleted and out-of-scope issues. Requests go through a
// retrying, rate-capped transport under go-jira's auth transport.
package jira

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pmlens/pmlens/configs"
)

// Store receives what a sync reads. warehouse.JiraLoader implements it on top of
// one warehouse run, so everything a sync writes commits or rolls back together.
// Methods are called from one goroutine.
type Store interface {
	// State and SetState keep per-source values (the watermark) that survive only
	// when the run commits.
	State(ctx context.Context, key string) (string, bool, error)
	SetState(ctx context.Context, key, value string) error
	// Problem records a non-fatal problem (one bad file or issue).
	Problem(location string, err error)
	Fields(ctx context.Context, fields []Field) error
	Statuses(ctx context.Context, statuses []Status) error
	// Issues upserts issues by id with their history, worklogs, sprint
	// membership, comments and risk rows.
	Issues(ctx context.Context, issues []*Issue) error
	// Boards replaces the source's boards and their columns.
	Boards(ctx context.Context, boards []Board) error
	// Sprints and Versions upsert by id.
	Sprints(ctx context.Context, sprints []Sprint) error
	Versions(ctx context.Context, versions []Version) error
	// ProjectKeys lists the Jira project keys the source's issues live in.
	ProjectKeys(ctx context.Context) ([]string, error)
	// BeginScope, ScopeIDs and ScopeDiff compare the ids in the JQL scope with
	// the stored issues: missing are stored but no longer in scope, unknown are in
	// scope but not stored. MarkGone records the outcome of checking the missing.
	BeginScope(ctx context.Context) error
	ScopeIDs(ctx context.Context, ids []int64) error
	ScopeDiff(ctx context.Context) (missing, unknown []int64, err error)
	MarkGone(ctx context.Context, deleted, outOfScope []int64, at time.Time) error
	// Finish completes the run: risk snapshots as of asOf, status categories
	// learnt from issues.
	Finish(ctx context.Context, asOf time.Time) error
}

// State keys of a jira source.
const (
	StateWatermark  = "jira.watermark"
	StateReconciled = "jira.reconciled_at"
	StateScopeJQL   = "jira.scope_jql"
)

// Options configure a sync of one jira source.
type Options struct {
	Source string
	Client ClientOptions
	// JQL is the scope; ORDER BY in it is ignored (pages are ordered by created).
	JQL            string
	JQLTime        string // configs.JiraTimeEpoch or configs.JiraTimeUserZone
	Overlap        time.Duration
	BackfillWindow time.Duration
	ReconcileEvery time.Duration
	Text           TextFields
	IncludePeople  bool
	Fields         configs.JiraFields
	Risk           configs.JiraRisk
	Boards         []int64
	SkipBoards     bool
	HoursPerDay    float64
	DaysPerWeek    float64
	// MaxGoneChecks caps the per-issue requests that tell a deleted issue from
	// one that left the scope; beyond it issues are only marked out of scope.
	MaxGoneChecks int
	Logger        *slog.Logger
	Now           func() time.Time
}

// OptionsFromSource maps a configured jira or jira-export source to Options,
// reading its token.
func OptionsFromSource(src configs.Source, base http.RoundTripper, log *slog.Logger) (Options, error) {
	o := src.Jira.WithDefaults()
	opts := Options{
		Source: src.Name,
		Client: ClientOptions{
			BaseURL:        src.URL,
			Email:          src.Auth.Email,
			PageSize:       o.PageSize,
			RatePerSecond:  o.MaxRequestsPerSecond,
			Concurrency:    o.MaxConcurrency,
			MaxRetries:     o.MaxRetries,
			RequestTimeout: o.RequestTimeout,
			Transport:      base,
			Logger:         log,
		},
		JQL:            src.JQL,
		JQLTime:        o.JQLTime,
		Overlap:        o.Overlap,
		BackfillWindow: time.Duration(o.BackfillWindowDays) * 24 * time.Hour,
		ReconcileEvery: o.ReconcileEvery,
		Text: TextFields{
			Summary: o.IncludesText("summary"), Description: o.IncludesText("description"),
			Comments: o.IncludesText("comments"), Environment: o.IncludesText("environment"),
			WorklogComments: o.IncludesText("worklog_comments"), SprintGoals: o.IncludesText("sprint_goals"),
			ProjectNames: o.IncludesText("project_names"), RiskResponses: o.IncludesText("risk_responses"),
		},
		IncludePeople: o.IncludePeople,
		Fields:        o.Fields,
		Risk:          o.Risk,
		Boards:        o.Boards,
		SkipBoards:    o.SkipBoards,
		HoursPerDay:   o.HoursPerDay,
		DaysPerWeek:   o.DaysPerWeek,
		MaxGoneChecks: 1000,
		Logger:        log,
	}
	switch o.Deployment {
	case configs.JiraDeploymentCloud:
		opts.Client.Deployment = Cloud
	case configs.JiraDeploymentDataCenter:
		opts.Client.Deployment = DataCenter
	}
	if src.Type == configs.TypeJira {
		tok, err := src.Auth.Token()
		if err != nil {
			return opts, err
		}
		if tok == "" {
			return opts, errors.New("auth: no API token configured")
		}
		opts.Client.Token = tok
	}
	return opts, nil
}

// Stats summarises a sync.
type Stats struct {
	Deployment string
	Issues     int
	Backfill   bool
	Reconciled bool
	Deleted    int
	OutOfScope int
	Boards     int
	Sprints    int
	Versions   int
}

type syncer struct {
	opts  Options
	c     *Client
	store Store
	log   *slog.Logger
	cv    *converter
	loc   *time.Location // nil: epoch milliseconds

	sprints  map[int64]Sprint
	versions map[string]Version
	stats    Stats
}

// Sync runs one incremental (or, the first time, backfilling) sync.
func Sync(ctx context.Context, opts Options, store Store) (Stats, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Client.Logger == nil {
		opts.Client.Logger = opts.Logger
	}
	c, err := NewClient(opts.Client)
	if err != nil {
		return Stats{}, err
	}
	s := &syncer{opts: opts, c: c, store: store, log: opts.Logger, sprints: map[int64]Sprint{}, versions: map[string]Version{}}
	err = s.run(ctx)
	s.stats.Deployment = c.Deployment()
	return s.stats, err
}

func (s *syncer) run(ctx context.Context) error {
	start, err := s.detect(ctx)
	if err != nil {
		return err
	}
	if err := s.prepareCatalog(ctx); err != nil {
		return err
	}
	if s.opts.JQLTime == configs.JiraTimeUserZone {
		loc, err := s.c.TimeZone(ctx)
		if err != nil {
			// JQL read in an unknown zone: fall back to UTC a day early (the worst
			// offset), as DevLake does; the overlap then only costs re-reads.
			s.log.Warn("cannot read the API user's time zone; writing JQL times in UTC one day early", "err", err)
			loc = time.UTC
			s.opts.Overlap += 24 * time.Hour
		}
		s.loc = loc
	}
	scope := stripOrderBy(s.opts.JQL)
	wm, haveWM, err := s.watermark(ctx)
	if err != nil {
		return err
	}
	prevScope, _, err := s.store.State(ctx, StateScopeJQL)
	if err != nil {
		return err
	}
	if haveWM {
		from := wm.Add(-s.opts.Overlap)
		s.log.Info("incremental jira sync", "updated_since", from, "overlap", s.opts.Overlap)
		if err := s.searchInto(ctx, fmt.Sprintf("(%s) AND updated >= %s ORDER BY created ASC", scope, s.jqlSince(from))); err != nil {
			return err
		}
	} else {
		s.stats.Backfill = true
		if err := s.backfill(ctx, scope); err != nil {
			return err
		}
	}
	reconciled, err := s.reconcileIfDue(ctx, scope, prevScope, haveWM, start)
	if err != nil {
		return err
	}
	if !s.opts.SkipBoards {
		if err := s.loadBoards(ctx); err != nil {
			return err
		}
	}
	if err := s.loadVersions(ctx); err != nil {
		return err
	}
	if err := s.flushSprints(ctx); err != nil {
		return err
	}
	if err := s.store.Finish(ctx, start); err != nil {
		return err
	}
	if err := s.store.SetState(ctx, StateWatermark, start.UTC().Format(time.RFC3339Nano)); err != nil {
		return err
	}
	if err := s.store.SetState(ctx, StateScopeJQL, scope); err != nil {
		return err
	}
	if reconciled || !haveWM {
		if err := s.store.SetState(ctx, StateReconciled, start.UTC().Format(time.RFC3339Nano)); err != nil {
			return err
		}
	}
	return nil
}

// detect settles the deployment and the run's start in server time (the next
// watermark), falling back to the local clock when serverInfo is unavailable
// and the deployment is configured.
func (s *syncer) detect(ctx context.Context) (time.Time, error) {
	_, serverTime, err := s.c.ServerInfo(ctx)
	if err != nil {
		if s.c.Deployment() == "" {
			return time.Time{}, fmt.Errorf("detecting the Jira deployment (set deployment: cloud or datacenter to skip): %w", err)
		}
		s.log.Warn("serverInfo unavailable; using the local clock for the watermark", "err", err)
	}
	if serverTime.IsZero() {
		serverTime = s.opts.Now()
	}
	s.log.Info("jira site", "deployment", s.c.Deployment(), "server_time", serverTime)
	return serverTime.UTC(), nil
}

func (s *syncer) prepareCatalog(ctx context.Context) error {
	fields, err := s.c.Fields(ctx)
	if err != nil {
		return err
	}
	cat, warns := NewCatalog(fields, s.opts.Fields, s.opts.Risk)
	for _, w := range warns {
		s.store.Problem("config", errors.New(w))
	}
	statuses, err := s.c.Statuses(ctx)
	if err != nil {
		return err
	}
	cat.SetStatuses(statuses)
	s.cv = &converter{cat: cat, text: s.opts.Text, hoursPerDay: s.opts.HoursPerDay, daysPerWeek: s.opts.DaysPerWeek}
	if err := s.store.Fields(ctx, cat.Fields); err != nil {
		return err
	}
	return s.store.Statuses(ctx, statuses)
}

func (s *syncer) watermark(ctx context.Context) (time.Time, bool, error) {
	v, ok, err := s.store.State(ctx, StateWatermark)
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("stored watermark %q: %w", v, err)
	}
	return t, true, nil
}

// jqlTime writes an instant as a JQL literal: epoch milliseconds (zone-free), or
// the API user's wall clock to the minute, the only precision JQL has.
func (s *syncer) jqlTime(t time.Time) string {
	if s.loc == nil {
		return strconv.FormatInt(t.UnixMilli(), 10)
	}
	return `"` + t.In(s.loc).Format("2006/01/02 15:04") + `"`
}

// jqlSince writes the lower bound of an incremental search. In the user's zone
// a wall-clock minute that a daylight-saving change repeats may be read as the
// later of its two instants, which would skip updates; within a few hours of a
// change the literal is moved back by the change's size, costing only re-reads.
func (s *syncer) jqlSince(t time.Time) string {
	if s.loc == nil {
		return s.jqlTime(t)
	}
	offset := func(at time.Time) int { _, o := at.In(s.loc).Zone(); return o }
	cur := offset(t)
	lowest := min(cur, offset(t.Add(-3*time.Hour)), offset(t.Add(3*time.Hour)))
	return s.jqlTime(t.Add(-time.Duration(cur-lowest) * time.Second))
}

// searchFields are the fields a search asks for: what pmlens stores, and free
// text only when opted in, so text that is not kept never leaves Jira.
func (s *syncer) searchFields() []string {
	f := []string{"issuetype", "project", "status", "priority", "resolution", "created", "updated", "resolutiondate",
		"duedate", "labels", "components", "fixVersions", "parent", "timeoriginalestimate", "timeestimate", "timespent",
		"assignee", "reporter", "worklog"}
	t := s.opts.Text
	if t.Summary {
		f = append(f, "summary")
	}
	if t.Description {
		f = append(f, "description")
	}
	if t.Environment {
		f = append(f, "environment")
	}
	if t.Comments {
		f = append(f, "comment")
	}
	return append(f, s.cv.cat.customFieldIDs()...)
}

func (s *syncer) searchInto(ctx context.Context, jqls ...string) error {
	spec := searchSpec{jqls: jqls, fields: s.searchFields(), expand: "changelog"}
	n, err := s.c.search(ctx, spec, s.cv, s.sink)
	s.log.Info("jira search done", "issues", n)
	return err
}

func (s *syncer) sink(ctx context.Context, issues []*Issue) error {
	for _, is := range issues {
		for _, sp := range is.Sprints {
			s.noteSprint(sp)
		}
		for _, v := range is.FixVersions {
			if _, ok := s.versions[v.ID]; !ok && v.ID != "" {
				s.versions[v.ID] = v
			}
		}
	}
	s.stats.Issues += len(issues)
	return s.store.Issues(ctx, issues)
}

// noteSprint keeps the most complete record of a sprint seen so far: the Agile
// API's wins over an issue field's.
func (s *syncer) noteSprint(sp Sprint) {
	old, ok := s.sprints[sp.ID]
	if !ok || sp.FromBoardAPI || (!old.FromBoardAPI && old.Name == "" && sp.Name != "") {
		if !s.opts.Text.SprintGoals {
			sp.Goal = ""
		}
		s.sprints[sp.ID] = sp
	}
}

// backfill loads the whole scope on the first run in `created` windows between
// the earliest and latest issue, so each search stays small enough to finish
// (Cloud tokens expire, offsets drift); the windows stream as one search.
func (s *syncer) backfill(ctx context.Context, scope string) error {
	earliest, found, err := s.createdBound(ctx, scope, "ASC")
	if err != nil || !found {
		return err
	}
	latest, _, err := s.createdBound(ctx, scope, "DESC")
	if err != nil {
		return err
	}
	var bounds []time.Time
	if w := s.opts.BackfillWindow; w > 0 {
		for t := earliest.Truncate(24 * time.Hour).Add(w); t.Before(latest); t = t.Add(w) {
			bounds = append(bounds, t)
		}
	}
	s.log.Info("first jira sync: backfilling", "earliest_created", earliest, "latest_created", latest, "windows", len(bounds)+1)
	jqls := make([]string, 0, len(bounds)+1)
	for i := 0; i <= len(bounds); i++ {
		var cond []string
		if i > 0 {
			cond = append(cond, "created >= "+s.jqlTime(bounds[i-1]))
		}
		if i < len(bounds) {
			cond = append(cond, "created < "+s.jqlTime(bounds[i]))
		}
		jql := "(" + scope + ")"
		if len(cond) > 0 {
			jql += " AND " + strings.Join(cond, " AND ")
		}
		jqls = append(jqls, jql+" ORDER BY created ASC")
	}
	if err := s.searchInto(ctx, jqls...); err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	return nil
}

// createdBound reads the created time of the first issue in the given order.
func (s *syncer) createdBound(ctx context.Context, scope, order string) (time.Time, bool, error) {
	for {
		p, err := s.c.searchPage(ctx, "("+scope+") ORDER BY created "+order, []string{"created"}, "", 0, "", 1)
		if errors.Is(err, errSwitchedToCloud) {
			continue
		}
		if err != nil {
			return time.Time{}, false, err
		}
		if len(p.Issues) == 0 {
			return time.Time{}, false, nil
		}
		t, err := parseTime(p.Issues[0].Fields.Created)
		if err != nil || t.IsZero() {
			return time.Time{}, false, fmt.Errorf("issue %s: created %q: %v", p.Issues[0].Key, p.Issues[0].Fields.Created, err)
		}
		return t, true, nil
	}
}

// reconcileIfDue lists every id in scope when reconcile_every has passed or the
// JQL changed, marks stored issues that are gone, and loads in-scope issues the
// warehouse lacks (an issue that moved into scope without being updated).
func (s *syncer) reconcileIfDue(ctx context.Context, scope, prevScope string, haveWM bool, start time.Time) (bool, error) {
	if !haveWM {
		return false, nil
	}
	last, ok, err := s.store.State(ctx, StateReconciled)
	if err != nil {
		return false, err
	}
	due := !ok || prevScope != scope
	if ok && !due {
		t, err := time.Parse(time.RFC3339Nano, last)
		due = err != nil || start.Sub(t) >= s.opts.ReconcileEvery
	}
	if !due {
		return false, nil
	}
	s.log.Info("reconciling issue ids in scope")
	if err := s.store.BeginScope(ctx); err != nil {
		return false, err
	}
	if err := s.c.listIDs(ctx, "("+scope+") ORDER BY created ASC", func(ids []int64) error {
		return s.store.ScopeIDs(ctx, ids)
	}); err != nil {
		return false, fmt.Errorf("reconciliation: %w", err)
	}
	missing, unknown, err := s.store.ScopeDiff(ctx)
	if err != nil {
		return false, err
	}
	var byID []string
	for i := 0; i < len(unknown); i += 100 {
		chunk := unknown[i:min(i+100, len(unknown))]
		parts := make([]string, len(chunk))
		for j, id := range chunk {
			parts[j] = strconv.FormatInt(id, 10)
		}
		byID = append(byID, "id in ("+strings.Join(parts, ",")+") ORDER BY created ASC")
	}
	if len(byID) > 0 {
		if err := s.searchInto(ctx, byID...); err != nil {
			return false, fmt.Errorf("reconciliation: loading issues new to the scope: %w", err)
		}
	}
	deleted, out, err := s.classifyGone(ctx, missing)
	if err != nil {
		return false, err
	}
	s.stats.Reconciled, s.stats.Deleted, s.stats.OutOfScope = true, len(deleted), len(out)
	s.log.Info("reconciled", "deleted", len(deleted), "out_of_scope", len(out), "new_in_scope", len(unknown))
	return true, s.store.MarkGone(ctx, deleted, out, start)
}

// classifyGone asks Jira about each missing issue: 404 is deleted (or hidden
// from the API user), 200 means it still exists outside the JQL scope.
func (s *syncer) classifyGone(ctx context.Context, missing []int64) (deleted, out []int64, err error) {
	check := missing
	if len(check) > s.opts.MaxGoneChecks {
		out = append(out, check[s.opts.MaxGoneChecks:]...)
		check = check[:s.opts.MaxGoneChecks]
	}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
	)
	sem := make(chan struct{}, max(s.c.workers, 1))
	for _, id := range check {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, found, err := s.c.issueProject(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				if firstErr == nil {
					firstErr = err
				}
			case found:
				out = append(out, id)
			default:
				deleted = append(deleted, id)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, nil, fmt.Errorf("reconciliation: %w", firstErr)
	}
	sort.Slice(deleted, func(i, j int) bool { return deleted[i] < deleted[j] })
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return deleted, out, nil
}

// loadBoards reads the boards of the projects in scope (or the configured ones),
// their column configuration and all their sprints. A site without Jira Software
// (no Agile API) is noted and skipped.
func (s *syncer) loadBoards(ctx context.Context) error {
	var wbs []wireBoard
	if len(s.opts.Boards) > 0 {
		for _, id := range s.opts.Boards {
			b, err := s.c.board(ctx, id)
			if err != nil {
				if isClientError(err) {
					s.store.Problem(fmt.Sprintf("board %d", id), err)
					continue
				}
				return err
			}
			wbs = append(wbs, b)
		}
	} else {
		keys, err := s.store.ProjectKeys(ctx)
		if err != nil {
			return err
		}
		seen := map[int64]bool{}
		for _, k := range keys {
			bs, err := s.c.boards(ctx, k)
			if err != nil {
				if isClientError(err) {
					s.log.Warn("no agile boards available; skipping boards and sprints", "project", k, "err", err)
					return nil
				}
				return err
			}
			for _, b := range bs {
				if !seen[b.ID] {
					seen[b.ID] = true
					wbs = append(wbs, b)
				}
			}
		}
	}
	boards := make([]Board, 0, len(wbs))
	for _, wb := range wbs {
		b := Board{ID: wb.ID, Name: wb.Name, Type: wb.Type, ProjectKey: wb.Location.ProjectKey}
		cfg, err := s.c.boardConfiguration(ctx, wb.ID)
		switch {
		case err == nil:
			b.FilterID, b.SubQuery = cfg.Filter.ID, cfg.SubQuery.Query
			if b.ProjectKey == "" && cfg.Location.Type == "project" {
				b.ProjectKey = cfg.Location.Key
			}
			for i, col := range cfg.ColumnConfig.Columns {
				bc := BoardColumn{Position: i, Name: col.Name, Min: col.Min, Max: col.Max}
				for _, st := range col.Status {
					bc.StatusIDs = append(bc.StatusIDs, st.ID)
				}
				b.Columns = append(b.Columns, bc)
			}
		case isClientError(err):
			s.store.Problem(fmt.Sprintf("board %d configuration", wb.ID), err)
		default:
			return err
		}
		boards = append(boards, b)
		if !strings.EqualFold(wb.Type, "scrum") {
			continue // kanban boards answer 400 "does not support sprints"
		}
		sps, err := s.c.sprints(ctx, wb.ID)
		if err != nil {
			if isClientError(err) {
				s.store.Problem(fmt.Sprintf("board %d sprints", wb.ID), err)
				continue
			}
			return err
		}
		for _, ws := range sps {
			sp, err := ws.sprint()
			if err != nil {
				s.store.Problem(fmt.Sprintf("board %d sprint %d", wb.ID, ws.ID), err)
				continue
			}
			if sp.BoardID == 0 {
				sp.BoardID = wb.ID
			}
			sp.FromBoardAPI = true
			s.noteSprint(sp)
		}
	}
	s.stats.Boards = len(boards)
	return s.store.Boards(ctx, boards)
}

func (s *syncer) loadVersions(ctx context.Context) error {
	keys, err := s.store.ProjectKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		vs, err := s.c.versions(ctx, k)
		if err != nil {
			if isClientError(err) {
				s.store.Problem("versions of project "+k, err)
				continue
			}
			return err
		}
		for _, v := range vs {
			ver := Version{ID: v.ID, ProjectKey: k, Name: v.Name, Released: v.Released, Archived: v.Archived}
			ver.ReleaseDate, _ = parseDate(v.ReleaseDate)
			ver.StartDate, _ = parseDate(v.StartDate)
			s.versions[v.ID] = ver
		}
	}
	all := make([]Version, 0, len(s.versions))
	for _, v := range s.versions {
		all = append(all, v)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	s.stats.Versions = len(all)
	return s.store.Versions(ctx, all)
}

func (s *syncer) flushSprints(ctx context.Context) error {
	all := make([]Sprint, 0, len(s.sprints))
	for _, sp := range s.sprints {
		all = append(all, sp)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	s.stats.Sprints = len(all)
	return s.store.Sprints(ctx, all)
}

// isClientError is a 4xx other than 429: permissions, missing features, bad ids.
func isClientError(err error) bool {
	var re *RequestError
	return errors.As(err, &re) && re.Status >= 400 && re.Status < 500 && re.Status != http.StatusTooManyRequests
}

var orderByRE = regexp.MustCompile(`(?i)\border\s+by\b`)

// stripOrderBy drops a trailing ORDER BY (outside quotes) from the configured
// JQL: pmlens orders by created itself, for stable paging.
func stripOrderBy(jql string) string {
	inQuote := byte(0)
	for i := 0; i < len(jql); i++ {
		ch := jql[i]
		switch {
		case inQuote != 0:
			if ch == '\\' {
				i++
			} else if ch == inQuote {
				inQuote = 0
			}
		case ch == '"' || ch == '\'':
			inQuote = ch
		default:
			if loc := orderByRE.FindStringIndex(jql[i:]); loc != nil && loc[0] == 0 && (i == 0 || !isWordByte(jql[i-1])) {
				return strings.TrimSpace(jql[:i])
			}
		}
	}
	return strings.TrimSpace(jql)
}

func isWordByte(b byte) bool {
	return b == '_' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
}
