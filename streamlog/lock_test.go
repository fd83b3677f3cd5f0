package streamlog_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/streamlog"
)

// TestOneLogPerDataDirectory: a second log on a directory in use is
// refused at once, naming the process that has it, and touches nothing:
// the first goes on reading and writing; once it closes, the directory
// can be opened again.
func TestOneLogPerDataDirectory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first, err := streamlog.Open(ctx, streamlog.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Create(ctx, "clicks", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	second, err := streamlog.Open(ctx, streamlog.Config{Dir: dir})
	if err == nil {
		second.Close()
		t.Fatal("a second log opened a directory in use")
	}
	want := fmt.Sprintf("%s is in use by riffle serve (pid %d)", dir, os.Getpid())
	if !errors.Is(err, streamlog.ErrInUse) || !strings.Contains(err.Error(), want) {
		t.Fatalf("second open: %v, want %q", err, want)
	}
	if _, err := first.Append(ctx, "clicks", 0, []streamlog.Record{{Data: []byte("x"), Arrival: time.Now()}}); err != nil {
		t.Fatalf("the first log after the refused second: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := streamlog.Open(ctx, streamlog.Config{Dir: dir})
	if err != nil {
		t.Fatalf("reopening a directory no one holds: %v", err)
	}
	defer again.Close()
	recs, _, err := again.Read(ctx, "clicks", 0, streamlog.Seq{}, 10)
	if err != nil || len(recs) != 1 {
		t.Fatalf("after reopening: %d records (%v), want the 1 stored", len(recs), err)
	}
}
