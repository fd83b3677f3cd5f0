// Package throttle keeps a loop that meets the same error again and again
// from spinning or flooding the log: a backoff that doubles while the
// error lasts, and a log that says the first time and then at most once an
// interval, with how many it left out. Neither is safe for concurrent use:
// each belongs to the one loop that owns it.
package throttle

import (
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"
)

// Backoff is the wait after each of a run of failures: Min, doubling up to
// Max; Reset after a success.
type Backoff struct {
	Min, Max time.Duration
	failures int
}

// Next counts a failure and returns how long to wait before trying again.
func (b *Backoff) Next() time.Duration {
	d := b.Min << min(b.failures, 30)
	if d > b.Max || d <= 0 {
		d = b.Max
	}
	b.failures++
	return d
}

// Failing says whether the last try failed.
func (b *Backoff) Failing() bool { return b.failures > 0 }

// Reset ends a run of failures.
func (b *Backoff) Reset() { b.failures = 0 }

// Log writes an error at most once an interval.
type Log struct {
	Logger *slog.Logger
	Every  time.Duration
	Clock  clockwork.Clock
	last   time.Time
	held   int
}

// Error logs msg now if the last one went out at least Every ago (saying
// how many were left out since), or counts it.
func (l *Log) Error(msg string, args ...any) {
	now := l.Clock.Now()
	if !l.last.IsZero() && now.Sub(l.last) < l.Every {
		l.held++
		return
	}
	if l.held > 0 {
		args = append(args, "repeated", l.held)
	}
	l.last, l.held = now, 0
	l.Logger.Error(msg, args...)
}
