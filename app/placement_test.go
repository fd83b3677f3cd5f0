package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// startNodes starts n Managers named node-1... on one nats-server, the
// first making delivery stream clicks, and waits until each sees them all.
func startNodes(t *testing.T, n int, opts Options) ([]*Manager, []*streamlog.Log, []*prometheus.Registry) {
	t.Helper()
	ctx := context.Background()
	url := natstest.Start(t)
	var managers []*Manager
	var logs []*streamlog.Log
	var regs []*prometheus.Registry
	for i := range n {
		var streams []streamlogtest.Stream
		if i == 0 {
			streams = append(streams, streamlogtest.Stream{Name: "clicks", Kind: "firehose", Shards: 1})
		}
		l := streamlogtest.OpenConfig(t, streamlog.Config{URL: url}, streams...)
		reg := prometheus.NewRegistry()
		o := opts
		o.Node, o.Metrics = fmt.Sprintf("node-%d", i+1), reg
		m, err := NewManager(ctx, l, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Close)
		managers, logs, regs = append(managers, m), append(logs, l), append(regs, reg)
	}
	for _, m := range managers {
		poll.Until(t, 30*time.Second, func() (bool, string) {
			nodes, err := m.Nodes(ctx)
			return err == nil && len(nodes) == n, fmt.Sprintf("%s sees nodes %v (%v)", m.Node(), nodes, err)
		})
	}
	return managers, logs, regs
}

// runsWhere says which node runs each application, and a problem if one
// runs on none or on several.
func runsWhere(apps []string, ms ...*Manager) (map[string]string, string) {
	by := map[string][]string{}
	for _, m := range ms {
		for _, name := range m.Running() {
			by[name] = append(by[name], m.Node())
		}
	}
	where := map[string]string{}
	for _, name := range apps {
		if len(by[name]) != 1 {
			return where, fmt.Sprintf("%s runs on %v", name, by[name])
		}
		where[name] = by[name][0]
	}
	return where, ""
}

// TestNewApplicationsAndOrphansGoToTheLeastLoadedNode: three nodes, the
// clock in the test's hands. Five applications, all started through
// node-1, go each to the least-loaded node (node-1 itself among equals,
// else the first by name): node-1, node-2, node-3, node-1, node-2; each
// runs there as soon as StartApplication answers. node-2 dies: once its
// leases are a TTL old, its two applications are orphans, and the nodes
// that find them (node-1 and node-3 scan on the same tick, and may race
// for each) give the first to node-3, then the least loaded (node-1 2,
// node-3 1), and the second to either (2 and 2): the nodes end 3 and 2.
// The failovers are counted once each, by whoever placed them.
func TestNewApplicationsAndOrphansGoToTheLeastLoadedNode(t *testing.T) {
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	const ttl = 8 * time.Second
	nodes, _, regs := startNodes(t, 3, Options{LeaseTTL: ttl, Clock: clock, Checkpoint: time.Hour, Poll: 10 * time.Millisecond})
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	var apps []string
	for i := range 5 {
		name := fmt.Sprintf("app-%d", i)
		apps = append(apps, name)
		if _, err := n1.Create(ctx, Application{Name: name, Code: passSQL, Inputs: []Input{in}}); err != nil {
			t.Fatal(err)
		}
		if err := n1.Start(ctx, name, Now); err != nil {
			t.Fatal(err)
		}
		want := nodes[i%3]
		if !slices.Contains(want.Running(), name) {
			t.Fatalf("once started, %s is not running on %s (node-1 runs %v, node-2 %v, node-3 %v)", name, want.Node(), n1.Running(), n2.Running(), n3.Running())
		}
	}
	where, problem := runsWhere(apps, nodes...)
	if problem != "" {
		t.Fatal(problem)
	}
	for i, name := range apps {
		if want := fmt.Sprintf("node-%d", i%3+1); where[name] != want {
			t.Errorf("%s runs on %s, want %s", name, where[name], want)
		}
	}
	// (The status notes the revisions of the leases node-1 sees: node-1
	// alone will find node-2's a TTL old. node-3 has not looked yet.)
	st, err := n1.Cluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range st.Nodes {
		if want := []int{2, 2, 1}[i]; n.Applications != want {
			t.Errorf("node-1's status: %s runs %d applications, want %d", n.Name, n.Applications, want)
		}
	}
	for _, a := range st.Applications {
		if a.State != LeaseRunning {
			t.Errorf("node-1's status: %s is %q on %s, want running", a.Application, a.State, a.Owner)
		}
	}

	n2.crashNode()
	clock.Advance(ttl) // every node's scan runs on the tick: node-1's finds node-2's leases a TTL old
	poll.Until(t, 30*time.Second, func() (bool, string) {
		where, problem := runsWhere(apps, n1, n3)
		count := map[string]int{}
		for _, node := range where {
			count[node]++
		}
		balanced := count["node-1"]+count["node-3"] == 5 && count["node-3"] >= 2 && count["node-1"] >= 2
		return problem == "" && balanced && where["app-0"] == "node-1" && where["app-3"] == "node-1" && where["app-2"] == "node-3",
			fmt.Sprintf("after node-2 died: %v %s; want node-2's two applications spread so that node-1 and node-3 run 3 and 2, the others where they were", where, problem)
	})
	if got := gathered(t, regs[0], "riffle_failovers_total") + gathered(t, regs[2], "riffle_failovers_total"); got != 2 {
		t.Errorf("node-1 and node-3 count %v failovers (riffle_failovers_total), want 2", got)
	}
}

