package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
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
// With it, a dead node's applications resume on another within 10 s plus
// their restore, typically 6 to 9 (docs/cluster.md, Failover time), and
// an owner rides out 4 s of NATS not answering (a server lost, a leader
// being elected) before it stops its applications.
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

	// claims are applications another node placed on (or handed to) this
	// one, as the watch of the leases saw them: the scan loop, woken by
	// claimNow, takes them at once rather than at its next scan.
	claimMu  sync.Mutex
	claims   map[string]bool
	claimNow chan struct{}
	// renewNow wakes the renewals when a move is asked of this node.
	renewNow chan struct{}
	// changed holds, for a lease someone waits on (a Start placed
	// elsewhere, a move), a channel closed at the lease's next write.
	changedMu sync.Mutex
	changed   map[string]chan struct{}

	stopScan, stopRenew         context.CancelFunc
	scanning, renewing, handing sync.WaitGroup
	losing                      sync.WaitGroup // runs stopping after their lease was lost
	renewErrors                 throttle.Log
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
	start   string    // the position a Start placed it with, until it runs
	moving  string    // a move asked: the node it goes to
	handing bool      // the hand-over to moving has begun
	lag     *Lag      // the last measure, written at the next renewal
	shown   *Lag      // the measure the lease holds (its last write's)
	// write makes this node's writes of the lease (renewals, the mark of a
	// launch, the hand-over) one at a time: a conflict is another node's.
	write sync.Mutex
}

// leaseValue is what a lease key holds. Fields other than Node and
// Application are left out when empty: a node of an earlier version reads
// the value as before.
type leaseValue struct {
	Node        string
	Application string
	// By is the node that wrote the lease naming Node (placed there, or
	// handed over), until Node takes it.
	By string `json:",omitempty"`
	// Start is the position a Start placed the application with, until it
	// runs; without it, it resumes from its last checkpoint.
	Start string `json:",omitempty"`
	// Running says Node runs the application, not only holds its lease.
	Running bool `json:",omitempty"`
	// MoveTo asks Node to hand the application over to this node.
	MoveTo string `json:",omitempty"`
	// Lag is how far behind its input Node last measured it.
	Lag *Lag `json:",omitempty"`
}

