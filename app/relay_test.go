package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// oddSQL fills, beside DESTINATION_SQL_STREAM, a stream whose name holds
// what NATS subjects cannot (dots, a space, wildcards).
const oddSQL = `CREATE STREAM "DESTINATION_SQL_STREAM" (action VARCHAR(16), site VARCHAR(64));
CREATE STREAM "odd. name*>" (site VARCHAR(64));
CREATE PUMP p AS INSERT INTO "DESTINATION_SQL_STREAM" SELECT STREAM "browseraction", "site" FROM "SOURCE_SQL_STREAM_001";
CREATE PUMP q AS INSERT INTO "odd. name*>" SELECT STREAM "site" FROM "SOURCE_SQL_STREAM_001";`

// sitesOf reads the SITE of each row.
func sitesOf(t *testing.T, rows [][]byte) []string {
	t.Helper()
	var sites []string
	for _, row := range rows {
		var r struct{ SITE string }
		if err := json.Unmarshal(row, &r); err != nil {
			t.Fatalf("row %s: %v", row, err)
		}
		sites = append(sites, r.SITE)
	}
	return sites
}

// nextSites reads n rows from a tap, failing if they do not come.
func nextSites(t *testing.T, rows <-chan []byte, n int) []string {
	t.Helper()
	var got [][]byte
	for len(got) < n {
		select {
		case row, ok := <-rows:
			if !ok {
				t.Fatalf("the tap ended after %s", sitesOf(t, got))
			}
			got = append(got, row)
		case <-time.After(30 * time.Second): // a guard: the rows are on their way
			t.Fatalf("the tap gave %v, then nothing", sitesOf(t, got))
		}
	}
	return sitesOf(t, got)
}

func sites(prefix string, from, to int) []string {
	var s []string
	for i := from; i < to; i++ {
		s = append(s, fmt.Sprintf("%s-%d", prefix, i))
	}
	return s
}