// TestMoveHandsAnApplicationOverWithNoRowLostOrRepeated: two nodes, an
// application on node-1 delivering to a function. Moved to node-2 through
// node-2 (the owner learns of it from its lease), then back to node-1
// through node-1 (the owner itself), with records sent just before each
// move: Move answers once the application runs on the other node, and
// every row is delivered exactly once, under one record id. A move is no
// failover. Moves that cannot be are refused, saying why.
func TestMoveHandsAnApplicationOverWithNoRowLostOrRepeated(t *testing.T) {
	ctx := context.Background()
	fn := newCounter()
	fn.takes = 20 * time.Millisecond // an owner that stopped without draining would cut deliveries short, to be made again
	nodes, logs, regs := startNodes(t, 2, Options{LeaseTTL: 4 * time.Second, Checkpoint: 100 * time.Millisecond, Poll: 10 * time.Millisecond,
		Functions: map[string]destination.Function{"fn": fn}, Delivery: fastDelivery})
	n1, n2 := nodes[0], nodes[1]
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	out := Output{Name: "DESTINATION_SQL_STREAM", Format: "JSON", Kind: LambdaOutput, Target: "fn"}
	if _, err := n1.Create(ctx, Application{Name: "lab", Code: passSQL, Inputs: []Input{in}, Outputs: []Output{out}}); err != nil {
		t.Fatal(err)
	}
	if err := n1.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(n1.Running(), "lab") {
		t.Fatalf("lab runs on node-1 %v / node-2 %v, want node-1", n1.Running(), n2.Running())
	}
	delivered := func(prefix string) {
		t.Helper()
		poll.Until(t, 30*time.Second, func() (bool, string) {
			m := fn.missing(prefix, 10)
			return len(m) == 0, fmt.Sprintf("not delivered: %v", m)
		})
	}
	sendSites(t, logs[0], "before", 10)
	delivered("before")

	for _, step := range []struct {
		ask  *Manager
		to   string
		sent string
	}{{n2, "node-2", "first"}, {n1, "node-1", "second"}} {
		// A batch the old owner may be reading, feeding or delivering as
		// it stops: it drains and checkpoints, the new owner goes on.
		sendSites(t, logs[0], step.sent, 10)
		moved, err := step.ask.Move(ctx, "lab", step.to, 30*time.Second)
		if err != nil {
			t.Fatalf("move to %s: %v", step.to, err)
		}
		from := map[string]string{"node-2": "node-1", "node-1": "node-2"}[step.to]
		if want := (Moved{Application: "lab", From: from, To: step.to, Done: true}); moved != want {
			t.Fatalf("moved %+v, want %+v", moved, want)
		}
		where, problem := runsWhere([]string{"lab"}, n1, n2)
		if problem != "" || where["lab"] != step.to {
			t.Fatalf("after the move to %s: %v %s", step.to, where, problem)
		}
		sendSites(t, logs[0], step.sent+"-after", 10)
		delivered(step.sent)
		delivered(step.sent + "-after")
	}
	fn.mu.Lock()
	for row, n := range fn.count {
		if n != 1 || len(fn.ids[row]) != 1 {
			t.Errorf("%s delivered %d times under %d record ids", row, n, len(fn.ids[row]))
		}
	}
	fn.mu.Unlock()
	for i, reg := range regs {
		if got := gathered(t, reg, "riffle_failovers_total"); got != 0 {
			t.Errorf("node-%d: riffle_failovers_total %v after moves, want 0", i+1, got)
		}
	}

	if _, err := n1.Create(ctx, Application{Name: "idle", Code: passSQL, Inputs: []Input{in}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		app, node string
		want      error
		says      string
	}{
		{"lab", "node-9", ErrInvalid, `no live node is named "node-9" (live nodes: node-1, node-2)`},
		{"lab", "node-1", ErrInUse, "already runs on node node-1"},
		{"idle", "node-2", ErrInUse, "is READY, not RUNNING"},
		{"nosuch", "node-2", ErrNotFound, "nosuch"},
	} {
		_, err := n2.Move(ctx, c.app, c.node, time.Second)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("move %s to %s: %v, want %v saying %q", c.app, c.node, err, c.want, c.says)
		}
	}
}

