//go:build unix

package main

import (
	"syscall"
	"testing"
)

// TestTheFileLimitIsRaisedToTheHardOne: after riffle serve's start, its
// soft limit on open files is the hard one, and it keeps connections to
// half of it.
func TestTheFileLimitIsRaisedToTheHardOne(t *testing.T) {
	files, err := raiseFileLimit()
	if err != nil {
		t.Fatal(err)
	}
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		t.Fatal(err)
	}
	if r.Cur != r.Max || uint64(r.Cur) != files {
		t.Fatalf("soft limit %d, hard %d, raiseFileLimit said %d", r.Cur, r.Max, files)
	}
	if n := connectionsFor(files); n < 64 || n > 16384 || uint64(n) > files/2 && n != 64 {
		t.Fatalf("%d connections for %d files", n, files)
	}
}
