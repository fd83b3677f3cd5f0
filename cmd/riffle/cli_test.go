package main

import (
	"net"
	"strings"
	"testing"
)

// firstLine is the first line of a command's error, as riffle prints it.
func firstLine(err error) string {
	if err == nil {
		return ""
	}
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}

// closedAddress is a loopback address nothing listens on.
func closedAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// TestCommandsWithoutAServerSaySo: each command that calls riffle serve
// fails, when nothing listens at --server, with a line naming the address
// and how to start a server, not the dial's error.
func TestCommandsWithoutAServerSaySo(t *testing.T) {
	server := closedAddress(t)
	want := "cannot reach riffle serve at " + server + ": is it running? start one with: riffle serve"
	for _, args := range [][]string{
		{"apps", "list", "--server", server},
		{"apps", "describe", "lab", "--server", server},
		{"apps", "delete", "lab", "--server", server},
		{"tail", "lab", "DESTINATION_SQL_STREAM", "--server", server},
		{"cluster", "status", "--server", server},
		{"gen", "--template", "{}", "--stream", "lab", "--endpoint-url", server},
	} {
		_, _, err := runRiffle(t, args...)
		if got := firstLine(err); got != want {
			t.Errorf("riffle %s: error %q, want %q", strings.Join(args, " "), got, want)
		}
	}
}
