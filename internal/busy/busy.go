// Package busy loads the machine for tests that must hold on a busy one
// (a shared CI runner, other test binaries at work): goroutines that keep
// cores busy until stopped. They share the test's own scheduler, the
// harsher case for a test's goroutines; Debian's stress loads from outside.
package busy

import (
	"sync"
	"sync/atomic"
)

// Start spins n goroutines, each keeping a core busy, until stop, which
// ends them and returns once they are gone (stop may be called again).
func Start(n int) (stop func()) {
	var done atomic.Bool
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for !done.Load() { // nothing but the check: a spin the runtime preempts
			}
		})
	}
	return sync.OnceFunc(func() {
		done.Store(true)
		wg.Wait()
	})
}
