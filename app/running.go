package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/throttle"
	"github.com/riffle-sql/riffle/sql/engine"
	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/streamlog"
)

// running is one application at work: its compiled engine and feeders,
// where it stands in its input, the records read but not yet fed, its
// outputs and its taps. One goroutine (loop) owns the fields below the
// line; stop ends it.
type running struct {
	def    Application
	log    *streamlog.Log
	store  *Store
	opts   Options
	logger *slog.Logger
	source string
	// kinesis inputs fill SHARD_ID, PARTITION_KEY and SEQUENCE_NUMBER (a
	// Firehose delivery stream has no shards: NULL).
	kinesis bool
	in      input
	metrics *metrics
	outputs []output
	taps    *taps
	read    atomic.Int64              // input records fed since the start
	fed     atomic.Pointer[positions] // pos as the loop last left it (publish)
	// checkpointed is when the last checkpoint was written (unix ms, on
	// the manager's clock; 0: none yet).
	checkpointed atomic.Int64

	cancel context.CancelFunc
	done   chan struct{}
	save   atomic.Bool  // checkpoint when stopping
	drain  atomic.Int64 // how long outputs may deliver when stopping (ns)

	// Owned by the loop.
	compiled    *compile.Application
	lanes       []lane // the input's shards, with what was read of each and not fed yet
	ckptRev     uint64 // the checkpoint head's revision this run last saw
	feedErrors  throttle.Log
	lateRecords throttle.Log
}

// output is one running output: its delivery, which a goroutine of its
// own drives.
type output struct {
	id string
	d  *destination.Delivery
}

// open compiles an application, restores it from its checkpoint when
// resuming, and starts its loop and its outputs' senders.
func (m *Manager) open(a Application, position string, tables []*plan.Table) (*running, error) {
	if len(a.Inputs) == 0 || a.Code == "" {
		return nil, fmt.Errorf("%w: application %s needs an input and code to run", ErrInvalid, a.Name)
	}
	in := a.Inputs[0]
	if tables == nil {
		var err error
		if tables, err = m.loadReferences(a); err != nil {
			return nil, err
		}
	}
	compiled, err := compile.Compile(compile.Options{SQL: a.Code, Inputs: in.StreamNames(), Schema: in.Schema, Application: a.Name, Tables: tables,
		ForestMemory: m.opts.ForestMemory})
	if err != nil {
		return nil, err
	}
	ctx := m.base
	// The checkpoint's outputs hold rows not yet delivered, whatever the
	// start position: they are sent either way.
	c, rev, _, err := m.store.LoadCheckpoint(ctx, a)
	if err != nil {
		return nil, err
	}
	var (
		src    input
		lanes  []lane
		resume bool
	)
	if in.ARN != "" {
		resume = position == LastStoppedPoint && c.Shards != nil
		if src, lanes, err = m.openRemote(ctx, a, c, resume, position); err != nil {
			return nil, err
		}
	} else {
		info, err := m.log.Describe(ctx, in.Source)
		if err != nil {
			return nil, fmt.Errorf("input of %s: %w", a.Name, err)
		}
		resume = position == LastStoppedPoint && c.Positions != nil
		var pos positions
		var unfed []unfedRecords
		if resume {
			if len(c.Positions) != info.Shards {
				return nil, fmt.Errorf("checkpoint of %s does not fit its input", a.Name)
			}
			pos, unfed = c.Positions, c.Unfed
		} else {
			pos = make(positions, info.Shards)
			if position != TrimHorizon { // NOW, or LAST_STOPPED_POINT never stopped
				last, err := m.log.Last(ctx, in.Source)
				if err != nil {
					return nil, fmt.Errorf("input of %s: %w", a.Name, err)
				}
				for i := range pos {
					pos[i] = streamlog.Seq{Msg: last + 1}
				}
			}
		}
		if src, lanes, err = newLogInput(ctx, m.log, in.Source, checkpoint{Positions: pos, Unfed: unfed}, func() int64 { return m.opts.Clock.Now().UnixMilli() }, a.SettleWait()); err != nil {
			return nil, err
		}
	}
	if resume && c.Engine != nil {
		if err := compiled.Engine.Restore(c.Engine); err != nil {
			src.close()
			return nil, fmt.Errorf("restore %s: %w", a.Name, err)
		}
	}
	r := &running{def: a, log: m.log, store: m.store, opts: m.opts, logger: m.opts.Logger.With("application", a.Name), source: in.Source, kinesis: in.Kind == "kinesis",
		in: src, metrics: m.metrics, done: make(chan struct{}), compiled: compiled, lanes: lanes, ckptRev: rev}
	r.feedErrors = throttle.Log{Logger: r.logger, Every: errorLogEvery, Clock: m.opts.Clock}
	r.lateRecords = throttle.Log{Logger: r.logger, Every: errorLogEvery, Clock: m.opts.Clock}
	r.publish()
	loopCtx, cancel := context.WithCancel(m.base)
	r.cancel = cancel
	if err := m.openOutputs(loopCtx, r, c.Outputs, !resume); err != nil {
		cancel()
		src.close()
		return nil, err
	}
	// The start is checkpointed at once: a crash before the first periodic
	// checkpoint resumes here, not at the start of the stream, and a new
	// output's record ids (its epoch) are the same after it.
	if !resume {
		c.Positions, c.Unfed, c.Shards, c.Engine = nil, nil, nil, nil
		src.save(&c, lanes)
	}
	c.Outputs = r.outputStates()
	if r.ckptRev, err = m.store.SaveCheckpoint(ctx, a, c, rev); err != nil {
		cancel()
		src.close()
		return nil, err
	}
	r.checkpointed.Store(m.now().UnixMilli())
	if r.taps, err = newTaps(compiled, m.opts.RowsPerStream); err != nil {
		cancel()
		src.close()
		return nil, err
	}
	if m.cluster != nil { // the other nodes' taps of it
		if err := m.serveTaps(r); err != nil {
			cancel()
			src.close()
			return nil, err
		}
	}
	// The senders outlive the loop's context: a stopping application
	// drains its outputs before its last checkpoint, then stops them.
	var senders sync.WaitGroup
	sendCtx, stopSending := context.WithCancel(m.base)
	for _, o := range r.outputs {
		senders.Go(func() { o.d.Run(sendCtx) })
	}
	m.loops.Go(func() {
		err := func() error {
			defer close(r.done)
			defer senders.Wait()
			defer stopSending()
			return r.loop(loopCtx)
		}()
		if err != nil { // the run ended by itself: say so where users look
			m.failed(r, err)
		}
	})
	return r, nil
}