// TestTheOwnerPublishesItsApplicationsLag: with the clock in the test's
// hands (the application reads only when it moves), three batches come
// after the application started: its owner measures it 3 messages behind
// and, once renewed, both nodes' status says so; once the clock moves
// and the application has fed them, 0.
func TestTheOwnerPublishesItsApplicationsLag(t *testing.T) {
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	nodes, logs, _ := startNodes(t, 2, Options{LeaseTTL: 8 * time.Second, Clock: clock, Checkpoint: time.Hour, Poll: 10 * time.Millisecond})
	n1, n2 := nodes[0], nodes[1]
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	if _, err := n1.Create(ctx, Application{Name: "lab", Code: passSQL, Inputs: []Input{in}}); err != nil {
		t.Fatal(err)
	}
	if err := n1.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		sendSiteAt(t, logs[0], fmt.Sprintf("site-%d", i), clock.Now())
	}
	lagSeen := func(m *Manager) *Lag {
		st, err := m.Cluster(ctx)
		if err != nil || len(st.Applications) != 1 {
			t.Fatalf("%s's status: %+v (%v)", m.Node(), st, err)
		}
		return st.Applications[0].Lag
	}
	if lag := lagSeen(n2); lag != nil {
		t.Fatalf("a lag before any measure: %+v", lag)
	}
	n1.measureLags(ctx)
	n1.renew(ctx)
	for _, m := range nodes {
		if lag := lagSeen(m); lag == nil || lag.Messages != 3 || !lag.Measured.Equal(clock.Now().Truncate(time.Millisecond)) {
			t.Fatalf("%s shows the lag %+v, want 3 messages measured now", m.Node(), lag)
		}
	}
	clock.Advance(time.Second) // past the records' settling: the application feeds them
	poll.Until(t, 30*time.Second, func() (bool, string) {
		n1.measureLags(ctx)
		n1.renew(ctx)
		lag := lagSeen(n2)
		return lag != nil && lag.Messages == 0, fmt.Sprintf("node-2 shows the lag %+v", lag)
	})
}
