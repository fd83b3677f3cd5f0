package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// TestAPausedOwnerDeliversNothingAfterTheTakeover: each node has its own
// clock. Node A runs the application; its destination is down, so rows
// wait in its output (and in its checkpoint). Then A's clock stops, as a
// SIGSTOPped process's does: it renews nothing, and node B, whose clock
// goes on, takes the lease over once it stayed unrenewed for the TTL,
// resumes from A's checkpoint and delivers the rows. A's destination comes
// back and A's clock jumps on, as after SIGCONT: A's sender, its loop and
// its renewals all wake at once. A delivers no row and writes no
// checkpoint: the fence holds its rows back until the renewal finds the
// lease taken and stops the application.
func TestAPausedOwnerDeliversNothingAfterTheTakeover(t *testing.T) {
	ctx := context.Background()
	url := natstest.Start(t)
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clockA, clockB := clockwork.NewFakeClockAt(t0), clockwork.NewFakeClockAt(t0)
	fnA, fnB := &switchable{recorder: newRecorder()}, newRecorder()
	fnA.down.Store(true)
	node := func(name string, clock clockwork.Clock, fn destination.Function, streams ...streamlogtest.Stream) (*Manager, *streamlog.Log) {
		l := streamlogtest.OpenConfig(t, streamlog.Config{URL: url}, streams...)
		m, err := NewManager(ctx, l, Options{Node: name, LeaseTTL: 4 * time.Second, Clock: clock,
			Checkpoint: 500 * time.Millisecond, Poll: 100 * time.Millisecond,
			Functions: map[string]destination.Function{"sink": fn}, Delivery: fastDelivery})
		if err != nil {
			t.Fatal(err)
		}
		return m, l
	}
	a, l := node("node-a", clockA, fnA, streamlogtest.Stream{Name: "clicks", Kind: "firehose", Shards: 1})
	defer a.Close()
	b, _ := node("node-b", clockB, fnB)
	defer b.Close()

	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	out := Output{Name: "DESTINATION_SQL_STREAM", Format: "JSON", Kind: LambdaOutput, Target: "sink"}
	if _, err := a.Create(ctx, Application{Name: "lab", Code: passSQL, Inputs: []Input{in}, Outputs: []Output{out}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	var recs []streamlog.Record
	for i := range 3 {
		recs = append(recs, streamlog.Record{Data: fmt.Appendf(nil, `{"browseraction":"Click","site":"s-%d"}`, i), Arrival: t0})
	}
	if _, err := l.Append(ctx, "clicks", 0, recs); err != nil {
		t.Fatal(err)
	}
	// One poll of A past the settle wait: the rows come out, A's
	// destination refuses them, and a checkpoint holds them.
	clockA.Advance(600 * time.Millisecond)
	poll.Until(t, 30*time.Second, func() (bool, string) {
		attempts := fnA.tries.Load()
		c, _, _, err := a.store.LoadCheckpoint(ctx, Application{Name: "lab", UID: mustGet(t, a, "lab").UID})
		pending := 0
		for _, st := range c.Outputs {
			pending += len(st.Pending)
		}
		return attempts > 0 && pending == 3, fmt.Sprintf("A tried %d sends; its checkpoint holds %d rows (%v)", attempts, pending, err)
	})

	// A is paused: only B's clock moves, a scan at a time, until B runs
	// the application and has delivered its three rows.
	for i := 0; ; i++ {
		if i == 20 {
			t.Fatalf("node B did not take lab over in 20 s of its time; it runs %v", b.Running())
		}
		if len(b.Running()) == 1 {
			break
		}
		scans := b.cluster.scans.Load()
		clockB.Advance(time.Second)
		poll.Until(t, 30*time.Second, func() (bool, string) {
			return b.cluster.scans.Load() > scans, "waiting for B's scan"
		})
	}
	poll.Until(t, 30*time.Second, func() (bool, string) {
		return fnB.delivered() == 3, fmt.Sprintf("B delivered %d rows", fnB.delivered())
	})
	if h, _, err := b.store.head(ctx, "lab"); err != nil || h.Node != "node-b" {
		t.Fatalf("after the takeover the checkpoint head is %+v (%v), want written by node-b", h, err)
	}

	// A wakes: its destination is up again, its clock jumps on.
	fnA.down.Store(false)
	clockA.Advance(10 * time.Second)
	poll.Until(t, 30*time.Second, func() (bool, string) {
		return len(a.Running()) == 0, "A still runs lab"
	})
	a.Close() // waits for A's senders and loops to end
	if n := fnA.delivered(); n > 0 {
		t.Errorf("the paused node delivered %d rows after the takeover", n)
	}
	if h, _, err := b.store.head(ctx, "lab"); err != nil || h.Node != "node-b" {
		t.Errorf("after A woke the checkpoint head is %+v (%v), want still node-b's", h, err)
	}
	if got := b.Running(); len(got) != 1 {
		t.Errorf("B runs %v, want lab", got)
	}
}

func mustGet(t *testing.T, m *Manager, name string) Application {
	t.Helper()
	a, err := m.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
