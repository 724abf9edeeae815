package msproject

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// DefaultMaxBytes is the size limit used when Options.MaxBytes is zero. The largest
// real schedules (tens of thousands of tasks with timephased data) stay well below it.
const DefaultMaxBytes = 512 << 20

// Options configures parsing. The zero value is usable.
type Options struct {
	// MaxBytes rejects files larger than this (0 = DefaultMaxBytes). The limit is
	// enforced while streaming, so a file growing under us is caught too.
	MaxBytes int64
	// Export configures CSV and XLSX task exports; MSPDI and MPX ignore it.
	Export ExportOptions
}

func (o Options) withDefaults() Options {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	o.Export = o.Export.withDefaults()
	return o
}

// Detect names the format of a file from its first bytes (at least 8; 512 is
// plenty). Extensions lie — PMs rename files — so content decides; only text that
// is neither XML nor MPX falls back to CSV.
func Detect(head []byte) Format {
	h := bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF"))
	switch {
	case bytes.HasPrefix(h, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")):
		return FormatMPP
	case bytes.HasPrefix(h, []byte("PK\x03\x04")):
		return FormatXLSX
	case bytes.HasPrefix(h, []byte("MPX")):
		return FormatMPX
	}
	if t := bytes.TrimLeft(h, " \t\r\n"); len(t) > 0 && t[0] == '<' {
		return FormatMSPDI
	}
	return FormatCSV
}

// ParseFile detects the format of the file at path and parses it. Errors name the
// path and, where they can, the line or cell.
func ParseFile(ctx context.Context, path string, opts Options) (*Project, error) {
	opts = opts.withDefaults()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > opts.MaxBytes {
		return nil, &ParseError{File: path, Err: fmt.Errorf("%w: the file has %d bytes, max_file_size is %s", ErrTooLarge, st.Size(), FormatBytes(opts.MaxBytes))}
	}
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(512)
	switch Detect(head) {
	case FormatMSPDI:
		return ParseMSPDI(ctx, br, path, opts)
	case FormatMPX:
		return ParseMPX(ctx, br, path, opts)
	case FormatXLSX:
		return ParseXLSX(ctx, br, path, opts)
	case FormatMPP:
		return nil, &ParseError{File: path, Err: fmt.Errorf("%w: this is a binary Microsoft Project (.mpp) file or another OLE2 document; in Project use File › Save As › XML Format (*.xml)", ErrUnsupported)}
	}
	return ParseCSV(ctx, br, path, opts)
}

// HashFile returns the hex SHA-256 of a file's content: the identity of one export,
// whatever it is called.
func HashFile(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 256<<10)
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("hashing %s: %w", path, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Snapshot date sources, recorded with each snapshot.
const (
	SnapshotFromStatusDate  = "status_date"
	SnapshotFromCurrentDate = "current_date"
	SnapshotFromFileMtime   = "file_mtime"
)

// SnapshotDate is the date a file's figures are "as of": the project's status date
// (what earned value was computed against), else Project's current date at save
// time, else the file's modification time. The second result says which.
func SnapshotDate(p *Project, mtime time.Time) (time.Time, string) {
	switch {
	case !p.StatusDate.IsZero():
		return p.StatusDate, SnapshotFromStatusDate
	case !p.CurrentDate.IsZero():
		return p.CurrentDate, SnapshotFromCurrentDate
	}
	// Keep the local wall clock, labelled UTC like every other schedule date.
	l := mtime.Local()
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC), SnapshotFromFileMtime
}

// Key is the source-level identity of the schedule: its title, else its name, else
// the file name without extension and without the date or version stamp that weekly
// exports add ("Plan 2025-01-06.xml", "plan_v3.xml" → "Plan", "plan"), so a
// folder of weekly exports maps to one project.
func (p *Project) Key() string {
	if t := strings.TrimSpace(p.Title); t != "" {
		return t
	}
	if p.Format == FormatMPX {
		if n := strings.TrimSpace(p.Name); n != "" {
			return n
		}
	}
	return FileStemKey(p.File)
}

// FileStemKey strips directory, extension and trailing date/version stamps from a
// file name.
func FileStemKey(file string) string {
	stem := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	k := stem
	for {
		next := strings.TrimRight(stampPattern.ReplaceAllString(k, ""), " _-.")
		if next == k {
			break
		}
		k = next
	}
	if k == "" {
		return stem
	}
	return k
}

// stampPattern matches one trailing date or version stamp of an export's file name:
// 2025-01-06, 20250106, 06.01.2025, 01-06-25, v3, rev2, wk12, week 12, (2), copy.
var stampPattern = regexp.MustCompile(`(?i)(?:^|[ _\-.]+)(\d{4}[-_.]?\d{2}[-_.]?\d{2}|\d{1,2}[-_.]\d{1,2}[-_.]\d{2,4}|v\d+(\.\d+)*|rev\d+|wk\s*\d+|week\s*\d+|\(\d+\)|copy|final)$`)

// finishProject derives what the formats leave implicit: the project-summary row,
// outline levels from outline numbers, and parents from the outline.
func finishProject(p *Project) {
	stack := make([]int64, 0, 16)
	for i := range p.Tasks {
		t := &p.Tasks[i]
		if !t.OutlineLevel.Valid && t.OutlineNumber != "" && !t.IsNull {
			if t.OutlineNumber == "0" {
				t.OutlineLevel = Some(int64(0))
			} else {
				t.OutlineLevel = Some(int64(strings.Count(t.OutlineNumber, ".") + 1))
			}
		}
		if t.OutlineLevel.Valid && t.OutlineLevel.V == 0 || (!t.OutlineLevel.Valid && t.UID == 0 && i == 0 && p.Format == FormatMSPDI) {
			t.ProjectSummary = true
			continue
		}
		if t.IsNull {
			continue
		}
		level := 1
		if t.OutlineLevel.Valid && t.OutlineLevel.V > 0 {
			level = int(t.OutlineLevel.V)
		}
		if level > len(stack) {
			// A level jump (2 straight after 0) has no real parent in between:
			// attach to the nearest ancestor that exists.
			for len(stack) < level {
				var last int64 = -1
				if len(stack) > 0 {
					last = stack[len(stack)-1]
				}
				stack = append(stack, last)
			}
		}
		stack = stack[:level]
		stack[level-1] = t.UID
		if level >= 2 && stack[level-2] >= 0 {
			t.ParentUID = Some(stack[level-2])
		}
	}
}
