// Package leakcheck fails a package's tests when a goroutine outlives
// them (go.uber.org/goleak), with the one list of goroutines that are not
// Riffle's to stop.
package leakcheck

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// ignored are goroutines that libraries leave behind by themselves.
var ignored = []goleak.Option{
	// nats.go's JetStream publisher waits on a connection-status channel
	// that can be nil when the connection closed before it started; it
	// blocks for ever with nothing held (nats.go v1.55).
	goleak.IgnoreTopFunction("github.com/nats-io/nats.go/jetstream.(*jetStream).resetPendingAcksOnReconnect"),
}

// VerifyTestMain runs the tests, then fails if goroutines are left.
func VerifyTestMain(m *testing.M) {
	goleak.VerifyTestMain(m, ignored...)
}

// Run runs the tests and checks for leaks as VerifyTestMain does, for a
// TestMain that has more to do; it returns the exit code.
func Run(m *testing.M) int {
	code := m.Run()
	if code != 0 {
		return code
	}
	if err := goleak.Find(ignored...); err != nil {
		fmt.Fprintf(os.Stderr, "goleak: goroutines outlived the tests: %v\n", err)
		return 1
	}
	return 0
}
