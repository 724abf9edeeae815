package riskregister

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"
)

// normalize reduces a header to lower-case words so "Impact (1–5)",
// "impact_1-5" and "IMPACT 1 5" compare equal. %, $, €, £ survive as words.
func normalize(s string) string {
	var b strings.Builder
	space := true
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
			space = false
		case r == '%' || r == '$' || r == '€' || r == '£':
			if !space {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
			b.WriteByte(' ')
			space = true
		case r == '&':
			if !space {
				b.WriteByte(' ')
			}
			b.WriteString("and ")
			space = true
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimSpace(b.String())
}

// numberOptions say how numbers are written.
type numberOptions struct{ decimalComma bool }

var errNotNumber = errors.New("not a number")

// parseNumber reads numbers as registers write them: "125000", "$125,000.00",
// "125k", "1.2m", "(5,000)" (negative), "40%" (returns 40 and percent=true).
func (o numberOptions) parseNumber(s string) (v float64, percent bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false, errNotNumber
	}
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, strings.TrimSpace(s[1:len(s)-1])
	}
	if strings.HasSuffix(s, "%") {
		percent, s = true, strings.TrimSpace(strings.TrimSuffix(s, "%"))
	}
	s = strings.NewReplacer("$", "", "€", "", "£", "", "USD", "", "EUR", "", "GBP", "", "\u00a0", "", " ", "", "'", "").Replace(s)
	if strings.HasPrefix(s, "-") {
		neg, s = !neg, s[1:]
	}
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k") || strings.HasSuffix(s, "K"):
		mult, s = 1e3, s[:len(s)-1]
	case strings.HasSuffix(s, "m") || strings.HasSuffix(s, "M"):
		mult, s = 1e6, s[:len(s)-1]
	}
	if o.decimalComma {
		s = strings.ReplaceAll(s, ".", "")
		s = strings.ReplaceAll(s, ",", ".")
	} else {
		s = strings.ReplaceAll(s, ",", "")
	}
	if s == "" {
		return 0, false, errNotNumber
	}
	v, err = strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false, errNotNumber
	}
	v *= mult
	if neg {
		v = -v
	}
	return v, percent, nil
}

// levelWords maps the words registers use for 1–5 ratings.
var levelWords = map[string]int{
	"very low": 1, "rare": 1, "negligible": 1, "insignificant": 1, "remote": 1,
	"low": 2, "unlikely": 2, "minor": 2,
	"medium": 3, "moderate": 3, "possible": 3,
	"high": 4, "likely": 4, "major": 4, "significant": 4,
	"very high": 5, "almost certain": 5, "certain": 5, "critical": 5, "severe": 5, "catastrophic": 5, "extreme": 5,
}

// parseLevel reads a 1–5 rating written as a digit or a word.
func parseLevel(s string) (int, error) {
	s = strings.TrimSpace(s)
	if n, ok := levelWords[normalize(s)]; ok {
		return n, nil
	}
	// "4 - High" and "3 (Moderate)" carry both.
	if len(s) > 1 && s[0] >= '1' && s[0] <= '5' && !unicode.IsDigit(rune(s[1])) && s[1] != '.' {
		return int(s[0] - '0'), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || f < 1 || f > 5 {
		return 0, fmt.Errorf("%q is not a rating from 1 to 5 (or Very Low … Very High)", s)
	}
	return int(f), nil
}

// scoreProbability is the probability a 1–5 likelihood rating stands for: the
// midpoint of its band (DoD-style anchors 10/30/50/70/90 %).
func scoreProbability(score int) float64 { return []float64{0, 0.1, 0.3, 0.5, 0.7, 0.9}[score] }

// probabilityScore bands a probability onto the 1–5 scale: (0,0.2] is 1,
// (0.2,0.4] is 2, … (0.8,1] is 5.
func probabilityScore(p float64) int {
	switch {
	case p <= 0.2:
		return 1
	case p <= 0.4:
		return 2
	case p <= 0.6:
		return 3
	case p <= 0.8:
		return 4
	}
	return 5
}

// dateLayouts that are never ambiguous; day/month orders come only from the
// configured date formats.
var isoLayouts = []string{"2006-01-02", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04:05Z07:00", "2006/01/02",
	"2 Jan 2006", "02 Jan 2006", "2-Jan-2006", "02-Jan-2006", "2-Jan-06", "Jan 2, 2006", "January 2, 2006", "2 January 2006"}

// parseDate reads a date cell. Spreadsheet cells that hold a date serial number
// (XLSX raw values) are converted when excelSerial is set.
func parseDate(s string, layouts []string, excelSerial bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return dateOnly(t), nil
		}
	}
	for _, l := range isoLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return dateOnly(t), nil
		}
	}
	if excelSerial {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f > 1 && f < 2958466 {
			t, err := excelize.ExcelDateToTime(f, false)
			if err == nil {
				return dateOnly(t), nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date in a known format (ISO YYYY-MM-DD, or set register.date_formats, e.g. DD/MM/YYYY)", s)
}

func dateOnly(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
