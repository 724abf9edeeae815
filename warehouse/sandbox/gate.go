package sandbox

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The gate decides, with DuckDB's parser, whether a statement may run:
//
//  1. splitter.count: exactly one statement (nothing has been prepared yet).
//  2. json_serialize_sql: DuckDB serialises only SELECT-family statements
//     (SELECT, WITH, VALUES, FROM-first, DESCRIBE, SHOW, SUMMARIZE, PIVOT) and
//     answers "not implemented" for every other statement type, including
//     PRAGMA and CALL, which prepare as SELECTs.
//  3. The serialised tree is walked for table functions, functions and table
//     names that reach outside the warehouse or reveal settings (checkTree).
//  4. Everything else must prepare as STATEMENT_TYPE_EXPLAIN, and the text after
//     EXPLAIN [ANALYZE] must itself pass 2 and 3 (explainBody): EXPLAIN ANALYZE
//     runs its statement, so it may only wrap a read.
//
// The engine settings (external access off, read-only attach, locked
// configuration) stay the real wall; the gate gives clear messages and closes
// what those settings leave open (settings and metadata functions, EXPLAIN
// ANALYZE of a write, in-memory ATTACH).

// allowedTableFunctions are the table functions a query may call. Every other
// table function is refused: file readers (read_csv, read_text, glob,
// sniff_csv, parquet_*), dynamic SQL (query, query_table,
// json_execute_serialized_sql), pointer scans (arrow_scan) and catalog
// functions that reveal settings, paths or secrets.
var allowedTableFunctions = map[string]bool{
	"range": true, "generate_series": true, "unnest": true, "repeat": true, "repeat_row": true,
	"json_each": true, "json_tree": true,
	"duckdb_tables": true, "duckdb_columns": true, "duckdb_views": true, "duckdb_schemas": true,
	"duckdb_types": true, "duckdb_functions": true, "duckdb_keywords": true, "duckdb_constraints": true,
	"duckdb_indexes": true, "duckdb_sequences": true, "pragma_table_info": true, "pragma_show": true,
}

// deniedFunctions are scalar functions refused anywhere in a query, with why.
var deniedFunctions = map[string]string{
	"getenv":          "reads the server's environment",
	"current_setting": "reveals server settings",
	"getvariable":     "reads session variables",
	"which_secret":    "reveals secrets",
}

// deniedPrefixes are refused for scalar functions and table names alike,
// except the catalog views in allowedTableFunctions.
var deniedPrefixes = []struct{ prefix, why string }{
	{"read_", "reads files"},
	{"duckdb_", "reveals server settings, paths or secrets"},
	{"pragma_", "reveals server settings"},
	{"parquet_", "reads files"},
}

// deniedTables are catalog views that would otherwise pass.
var deniedTables = map[string]string{
	"pg_settings": "reveals server settings",
}

// serialized is the part of json_serialize_sql's answer the gate reads.
type serialized struct {
	Error        bool              `json:"error"`
	ErrorType    string            `json:"error_type"`
	ErrorMessage string            `json:"error_message"`
	Position     json.RawMessage   `json:"position"`
	Statements   []json.RawMessage `json:"statements"`
}

func parseSerialized(text string) (*serialized, error) {
	var s serialized
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return nil, fmt.Errorf("reading DuckDB's parse of the query: %w", err)
	}
	return &s, nil
}

// position returns the byte offset DuckDB reported for a parse error, or -1.
func (s *serialized) position() int {
	if len(s.Position) == 0 {
		return -1
	}
	var text string
	if json.Unmarshal(s.Position, &text) == nil {
		if n, err := strconv.Atoi(text); err == nil {
			return n
		}
	}
	var n int
	if json.Unmarshal(s.Position, &n) == nil {
		return n
	}
	return -1
}

// checkTree walks one serialised SELECT statement and refuses the first
// disallowed function or table it finds. admin allows the audit catalog.
func checkTree(stmt json.RawMessage, admin bool) *QueryError {
	var tree any
	dec := json.NewDecoder(strings.NewReader(string(stmt)))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return &QueryError{Kind: KindFailed, Message: "could not read DuckDB's parse of the query", Err: err}
	}
	var problems []string
	walkTree(tree, func(node map[string]any) {
		typ, _ := node["type"].(string)
		switch typ {
		case "TABLE_FUNCTION":
			fn, _ := node["function"].(map[string]any)
			name := strings.ToLower(stringField(fn, "function_name"))
			if name != "" && !allowedTableFunctions[name] {
				problems = append(problems, fmt.Sprintf("the table function %s() is not available in the workbench (%s)", name, tableFunctionWhy(name)))
			}
			if fn != nil {
				// Its arguments are still walked as ordinary expressions below; mark
				// the function node so it is not checked twice as a scalar.
				fn["__table_function"] = true
			}
		case "BASE_TABLE":
			if p := checkTableName(node, admin); p != "" {
				problems = append(problems, p)
			}
		}
		if _, isTF := node["__table_function"]; isTF {
			return
		}
		if class, _ := node["class"].(string); class == "FUNCTION" || class == "WINDOW" || class == "AGGREGATE" {
			name := strings.ToLower(stringField(node, "function_name"))
			if why, ok := deniedFunctions[name]; ok {
				problems = append(problems, fmt.Sprintf("the function %s() is not available in the workbench (it %s)", name, why))
			} else if why := deniedByPrefix(name); why != "" {
				problems = append(problems, fmt.Sprintf("the function %s() is not available in the workbench (it %s)", name, why))
			}
		}
	})
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return refused("%s", problems[0])
}

