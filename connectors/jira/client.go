package jira

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	gojira "github.com/andygrunwald/go-jira"
)

// Deployments a site can be.
const (
	Cloud      = "cloud"
	DataCenter = "datacenter"
)

// Client talks to one Jira site through go-jira's client: go-jira's auth
// transports and typed calls where they fit (fields, statuses, myself, board
// configuration), hand-built requests through client.NewRequestWithContext/Do
// for what it lacks or decodes lossily (search pages, changelogs, worklogs,
// serverInfo, boards with their location, sprints with goals, versions).
type Client struct {
	jc       *gojira.Client
	log      *slog.Logger
	lim      *limiter
	pageSize int
	workers  int

	mu         sync.Mutex
	deployment string // "" until known
}

// ClientOptions configure the HTTP side of a Client.
type ClientOptions struct {
	BaseURL string
	// Email selects Cloud basic auth (e-mail + API token); without it the token
	// is sent as a bearer token (Data Center personal access token).
	Email, Token string
	// Deployment is Cloud, DataCenter or "" to detect it from serverInfo.
	Deployment string
	PageSize   int
	// RatePerSecond caps request starts; Concurrency caps requests in flight.
	RatePerSecond float64
	Concurrency   int
	MaxRetries    int
	// RetryBase and RetryCap shape the exponential backoff (defaults 1s, 60s).
	RetryBase, RetryCap time.Duration
	// RequestTimeout bounds one attempt (default 1 minute).
	RequestTimeout time.Duration
	// Transport is the base transport (default http.DefaultTransport).
	Transport http.RoundTripper
	Logger    *slog.Logger
}

// NewClient builds the transport chain auth → retry → limiter → base.
func NewClient(o ClientOptions) (*Client, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Transport == nil {
		o.Transport = http.DefaultTransport
	}
	if o.RetryBase <= 0 {
		o.RetryBase = time.Second
	}
	if o.RetryCap <= 0 {
		o.RetryCap = time.Minute
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = time.Minute
	}
	if o.PageSize <= 0 {
		o.PageSize = 100
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("jira url %q is not an http(s) URL", o.BaseURL)
	}
	lim := newLimiter(o.RatePerSecond, o.Concurrency)
	var rt http.RoundTripper = &retryTransport{
		next:       &limitTransport{lim: lim, next: o.Transport},
		lim:        lim,
		maxRetries: o.MaxRetries,
		base:       o.RetryBase,
		cap:        o.RetryCap,
		timeout:    o.RequestTimeout,
		log:        o.Logger,
		jitter:     defaultJitter,
	}
	if o.Email != "" {
		rt = &gojira.BasicAuthTransport{Username: o.Email, Password: o.Token, Transport: rt}
	} else if o.Token != "" {
		rt = &gojira.PATAuthTransport{Token: o.Token, Transport: rt}
	}
	jc, err := gojira.NewClient(&http.Client{Transport: rt}, o.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("jira url %q: %w", o.BaseURL, err)
	}
	return &Client{jc: jc, log: o.Logger, lim: lim, pageSize: o.PageSize, workers: o.Concurrency, deployment: o.Deployment}, nil
}

// Deployment is the detected or configured deployment ("" before detection).
func (c *Client) Deployment() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deployment
}

func (c *Client) setDeployment(d string) {
	c.mu.Lock()
	c.deployment = d
	c.mu.Unlock()
}

// get sends a GET through go-jira and decodes the JSON answer into out. Every
// failure becomes a *RequestError naming the request.
func (c *Client) get(ctx context.Context, path string, q url.Values, out any) (http.Header, error) {
	u := path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	ctr := &attemptCounter{}
	ctx = context.WithValue(ctx, attemptsKey{}, ctr)
	req, err := c.jc.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("building request GET %s: %w", path, err)
	}
	resp, err := c.jc.Do(req, out)
	if err == nil {
		return resp.Header, nil
	}
	return nil, requestError(req, resp, err, ctr)
}

