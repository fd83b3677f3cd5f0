package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riffle-sql/riffle/internal/throttle"
	"github.com/riffle-sql/riffle/streamlog"
)

// Several servers may share one NATS JetStream cluster (docs/cluster.md).
// Each is a node: its presence is a key of riffle_nodes that expires unless
// refreshed, and each RUNNING application is run by the one node holding
// its lease, a key of riffle_leases written with compare-and-set. A lease
// is lost when its owner has not renewed it for the TTL: other nodes time
// that on their own clocks, from when they first saw its revision, so
// that no two clocks need agree. An owner that cannot renew within half
// the TTL stops the application at once, before another may take it;
// checkpoints written with compare-and-set fence it if it is too late.
// Without a node name (the embedded default) none of this runs: the one
// server runs every application.

// DefaultLeaseTTL is how long a lease lasts without renewal.
const DefaultLeaseTTL = 8 * time.Second

const (
	nodesBucket  = "riffle_nodes"
	leasesBucket = "riffle_leases"
)

// nodeName is a node's name: a key of riffle_nodes.
var nodeName = regexp.MustCompile(`^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$`)

// CheckNode says whether name can name a node.
func CheckNode(name string) error {
	if len(name) > 128 || !nodeName.MatchString(name) {
		return fmt.Errorf("%w: node name %q: letters, digits, _ and -, in parts joined by dots", ErrInvalid, name)
	}
	return nil
}

// cluster is a node's part in the cluster; nil on a single server.
type cluster struct {
	node          string
	started       time.Time
	ttl           time.Duration // a lease not renewed for this long is free
	every         time.Duration // renewals, presence and scans: TTL/4
	deadline      time.Duration // an owner not renewed for this long stops: TTL/2
	nodes, leases *streamlog.KV

	// seen is, for each lease another node holds, the revision this node
	// saw and when it first saw it: a revision unchanged for the TTL is
	// a lease its owner no longer renews.
	seenMu sync.Mutex
	seen   map[string]sighting
	// presence is the same for the nodes' presence keys, noted when the
	// cluster's status is asked for (ClusterStatus.Nodes' LastSeen).
	presence map[string]sighting

	scans atomic.Int64 // scans done (tests wait on it)

	stopScan, stopRenew context.CancelFunc
	scanning, renewing  sync.WaitGroup
	renewErrors         throttle.Log
}

type sighting struct {
	rev   uint64
	since time.Time
}

// lease is a lease this node holds (its fields guarded by Manager.mu).
type lease struct {
	key     string
	rev     uint64    // the revision of this node's last write
	renewed time.Time // when that write began, on the Manager's clock
}

// leaseValue is what a lease key holds.
type leaseValue struct {
	Node        string
	Application string
}

// Node is a node's presence.
type Node struct {
	Name         string
	Started      time.Time
	Applications int // how many it runs
}

func openCluster(ctx context.Context, m *Manager) (*cluster, error) {
	if err := CheckNode(m.opts.Node); err != nil {
		return nil, err
	}
	ttl := m.opts.LeaseTTL
	c := &cluster{node: m.opts.Node, started: m.now(), ttl: ttl, every: ttl / 4, deadline: ttl / 2, seen: map[string]sighting{}, presence: map[string]sighting{}}
	var err error
	if c.nodes, err = m.log.ExpiringBucket(ctx, nodesBucket, ttl); err != nil {
		return nil, err
	}
	if c.leases, err = m.log.Bucket(ctx, leasesBucket); err != nil {
		return nil, err
	}
	c.renewErrors = throttle.Log{Logger: m.opts.Logger, Every: errorLogEvery, Clock: m.opts.Clock}
	return c, nil
}

// leaseKey is an application's lease key: its UID, so that a new
// application of the same name has a lease of its own.
func leaseKey(a Application) string {
	if a.UID == "" { // made before UIDs
		return "name." + a.Name
	}
	return a.UID
}

// How a node takes a lease another node holds.
type takeMode int

const (
	takeExpired takeMode = iota // only one not renewed for the TTL
	takeOwn                     // also one naming this node (left by its previous process)
	takeAny                     // any: the application was started here
)

