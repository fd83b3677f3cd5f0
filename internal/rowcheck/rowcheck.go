// Package rowcheck compares the rows of an in-application stream seen live
// across a crash with those of a run that did not crash (for tests).
package rowcheck

import (
	"encoding/json"
	"fmt"
	"time"
)

// AcrossACrash compares live rows (distinct JSON lines, re-emitted ones
// counted once) with the rows of an uninterrupted run. Windows close in
// order, so every expected row up to the last one seen live must have been
// seen, and no live row may differ; the uninterrupted run may go further
// (it also closes the windows still open at the end of its input). It
// returns how many expected rows that covers and each difference found.
func AcrossACrash(expected, live []string) (covered int, problems []string, err error) {
	seen := map[string]bool{}
	var last time.Time
	for _, row := range live {
		at, err := rowtime(row)
		if err != nil {
			return 0, nil, err
		}
		seen[row] = true
		if at.After(last) {
			last = at
		}
	}
	all := map[string]bool{}
	for _, row := range expected {
		at, err := rowtime(row)
		if err != nil {
			return 0, nil, err
		}
		all[row] = true
		if at.After(last) {
			continue
		}
		covered++
		if !seen[row] {
			problems = append(problems, "missing live: "+row)
		}
	}
	for row := range seen {
		if !all[row] {
			problems = append(problems, "not in the uninterrupted run: "+row)
		}
	}
	if len(seen) != covered {
		problems = append(problems, fmt.Sprintf("%d distinct rows live for %d windows", len(seen), covered))
	}
	return covered, problems, nil
}

func rowtime(row string) (time.Time, error) {
	var r struct{ ROWTIME time.Time }
	if err := json.Unmarshal([]byte(row), &r); err != nil {
		return time.Time{}, fmt.Errorf("row %q: %w", row, err)
	}
	return r.ROWTIME, nil
}
