package warehouse

import (
	"context"
	"fmt"
	"time"
)

// RiskRow is one risk as one snapshot of a source saw it. Empty strings, zero
// dates and nil numbers are stored as NULL.
type RiskRow struct {
	RiskID, ProjectID                        string
	Title, Category, Owner, Status, Response string
	Opened, Closed, Due                      time.Time
	Probability, ImpactCost                  *float64 // probability 0–1; cost in the project currency
	ProbabilityScore, ImpactScore            *int     // 1–5
	IsOpen                                   bool
}

// RiskSnapshot is every risk of one dated snapshot, e.g. one register file.
type RiskSnapshot struct {
	// File names the snapshot's origin (a register path relative to the source
	// path); reloading the same File replaces its earlier rows.
	File string
	// AsOf is the snapshot's date and DateSource where it came from.
	AsOf       time.Time
	DateSource string
	Rows       []RiskRow
}

var riskSnapshotColumns = []string{"source", "risk_id", "project_id", "as_of", "snapshot_date_source", "status", "probability",
	"probability_score", "impact_cost", "impact_score", "owner", "due", "closed", "is_open", "opened", "title", "category",
	"response", "file", "run_id"}

// LoadRiskSnapshot replaces the rows an earlier import of snap.File left in
// risk_snapshots with this snapshot's rows. Call RefreshRisks once after the
// snapshots of a run are loaded.
func LoadRiskSnapshot(ctx context.Context, run *Run, snap RiskSnapshot) (int64, error) {
	if _, err := run.Exec(ctx, `DELETE FROM risk_snapshots WHERE source = ? AND file = ?`, run.Source(), snap.File); err != nil {
		return 0, fmt.Errorf("replacing risk snapshot %s: %w", snap.File, err)
	}
	n, err := run.Append(ctx, "risk_snapshots", riskSnapshotColumns, func(add func(values ...any) error) error {
		for _, r := range snap.Rows {
			if err := add(run.Source(), r.RiskID, riskStr(r.ProjectID), snap.AsOf, riskStr(snap.DateSource), riskStr(r.Status),
				riskFloat(r.Probability), riskInt(r.ProbabilityScore), riskFloat(r.ImpactCost), riskInt(r.ImpactScore), riskStr(r.Owner),
				riskDate(r.Due), riskDate(r.Closed), r.IsOpen, riskDate(r.Opened), riskStr(r.Title), riskStr(r.Category),
				riskStr(r.Response), snap.File, run.ID()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("loading risk snapshot %s: %w", snap.File, err)
	}
	return n, nil
}

// RefreshRisks rebuilds the run's source's rows of risks from its snapshots:
// each risk (per project: registers kept per project reuse ids) as its latest
// snapshot (by as_of, then file name) shows it.
func RefreshRisks(ctx context.Context, run *Run) error {
	if _, err := run.Exec(ctx, `DELETE FROM risks WHERE source = ?`, run.Source()); err != nil {
		return fmt.Errorf("refreshing risks: %w", err)
	}
	res, err := run.Exec(ctx, `INSERT INTO risks (source, risk_id, project_id, title, category, owner, status, response, opened, closed,
			due, probability, impact_cost, impact_score, probability_score, updated_at, is_open, as_of)
		SELECT source, risk_id, project_id, title, category, owner, status, response, opened, closed,
			due, probability, impact_cost, impact_score, probability_score, ?, is_open, as_of
		FROM (SELECT *, row_number() OVER (PARTITION BY project_id, risk_id ORDER BY as_of DESC, file DESC) AS rn
		      FROM risk_snapshots WHERE source = ?)
		WHERE rn = 1`, run.Started(), run.Source())
	if err != nil {
		return fmt.Errorf("refreshing risks: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil {
		run.AddRows(n)
	}
	return nil
}

func riskStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func riskFloat(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func riskInt(i *int) any {
	if i == nil {
		return nil
	}
	return int32(*i)
}

func riskDate(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