// acquire takes an application's lease (under the application's lock); it
// says false when another node holds it.
func (m *Manager) acquire(ctx context.Context, a Application, mode takeMode) (bool, error) {
	c := m.cluster
	key := leaseKey(a)
	value, err := json.Marshal(leaseValue{Node: c.node, Application: a.Name})
	if err != nil {
		return false, err
	}
	start := m.opts.Clock.Now()
	data, rev, err := c.leases.Entry(ctx, key)
	var next uint64
	switch {
	case errors.Is(err, streamlog.ErrNotFound):
		next, err = c.leases.Create(ctx, key, value)
		if errors.Is(err, streamlog.ErrExists) {
			return false, nil // another node was quicker
		}
	case err != nil:
		return false, fmt.Errorf("lease of %s: %w", a.Name, err)
	default:
		var v leaseValue
		json.Unmarshal(data, &v) // unreadable: another node's
		if !(mode == takeAny || mode == takeOwn && v.Node == c.node || c.expired(key, rev, start)) {
			return false, nil
		}
		next, err = c.leases.Update(ctx, key, value, rev)
		if errors.Is(err, streamlog.ErrConflict) {
			return false, nil
		}
		if err == nil && v.Node != c.node && mode != takeAny {
			// Another node's lease is taken only once expired: its
			// owner stopped renewing it. (A Start taking it by force is
			// not a failover.)
			m.metrics.failovers.Inc()
		}
	}
	if err != nil {
		return false, fmt.Errorf("lease of %s: %w", a.Name, err)
	}
	m.mu.Lock()
	m.leases[a.Name] = &lease{key: key, rev: next, renewed: start}
	m.mu.Unlock()
	return true, nil
}

// expired says whether another node's lease, now at rev, has stayed at
// rev for the TTL since this node first saw it there.
func (c *cluster) expired(key string, rev uint64, now time.Time) bool {
	return c.age(c.seen, key, rev, now) >= c.ttl
}

// forget drops the sightings of leases other than keep's.
func (c *cluster) forget(keep map[string]bool) {
	c.seenMu.Lock()
	defer c.seenMu.Unlock()
	for k := range c.seen {
		if !keep[k] {
			delete(c.seen, k)
		}
	}
}

