package demo

import (
	"fmt"
	"time"
)

// Working days are counted as integers from a Monday epoch on the Standard
// calendar the MSPDI files declare (Mon–Fri, 08:00–12:00 and 13:00–17:00, no
// holidays), which keeps every schedule computation exact integer arithmetic.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) // a Monday

// wday converts a weekday date to its working-day index; weekend dates map to
// the following Monday.
func wday(t time.Time) int {
	days := int(t.Sub(epoch).Hours() / 24)
	w, d := days/7, days%7
	if d >= 5 {
		return (w + 1) * 5
	}
	return w*5 + d
}

// dateOf returns the date (midnight) of working-day index i.
func dateOf(i int) time.Time {
	return epoch.AddDate(0, 0, (i/5)*7+i%5)
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Timestamps as MSPDI writes them: local wall clock, no zone.
func startStamp(i int) string    { return dateOf(i).Format("2006-01-02") + "T08:00:00" }
func finishStamp(i int) string   { return dateOf(i).Format("2006-01-02") + "T17:00:00" }
func isoDate(t time.Time) string { return t.Format("2006-01-02") }

// ptHours formats minutes as an MSPDI duration (hours only, as Project writes).
func ptMinutes(min int64) string {
	return fmt.Sprintf("PT%dH%dM0S", min/60, min%60)
}
