package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// counter is a Lambda-compatible function that counts each row's
// deliveries and keeps its record ids.
type counter struct {
	mu    sync.Mutex
	count map[string]int
	ids   map[string]map[string]bool
	// takes is how long an invocation takes once its rows are counted (a
	// caller that gives up sooner has had them delivered all the same).
	takes time.Duration
}

func newCounter() *counter {
	return &counter{count: map[string]int{}, ids: map[string]map[string]bool{}}
}

func (f *counter) Invoke(ctx context.Context, e destination.Event) (destination.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var resp destination.Response
	for _, r := range e.Records {
		row := string(r.Data)
		f.count[row]++
		if f.ids[row] == nil {
			f.ids[row] = map[string]bool{}
		}
		f.ids[row][r.RecordID] = true
		resp.Records = append(resp.Records, destination.Result{RecordID: r.RecordID, Result: destination.Ok})
	}
	if f.takes > 0 {
		f.mu.Unlock()
		defer f.mu.Lock()
		select {
		case <-time.After(f.takes):
		case <-ctx.Done():
			return destination.Response{}, ctx.Err()
		}
	}
	return resp, nil
}

// missing names the rows of sites PREFIX-0..n-1 not delivered yet.
func (f *counter) missing(prefix string, n int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for i := range n {
		site := fmt.Sprintf("%s-%d", prefix, i)
		if f.count[fmt.Sprintf(`{"ACTION":"Click","SITE":"%s"}`, site)] == 0 {
			out = append(out, site)
		}
	}
	return out
}

// crashNode ends a node as SIGKILL would: its renewals and scans stop,
// its applications stop with no last checkpoint, its leases and presence
// stay in NATS until they expire.
func (m *Manager) crashNode() {
	c := m.cluster
	c.stopRenew()
	c.renewing.Wait()
	c.stopScan()
	c.scanning.Wait()
	m.mu.Lock()
	all := m.running
	m.running, m.leases = map[string]*running{}, map[string]*lease{}
	m.mu.Unlock()
	for _, r := range all {
		r.stop(false)
	}
}

