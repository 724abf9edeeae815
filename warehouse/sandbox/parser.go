package sandbox

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/duckdb/duckdb-go/v2/mapping"
)

// splitter counts the statements in a text with DuckDB's own parser, without
// binding or running any of them. It exists because the database/sql driver,
// given several statements, *executes* all but the last while preparing the
// last one, so "SELECT 1; COPY ..." must be refused before it ever reaches a
// query connection. duckdb_extract_statements only parses.
//
// It is an empty in-memory DuckDB with external access off and its
// configuration locked; nothing is ever prepared or executed on it.
type splitter struct {
	mu   sync.Mutex // a DuckDB connection is not safe for concurrent use
	db   mapping.Database
	conn mapping.Connection
}

func newSplitter() (*splitter, error) {
	var cfg mapping.Config
	if mapping.CreateConfig(&cfg) == mapping.StateError {
		return nil, errors.New("creating DuckDB parser configuration")
	}
	defer mapping.DestroyConfig(&cfg)
	for _, kv := range [][2]string{
		{"enable_external_access", "false"},
		{"autoload_known_extensions", "false"},
		{"autoinstall_known_extensions", "false"},
		{"allow_community_extensions", "false"},
		{"threads", "1"},
		{"memory_limit", "32MB"},
		{"lock_configuration", "true"},
	} {
		if mapping.SetConfig(cfg, kv[0], kv[1]) == mapping.StateError {
			return nil, fmt.Errorf("setting %s on the DuckDB parser", kv[0])
		}
	}
	s := &splitter{}
	var msg string
	if mapping.OpenExt("", &s.db, cfg, &msg) == mapping.StateError {
		mapping.Close(&s.db)
		return nil, fmt.Errorf("opening the DuckDB parser: %s", msg)
	}
	if mapping.Connect(s.db, &s.conn) == mapping.StateError {
		mapping.Close(&s.db)
		return nil, errors.New("connecting to the DuckDB parser")
	}
	return s, nil
}

// count returns how many statements DuckDB's parser finds in sql, or the
// parser's error message when it cannot parse it.
func (s *splitter) count(sql string) (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn.Ptr == nil {
		return 0, "the SQL workbench is shutting down"
	}
	var stmts mapping.ExtractedStatements
	n := mapping.ExtractStatements(s.conn, sql, &stmts)
	defer mapping.DestroyExtracted(&stmts)
	if n == 0 {
		msg := mapping.ExtractStatementsError(stmts)
		if strings.TrimSpace(msg) == "" {
			msg = "no SQL statement found"
		}
		return 0, msg
	}
	return int(n), ""
}

func (s *splitter) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	mapping.Disconnect(&s.conn)
	mapping.Close(&s.db)
}
