// Package streamlogtest opens stream logs for tests, as net/http/httptest
// starts servers for them: an embedded log in the test's temporary
// directory (or one on the configuration given), with its streams
// created, closed when the test ends.
package streamlogtest

import (
	"context"
	"testing"

	"github.com/riffle-sql/riffle/streamlog"
)

// Stream is a stream to create in a new log.
type Stream struct {
	Name   string
	Kind   string // "firehose" or "kinesis", as the APIs create them
	Shards int
}

// Open opens an embedded log in the test's temporary directory, creates
// the streams, and closes the log when the test ends.
func Open(t testing.TB, streams ...Stream) *streamlog.Log {
	t.Helper()
	return OpenConfig(t, streamlog.Config{Dir: t.TempDir()}, streams...)
}

// OpenConfig is Open on a configuration of the test's: an external NATS
// server (URL), or a directory that a test reopens to restart the log.
// A test may close the log itself; closing it again at the end is
// harmless.
func OpenConfig(t testing.TB, cfg streamlog.Config, streams ...Stream) *streamlog.Log {
	t.Helper()
	l, err := streamlog.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open the log: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("close the log: %v", err)
		}
	})
	Create(t, l, streams...)
	return l
}

// Create creates streams in an open log.
func Create(t testing.TB, l *streamlog.Log, streams ...Stream) {
	t.Helper()
	for _, s := range streams {
		if err := l.Create(context.Background(), s.Name, s.Kind, s.Shards); err != nil {
			t.Fatalf("create stream %s: %v", s.Name, err)
		}
	}
}