// requestError turns what go-jira returned into a *RequestError; it consumes and
// closes an error response's body.
func requestError(req *http.Request, resp *gojira.Response, err error, ctr *attemptCounter) error {
	re := &RequestError{Method: req.Method, Path: req.URL.Path, Attempts: ctr.get()}
	if ctx := req.Context(); ctx.Err() != nil && (resp == nil || resp.Response == nil) {
		re.Err = ctx.Err()
		return re
	}
	if resp == nil || resp.Response == nil {
		re.Err = err
		return re
	}
	re.Status = resp.StatusCode
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		re.Err = &decodeError{err: err}
		return re
	}
	if resp.Body != nil {
		re.Message = errorMessage(resp.Body)
		resp.Body.Close()
	}
	return re
}

// typedError wraps errors of go-jira's typed calls, which read the error body
// themselves (go-jira's *Error has no status, so it comes from the response).
func typedError(method, path string, resp *gojira.Response, err error, ctr *attemptCounter) error {
	re := &RequestError{Method: method, Path: path, Attempts: ctr.get()}
	if resp == nil || resp.Response == nil {
		re.Err = err
		return re
	}
	re.Status = resp.StatusCode
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		re.Err = &decodeError{err: err}
		return re
	}
	var je *gojira.Error
	if errors.As(err, &je) {
		re.Message = je.Error()
	} else {
		re.Message = err.Error()
	}
	return re
}

func (c *Client) typedCtx(ctx context.Context) (context.Context, *attemptCounter) {
	ctr := &attemptCounter{}
	return context.WithValue(ctx, attemptsKey{}, ctr), ctr
}

// ServerInfo reads the deployment type and server time. A configured deployment
// wins over the answer.
func (c *Client) ServerInfo(ctx context.Context) (deployment string, serverTime time.Time, err error) {
	var si serverInfo
	h, err := c.get(ctx, "rest/api/2/serverInfo", nil, &si)
	if err != nil {
		return "", time.Time{}, err
	}
	d := DataCenter
	if strings.EqualFold(si.DeploymentType, "cloud") {
		d = Cloud
	}
	serverTime, _ = parseTime(si.ServerTime)
	if serverTime.IsZero() && h != nil {
		serverTime, _ = http.ParseTime(h.Get("Date"))
	}
	if c.Deployment() == "" {
		c.setDeployment(d)
	}
	return d, serverTime.UTC(), nil
}

// TimeZone is the API user's time zone (in which Jira reads zone-less JQL times).
func (c *Client) TimeZone(ctx context.Context) (*time.Location, error) {
	tctx, ctr := c.typedCtx(ctx)
	u, resp, err := c.jc.User.GetSelfWithContext(tctx)
	if err != nil {
		return nil, typedError(http.MethodGet, "/rest/api/2/myself", resp, err, ctr)
	}
	if u.TimeZone == "" {
		return nil, errors.New("GET /rest/api/2/myself: the API user has no timeZone")
	}
	loc, err := time.LoadLocation(u.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("GET /rest/api/2/myself: time zone %q: %w", u.TimeZone, err)
	}
	return loc, nil
}

// Fields lists the site's fields (for custom-field discovery).
func (c *Client) Fields(ctx context.Context) ([]Field, error) {
	tctx, ctr := c.typedCtx(ctx)
	fs, resp, err := c.jc.Field.GetListWithContext(tctx)
	if err != nil {
		return nil, typedError(http.MethodGet, "/rest/api/2/field", resp, err, ctr)
	}
	out := make([]Field, 0, len(fs))
	for _, f := range fs {
		out = append(out, Field{ID: f.ID, Name: f.Name, Custom: f.Custom, SchemaType: f.Schema.Type, SchemaItems: f.Schema.Items, SchemaCustom: f.Schema.Custom})
	}
	return out, nil
}

