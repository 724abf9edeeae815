package msproject

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseXSDuration converts an xsd:duration as Project writes it ("PT8H0M0S",
// "PT720H0M0S", "PT6H59M60S", "PT1H6M5.07S", rarely "P1DT2H" or "-PT1H") into
// minutes. Days are 24 hours here, as in the XML Schema; Project itself only writes
// hours, minutes and seconds, so working-day conversion never applies.
func parseXSDuration(b []byte) (float64, error) {
	s := b
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg = true
		s = s[1:]
	}
	if len(s) < 2 || s[0] != 'P' {
		return 0, fmt.Errorf("%q is not a duration like PT8H0M0S", b)
	}
	s = s[1:]
	inTime := false
	var total float64
	seen := false
	for len(s) > 0 {
		if s[0] == 'T' {
			if inTime {
				return 0, fmt.Errorf("%q is not a duration like PT8H0M0S", b)
			}
			inTime = true
			s = s[1:]
			continue
		}
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, fmt.Errorf("%q is not a duration like PT8H0M0S", b)
		}
		v, err := atof(s[:i])
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration like PT8H0M0S", b)
		}
		unit := s[i]
		s = s[i+1:]
		seen = true
		switch {
		case !inTime && unit == 'Y':
			total += v * 365 * 24 * 60
		case !inTime && unit == 'M':
			total += v * 30 * 24 * 60
		case !inTime && unit == 'W':
			total += v * 7 * 24 * 60
		case !inTime && unit == 'D':
			total += v * 24 * 60
		case inTime && unit == 'H':
			total += v * 60
		case inTime && unit == 'M':
			total += v
		case inTime && unit == 'S':
			total += v / 60
		default:
			return 0, fmt.Errorf("%q is not a duration like PT8H0M0S", b)
		}
	}
	if !seen {
		return 0, fmt.Errorf("%q is not a duration like PT8H0M0S", b)
	}
	if neg {
		total = -total
	}
	return total, nil
}

// atof parses a plain decimal number without allocating for short inputs.
func atof(b []byte) (float64, error) {
	// A fast path for plain integers, which is what most MSPDI numbers are.
	if len(b) > 0 && len(b) < 16 {
		var n int64
		ok := true
		start := 0
		if b[0] == '-' {
			start = 1
		}
		if start == len(b) {
			ok = false
		}
		for _, c := range b[start:] {
			if c < '0' || c > '9' {
				ok = false
				break
			}
			n = n*10 + int64(c-'0')
		}
		if ok {
			if start == 1 {
				n = -n
			}
			return float64(n), nil
		}
	}
	return strconv.ParseFloat(string(b), 64)
}

// atoi parses a decimal integer; a decimal point with only zeros after it ("2.00")
// is accepted because some writers format integers that way.
func atoi(b []byte) (int64, error) {
	if len(b) == 0 {
		return 0, errors.New("empty number")
	}
	var n int64
	neg := false
	i := 0
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		i = 1
		if len(b) == 1 {
			return 0, fmt.Errorf("%q is not an integer", b)
		}
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c == '.' {
			for _, z := range b[i+1:] {
				if z != '0' {
					return 0, fmt.Errorf("%q is not an integer", b)
				}
			}
			break
		}
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not an integer", b)
		}
		if n > (1<<62)/10 {
			return 0, fmt.Errorf("%q is out of range", b)
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, nil
}

