package rowcheck

import (
	"strings"
	"testing"
)

func TestAcrossACrash(t *testing.T) {
	w := func(sec, n string) string { return `{"ROWTIME":"2026-11-01T00:00:` + sec + `.000Z","N":` + n + `}` }
	expected := []string{w("10", "1"), w("20", "2"), w("30", "3"), w("40", "4")}
	for _, c := range []struct {
		name    string
		live    []string
		covered int
		problem string
	}{
		{"all up to the last seen", []string{w("10", "1"), w("20", "2"), w("30", "3")}, 3, ""},
		{"a window lost", []string{w("10", "1"), w("30", "3")}, 3, "missing live: " + w("20", "2")},
		{"a window counted twice", []string{w("10", "1"), w("20", "4")}, 2, "not in the uninterrupted run: " + w("20", "4")},
	} {
		covered, problems, err := AcrossACrash(expected, c.live)
		if err != nil {
			t.Fatal(err)
		}
		if covered != c.covered || (c.problem == "") != (len(problems) == 0) || c.problem != "" && !strings.Contains(strings.Join(problems, "\n"), c.problem) {
			t.Errorf("%s: covered %d, problems %q; want %d, %q", c.name, covered, problems, c.covered, c.problem)
		}
	}
	if _, _, err := AcrossACrash([]string{"not json"}, nil); err == nil {
		t.Error("a row that is not JSON passed")
	}
}
