package warehouse

import (
	"reflect"
	"testing"
)

func TestScopeCondition(t *testing.T) {
	for _, tc := range []struct {
		portfolios, programs []string
		cond                 string
		args                 []any
	}{
		{nil, nil, "FALSE", nil},
		{[]string{"Hospital IT"}, nil, "(p IN (?))", []any{"Hospital IT"}},
		{nil, []string{"EHR", "PACS"}, "(g IN (?, ?))", []any{"EHR", "PACS"}},
		{[]string{"A"}, []string{"B"}, "(p IN (?) OR g IN (?))", []any{"A", "B"}},
	} {
		cond, args := ScopeCondition("p", "g", tc.portfolios, tc.programs)
		if cond != tc.cond || !reflect.DeepEqual(args, tc.args) {
			t.Errorf("%v %v: %q %v, want %q %v", tc.portfolios, tc.programs, cond, args, tc.cond, tc.args)
		}
	}
}
