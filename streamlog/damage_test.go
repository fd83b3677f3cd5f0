package streamlog_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/internal/logtest"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

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
	var log logtest.Buffer
	streamlogtest.OpenConfig(t, streamlog.Config{Dir: dir, Logger: log.Logger()})
	if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), meta) {
		t.Fatalf("the log says nothing of the missing %s:\n%s", meta, log.String())
	}
}
