package destination

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// State is what a checkpoint keeps of an output: how many rows it has
// taken, and those not yet acknowledged. Epoch changes when the count
// starts again (a new output, a reset checkpoint), so record ids never
// repeat.
type State struct {
	Epoch   string
	Next    uint64 // rows taken so far; the next row is Next+1
	Pending []Pending
}

// Pending is a row taken but not acknowledged.
type Pending struct {
	Seq  uint64
	Data []byte
}

// Acked is what the acknowledgement store keeps, written after every
// send: every row of the epoch up to Through is delivered except the
// ranges in Unacked. A restarted application drops the rows it produces
// again that are already delivered.
type Acked struct {
	Epoch   string
	Through uint64
	Unacked [][2]uint64 // inclusive ranges
}

func (a Acked) has(epoch string, seq uint64) bool {
	if a.Epoch != epoch || seq > a.Through {
		return false
	}
	for _, r := range a.Unacked {
		if seq >= r[0] && seq <= r[1] {
			return false
		}
	}
	return true
}

// AckStore keeps an output's Acked durably, apart from the checkpoint:
// acknowledgements come between checkpoints.
type AckStore interface {
	Load(ctx context.Context) (Acked, bool, error)
	Save(ctx context.Context, a Acked) error
}

// Config sets up one output's delivery.
type Config struct {
	Sink  Sink
	State State  // from the checkpoint; a zero State starts a new epoch
	IDKey string // ties record ids to the application and output
	Acks  AckStore
	// Fresh says the rows to come are not a replay of those counted in
	// State (the application starts anew, not from its checkpoint): they
	// are numbered after every row ever numbered, so none is taken for one
	// already delivered.
	Fresh bool
	// MinInterval spaces sends: rows that come within it go together. The
	// service invokes a destination about once a second, or once per window
	// for windowed output.
	MinInterval time.Duration
	// Backoff is the wait before a failed record's first retry, doubling
	// with each further failure up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// MaxQueue is how many rows may wait before Busy asks the application
	// to stop taking input (the service's back-pressure).
	MaxQueue int
	Metrics  *Metrics
	Labels   Labels
	Logger   *slog.Logger
	// Clock paces the sends and the retries (nil: the real clock); a test
	// passes a fake one to drive them.
	Clock clockwork.Clock
	// Fence, when set, is asked right before each send: an error holds the
	// rows back (they stay queued and in checkpoints) until it says nil
	// again. A node of a cluster fences its outputs with its lease, so that
	// a node paused past its lease delivers nothing once it wakes.
	Fence func() error
}

// Defaults for Config.
const (
	DefaultMinInterval = time.Second
	DefaultBackoff     = 500 * time.Millisecond
	DefaultMaxBackoff  = 30 * time.Second
	DefaultMaxQueue    = 10000
)

// Delivery moves one output's rows to its destination, at least once: a
// row is kept (and checkpointed) until the destination acknowledges it,
// retried with a growing backoff, and never dropped.
type Delivery struct {
	cfg   Config
	limit Limits

	mu       sync.Mutex
	epoch    string
	next     uint64  // rows taken
	flushed  uint64  // rows handed to the sender
	staged   []*item // taken since the last Flush
	queue    []*item // flushed, not acknowledged, by Seq
	acked    Acked   // delivered before this run (from the store)
	lastSend time.Time
	more     bool // the last batch was cut at the limits: the next goes at once
	fenced   bool // the last send was held back by the fence (for the log)
	wake     chan struct{}
	idle     chan struct{} // closed and replaced when the queue empties
}

type item struct {
	Record
	notBefore time.Time // when a failed record may go again
}