// Lag is how far a running application is behind its input: the messages
// (batches as appended: a PutRecordBatch, a PutRecords' share of a shard)
// stored in its input stream from the oldest one it has not entirely fed
// to its engine through the last; 0 when it has fed everything. Measured
// is when, on its owner's clock.
type Lag struct {
	Messages int64
	Measured time.Time
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
	c := &cluster{node: m.opts.Node, started: m.now(), ttl: ttl, every: ttl / 4, deadline: ttl / 2, seen: map[string]sighting{}, presence: map[string]sighting{},
		claims: map[string]bool{}, claimNow: make(chan struct{}, 1), renewNow: make(chan struct{}, 1), changed: map[string]chan struct{}{}}
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

// take takes an application's lease for this node whoever holds it (a
// Start here: a node still running it from before its stop loses it at
// its next renewal). It says false when another node was quicker.
func (m *Manager) take(ctx context.Context, a Application) (bool, error) {
	c := m.cluster
	key := leaseKey(a)
	value, err := json.Marshal(leaseValue{Node: c.node, Application: a.Name})
	if err != nil {
		return false, err
	}
	start := m.opts.Clock.Now()
	_, rev, err := c.leases.Entry(ctx, key)
	var next uint64
	switch {
	case errors.Is(err, streamlog.ErrNotFound):
		next, err = c.leases.Create(ctx, key, value)
		if errors.Is(err, streamlog.ErrExists) {
			return false, nil
		}
	case err != nil:
		return false, fmt.Errorf("lease of %s: %w", a.Name, err)
	default:
		next, err = c.leases.Update(ctx, key, value, rev)
		if errors.Is(err, streamlog.ErrConflict) {
			return false, nil
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

// place decides, for a RUNNING application whose lease this node does not
// hold, where it runs. A lease naming this node (placed here, handed over,
// or left by this node's previous process) it takes. A free lease, or one
// its owner has not renewed for the TTL, goes to the least-loaded live
// node (p), written with compare-and-set on the revision read: this node
// then holds it, or that node takes it when it sees it (its watch of the
// leases, else its next scan). It says whether this node now holds the
// lease. Reassigning an expired lease is a failover, counted here, once.
func (m *Manager) place(ctx context.Context, a Application, p *placer) (bool, error) {
	c := m.cluster
	key := leaseKey(a)
	start := m.opts.Clock.Now()
	data, rev, err := c.leases.Entry(ctx, key)
	var v leaseValue
	switch {
	case errors.Is(err, streamlog.ErrNotFound):
		rev = 0
	case err != nil:
		return false, fmt.Errorf("lease of %s: %w", a.Name, err)
	default:
		json.Unmarshal(data, &v) // unreadable: another node's
	}
	to, failover := c.node, false
	if rev == 0 || v.Node != c.node {
		if rev != 0 {
			if !c.expired(key, rev, start) {
				return false, nil
			}
			failover = true
			p.down(v.Node)
		}
		if to, err = p.pick(ctx); err != nil {
			// Rather here than nowhere: the loads are a preference.
			c.renewErrors.Error("reading the nodes' loads failed; the application runs here", "application", a.Name, "err", err)
			to = c.node
		}
	}
	// A Start's position goes with the lease until the application runs;
	// a move asked of a dead owner ends here.
	next := leaseValue{Node: to, Application: a.Name, Start: v.Start}
	if to != c.node {
		next.By = c.node
	}
	value, err := json.Marshal(next)
	if err != nil {
		return false, err
	}
	var nrev uint64
	if rev == 0 {
		nrev, err = c.leases.Create(ctx, key, value)
		if errors.Is(err, streamlog.ErrExists) {
			return false, nil // another node was quicker
		}
	} else {
		nrev, err = c.leases.Update(ctx, key, value, rev)
		if errors.Is(err, streamlog.ErrConflict) {
			return false, nil
		}
	}
	if err != nil {
		return false, fmt.Errorf("lease of %s: %w", a.Name, err)
	}
	if failover {
		m.metrics.failovers.Inc()
	}
	p.placed(to)
	if to != c.node {
		m.opts.Logger.Info("the application goes to the least-loaded node", "application", a.Name, "node", to, "from", c.node)
		return false, nil
	}
	m.mu.Lock()
	m.leases[a.Name] = &lease{key: key, rev: nrev, renewed: start, start: v.Start}
	m.mu.Unlock()
	return true, nil
}

// expired says whether another node's lease, now at rev, has stayed at
// rev for the TTL since this node first saw it there. Ages are measured
// between scans, which a ticker may start a hair early: half a scan period
// of slack (TTL/8) keeps that from costing a whole period more. The owner
// has stopped by 3/4 TTL after its last renewal began, and its outputs
// are fenced from TTL/2: a takeover comes at least 7/8 TTL after it.
func (c *cluster) expired(key string, rev uint64, now time.Time) bool {
	return c.age(c.seen, key, rev, now) >= c.ttl-c.every/2
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
	// The lease this run was opened under: another lease of the same
	// application (taken again by this node after losing it, while this
	// run still stops) is not this run's.
	m.mu.Lock()
	held := m.leases[name]
	m.mu.Unlock()
	return func() error {
		m.mu.Lock()
		l := m.leases[name]
		var renewed time.Time
		if l != nil {
			renewed = l.renewed
		}
		m.mu.Unlock()
		if l == nil || l != held {
			return errors.New("this node no longer holds the lease this run was started under")
		}
		if age := m.opts.Clock.Since(renewed); age >= c.deadline {
			return fmt.Errorf("this node's lease was last renewed %s ago", age.Round(time.Millisecond))
		}
		return nil
	}
}

// unhold lets go of an application's lease without touching it in NATS:
// it still names this node (and keeps a Start's position), so this node's
// next scan takes it again; it is no longer renewed, so if this node
// cannot, another takes it once it expires.
func (m *Manager) unhold(name string) {
	if m.cluster == nil {
		return
	}
	m.mu.Lock()
	delete(m.leases, name)
	m.mu.Unlock()
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
// already run it. The run's outputs are fenced from now (the lease is
// gone); its end is awaited apart, so that a loop stuck in a checkpoint
// write to a NATS that does not answer holds up no renewal or deadline
// check of the other applications.
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
		m.cluster.losing.Go(func() { r.stop(false) })
	}
}

// renewLeases refreshes this node's presence and renews its leases every
// TTL/4 (and at once when a move is asked of it) until ctx ends.
func (m *Manager) renewLeases(ctx context.Context) {
	t := m.opts.Clock.NewTicker(m.cluster.every)
	defer t.Stop()
	for {
		m.renew(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
		case <-m.cluster.renewNow:
		}
	}
}

// renew is one round of renewals, bounded to half a period so that a
// NATS that does not answer cannot hold the deadline checks back; then
// the lags of the applications run here are measured, for the next.
func (m *Manager) renew(ctx context.Context) {
	c := m.cluster
	round, cancel := context.WithTimeout(ctx, c.every/2)
	defer cancel()
	m.mu.Lock()
	held := maps.Clone(m.leases)
	count := len(m.running)
	m.mu.Unlock()
	// A closing node says no more that it is alive: nothing is placed on
	// it while it stops.
	if m.closing.Err() == nil {
		me, _ := json.Marshal(Node{Name: c.node, Started: c.started, Applications: count})
		if err := c.nodes.Put(round, c.node, me); err != nil && ctx.Err() == nil {
			c.renewErrors.Error("refreshing this node's presence failed", "node", c.node, "err", err)
		}
	}
	// Together (a few at a time), each within the round's bound: one after
	// another, a node holding many leases on a loaded machine renewed the
	// last ones too late and stopped its own applications.
	type renewal struct {
		name string
		l    *lease
		err  error
	}
	renewals := make(chan renewal, len(held))
	var renewing sync.WaitGroup
	slots := make(chan struct{}, renewConcurrency)
	for name, l := range held {
		renewing.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			renewals <- renewal{name, l, m.renewOne(round, name, l)}
		})
	}
	renewing.Wait()
	close(renewals)
	for rn := range renewals {
		name, l, err := rn.name, rn.l, rn.err
		switch {
		case err == nil:
		case errors.Is(err, streamlog.ErrConflict):
			if m.moveAsked(round, name, l) {
				continue
			}
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
	m.measureLags(ctx)
}

// renewConcurrency bounds the renewals a node has in flight at once.
const renewConcurrency = 16

// renewOne writes a lease this node holds again, on the revision of its
// last write, with what the lease says of the application (running here,
// its lag, a move under way, a Start's position not yet used). A lease
// released or handed over meanwhile is left alone.
func (m *Manager) renewOne(ctx context.Context, name string, l *lease) error {
	c := m.cluster
	l.write.Lock()
	defer l.write.Unlock()
	m.mu.Lock()
	if m.leases[name] != l {
		m.mu.Unlock()
		return nil
	}
	rev := l.rev
	v := leaseValue{Node: c.node, Application: name, Start: l.start, Running: m.running[name] != nil, MoveTo: l.moving, Lag: l.lag}
	m.mu.Unlock()
	value, err := json.Marshal(v)
	if err != nil {
		return err
	}
	start := m.opts.Clock.Now()
	next, err := c.leases.Update(ctx, l.key, value, rev)
	if err != nil {
		return err
	}
	m.mu.Lock()
	if m.leases[name] == l {
		l.rev, l.renewed, l.shown = next, start, v.Lag
	}
	m.mu.Unlock()
	return nil
}

// launched says at once, in the lease, that this node runs an application
// it holds (a Start or a move elsewhere waits for it), the position a
// Start placed it with now spent. A conflict is left to the renewals.
func (m *Manager) launched(ctx context.Context, name string) {
	if m.cluster == nil {
		return
	}
	m.mu.Lock()
	l := m.leases[name]
	if l != nil {
		l.start = ""
	}
	m.mu.Unlock()
	if l == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, m.cluster.every/2)
	defer cancel()
	if err := m.renewOne(ctx, name, l); err != nil && !errors.Is(err, streamlog.ErrConflict) {
		m.cluster.renewErrors.Error("renewing a lease failed", "application", name, "err", err)
	}
}

// scanLeases, once the resume pass is done, looks every TTL/4 for RUNNING
// applications nobody runs (their lease free or expired) and for those it
// runs that were stopped, deleted or changed on another node; and, woken
// by the watch of the leases, takes at once those placed on this node.
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
			m.scan(ctx)
		case <-m.cluster.claimNow:
			m.claim(ctx)
		}
	}
}

