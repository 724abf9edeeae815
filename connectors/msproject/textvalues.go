package msproject

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file reads the display-formatted values of text exports (MPX, CSV, XLSX):
// "5 days", "3 hrs", "2 wks?", "£3,526.25", "50%", "Yes", "Tue 07/01/03", "NA".
// Vocabulary covers English and German, the two locales in the sample corpus; other
// locales work through explicit column maps and date formats.

// textFormat holds the per-file conventions for display-formatted values.
type textFormat struct {
	decimal   byte // '.' or ','
	thousands byte // ',' or '.' or 0
	dateOrder string
	layouts   []string
	minPerDay float64
	minPerWk  float64
	daysPerMo float64
}

func (f *textFormat) monthMinutes() float64 { return f.minPerDay * f.daysPerMo }

// isNA reports the "no value" markers: blank, NA (English), NV (German), ND, N/A.
func isNA(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "na", "nv", "nd", "n/a", "n.v.", "n.a.", "nc":
		return true
	}
	return false
}

// parseYesNo reads a displayed flag.
func parseYesNo(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "ja", "true", "wahr", "1", "y", "j", "oui", "sí", "si", "sim":
		return true, nil
	case "no", "nein", "false", "falsch", "0", "n", "non", "não", "nao":
		return false, nil
	}
	return false, fmt.Errorf("%q is not Yes or No", s)
}

type durUnit int

const (
	unitMinute durUnit = iota
	unitHour
	unitDay
	unitWeek
	unitMonth
	unitYear
)

// unitWords maps displayed duration units (lower case, without "?" and ".") to units.
var unitWords = map[string]durUnit{
	"m": unitMinute, "min": unitMinute, "mins": unitMinute, "minute": unitMinute, "minutes": unitMinute, "minuten": unitMinute,
	"h": unitHour, "hr": unitHour, "hrs": unitHour, "hour": unitHour, "hours": unitHour, "std": unitHour, "stunde": unitHour, "stunden": unitHour,
	"d": unitDay, "dy": unitDay, "day": unitDay, "days": unitDay, "t": unitDay, "tag": unitDay, "tage": unitDay, "tg": unitDay,
	"w": unitWeek, "wk": unitWeek, "wks": unitWeek, "week": unitWeek, "weeks": unitWeek, "wo": unitWeek, "woche": unitWeek, "wochen": unitWeek,
	"mo": unitMonth, "mon": unitMonth, "mons": unitMonth, "month": unitMonth, "months": unitMonth, "monat": unitMonth, "monate": unitMonth,
	"y": unitYear, "yr": unitYear, "yrs": unitYear, "year": unitYear, "years": unitYear, "j": unitYear, "jahr": unitYear, "jahre": unitYear,
}

// lookupUnit resolves a unit word; elapsed units carry an "e" (English) or "f"
// (German "fortlaufend") prefix: "ed", "edays", "ft", "fTage".
func lookupUnit(w string) (durUnit, bool, bool) {
	w = strings.ToLower(strings.TrimRight(strings.TrimSpace(w), "?."))
	if u, ok := unitWords[w]; ok {
		return u, false, true
	}
	if len(w) > 1 && (w[0] == 'e' || w[0] == 'f') {
		if u, ok := unitWords[w[1:]]; ok {
			return u, true, true
		}
	}
	return 0, false, false
}

func (f *textFormat) unitMinutes(u durUnit, elapsed bool) float64 {
	if elapsed {
		switch u {
		case unitMinute:
			return 1
		case unitHour:
			return 60
		case unitDay:
			return 24 * 60
		case unitWeek:
			return 7 * 24 * 60
		case unitMonth:
			return 30 * 24 * 60
		default:
			return 365 * 24 * 60
		}
	}
	switch u {
	case unitMinute:
		return 1
	case unitHour:
		return 60
	case unitDay:
		return f.minPerDay
	case unitWeek:
		return f.minPerWk
	case unitMonth:
		return f.monthMinutes()
	default:
		return f.monthMinutes() * 12
	}
}

