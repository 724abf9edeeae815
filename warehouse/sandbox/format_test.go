package sandbox

import (
	"bytes"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// goldenSQL yields every type family the formats handle, including NULLs, a
// formula-looking string, a duplicate column name and text with a quote,
// comma and newline. All values are fixed so the files are stable.
const goldenSQL = `SELECT * FROM (VALUES
  (1::TINYINT, 9007199254740993::BIGINT, 18446744073709551615::UBIGINT, 170141183460469231731687303715884105727::HUGEINT,
   1234.50::DECIMAL(10,2), 0.1::FLOAT, 2.5::DOUBLE, true,
   'plain', 'with "quote", comma
and newline', '=HYPERLINK("http://x")',
   DATE '2026-01-31', TIME '13:45:06', TIMESTAMP '2026-01-31 13:45:06.5', TIMESTAMPTZ '2026-01-31 13:45:06+02',
   INTERVAL '1 year 2 months 3 days 04:05:06', '2c7b9a3e-5f0e-4c1e-9d55-0a1b2c3d4e5f'::UUID, '\xAA\x01ok'::BLOB,
   [1, 2, 3], {'k': 'v', 'n': 2}, 'dup-a', 'dup-b'),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
) AS t(tiny, big, ubig, huge, dec, flt, dbl, flag, txt, tricky, formula, d, tod, ts, tstz, iv, id, bin, list, rec, dup, "DUP")`

func goldenResult(t *testing.T) *Result {
	t.Helper()
	sb, _, _ := newTestSandbox(t, 0, nil)
	return mustQuery(t, sb, RoleAnalyst, goldenSQL)
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestFormats -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestFormats(t *testing.T) {
	res := goldenResult(t)
	if len(res.Rows) != 2 || len(res.Columns) != 22 {
		t.Fatalf("golden result has %d rows × %d columns, want 2 × 22", len(res.Rows), len(res.Columns))
	}
	for _, tc := range []struct {
		file   string
		format Format
		opts   WriteOptions
	}{
		{"result.table.txt", FormatTable, WriteOptions{}},
		{"result.csv", FormatCSV, WriteOptions{}},
		{"result.safe.csv", FormatCSV, WriteOptions{SpreadsheetSafe: true}},
		{"result.json", FormatJSON, WriteOptions{}},
	} {
		var buf bytes.Buffer
		if err := Write(&buf, res, tc.format, tc.opts); err != nil {
			t.Fatalf("%s: %v", tc.format, err)
		}
		checkGolden(t, tc.file, buf.Bytes())
	}

	// XLSX: compare what a spreadsheet reads back (cell types and shown values),
	// not the zip bytes.
	var xb bytes.Buffer
	if err := Write(&xb, res, FormatXLSX); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "result.xlsx.txt", xlsxDump(t, xb.Bytes()))

	// Parquet: compare the schema and rows DuckDB reads back from the file.
	var pb bytes.Buffer
	if err := Write(&pb, res, FormatParquet, WriteOptions{TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "result.parquet.txt", parquetDump(t, pb.Bytes()))
}

func xlsxDump(t *testing.T, data []byte) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	fmt.Fprintf(&out, "sheets: %v\n", f.GetSheetList())
	rows, err := f.GetRows("Result")
	if err != nil {
		t.Fatal(err)
	}
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			typ, _ := f.GetCellType("Result", cell)
			fmt.Fprintf(&out, "%s type=%d %q\n", cell, typ, v)
		}
	}
	return out.Bytes()
}

func parquetDump(t *testing.T, data []byte) []byte {
	t.Helper()
	file := filepath.Join(t.TempDir(), "r.parquet")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out bytes.Buffer
	rows, err := db.Query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))", file)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n, ty string
		if err := rows.Scan(&n, &ty); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "column %s %s\n", n, ty)
	}
	rows.Close()
	rows, err = db.Query("SELECT * FROM read_parquet(?)", file)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = fmt.Sprintf("%s=%v", cols[i], v)
		}
		out.WriteString(strings.Join(parts, " | ") + "\n")
	}
	return out.Bytes()
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"CSV": FormatCSV, " json ": FormatJSON, "parquet": FormatParquet} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("xml accepted")
	}
}
