package functions

import (
	"slices"
	"testing"
)

// TestDocumentedKindsMatchTheRegistry: a documented function that is
// registered is registered as what the reference says it is (a scalar as a
// scalar, an aggregate as an aggregate; analytic-only and table functions
// are the planner's, never in these registries), so that the messages for
// names that are documented but not registered are never given for a
// function Riffle has.
func TestDocumentedKindsMatchTheRegistry(t *testing.T) {
	for name, kind := range documented {
		_, scalar := LookupScalar(name)
		_, agg := LookupAggregate(name)
		switch {
		case scalar && kind != ScalarKind:
			t.Errorf("%s is registered as a scalar; the reference makes it kind %d", name, kind)
		case agg && kind != AggregateKind:
			t.Errorf("%s is registered as an aggregate; the reference makes it kind %d", name, kind)
		}
	}
	for _, name := range []string{"W3C_LOG_PARSE", "UPPER", "HOTSPOTS", "LAG", "VAR_POP"} {
		if !Documented(name) {
			t.Errorf("%s is in the SQL reference, Documented says no", name)
		}
	}
	for _, name := range []string{"FOO", "TRIM_BOTH", "upper", "SQRT"} {
		if Documented(name) {
			t.Errorf("%s is not a function name of the SQL reference, Documented says it is", name)
		}
	}
	if got := DocumentedTables(); !slices.Contains(got, "RANDOM_CUT_FOREST") || slices.Contains(got, "UPPER") {
		t.Errorf("DocumentedTables() = %v", got)
	}
	names := Names()
	for _, want := range []string{"FLOOR", "W3C_LOG_PARSE", "SQRT", "COUNT"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() lacks %s", want)
		}
	}
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Error("Names() is not sorted without repeats")
	}
}