func tableFunctionWhy(name string) string {
	if why := deniedByPrefix(name); why != "" {
		return "it " + why
	}
	switch name {
	case "glob", "sniff_csv":
		return "it reads the server's files"
	case "query", "query_table", "json_execute_serialized_sql":
		return "it runs SQL the workbench has not checked"
	}
	return "only warehouse tables and views, range(), generate_series(), unnest() and the catalog functions duckdb_tables(), duckdb_columns() and duckdb_views() are"
}

func deniedByPrefix(name string) string {
	if allowedTableFunctions[name] {
		return ""
	}
	for _, d := range deniedPrefixes {
		if strings.HasPrefix(name, d.prefix) {
			return d.why
		}
	}
	return ""
}

// checkTableName refuses file paths used as table names ("FROM '/etc/passwd'"
// is a replacement scan that DuckDB would hand to read_csv), settings views and,
// for non-admins, the audit log.
func checkTableName(node map[string]any, admin bool) string {
	name := stringField(node, "table_name")
	lower := strings.ToLower(name)
	catalog := strings.ToLower(stringField(node, "catalog_name"))
	if strings.ContainsAny(name, "/\\") || strings.Contains(name, "://") || strings.HasPrefix(name, "~") || looksLikeFile(lower) {
		return fmt.Sprintf("reading files is not available in the workbench (%q is not a warehouse table)", name)
	}
	if why, ok := deniedTables[lower]; ok {
		return fmt.Sprintf("%s is not available in the workbench (it %s)", name, why)
	}
	if why := deniedByPrefix(lower); why != "" {
		return fmt.Sprintf("%s is not available in the workbench (it %s)", name, why)
	}
	if !admin && (lower == "audit_log" || catalog == auditCatalog) {
		return "audit_log can be queried by admins only"
	}
	return ""
}

func looksLikeFile(name string) bool {
	for _, ext := range []string{".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson", ".parquet", ".gz", ".zst", ".duckdb", ".db", ".xlsx", ".arrow"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

func stringField(node map[string]any, key string) string {
	if node == nil {
		return ""
	}
	s, _ := node[key].(string)
	return s
}

// walkTree calls visit on every object in the tree, parents before children.
func walkTree(v any, visit func(map[string]any)) {
	switch t := v.(type) {
	case map[string]any:
		visit(t)
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys) // deterministic order, so the first problem reported is stable
		for _, k := range keys {
			walkTree(t[k], visit)
		}
	case []any:
		for _, e := range t {
			walkTree(e, visit)
		}
	}
}

// explainBody returns the statement an EXPLAIN wraps and whether it is EXPLAIN
// ANALYZE. It is called only for text DuckDB has already parsed as exactly one
// EXPLAIN statement, so it just skips what may precede the wrapped statement:
// white space, comments, EXPLAIN and ANALYZE/ANALYSE. Anything else (EXPLAIN
// options in parentheses, for one) is reported as not understood, and the
// caller refuses the query. The body is then checked by DuckDB's parser like
// any other query.
func explainBody(sql string) (body string, analyze bool, ok bool) {
	i := skipSpaceAndComments(sql, 0)
	word, next := readWord(sql, i)
	if !strings.EqualFold(word, "explain") {
		return "", false, false
	}
	i = skipSpaceAndComments(sql, next)
	word, next = readWord(sql, i)
	if strings.EqualFold(word, "analyze") || strings.EqualFold(word, "analyse") {
		analyze = true
		i = skipSpaceAndComments(sql, next)
	}
	if i >= len(sql) || sql[i] == '(' && !startsSelectLike(sql[i:]) {
		return "", analyze, false
	}
	return sql[i:], analyze, true
}

// startsSelectLike reports whether a parenthesis opens a subquery rather than
// EXPLAIN's option list: "(SELECT", "(FROM", "(WITH", "(VALUES" or "((".
func startsSelectLike(s string) bool {
	i := skipSpaceAndComments(s, 1)
	if i < len(s) && s[i] == '(' {
		return true
	}
	word, _ := readWord(s, i)
	switch strings.ToLower(word) {
	case "select", "from", "with", "values", "table":
		return true
	}
	return false
}

func skipSpaceAndComments(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f' || s[i] == '\v':
			i++
		case strings.HasPrefix(s[i:], "--"):
			end := strings.IndexAny(s[i:], "\r\n")
			if end < 0 {
				return len(s)
			}
			i += end
		case strings.HasPrefix(s[i:], "/*"):
			// Block comments nest in DuckDB's (PostgreSQL's) grammar.
			depth := 0
			for i < len(s) {
				if strings.HasPrefix(s[i:], "/*") {
					depth++
					i += 2
				} else if strings.HasPrefix(s[i:], "*/") {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		default:
			return i
		}
	}
	return i
}

func readWord(s string, i int) (string, int) {
	start := i
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] == '_') {
		i++
	}
	return s[start:i], i
}
