//go:build unix

package fdlimit

import (
	"syscall"
	"testing"
)

// TestTheLimitIsRaisedToTheHardOne: after Raise, the soft limit on open
// files is the hard one, and Raise says which.
func TestTheLimitIsRaisedToTheHardOne(t *testing.T) {
	files, err := Raise()
	if err != nil {
		t.Fatal(err)
	}
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		t.Fatal(err)
	}
	if r.Cur != r.Max || uint64(r.Cur) != files {
		t.Fatalf("soft limit %d, hard %d, Raise said %d", r.Cur, r.Max, files)
	}
}
