package streamlogtest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/riffle-sql/riffle/internal/leakcheck"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// TestMain fails the package's tests if a log outlives its test.
func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

// TestOpenCreatesTheStreamsAndAReopenFindsThem: the streams asked for are
// there with their kinds and shards, and a log closed by the test and
// reopened on its directory has them still.
func TestOpenCreatesTheStreamsAndAReopenFindsThem(t *testing.T) {
	dir := t.TempDir()
	want := "[{a firehose 1} {b kinesis 3}]"
	l := streamlogtest.OpenConfig(t, streamlog.Config{Dir: dir}, streamlogtest.Stream{Name: "a", Kind: "firehose", Shards: 1}, streamlogtest.Stream{Name: "b", Kind: "kinesis", Shards: 3})
	if got := streams(t, l); got != want {
		t.Fatalf("streams %s, want %s", got, want)
	}
	l.Close()
	if got := streams(t, streamlogtest.OpenConfig(t, streamlog.Config{Dir: dir})); got != want {
		t.Fatalf("after a reopen: streams %s, want %s", got, want)
	}
	if got := streams(t, streamlogtest.Open(t)); got != "[]" {
		t.Fatalf("a new log has streams %s", got)
	}
}

func streams(t *testing.T, l *streamlog.Log) string {
	t.Helper()
	infos, err := l.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	out := []streamlogtest.Stream{}
	for _, info := range infos {
		out = append(out, streamlogtest.Stream{Name: info.Name, Kind: info.Kind, Shards: info.Shards})
	}
	return fmt.Sprint(out)
}
