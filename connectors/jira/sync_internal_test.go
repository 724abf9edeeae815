package jira

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// The lower bound of an incremental search, written in the API user's zone,
// must never be read as a later instant than the watermark, whichever of the
// offsets around a daylight-saving change Jira picks for a repeated wall-clock
// minute; far from a change it is the watermark to the minute.
func TestJQLSinceAroundDaylightSaving(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	s := &syncer{loc: ny}
	// 2024-11-03: EDT (-4 h) ends at 06:00 UTC, and 01:00-01:59 happens twice;
	// 2024-03-10: EST (-5 h) ends at 07:00 UTC, and 02:00-02:59 never happens.
	offsets := []time.Duration{-4 * time.Hour, -5 * time.Hour}
	for _, day := range []time.Time{time.Date(2024, 11, 3, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC)} {
		for t0 := day; t0.Before(day.Add(14 * time.Hour)); t0 = t0.Add(7 * time.Minute) {
			lit := strings.Trim(s.jqlSince(t0), `"`)
			wall, err := time.Parse("2006/01/02 15:04", lit)
			if err != nil {
				t.Fatalf("%v: literal %q: %v", t0, lit, err)
			}
			for _, off := range offsets {
				// A reading of the wall clock at offset off is the instant
				// wall - off, if that instant shows this wall clock in New York.
				at := wall.Add(-off)
				local := at.In(ny)
				if _, o := local.Zone(); time.Duration(o)*time.Second != off || local.Format("2006/01/02 15:04") != lit {
					continue
				}
				if at.After(t0) {
					t.Errorf("%v: %q can be read as %v, after the watermark", t0, lit, at)
				}
			}
		}
	}
	// Far from a change: the watermark's own minute in the user's zone.
	t0 := time.Date(2024, 7, 1, 15, 4, 59, 0, time.UTC)
	if got, want := s.jqlSince(t0), `"2024/07/01 11:04"`; got != want {
		t.Errorf("jqlSince(%v) = %s, want %s", t0, got, want)
	}
	if got := (&syncer{}).jqlSince(t0); got != strconv.FormatInt(t0.UnixMilli(), 10) {
		t.Errorf("epoch form %s", got)
	}
}

func TestPersonLabelNeverAnAddress(t *testing.T) {
	for _, tc := range []struct {
		p           Person
		label, hash string
	}{
		{Person{AccountID: "5b86", DisplayName: "Ana Díaz", Email: "ana@example.org"}, "Ana Díaz", "Ana Díaz"},
		{Person{Name: "jsmith", Email: "j@example.org"}, "jsmith", "j@example.org"},
		{Person{DisplayName: "j@example.org", Name: "jsmith"}, "jsmith", "j@example.org"},
		{Person{Email: "only@example.org"}, "", "only@example.org"},
		{Person{AccountID: "5b86"}, "5b86", "5b86"},
	} {
		if got := tc.p.Label(); got != tc.label {
			t.Errorf("%+v: label %q, want %q", tc.p, got, tc.label)
		}
		if got := tc.p.Identity(); got != tc.hash {
			t.Errorf("%+v: identity %q, want %q", tc.p, got, tc.hash)
		}
	}
}
