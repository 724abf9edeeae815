package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/connectors/riskregister"
	"github.com/pmlens/pmlens/warehouse"
)

// maxRegisterBytes bounds one register file; PMO registers are kilobytes.
const maxRegisterBytes = 64 << 20

// syncRiskRegister imports every new or changed register file under the
// source's path as a dated snapshot. A file whose content hash matches the one
// imported before is skipped, so re-importing changes nothing.
func syncRiskRegister(ctx context.Context, env Env, src configs.Source, run *warehouse.Run) error {
	log := env.Logger.With("source", src.Name, "run_id", run.ID())
	opts, err := riskregister.OptionsFrom(src.RiskRegister.Register)
	if err != nil {
		return fmt.Errorf("register options: %w", err)
	}
	files, base, err := sourceFiles(src.Path, ".csv", ".txt", ".xlsx", ".xlsm")
	if err != nil {
		return err
	}
	if len(files) == 0 {
		log.Warn("no risk register files found", "path", src.Path)
	}
	includePeople := configs.RiskRegisterIncludesPeople(src)
	keepTitle := configs.RiskRegisterIncludesText(src, "title")
	keepResponse := configs.RiskRegisterIncludesText(src, "response")
	loaded := 0
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(base, path)
		if err != nil {
			rel = filepath.Base(path)
		}
		rel = filepath.ToSlash(rel)
		data, info, err := readLimited(path, maxRegisterBytes)
		if err != nil {
			run.Problem(rel, err)
			continue
		}
		sum := sha256.Sum256(data)
		hash := hex.EncodeToString(sum[:])
		stateKey := "file:" + rel
		if prev, ok, err := run.State(ctx, stateKey); err != nil {
			return err
		} else if ok && prev == hash {
			continue
		}
		reg, err := riskregister.Parse(rel, data, info.ModTime(), opts)
		if err != nil {
			var ce *riskregister.CellError
			if errors.As(err, &ce) {
				run.Problem(ce.Location(), err)
			} else {
				run.Problem(rel, err)
			}
			continue
		}
		for _, p := range reg.Problems {
			run.Problem(p.Location(), p)
		}
		snap := warehouse.RiskSnapshot{File: rel, AsOf: reg.AsOf, DateSource: reg.DateSource}
		for _, r := range reg.Risks {
			key := r.Project
			if key == "" {
				key = registerKeyFromName(rel)
			}
			pid, err := run.Project(ctx, warehouse.ProjectRef{SourceKey: key, Name: key})
			if err != nil {
				return fmt.Errorf("%s row %d: %w", rel, r.Row, err)
			}
			row := warehouse.RiskRow{RiskID: r.ID, ProjectID: pid, Category: r.Category, Status: r.Status,
				Opened: r.Opened, Closed: r.Closed, Due: r.Due, Probability: r.Probability, ProbabilityScore: r.ProbabilityScore,
				ImpactCost: r.ImpactCost, ImpactScore: r.ImpactScore, IsOpen: r.IsOpen(), Owner: r.Owner}
			if !includePeople {
				row.Owner = run.HashPerson(r.Owner)
			}
			if keepTitle {
				row.Title = r.Title
			}
			if keepResponse {
				row.Response = r.Response
			}
			snap.Rows = append(snap.Rows, row)
		}
		if _, err := warehouse.LoadRiskSnapshot(ctx, run, snap); err != nil {
			return err
		}
		if err := run.SetState(ctx, stateKey, hash); err != nil {
			return err
		}
		loaded++
		log.Debug("risk register imported", "file", rel, "as_of", reg.AsOf.Format("2006-01-02"), "date_from", reg.DateSource,
			"risks", len(reg.Risks), "bad_rows", len(reg.Problems))
	}
	if loaded == 0 {
		return nil
	}
	return warehouse.RefreshRisks(ctx, run)
}

func readLimited(path string, limit int64) ([]byte, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if info.Size() > limit {
		return nil, nil, fmt.Errorf("%d bytes is more than the %d a risk register may have", info.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(data)) > limit {
		return nil, nil, fmt.Errorf("more than the %d bytes a risk register may have", limit)
	}
	return data, info, nil
}

// registerKeyFromName is the project key of a register without a Project
// column: its file name without extension and date ("ehr-risks-2026-05-01.csv"
// → "ehr-risks").
func registerKeyFromName(rel string) string {
	stem := strings.TrimSuffix(filepath.Base(rel), filepath.Ext(rel))
	stem = strings.Trim(riskregister.StripDate(stem), "-_ .")
	if stem == "" {
		return "risk-register"
	}
	return stem
}
