package app

import (
	"testing"

	"github.com/riffle-sql/riffle/internal/leakcheck"
)

// TestMain fails the package's tests if any goroutine outlives them: every
// running application, sender and server a test starts must be stopped.
func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }
