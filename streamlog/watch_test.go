package streamlog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// signalled waits for a watch's signal (or fails after a generous time).
func signalled(t *testing.T, w *streamlog.Watch, what string) {
	t.Helper()
	select {
	case <-w.C:
	case <-time.After(20 * time.Second):
		t.Fatalf("no signal for %s", what)
	}
}

// TestAWatchSignalsWhatAnyNodeAppends: two nodes share a NATS server;
// a reader watching a stream on one node is signalled for that node's
// appends and for the other node's, whether the node watches a few
// streams (a request each) or many (one listing), and when the stream is
// deleted.
func TestAWatchSignalsWhatAnyNodeAppends(t *testing.T) {
	for _, streams := range []int{1, 9} {
		t.Run(fmt.Sprintf("streams=%d", streams), func(t *testing.T) {
			ctx := context.Background()
			url := natstest.Start(t)
			a := streamlogtest.OpenConfig(t, streamlog.Config{URL: url})
			b := streamlogtest.OpenConfig(t, streamlog.Config{URL: url})
			var watches []*streamlog.Watch
			for i := range streams {
				name := fmt.Sprintf("s%d", i)
				streamlogtest.Create(t, a, streamlogtest.Stream{Name: name, Kind: "kinesis", Shards: 2})
				w, err := a.Watch(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				defer w.Stop()
				watches = append(watches, w)
			}
			last := fmt.Sprintf("s%d", streams-1)
			w := watches[streams-1]
			rec := []streamlog.Record{{Data: []byte("x"), Arrival: time.Now()}}
			if _, err := a.Append(ctx, last, 1, rec); err != nil {
				t.Fatal(err)
			}
			signalled(t, w, "this node's append")
			if _, err := b.Append(ctx, last, 0, rec); err != nil {
				t.Fatal(err)
			}
			signalled(t, w, "the other node's append")
			if err := b.Delete(ctx, last); err != nil {
				t.Fatal(err)
			}
			signalled(t, w, "the stream deleted by the other node")
		})
	}
}
