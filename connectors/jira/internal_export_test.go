package jira

import (
	"context"
	"sync/atomic"

	"github.com/pmlens/pmlens/configs"
)

// FetchFloor pages through the scope exactly as a sync's search does (same
// client, transports, fields, concurrency and decoding into the wire types) but
// neither converts nor stores: the floor a sync's throughput is compared with.
func FetchFloor(ctx context.Context, o Options) (issues, histories int64, err error) {
	c, err := NewClient(o.Client)
	if err != nil {
		return 0, 0, err
	}
	if _, _, err := c.ServerInfo(ctx); err != nil {
		return 0, 0, err
	}
	fields, err := c.Fields(ctx)
	if err != nil {
		return 0, 0, err
	}
	cat, _ := NewCatalog(fields, o.Fields, configs.JiraRisk{})
	s := &syncer{opts: o, cv: &converter{cat: cat, text: o.Text}}
	spec := searchSpec{jqls: []string{"(" + stripOrderBy(o.JQL) + ") ORDER BY created ASC"}, fields: s.searchFields(), expand: "changelog"}
	var n, h atomic.Int64
	prepare := func(_ context.Context, wire []wireIssue, _ chan struct{}) ([]*Issue, error) {
		n.Add(int64(len(wire)))
		for i := range wire {
			if cl := wire[i].Changelog; cl != nil {
				h.Add(int64(len(cl.Histories)))
			}
		}
		return nil, nil
	}
	_, err = c.searchOnce(ctx, spec, prepare, func(context.Context, []*Issue) error { return nil })
	return n.Load(), h.Load(), err
}
