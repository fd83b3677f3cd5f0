package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/internal/safedial"
	"github.com/riffle-sql/riffle/sql/parser"
	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/streamlog"
)

// Manager supervises the applications: it checks and stores changes and
// starts and stops running applications. Changes to one application are
// serialized by that application's own lock, under which its slow work
// happens (fetching reference data, probing outputs, compiling, draining
// and the last checkpoint); reads (Get, List, taps) take no application's
// lock, and no lock is held across I/O that another application waits on.
type Manager struct {
	log   *streamlog.Log
	store *Store
	opts  Options
	// base owns every running application: it outlives a cancelled
	// NewManager context (a SIGTERM), as Close stops them with a last
	// checkpoint. closing ends with Close, stopping slow work in progress.
	base, closing context.Context
	closeNow      context.CancelFunc

	metrics *metrics

	// userURLs reach the URLs given through the API: public addresses
	// only, unless Options.AllowPrivateURLs.
	userURLs  safedial.Guard
	urlClient *http.Client

	resumed  chan struct{}  // closed once the applications that were running are resumed
	resuming sync.WaitGroup // the resume pass
	loops    sync.WaitGroup // every run's loop, up to recording how it ended
	watchers sync.WaitGroup // taps of applications other nodes run (relay.go)
	// awaited are the applications the resume pass has yet to resume,
	// each with a channel closed once it has been (for taps that come
	// early); set before the pass starts, read-only after.
	awaited map[string]chan struct{}

	// cluster is this node's part when several share one NATS (nil on a
	// single server, which runs every application).
	cluster *cluster

	mu      sync.Mutex // guards what follows; never held across I/O
	locks   map[string]*sync.Mutex
	running map[string]*running
	leases  map[string]*lease // the leases this node holds, by application
	closed  bool
}

// NewManager opens the application store and resumes, in the background,
// the applications that were running (from their last checkpoint): the
// server answers while they compile and load. Resumed says when they are.
func NewManager(ctx context.Context, l *streamlog.Log, opts Options) (*Manager, error) {
	store, err := OpenStore(ctx, l)
	if err != nil {
		return nil, err
	}
	store.node = opts.Node
	base := context.WithoutCancel(ctx)
	closing, closeNow := context.WithCancel(base)
	m := &Manager{log: l, store: store, opts: opts.withDefaults(), base: base, closing: closing, closeNow: closeNow,
		locks: map[string]*sync.Mutex{}, running: map[string]*running{}, leases: map[string]*lease{}, resumed: make(chan struct{}),
		userURLs: safedial.Guard{AllowPrivate: opts.AllowPrivateURLs}}
	m.urlClient = m.userURLs.Client()
	if m.opts.Node != "" {
		if m.cluster, err = openCluster(ctx, m); err != nil {
			return nil, err
		}
	}
	apps, damaged, err := store.Scan(ctx)
	if err != nil {
		return nil, err
	}
	// One application that cannot be read must not keep the others down.
	for _, d := range damaged {
		m.opts.Logger.Error("an application is left out: run riffle repair", "application", d.Application, "problem", d.String())
	}
	var owned func() float64
	if m.cluster != nil {
		owned = m.countOwned
	}
	m.metrics = newMetrics(m.opts.Metrics, m.countRunning, len(damaged), owned)
	if m.opts.Metrics != nil {
		m.opts.Metrics.MustRegister(newRunCollector(m))
	}
	m.awaited = map[string]chan struct{}{}
	var toResume []string
	for _, a := range apps {
		if active(a.Status) {
			toResume = append(toResume, a.Name)
			m.awaited[a.Name] = make(chan struct{})
		}
	}
	if c := m.cluster; c != nil {
		// Renewals start before the resume pass: the leases it takes are
		// renewed while the rest resume.
		renewCtx, stopRenew := context.WithCancel(base)
		c.stopRenew = stopRenew
		c.renewing.Go(func() { m.renewLeases(renewCtx) })
		scanCtx, stopScan := context.WithCancel(m.closing)
		c.stopScan = stopScan
		c.scanning.Go(func() { m.scanLeases(scanCtx) })
		c.scanning.Go(func() { m.watchLeases(scanCtx) })
	}
	m.resuming.Go(func() {
		defer close(m.resumed)
		var p *placer // the loads, read once for the pass
		if m.cluster != nil {
			p = &placer{m: m}
		}
		for _, name := range toResume {
			if m.closing.Err() == nil { // shutting down: the rest resume at the next start
				if m.cluster == nil {
					m.resume(m.closing, name)
				} else { // those whose lease names this node, or is free and placed here
					m.takeOver(m.closing, name, p)
				}
			}
			close(m.awaited[name])
		}
	})
	return m, nil
}