// Statuses lists the workflow statuses with their categories.
func (c *Client) Statuses(ctx context.Context) ([]Status, error) {
	tctx, ctr := c.typedCtx(ctx)
	ss, resp, err := c.jc.Status.GetAllStatusesWithContext(tctx)
	if err != nil {
		return nil, typedError(http.MethodGet, "/rest/api/2/status", resp, err, ctr)
	}
	out := make([]Status, 0, len(ss))
	for _, s := range ss {
		out = append(out, Status{ID: s.ID, Name: s.Name, Category: s.StatusCategory.Key})
	}
	return out, nil
}

// searchPage fetches one page: Cloud by token from /search/jql, Data Center by
// offset from /search. A 410 from /search means the site is Cloud (the old search
// was removed there); the client switches and the caller restarts on Cloud.
func (c *Client) searchPage(ctx context.Context, jql string, fields []string, expand string, startAt int, token string, maxResults int) (*searchPage, error) {
	q := url.Values{}
	q.Set("jql", jql)
	q.Set("maxResults", strconv.Itoa(maxResults))
	if len(fields) > 0 {
		q.Set("fields", strings.Join(fields, ","))
	}
	if expand != "" {
		q.Set("expand", expand)
	}
	var p searchPage
	if c.Deployment() == Cloud {
		if token != "" {
			q.Set("nextPageToken", token)
		}
		if _, err := c.get(ctx, "rest/api/2/search/jql", q, &p); err != nil {
			return nil, err
		}
		return &p, nil
	}
	q.Set("startAt", strconv.Itoa(startAt))
	if _, err := c.get(ctx, "rest/api/2/search", q, &p); err != nil {
		var re *RequestError
		if errors.As(err, &re) && re.Status == http.StatusGone {
			c.log.Info("the old search endpoint is gone (410): the site is Jira Cloud; switching to /search/jql")
			c.setDeployment(Cloud)
			return nil, errSwitchedToCloud
		}
		return nil, err
	}
	return &p, nil
}

var errSwitchedToCloud = errors.New("switched to the Cloud search")

// changelog fetches an issue's whole history: Cloud pages /issue/{id}/changelog
// (oldest first); Data Center has no such endpoint, so the issue is re-read with
// expand=changelog, which there embeds the full history.
func (c *Client) changelog(ctx context.Context, issueID int64) ([]wireHistory, error) {
	id := strconv.FormatInt(issueID, 10)
	if c.Deployment() != Cloud {
		var w wireIssue
		if _, err := c.get(ctx, "rest/api/2/issue/"+id, url.Values{"fields": {"status"}, "expand": {"changelog"}}, &w); err != nil {
			return nil, err
		}
		if w.Changelog == nil {
			return nil, nil
		}
		return w.Changelog.Histories, nil
	}
	var out []wireHistory
	for start := 0; ; {
		var p changelogPage
		q := url.Values{"startAt": {strconv.Itoa(start)}, "maxResults": {"100"}}
		if _, err := c.get(ctx, "rest/api/2/issue/"+id+"/changelog", q, &p); err != nil {
			return nil, err
		}
		out = append(out, p.Values...)
		start += len(p.Values)
		if len(p.Values) == 0 || (p.IsLast != nil && *p.IsLast) || (p.IsLast == nil && start >= p.Total) {
			return out, nil
		}
	}
}

// worklogs fetches all worklogs of an issue (the search embeds at most 20).
func (c *Client) worklogs(ctx context.Context, issueID int64) ([]wireWorklog, error) {
	id := strconv.FormatInt(issueID, 10)
	var out []wireWorklog
	for start := 0; ; {
		var p wireWorklogs
		q := url.Values{"startAt": {strconv.Itoa(start)}, "maxResults": {"1000"}}
		if _, err := c.get(ctx, "rest/api/2/issue/"+id+"/worklog", q, &p); err != nil {
			return nil, err
		}
		out = append(out, p.Worklogs...)
		start += len(p.Worklogs)
		if len(p.Worklogs) == 0 || start >= p.Total {
			return out, nil
		}
	}
}

