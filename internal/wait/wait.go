// Package wait waits on an injected clock, so that tests can drive the
// time a loop waits.
package wait

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"
)

// Sleep waits d on the clock, or until ctx ends (false). Its timer is
// stopped on the way out, so a fake clock counts the caller as waiting
// only while it waits.
func Sleep(ctx context.Context, clock clockwork.Clock, d time.Duration) bool {
	t := clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.Chan():
		return true
	}
}
