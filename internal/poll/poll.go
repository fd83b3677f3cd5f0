// Package poll waits, in tests, for a condition that nothing signals: a
// count at an endpoint, a file another process writes, rows a tap has
// gathered. It checks the condition every few milliseconds until it holds
// or the time allowed is up.
package poll

import (
	"testing"
	"time"
)

// Every is how often a condition is checked.
const Every = 10 * time.Millisecond

// Until returns once cond reports done. If it is not done within timeout,
// the test fails with the state cond last described (what was waited for,
// or how far it got). cond runs on the test's goroutine, so it may fail
// the test itself.
func Until(t testing.TB, timeout time.Duration, cond func() (done bool, state string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(Every)
	defer tick.Stop()
	for {
		done, state := cond()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, state)
		}
		<-tick.C
	}
}
