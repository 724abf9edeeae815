package sandbox

import (
	"strings"
	"testing"
)

// FuzzExplainBody checks the EXPLAIN prefix reader never panics and only ever
// skips white space, comments and the EXPLAIN/ANALYZE keywords.
func FuzzExplainBody(f *testing.F) {
	for _, s := range []string{"EXPLAIN SELECT 1", "explain analyze select 1", "EXPLAIN /* c /* nested */ */ ANALYZE\n-- x\nFROM t",
		"EXPLAIN (FORMAT json) SELECT 1", "EXPLAIN (SELECT 1)", "EXPLAIN", "/*", "EXPLAIN ANALYSE WITH a AS (SELECT 1) SELECT * FROM a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		body, _, ok := explainBody(s)
		if !ok {
			return
		}
		if !strings.HasSuffix(s, body) {
			t.Fatalf("body %q is not a suffix of %q", body, s)
		}
		prefix := s[:len(s)-len(body)]
		// Strip what the reader may skip; nothing else may remain.
		rest := prefix
		for {
			i := skipSpaceAndComments(rest, 0)
			rest = rest[i:]
			w, n := readWord(rest, 0)
			if w == "" {
				break
			}
			switch strings.ToLower(w) {
			case "explain", "analyze", "analyse":
				rest = rest[n:]
			default:
				t.Fatalf("prefix %q of %q holds the word %q", prefix, s, w)
			}
		}
		if rest != "" {
			t.Fatalf("prefix %q of %q holds %q", prefix, s, rest)
		}
	})
}

// FuzzPositionFromMessage checks that positions read from any message stay
// inside the query text.
func FuzzPositionFromMessage(f *testing.F) {
	f.Add("Catalog Error: x\n\nLINE 1: SELECT * FROM nosuch\n                      ^", "SELECT * FROM nosuch")
	f.Add("LINE 2: ...abc...\n           ^", "x\nzzzabczzz")
	f.Add("LINE 9: x\n^", "")
	f.Fuzz(func(t *testing.T, msg, sql string) {
		p := positionFromMessage(msg, sql)
		if p == nil {
			return
		}
		if p.Offset < 0 || p.Offset > len(sql) || p.Line < 1 {
			t.Fatalf("position %+v outside %q", p, sql)
		}
		if q := positionFromOffset(sql, p.Offset); p.Column > 0 && q == nil {
			t.Fatalf("offset %d not convertible in %q", p.Offset, sql)
		}
	})
}
