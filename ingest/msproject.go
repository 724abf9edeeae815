package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/connectors/msproject"
	"github.com/pmlens/pmlens/warehouse"
)

// syncMSProject imports every new schedule file under the source's path (a file, a
// folder searched recursively, or a glob) as a dated snapshot of its project. A file
// whose content was imported before is skipped, so re-running changes nothing; a
// file that cannot be read or parsed is recorded as a problem of the run (which then
// ends "partial") and the other files still load. Earlier snapshots are never touched.
func syncMSProject(ctx context.Context, env Env, src configs.Source, run *warehouse.Run) error {
	log := env.Logger.With("source", src.Name, "run_id", run.ID())
	files, base, err := sourceFiles(src.Path, ".xml", ".mpx", ".csv", ".xlsx", ".mpp") // an .mpp is reported as unsupported, not ignored
	if err != nil {
		return err
	}
	if len(files) == 0 {
		log.Warn("no schedule files found", "path", src.Path)
	}
	opts := src.MSProject.ParseOptions()
	maxBytes := opts.MaxBytes
	if maxBytes <= 0 {
		maxBytes = msproject.DefaultMaxBytes
	}
	loadOpts := warehouse.MSProjectLoadOptions{
		IncludeResourceNames: src.MSProject.IncludeResourceNames,
		IncludeCustomText:    src.MSProject.IncludeCustomText,
		ReleaseRecords:       true,
		Now:                  env.Now,
	}
	loaded, skipped := 0, 0
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		rel := relTo(base, path)
		ok, err := importSchedule(ctx, run, path, maxBytes, opts, loadOpts, log)
		switch {
		case err == nil && ok:
			loaded++
		case err == nil:
			skipped++
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, errFatal):
			return err
		default:
			run.Problem(rel, err)
		}
	}
	log.Info("schedules synced", "files", len(files), "loaded", loaded, "unchanged", skipped, "problems", len(files)-loaded-skipped)
	return nil
}

// bigFileBytes is the file size from which the import manages memory explicitly
// (tighter GC pacing, memory returned between parse and load); small files don't
// need the extra collections.
const bigFileBytes = 64 << 20

// errFatal marks warehouse errors that must fail the whole run rather than one file.
var errFatal = errors.New("warehouse error")

// importSchedule loads one file; it reports false when the file's content is
// already a snapshot of this source.
func importSchedule(ctx context.Context, run *warehouse.Run, path string, maxBytes int64, opts msproject.Options,
	loadOpts warehouse.MSProjectLoadOptions, log *slog.Logger) (bool, error) {
	info, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	if info.Size() > maxBytes {
		// Reject before hashing a huge file; ParseFile words the error.
		_, err := msproject.ParseFile(ctx, path, opts)
		return false, err
	}
	hash, err := msproject.HashFile(ctx, path)
	if err != nil {
		return false, err
	}
	big := info.Size() >= bigFileBytes
	if big {
		// A big schedule is held in memory while it is loaded, and the Go heap
		// grows to twice what is live before collecting; collect more often for
		// this file so that the parsed records plus DuckDB's load buffers stay in
		// a few hundred MB (tighter still during the load, when DuckDB's buffers
		// add up with the heap). Runs are serialised, and the setting only changes
		// GC pacing for the rest of the process meanwhile.
		defer debug.SetGCPercent(debug.SetGCPercent(50))
	}
	if id, seen, err := warehouse.MSProjectSnapshotByHash(ctx, run, hash); err != nil {
		return false, fmt.Errorf("%w: %w", errFatal, err)
	} else if seen {
		log.Debug("schedule unchanged", "file", path, "snapshot_id", id)
		return false, nil
	}
	p, err := msproject.ParseFile(ctx, path, opts)
	if err != nil {
		return false, err
	}
	if big {
		// Hand the decoder's garbage back to the OS before DuckDB allocates its
		// own buffers for the load, so the two peaks do not add up.
		debug.SetGCPercent(25)
		debug.FreeOSMemory()
	}
	for _, w := range p.Warnings {
		log.Warn("schedule file warning", "file", path, "warning", w)
	}
	name := strings.TrimSpace(p.Title)
	if name == "" {
		name = p.Key()
	}
	projectID, err := run.Project(ctx, warehouse.ProjectRef{SourceKey: p.Key(), Name: name, Currency: p.CurrencyCode})
	if err != nil {
		return false, fmt.Errorf("%w: %w", errFatal, err)
	}
	format, tasks := p.Format, len(p.Tasks) // the loader releases p's records
	snap, err := warehouse.LoadMSProjectSnapshot(ctx, run, projectID, warehouse.MSProjectFile{
		Path: path, SHA256: hash, Size: info.Size(), ModTime: info.ModTime(),
	}, p, loadOpts)
	if err != nil {
		return false, err
	}
	log.Info("schedule snapshot loaded", "file", path, "project_id", projectID, "snapshot_id", snap.SnapshotID,
		"snapshot_date", snap.SnapshotDate.Format(time.DateTime), "date_source", snap.DateSource, "format", format,
		"tasks", tasks, "rows", snap.Rows)
	return true, nil
}
