package busy

import (
	"syscall"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/leakcheck"
	"github.com/riffle-sql/riffle/internal/poll"
)

// TestMain fails the package's tests if a spinner outlives its stop.
func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

// cpu is the CPU time the process has used.
func cpu(t *testing.T) time.Duration {
	t.Helper()
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		t.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// TestTheSpinnersBurnCPUUntilStopped: two spinners use CPU time (a test
// waiting on a condition uses next to none: the load is the spinners'),
// and stop ends them (the leak check after the tests holds it to that).
func TestTheSpinnersBurnCPUUntilStopped(t *testing.T) {
	before := cpu(t)
	stop := Start(2)
	defer stop()
	// However loaded the machine, the spinners get a second of CPU in
	// time; idle ones never would.
	poll.Until(t, time.Minute, func() (bool, string) {
		used := cpu(t) - before
		return used >= time.Second, "the process used " + used.String() + " of CPU since the spinners started"
	})
	stop()
	stop()
}
