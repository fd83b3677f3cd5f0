package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/fdlimit"
)

// TestConnectionsBeyondTheLimitAreRefusedClearly: with a limit of two,
// a third connection is answered 503 ServiceUnavailableException (which
// SDKs retry) and closed, while the two held are served; once one closes,
// a new connection is served again.
func TestConnectionsBeyondTheLimitAreRefusedClearly(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := limitConnections(inner, 2)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "served") })}
	go srv.Serve(ln)
	defer srv.Close()
	get := func(c net.Conn) string {
		t.Helper()
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1000))
		resp.Body.Close()
		return resp.Status + " " + string(body)
	}
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if got := get(c); !strings.HasPrefix(got, "200") {
			t.Fatalf("a connection within the limit: %s", got)
		}
		held = append(held, c)
	}
	third, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	resp, err := http.ReadResponse(bufio.NewReader(third), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "ServiceUnavailableException") || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a connection over the limit: %s %s", resp.Status, body)
	}
	held[0].Close()
	// The slot comes back once the server sees the close: a new connection
	// is served then (tried until it is, each refusal answered as above).
	deadline := time.Now().Add(time.Minute) // a bound for the test, not the assertion
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		got := get(c)
		c.Close()
		if strings.HasPrefix(got, "200") {
			break
		}
		if !strings.HasPrefix(got, "503") {
			t.Fatalf("after a close: %s", got)
		}
	}
	if time.Now().After(deadline) {
		t.Fatal("the closed connection's slot never came back")
	}
}

// TestConnectionsAreHalfTheFileLimit: riffle serve keeps connections to
// half its limit on open files (raised to the hard one), between 64 and
// 16,384.
func TestConnectionsAreHalfTheFileLimit(t *testing.T) {
	files, err := fdlimit.Raise()
	if err != nil {
		t.Fatal(err)
	}
	if n := connectionsFor(files); n < 64 || n > 16384 || uint64(n) > files/2 && n != 64 {
		t.Fatalf("%d connections for %d files", n, files)
	}
	for files, want := range map[uint64]int{100: 64, 2048: 1024, 1 << 20: 16384} {
		if n := connectionsFor(files); n != want {
			t.Errorf("%d files: %d connections, want %d", files, n, want)
		}
	}
}
