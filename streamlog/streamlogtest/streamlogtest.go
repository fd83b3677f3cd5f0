// Package streamlogtest opens stream logs for tests, as net/http/httptest
// starts servers for them: an embedded log in the test's temporary
// directory (or one on the configuration given), with its streams
// created, closed when the test ends.
package streamlogtest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
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

// Damage writes 16 KB of garbage an eighth of the way into the first
// block file of a stream of the embedded log in dir (closed), as a bad
// disk or a stray write would: JetStream then drops the batches from
// there on when it opens the stream again.
func Damage(t testing.TB, dir, stream string) {
	t.Helper()
	blk := filepath.Join(dir, "jetstream", "$G", "streams", "rf_"+stream, "msgs", "1.blk")
	st, err := os.Stat(blk)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(blk, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xa5}, 16<<10), st.Size()/8); err != nil {
		t.Fatal(err)
	}
}
