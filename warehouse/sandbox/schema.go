package sandbox

import (
	"context"
	"database/sql"
	"fmt"
)

// SchemaTable is a table or view a query can read.
type SchemaTable struct {
	Catalog     string         `json:"catalog"`
	Schema      string         `json:"schema"`
	Name        string         `json:"name"`
	Kind        string         `json:"kind"` // "table" or "view"
	Description string         `json:"description,omitempty"`
	Columns     []SchemaColumn `json:"columns"`
}

// SchemaColumn is one column of a SchemaTable.
type SchemaColumn struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Nullable    bool   `json:"nullable"`
	Description string `json:"description,omitempty"`
}

// Schema lists the tables and views visible to role and scope in the current
// published version (for a scope, those of its scoped copy), with DuckDB's
// comments (COMMENT ON) as descriptions. Admins also see the audit catalog. It
// takes a query slot, so it can answer ErrBusy.
func (s *Sandbox) Schema(ctx context.Context, role string, scope *Scope) ([]SchemaTable, string, error) {
	sl, err := s.acquire(ctx)
	if err != nil {
		return nil, "", err
	}
	defer s.release(sl)
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	db, version := (*sql.DB)(nil), ""
	catalogs := []any{warehouseCatalog}
	if role == RoleAdmin {
		inst, release, err := s.adminInstance(ctx, sl.id)
		if err != nil {
			return nil, "", err
		}
		defer release()
		db, version = inst.db, inst.version
		catalogs = append(catalogs, auditCatalog)
	} else {
		if err := s.ready(ctx, sl, scope); err != nil {
			return nil, "", err
		}
		db, version = sl.db, sl.version
	}
	tables, err := readSchema(ctx, db, catalogs)
	if err != nil {
		return nil, "", fmt.Errorf("reading the warehouse schema: %w", err)
	}
	return tables, version, nil
}

func readSchema(ctx context.Context, db *sql.DB, catalogs []any) ([]SchemaTable, error) {
	in := "?"
	if len(catalogs) == 2 {
		in = "?, ?"
	}
	rows, err := db.QueryContext(ctx, `
		SELECT database_name, schema_name, table_name, 'table', coalesce(comment, '') FROM duckdb_tables()
		 WHERE NOT internal AND NOT temporary AND database_name IN (`+in+`)
		UNION ALL
		SELECT database_name, schema_name, view_name, 'view', coalesce(comment, '') FROM duckdb_views()
		 WHERE NOT internal AND NOT temporary AND database_name IN (`+in+`)
		ORDER BY 1, 2, 3`, append(append([]any{}, catalogs...), catalogs...)...)
	if err != nil {
		return nil, err
	}
	var tables []SchemaTable
	index := map[[3]string]int{}
	for rows.Next() {
		var t SchemaTable
		if err := rows.Scan(&t.Catalog, &t.Schema, &t.Name, &t.Kind, &t.Description); err != nil {
			rows.Close()
			return nil, err
		}
		t.Columns = []SchemaColumn{}
		index[[3]string{t.Catalog, t.Schema, t.Name}] = len(tables)
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.QueryContext(ctx, `SELECT database_name, schema_name, table_name, column_name, data_type, is_nullable, coalesce(comment, '')
		FROM duckdb_columns() WHERE NOT internal AND database_name IN (`+in+`) ORDER BY database_name, schema_name, table_name, column_index`, catalogs...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var cat, sch, tab string
		var c SchemaColumn
		if err := rows.Scan(&cat, &sch, &tab, &c.Name, &c.Type, &c.Nullable, &c.Description); err != nil {
			return nil, err
		}
		if i, ok := index[[3]string{cat, sch, tab}]; ok {
			tables[i].Columns = append(tables[i].Columns, c)
		}
	}
	return tables, rows.Err()
}
