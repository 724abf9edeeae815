package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
)

// RequestError is a failed Jira request: it names the request (method, URL path,
// HTTP status) so a person can tell which call failed and why, and tells the
// scheduler whether trying the whole run again later may help.
type RequestError struct {
	Method string
	// Path is the URL path below the site, without the query (which may be long JQL).
	Path string
	// Status is the HTTP status code; 0 when no response arrived (network error).
	Status int
	// Message is Jira's own error text (errorMessages/errors), or a short body excerpt.
	Message string
	// Attempts is how many times the request was sent.
	Attempts int
	// Err is the underlying error (network, decoding), if any.
	Err error
}

func (e *RequestError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", e.Method, e.Path)
	switch {
	case e.Status != 0:
		fmt.Fprintf(&b, ": HTTP %d %s", e.Status, http.StatusText(e.Status))
	default:
		b.WriteString(": no response")
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *RequestError) Unwrap() error { return e.Err }

// Retryable reports whether running the sync again later may succeed: the server
// was overloaded, rate-limited or unreachable even after the transport's own
// retries. Bad credentials, missing permissions, bad JQL and malformed responses
// are not retryable.
func (e *RequestError) Retryable() bool {
	if e.Status == 0 {
		return e.Err != nil && !errors.Is(e.Err, context.Canceled) && !isDecodeError(e.Err)
	}
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// decodeError marks a response whose body was not the JSON we expected.
type decodeError struct{ err error }

func (d *decodeError) Error() string { return "decoding response: " + d.err.Error() }
func (d *decodeError) Unwrap() error { return d.err }

func isDecodeError(err error) bool {
	var d *decodeError
	return errors.As(err, &d)
}

// errorMessage extracts Jira's error text from an error response body, falling
// back to a short excerpt of a non-JSON body (an HTML error page, a proxy's text).
func errorMessage(body io.Reader) string {
	raw, _ := io.ReadAll(io.LimitReader(body, 8<<10))
	var je struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
		Message       string            `json:"message"`
	}
	if json.Unmarshal(raw, &je) == nil {
		msgs := append([]string(nil), je.ErrorMessages...)
		keys := make([]string, 0, len(je.Errors))
		for k := range je.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			msgs = append(msgs, k+": "+je.Errors[k])
		}
		if je.Message != "" {
			msgs = append(msgs, je.Message)
		}
		if len(msgs) > 0 {
			return strings.Join(msgs, "; ")
		}
	}
	s := strings.Join(strings.Fields(string(raw)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
