package main

import (
	"errors"
	"net"
	"net/http"
	"syscall"
)

// unreachableError is a request to riffle serve that found no server: the
// address refuses connections or does not resolve. It says how to start one
// rather than "dial tcp ...: connection refused".
type unreachableError struct {
	server string // scheme://host as requested
	err    error
}

func (e *unreachableError) Error() string {
	return "cannot reach riffle serve at " + e.server + ": is it running? start one with: riffle serve"
}

func (e *unreachableError) Unwrap() error { return e.err }

// reachTransport is the transport of the CLI's clients of riffle serve:
// a failed dial becomes an unreachableError naming the server.
type reachTransport struct{ base http.RoundTripper }

func (t reachTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil && noServer(err) {
		return nil, &unreachableError{server: req.URL.Scheme + "://" + req.URL.Host, err: err}
	}
	return resp, err
}

// serveClient is the HTTP client of every CLI command that talks to
// riffle serve (riffle apps, tail, cluster, gen).
func serveClient() *http.Client {
	return &http.Client{Transport: reachTransport{base: http.DefaultTransport}}
}

// noServer tells a dial that found nothing listening (or no such host)
// from other failures, which keep their own message.
func noServer(err error) bool {
	var dns *net.DNSError
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &dns) || (errors.As(err, &op) && op.Op == "dial" && errors.Is(err, syscall.EHOSTUNREACH))
}

// asUnreachable returns the unreachableError in err's chain, or nil.
func asUnreachable(err error) error {
	var u *unreachableError
	if errors.As(err, &u) {
		return u
	}
	return nil
}
