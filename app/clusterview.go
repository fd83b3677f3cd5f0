package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/riffle-sql/riffle/streamlog"
)

// ErrNoCluster says a server is not a node of a cluster (no --nats).
var ErrNoCluster = errors.New("this server is not a node of a cluster (riffle serve --nats URL)")

// ClusterStatus is the cluster as the shared buckets show it, from any
// node: its live nodes and who runs each RUNNING application.
//
// Ages are durations on the answering node's clock, as the takeover rule
// measures them (docs/cluster.md): since this node first saw the key's
// current revision, or, for a lease it holds, since its last renewal
// began. An age seen from another node is a lower bound, short by at most
// the time between two looks at the key: every scan (TTL/4) looks at the
// leases; presence keys are looked at only when a status is asked for.
type ClusterStatus struct {
	Node         string // the node that answered
	LeaseTTL     time.Duration
	Nodes        []NodeStatus  // by name
	Applications []LeaseStatus // the RUNNING (and STARTING) ones, by name
}

// NodeStatus is a live node.
type NodeStatus struct {
	Name         string
	Started      time.Time
	LastSeen     time.Duration // the age of its presence key
	Applications int           // how many leases name it
}

// LeaseStatus is a RUNNING application's lease.
type LeaseStatus struct {
	Application string
	Status      string
	Owner       string        // "" when no node holds it (the next scan takes it)
	LeaseAge    time.Duration // since its last renewal (0 without an owner)
	State       string        // LeaseRunning, LeaseStarting or LeasePlaced ("" without an owner)
	MovingTo    string        // a move asked: the node it goes to
	Lag         *Lag          // as the owner last published it (nil: not yet)
}

// The states of a lease.
const (
	LeasePlaced   = "placed"   // written naming Owner by another node; Owner has not taken it yet
	LeaseStarting = "starting" // Owner holds it and is starting the application
	LeaseRunning  = "running"  // Owner runs the application
)

func (v leaseValue) state() string {
	switch {
	case v.By != "":
		return LeasePlaced
	case v.Running:
		return LeaseRunning
	}
	return LeaseStarting
}

// Cluster reads the cluster's status from the shared buckets.
func (m *Manager) Cluster(ctx context.Context) (ClusterStatus, error) {
	c := m.cluster
	if c == nil {
		return ClusterStatus{}, ErrNoCluster
	}
	st := ClusterStatus{Node: c.node, LeaseTTL: c.ttl, Nodes: []NodeStatus{}, Applications: []LeaseStatus{}}
	keys, err := c.nodes.Keys(ctx)
	if err != nil {
		return st, fmt.Errorf("list nodes: %w", err)
	}
	byName := map[string]*NodeStatus{}
	live := map[string]bool{}
	for _, k := range keys {
		data, rev, err := c.nodes.Entry(ctx, k)
		if errors.Is(err, streamlog.ErrNotFound) {
			continue // expired meanwhile
		}
		if err != nil {
			return st, fmt.Errorf("node %s: %w", k, err)
		}
		var n Node
		json.Unmarshal(data, &n) // unreadable: a node of a later version; its name is its key
		live[k] = true
		st.Nodes = append(st.Nodes, NodeStatus{Name: k, Started: n.Started, LastSeen: c.age(c.presence, k, rev, m.opts.Clock.Now())})
	}
	c.seenMu.Lock()
	for k := range c.presence {
		if !live[k] {
			delete(c.presence, k)
		}
	}
	c.seenMu.Unlock()
	sort.Slice(st.Nodes, func(i, j int) bool { return st.Nodes[i].Name < st.Nodes[j].Name })
	for i := range st.Nodes {
		byName[st.Nodes[i].Name] = &st.Nodes[i]
	}

	apps, err := m.store.List(ctx)
	if err != nil {
		return st, fmt.Errorf("list applications: %w", err)
	}
	leases, err := c.leases.Entries(ctx)
	if err != nil {
		return st, err
	}
	for _, a := range apps {
		if !active(a.Status) {
			continue
		}
		ls := LeaseStatus{Application: a.Name, Status: a.Status}
		m.mu.Lock()
		l := m.leases[a.Name]
		if l != nil {
			ls.Owner, ls.LeaseAge, ls.MovingTo, ls.Lag = c.node, m.opts.Clock.Now().Sub(l.renewed), l.moving, l.shown
			ls.State = LeaseStarting
			if m.running[a.Name] != nil {
				ls.State = LeaseRunning
			}
		}
		m.mu.Unlock()
		if e, ok := leases[leaseKey(a)]; ok && l == nil {
			var v leaseValue
			json.Unmarshal(e.Value, &v)
			ls.Owner, ls.State, ls.MovingTo, ls.Lag = v.Node, v.state(), v.MoveTo, v.Lag
			if v.Node != c.node { // (naming this node but not held: placed here, or left by its previous process)
				ls.LeaseAge = c.age(c.seen, e.Key, e.Revision, m.opts.Clock.Now())
			}
		}
		if n := byName[ls.Owner]; n != nil {
			n.Applications++
		}
		st.Applications = append(st.Applications, ls)
	}
	sort.Slice(st.Applications, func(i, j int) bool { return st.Applications[i].Application < st.Applications[j].Application })
	return st, nil
}

// age is how long a key has been at rev since this node first saw it
// there, noting the sighting if new. The sightings of leases are those
// the takeover rule uses: noting one earlier only makes it exact sooner.
func (c *cluster) age(seen map[string]sighting, key string, rev uint64, now time.Time) time.Duration {
	c.seenMu.Lock()
	defer c.seenMu.Unlock()
	s, ok := seen[key]
	if !ok || s.rev != rev {
		seen[key] = sighting{rev: rev, since: now}
		return 0
	}
	return now.Sub(s.since)
}
