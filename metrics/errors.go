package metrics

import "fmt"

// errorf prefixes configuration and input errors with the package name so a person
// reading a sync log knows which layer rejected the value.
func errorf(format string, args ...any) error {
	return fmt.Errorf("metrics: "+format, args...)
}
