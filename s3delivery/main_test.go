package s3delivery

import (
	"testing"

	"github.com/riffle-sql/riffle/internal/leakcheck"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }
