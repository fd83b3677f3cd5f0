package poll

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestUntilWaitsForTheCondition: a condition that becomes true elsewhere
// ends the wait.
func TestUntilWaitsForTheCondition(t *testing.T) {
	var ready atomic.Bool
	timer := time.AfterFunc(3*Every, func() { ready.Store(true) })
	defer timer.Stop()
	Until(t, time.Minute, func() (bool, string) { return ready.Load(), "waiting for the timer" })
}

// recorder is a testing.TB that keeps the failure instead of failing.
type recorder struct {
	testing.TB
	failure string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failure = fmt.Sprintf(format, args...)
	panic(r)
}

// TestUntilFailsWithTheLastState: a condition that never holds fails the
// test after the timeout, saying how far it got.
func TestUntilFailsWithTheLastState(t *testing.T) {
	r := &recorder{TB: t}
	checks := 0
	func() {
		defer func() {
			if p := recover(); p != r {
				panic(p)
			}
		}()
		Until(r, 3*Every, func() (bool, string) {
			checks++
			return false, fmt.Sprintf("%d checks", checks)
		})
		t.Fatal("Until returned without the condition")
	}()
	if !strings.HasSuffix(r.failure, fmt.Sprintf(": %d checks", checks)) || checks < 2 {
		t.Fatalf("failure %q after %d checks", r.failure, checks)
	}
}