// openOutputs makes each output's delivery, restored from the checkpoint,
// and subscribes it to its stream.
func (m *Manager) openOutputs(ctx context.Context, r *running, states map[string]destination.State, fresh bool) error {
	a := r.def
	for _, out := range a.Outputs {
		sink, format, err := m.sinkFor(ctx, a, out, false)
		if err != nil {
			return fmt.Errorf("output %s: %w", out.Name, err)
		}
		cols, ok := r.compiled.Columns(out.Name)
		if !ok {
			return fmt.Errorf("output %s names no in-application stream", out.Name)
		}
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c.Name
		}
		cfg := m.opts.Delivery
		cfg.Sink, cfg.State, cfg.IDKey, cfg.Fresh = sink, states[out.ID], m.ARN(a.Name)+"/"+out.ID, fresh
		cfg.Acks = m.store.outputAcks(a, out.ID)
		cfg.Labels = destination.Labels{Application: a.Name, Output: out.ID, Destination: sink.String()}
		cfg.Fence = m.deliveryFence(a.Name)
		if cfg.Clock == nil {
			cfg.Clock = m.opts.Clock
		}
		d, err := destination.New(ctx, cfg)
		if err != nil {
			return err
		}
		if err := r.compiled.Engine.Subscribe(out.Name, func(row engine.Row) { d.Add(format.Append(nil, names, row.Values)) }); err != nil {
			return err
		}
		r.outputs = append(r.outputs, output{id: out.ID, d: d})
	}
	return nil
}

func (r *running) outputStates() map[string]destination.State {
	if len(r.outputs) == 0 {
		return nil
	}
	states := map[string]destination.State{}
	for _, o := range r.outputs {
		states[o.id] = o.d.State()
	}
	return states
}

// busy says an output holds all it may: take no input for now.
func (r *running) busy() bool {
	return slices.ContainsFunc(r.outputs, func(o output) bool { return o.d.Busy() })
}

// stop ends the loop and waits for it; with save, the outputs drain (for
// up to Options.Drain) and a last checkpoint is written.
func (r *running) stop(save bool) { r.stopDraining(save, r.opts.Drain) }

// stopDraining is stop with another time for the outputs to drain.
func (r *running) stopDraining(save bool, drain time.Duration) {
	r.save.Store(save)
	r.drain.Store(int64(drain))
	r.cancel()
	<-r.done
}

// checkpoint saves the input positions with the engine's state and the
// outputs' undelivered rows, in one write.
func (r *running) checkpoint(ctx context.Context) error {
	snap, err := r.compiled.Engine.Snapshot()
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	c := checkpoint{Engine: snap, Outputs: r.outputStates()}
	r.in.save(&c, r.lanes)
	rev, err := r.store.SaveCheckpoint(ctx, r.def, c, r.ckptRev)
	if err != nil {
		return err
	}
	r.ckptRev = rev
	r.checkpointed.Store(r.opts.Clock.Now().UnixMilli())
	return nil
}