// New restores an output's delivery from its checkpointed state and its
// acknowledgements.
func New(ctx context.Context, cfg Config) (*Delivery, error) {
	if cfg.MinInterval <= 0 {
		cfg.MinInterval = DefaultMinInterval
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.MaxQueue <= 0 {
		cfg.MaxQueue = DefaultMaxQueue
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	d := &Delivery{cfg: cfg, limit: cfg.Sink.Limits(), epoch: cfg.State.Epoch, next: cfg.State.Next,
		wake: make(chan struct{}, 1), idle: make(chan struct{})}
	if d.epoch == "" {
		d.epoch = newEpoch()
	}
	d.flushed = d.next
	if m := cfg.Metrics; m != nil { // an output shows in the metrics before its first send
		l := cfg.Labels
		m.delivered.WithLabelValues(l.Application, l.Output, l.Destination)
		m.failed.WithLabelValues(l.Application, l.Output, l.Destination)
		m.retried.WithLabelValues(l.Application, l.Output, l.Destination)
	}
	if cfg.Acks != nil {
		a, ok, err := cfg.Acks.Load(ctx)
		if err != nil {
			return nil, fmt.Errorf("acknowledgements of %s: %w", cfg.Sink, err)
		}
		if ok {
			d.acked = a
		}
	}
	if cfg.Fresh && d.acked.Epoch == d.epoch {
		d.next = max(d.next, d.acked.Through)
		d.flushed = d.next
	}
	for _, p := range cfg.State.Pending {
		if !d.acked.has(d.epoch, p.Seq) {
			d.queue = append(d.queue, &item{Record: Record{Seq: p.Seq, ID: d.recordID(p.Seq), Data: p.Data}})
		}
	}
	d.gauge()
	return d, nil
}

func newEpoch() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// recordID is a UUID-shaped name derived from the output and the row's
// number: the same row keeps it across retries and restarts.
func (d *Delivery) recordID(seq uint64) string {
	sum := sha256.Sum256([]byte(d.cfg.IDKey + "\x00" + d.epoch + "\x00" + strconv.FormatUint(seq, 10)))
	var u [16]byte
	copy(u[:], sum[:])
	return formatUUID(u, 8)
}

// Add takes one row (the application's goroutine calls it as rows come).
// A row this output delivered before a crash is dropped, not sent again.
func (d *Delivery) Add(data []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.next++
	if d.acked.has(d.epoch, d.next) {
		return
	}
	d.staged = append(d.staged, &item{Record: Record{Seq: d.next, ID: d.recordID(d.next), Data: data}})
}

// Flush hands the rows taken since the last Flush to the sender, so rows
// produced together (a window's) go in one send.
func (d *Delivery) Flush() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.flushed = d.next
	if len(d.staged) == 0 {
		return
	}
	d.queue = append(d.queue, d.staged...)
	d.staged = nil
	d.gauge()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Busy says the queue is full: the application should take no more input
// until the destination catches up.
func (d *Delivery) Busy() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.queue) >= d.cfg.MaxQueue
}

// Waiting is how many rows are not yet acknowledged.
func (d *Delivery) Waiting() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.queue) + len(d.staged)
}

// State is the output's part of a checkpoint.
func (d *Delivery) State() State {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := State{Epoch: d.epoch, Next: d.next}
	for _, list := range [][]*item{d.queue, d.staged} {
		for _, it := range list {
			s.Pending = append(s.Pending, Pending{Seq: it.Seq, Data: it.Data})
		}
	}
	return s
}

// Drain waits until every row is acknowledged or ctx ends.
func (d *Delivery) Drain(ctx context.Context) {
	for {
		d.mu.Lock()
		empty := len(d.queue) == 0 && len(d.staged) == 0
		idle := d.idle
		d.mu.Unlock()
		if empty {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-idle:
		}
	}
}

// Run sends until ctx ends: whatever is queued and due, in row order, at
// most one send at a time and one per MinInterval.
func (d *Delivery) Run(ctx context.Context) {
	if m := d.cfg.Metrics; m != nil { // a stopped output has nothing in flight, nor figures
		defer m.forget(d.cfg.Labels)
	}
	for {
		batch, wait := d.take(d.cfg.Clock.Now())
		if len(batch) == 0 {
			// A timer of its own for each wait, stopped after it: the clock
			// then counts the sender as waiting only while it waits, and no
			// stale tick wakes it early.
			timer := d.cfg.Clock.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-d.wake:
			case <-timer.Chan():
			}
			timer.Stop()
			continue
		}
		if !d.allowed() {
			// Held back: look again a send interval later (the rows stay
			// queued; a stop ends the wait).
			timer := d.cfg.Clock.NewTimer(d.cfg.MinInterval)
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-timer.Chan():
			}
			continue
		}
		ok, err := d.cfg.Sink.Send(ctx, batch)
		if ctx.Err() != nil && err != nil { // cut short by the stop: nothing failed
			d.settle(batch, nil, err, false)
			return
		}
		d.settle(batch, ok, err, true)
		if ctx.Err() != nil {
			// Delivered as the sender stopped: write it down all the same,
			// or the rows go again at the next start. The bound is on the
			// store's I/O, in real time.
			save, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			d.saveAcks(save)
			cancel()
			return
		}
		d.saveAcks(ctx)
	}
}

// allowed asks the fence whether a send may go now, and logs when that
// changes.
func (d *Delivery) allowed() bool {
	if d.cfg.Fence == nil {
		return true
	}
	err := d.cfg.Fence()
	d.mu.Lock()
	was := d.fenced
	d.fenced = err != nil
	d.mu.Unlock()
	switch {
	case err != nil && !was:
		d.cfg.Logger.Warn("delivery held back", "destination", d.cfg.Sink.String(), "reason", err.Error())
	case err == nil && was:
		d.cfg.Logger.Info("delivery goes on", "destination", d.cfg.Sink.String())
	}
	return err == nil
}