// parseDuration reads "5 days", "3.5h", "2 wks?", "4 edays", "50t", "0ft"; a bare
// number is taken in defaultUnit.
func (f *textFormat) parseDuration(s string, defaultUnit durUnit) (Dur, error) {
	s = strings.TrimSpace(s)
	if isNA(s) {
		return Dur{}, nil
	}
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == ',' || s[i] == '-' || s[i] == '+') {
		i++
	}
	if i == 0 {
		return Dur{}, fmt.Errorf("%q is not a duration like \"5 days\"", s)
	}
	v, err := f.parseNumber(s[:i])
	if err != nil {
		return Dur{}, fmt.Errorf("%q is not a duration like \"5 days\"", s)
	}
	word := strings.TrimSpace(s[i:])
	u, elapsed := defaultUnit, false
	if word != "" && word != "?" {
		var ok bool
		if u, elapsed, ok = lookupUnit(word); !ok {
			return Dur{}, fmt.Errorf("%q has an unknown duration unit %q", s, word)
		}
	}
	return Dur{Minutes: v * f.unitMinutes(u, elapsed), Elapsed: elapsed, Valid: true}, nil
}

// parseNumber reads a plain number with this file's separators.
func (f *textFormat) parseNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty number")
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c == '-', c == '+', c == 'e', c == 'E':
			b.WriteByte(c)
		case c == f.decimal:
			b.WriteByte('.')
		case c == f.thousands, c == ' ', c == '\'':
			// grouping
		default:
			return 0, fmt.Errorf("%q is not a number", s)
		}
	}
	v, err := strconv.ParseFloat(b.String(), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

// parseAmount reads money or a number as displayed: "$3,500.00", "£0.00",
// "3.500,00 €", "(1,234.00)", "-£5", "50%". Currency symbols and letters around
// the number are dropped; accounting parentheses mean negative.
func (f *textFormat) parseAmount(s string) (Opt[float64], error) {
	s = strings.TrimSpace(s)
	if isNA(s) {
		return Opt[float64]{}, nil
	}
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg = true
		s = s[1 : len(s)-1]
	}
	start, end := -1, -1
	for i, r := range s {
		if r >= '0' && r <= '9' {
			if start < 0 {
				start = i
			}
			end = i + 1
		}
	}
	if start < 0 {
		return Opt[float64]{}, fmt.Errorf("%q is not a number or amount", s)
	}
	prefix := s[:start]
	if strings.Contains(prefix, "-") || strings.Contains(prefix, "−") {
		neg = !neg
	}
	// Keep separators between the first and last digit (and a leading decimal mark).
	if start > 0 && s[start-1] == f.decimal {
		start--
	}
	core := s[start:end]
	suffix := strings.TrimSpace(s[end:])
	for _, r := range prefix {
		if unicode.IsDigit(r) {
			return Opt[float64]{}, fmt.Errorf("%q is not a number or amount", s)
		}
	}
	v, err := f.parseNumber(core)
	if err != nil {
		return Opt[float64]{}, fmt.Errorf("%q is not a number or amount", s)
	}
	if strings.HasPrefix(suffix, "-") {
		neg = !neg
	}
	if neg {
		v = -v
	}
	return Some(v), nil
}

// parsePercent reads "50%", "50" or "0,5" (a fraction when the cell holds one from a
// spreadsheet percentage format is the caller's business).
func (f *textFormat) parsePercent(s string) (Opt[float64], error) {
	return f.parseAmount(s)
}

// parseRate reads "£10.00/h" and returns the rate per hour ("/d", "/w", "/mo"
// convert through the file's working-time factors; material rates have no unit).
func (f *textFormat) parseRate(s string) (Opt[float64], error) {
	s = strings.TrimSpace(s)
	if isNA(s) {
		return Opt[float64]{}, nil
	}
	amount, unit, hasUnit := strings.Cut(s, "/")
	v, err := f.parseAmount(amount)
	if err != nil || !v.Valid || !hasUnit {
		return v, err
	}
	u, elapsed, ok := lookupUnit(unit)
	if !ok {
		return Opt[float64]{}, fmt.Errorf("%q has an unknown rate unit %q", s, unit)
	}
	v.V = v.V * 60 / f.unitMinutes(u, elapsed)
	return v, nil
}

var monthWords = map[string]time.Month{
	"jan": 1, "january": 1, "januar": 1, "jänner": 1, "jän": 1,
	"feb": 2, "february": 2, "februar": 2,
	"mar": 3, "march": 3, "mär": 3, "märz": 3, "maerz": 3, "mrz": 3,
	"apr": 4, "april": 4,
	"may": 5, "mai": 5,
	"jun": 6, "june": 6, "juni": 6,
	"jul": 7, "july": 7, "juli": 7,
	"aug": 8, "august": 8,
	"sep": 9, "sept": 9, "september": 9,
	"oct": 10, "october": 10, "okt": 10, "oktober": 10,
	"nov": 11, "november": 11,
	"dec": 12, "december": 12, "dez": 12, "dezember": 12,
}