// holds says whether this node holds an application's lease: always on a
// single server.
func (m *Manager) holds(name string) bool {
	if m.cluster == nil {
		return true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.leases[name] != nil
}

// deliveryFence is an application's outputs' fence (nil on a single
// server): a row goes out only while this node holds the lease and its
// last renewal began less than TTL/2 ago, on this node's clock. A node
// paused past its lease (SIGSTOP, a long GC, a frozen VM) finds on waking
// that the renewal is old and holds its rows back, whichever of its
// goroutines wakes first; another node takes a lease over only a whole
// TTL after it saw it renewed, by when this fence has been closed for
// TTL/2.
func (m *Manager) deliveryFence(name string) func() error {
	c := m.cluster
	if c == nil {
		return nil
	}
	return func() error {
		m.mu.Lock()
		l := m.leases[name]
		var renewed time.Time
		if l != nil {
			renewed = l.renewed
		}
		m.mu.Unlock()
		if l == nil {
			return errors.New("this node no longer holds the application's lease")
		}
		if age := m.opts.Clock.Since(renewed); age >= c.deadline {
			return fmt.Errorf("this node's lease was last renewed %s ago", age.Round(time.Millisecond))
		}
		return nil
	}
}

// release gives an application's lease up, if this node holds it.
func (m *Manager) release(ctx context.Context, name string) {
	if m.cluster == nil {
		return
	}
	m.mu.Lock()
	l := m.leases[name]
	delete(m.leases, name)
	var rev uint64
	if l != nil {
		rev = l.rev
	}
	m.mu.Unlock()
	if l == nil {
		return
	}
	err := m.cluster.leases.DeleteAt(ctx, l.key, rev)
	if errors.Is(err, streamlog.ErrConflict) {
		// A renewal landed meanwhile, or another node took it: delete it
		// only if it still names this node.
		data, cur, gerr := m.cluster.leases.Entry(ctx, l.key)
		var v leaseValue
		if gerr == nil && json.Unmarshal(data, &v) == nil && v.Node == m.cluster.node {
			err = m.cluster.leases.DeleteAt(ctx, l.key, cur)
		} else {
			err = nil
		}
	}
	if err != nil && !errors.Is(err, streamlog.ErrConflict) {
		m.opts.Logger.Error("releasing a lease failed; another node takes it once it expires", "application", name, "err", err)
	}
}

// lose stops at once, with no drain and no last checkpoint, an
// application whose lease this node no longer holds: another node may
// already run it.
func (m *Manager) lose(name string, l *lease, why string) {
	m.mu.Lock()
	if m.leases[name] != l {
		m.mu.Unlock()
		return
	}
	delete(m.leases, name)
	r := m.running[name]
	delete(m.running, name)
	m.mu.Unlock()
	m.opts.Logger.Warn("lease lost: the application stops here", "application", name, "node", m.cluster.node, "reason", why)
	if r != nil {
		r.stop(false)
	}
}

// renewLeases refreshes this node's presence and renews its leases every
// TTL/4 until ctx ends.
func (m *Manager) renewLeases(ctx context.Context) {
	t := m.opts.Clock.NewTicker(m.cluster.every)
	defer t.Stop()
	for {
		m.renew(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
		}
	}
}

// renew is one round of renewals, bounded to half a period so that a
// NATS that does not answer cannot hold the deadline checks back.
func (m *Manager) renew(ctx context.Context) {
	c := m.cluster
	round, cancel := context.WithTimeout(ctx, c.every/2)
	defer cancel()
	m.mu.Lock()
	held := maps.Clone(m.leases)
	count := len(m.running)
	m.mu.Unlock()
	me, _ := json.Marshal(Node{Name: c.node, Started: c.started, Applications: count})
	if err := c.nodes.Put(round, c.node, me); err != nil && ctx.Err() == nil {
		c.renewErrors.Error("refreshing this node's presence failed", "node", c.node, "err", err)
	}
	for name, l := range held {
		value, _ := json.Marshal(leaseValue{Node: c.node, Application: name})
		start := m.opts.Clock.Now()
		m.mu.Lock()
		rev := l.rev
		m.mu.Unlock()
		next, err := c.leases.Update(round, l.key, value, rev)
		switch {
		case err == nil:
			m.mu.Lock()
			if m.leases[name] == l {
				l.rev, l.renewed = next, start
			}
			m.mu.Unlock()
		case errors.Is(err, streamlog.ErrConflict):
			m.metrics.renewalsFailed.Inc()
			m.lose(name, l, "another node took its lease")
		case ctx.Err() == nil:
			m.metrics.renewalsFailed.Inc()
			c.renewErrors.Error("renewing a lease failed", "application", name, "err", err)
		}
	}
	if ctx.Err() != nil {
		return // closing: Close stops and releases what is held
	}
	now := m.opts.Clock.Now()
	for name, l := range held {
		m.mu.Lock()
		late := m.leases[name] == l && now.Sub(l.renewed) >= c.deadline
		m.mu.Unlock()
		if late {
			m.lose(name, l, "its lease could not be renewed in time")
		}
	}
}

// scanLeases, once the resume pass is done, looks every TTL/4 for RUNNING
// applications nobody runs (their lease free or expired) and for those it
// runs that were stopped, deleted or changed on another node.
func (m *Manager) scanLeases(ctx context.Context) {
	select {
	case <-m.resumed:
	case <-ctx.Done():
		return
	}
	t := m.opts.Clock.NewTicker(m.cluster.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
		}
		m.scan(ctx)
	}
}

func (m *Manager) scan(ctx context.Context) {
	apps, err := m.store.List(ctx)
	if err != nil {
		if ctx.Err() == nil {
			m.cluster.renewErrors.Error("listing the applications failed", "err", err)
		}
		return
	}
	listed := map[string]bool{}
	others := map[string]bool{}
	for _, a := range apps {
		if ctx.Err() != nil {
			return
		}
		listed[a.Name] = true
		r := m.runningApp(a.Name)
		switch {
		case r != nil && (!active(a.Status) || a.Version != r.def.Version):
			m.follow(ctx, a.Name)
		case r == nil && active(a.Status):
			others[leaseKey(a)] = true
			m.takeOver(ctx, a.Name, takeExpired)
		}
	}
	for _, name := range m.Running() {
		if !listed[name] {
			m.follow(ctx, name)
		}
	}
	m.cluster.forget(others)
	m.cluster.scans.Add(1)
}