// take picks the next batch, or says how long to wait for one.
func (d *Delivery) take(now time.Time) ([]Record, time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	// This take sees every row flushed so far: a wake-up they left is spent.
	select {
	case <-d.wake:
	default:
	}
	if wait := d.lastSend.Add(d.cfg.MinInterval).Sub(now); wait > 0 && !d.more {
		return nil, wait
	}
	var batch []Record
	size := 0
	soonest := time.Hour
	cut := false
	for _, it := range d.queue {
		if wait := it.notBefore.Sub(now); wait > 0 {
			soonest = min(soonest, wait)
			continue
		}
		cost := len(it.Data) + recordOverhead
		if len(batch) > 0 && (len(batch) == d.limit.Records || size+cost > d.limit.Bytes) {
			cut = true
			break
		}
		batch = append(batch, it.Record)
		size += cost
	}
	if len(batch) == 0 {
		return nil, soonest
	}
	d.lastSend, d.more = now, cut
	return batch, 0
}

// settle records a send's outcome: acknowledged rows leave the queue,
// failed ones wait their backoff.
func (d *Delivery) settle(batch []Record, ok []bool, err error, count bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	done := map[uint64]bool{}
	failed := map[uint64]bool{}
	retries := 0
	for i, r := range batch {
		if r.RetryHint > 0 {
			retries++
		}
		if err == nil && i < len(ok) && ok[i] {
			done[r.Seq] = true
		} else {
			failed[r.Seq] = true
		}
	}
	now := d.cfg.Clock.Now()
	kept := d.queue[:0]
	for _, it := range d.queue {
		switch {
		case done[it.Seq]:
			continue
		case failed[it.Seq]:
			it.RetryHint++
			it.notBefore = now.Add(d.backoff(it.RetryHint))
		}
		kept = append(kept, it)
	}
	clear(d.queue[len(kept):])
	d.queue = kept
	if len(d.queue) == 0 && len(d.staged) == 0 {
		close(d.idle)
		d.idle = make(chan struct{})
	}
	if !count {
		return
	}
	if m := d.cfg.Metrics; m != nil {
		l := d.cfg.Labels
		m.delivered.WithLabelValues(l.Application, l.Output, l.Destination).Add(float64(len(done)))
		m.failed.WithLabelValues(l.Application, l.Output, l.Destination).Add(float64(len(failed)))
		m.retried.WithLabelValues(l.Application, l.Output, l.Destination).Add(float64(retries))
	}
	d.gauge()
	if m := d.cfg.Metrics; m != nil && len(done) > 0 {
		m.succeeded(d.cfg.Labels, now)
	}
	if len(failed) > 0 {
		reason := "the destination did not acknowledge them"
		if err != nil {
			reason = err.Error()
		}
		if m := d.cfg.Metrics; m != nil {
			m.erred(d.cfg.Labels, now, reason)
		}
		d.cfg.Logger.Warn("delivery failed; retrying", "destination", d.cfg.Sink.String(), "records", len(failed), "of", len(batch), "reason", reason)
	}
}

// backoff is the wait after a record's n-th failure.
func (d *Delivery) backoff(n int) time.Duration {
	wait := d.cfg.Backoff
	for i := 1; i < n && wait < d.cfg.MaxBackoff; i++ {
		wait *= 2
	}
	return min(wait, d.cfg.MaxBackoff)
}

// saveAcks writes down what is delivered: every row handed to the sender
// except those still queued.
func (d *Delivery) saveAcks(ctx context.Context) {
	if d.cfg.Acks == nil {
		return
	}
	d.mu.Lock()
	a := Acked{Epoch: d.epoch, Through: d.flushed}
	for _, it := range d.queue {
		if n := len(a.Unacked); n > 0 && a.Unacked[n-1][1]+1 == it.Seq {
			a.Unacked[n-1][1] = it.Seq
		} else {
			a.Unacked = append(a.Unacked, [2]uint64{it.Seq, it.Seq})
		}
	}
	// Rows delivered before a restart that this run has not produced again
	// yet stay delivered.
	if old := d.acked; old.Epoch == d.epoch && old.Through > a.Through {
		for _, r := range old.Unacked {
			if r[1] > a.Through {
				a.Unacked = append(a.Unacked, [2]uint64{max(r[0], a.Through+1), r[1]})
			}
		}
		a.Through = old.Through
	}
	d.mu.Unlock()
	if err := d.cfg.Acks.Save(ctx, a); err != nil {
		d.cfg.Logger.Warn("saving acknowledgements failed", "destination", d.cfg.Sink.String(), "err", err)
	}
}

func (d *Delivery) gauge() {
	if m := d.cfg.Metrics; m != nil {
		l := d.cfg.Labels
		m.waiting.WithLabelValues(l.Application, l.Output, l.Destination).Set(float64(len(d.queue) + len(d.staged)))
	}
}
