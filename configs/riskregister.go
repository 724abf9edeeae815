package configs

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// RiskRegisterOptions are the keys specific to risk-register sources. The
// parsing keys sit under one `register:` block so they can never collide with
// another source type's inline keys; the privacy keys include_people and
// include_text_fields are shared with the Jira options (which declare them) and
// read through RiskRegisterIncludesPeople / RiskRegisterIncludesText.
type RiskRegisterOptions struct {
	Register RegisterFormat `yaml:"register"`
}

// RegisterFormat describes how a PMO's register files are laid out.
type RegisterFormat struct {
	// Columns maps a pmlens field (id, title, category, probability,
	// probability_score, impact, impact_cost, impact_score, owner, status,
	// response, opened, closed, due, project, as_of) to the header of the column
	// that holds it, for registers whose headers the default recognition misses.
	Columns map[string]string `yaml:"columns"`
	// DateFormats are tried in order on date cells, written with the tokens
	// YYYY, YY, MMMM (January), MMM (Jan), MM, M, DD, D; ISO dates (YYYY-MM-DD)
	// and Excel date cells are always understood.
	DateFormats []string `yaml:"date_formats"`
	// DecimalComma reads "1.234,5" as 1234.5 (European registers).
	DecimalComma bool `yaml:"decimal_comma"`
	// ProbabilityScale says how the probability column is written: auto
	// (default: decided per file from the header and values), percent (0–100),
	// fraction (0–1) or score (1–5).
	ProbabilityScale string `yaml:"probability_scale"`
	// SnapshotDate says where a file's as-of date comes from: auto (default: the
	// as_of column, else a date in the file name, else the file's modification
	// time), column, filename or file_time.
	SnapshotDate string `yaml:"snapshot_date"`
	// Sheet names the XLSX worksheet holding the register (default: the first
	// sheet with a recognisable header row).
	Sheet string `yaml:"sheet"`
	// HeaderRow is the 1-based row of the header (default: found among the first
	// 20 rows).
	HeaderRow int `yaml:"header_row"`
	// DefaultProject is the project key for rows without a Project value (a
	// register kept per project).
	DefaultProject string `yaml:"default_project"`
}

// RiskRegisterIncludesPeople reports whether a risk-register source stores owner
// names as written instead of keyed hashes (include_people).
func RiskRegisterIncludesPeople(s Source) bool { return s.Jira.IncludePeople }

// RiskRegisterIncludesText reports whether a risk-register source opted in to
// storing the free-text field (title or response) through include_text_fields.
func RiskRegisterIncludesText(s Source, field string) bool {
	for _, f := range s.Jira.IncludeTextFields {
		if strings.EqualFold(f, field) {
			return true
		}
	}
	return false
}

// RiskRegisterFields are the field names the columns map accepts.
var riskRegisterFields = []string{"id", "title", "category", "probability", "probability_score", "impact", "impact_cost",
	"impact_score", "owner", "status", "response", "opened", "closed", "due", "project", "as_of"}

// RiskRegisterFields returns the field names the risk-register columns map accepts.
func RiskRegisterFields() []string { return append([]string(nil), riskRegisterFields...) }

// validate checks the risk-register keys; the caller prefixes the source path.
func (o RiskRegisterOptions) validate(s *Source) error {
	r := o.Register
	if s.Type != TypeRiskRegister {
		if r.Columns != nil || r.DateFormats != nil || r.DecimalComma || r.ProbabilityScale != "" || r.SnapshotDate != "" ||
			r.Sheet != "" || r.HeaderRow != 0 || r.DefaultProject != "" {
			return fmt.Errorf("register: only applies to risk-register sources, not %s", s.Type)
		}
		return nil
	}
	var errs []error
	known := map[string]bool{}
	for _, f := range riskRegisterFields {
		known[f] = true
	}
	keys := make([]string, 0, len(r.Columns))
	for k := range r.Columns {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !known[k] {
			errs = append(errs, fmt.Errorf("register.columns.%s: unknown field (known: %s)", k, strings.Join(riskRegisterFields, ", ")))
		} else if strings.TrimSpace(r.Columns[k]) == "" {
			errs = append(errs, fmt.Errorf("register.columns.%s: needs the header text of a column", k))
		}
	}
	for _, f := range r.DateFormats {
		if _, err := DateLayout(f); err != nil {
			errs = append(errs, fmt.Errorf("register.date_formats: %w", err))
		}
	}
	switch r.ProbabilityScale {
	case "", "auto", "percent", "fraction", "score":
	default:
		errs = append(errs, fmt.Errorf("register.probability_scale: %q is not one of auto, percent, fraction, score", r.ProbabilityScale))
	}
	switch r.SnapshotDate {
	case "", "auto", "column", "filename", "file_time":
	default:
		errs = append(errs, fmt.Errorf("register.snapshot_date: %q is not one of auto, column, filename, file_time", r.SnapshotDate))
	}
	if r.SnapshotDate == "column" {
		if _, ok := r.Columns["as_of"]; !ok {
			errs = append(errs, errors.New("register.snapshot_date: column needs register.columns.as_of naming the column that holds the as-of date"))
		}
	}
	if r.HeaderRow < 0 {
		errs = append(errs, errors.New("register.header_row: must be 1 or more"))
	}
	for _, f := range s.Jira.IncludeTextFields {
		if f != "title" && f != "response" {
			errs = append(errs, fmt.Errorf("include_text_fields: %q is not one of title, response for a risk-register source", f))
		}
	}
	return errors.Join(errs...)
}

// DateLayout converts a date format written with YYYY/MM/DD tokens into a Go
// time layout.
func DateLayout(format string) (string, error) {
	if strings.TrimSpace(format) == "" {
		return "", errors.New("empty date format")
	}
	tokens := []struct{ tok, layout string }{
		{"YYYY", "2006"}, {"MMMM", "January"}, {"MMM", "Jan"}, {"YY", "06"}, {"MM", "01"}, {"DD", "02"}, {"M", "1"}, {"D", "2"},
	}
	var b strings.Builder
	seen := map[byte]bool{}
	for i := 0; i < len(format); {
		matched := false
		for _, t := range tokens {
			if strings.HasPrefix(format[i:], t.tok) {
				b.WriteString(t.layout)
				seen[t.tok[0]] = true
				i += len(t.tok)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		c := format[i]
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
			return "", fmt.Errorf("%q: unexpected %q (use YYYY, YY, MMMM, MMM, MM, M, DD, D and separators)", format, string(c))
		}
		b.WriteByte(c)
		i++
	}
	if !seen['Y'] || !seen['M'] || !seen['D'] {
		return "", fmt.Errorf("%q: a date format needs a year, a month and a day", format)
	}
	return b.String(), nil
}
