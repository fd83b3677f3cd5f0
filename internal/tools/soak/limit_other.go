//go:build !unix

package main

// raiseFileLimit has no limit to raise here; the soak assumes enough.
func raiseFileLimit() (uint64, error) { return 1 << 20, nil }
