package streamlog_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/riffle-sql/riffle/streamlog"
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
	ctx := context.Background()
	dir := t.TempDir()
	l, err := streamlog.Open(ctx, streamlog.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Create(ctx, "clicks", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	l.Close()
	meta := filepath.Join(dir, "jetstream", "$G", "streams", "rf_clicks", "meta.inf")
	if err := os.Remove(meta); err != nil {
		t.Fatal(err)
	}
	var log lockedBuffer
	l, err = streamlog.Open(ctx, streamlog.Config{Dir: dir, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), meta) {
		t.Fatalf("the log says nothing of the missing %s:\n%s", meta, log.String())
	}
}
