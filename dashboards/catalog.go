package dashboards

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pmlens/pmlens/warehouse"
)

// catalog lists the relations (tables and views) of one published version and their
// columns, so each page section can tell "no data yet" from an error. It is read
// once per version: a published file never changes.
type catalog struct {
	cols map[string]map[string]bool // relation → column → present
}

// catalogCache keeps the catalog of the newest version seen.
type catalogCache struct {
	mu      sync.Mutex
	version string
	cat     *catalog
}

func (cc *catalogCache) get(ctx context.Context, snap *warehouse.Snapshot) (*catalog, error) {
	cc.mu.Lock()
	if cc.version == snap.Version && cc.cat != nil {
		c := cc.cat
		cc.mu.Unlock()
		return c, nil
	}
	cc.mu.Unlock()
	rows, err := snap.DB.QueryContext(ctx, `SELECT lower(table_name), lower(column_name) FROM information_schema.columns
		WHERE table_schema = 'main' AND table_catalog = current_database()`)
	if err != nil {
		return nil, fmt.Errorf("reading the catalog of %s: %w", snap.Version, err)
	}
	defer rows.Close()
	c := &catalog{cols: map[string]map[string]bool{}}
	for rows.Next() {
		var t, col string
		if err := rows.Scan(&t, &col); err != nil {
			return nil, err
		}
		if c.cols[t] == nil {
			c.cols[t] = map[string]bool{}
		}
		c.cols[t][col] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the catalog of %s: %w", snap.Version, err)
	}
	cc.mu.Lock()
	cc.version, cc.cat = snap.Version, c
	cc.mu.Unlock()
	return c, nil
}

// has reports whether rel exists with all the named columns.
func (c *catalog) has(rel string, cols ...string) bool {
	return c.missing(rel, cols...) == ""
}

// missing explains why rel cannot be used ("" when it can): the reason is shown to
// people as "no data yet", so it names the view and the columns it lacks.
func (c *catalog) missing(rel string, cols ...string) string {
	have, ok := c.cols[rel]
	if !ok {
		return fmt.Sprintf("the warehouse has no view %s yet", rel)
	}
	var lack []string
	for _, col := range cols {
		if !have[col] {
			lack = append(lack, col)
		}
	}
	if len(lack) > 0 {
		sort.Strings(lack)
		return fmt.Sprintf("view %s has no column %s yet", rel, strings.Join(lack, ", "))
	}
	return ""
}

// col reports whether rel has column col.
func (c *catalog) col(rel, col string) bool { return c.cols[rel][col] }

// pick returns the first of the candidate columns rel has, or "".
func (c *catalog) pick(rel string, candidates ...string) string {
	for _, k := range candidates {
		if c.cols[rel][k] {
			return k
		}
	}
	return ""
}

// first returns the first candidate relation that exists, or "".
func (c *catalog) first(rels ...string) string {
	for _, r := range rels {
		if _, ok := c.cols[r]; ok {
			return r
		}
	}
	return ""
}
