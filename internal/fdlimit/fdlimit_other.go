//go:build !unix

// Package fdlimit raises a process's limit on open files: a server (and a
// soak that opens a connection for each client it plays) needs more than
// the usual soft limit of 1,024.
package fdlimit

// Raise has nothing to raise here: it returns the usual limit of a
// process's handles, which stands.
func Raise() (uint64, error) { return 8192, nil }