// TestATapThroughAnotherNodeGetsTheOwnersRows: two nodes share one
// nats-server and node-1 runs the application. Through node-2, its
// streams are listed and a tap of a stream whose name NATS subjects could
// not hold gives the recent rows, then each new row once, in order, as
// does a second tap that joins later. Once both taps are cancelled,
// node-1 stops relaying: rows that come then are not sent to anyone. A
// tap through node-2 ends when the application stops on node-1.
func TestATapThroughAnotherNodeGetsTheOwnersRows(t *testing.T) {
	ctx := context.Background()
	url := natstest.Start(t)
	l1 := streamlogtest.OpenConfig(t, streamlog.Config{URL: url}, streamlogtest.Stream{Name: "clicks", Kind: "firehose", Shards: 1})
	l2 := streamlogtest.OpenConfig(t, streamlog.Config{URL: url})
	var nodes []*Manager
	for i, l := range []*streamlog.Log{l1, l2} {
		m, err := NewManager(ctx, l, Options{Node: fmt.Sprintf("node-%d", i+1), Poll: 10 * time.Millisecond, Checkpoint: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		nodes = append(nodes, m)
	}
	n1, n2 := nodes[0], nodes[1]
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	if _, err := n1.Create(ctx, Application{Name: "lab", Code: oddSQL, Inputs: []Input{in}}); err != nil {
		t.Fatal(err)
	}
	if err := n1.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	const odd = "odd. name*>"
	// ownerHas waits until the owner's own tap of a stream holds a site.
	ownerHas := func(stream, site string) {
		t.Helper()
		poll.Until(t, 30*time.Second, func() (bool, string) {
			recent, _, cancel, err := n1.Tap(ctx, "lab", stream)
			if err != nil {
				t.Fatal(err)
			}
			cancel()
			got := sitesOf(t, recent)
			return slices.Contains(got, site), fmt.Sprintf("node-1's %s has %v, not %s", stream, got, site)
		})
	}
	sendSites(t, l1, "before", 3)
	ownerHas(odd, "before-2")

	want, _ := n1.Streams(ctx, "lab")
	if got, err := n2.Streams(ctx, "lab"); err != nil || !slices.Equal(got, want) || !slices.Contains(got, odd) {
		t.Fatalf("streams through node-2: %q (%v), want %q", got, err, want)
	}
	// Every message relayed, as anyone on the NATS server sees them.
	var seenMu sync.Mutex
	var seen []string
	watching, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	if _, err := l2.Subscribe(watching, "riffle.tap.rows.>", func(m streamlog.Msg) {
		seenMu.Lock()
		defer seenMu.Unlock()
		seen = append(seen, string(m.Data))
	}); err != nil {
		t.Fatal(err)
	}

	recent, rows, cancel, err := n2.Tap(ctx, "lab", odd)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	if got := sitesOf(t, recent); !slices.Equal(got, sites("before", 0, 3)) {
		t.Fatalf("recent rows through node-2: %v", got)
	}
	sendSites(t, l1, "during", 5)
	if got := nextSites(t, rows, 5); !slices.Equal(got, sites("during", 0, 5)) {
		t.Fatalf("new rows through node-2: %v", got)
	}
	// A second tap joins while the stream is relayed: the recent rows,
	// then only new ones, for both.
	recent2, rows2, cancel2, err := n2.Tap(ctx, "lab", odd)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel2()
	if got := sitesOf(t, recent2); !slices.Equal(got, append(sites("before", 0, 3), sites("during", 0, 5)...)) {
		t.Fatalf("recent rows of the second tap: %v", got)
	}
	sendSites(t, l1, "later", 2)
	for i, rows := range []<-chan []byte{rows, rows2} {
		if got := nextSites(t, rows, 2); !slices.Equal(got, sites("later", 0, 2)) {
			t.Fatalf("tap %d: rows %v, want later-0, later-1 and no other", i+1, got)
		}
	}
	ownerHas(odd, "later-1")
	select {
	case row := <-rows:
		t.Fatalf("the first tap got a row twice or out of nowhere: %s", row)
	default:
	}

	// Both watchers go: the owner's relay stops (after a few periods
	// without a word from them), and what comes next is sent to no one.
	cancel()
	cancel2()
	taps := n1.runningApp("lab").taps
	poll.Until(t, 30*time.Second, func() (bool, string) {
		on, _ := taps.relaying(odd)
		return !on, "node-1 still relays " + odd
	})
	_, relayed := taps.relaying(odd)
	sendSites(t, l1, "unwatched", 3)
	ownerHas(odd, "unwatched-2")
	ownerHas("DESTINATION_SQL_STREAM", "unwatched-2")
	if _, now := taps.relaying(odd); now != relayed {
		t.Fatalf("node-1 relayed %d rows nobody watched", now-relayed)
	}
	seenMu.Lock()
	for _, m := range seen {
		if strings.Contains(m, "unwatched") {
			t.Errorf("relayed with nobody watching: %s", m)
		}
	}
	if !slices.ContainsFunc(seen, func(m string) bool { return strings.Contains(m, "during-4") }) {
		t.Errorf("the relayed messages, as seen on NATS, lack during-4: %q", seen)
	}
	seenMu.Unlock()

	// The application stops on node-1: a tap through node-2 ends.
	_, rows, cancel, err = n2.Tap(ctx, "lab", "DESTINATION_SQL_STREAM")
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	if err := n1.Stop(ctx, "lab"); err != nil {
		t.Fatal(err)
	}
	for open := true; open; {
		select {
		case _, open = <-rows:
		case <-time.After(30 * time.Second): // a guard
			t.Fatal("the tap through node-2 goes on after the application stopped")
		}
	}
	if _, err := n2.Streams(ctx, "lab"); !errors.Is(err, ErrInUse) {
		t.Fatalf("streams of a stopped application through node-2: %v, want ErrInUse", err)
	}
	if _, _, _, err := n2.Tap(ctx, "lab", odd); !errors.Is(err, ErrInUse) {
		t.Fatalf("a tap of a stopped application through node-2: %v, want ErrInUse", err)
	}
}

// TestAWatcherTakesEachRowOnceFromItsRun: relayed rows a watcher already
// had with the recent ones (numbered up to the answer's) are dropped, the
// others handed on once; a batch of another run (the application
// restarted) ends the tap, as does the end of the run.
func TestAWatcherTakesEachRowOnceFromItsRun(t *testing.T) {
	m := &Manager{opts: Options{Clock: clockwork.NewFakeClock()}.withDefaults()} // (never advanced: no requests)
	batch := func(run string, end bool, seqs ...uint64) []byte {
		b := tapBatch{Run: run, End: end}
		for _, s := range seqs {
			b.Rows = append(b.Rows, relayedRow{Seq: s, Row: json.RawMessage(fmt.Sprintf(`{"SITE":"s-%d"}`, s))})
		}
		return marshal(b)
	}
	for _, c := range []struct {
		name    string
		batches [][]byte
		want    []string
	}{
		{"overlapping the recent rows", [][]byte{batch("r1", false, 3, 4, 5), batch("r1", false, 5, 6), batch("r1", true)}, []string{"s-5", "s-6"}},
		{"another run", [][]byte{batch("r1", false, 5), batch("r2", false, 1, 2), batch("r1", false, 6)}, []string{"s-5"}},
		{"the end of the run", [][]byte{batch("r1", true, 5), batch("r1", false, 6)}, []string{"s-5"}},
	} {
		in := make(chan []byte, len(c.batches))
		for _, b := range c.batches {
			in <- b
		}
		out := make(chan []byte, 10)
		// watch returns by itself once the run is over: the batches say so.
		m.watch(context.Background(), "lab", "tok", "S", tapWanted{Run: "r1", Seq: 4}, in, out)
		close(out)
		var got [][]byte
		for row := range out {
			got = append(got, row)
		}
		if sites := sitesOf(t, got); !slices.Equal(sites, c.want) {
			t.Errorf("%s: the watcher had %v, want %v", c.name, sites, c.want)
		}
	}
}
