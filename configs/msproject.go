package configs

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/htmlindex"

	"github.com/pmlens/pmlens/connectors/msproject"
)

// MSProjectOptions are the keys specific to msproject sources. Schedules are read
// from `path` (a file, a folder or a glob): Project XML (MSPDI), MPX, and CSV/XLSX
// task exports.
type MSProjectOptions struct {
	// IncludeResourceNames stores resource names (people, usually) and resource
	// calendar names. Off by default: resources are then identified by UID and a
	// keyed hash of the name.
	IncludeResourceNames bool `yaml:"include_resource_names"`
	// IncludeCustomText stores the values of text custom fields (Text1…Text30,
	// outline codes), which planners use for free text. Numbers, costs, dates,
	// durations and flags of custom fields are always stored.
	IncludeCustomText bool `yaml:"include_custom_text"`
	// MaxFileSize rejects larger files: bytes, or a size such as "512MB" or "2GB"
	// (default 512MB).
	MaxFileSize string `yaml:"max_file_size"`
	// TaskExport configures CSV/XLSX task exports (locale, column names).
	TaskExport TaskExportOptions `yaml:"task_export"`
}

// TaskExportOptions describe how a PM's CSV or Excel export is formatted.
type TaskExportOptions struct {
	// Columns maps export headers to task fields (see msproject.ExportFields), for
	// headers beyond Project's English and German defaults; "ignore" skips one.
	Columns map[string]string `yaml:"columns"`
	// DateOrder of numeric dates: MDY (default), DMY or YMD.
	DateOrder string `yaml:"date_order"`
	// DateFormats are Go time layouts tried first, e.g. "02.01.2006 15:04".
	DateFormats []string `yaml:"date_formats"`
	// DecimalSeparator is "." (default) or ","; ThousandsSeparator follows from it.
	DecimalSeparator   string `yaml:"decimal_separator"`
	ThousandsSeparator string `yaml:"thousands_separator"`
	// Encoding of CSV files, e.g. windows-1252 (default: UTF-8 when valid, else windows-1252).
	Encoding string `yaml:"encoding"`
	// Delimiter of CSV fields (default: detected from , ; or tab).
	Delimiter string `yaml:"delimiter"`
	// Sheet of an XLSX workbook (default: the first with a task header row).
	Sheet string `yaml:"sheet"`
	// HoursPerDay, HoursPerWeek and DaysPerMonth convert "5 days" (defaults 8, 40, 20).
	HoursPerDay  float64 `yaml:"hours_per_day"`
	HoursPerWeek float64 `yaml:"hours_per_week"`
	DaysPerMonth float64 `yaml:"days_per_month"`
}

// ParseByteSize reads a size such as "512MB", "1.5 GB" or "1048576" (KB, MB and GB
// are powers of 1024, as are KiB, MiB and GiB).
func ParseByteSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || f*float64(mult) > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is not a size like 512MB", s)
	}
	return int64(f * float64(mult)), nil
}

func (o MSProjectOptions) validate(s *Source) error {
	if o.MaxFileSize != "" {
		if _, err := ParseByteSize(o.MaxFileSize); err != nil {
			return fmt.Errorf("max_file_size %w", err)
		}
	}
	if err := o.ExportOptions().Validate(); err != nil {
		return fmt.Errorf("task_export.%w", err)
	}
	t := o.TaskExport
	if t.Encoding != "" {
		if _, err := htmlindex.Get(t.Encoding); err != nil {
			return fmt.Errorf("task_export.encoding %q is not a known character encoding (e.g. utf-8, windows-1252)", t.Encoding)
		}
	}
	for _, f := range []struct {
		key string
		v   float64
		max float64
	}{{"hours_per_day", t.HoursPerDay, 24}, {"hours_per_week", t.HoursPerWeek, 168}, {"days_per_month", t.DaysPerMonth, 31}} {
		if f.v < 0 || f.v > f.max {
			return fmt.Errorf("task_export.%s %v is not between 0 and %v", f.key, f.v, f.max)
		}
	}
	return nil
}

// ParseOptions converts the configuration into the connector's parse options.
func (o MSProjectOptions) ParseOptions() msproject.Options {
	// validate has already rejected a bad size; 0 selects the connector's default.
	size, _ := ParseByteSize(o.MaxFileSize)
	return msproject.Options{MaxBytes: size, Export: o.ExportOptions()}
}

// ExportOptions converts the task_export block into the connector's options.
func (o MSProjectOptions) ExportOptions() msproject.ExportOptions {
	t := o.TaskExport
	return msproject.ExportOptions{
		Columns:            t.Columns,
		DateOrder:          t.DateOrder,
		DateFormats:        t.DateFormats,
		DecimalSeparator:   t.DecimalSeparator,
		ThousandsSeparator: t.ThousandsSeparator,
		Encoding:           t.Encoding,
		Delimiter:          t.Delimiter,
		Sheet:              t.Sheet,
		MinutesPerDay:      int64(math.Round(t.HoursPerDay * 60)),
		MinutesPerWeek:     int64(math.Round(t.HoursPerWeek * 60)),
		DaysPerMonth:       t.DaysPerMonth,
	}
}
