package jira

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pmlens/pmlens/configs"
)

// Fuzz targets for the parsers the package owns besides the export parsers
// (FuzzParseJSONExport, FuzzParseCSVExport): the custom-field scanner of search
// pages, sprint field values, durations, rate-limit headers and field lists.

// FuzzWireFields checks the hand-written scanner that collects customfield_*
// values against encoding/json's own reading of the same object.
func FuzzWireFields(f *testing.F) {
	f.Add([]byte(`{"summary":"x","customfield_10016":3,"customfield_10020":[{"id":1,"name":"S 1"}],"customfield_1":null}`))
	f.Add([]byte(`{ "customfield_1" : "a,}]\"" , "labels":["a"],"customfield_2":{"value":"Likely","child":{"x":[1,2]}} }`))
	f.Add([]byte(`{"customfield_1":1e5,"customfield_1":"dup"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got wireFields
		if err := json.Unmarshal(b, &got); err != nil {
			return
		}
		var ref map[string]json.RawMessage
		if err := json.Unmarshal(b, &ref); err != nil {
			t.Fatalf("wireFields accepted %q, a map did not: %v", b, err)
		}
		if bytes.Contains(b, []byte(`\`)) || !utf8.Valid(b) {
			// Escaped or invalid UTF-8 keys are spelled differently by the two
			// readings (raw bytes against decoded text); Jira sends neither.
			return
		}
		want := map[string]string{}
		for k, v := range ref {
			if strings.HasPrefix(k, "customfield_") && !isNull(v) {
				want[k] = compact(t, v)
			}
		}
		if len(got.custom) != len(want) {
			t.Fatalf("%q: scanner found %d custom fields, encoding/json %d", b, len(got.custom), len(want))
		}
		for k, v := range got.custom {
			if w, ok := want[k]; !ok || compact(t, v) != w {
				t.Fatalf("%q: %s = %s, encoding/json says %s", b, k, v, w)
			}
		}
	})
}

func compact(t *testing.T, v json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		t.Fatalf("value %q is not JSON: %v", v, err)
	}
	return b.String()
}

func FuzzParseSprintField(f *testing.F) {
	f.Add([]byte(`["com.atlassian.greenhopper.service.sprint.Sprint@3fd7dd59[id=48,rapidViewId=58,state=CLOSED,name=Sprint, the first,startDate=2020-01-06T09:00:00.000+01:00,endDate=<null>,completeDate=<null>,sequence=48,goal=A, B]"]`))
	f.Add([]byte(`[{"id":2,"name":"KP Sprint 2","state":"closed","boardId":4,"startDate":"2021-01-01T00:00:00.000Z"}]`))
	f.Add([]byte(`[12, 14]`))
	f.Add([]byte(`"Sprint@1[id=2,name=x]"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sps, err := parseSprintField(b)
		if err != nil {
			return
		}
		for _, s := range sps {
			if s.State != strings.ToLower(s.State) {
				t.Fatalf("%q: state %q not lower-cased", b, s.State)
			}
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"18w 2d", "1h 30m", "1.5h", "10s", "1e300w", "-1h", "3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		secs, err := parseDuration(s, 8, 5)
		if err == nil && secs < 0 {
			t.Fatalf("%q: %d seconds", s, secs)
		}
	})
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"7", "0.5", "Wed, 01 Jan 2025 12:00:30 GMT", "1e300", "NaN", "-1", "Inf"} {
		f.Add(s, "2025-01-01T12:01:00Z")
	}
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, retryAfterValue, reset string) {
		h := http.Header{}
		h.Set("Retry-After", retryAfterValue)
		h.Set("X-RateLimit-Reset", reset)
		d, ok := retryAfter(h, now)
		if ok && (d < 0 || d > 24*time.Hour) {
			t.Fatalf("Retry-After %q, reset %q: wait %v", retryAfterValue, reset, d)
		}
	})
}

func FuzzParseFieldList(f *testing.F) {
	f.Add([]byte(`[{"id":"customfield_10016","name":"Story point estimate","custom":true,"schema":{"type":"number","custom":"com.pyxis.greenhopper.jira:jsw-story-points"}}]`))
	f.Add([]byte(`[{"id":""},{"name":"x"}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fields, err := ParseFieldList(b)
		if err != nil {
			return
		}
		for _, fl := range fields {
			if fl.ID == "" {
				t.Fatalf("%q: a field without an id", b)
			}
		}
		// A catalog over any field list must not panic.
		NewCatalog(fields, configs.JiraFields{StoryPoints: "Story Points"}, configs.JiraRisk{IssueType: "Risk", Probability: "Probability"})
	})
}
