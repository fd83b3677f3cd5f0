//go:build !unix

package main

// raiseFileLimit has nothing to raise here: the usual limit stands.
func raiseFileLimit() (uint64, error) { return 8192, nil }
