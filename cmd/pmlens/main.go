// Command pmlens turns a PMO's Jira and Microsoft Project data into earned-value,
// risk and delivery metrics: it syncs sources into a DuckDB warehouse, serves
// dashboards, and answers SQL. This package only wires the other packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"github.com/pmlens/pmlens/configs"
	"github.com/pmlens/pmlens/demo"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

const usage = `pmlens — project analytics for healthcare IT PMOs

Usage:
  pmlens serve   [--config FILE]                       run the dashboards and the sync scheduler
  pmlens sync    [--config FILE] [--source NAME]...     sync sources once (default: all) and exit
  pmlens query   [--config FILE] [--format F] [--out FILE] "SQL"
                                                       run read-only SQL on the published warehouse
                                                       (F: table, csv, json, parquet, xlsx)
  pmlens users   [--config FILE] add|passwd|disable|enable|grant|token|list ...
                                                       manage sign-in users and API tokens
  pmlens version                                       print the version

Without --config (or PMLENS_CONFIG) every command uses the built-in demo
portfolio, generated under $PMLENS_DATA_DIR (default ~/.local/share/pmlens/demo);
PMLENS_DEMO_PROJECTS=N scales it to N projects (in demo-N) for load tests.
Run "pmlens COMMAND --help" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError marks a problem with the command line (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stdout, stderr)
	case "sync":
		err = cmdSync(ctx, args[1:], stdout, stderr)
	case "query":
		err = cmdQuery(ctx, args[1:], stdout, stderr)
	case "users":
		err = cmdUsers(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "pmlens", versionString())
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "pmlens: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "pmlens %s: %v\n", args[0], err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "pmlens %s: %v\n", args[0], err)
		return exitFailure
	}
}

// newFlags returns a command's flag set with the --config flag every command has.
func newFlags(name string, stderr io.Writer, summary string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := fs.String("config", "", "configuration file (default $PMLENS_CONFIG, else the built-in demo)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\nFlags:\n", summary)
		fs.PrintDefaults()
	}
	return fs, cfg
}

// parseFlags parses and converts a flag error into a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// loadConfig reads --config, else $PMLENS_CONFIG, else generates (once) and loads
// the built-in demo.
func loadConfig(ctx context.Context, path string) (*configs.Config, error) {
	if path == "" {
		path = os.Getenv("PMLENS_CONFIG")
	}
	if path != "" {
		return configs.Load(path)
	}
	data, err := configs.DefaultDataDir()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(data, "demo")
	var opts []demo.Option
	// PMLENS_DEMO_PROJECTS scales the demo for load tests and trials at a
	// realistic size; each size gets its own folder and warehouse.
	if v := os.Getenv("PMLENS_DEMO_PROJECTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5000 {
			return nil, fmt.Errorf("PMLENS_DEMO_PROJECTS=%q: want a number of projects from 1 to 5000", v)
		}
		opts = append(opts, demo.Scale(n))
		dir = filepath.Join(data, fmt.Sprintf("demo-%d", n))
	}
	if err := demo.Generate(ctx, dir, opts...); err != nil {
		return nil, fmt.Errorf("generating the demo portfolio in %s: %w", dir, err)
	}
	return demo.Config(dir, opts...)
}

// newLogger builds the process logger from the configuration; it writes to stderr
// so stdout stays clean for query output.
func newLogger(cfg *configs.Config, stderr io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(stderr, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}

func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	parts := []string{v}
	if rev != "" {
		parts = append(parts, "("+rev+dirty+")")
	}
	return strings.Join(parts, " ") + " " + bi.GoVersion
}