var weekdayWords = map[string]bool{
	"mon": true, "monday": true, "tue": true, "tues": true, "tuesday": true, "wed": true, "wednesday": true,
	"thu": true, "thur": true, "thurs": true, "thursday": true, "fri": true, "friday": true, "sat": true, "saturday": true,
	"sun": true, "sunday": true,
	"mo": true, "montag": true, "di": true, "dienstag": true, "mi": true, "mittwoch": true, "do": true, "donnerstag": true,
	"fr": true, "freitag": true, "sa": true, "samstag": true, "so": true, "sonntag": true,
	"t": true, // ISO date/time separator
}

// parseDate reads a displayed date: the configured Go layouts first, then a tolerant
// reader for Project's formats ("Mon 1/20/25", "20.01.2025 08:00", "January 20, 2025
// 8:00 AM", "2025-01-20T08:00:00") using the configured day/month/year order.
func (f *textFormat) parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range f.layouts {
		if t, err := time.Parse(l, s); err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC), nil
		}
	}
	if t, ok := looseDate(s, f.dateOrder); ok {
		return t, nil
	}
	hint := "set task_export.date_order (MDY, DMY or YMD) or task_export.date_formats"
	return time.Time{}, fmt.Errorf("unknown date format %q (expected e.g. %s; %s)", s, exampleDate(f.dateOrder), hint)
}

func exampleDate(order string) string {
	switch order {
	case "DMY":
		return "20/01/2025 08:00"
	case "YMD":
		return "2025-01-20 08:00"
	}
	return "1/20/2025 8:00 AM"
}

// looseDate implements the tolerant date reader.
func looseDate(s, order string) (time.Time, bool) {
	var nums []string
	var clock []int
	month := time.Month(0)
	pm, am := false, false
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r >= '0' && r <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			tok := s[i:j]
			if (j < len(s) && s[j] == ':') || len(clock) > 0 && i > 0 && s[i-1] == ':' {
				if len(clock) >= 3 {
					return time.Time{}, false
				}
				n, _ := strconv.Atoi(tok)
				clock = append(clock, n)
			} else if len(clock) > 0 && i > 0 && s[i-1] == '.' && len(clock) == 3 {
				// fractional seconds: ignore
			} else {
				nums = append(nums, tok)
			}
			i = j
		case unicode.IsLetter(r):
			j := i
			for j < len(s) {
				r2, sz := utf8.DecodeRuneInString(s[j:])
				if !unicode.IsLetter(r2) && r2 != '.' {
					break
				}
				j += sz
			}
			w := strings.ToLower(strings.Trim(s[i:j], "."))
			switch {
			case w == "am" || w == "a.m" || w == "vorm":
				am = true
			case w == "pm" || w == "p.m" || w == "nachm":
				pm = true
			case monthWords[w] != 0:
				if month != 0 {
					return time.Time{}, false
				}
				month = monthWords[w]
			case weekdayWords[w], w == "z", w == "utc", w == "um":
			default:
				return time.Time{}, false
			}
			i = j
		default:
			i += size
		}
	}
	var y, m, d int
	atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
	switch {
	case month != 0 && len(nums) == 2:
		m = int(month)
		if len(nums[0]) == 4 {
			y, d = atoi(nums[0]), atoi(nums[1])
		} else {
			d, y = atoi(nums[0]), atoi(nums[1])
			if len(nums[1]) <= 2 && len(nums[0]) <= 2 && atoi(nums[1]) <= 31 && atoi(nums[0]) > 31 {
				y, d = atoi(nums[0]), atoi(nums[1])
			}
		}
		y = fullYear(y, len(nums[0]) == 4 || len(nums[1]) == 4)
	case month == 0 && len(nums) == 3:
		a, b, c := atoi(nums[0]), atoi(nums[1]), atoi(nums[2])
		switch {
		case len(nums[0]) == 4 || order == "YMD":
			y, m, d = a, b, c
			y = fullYear(y, len(nums[0]) == 4)
		case order == "DMY":
			d, m, y = a, b, c
			y = fullYear(y, len(nums[2]) == 4)
		default:
			m, d, y = a, b, c
			y = fullYear(y, len(nums[2]) == 4)
		}
	default:
		return time.Time{}, false
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return time.Time{}, false
	}
	h, mi, sec := 0, 0, 0
	switch len(clock) {
	case 0:
		if am || pm {
			return time.Time{}, false
		}
	case 2, 3:
		h, mi = clock[0], clock[1]
		if len(clock) == 3 {
			sec = clock[2]
		}
	default:
		return time.Time{}, false
	}
	if am || pm {
		if h < 1 || h > 12 {
			return time.Time{}, false
		}
		if pm && h != 12 {
			h += 12
		}
		if am && h == 12 {
			h = 0
		}
	}
	if h > 24 || mi > 59 || sec > 59 || (h == 24 && (mi != 0 || sec != 0)) {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(m), d, h, mi, sec, 0, time.UTC), true
}

