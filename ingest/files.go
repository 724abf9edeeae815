package ingest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// sourceFiles expands a file source's path — a file, a folder searched
// recursively, or a glob — into regular files in name order, and returns the
// folder problem locations are made relative to. In folders only files with one
// of exts count; a glob takes whatever it matches. Hidden files and folders and
// the lock files Office leaves beside open documents ("~$Plan.xlsx") are skipped.
func sourceFiles(path string, exts ...string) ([]string, string, error) {
	if i := strings.IndexAny(path, "*?["); i >= 0 {
		matches, err := filepath.Glob(path)
		if err != nil {
			return nil, "", fmt.Errorf("path %q: %w", path, err)
		}
		var out []string
		for _, m := range matches {
			if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() && !ignoredFile(m) {
				out = append(out, m)
			}
		}
		sort.Strings(out)
		base := filepath.Dir(path[:i] + "x")
		// A glob in a folder that does not exist is a typo in the configuration,
		// not an empty export folder: say so rather than load nothing.
		if len(out) == 0 {
			if _, err := os.Stat(base); err != nil {
				return nil, "", fmt.Errorf("source path %q: %w", path, err)
			}
		}
		return out, base, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("source path: %w", err)
	}
	if !st.IsDir() {
		return []string{path}, filepath.Dir(path), nil
	}
	wanted := map[string]bool{}
	for _, e := range exts {
		wanted[strings.ToLower(e)] = true
	}
	var out []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && !ignoredFile(p) && wanted[strings.ToLower(filepath.Ext(p))] {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("listing %s: %w", path, err)
	}
	sort.Strings(out)
	return out, path, nil
}

func ignoredFile(path string) bool {
	b := filepath.Base(path)
	return strings.HasPrefix(b, ".") || strings.HasPrefix(b, "~$")
}

// relTo names path relative to base for messages, or in full when it is outside.
func relTo(base, path string) string {
	rel, err := filepath.Rel(base, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return path
	}
	return filepath.ToSlash(rel)
}