func (m *Manager) scan(ctx context.Context) {
	c := m.cluster
	apps, err := m.store.List(ctx)
	if err != nil {
		if ctx.Err() == nil {
			c.renewErrors.Error("listing the applications failed", "err", err)
		}
		return
	}
	// Without the leases this scan only follows what this node runs.
	leases, lerr := c.leases.Entries(ctx)
	if lerr != nil && ctx.Err() == nil {
		c.renewErrors.Error("listing the leases failed", "err", lerr)
	}
	now := m.opts.Clock.Now()
	activeKeys := map[string]bool{}
	for _, a := range apps {
		if active(a.Status) {
			activeKeys[leaseKey(a)] = true
		}
	}
	// One look at the loads for the scan: the leases of RUNNING
	// applications, counted by the node they name.
	p := &placer{m: m, leases: leases, keep: activeKeys}
	listed := map[string]bool{}
	watched := map[string]bool{}
	for _, a := range apps {
		if ctx.Err() != nil {
			return
		}
		listed[a.Name] = true
		r := m.runningApp(a.Name)
		switch {
		case r != nil && (!active(a.Status) || a.Version != r.def.Version):
			m.follow(ctx, a.Name)
		case r == nil && active(a.Status) && lerr == nil:
			key := leaseKey(a)
			watched[key] = true
			e, taken := leases[key]
			act := !taken // free
			if taken {
				var v leaseValue
				json.Unmarshal(e.Value, &v)
				switch {
				case v.Node == c.node: // placed here, or left by this node's previous process
					act = true
				case c.expired(key, e.Revision, now):
					act = true
					p.down(v.Node)
				}
			}
			if act {
				m.takeOver(ctx, a.Name, p)
			}
		}
	}
	for _, name := range m.Running() {
		if !listed[name] {
			m.follow(ctx, name)
		}
	}
	if lerr != nil {
		return
	}
	// A lease of no RUNNING application (stopped or deleted while placed
	// on a node that died) would count in that node's load: once nobody
	// has written it for the TTL, it goes.
	m.mu.Lock()
	heldKeys := map[string]bool{}
	for _, l := range m.leases {
		heldKeys[l.key] = true
	}
	m.mu.Unlock()
	for key, e := range leases {
		if activeKeys[key] || heldKeys[key] {
			continue
		}
		watched[key] = true
		if c.expired(key, e.Revision, now) {
			if err := c.leases.DeleteAt(ctx, key, e.Revision); err != nil && !errors.Is(err, streamlog.ErrConflict) && ctx.Err() == nil {
				c.renewErrors.Error("removing a lease of no running application failed", "lease", key, "err", err)
			}
		}
	}
	c.forget(watched)
	c.scans.Add(1)
}

