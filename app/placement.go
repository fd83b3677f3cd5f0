package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riffle-sql/riffle/streamlog"
)

// Placement, moves and lags of a cluster's applications (docs/cluster.md).
// The lease bucket is the one source of truth: placing an application on
// a node is writing its lease naming that node (compare-and-set on the
// revision read); the node takes a lease naming it that it does not run
// and runs it. Every node watches the bucket, so that it sees at once what
// is placed on it; its scans see it too, should the watch fail.

// placer picks the node an application goes to: the least-loaded live
// node, its load the leases naming it. The loads are read once (a scan, a
// Start, a resume pass) and kept up to date with the placements made.
type placer struct {
	m      *Manager
	leases map[string]streamlog.KVEntry // as listed; nil until read
	keep   map[string]bool              // the leases that count (nil: all)
	gone   map[string]bool              // nodes found not renewing their leases
	live   []string                     // by name
	loads  map[string]int
}

// down leaves a node that no longer renews its leases out of the
// placements (its presence may not have expired yet).
func (p *placer) down(node string) {
	if p.gone == nil {
		p.gone = map[string]bool{}
	}
	p.gone[node] = true
}

// placed counts an application placed on node.
func (p *placer) placed(node string) {
	if p.loads != nil {
		p.loads[node]++
	}
}

func (p *placer) load(ctx context.Context) error {
	if p.loads != nil {
		return nil
	}
	c := p.m.cluster
	live, err := c.nodes.Keys(ctx)
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	if p.leases == nil {
		if p.leases, err = c.leases.Entries(ctx); err != nil {
			return fmt.Errorf("list leases: %w", err)
		}
	}
	loads := map[string]int{}
	for key, e := range p.leases {
		var v leaseValue
		if (p.keep == nil || p.keep[key]) && json.Unmarshal(e.Value, &v) == nil {
			loads[v.Node]++
		}
	}
	// This node, unless it is closing, even before its presence is
	// written (its resume pass runs as it starts).
	if !slices.Contains(live, c.node) && p.m.closing.Err() == nil {
		live = append(live, c.node)
		slices.Sort(live)
	}
	p.live, p.loads = live, loads
	return nil
}

// pick is the least-loaded live node; among the least loaded, this node
// if it is one of them (no hop through another), else the first by name.
func (p *placer) pick(ctx context.Context) (string, error) {
	if err := p.load(ctx); err != nil {
		return "", err
	}
	self := p.m.cluster.node
	best := ""
	for _, n := range p.live {
		if p.gone[n] {
			continue
		}
		if best == "" || p.loads[n] < p.loads[best] || p.loads[n] == p.loads[best] && n == self {
			best = n
		}
	}
	if best == "" {
		best = self
	}
	return best, nil
}

// watchLeases follows the writes of the leases until ctx ends: a lease
// placed on (or handed to) this node is taken at once, a move asked of
// this node noticed at once, and those waiting on a lease told.
func (m *Manager) watchLeases(ctx context.Context) {
	c := m.cluster
	for ctx.Err() == nil {
		writes, err := c.leases.Watch(ctx)
		if err == nil {
			for e := range writes {
				m.leaseWritten(e)
			}
			if ctx.Err() != nil {
				return
			}
			err = errors.New("the watch ended")
		}
		c.renewErrors.Error("watching the leases failed; placements reach this node at its scans", "node", c.node, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-m.opts.Clock.After(c.every):
		}
	}
}

// leaseWritten reacts to a write of a lease.
func (m *Manager) leaseWritten(e streamlog.KVEntry) {
	c := m.cluster
	c.notify(e.Key)
	var v leaseValue
	if e.Deleted || json.Unmarshal(e.Value, &v) != nil || v.Node != c.node {
		return
	}
	switch {
	case v.By != "": // placed here by another node, or handed over
		c.claimMu.Lock()
		c.claims[v.Application] = true
		c.claimMu.Unlock()
		signal(c.claimNow)
	case v.MoveTo != "":
		m.mu.Lock()
		l := m.leases[v.Application]
		asked := l != nil && l.moving != v.MoveTo
		m.mu.Unlock()
		if asked {
			signal(c.renewNow)
		}
	}
}

// signal wakes a loop waiting on ch (capacity 1) without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// changes is closed at the next write of a lease (take it before reading
// the lease: no write in between is missed).
func (c *cluster) changes(key string) <-chan struct{} {
	c.changedMu.Lock()
	defer c.changedMu.Unlock()
	ch := c.changed[key]
	if ch == nil {
		ch = make(chan struct{})
		c.changed[key] = ch
	}
	return ch
}

