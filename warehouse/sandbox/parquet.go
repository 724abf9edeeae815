package sandbox

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Parquet files are written by DuckDB's own writer, in an internal in-memory
// instance created for one download and closed after it. That instance needs
// file access to write, so it is never the user's sandbox and never sees user
// SQL: rows arrive through the Appender as values, and the only SQL it runs is
// built here from a fixed vocabulary of types plus quoted column names.

// parquetColumn says how one result column is staged and what it becomes.
type parquetColumn struct {
	stage string // staging table type
	final string // type in the Parquet file
}

func parquetType(dbType string) parquetColumn {
	t := strings.ToUpper(strings.TrimSpace(dbType))
	switch t {
	case "BOOLEAN":
		return parquetColumn{"BOOLEAN", "BOOLEAN"}
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER":
		return parquetColumn{"BIGINT", t}
	case "UBIGINT", "HUGEINT", "UHUGEINT":
		return parquetColumn{"VARCHAR", t}
	case "FLOAT", "REAL":
		return parquetColumn{"DOUBLE", "FLOAT"}
	case "DOUBLE":
		return parquetColumn{"DOUBLE", "DOUBLE"}
	case "BLOB":
		return parquetColumn{"BLOB", "BLOB"}
	case "UUID":
		return parquetColumn{"VARCHAR", "UUID"}
	case "DATE":
		return parquetColumn{"DATE", "DATE"}
	case "TIME":
		return parquetColumn{"TIME", "TIME"}
	case "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATETIME":
		return parquetColumn{"TIMESTAMP", "TIMESTAMP"}
	case "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE":
		return parquetColumn{"TIMESTAMPTZ", "TIMESTAMPTZ"}
	}
	if w, s, ok := decimalParams(t); ok {
		return parquetColumn{"VARCHAR", fmt.Sprintf("DECIMAL(%d,%d)", w, s)}
	}
	// VARCHAR, ENUM, BIT, INTERVAL, JSON and nested types travel as text (nested
	// values as JSON text).
	return parquetColumn{"VARCHAR", "VARCHAR"}
}

func decimalParams(t string) (int, int, bool) {
	inner, ok := strings.CutPrefix(t, "DECIMAL(")
	if !ok {
		return 0, 0, false
	}
	inner, ok = strings.CutSuffix(inner, ")")
	if !ok {
		return 0, 0, false
	}
	ws, ss, ok := strings.Cut(inner, ",")
	if !ok {
		return 0, 0, false
	}
	w, err1 := strconv.Atoi(strings.TrimSpace(ws))
	s, err2 := strconv.Atoi(strings.TrimSpace(ss))
	if err1 != nil || err2 != nil || w < 1 || w > 38 || s < 0 || s > w {
		return 0, 0, false
	}
	return w, s, true
}

// quoteIdent quotes a column name for DuckDB.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, "\x00", ""), `"`, `""`) + `"`
}

func stageValue(v any, pc parquetColumn, dbType string) any {
	if v == nil {
		return nil
	}
	switch pc.stage {
	case "BOOLEAN":
		b, _ := v.(bool)
		return b
	case "BIGINT":
		n, _ := v.(int64)
		return n
	case "DOUBLE":
		f, _ := v.(float64)
		return f
	case "BLOB":
		b, _ := v.([]byte)
		return b
	case "DATE", "TIME", "TIMESTAMP", "TIMESTAMPTZ":
		if t, ok := v.(time.Time); ok {
			return t
		}
		return nil
	}
	s, _ := textValue(v, dbType)
	return s
}

func writeParquet(w io.Writer, res *Result, tempDir string) error {
	ctx := context.Background()
	if tempDir == "" {
		tempDir = os.TempDir()
	}
	dir, err := os.MkdirTemp(tempDir, "pmlens-parquet-")
	if err != nil {
		return fmt.Errorf("creating parquet work folder: %w", err)
	}
	defer os.RemoveAll(dir)
	c, err := duckdb.NewConnector(":memory:?threads=1&memory_limit=512MB&autoload_known_extensions=false&autoinstall_known_extensions=false&temp_directory=", nil)
	if err != nil {
		return fmt.Errorf("opening parquet writer: %w", err)
	}
	defer c.Close()
	db := sql.OpenDB(c)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()

	names := uniqueNames(res.Columns)
	cols := make([]parquetColumn, len(res.Columns))
	var ddl, sel []string
	for i, col := range res.Columns {
		cols[i] = parquetType(col.Type)
		ddl = append(ddl, fmt.Sprintf("c%d %s", i, cols[i].stage))
		sel = append(sel, fmt.Sprintf("CAST(c%d AS %s) AS %s", i, cols[i].final, quoteIdent(names[i])))
	}
	if len(ddl) == 0 {
		return fmt.Errorf("a result without columns cannot be written as Parquet")
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE result ("+strings.Join(ddl, ", ")+")"); err != nil {
		return fmt.Errorf("staging parquet rows: %w", err)
	}
	err = conn.Raw(func(dc any) error {
		dconn, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("unexpected driver connection %T", dc)
		}
		a, err := duckdb.NewAppender(dconn, "", "", "result")
		if err != nil {
			return err
		}
		for r, row := range res.Rows {
			vals := make([]driver.Value, len(row))
			for i, v := range row {
				vals[i] = stageValue(v, cols[i], res.Columns[i].Type)
			}
			if err := a.AppendRow(vals...); err != nil {
				a.Close()
				return fmt.Errorf("row %d: %w", r+1, err)
			}
		}
		return a.Close()
	})
	if err != nil {
		return fmt.Errorf("staging parquet rows: %w", err)
	}
	file := filepath.Join(dir, "result.parquet")
	if _, err := conn.ExecContext(ctx, "COPY (SELECT "+strings.Join(sel, ", ")+" FROM result) TO "+sqlString(file)+" (FORMAT parquet, COMPRESSION zstd)"); err != nil {
		return fmt.Errorf("writing parquet: %w", err)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