// TestEachApplicationRunsOnOneNodeAndMovesWhenItsNodeDies: three nodes
// share one NATS server and run six applications, each started on one of
// them. Each application runs on exactly one node and delivers each row
// once. One node dies without a word (as under SIGKILL): once its leases
// expire, the others resume its applications from their checkpoints: the
// rows of records sent while nobody ran them come out, and no row comes
// under a second record id. Another node shuts down cleanly: it releases
// its leases, and the last node runs everything.
func TestEachApplicationRunsOnOneNodeAndMovesWhenItsNodeDies(t *testing.T) {
	ctx := context.Background()
	url := natstest.Start(t)
	const apps = 6
	fns := map[string]destination.Function{}
	counters := make([]*counter, apps)
	for i := range counters {
		counters[i] = newCounter()
		fns[fmt.Sprintf("fn-%d", i)] = counters[i]
	}
	var logs []*streamlog.Log
	var managers []*Manager
	for i := range 3 {
		var streams []streamlogtest.Stream
		if i == 0 {
			streams = append(streams, streamlogtest.Stream{Name: "clicks", Kind: "firehose", Shards: 1})
		}
		l := streamlogtest.OpenConfig(t, streamlog.Config{URL: url}, streams...)
		m, err := NewManager(ctx, l, Options{Node: fmt.Sprintf("node-%d", i+1), LeaseTTL: 4 * time.Second,
			Checkpoint: 100 * time.Millisecond, Poll: 10 * time.Millisecond, Functions: fns, Delivery: fastDelivery})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		logs, managers = append(logs, l), append(managers, m)
	}
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	for i := range apps {
		name := fmt.Sprintf("app-%d", i)
		out := Output{Name: "DESTINATION_SQL_STREAM", Format: "JSON", Kind: LambdaOutput, Target: fmt.Sprintf("fn-%d", i)}
		m := managers[i%3]
		if _, err := m.Create(ctx, Application{Name: name, Code: passSQL, Inputs: []Input{in}, Outputs: []Output{out}}); err != nil {
			t.Fatal(err)
		}
		if err := m.Start(ctx, name, Now); err != nil {
			t.Fatal(err)
		}
	}
	// owners says which nodes run each application, and a problem if one
	// is run by none or by several.
	owners := func(ms ...*Manager) (map[string][]string, string) {
		by := map[string][]string{}
		for _, m := range ms {
			for _, name := range m.Running() {
				by[name] = append(by[name], m.Node())
			}
		}
		for i := range apps {
			name := fmt.Sprintf("app-%d", i)
			if len(by[name]) != 1 {
				return by, fmt.Sprintf("%s runs on %v", name, by[name])
			}
		}
		return by, ""
	}
	// Long enough for any node to take a lease it saw unrenewed for the
	// TTL: five scans (the TTL is four periods) by every node.
	scansFrom := make([]int64, 3)
	for i, m := range managers {
		scansFrom[i] = m.cluster.scans.Load()
	}
	poll.Until(t, 60*time.Second, func() (bool, string) {
		for i, m := range managers {
			if m.cluster.scans.Load() < scansFrom[i]+5 {
				return false, fmt.Sprintf("%s scanned %d times", m.Node(), m.cluster.scans.Load()-scansFrom[i])
			}
		}
		return true, ""
	})
	by, problem := owners(managers...)
	if problem != "" {
		t.Fatalf("before any failure: %s", problem)
	}
	// Each was started on the least-loaded node, the one it was started
	// on: they spread evenly.
	for i := range apps {
		if want := fmt.Sprintf("node-%d", i%3+1); by[fmt.Sprintf("app-%d", i)][0] != want {
			t.Errorf("app-%d runs on %s, not on %s, the least loaded where it was started", i, by[fmt.Sprintf("app-%d", i)][0], want)
		}
	}
	if nodes, err := managers[0].Nodes(ctx); err != nil || len(nodes) != 3 {
		t.Fatalf("nodes: %v (%v), want the three", nodes, err)
	}

	sendSites(t, logs[0], "before", 10)
	poll.Until(t, 30*time.Second, func() (bool, string) {
		for i, c := range counters {
			if m := c.missing("before", 10); len(m) > 0 {
				return false, fmt.Sprintf("app-%d has not delivered %v", i, m)
			}
		}
		return true, ""
	})
	for i, c := range counters {
		c.mu.Lock()
		for row, n := range c.count {
			if n != 1 {
				t.Errorf("app-%d delivered %s %d times", i, row, n)
			}
		}
		c.mu.Unlock()
	}

	// node-2 dies; what is sent meanwhile waits in the stream.
	dead := managers[1]
	orphans := dead.Running()
	dead.crashNode()
	sendSites(t, logs[0], "during", 10)
	poll.Until(t, 60*time.Second, func() (bool, string) {
		_, problem := owners(managers[0], managers[2])
		return problem == "", "after node-2 died: " + problem
	})
	sendSites(t, logs[0], "after", 10)
	poll.Until(t, 30*time.Second, func() (bool, string) {
		for i, c := range counters {
			if m := append(c.missing("during", 10), c.missing("after", 10)...); len(m) > 0 {
				return false, fmt.Sprintf("app-%d has not delivered %v", i, m)
			}
		}
		return true, ""
	})
	for i, c := range counters {
		c.mu.Lock()
		for row, ids := range c.ids {
			if len(ids) != 1 {
				t.Errorf("app-%d delivered %s under %d record ids", i, row, len(ids))
			}
		}
		c.mu.Unlock()
	}
	t.Logf("node-2's applications %v moved: %v", orphans, func() map[string][]string { by, _ := owners(managers[0], managers[2]); return by }())

	// node-1 shuts down: node-3 runs everything, without waiting for the
	// TTL (though the test does not time it).
	managers[0].Close()
	poll.Until(t, 60*time.Second, func() (bool, string) {
		running := managers[2].Running()
		return len(running) == apps, "node-3 runs " + strings.Join(running, ", ")
	})
	if nodes, err := managers[2].Nodes(ctx); err != nil || !slices.ContainsFunc(nodes, func(n Node) bool { return n.Name == "node-3" }) ||
		slices.ContainsFunc(nodes, func(n Node) bool { return n.Name == "node-1" }) {
		t.Errorf("nodes after node-1's shutdown: %v (%v): want node-3, not node-1", nodes, err)
	}
}
