package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// gathered reads a metric as /metrics serves it from a registry.
func gathered(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			m := f.GetMetric()[0]
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("%s is not registered", name)
	return 0
}

// TestTheClusterStatusShowsOwnersAndLeaseAgesFromAnyNode: two nodes, with
// the clock in the test's hands, one application started on node-1. Both
// nodes list both nodes and name node-1 as the owner, the lease's age
// growing with the clock from when each saw its last renewal. node-1
// pauses (no renewals): a TTL later node-2 takes the application over
// (riffle_failovers_total) and owns it; node-1's next renewal fails
// (riffle_lease_renewals_failed_total) and it owns nothing.
func TestTheClusterStatusShowsOwnersAndLeaseAgesFromAnyNode(t *testing.T) {
	ctx := context.Background()
	url := natstest.Start(t)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	const ttl = 8 * time.Second
	var managers []*Manager
	var regs []*prometheus.Registry
	for i := range 2 {
		var streams []streamlogtest.Stream
		if i == 0 {
			streams = append(streams, streamlogtest.Stream{Name: "clicks", Kind: "firehose", Shards: 1})
		}
		l := streamlogtest.OpenConfig(t, streamlog.Config{URL: url}, streams...)
		reg := prometheus.NewRegistry()
		m, err := NewManager(ctx, l, Options{Node: fmt.Sprintf("node-%d", i+1), LeaseTTL: ttl, Clock: clock, Metrics: reg,
			Checkpoint: time.Hour, Poll: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		managers, regs = append(managers, m), append(regs, reg)
	}
	n1, n2 := managers[0], managers[1]
	// Each node writes its presence at once, then at every tick.
	poll.Until(t, 30*time.Second, func() (bool, string) {
		st, err := n2.Cluster(ctx)
		return err == nil && len(st.Nodes) == 2, fmt.Sprintf("nodes %v (%v)", st.Nodes, err)
	})
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	if _, err := n1.Create(ctx, Application{Name: "lab", Code: passSQL, Inputs: []Input{in}}); err != nil {
		t.Fatal(err)
	}
	if err := n1.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	// check says what a node's status shows of lab and of the nodes.
	check := func(m *Manager, owner string, age time.Duration) {
		t.Helper()
		st, err := m.Cluster(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Node != m.Node() || st.LeaseTTL != ttl || len(st.Nodes) != 2 || st.Nodes[0].Name != "node-1" || st.Nodes[1].Name != "node-2" {
			t.Fatalf("%s's status: %+v", m.Node(), st)
		}
		want := LeaseStatus{Application: "lab", Status: Running, Owner: owner, LeaseAge: age, State: LeaseRunning}
		if len(st.Applications) == 1 {
			st.Applications[0].Lag = nil // (measured by the renewals: TestTheOwnerPublishesItsApplicationsLag)
		}
		if len(st.Applications) != 1 || st.Applications[0] != want {
			t.Fatalf("%s's status of the applications: %+v, want [%+v]", m.Node(), st.Applications, want)
		}
		for _, n := range st.Nodes {
			if w := map[bool]int{true: 1}[n.Name == owner]; n.Applications != w {
				t.Fatalf("%s's status: %s runs %d applications, want %d", m.Node(), n.Name, n.Applications, w)
			}
		}
	}
	// (Less than a tick, TTL/4, at a time: nothing renews meanwhile.)
	clock.Advance(500 * time.Millisecond)
	check(n1, "node-1", 500*time.Millisecond) // since the Start took it
	check(n2, "node-1", 0)                    // first seen now
	clock.Advance(500 * time.Millisecond)
	check(n1, "node-1", time.Second)
	check(n2, "node-1", 500*time.Millisecond)
	// node-2 first saw node-1's presence, unrenewed since, while waiting
	// for the two.
	if st, _ := n2.Cluster(ctx); st.Nodes[0].LastSeen != time.Second {
		t.Fatalf("node-2 last saw node-1 %v ago, want 1s", st.Nodes[0].LastSeen)
	}
	for i, want := range []float64{1, 0} {
		if got := gathered(t, regs[i], "riffle_applications_owned"); got != want {
			t.Fatalf("node-%d: riffle_applications_owned %v, want %v", i+1, got, want)
		}
	}

	// node-1 pauses: its renewals stop.
	n1.cluster.stopRenew()
	n1.cluster.renewing.Wait()
	n1.cluster.stopScan()
	n1.cluster.scanning.Wait()
	clock.Advance(ttl)
	n2.scan(ctx) // (its own scans run on the ticks too)
	poll.Until(t, 30*time.Second, func() (bool, string) {
		return len(n2.Running()) == 1, fmt.Sprintf("node-2 runs %v", n2.Running())
	})
	check(n2, "node-2", 0)
	if got := gathered(t, regs[1], "riffle_failovers_total"); got != 1 {
		t.Fatalf("node-2: riffle_failovers_total %v, want 1", got)
	}
	if got := gathered(t, regs[1], "riffle_applications_owned"); got != 1 {
		t.Fatalf("node-2: riffle_applications_owned %v, want 1", got)
	}
	// node-1 comes back: its renewal finds the lease taken.
	n1.renew(ctx)
	if len(n1.Running()) != 0 {
		t.Fatalf("node-1 still runs %v", n1.Running())
	}
	check(n1, "node-2", 0)
	for name, want := range map[string]float64{"riffle_lease_renewals_failed_total": 1, "riffle_applications_owned": 0, "riffle_failovers_total": 0} {
		if got := gathered(t, regs[0], name); got != want {
			t.Fatalf("node-1: %s %v, want %v", name, got, want)
		}
	}
}

// TestASingleServerHasNoClusterStatus: without a node name there is no
// cluster to show, and no cluster metrics.
func TestASingleServerHasNoClusterStatus(t *testing.T) {
	l, ctx := setup(t)
	reg := prometheus.NewRegistry()
	m, err := NewManager(ctx, l, Options{Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Cluster(ctx); err != ErrNoCluster {
		t.Fatalf("Cluster on a single server: %v, want ErrNoCluster", err)
	}
	families, _ := reg.Gather()
	for _, f := range families {
		if f.GetName() == "riffle_applications_owned" {
			t.Fatal("a single server has riffle_applications_owned")
		}
	}
}
