package streamlog_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDamagedStorageIsLoggedNotSilent: a stream whose metadata file is
// gone does not vanish without a word: the embedded server's warning,
// naming the file, reaches the log given to the stream log.
func TestDamagedStorageIsLoggedNotSilent(t *testing.T) {
	dir := t.TempDir()
	streamlogtest.OpenConfig(t, streamlog.Config{Dir: dir}, streamlogtest.Stream{Name: "clicks", Kind: "firehose", Shards: 1}).Close()
	meta := filepath.Join(dir, "jetstream", "$G", "streams", "rf_clicks", "meta.inf")
	if err := os.Remove(meta); err != nil {
		t.Fatal(err)
	}
	var log lockedBuffer
	streamlogtest.OpenConfig(t, streamlog.Config{Dir: dir, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), meta) {
		t.Fatalf("the log says nothing of the missing %s:\n%s", meta, log.String())
	}
}