func (c *cluster) notify(key string) {
	c.changedMu.Lock()
	defer c.changedMu.Unlock()
	if ch := c.changed[key]; ch != nil {
		close(ch)
		delete(c.changed, key)
	}
}

// await waits until done says so of a lease (nil when there is none), for
// up to bound, looking again at each write of it (and each TTL/4, should
// the watch fail). It says whether done did.
func (m *Manager) await(ctx context.Context, key string, bound time.Duration, done func(v *leaseValue) bool) bool {
	c := m.cluster
	timer := m.opts.Clock.NewTimer(bound)
	defer timer.Stop()
	for {
		changed := c.changes(key)
		data, _, err := c.leases.Entry(ctx, key)
		switch {
		case errors.Is(err, streamlog.ErrNotFound):
			if done(nil) {
				return true
			}
		case err == nil:
			var v leaseValue
			if json.Unmarshal(data, &v) == nil && done(&v) {
				return true
			}
		}
		select {
		case <-changed:
		case <-m.opts.Clock.After(c.every):
		case <-timer.Chan():
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// runsOn says a lease's node has taken it and runs the application.
func runsOn(v *leaseValue, node string) bool {
	return v != nil && v.Node == node && v.By == "" && v.Running
}

// startOn starts an application on another node, the least-loaded one:
// saved RUNNING first (the node reads the definition once it holds the
// lease), then its lease written naming that node, with the start
// position, over whatever held it (as a Start here takes it). It waits,
// up to the TTL, until the application runs there: a start from NOW
// reads what is sent once StartApplication has answered, as on a single
// server. A start that fails there is READY again with the reason,
// returned.
func (m *Manager) startOn(ctx context.Context, a Application, rev uint64, position, to string) error {
	c := m.cluster
	if _, err := m.store.Update(ctx, a, rev); err != nil {
		return err
	}
	key := leaseKey(a)
	value, err := json.Marshal(leaseValue{Node: to, Application: a.Name, By: c.node, Start: position})
	if err != nil {
		return err
	}
	for try := 0; ; try++ {
		_, lrev, err := c.leases.Entry(ctx, key)
		switch {
		case errors.Is(err, streamlog.ErrNotFound):
			_, err = c.leases.Create(ctx, key, value)
		case err == nil:
			_, err = c.leases.Update(ctx, key, value, lrev)
		}
		if err == nil {
			break
		}
		if try < 3 && (errors.Is(err, streamlog.ErrExists) || errors.Is(err, streamlog.ErrConflict)) {
			continue // a renewal landed in between
		}
		// Not placed: READY again, so that no node runs it from an old
		// checkpoint.
		if cur, crev, gerr := m.store.Get(ctx, a.Name); gerr == nil && cur.Status == Running {
			cur.Status = Ready
			m.store.Update(ctx, cur, crev)
		}
		return fmt.Errorf("start %s on node %s: lease: %w", a.Name, to, err)
	}
	m.opts.Logger.Info("the application starts on the least-loaded node", "application", a.Name, "node", to, "from", c.node)
	var failure string
	m.await(ctx, key, c.ttl, func(v *leaseValue) bool {
		if v == nil { // released: its start failed there, or it was stopped
			if cur, _, err := m.store.Get(ctx, a.Name); err == nil && cur.Status == Ready && cur.Failure != nil {
				failure = cur.Failure.Message
			}
			return true
		}
		return runsOn(v, to) || v.Node != to // (taken elsewhere: its node died)
	})
	if failure != "" {
		return fmt.Errorf("application %s could not start on node %s: %s", a.Name, to, failure)
	}
	return nil
}

// Moved says where a move took an application.
type Moved struct {
	Application, From, To string
	// Done: the application runs on To (else the move was asked, and goes
	// on).
	Done bool
}

// Move hands a RUNNING application over to another live node, from any
// node: its owner stops it with a drain and a last checkpoint, then writes
// its lease naming the node (compare-and-set), which resumes it from that
// checkpoint: no row lost, none delivered twice. Asked of another node
// than the owner, the move is a mark (MoveTo) written into the lease with
// compare-and-set, which the owner sees at once (its watch) or at its next
// renewal. Move waits up to wait for the application to run on node.
func (m *Manager) Move(ctx context.Context, name, node string, wait time.Duration) (Moved, error) {
	c := m.cluster
	if c == nil {
		return Moved{}, ErrNoCluster
	}
	a, _, err := m.store.Get(ctx, name)
	if err != nil {
		return Moved{}, err
	}
	if a.Status != Running {
		return Moved{}, fmt.Errorf("%w: application %s is %s, not RUNNING", ErrInUse, name, a.Status)
	}
	live, err := c.nodes.Keys(ctx)
	if err != nil {
		return Moved{}, fmt.Errorf("list nodes: %w", err)
	}
	if !slices.Contains(live, node) {
		return Moved{}, fmt.Errorf("%w: no live node is named %q (live nodes: %s)", ErrInvalid, node, strings.Join(live, ", "))
	}
	key := leaseKey(a)
	moved := Moved{Application: name, To: node}
	for try := 0; ; try++ {
		data, rev, err := c.leases.Entry(ctx, key)
		if errors.Is(err, streamlog.ErrNotFound) {
			return moved, fmt.Errorf("%w: application %s has no owner now (a node takes it at its next scan); move it once it runs", ErrInUse, name)
		}
		if err != nil {
			return moved, fmt.Errorf("lease of %s: %w", name, err)
		}
		var v leaseValue
		if err := json.Unmarshal(data, &v); err != nil {
			return moved, fmt.Errorf("lease of %s: %w", name, err)
		}
		moved.From = v.Node
		switch {
		case v.Node == node && v.By == "":
			return moved, fmt.Errorf("%w: application %s already runs on node %s", ErrInUse, name, node)
		case v.By != "" || !v.Running:
			return moved, fmt.Errorf("%w: application %s is starting on node %s; move it once it runs there", ErrInUse, name, v.Node)
		case !slices.Contains(live, v.Node):
			return moved, fmt.Errorf("%w: the owner of %s, node %s, is not live: another node takes it over", ErrInUse, name, v.Node)
		}
		if v.Node == c.node { // this node runs it: no mark, the hand-over begins
			m.mu.Lock()
			l := m.leases[name]
			if l != nil {
				l.moving = node
			}
			m.mu.Unlock()
			if l == nil {
				return moved, fmt.Errorf("%w: application %s is starting on node %s; move it once it runs there", ErrInUse, name, v.Node)
			}
			m.startHandOver(name, l)
			break
		}
		v.MoveTo = node
		value, _ := json.Marshal(v)
		_, err = c.leases.Update(ctx, key, value, rev)
		if err == nil {
			break
		}
		if !errors.Is(err, streamlog.ErrConflict) || try == 4 {
			return moved, fmt.Errorf("ask %s to move %s: %w", v.Node, name, err)
		}
		// A renewal landed in between: read it again.
	}
	m.opts.Logger.Info("a move is asked", "application", name, "from", moved.From, "to", node)
	if wait > 0 {
		moved.Done = m.await(ctx, key, wait, func(v *leaseValue) bool { return runsOn(v, node) })
	}
	return moved, nil
}

// moveAsked reads a lease whose renewal conflicted: if the write was a
// move asked of this node (the lease still names it, with MoveTo), the
// lease is kept, renewed at its new revision, and the hand-over begins.
// It says false when another node took the lease.
func (m *Manager) moveAsked(ctx context.Context, name string, l *lease) bool {
	c := m.cluster
	// A round of its own: the renewals' may be spent already (many leases,
	// a slow NATS), and a move not seen would be taken for a lost lease.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.every/2)
	defer cancel()
	data, cur, err := c.leases.Entry(ctx, l.key)
	var v leaseValue
	if err != nil || json.Unmarshal(data, &v) != nil || v.Node != c.node || v.By != "" || v.MoveTo == "" || v.MoveTo == c.node {
		return false
	}
	m.mu.Lock()
	if m.leases[name] != l {
		m.mu.Unlock()
		return true // released or handed over meanwhile: nothing to lose
	}
	l.rev, l.moving = cur, v.MoveTo
	m.mu.Unlock()
	m.startHandOver(name, l)
	if err := m.renewOne(ctx, name, l); errors.Is(err, streamlog.ErrConflict) {
		return false
	}
	return true
}

// startHandOver begins, once, the hand-over of a lease this node holds to
// l.moving.
func (m *Manager) startHandOver(name string, l *lease) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.leases[name] != l || l.handing {
		return
	}
	l.handing = true
	m.cluster.handing.Go(func() { m.handOver(name, l) })
}

// handOver stops an application run here with a drain and a last
// checkpoint (its lease renewed meanwhile), then writes its lease naming
// the node it moves to, with compare-and-set on this node's last write:
// that node takes it and resumes from the checkpoint.
func (m *Manager) handOver(name string, l *lease) {
	c := m.cluster
	unlock := m.lock(name)
	defer unlock()
	m.mu.Lock()
	held, to := m.leases[name] == l, l.moving
	m.mu.Unlock()
	if !held {
		return
	}
	check, cancel := context.WithTimeout(m.base, c.every)
	_, err := c.nodes.Get(check, to)
	cancel()
	if err != nil {
		m.opts.Logger.Warn("the node to move to is not live: the application stays", "application", name, "to", to, "err", err)
		m.mu.Lock()
		if l.moving == to {
			l.moving = "" // the next renewal clears the mark
		}
		l.handing = false
		m.mu.Unlock()
		return
	}
	r := m.takeRunning(name)
	if r == nil {
		// Gone meanwhile: the server closing stops it with its own drain
		// and last checkpoint, and releases the lease after; handing it
		// over now would race that checkpoint.
		m.mu.Lock()
		l.handing = false
		m.mu.Unlock()
		return
	}
	r.stop(true)
	// Out of the leases held, after any renewal on its way (whose
	// revision counts): later renewals leave it alone.
	l.write.Lock()
	m.mu.Lock()
	held = m.leases[name] == l
	if held {
		delete(m.leases, name)
	}
	rev, to := l.rev, l.moving
	m.mu.Unlock()
	l.write.Unlock()
	if !held {
		return // lost meanwhile: it stopped here all the same
	}
	ctx, cancel := context.WithTimeout(m.base, c.ttl/2)
	defer cancel()
	for range 5 {
		value, _ := json.Marshal(leaseValue{Node: to, Application: name, By: c.node})
		_, err = c.leases.Update(ctx, l.key, value, rev)
		if err == nil {
			m.opts.Logger.Info("the application is handed over", "application", name, "from", c.node, "to", to)
			return
		}
		if !errors.Is(err, streamlog.ErrConflict) {
			break
		}
		// Written meanwhile: another move asked (another node to go to),
		// or the lease is another node's now.
		data, cur, gerr := c.leases.Entry(ctx, l.key)
		var v leaseValue
		if gerr != nil || json.Unmarshal(data, &v) != nil || v.Node != c.node {
			return
		}
		if v.MoveTo != "" {
			to = v.MoveTo
		}
		rev = cur
	}
	// The lease still names this node: its next scan takes it and resumes
	// the application here, from the checkpoint just saved.
	m.opts.Logger.Error("handing the application over failed: it resumes here", "application", name, "to", to, "err", err)
}

// measureLags measures the lag of each application this node runs, for
// its next renewal, within half a period.
func (m *Manager) measureLags(ctx context.Context) {
	c := m.cluster
	round, cancel := context.WithTimeout(ctx, c.every/2)
	defer cancel()
	type owned struct {
		l *lease
		r *running
	}
	m.mu.Lock()
	var all []owned
	for name, l := range m.leases {
		if r := m.running[name]; r != nil {
			all = append(all, owned{l, r})
		}
	}
	m.mu.Unlock()
	lasts := map[string]uint64{}
	for _, o := range all {
		n, ok, err := o.r.behind(round, lasts)
		if err != nil || !ok {
			continue // unknown this time: the last measure stays
		}
		m.mu.Lock()
		o.l.lag = &Lag{Messages: n, Measured: m.now()}
		m.mu.Unlock()
	}
}

// publish makes the positions the loop has fed to available to other
// goroutines (the lag, for a node's lease and for the metrics). The loop
// publishes when it starts and after each step that fed records: a copy
// of a position per shard, next to the records fed.
func (r *running) publish() {
	li, ok := r.in.(*logInput)
	if !ok {
		return // a remote stream's lag is not measured
	}
	p := li.positions(r.lanes)
	r.fed.Store(&p)
}

// behind is the application's lag in messages (see Lag), from what its
// loop has fed: the messages of its input from the oldest one a shard has
// not entirely fed through the stream's last. lasts keeps each stream's
// last message for one round. It says false when the loop has not fed
// anything yet.
func (r *running) behind(ctx context.Context, lasts map[string]uint64) (int64, bool, error) {
	pos := r.fed.Load()
	if pos == nil {
		return 0, false, nil
	}
	last, ok := lasts[r.source]
	if !ok {
		var err error
		if last, err = r.log.Last(ctx, r.source); err != nil {
			return 0, false, err
		}
		lasts[r.source] = last
	}
	var oldest uint64
	for shard, p := range *pos {
		if p.Msg > last {
			continue
		}
		recs, _, err := r.log.Read(ctx, r.source, shard, p, 1)
		if err != nil {
			return 0, false, err
		}
		if len(recs) > 0 && (oldest == 0 || recs[0].Seq.Msg < oldest) {
			oldest = recs[0].Seq.Msg
		}
	}
	if oldest == 0 || oldest > last {
		return 0, true, nil
	}
	return int64(last - oldest + 1), true, nil
}
