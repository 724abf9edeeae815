package sandbox

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// normalize turns a value from the DuckDB driver into one of the few types a
// Result holds, so every output format handles a closed set:
// nil, bool, int64, float64, string, []byte, time.Time, json.Number, []any,
// map[string]any. Exact numbers that do not fit int64/float64 (DECIMAL,
// HUGEINT, large UBIGINT) become json.Number holding their exact digits.
func normalize(v any, dbType string) any {
	switch t := v.(type) {
	case nil:
		return nil
	case bool, string, time.Time:
		return t
	case int8:
		return int64(t)
	case int16:
		return int64(t)
	case int32:
		return int64(t)
	case int64:
		return t
	case int:
		return int64(t)
	case uint8:
		return int64(t)
	case uint16:
		return int64(t)
	case uint32:
		return int64(t)
	case uint64:
		if t <= math.MaxInt64 {
			return int64(t)
		}
		return json.Number(strconv.FormatUint(t, 10))
	case float32:
		// Via its shortest decimal form, so 0.1::FLOAT shows as 0.1.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(t), 'g', -1, 32), 64)
		return f
	case float64:
		return t
	case *big.Int:
		if t == nil {
			return nil
		}
		return json.Number(t.String())
	case duckdb.Decimal:
		return json.Number(decimalString(t))
	case duckdb.Interval:
		return intervalString(t)
	case duckdb.UUID:
		return uuidString(t[:])
	case []byte:
		if strings.EqualFold(dbType, "UUID") && len(t) == 16 {
			return uuidString(t)
		}
		return t
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalize(e, "")
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = normalize(e, "")
		}
		return out
	case duckdb.OrderedMap:
		out := make(map[string]any, t.Len())
		keys, vals := t.Keys(), t.Values()
		for i := range keys {
			out[fmt.Sprint(normalize(keys[i], ""))] = normalize(vals[i], "")
		}
		return out
	case duckdb.Map:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[fmt.Sprint(normalize(k, ""))] = normalize(e, "")
		}
		return out
	case duckdb.Union:
		return normalize(t.Value, "")
	default:
		return fmt.Sprint(t)
	}
}

func decimalString(d duckdb.Decimal) string {
	if d.Value == nil {
		return "0"
	}
	digits := new(big.Int).Abs(d.Value).String()
	sign := ""
	if d.Value.Sign() < 0 {
		sign = "-"
	}
	scale := int(d.Scale)
	if scale == 0 {
		return sign + digits
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	return sign + digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
}

func uuidString(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// intervalString renders an interval the way DuckDB prints one, e.g.
// "1 year 2 months 3 days 04:05:06.5".
func intervalString(iv duckdb.Interval) string {
	var parts []string
	plural := func(n int64, unit string) string {
		if n == 1 || n == -1 {
			return fmt.Sprintf("%d %s", n, unit)
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	if y := int64(iv.Months) / 12; y != 0 {
		parts = append(parts, plural(y, "year"))
	}
	if m := int64(iv.Months) % 12; m != 0 {
		parts = append(parts, plural(m, "month"))
	}
	if iv.Days != 0 {
		parts = append(parts, plural(int64(iv.Days), "day"))
	}
	if iv.Micros != 0 || len(parts) == 0 {
		us := iv.Micros
		sign := ""
		if us < 0 {
			sign, us = "-", -us
		}
		h, m, sec, frac := us/3_600_000_000, us/60_000_000%60, us/1_000_000%60, us%1_000_000
		t := fmt.Sprintf("%s%02d:%02d:%02d", sign, h, m, sec)
		if frac != 0 {
			t += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, " ")
}

// timeKind says how a time.Time of a column should be shown.
type timeKind int

const (
	timeStamp timeKind = iota
	timeStampTZ
	timeDate
	timeOfDay
)

func timeKindOf(dbType string) timeKind {
	t := strings.ToUpper(dbType)
	switch {
	case t == "DATE":
		return timeDate
	case strings.HasPrefix(t, "TIME WITH TIME ZONE"), t == "TIMETZ":
		return timeOfDay
	case t == "TIME" || t == "TIME_NS":
		return timeOfDay
	case strings.Contains(t, "WITH TIME ZONE") || t == "TIMESTAMPTZ":
		return timeStampTZ
	}
	return timeStamp
}

// formatTime renders t for a column of dbType: ISO 8601 dates and times, UTC
// for TIMESTAMPTZ with an explicit offset. Values inside nested types carry no
// column type; they are shown by what they hold.
func formatTime(t time.Time, dbType string) string {
	kind := timeKindOf(dbType)
	if dbType == "" {
		switch {
		case t.Year() == 1 && t.Month() == 1 && t.Day() == 1:
			kind = timeOfDay
		case t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0:
			kind = timeDate
		}
	}
	switch kind {
	case timeDate:
		return t.Format("2006-01-02")
	case timeOfDay:
		return t.Format("15:04:05.999999")
	case timeStampTZ:
		return t.UTC().Format("2006-01-02 15:04:05.999999Z07:00")
	}
	return t.Format("2006-01-02 15:04:05.999999")
}

// jsonValue converts a normalised value into what encoding/json should write:
// times as strings, bytes as "\x.." hex, non-finite floats as strings.
func jsonValue(v any, dbType string) any {
	switch t := v.(type) {
	case time.Time:
		return formatTime(t, dbType)
	case []byte:
		return blobString(t)
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return strconv.FormatFloat(t, 'g', -1, 64)
		}
		return t
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = jsonValue(e, "")
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = jsonValue(e, "")
		}
		return out
	}
	return v
}

// blobString shows bytes as DuckDB does: printable ASCII as is, others as \xNN.
func blobString(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f && c != '\\' {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "\\x%02X", c)
		}
	}
	return sb.String()
}

// textValue renders a normalised value as text for table and CSV output;
// NULL becomes null (the caller decides how to show it).
func textValue(v any, dbType string) (string, bool) {
	switch t := v.(type) {
	case nil:
		return "", false
	case string:
		return t, true
	case bool:
		return strconv.FormatBool(t), true
	case int64:
		return strconv.FormatInt(t, 10), true
	case float64:
		return formatFloat(t), true
	case json.Number:
		return string(t), true
	case time.Time:
		return formatTime(t, dbType), true
	case []byte:
		return blobString(t), true
	case []any, map[string]any:
		b, err := json.Marshal(jsonValue(t, ""))
		if err != nil {
			return fmt.Sprint(t), true
		}
		return string(b), true
	}
	return fmt.Sprint(v), true
}

// formatFloat writes money and counts as plain decimals (1200000, not 1.2e+06) so
// spreadsheets and eyes read them alike; only extreme magnitudes use an exponent.
func formatFloat(f float64) string {
	if a := math.Abs(f); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