// takeOver runs a RUNNING application if this node can have its lease,
// from its last checkpoint.
func (m *Manager) takeOver(ctx context.Context, name string, mode takeMode) {
	unlock := m.lock(name)
	defer unlock()
	if m.runningApp(name) != nil {
		return
	}
	a, _, err := m.store.Get(ctx, name)
	if err != nil || !active(a.Status) {
		return
	}
	if !m.holds(name) { // (held but not running: a launch that failed on its way; again)
		ok, err := m.acquire(ctx, a, mode)
		if err != nil {
			m.cluster.renewErrors.Error("taking a lease failed", "application", name, "err", err)
			return
		}
		if !ok {
			return
		}
	}
	// Read again with the lease held: a stop or delete releases the lease
	// only after saving, so this read sees it.
	if a, _, err = m.store.Get(ctx, name); err != nil || !active(a.Status) {
		m.release(ctx, name)
		return
	}
	m.opts.Logger.Info("running the application on this node", "application", name, "node", m.cluster.node)
	m.resumeLocked(ctx, name)
}

// follow brings a run of this node in line with the stored definition,
// changed on another node: stopped or deleted, the run ends; at another
// version, it restarts from where it stands.
func (m *Manager) follow(ctx context.Context, name string) {
	unlock := m.lock(name)
	defer unlock()
	r := m.runningApp(name)
	if r == nil {
		return
	}
	a, rev, err := m.store.Get(ctx, name)
	switch {
	case errors.Is(err, ErrNotFound):
		if r := m.takeRunning(name); r != nil {
			r.stop(false) // its checkpoint is gone with it
		}
		m.release(ctx, name)
	case err != nil:
		return
	case !active(a.Status):
		if r := m.takeRunning(name); r != nil {
			r.stop(true)
		}
		m.release(ctx, name)
	case a.Version != r.def.Version:
		if r := m.takeRunning(name); r != nil {
			r.stop(true)
		}
		if err := m.launch(a, LastStoppedPoint, nil); err != nil && m.closing.Err() == nil && !errors.Is(err, errLeaseLost) {
			m.opts.Logger.Error("restarting a changed application failed; it is READY again", "application", name, "err", err)
			a.Status = Ready
			a.Failure = &Failure{Time: m.now(), Message: "could not restart: " + err.Error()}
			if _, err := m.store.Update(ctx, a, rev); err != nil {
				m.opts.Logger.Error("saving READY failed", "application", name, "err", err)
			}
			m.release(ctx, name)
		}
	}
}

// active says an application of this status should be running.
func active(status string) bool { return status == Running || status == Starting }

// Node is this server's node name ("" on a single server).
func (m *Manager) Node() string { return m.opts.Node }

// Running names the applications this server runs, sorted.
func (m *Manager) Running() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.running))
	for name := range m.running {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Nodes lists the live nodes sharing this server's NATS (none on a single
// server), by name.
func (m *Manager) Nodes(ctx context.Context) ([]Node, error) {
	if m.cluster == nil {
		return nil, nil
	}
	keys, err := m.cluster.nodes.Keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	var nodes []Node
	for _, k := range keys {
		data, err := m.cluster.nodes.Get(ctx, k)
		if errors.Is(err, streamlog.ErrNotFound) {
			continue // expired meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", k, err)
		}
		n := Node{Name: k}
		json.Unmarshal(data, &n)
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// closeCluster, once the applications are stopped, releases the leases
// left and removes this node's presence, so that the others take its
// applications over at their next scan rather than after the TTL.
func (m *Manager) closeCluster() {
	c := m.cluster
	c.stopRenew()
	c.renewing.Wait()
	ctx, cancel := context.WithTimeout(m.base, c.ttl/2)
	defer cancel()
	m.mu.Lock()
	names := make([]string, 0, len(m.leases))
	for name := range m.leases {
		names = append(names, name)
	}
	m.mu.Unlock()
	for _, name := range names {
		m.release(ctx, name)
	}
	if err := c.nodes.Delete(ctx, c.node); err != nil {
		m.opts.Logger.Error("removing this node's presence failed; it expires", "node", c.node, "err", err)
	}
}
