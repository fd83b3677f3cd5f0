//go:build unix

// Package fdlimit raises a process's limit on open files: a server (and a
// soak that opens a connection for each client it plays) needs more than
// the usual soft limit of 1,024.
package fdlimit

import "syscall"

// Raise lifts the soft limit on open files to the hard one and returns it.
func Raise() (uint64, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, err
	}
	if r.Cur < r.Max {
		r.Cur = r.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
			return 0, err
		}
	}
	return uint64(r.Cur), nil
}
