package metrics_test

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pmlens/pmlens/demo"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/golden/*.csv")

// TestEVMDemoGolden syncs the built-in demo (12 projects, 32 weekly status dates,
// four agile projects) through the ordinary connectors and compares the
// portfolio and program earned-value time series with the golden files, rounded
// so that float noise does not matter: money to the unit, indices and fractions
// to 4 decimals. `go test ./metrics -run TestEVMDemoGolden -update` rewrites them
// after a deliberate change; review the diff like code.
func TestEVMDemoGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and ingests the whole demo")
	}
	dir := t.TempDir()
	ctx := context.Background()
	if err := demo.Generate(ctx, dir); err != nil {
		t.Fatal(err)
	}
	cfg, err := demo.Config(dir)
	if err != nil {
		t.Fatal(err)
	}
	syncConfig(t, cfg)
	db := published(t, cfg)
	const measures = `bac, pv, ev, ac, sv, cv, spi, cpi, sv_pct, cv_pct, eac_cpi, eac_atypical, eac_cpi_spi, eac_weighted,
		eac_bottom_up, etc, vac, tcpi_bac, tcpi_eac, eac, rag, projects_included, projects_carried, projects_excluded`
	for _, g := range []struct{ file, query string }{
		{"portfolio_evm.csv", `SELECT portfolio, as_of, currency, ` + measures + ` FROM portfolio_evm ORDER BY portfolio, as_of`},
		{"program_evm.csv", `SELECT program, as_of, currency, ` + measures + ` FROM program_evm ORDER BY program, as_of`},
		{"project_health.csv", `SELECT project_id, as_of, source, currency, bac, pv, ev, ac, spi, cpi, eac, es_days, at_days, spi_t,
			forecast_finish, rag FROM project_health ORDER BY project_id`},
	} {
		got := dumpCSV(t, db, g.query)
		path := filepath.Join("testdata", "golden", g.file)
		if *updateGolden {
			if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o600); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
			for i := 0; i < len(gl) || i < len(wl); i++ {
				var a, b string
				if i < len(gl) {
					a = gl[i]
				}
				if i < len(wl) {
					b = wl[i]
				}
				if a != b {
					t.Errorf("%s line %d:\n got  %s\n want %s", g.file, i+1, a, b)
					break
				}
			}
		}
	}
}

// dumpCSV renders a query as CSV: floats rounded (4 decimals under 10, whole
// units above: money), dates as YYYY-MM-DD, NULL as empty.
func dumpCSV(t *testing.T, db *sql.DB, q string) []byte {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString(strings.Join(cols, ",") + "\n")
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		cells := make([]string, len(cols))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
			case float64:
				if math.Abs(x) >= 10 {
					cells[i] = fmt.Sprintf("%.0f", x)
				} else {
					cells[i] = fmt.Sprintf("%.4f", x)
				}
				if cells[i] == "-0" || cells[i] == "-0.0000" {
					cells[i] = strings.TrimPrefix(cells[i], "-")
				}
			case time.Time:
				cells[i] = x.Format(time.DateOnly)
			case string:
				cells[i] = strings.ReplaceAll(x, ",", ";")
			default:
				cells[i] = fmt.Sprint(x)
			}
		}
		b.WriteString(strings.Join(cells, ",") + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