// fullYear expands two-digit years: 00–69 → 2000s, 70–99 → 1900s.
func fullYear(y int, four bool) int {
	if four || y >= 100 {
		return y
	}
	if y < 70 {
		return 2000 + y
	}
	return 1900 + y
}

// constraintWords maps displayed constraint types (English and German) to MSPDI codes.
var constraintWords = map[string]int64{
	"as soon as possible": 0, "asap": 0, "so früh wie möglich": 0,
	"as late as possible": 1, "alap": 1, "so spät wie möglich": 1,
	"must start on": 2, "mso": 2, "muss anfangen am": 2,
	"must finish on": 3, "mfo": 3, "muss enden am": 3,
	"start no earlier than": 4, "snet": 4, "anfang nicht früher als": 4,
	"start no later than": 5, "snlt": 5, "anfang nicht später als": 5,
	"finish no earlier than": 6, "fnet": 6, "ende nicht früher als": 6,
	"finish no later than": 7, "fnlt": 7, "ende nicht später als": 7,
}

func parseConstraint(s string) (Opt[int64], error) {
	s = strings.TrimSpace(s)
	if isNA(s) {
		return Opt[int64]{}, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 && n <= 7 {
		return Some(n), nil
	}
	if v, ok := constraintWords[strings.ToLower(s)]; ok {
		return Some(v), nil
	}
	return Opt[int64]{}, fmt.Errorf("%q is not a constraint type", s)
}

// relationWords maps displayed link types (English and German) to FS/SS/FF/SF.
var relationWords = map[string]string{
	"FS": "FS", "SS": "SS", "FF": "FF", "SF": "SF",
	"EA": "FS", "AA": "SS", "EE": "FF", "AE": "SF",
}

// parsePredecessors reads "3FS+2 days,5SS;7" into links whose PredecessorUID holds
// the referenced number (an ID or a UID, resolved by the caller).
func (f *textFormat) parsePredecessors(s string, listSep []rune) ([]Link, error) {
	s = strings.TrimSpace(s)
	if s == "" || isNA(s) {
		return nil, nil
	}
	items := strings.FieldsFunc(s, func(r rune) bool {
		for _, sep := range listSep {
			if r == sep {
				return true
			}
		}
		return false
	})
	var out []Link
	for _, it := range items {
		it = strings.TrimSpace(it)
		if it == "" {
			continue
		}
		j := 0
		for j < len(it) && it[j] >= '0' && it[j] <= '9' {
			j++
		}
		if j == 0 {
			return nil, fmt.Errorf("predecessor %q does not start with a task number", it)
		}
		n, err := strconv.ParseInt(it[:j], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("predecessor %q: %w", it, err)
		}
		l := Link{PredecessorUID: n, Type: "FS", Lag: Minutes(0)}
		rest := strings.TrimSpace(it[j:])
		if len(rest) >= 2 {
			if typ, ok := relationWords[strings.ToUpper(rest[:2])]; ok {
				l.Type = typ
				rest = strings.TrimSpace(rest[2:])
			}
		}
		if rest != "" {
			if rest[0] != '+' && rest[0] != '-' {
				return nil, fmt.Errorf("predecessor %q: expected a link type (FS, SS, FF, SF) and +/- lag", it)
			}
			neg := rest[0] == '-'
			lag, err := f.parseDuration(strings.TrimSpace(rest[1:]), unitDay)
			if err != nil {
				return nil, fmt.Errorf("predecessor %q: lag: %w", it, err)
			}
			if neg {
				lag.Minutes = -lag.Minutes
			}
			l.Lag = lag
		}
		out = append(out, l)
	}
	return out, nil
}