// checkpointTimeout bounds one checkpoint write.
const checkpointTimeout = 30 * time.Second

// Waits and log intervals of a loop that keeps failing.
const (
	maxErrorWait  = 30 * time.Second
	errorLogEvery = 30 * time.Second
)

// loop reads new records, feeds them with ROWTIME from their arrival on
// the application's clock, moves the clock, and checkpoints, until its
// context ends (nil) or the run cannot go on (its input stream is gone,
// another writer took its checkpoint over: the error says which).
// ROWTIME follows the stored arrival (not the moment of reading), so a
// resumed application gives the rows it would have given.
//
// An application of a stream of the log sleeps when it is idle (see
// quiet): it neither reads nor moves its clock until its input changes,
// waking only at its checkpoint interval to say its checkpoint is current.
func (r *running) loop(ctx context.Context) error {
	defer r.taps.close()
	defer r.in.close()
	clock := r.opts.Clock
	// A timer set again only when the loop waits (not a ticker), so that
	// a test's fake clock sees the loop waiting exactly when it is idle.
	poll := clock.NewTimer(r.opts.Poll)
	defer poll.Stop()
	armed := true
	next := r.opts.Poll // the wait before the next poll: longer while reads fail
	retry := throttle.Backoff{Min: r.opts.Poll, Max: maxErrorWait}
	readErrors := throttle.Log{Logger: r.logger, Every: errorLogEvery, Clock: clock}
	checkpointErrors := throttle.Log{Logger: r.logger, Every: errorLogEvery, Clock: clock}
	lastCheckpoint := clock.Now()
	backlog := false // a shard had more than one read's worth: go on at once
	// A stream of the log says when it changes: such an application may
	// sleep while idle. A remote input cannot: it polls.
	changed := r.in.changed()
	sleeper := changed != nil
	asleep := false // idle: no step until the input changes
	// dirty: the state may have moved since the last checkpoint (records
	// fed, rows put out, the engine's start fixed by the first step).
	dirty := true
	wasIdle := false      // the last step left the application quiet
	wait := func() bool { // false once the loop must end
		if backlog {
			return ctx.Err() == nil
		}
		var wake <-chan struct{} // only asleep: awake, the polls read anyway
		if !armed {
			if asleep { // only to say at each interval that its checkpoint is current
				poll.Reset(max(r.opts.Checkpoint-clock.Since(lastCheckpoint), 0))
			} else {
				poll.Reset(next)
			}
			armed = true
		}
		if asleep {
			wake = changed
		}
		select {
		case <-ctx.Done():
			return false
		case <-poll.Chan():
			armed = false
			return true
		case <-wake:
			asleep = false
			if poll.Stop() { // else its tick waits in the channel: one more step
				armed = false
			}
			return true
		}
	}
	for {
		if !wait() {
			if r.save.Load() {
				r.finish()
			}
			return nil
		}
		// An output that is behind holds the input back (nothing is lost;
		// the application falls behind, as the service's does).
		backlog = false
		if !asleep && !r.busy() {
			fed, more, err := r.step(ctx)
			backlog = more
			switch {
			case errors.Is(err, errInputGone):
				r.finish()
				return fmt.Errorf("its input stream %s no longer exists", r.source)
			case err != nil && ctx.Err() == nil:
				readErrors.Error("reading the input failed; trying again", "stream", r.source, "err", err, "retry_in", next.String())
				next = retry.Next()
			case err == nil:
				retry.Reset()
				next = r.opts.Poll
				idle := !backlog && r.quiet()
				// The step after a busy one may have moved the state too
				// (the clock closing a window, outputs delivering), though
				// it fed nothing and found the application quiet.
				if fed > 0 || !idle || !wasIdle {
					dirty = true
				}
				wasIdle = idle
				// Idle, it sleeps until its input changes or its next
				// checkpoint is due, which it writes then if dirty.
				asleep = sleeper && idle
			}
		}
		if clock.Since(lastCheckpoint) >= r.opts.Checkpoint {
			if sleeper && !dirty {
				// Nothing moved since the last checkpoint: it is current.
				r.checkpointed.Store(clock.Now().UnixMilli())
				lastCheckpoint = clock.Now()
				continue
			}

			// Not cut short by a stop: a write cancelled on its way may
			// still land, and the last checkpoint would then find the head
			// at a revision this run never saw.
			write, cancel := context.WithTimeout(context.WithoutCancel(ctx), checkpointTimeout)
			err := r.checkpoint(write)
			cancel()
			if errors.Is(err, streamlog.ErrConflict) {
				// Someone else saved this application's checkpoint: it is
				// no longer this run's to write or deliver.
				return fmt.Errorf("another writer took its checkpoint over: %w", err)
			}
			if err != nil {
				checkpointErrors.Error("checkpoint failed", "err", err)
			} else {
				dirty = false
			}
			lastCheckpoint = clock.Now()
		}
	}
}