// awaitResume waits, for an application the resume pass has yet to reach,
// until it has been resumed (or ctx ends).
func (m *Manager) awaitResume(ctx context.Context, name string) {
	if ch := m.awaited[name]; ch != nil {
		select {
		case <-ch:
		case <-ctx.Done():
		}
	}
}

// Resumed is closed once the applications that were running when the
// manager opened are running again (or, failing, READY with the reason).
func (m *Manager) Resumed() <-chan struct{} { return m.resumed }

// resume launches an application that was running from its last
// checkpoint; one that cannot resume (its reference file is gone) is
// READY again, and the others run on.
func (m *Manager) resume(ctx context.Context, name string) {
	unlock := m.lock(name)
	defer unlock()
	m.resumeLocked(ctx, name)
}

// resumeLocked is resume under the application's lock: from its last
// checkpoint, or, placed here by a Start on another node, from the
// Start's position.
func (m *Manager) resumeLocked(ctx context.Context, name string) {
	a, rev, err := m.store.Get(ctx, name)
	if err != nil {
		m.opts.Logger.Error("resume failed", "application", name, "err", err)
		return
	}
	position, doing := LastStoppedPoint, "resume"
	m.mu.Lock()
	if l := m.leases[name]; l != nil && l.start != "" {
		position, doing = l.start, "start"
	}
	m.mu.Unlock()
	if err := m.launch(a, position, nil); err != nil {
		if m.closing.Err() != nil || errors.Is(err, errLeaseLost) {
			return // interrupted by a shutdown (still RUNNING, to resume next time), or another node runs it
		}
		if m.cluster != nil && errors.Is(err, streamlog.ErrConflict) {
			// The checkpoint moved between this node's read and its
			// first write: the previous owner's last write, sent before
			// it lost the lease, landed late. Not the application's
			// failure: this node lets go of the lease but leaves it in
			// NATS as it is (naming this node, with a Start's position):
			// its next scan takes it again and resumes from there.
			m.opts.Logger.Warn("the checkpoint moved as this node resumed the application; a scan resumes it again", "application", name, "node", m.cluster.node, "err", err)
			m.unhold(name)
			return
		}
		if m.cluster != nil && (errors.Is(err, streamlog.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded)) {
			// NATS did not answer in time (a server lost, a leader being
			// elected): not the application's failure either. Likewise:
			// this node's next scan tries again, or, should it keep
			// failing, another node once the lease expires.
			m.cluster.renewErrors.Error("NATS did not answer as this node resumed the application; a scan tries again", "application", name, "node", m.cluster.node, "err", err)
			m.unhold(name)
			return
		}
		m.opts.Logger.Error(doing+" failed; the application is READY again", "application", name, "err", err)
		a.Status = Ready
		a.Failure = &Failure{Time: m.now(), Message: "could not " + doing + ": " + err.Error()}
		if _, err := m.store.Update(ctx, a, rev); err != nil {
			m.opts.Logger.Error("saving READY failed", "application", name, "err", err)
		}
		m.release(ctx, name)
		return
	}
	m.launched(ctx, name)
}

