package ingest

import (
	"testing"

	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/streamlog"
)

// TestAgainstAnExternalNATSServer runs the API suites with the log on a
// separate nats-server process, as `riffle serve --nats URL` does.
// scripts/test installs nats-server (go install); without it the test fails
// and says so.
func TestAgainstAnExternalNATSServer(t *testing.T) {
	cfg := streamlog.Config{URL: natstest.Start(t)}
	srv, l := newServerOn(t, cfg)
	firehoseSuite(t, srv, l)
	kinesisSuite(t, srv)
}
