package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"time"
)

// tally counts outcomes by kind, with how long each took.
type tally struct {
	mu    sync.Mutex
	kinds []string // in the order first seen
	by    map[string]map[string][]time.Duration
}

func newTally() *tally {
	return &tally{by: map[string]map[string][]time.Duration{}}
}

func (t *tally) add(kind, outcome string, took time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.by[kind] == nil {
		t.by[kind] = map[string][]time.Duration{}
		t.kinds = append(t.kinds, kind)
	}
	t.by[kind][outcome] = append(t.by[kind][outcome], took)
}

// report prints one line per kind and outcome: how many, and the
// shortest, median and longest time.
func (t *tally) report(w io.Writer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.kinds) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, kind := range t.kinds {
		outcomes := t.by[kind]
		names := make([]string, 0, len(outcomes))
		for o := range outcomes {
			names = append(names, o)
		}
		slices.Sort(names)
		fmt.Fprintf(w, "  %s:\n", kind)
		for _, o := range names {
			d := slices.Clone(outcomes[o])
			slices.Sort(d)
			fmt.Fprintf(w, "    %6d %s (after %s, median %s, max %s)\n", len(d), o,
				seconds(d[0]), seconds(percentile(d, 50)), seconds(d[len(d)-1]))
		}
	}
}

func seconds(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted
// durations: the smallest one that at least p % of them do not exceed.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