// issueProject reads where an issue lives now: found=false when Jira answers 404
// (deleted, or no longer visible to the API user).
func (c *Client) issueProject(ctx context.Context, issueID int64) (project string, found bool, err error) {
	var w wireIssue
	_, err = c.get(ctx, "rest/api/2/issue/"+strconv.FormatInt(issueID, 10), url.Values{"fields": {"project"}}, &w)
	var re *RequestError
	if errors.As(err, &re) && re.Status == http.StatusNotFound {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if w.Fields.Project == nil {
		return "", true, nil
	}
	return w.Fields.Project.Key, true, nil
}

type wireBoard struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Location struct {
		ProjectKey string `json:"projectKey"`
		ProjectID  int64  `json:"projectId"`
	} `json:"location"`
}

type boardPage struct {
	StartAt int         `json:"startAt"`
	Total   int         `json:"total"`
	IsLast  bool        `json:"isLast"`
	Values  []wireBoard `json:"values"`
}

// boards lists the boards located in a project (all pages).
func (c *Client) boards(ctx context.Context, projectKey string) ([]wireBoard, error) {
	var out []wireBoard
	for start := 0; ; {
		var p boardPage
		q := url.Values{"projectKeyOrId": {projectKey}, "startAt": {strconv.Itoa(start)}, "maxResults": {"50"}}
		if _, err := c.get(ctx, "rest/agile/1.0/board", q, &p); err != nil {
			return nil, err
		}
		out = append(out, p.Values...)
		start += len(p.Values)
		if p.IsLast || len(p.Values) == 0 {
			return out, nil
		}
	}
}

// board reads one board by id.
func (c *Client) board(ctx context.Context, id int64) (wireBoard, error) {
	var b wireBoard
	_, err := c.get(ctx, "rest/agile/1.0/board/"+strconv.FormatInt(id, 10), nil, &b)
	return b, err
}

// boardConfiguration reads a board's columns and their statuses.
func (c *Client) boardConfiguration(ctx context.Context, id int64) (*gojira.BoardConfiguration, error) {
	tctx, ctr := c.typedCtx(ctx)
	cfg, resp, err := c.jc.Board.GetBoardConfigurationWithContext(tctx, int(id))
	if err != nil {
		return nil, typedError(http.MethodGet, fmt.Sprintf("/rest/agile/1.0/board/%d/configuration", id), resp, err, ctr)
	}
	return cfg, nil
}

type sprintPage struct {
	StartAt int          `json:"startAt"`
	IsLast  bool         `json:"isLast"`
	Values  []wireSprint `json:"values"`
}

// sprints lists all sprints of a board; go-jira's GetAllSprints returns page one
// only and drops goals.
func (c *Client) sprints(ctx context.Context, boardID int64) ([]wireSprint, error) {
	var out []wireSprint
	for start := 0; ; {
		var p sprintPage
		q := url.Values{"startAt": {strconv.Itoa(start)}, "maxResults": {"50"}}
		if _, err := c.get(ctx, "rest/agile/1.0/board/"+strconv.FormatInt(boardID, 10)+"/sprint", q, &p); err != nil {
			return nil, err
		}
		out = append(out, p.Values...)
		start += len(p.Values)
		if p.IsLast || len(p.Values) == 0 {
			return out, nil
		}
	}
}

// versions lists a project's versions with their release dates.
func (c *Client) versions(ctx context.Context, projectKey string) ([]wireVersion, error) {
	var out []wireVersion
	_, err := c.get(ctx, "rest/api/2/project/"+url.PathEscape(projectKey)+"/versions", nil, &out)
	return out, err
}

// drainClose empties (a bounded part of) a body before closing it, so the
// connection goes back to the pool instead of being torn down.
func drainClose(r io.ReadCloser) error {
	_, _ = io.CopyN(io.Discard, r, 4<<10)
	return r.Close()
}
