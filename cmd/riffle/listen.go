package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/riffle-sql/riffle/internal/awsjson"
)

// isLoopback says whether a --listen address keeps the server to this
// machine; any other needs credentials (or an explicit --insecure).
func isLoopback(listen string) (bool, error) {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false, fmt.Errorf("--listen %q: %w", listen, err)
	}
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback(), nil
}

// shutdownGrace is how long requests under way may take to finish once
// the server stops; the rest are cut.
const shutdownGrace = time.Second

// serveUntilDone serves on ln until the server fails or ctx ends (a signal),
// then shuts down: it ends the streams that never finish by themselves
// (taps), lets other requests under way finish for a moment, and cuts
// what is left.
func serveUntilDone(ctx context.Context, ln net.Listener, handler http.Handler) error {
	requests, endRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer endRequests()
	// Headers must come within 10 s and an idle connection goes after 2
	// minutes; a body's time is the API's (awsjson's BodyTimeout), on
	// every path, whether its handler reads the body or not: a
	// server-wide read timeout would also end the taps' endless answers.
	handler = awsjson.BodyTimeLimit(handler, awsjson.DefaultBodyTimeout)
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return requests }}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	endRequests() // a tap's request context ends: its stream closes
	shutdown, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		srv.Close() // cut the connections still open
	}
	return nil
}
