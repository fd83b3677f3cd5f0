// Package badport gives tests loopback addresses that fail as a URL's
// target can: a port nothing listens on, and a port that answers
// something other than HTTP.
package badport

import (
	"net"
	"testing"
)

// Closed is a loopback host:port nothing listens on (one that was free a
// moment ago).
func Closed(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// NotHTTP listens on a loopback port that answers every connection with
// an SSH banner, once it has read the request (so the client always reads
// a malformed answer rather than a reset), and returns its host:port. It
// stops when the test ends.
func NotHTTP(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Read(make([]byte, 4096))
			c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n"))
			c.Close()
		}
	}()
	return ln.Addr().String()
}
