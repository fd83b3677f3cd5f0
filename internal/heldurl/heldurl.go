// Package heldurl is a URL for tests that answers only when the test lets
// it: a stand-in for a slow or hung server (a reference file's URL, a
// function) with no clock involved, so a test can tell "did not wait for
// it" from "was fast enough".
package heldurl

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Server answers every request with Body, except that from the Hold-th
// request on (1 is the first) it waits until Release.
type Server struct {
	URL       string
	requested chan struct{}
	release   chan struct{}
	once      sync.Once
}

// New serves body, holding requests from the hold-th on, until the test
// ends (when it lets them go).
func New(t testing.TB, body string, hold int) *Server {
	s := &Server{requested: make(chan struct{}), release: make(chan struct{})}
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if int(n.Add(1)) >= hold {
			if int(n.Load()) == hold {
				close(s.requested)
			}
			select {
			case <-s.release:
			case <-r.Context().Done():
				return
			}
		}
		w.Write([]byte(body))
	}))
	s.URL = srv.URL
	t.Cleanup(func() {
		s.Release() // first: the server's Close waits for its handlers
		srv.Close()
	})
	return s
}

// Requested is closed once the first held request has come.
func (s *Server) Requested() <-chan struct{} { return s.requested }

// Release lets the held requests (and any later one) be answered.
func (s *Server) Release() { s.once.Do(func() { close(s.release) }) }

// hangGuard turns a call that waits for the held URL (it would never
// return before the release) into a failure; it is no clock margin.
const hangGuard = 30 * time.Second

// Meanwhile fails the test unless call returns, without error, while the
// URL still holds its requests: whatever call does must not wait for them.
func (s *Server) Meanwhile(t testing.TB, what string, call func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-s.release:
		t.Fatalf("%s: the URL was released before the call returned", what)
	case <-time.After(hangGuard):
		t.Fatalf("%s waited for the held URL", what)
	}
}
