package metrics

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/pmlens/pmlens/warehouse"
)

// evmBatchTasks bounds the task rows read (and held) at once.
const evmBatchTasks = 250_000

// evmLoggedWarnings bounds the data-oddity messages one refresh logs (a
// recomputation of years of history would otherwise repeat each one weekly).
const evmLoggedWarnings = 10

// refreshEVM brings the earned-value tables of migration 0400 up to date inside
// the run: project_evm (with milestone_slips and project_scope) for every
// schedule snapshot and every Jira-driven project with an AgileEVM plan, then the
// program and portfolio roll-ups.
//
// Schedule snapshots are immutable, so only what changed is recomputed: a
// project's new snapshots when they come after its stored ones; the whole project
// when a snapshot arrives or disappears among them (the hit-task periods and the
// scope reference shift), when the settings its rows were computed with changed
// (fingerprint), or when it switches between schedule and AgileEVM. AgileEVM
// projects are recomputed in runs that can change Jira data. Roll-ups are always
// recomputed; they are sums over the stored rows.
func refreshEVM(ctx context.Context, run *warehouse.Run, opts RefreshOptions) error {
	start := time.Now()
	now := opts.Now().UTC()
	st := newEVMSettings(opts.Config)
	if err := st.opts.Validate(); err != nil {
		// Load validates the configuration; reaching here means one built in code.
		return err
	}
	projects, err := loadEVMProjects(ctx, run)
	if err != nil {
		return err
	}
	for _, p := range projects {
		if err := st.ragRules(p.Portfolio).Validate(); err != nil {
			return fmt.Errorf("metrics.rag for portfolio %q: %w", p.Portfolio, err)
		}
	}
	snaps, err := loadScheduleSnapshots(ctx, run)
	if err != nil {
		return err
	}
	stored, err := loadStoredEVM(ctx, run)
	if err != nil {
		return err
	}
	jira, err := jiraProjects(ctx, run)
	if err != nil {
		return err
	}
	plan := planEVM(st, projects, snaps, stored, jira, feedsFlow(opts.Config, run.Source()))
	if err := plan.writeWork(ctx, run); err != nil {
		return err
	}
	planned := time.Now()

	refs, err := loadScopeReferences(ctx, run)
	if err != nil {
		return err
	}
	results, err := computeSchedule(ctx, run, st, plan.jobs, refs, now)
	if err != nil {
		return err
	}
	computed := time.Now()
	var rows []evmRow
	var milestones []milestoneRow
	var scopes []scopeRow
	warnings := 0
	for i := range results {
		r := &results[i]
		rows = append(rows, r.row)
		milestones = append(milestones, r.milestones...)
		scopes = append(scopes, r.scope)
		if len(r.warnings) > 0 {
			if warnings < evmLoggedWarnings {
				opts.Logger.Info("schedule data oddity", "project_id", r.row.ProjectID, "as_of", r.row.AsOf.Format(time.DateOnly),
					"snapshot_id", r.row.SnapshotID, "warning", r.warnings[0], "more", len(r.warnings)-1)
			}
			warnings += len(r.warnings)
		}
	}
	if len(plan.agile) > 0 {
		data, err := loadAgileData(ctx, run, st.exclude)
		if err != nil {
			return err
		}
		for _, id := range plan.agile {
			p, ok := projects[id]
			if !ok {
				p = evmProject{ID: id}
			}
			ap, _ := st.agilePlan(id)
			if d := data[id]; d != nil {
				rows = append(rows, computeAgile(st, p, ap, d, st.fingerprint(p, true), now, run.ID())...)
			}
		}
	}

	agileDone := time.Now()
	if err := plan.deleteReplaced(ctx, run); err != nil {
		return err
	}
	if err := appendRows(ctx, run, "evm_project_rows", evmProjectColumns, rows, (*evmRow).values); err != nil {
		return err
	}
	if err := appendRows(ctx, run, "evm_milestone_rows", milestoneColumns, milestones, (*milestoneRow).values); err != nil {
		return err
	}
	if err := appendRows(ctx, run, "evm_scope_rows", scopeColumns, scopes, (*scopeRow).values); err != nil {
		return err
	}
	for _, q := range []string{`DELETE FROM evm_latest_rows`, `INSERT INTO evm_latest_rows SELECT * FROM evm_project_rows
			QUALIFY row_number() OVER (PARTITION BY project_id ORDER BY as_of DESC) = 1`} {
		if _, err := run.Exec(ctx, q); err != nil {
			return fmt.Errorf("copying each project's latest earned-value row: %w", err)
		}
	}
	if _, err := run.Exec(ctx, `DELETE FROM evm_work`); err != nil {
		return fmt.Errorf("clearing evm_work: %w", err)
	}
	written := time.Now()
	rolled, err := refreshRollups(ctx, run, st, now)
	if err != nil {
		return err
	}
	opts.Logger.Debug("earned value refreshed", "snapshots", len(plan.jobs), "rebuilt_projects", len(plan.rebuild),
		"agile_projects", len(plan.agile), "rows", len(rows), "milestone_rows", len(milestones), "rollup_rows", rolled,
		"data_warnings", warnings, "duration", time.Since(start), "plan", planned.Sub(start), "schedules", computed.Sub(planned),
		"agile", agileDone.Sub(computed), "write", written.Sub(agileDone), "rollups", time.Since(written))
	return nil
}