// lock takes an application's own lock and returns its release.
func (m *Manager) lock(name string) func() {
	m.mu.Lock()
	l := m.locks[name]
	if l == nil {
		l = &sync.Mutex{}
		m.locks[name] = l
	}
	m.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// runningApp is the application's running instance, if any.
func (m *Manager) runningApp(name string) *running {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.running[name]
}

// takeRunning removes the application's running instance (the caller
// stops it).
func (m *Manager) takeRunning(name string) *running {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.running[name]
	delete(m.running, name)
	return r
}

// Get returns an application.
func (m *Manager) Get(ctx context.Context, name string) (Application, error) {
	a, _, err := m.store.Get(ctx, name)
	return a, err
}

// List returns every application, by name.
func (m *Manager) List(ctx context.Context) ([]Application, error) {
	return m.store.List(ctx)
}

// now is the wall clock's time, as stored in definitions.
func (m *Manager) now() time.Time {
	return m.opts.Clock.Now().UTC().Truncate(time.Millisecond)
}

// Create stores a new application (READY, version 1). Its SQL is checked
// against its input's schema when it has both.
func (m *Manager) Create(ctx context.Context, a Application) (Application, error) {
	if err := checkName(a.Name); err != nil {
		return a, err
	}
	unlock := m.lock(a.Name)
	defer unlock()
	if _, _, err := m.store.Get(ctx, a.Name); err == nil {
		return a, fmt.Errorf("%w: application %s already exists", ErrInUse, a.Name)
	}
	if err := m.resolve(ctx, &a); err != nil {
		return a, err
	}
	if err := m.check(ctx, a); err != nil {
		return a, err
	}
	if err := m.probeOutputs(ctx, nil, a.Outputs); err != nil {
		return a, err
	}
	now := m.now()
	a.Status, a.Version, a.Created, a.Updated = Ready, 1, now, now
	for i := range a.Inputs {
		a.Inputs[i].ID = fmt.Sprintf("1.%d", i+1)
	}
	for i := range a.Outputs {
		a.Outputs[i].ID = fmt.Sprintf("1.%d", i+1)
	}
	_, err := m.store.Create(ctx, &a)
	return a, err
}

// planCode plans the application's code against an input's columns and
// its reference tables, as it would run.
func (m *Manager) planCode(a Application, in Input) (*plan.Graph, error) {
	var tables []*plan.Table
	for _, ref := range a.References {
		t, err := compile.TableColumns(ref.TableName, ref.Schema)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		tables = append(tables, t)
	}
	return compile.Plan(compile.Options{SQL: a.Code, Inputs: in.StreamNames(), Schema: in.Schema, Application: a.Name, Tables: tables, ForestMemory: m.opts.ForestMemory})
}

// check validates inputs and, with an input, the SQL.
func (m *Manager) check(ctx context.Context, a Application) error {
	if a.Settle < 0 || a.Settle > MaxSettle {
		return fmt.Errorf("%w: the settle wait is 0 (the default, %v) to %v, not %v", ErrInvalid, DefaultSettle, MaxSettle, a.Settle)
	}
	if len(a.Inputs) > 1 {
		return fmt.Errorf("%w: an application has at most one input", ErrInvalid)
	}
	for _, in := range a.Inputs {
		if in.Parallelism < 0 || in.Parallelism > 64 {
			return fmt.Errorf("%w: InputParallelism Count is 1 to 64, not %d", ErrInvalid, in.Parallelism)
		}
		if in.ARN != "" { // another server's: resolve asked it
			if m.opts.Kinesis == nil {
				return fmt.Errorf("%w: input %s is not a stream of this server, and this server reads no other Kinesis streams", ErrInvalid, in.ARN)
			}
		} else if info, err := m.log.Describe(ctx, in.Source); err != nil || info.Kind != in.Kind {
			return fmt.Errorf("%w: input %s does not exist", ErrInvalid, in.Source)
		}
		if _, err := in.Schema.Columns(); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		if a.Code != "" {
			g, err := m.planCode(a, in)
			if err != nil {
				return err // positioned SQL errors
			}
			for _, out := range a.Outputs {
				if _, ok := g.Stream(out.Name); !ok && out.Name != "error_stream" {
					return fmt.Errorf("%w: output %s names no in-application stream of the code", ErrInvalid, out.Name)
				}
			}
		}
	}
	if len(a.Inputs) == 0 && a.Code != "" {
		// Without an input the names cannot be checked yet, the syntax can.
		if _, err := parser.Parse(a.Code); err != nil {
			return err // positioned SQL errors
		}
	}
	if len(a.Outputs) > 3 {
		return fmt.Errorf("%w: an application has at most three outputs", ErrInvalid)
	}
	for _, out := range a.Outputs {
		if _, _, err := m.sinkFor(ctx, a, out, true); err != nil {
			return fmt.Errorf("%w: output %s: %v", ErrInvalid, out.Name, err)
		}
	}
	if len(a.Tags) > maxTags {
		return fmt.Errorf("%w: an application has at most %d tags", ErrTooManyTags, maxTags)
	}
	if len(a.References) > 1 {
		return fmt.Errorf("%w: an application has at most one reference data source", ErrInvalid)
	}
	return nil
}

// Reconfigure changes an application at the given version as
// UpdateApplication does: change edits it, the result is checked (changed
// reference sources must load), saved with the next version, and takes
// effect. A running application changed in its code or input restarts from
// where it stands with fresh state (the old state does not fit the new
// graph); changed in its reference data, it reloads the tables and keeps
// its state; changed in its outputs, it restarts with its state kept.
func (m *Manager) Reconfigure(ctx context.Context, name string, version int64, change func(*Application) error) error {
	unlock := m.lock(name)
	defer unlock()
	old, rev, err := m.store.Get(ctx, name)
	if err != nil {
		return err
	}
	if old.Version != version {
		return fmt.Errorf("%w: version %d is not the current %d", ErrVersion, version, old.Version)
	}
	a := old
	a.Inputs, a.Outputs, a.References = slices.Clone(old.Inputs), slices.Clone(old.Outputs), slices.Clone(old.References)
	if err := change(&a); err != nil {
		return err
	}
	// Code may be empty only while the application is stopped (as it is
	// created): a running one would be left running nothing.
	if active(old.Status) && strings.TrimSpace(a.Code) == "" {
		return fmt.Errorf("%w: application %s is %s: its code cannot be removed while it runs (stop it first)", ErrNoCode, name, old.Status)
	}
	if err := m.resolve(ctx, &a); err != nil {
		return err
	}
	if err := m.check(ctx, a); err != nil {
		return err
	}
	if err := m.probeOutputs(ctx, old.Outputs, a.Outputs); err != nil {
		return err
	}
	newTables := !reflect.DeepEqual(a.References, old.References)
	var tables []*plan.Table
	if newTables { // the new sources must load
		if tables, err = m.loadReferences(a); err != nil {
			return err
		}
	}
	a.Version++
	a.Updated = m.now()
	if rev, err = m.store.Update(ctx, a, rev); err != nil {
		return err
	}
	newGraph := a.Code != old.Code || !reflect.DeepEqual(a.Inputs, old.Inputs)
	newOutputs := !reflect.DeepEqual(a.Outputs, old.Outputs)
	// A running application takes a new settle wait at once: its run
	// restarts from the checkpoint, as for new outputs.
	newSettle := a.SettleWait() != old.SettleWait()
	if !newGraph && !newTables && !newOutputs && !newSettle {
		return nil
	}
	r := m.takeRunning(name)
	if r != nil {
		r.stop(true)
	}
	if newGraph { // the old graph's state does not fit the new one
		c, crev, ok, err := m.store.LoadCheckpoint(ctx, a)
		if err != nil {
			return fmt.Errorf("the new code of %s is saved, but its checkpoint cannot be read: %w", name, err)
		}
		if ok {
			c.Engine = nil
			newSource := len(a.Inputs) != len(old.Inputs) || len(a.Inputs) > 0 &&
				(a.Inputs[0].Source != old.Inputs[0].Source || a.Inputs[0].Kind != old.Inputs[0].Kind || a.Inputs[0].ARN != old.Inputs[0].ARN)
			if newSource { // nor do positions in another stream; outputs keep their rows
				c.Positions, c.Unfed, c.Shards = nil, nil, nil
			}
			if _, err := m.store.SaveCheckpoint(ctx, a, c, crev); err != nil {
				return err
			}
		}
	}
	if r == nil {
		return nil
	}
	if err := m.launch(a, LastStoppedPoint, tables); err != nil {
		if errors.Is(err, errLeaseLost) {
			return err // saved; the node that took it over runs it
		}
		a.Status = Ready // saved, but not running: say so
		if _, serr := m.store.Update(ctx, a, rev); serr != nil {
			return fmt.Errorf("%w (and saving READY: %v)", err, serr)
		}
		m.release(ctx, name)
		return err
	}
	return nil
}

// UpdateCode replaces an application's SQL (see Reconfigure).
func (m *Manager) UpdateCode(ctx context.Context, name string, version int64, code string) error {
	return m.Reconfigure(ctx, name, version, func(a *Application) error {
		a.Code = code
		return nil
	})
}

// AddOutput adds a destination at the given version.
func (m *Manager) AddOutput(ctx context.Context, name string, version int64, out Output) error {
	return m.Reconfigure(ctx, name, version, func(a *Application) error {
		out.ID = nextID(a.Version, len(a.Outputs))
		a.Outputs = append(a.Outputs, out)
		return nil
	})
}

// DeleteOutput removes a destination by its id; the rows it had not
// delivered are dropped with it.
func (m *Manager) DeleteOutput(ctx context.Context, name string, version int64, id string) error {
	var def Application
	err := m.Reconfigure(ctx, name, version, func(a *Application) error {
		n := len(a.Outputs)
		if a.Outputs = slices.DeleteFunc(a.Outputs, func(o Output) bool { return o.ID == id }); len(a.Outputs) == n {
			return fmt.Errorf("%w: application %s has no output %s", ErrNotFound, a.Name, id)
		}
		def = *a
		return nil
	})
	if err != nil {
		return err
	}
	return m.store.deleteAcks(ctx, def, id)
}

// AddInput gives an application without one its streaming input.
func (m *Manager) AddInput(ctx context.Context, name string, version int64, in Input) error {
	return m.Reconfigure(ctx, name, version, func(a *Application) error {
		if len(a.Inputs) > 0 {
			return fmt.Errorf("%w: application %s already has an input", ErrInvalid, a.Name)
		}
		in.ID = nextID(a.Version, 0)
		a.Inputs = append(a.Inputs, in)
		return nil
	})
}

// AddReference adds a reference data source; a running application
// reloads its tables and goes on from where it stands, state kept.
func (m *Manager) AddReference(ctx context.Context, name string, version int64, ref Reference) error {
	return m.Reconfigure(ctx, name, version, func(a *Application) error {
		ref.ID = nextID(a.Version, len(a.References))
		a.References = append(a.References, ref)
		return nil
	})
}

// DeleteReference removes a reference data source by its id.
func (m *Manager) DeleteReference(ctx context.Context, name string, version int64, id string) error {
	return m.Reconfigure(ctx, name, version, func(a *Application) error {
		n := len(a.References)
		if a.References = slices.DeleteFunc(a.References, func(r Reference) bool { return r.ID == id }); len(a.References) == n {
			return fmt.Errorf("%w: application %s has no reference data source %s", ErrNotFound, a.Name, id)
		}
		return nil
	})
}

// Tag sets tags (without changing the version, as the service does).
func (m *Manager) Tag(ctx context.Context, name string, tags map[string]string) error {
	return m.retag(ctx, name, func(a *Application) {
		if a.Tags == nil {
			a.Tags = map[string]string{}
		}
		for k, v := range tags {
			a.Tags[k] = v
		}
	})
}

// Untag removes tags by key.
func (m *Manager) Untag(ctx context.Context, name string, keys []string) error {
	return m.retag(ctx, name, func(a *Application) {
		for _, k := range keys {
			delete(a.Tags, k)
		}
	})
}

func (m *Manager) retag(ctx context.Context, name string, change func(*Application)) error {
	unlock := m.lock(name)
	defer unlock()
	a, rev, err := m.store.Get(ctx, name)
	if err != nil {
		return err
	}
	change(&a)
	if len(a.Tags) > maxTags {
		return fmt.Errorf("%w: an application has at most %d tags", ErrTooManyTags, maxTags)
	}
	_, err = m.store.Update(ctx, a, rev)
	return err
}

// Delete removes an application (stopping it if it runs) with its
// checkpoint and acknowledgements; createTimestamp must match. If they
// cannot all be removed, the application stays, READY, and the error
// says what failed: deleting it again finishes the job.
func (m *Manager) Delete(ctx context.Context, name string, created time.Time) error {
	unlock := m.lock(name)
	defer unlock()
	a, rev, err := m.store.Get(ctx, name)
	if err != nil {
		return err
	}
	// Clients send the timestamp back as seconds, some (the AWS CLI)
	// without the fraction: whole seconds must match.
	if !created.IsZero() && created.Unix() != a.Created.Unix() {
		return fmt.Errorf("%w: CreateTimestamp does not match the application's", ErrInvalid)
	}
	if r := m.takeRunning(name); r != nil {
		r.stop(false)
	}
	if a.Status != Ready {
		a.Status = Ready
		if rev, err = m.store.Update(ctx, a, rev); err != nil {
			return err
		}
	}
	m.release(ctx, name) // after READY is saved: see takeOver
	return m.store.Delete(ctx, a, rev)
}

// Start runs an application from a start position.
func (m *Manager) Start(ctx context.Context, name, position string) error {
	unlock := m.lock(name)
	defer unlock()
	a, rev, err := m.store.Get(ctx, name)
	if err != nil {
		return err
	}
	if a.Status != Ready {
		return fmt.Errorf("%w: application %s is %s", ErrInUse, name, a.Status)
	}
	if len(a.Inputs) == 0 || a.Code == "" {
		return fmt.Errorf("%w: application %s needs an input and code to start", ErrInvalid, name)
	}
	switch position {
	case "":
		position = Now
	case Now, LastStoppedPoint:
	case TrimHorizon:
		if a.Inputs[0].Kind == "firehose" {
			return fmt.Errorf("%w: TRIM_HORIZON is not valid for a Firehose input", ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: start position %q", ErrInvalid, position)
	}
	if a.Inputs[0].ARN != "" {
		if err := m.checkRemote(ctx, a.Inputs[0]); err != nil {
			return err
		}
	}
	a.Status = Running
	a.Failure = nil
	a.Inputs[0].StartingPosition = position
	now := m.opts.Clock.Now().UnixMilli()
	appNow := now
	if a.Origin.Wall != 0 { // application time never goes back across starts
		appNow = max(now, a.AppTime(now, m.opts.TimeScale))
	}
	a.Origin.Wall, a.Origin.App = now, appNow
	if m.cluster != nil {
		// On the least-loaded live node; here, if this node is one of
		// them. Either way a node still running it from before its stop
		// loses the lease at its next renewal.
		to, err := (&placer{m: m}).pick(ctx)
		if err != nil {
			m.cluster.renewErrors.Error("reading the nodes' loads failed; the application starts here", "application", name, "err", err)
			to = m.cluster.node
		}
		if to != m.cluster.node {
			return m.startOn(ctx, a, rev, position, to)
		}
		ok, err := m.take(ctx, a)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: application %s is being started on another node", ErrInUse, name)
		}
	}
	if err := m.launch(a, position, nil); err != nil {
		m.release(ctx, name)
		return err
	}
	if _, err := m.store.Update(ctx, a, rev); err != nil {
		if r := m.takeRunning(name); r != nil {
			r.stop(false)
		}
		m.release(ctx, name)
		return err
	}
	m.launched(ctx, name)
	return nil
}

// Stop stops a running application, saving a last checkpoint.
func (m *Manager) Stop(ctx context.Context, name string) error {
	unlock := m.lock(name)
	defer unlock()
	a, rev, err := m.store.Get(ctx, name)
	if err != nil {
		return err
	}
	if a.Status != Running {
		return fmt.Errorf("%w: application %s is %s", ErrInUse, name, a.Status)
	}
	if r := m.takeRunning(name); r != nil {
		r.stop(true)
	}
	a.Status = Ready
	if _, err = m.store.Update(ctx, a, rev); err != nil {
		return err
	}
	m.release(ctx, name) // after READY is saved: see takeOver
	return nil
}

// shutdownDrain bounds the outputs' drain when a single server shuts
// down, so that it exits within a few seconds.
const shutdownDrain = 500 * time.Millisecond

// Close stops every running application after a last checkpoint; they
// stay RUNNING in the store and resume when the server starts again (on
// a node of a cluster: on the other nodes, once Close releases their
// leases). Slow work in progress (a reference being fetched, an output
// probed) ends.
func (m *Manager) Close() {
	m.closeNow()
	m.resuming.Wait()
	if m.cluster != nil {
		m.cluster.stopScan()
		m.cluster.scanning.Wait()
		// Gone from the live nodes before its applications stop: nothing
		// more is placed here.
		ctx, cancel := context.WithTimeout(m.base, m.cluster.every)
		m.leave(ctx)
		cancel()
	}
	m.mu.Lock()
	m.closed = true
	all := m.running
	m.running = map[string]*running{}
	m.mu.Unlock()
	// Together, each letting its outputs deliver for a moment: what they
	// hold is in the last checkpoint and goes at the next start. A node
	// hands its applications over: their outputs drain fully (up to
	// Options.Drain), as a send cut short may have reached its
	// destination, which would get those rows again from the next owner.
	drain := min(m.opts.Drain, shutdownDrain)
	if m.cluster != nil {
		drain = m.opts.Drain
	}
	var stopping sync.WaitGroup
	for _, r := range all {
		stopping.Go(func() { r.stopDraining(true, drain) })
	}
	stopping.Wait()
	m.loops.Wait()
	m.watchers.Wait() // (their context, closing, has ended)
	if m.cluster != nil {
		m.closeCluster()
	}
	m.urlClient.CloseIdleConnections()
}

// errLeaseLost is a launch that ended because this node lost the
// application's lease meanwhile: another node runs it, it is no failure.
var errLeaseLost = errors.New("this node lost the application's lease")

// launch compiles and starts an application (under its lock), from its
// checkpoint when resuming. tables, when given, are its reference tables
// already loaded.
func (m *Manager) launch(a Application, position string, tables []*plan.Table) error {
	r, err := m.open(a, position, tables)
	if err != nil {
		return err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		r.stop(true)
		return errors.New("the server is shutting down")
	}
	if m.cluster != nil && m.leases[a.Name] == nil {
		m.mu.Unlock()
		r.stop(false)
		return errLeaseLost
	}
	m.running[a.Name] = r
	m.mu.Unlock()
	return nil
}

// RecordsRead says how many input records a running application has read
// (and fed to its engine) since it started.
func (m *Manager) RecordsRead(name string) (int64, error) {
	r := m.runningApp(name)
	if r == nil {
		return 0, fmt.Errorf("%w: application %s is not running", ErrInUse, name)
	}
	return r.read.Load(), nil
}

// Streams names a running application's in-application streams, in the
// order of its code, error_stream last. Right after a restart it waits
// for the application to be resumed. On a node, an application another
// node runs is asked of that node.
func (m *Manager) Streams(ctx context.Context, name string) ([]string, error) {
	m.awaitResume(ctx, name)
	r := m.runningApp(name)
	if r == nil {
		if m.cluster != nil {
			return m.remoteStreams(ctx, name)
		}
		return nil, notRunning(name)
	}
	return r.taps.names(), nil
}

// Tap returns the recent rows of an application's stream and a channel of
// new ones (closed when the application stops or cancel is called). Right
// after a restart it waits for the application to be resumed. On a node,
// an application another node runs has that node relay the stream's rows
// while the tap lasts.
func (m *Manager) Tap(ctx context.Context, name, stream string) (recent [][]byte, rows <-chan []byte, cancel func(), err error) {
	m.awaitResume(ctx, name)
	r := m.runningApp(name)
	if r == nil {
		if m.cluster != nil {
			return m.remoteTap(ctx, name, stream)
		}
		return nil, nil, nil, notRunning(name)
	}
	return r.taps.follow(stream)
}

// failed records that a run ended by itself: the application is READY
// again, with the reason in its definition (DescribeApplication, the
// console) and in the metrics and the log.
func (m *Manager) failed(r *running, cause error) {
	name := r.def.Name
	unlock := m.lock(name)
	defer unlock()
	m.mu.Lock()
	current := m.running[name] == r && !m.closed
	if current {
		delete(m.running, name)
	}
	m.mu.Unlock()
	if !current {
		return // stopped, replaced or shutting down meanwhile
	}
	if m.cluster != nil && errors.Is(cause, streamlog.ErrConflict) {
		// Another node wrote its checkpoint (it took the application
		// over, or changed its code): not a failure of the application.
		// The lease goes, so a node resumes it from that checkpoint.
		m.opts.Logger.Warn("another node took the application's checkpoint over: it stops here", "application", name, "node", m.cluster.node)
		m.release(m.base, name)
		return
	}
	m.metrics.failures.WithLabelValues(name).Inc()
	m.opts.Logger.Error("the application stopped", "application", name, "reason", cause)
	a, rev, err := m.store.Get(m.base, name)
	if err != nil {
		m.opts.Logger.Error("recording the failure failed", "application", name, "err", err)
		return
	}
	a.Status = Ready
	a.Failure = &Failure{Time: m.now(), Message: "stopped: " + cause.Error()}
	if _, err := m.store.Update(m.base, a, rev); err != nil {
		m.opts.Logger.Error("recording the failure failed", "application", name, "err", err)
	}
	m.release(m.base, name)
}

func (m *Manager) countRunning() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return float64(len(m.running))
}

func (m *Manager) countOwned() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return float64(len(m.leases))
}

// Users names the running applications that read a stream or write to it,
// so the stream is not deleted from under them.
func (m *Manager) Users(ctx context.Context, stream string) ([]string, error) {
	apps, err := m.store.List(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, a := range apps {
		if a.Status != Running {
			continue
		}
		uses := slices.ContainsFunc(a.Inputs, func(in Input) bool { return in.ARN == "" && in.Source == stream }) ||
			slices.ContainsFunc(a.Outputs, func(o Output) bool {
				return (o.Kind == FirehoseOutput || o.Kind == KinesisOutput) && o.Target == stream
			})
		if uses {
			names = append(names, a.Name)
		}
	}
	return names, nil
}