// claim takes the applications the watch saw placed on this node.
func (m *Manager) claim(ctx context.Context) {
	c := m.cluster
	c.claimMu.Lock()
	names := slices.Sorted(maps.Keys(c.claims))
	clear(c.claims)
	c.claimMu.Unlock()
	for _, name := range names {
		if ctx.Err() != nil {
			return
		}
		m.takeOver(ctx, name, nil)
	}
}

// takeOver runs a RUNNING application that this node does not run if its
// lease is or becomes this node's (see place): from the position a Start
// placed it with, else from its last checkpoint.
func (m *Manager) takeOver(ctx context.Context, name string, p *placer) {
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
		if p == nil {
			p = &placer{m: m}
		}
		ok, err := m.place(ctx, a, p)
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
	c.handing.Wait()
	c.losing.Wait()
	ctx, cancel := context.WithTimeout(m.base, c.ttl/2)
	defer cancel()
	// Presence first: the others place what is released on live nodes.
	m.leave(ctx)
	m.mu.Lock()
	names := make([]string, 0, len(m.leases))
	for name := range m.leases {
		names = append(names, name)
	}
	m.mu.Unlock()
	for _, name := range names {
		m.release(ctx, name)
	}
}

// leave removes this node's presence: no node places an application on
// it any more.
func (m *Manager) leave(ctx context.Context) {
	c := m.cluster
	if err := c.nodes.Delete(ctx, c.node); err != nil {
		m.opts.Logger.Error("removing this node's presence failed; it expires", "node", c.node, "err", err)
	}
}
