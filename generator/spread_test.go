package generator

import (
	"testing"
	"time"
)

// TestASpreadKeepsTheMeanRate: with a Gaussian spread per second, low rates
// keep their mean (fractions carry over), high ones stay near it.
func TestASpreadKeepsTheMeanRate(t *testing.T) {
	for _, c := range []struct{ rate, spread float64 }{{0.3, 0.1}, {5, 5}} {
		got := times(Sender{Rate: c.rate, Spread: c.spread, Duration: 2000 * time.Second}, 0, 1<<22)
		mean := float64(len(got)) / 2000
		t.Logf("rate %v spread %v: mean %.3f records/s", c.rate, c.spread, mean)
		if mean < 0.9*c.rate || mean > 1.1*c.rate {
			t.Errorf("rate %v spread %v: mean %.3f records/s", c.rate, c.spread, mean)
		}
	}
}