// quiet says the application is idle: it holds no record not fed yet, its
// engine nothing a later clock would put out (engine.App.Waiting), its
// outputs no row not delivered. Its rows are then the same whether its
// clock moves now or only when its next record comes: it may sleep until
// its input changes.
func (r *running) quiet() bool {
	for _, l := range r.lanes {
		if len(l.pending) > 0 {
			return false
		}
	}
	for _, o := range r.outputs {
		if o.d.Waiting() > 0 {
			return false
		}
	}
	return !r.compiled.Engine.Waiting()
}

// finish lets the outputs deliver what they hold (for up to
// Options.Drain: what they deliver now need not wait for the next start)
// and writes a last checkpoint.
func (r *running) finish() {
	d := time.Duration(r.drain.Load())
	if d <= 0 {
		d = r.opts.Drain
	}
	drain, cancel := context.WithTimeout(context.Background(), d)
	for _, o := range r.outputs {
		o.d.Drain(drain)
	}
	cancel()
	write, cancelWrite := context.WithTimeout(context.Background(), checkpointTimeout)
	defer cancelWrite()
	if err := r.checkpoint(write); err != nil {
		r.logger.Error("last checkpoint failed", "err", err)
	}
}

// maxPending is how many records a running application reads ahead per
// shard before feeding; it reads beyond while the first of them arrived
// within the settle wait of the last (logInput.read), up to maxLane.
const (
	maxPending = 10000
	maxLane    = 4 * maxPending
)

// readBatch is how many records one read of a shard asks for.
const readBatch = 1000

// step reads what the input holds, feeds the records that arrived before
// the watermark, moves the clock and flushes the outputs. It says how many
// records it fed, whether a shard has more to read at once, and the first
// read that failed: then nothing is fed and the clock stays (the records
// read wait for the next step).
func (r *running) step(ctx context.Context) (int64, bool, error) {
	toApp := func(wall int64) int64 {
		return r.def.AppTime(wall, r.opts.TimeScale)
	}
	watermark, more, readErr := r.in.read(ctx, &r.lanes)
	if readErr != nil {
		// A shard not read may hold records that arrived before the
		// watermark (a NATS server lost, the connection moving to
		// another): feeding past them or moving the clock would put
		// them in later windows than their arrival once read, unlike a
		// replay of the stored records. What was read waits in its lane.
		return 0, false, readErr
	}
	// Feed the records that arrived before the watermark, merged across
	// shards by arrival (then shard), so the order, and so every row, is
	// the same however the reads fell.
	eng, feeders := r.compiled.Engine, r.compiled.Feeders
	var fed, late int64
	lanes := r.lanes
	for watermark != noWatermark {
		from := -1
		for i := range lanes {
			p := lanes[i].pending
			if len(p) > 0 && p[0].Arrival.UnixMilli() <= watermark && (from < 0 || p[0].Arrival.Before(lanes[from].pending[0].Arrival)) {
				from = i
			}
		}
		if from < 0 {
			break
		}
		l := &lanes[from]
		rec := &l.pending[0]
		// A record that comes after the clock has passed its arrival (a
		// remote stream's clock running behind more than the tolerance)
		// is not lost: it takes the clock's time.
		rowtime := toApp(rec.Arrival.UnixMilli())
		if now := eng.Clock(); rowtime < now {
			rowtime = now
			late++
		}
		meta := compile.Meta{Stored: rec.Arrival.UnixMilli()}
		if r.kinesis {
			meta.Shard, meta.PartitionKey, meta.Sequence = l.shard, rec.PartitionKey, rec.sequence()
		}
		if err := feeders[l.feeder%len(feeders)].Feed(rec.Data, rowtime, meta); err != nil {
			r.feedErrors.Error("a record could not be fed", "err", err)
		}
		l.pending = l.pending[1:]
		fed++
	}
	r.read.Add(fed)
	if late > 0 {
		r.metrics.late.WithLabelValues(r.def.Name).Add(float64(late))
		r.lateRecords.Error("records came after the application's clock had passed their arrival: they were given the clock's time as ROWTIME "+
			"(stored later than the application's settle wait after their arrival; on a remote Kinesis input: its arrival stamps lag this machine's clock by more than --kinesis-tolerance)", "records", late, "stream", r.source)
	}
	if fed > 0 { // the positions move only as records are fed
		r.publish()
	}
	if watermark != noWatermark {
		eng.Advance(toApp(watermark))
	}
	for _, o := range r.outputs {
		o.d.Flush()
	}
	// A full lane whose records are all too recent to feed waits for the
	// clock like any other: reading again at once would find it full and
	// feed nothing.
	return fed, more && fed > 0, readErr
}