// loadEVMProjects reads the projects table.
func loadEVMProjects(ctx context.Context, run *warehouse.Run) (map[string]evmProject, error) {
	out := map[string]evmProject{}
	err := rfQueryEach(ctx, run, `SELECT project_id, name, coalesce(program, ''), coalesce(portfolio, ''), coalesce(currency, '') FROM projects`, nil,
		func(scan func(...any) error) error {
			var p evmProject
			if err := scan(&p.ID, &p.Name, &p.Program, &p.Portfolio, &p.Currency); err != nil {
				return err
			}
			out[p.ID] = p
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("reading projects: %w", err)
	}
	return out, nil
}

// storedEVM is what a stored project_evm row was computed from.
type storedEVM struct {
	snapshotID int64 // 0 for Jira rows
	source, fp string
}

func loadStoredEVM(ctx context.Context, run *warehouse.Run) (map[string]map[time.Time]storedEVM, error) {
	out := map[string]map[time.Time]storedEVM{}
	err := rfQueryEach(ctx, run, `SELECT project_id, as_of, coalesce(snapshot_id, 0), source, fingerprint FROM evm_project_rows`, nil,
		func(scan func(...any) error) error {
			var id string
			var asOf time.Time
			var s storedEVM
			if err := scan(&id, &asOf, &s.snapshotID, &s.source, &s.fp); err != nil {
				return err
			}
			if out[id] == nil {
				out[id] = map[time.Time]storedEVM{}
			}
			out[id][Day(asOf)] = s
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("reading stored earned-value rows: %w", err)
	}
	return out, nil
}

// jiraProjects lists the projects with Jira issues.
func jiraProjects(ctx context.Context, run *warehouse.Run) (map[string]bool, error) {
	out := map[string]bool{}
	err := rfQueryEach(ctx, run, `SELECT DISTINCT project_id FROM issues WHERE deleted_at IS NULL`, nil,
		func(scan func(...any) error) error {
			var id string
			if err := scan(&id); err != nil {
				return err
			}
			out[id] = true
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("listing Jira projects: %w", err)
	}
	return out, nil
}

// evmPlan is what a refresh recomputes.
type evmPlan struct {
	// rebuild lists projects whose rows are all deleted first.
	rebuild []string
	// replace lists single as-of rows deleted (recomputed or gone).
	replace []struct {
		project string
		asOf    time.Time
	}
	jobs  []schedJob
	refs  map[int64]schedSnap
	agile []string
}

// planEVM compares the wanted rows (one per schedule snapshot date, or AgileEVM)
// with the stored ones.
func planEVM(st evmSettings, projects map[string]evmProject, snaps map[string][]schedSnap, stored map[string]map[time.Time]storedEVM,
	jira map[string]bool, jiraRun bool) *evmPlan {
	pl := &evmPlan{refs: map[int64]schedSnap{}}
	ids := map[string]bool{}
	for id := range snaps {
		ids[id] = true
	}
	for id := range stored {
		ids[id] = true
	}
	for id := range jira {
		ids[id] = true
	}
	for _, id := range rfSortedKeys(ids) {
		p, known := projects[id]
		if !known {
			p = evmProject{ID: id}
		}
		_, hasPlan := st.agilePlan(id)
		agile := hasPlan && jira[id]
		fp := st.fingerprint(p, agile)
		have := stored[id]
		source := SourceMSProject
		if agile {
			source = SourceJira
		}
		stale := false
		for _, s := range have {
			if s.fp != fp || s.source != source {
				stale = true
				break
			}
		}
		if agile {
			if stale || len(have) == 0 || jiraRun {
				pl.rebuild = append(pl.rebuild, id)
				pl.agile = append(pl.agile, id)
			}
			continue
		}
		want := snaps[id]
		if len(want) == 0 {
			if len(have) > 0 {
				pl.rebuild = append(pl.rebuild, id)
			}
			continue
		}
		var latest time.Time
		for d := range have {
			if d.After(latest) {
				latest = d
			}
		}
		var changed []time.Time
		wanted := map[time.Time]bool{}
		for _, s := range want {
			wanted[s.AsOf] = true
			if h, ok := have[s.AsOf]; !ok || h.snapshotID != s.SnapshotID {
				changed = append(changed, s.AsOf)
			}
		}
		for d := range have {
			if !wanted[d] {
				changed = append(changed, d)
			}
		}
		rebuild := stale
		for _, d := range changed {
			if d.Before(latest) {
				rebuild = true // inserted or replaced among stored rows: later rows shift
			}
		}
		todo := map[time.Time]bool{}
		switch {
		case rebuild:
			pl.rebuild = append(pl.rebuild, id)
			for _, s := range want {
				todo[s.AsOf] = true
			}
		default:
			for _, d := range changed {
				todo[d] = true
				pl.replace = append(pl.replace, struct {
					project string
					asOf    time.Time
				}{id, d})
			}
		}
		if len(todo) == 0 {
			continue
		}
		cur := p.Currency
		rules := st.ragRules(p.Portfolio)
		ref := want[0]
		pl.refs[ref.SnapshotID] = ref
		for i, s := range want {
			if !todo[s.AsOf] {
				continue
			}
			j := schedJob{Snap: s, Ref: ref, Currency: cur, Rules: rules, Fingerprint: fp}
			if s.Currency != "" {
				j.Currency = s.Currency
			}
			if i > 0 {
				j.Prev = want[i-1].AsOf
			}
			pl.jobs = append(pl.jobs, j)
		}
	}
	// Batches of consecutive snapshot ids read well (DuckDB skips row groups by
	// their min/max), and each holds about evmBatchTasks task rows.
	sort.Slice(pl.jobs, func(i, k int) bool { return pl.jobs[i].Snap.SnapshotID < pl.jobs[k].Snap.SnapshotID })
	batch, inBatch := 0, int64(0)
	for i := range pl.jobs {
		n := max(pl.jobs[i].Snap.Tasks, 1)
		if inBatch > 0 && inBatch+n > evmBatchTasks {
			batch, inBatch = batch+1, 0
		}
		pl.jobs[i].batch = batch
		inBatch += n
	}
	return pl
}

// writeWork lists the plan in evm_work for the set-based reads and deletes.
func (pl *evmPlan) writeWork(ctx context.Context, run *warehouse.Run) error {
	if _, err := run.Exec(ctx, `DELETE FROM evm_work`); err != nil {
		return fmt.Errorf("clearing evm_work: %w", err)
	}
	_, err := run.Append(ctx, "evm_work", []string{"kind", "project_id", "as_of", "snapshot_id", "batch"}, func(add func(...any) error) error {
		for _, id := range pl.rebuild {
			if err := add("rebuild", id, nil, nil, nil); err != nil {
				return err
			}
		}
		for _, r := range pl.replace {
			if err := add("replace", r.project, r.asOf, nil, nil); err != nil {
				return err
			}
		}
		for _, j := range pl.jobs {
			if err := add("compute", j.Snap.ProjectID, j.Snap.AsOf, j.Snap.SnapshotID, int64(j.batch)); err != nil {
				return err
			}
		}
		for _, id := range sortedSnapIDs(pl.refs) {
			r := pl.refs[id]
			if err := add("reference", r.ProjectID, r.AsOf, r.SnapshotID, nil); err != nil {
				return err
			}
		}
		for _, id := range pl.agile {
			if err := add("agile", id, nil, nil, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("writing evm_work: %w", err)
	}
	return nil
}

func sortedSnapIDs(m map[int64]schedSnap) []int64 {
	out := make([]int64, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// deleteReplaced removes the rows the plan recomputes or drops.
func (pl *evmPlan) deleteReplaced(ctx context.Context, run *warehouse.Run) error {
	for _, t := range []string{"evm_project_rows", "evm_milestone_rows", "evm_scope_rows"} {
		if _, err := run.Exec(ctx, `DELETE FROM `+t+` WHERE project_id IN (SELECT project_id FROM evm_work WHERE kind = 'rebuild')
			OR EXISTS (SELECT 1 FROM evm_work w WHERE w.kind = 'replace' AND w.project_id = `+t+`.project_id AND w.as_of = `+t+`.as_of)`); err != nil {
			return fmt.Errorf("removing recomputed rows of %s: %w", t, err)
		}
	}
	return nil
}