// parseXSDateTime reads Project's zone-less "2006-01-02T15:04:05" (optionally with
// fractional seconds, a zone suffix, or as a bare date). The wall-clock fields are
// kept as they are and labelled UTC: schedule dates are local to the project's
// calendar and must never be shifted.
func parseXSDateTime(b []byte) (time.Time, error) {
	if len(b) >= 19 && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' && b[16] == ':' {
		y, ok1 := digits(b[0:4])
		mo, ok2 := digits(b[5:7])
		d, ok3 := digits(b[8:10])
		h, ok4 := digits(b[11:13])
		mi, ok5 := digits(b[14:16])
		s, ok6 := digits(b[17:19])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(y, mo) && h <= 24 && mi < 60 && s <= 60 {
			rest := b[19:]
			ns := 0
			if len(rest) > 0 && rest[0] == '.' {
				i := 1
				scale := 100000000
				for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
					ns += int(rest[i]-'0') * scale
					scale /= 10
					i++
				}
				rest = rest[i:]
			}
			// A zone suffix is tolerated and ignored: the wall clock is what counts.
			if len(rest) == 0 || validZone(rest) {
				return time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC), nil
			}
		}
	}
	if len(b) == 10 && b[4] == '-' && b[7] == '-' {
		y, ok1 := digits(b[0:4])
		mo, ok2 := digits(b[5:7])
		d, ok3 := digits(b[8:10])
		if ok1 && ok2 && ok3 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(y, mo) {
			return time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC), nil
		}
	}
	// Project has been seen writing a negative zero minute ("2008-12-04T17:-0:00",
	// mspditimephased.xml); read it as zero rather than reject the file.
	if i := bytes.Index(b, []byte(":-0")); i > 0 {
		fixed := bytes.Clone(b)
		copy(fixed[i:], ":00")
		if !bytes.Contains(fixed, []byte(":-0")) {
			return parseXSDateTime(fixed)
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date-time like 2006-01-02T15:04:05", b)
}

func validZone(b []byte) bool {
	if len(b) == 1 && b[0] == 'Z' {
		return true
	}
	if len(b) == 6 && (b[0] == '+' || b[0] == '-') && b[3] == ':' {
		_, ok1 := digits(b[1:3])
		_, ok2 := digits(b[4:6])
		return ok1 && ok2
	}
	return false
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseBool reads MSPDI's 0/1 flags (and tolerates true/false).
func parseBool(b []byte) (bool, error) {
	switch string(b) {
	case "1", "true", "TRUE", "True":
		return true, nil
	case "0", "false", "FALSE", "False":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a flag (0 or 1)", b)
}

// clockMinutes turns "HH:MM" or "HH:MM:SS" into minutes after midnight (-1 if bad).
func clockMinutes(s string) int {
	parts := strings.Split(s, ":")
	if len(parts) < 2 {
		return -1
	}
	h, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || h < 0 || h > 24 || m < 0 || m > 59 {
		return -1
	}
	return h*60 + m
}

// normClock validates a time of day and returns it as "HH:MM:SS".
func normClock(s string) (string, error) {
	s = strings.TrimSpace(s)
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return "", fmt.Errorf("%q is not a time of day like 08:00:00", s)
	}
	var v [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return "", fmt.Errorf("%q is not a time of day like 08:00:00", s)
		}
		v[i] = n
	}
	if v[0] > 24 || v[1] > 59 || v[2] > 59 || (v[0] == 24 && (v[1] != 0 || v[2] != 0)) {
		return "", fmt.Errorf("%q is not a time of day like 08:00:00", s)
	}
	return fmt.Sprintf("%02d:%02d:%02d", v[0], v[1], v[2]), nil
}

// linkTypeMSPDI maps MSPDI's PredecessorLink/Type codes, which are not in UI order.
func linkTypeMSPDI(code int64) (string, bool) {
	switch code {
	case 0:
		return "FF", true
	case 1:
		return "FS", true
	case 2:
		return "SF", true
	case 3:
		return "SS", true
	}
	return "", false
}

// TimephasedKind names an MSPDI TimephasedData type code: the measure plus, for
// Baseline1–10 blocks, the baseline number (0 for the plain Baseline).
func TimephasedKind(code int) (kind string, baseline int, hasBaseline bool) {
	switch code {
	case 1:
		return "remaining_work", 0, false
	case 2:
		return "actual_work", 0, false
	case 3:
		return "actual_overtime_work", 0, false
	case 4, 7, 9:
		return "baseline_work", 0, true
	case 5, 8, 10:
		return "baseline_cost", 0, true
	case 6:
		return "actual_cost", 0, false
	case 11:
		return "percent_complete", 0, false
	case 76:
		return "physical_percent_complete", 0, false
	}
	if code >= 16 && code <= 75 {
		n := (code-16)/6 + 1
		if (code-16)%2 == 0 {
			return "baseline_work", n, true
		}
		return "baseline_cost", n, true
	}
	return "type_" + strconv.Itoa(code), 0, false
}

// timephasedValueIsCost reports whether a kind's values are money (hundredths in MSPDI).
func timephasedValueIsCost(kind string) bool {
	return kind == "baseline_cost" || kind == "actual_cost"
}

// timephasedValueIsWork reports whether a kind's values are PT durations.
func timephasedValueIsWork(kind string) bool {
	return strings.HasSuffix(kind, "_work")
}
