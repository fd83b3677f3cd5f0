package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/sql/engine"
	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/sql/types"
	"github.com/riffle-sql/riffle/streamlog"
)

// runtime is one running application: a goroutine that reads its input
// from the log, moves its clock and checkpoints. The Manager owns it.
type runtime struct {
	cancel  context.CancelFunc
	done    chan struct{}
	save    bool         // checkpoint when stopping
	read    atomic.Int64 // input records read since the start
	outputs []output
	closed  bool // the taps are closed (under mu): no new followers
	mu      sync.Mutex
	taps    map[string]*ring
	streams []string // the taps' streams, in the graph's order
}

// output is one running output: its delivery, which a goroutine of its
// own drives.
type output struct {
	id string
	d  *destination.Delivery
}

// ring keeps a stream's recent rows (up to limit, growing as rows come, so
// an idle application holds little) and its followers.
type ring struct {
	rows      [][]byte
	limit     int
	next      int // where the next row goes once the ring is full
	followers map[chan []byte]bool
}

// positions are the next record to read, per shard.
type positions []streamlog.Seq

// checkpoint is what a running application saves, in one write so that
// positions and state always agree: no record counted twice, none lost.
type checkpoint struct {
	Positions positions // nil when the input changed: start from now
	Engine    []byte    // the engine's snapshot; nil after a code change
	// Outputs are the outputs' rows not yet delivered, by output id.
	Outputs map[string]destination.State `json:",omitempty"`
}

func (m *Manager) putCheckpoint(ctx context.Context, name string, c checkpoint) error {
	data, err := json.Marshal(c)
	if err == nil {
		err = m.ckpts.Put(ctx, name, data)
	}
	if err != nil {
		return fmt.Errorf("checkpoint of %s: %w", name, err)
	}
	return nil
}

func (m *Manager) loadCheckpoint(name string) (checkpoint, bool, error) {
	var c checkpoint
	data, err := m.ckpts.Get(m.ctx, name)
	if errors.Is(err, streamlog.ErrNotFound) {
		return c, false, nil
	}
	if err != nil {
		return c, false, err
	}
	return c, true, json.Unmarshal(data, &c)
}

func (m *Manager) launchLocked(a Application, position string) error {
	in := a.Inputs[0]
	tables, err := m.loadReferences(a)
	if err != nil {
		return err
	}
	compiled, err := compile.Compile(compile.Options{SQL: a.Code, Inputs: in.StreamNames(), Schema: in.Schema, Application: a.Name, Tables: tables})
	if err != nil {
		return err
	}
	g, eng, feeders := compiled.Graph, compiled.Engine, compiled.Feeders
	info, err := m.log.Describe(m.ctx, in.Source)
	if err != nil {
		return err
	}
	// The checkpoint's outputs hold rows not yet delivered, whatever the
	// start position: they are sent either way.
	c, _, err := m.loadCheckpoint(a.Name)
	if err != nil {
		return fmt.Errorf("checkpoint of %s: %w", a.Name, err)
	}
	resume := position == LastStoppedPoint && c.Positions != nil
	var pos positions
	if resume {
		if len(c.Positions) != info.Shards {
			return fmt.Errorf("checkpoint of %s does not fit its input", a.Name)
		}
		pos = c.Positions
		if c.Engine != nil {
			if err := eng.Restore(c.Engine); err != nil {
				return fmt.Errorf("restore %s: %w", a.Name, err)
			}
		}
	} else {
		pos = make(positions, info.Shards)
		if position != TrimHorizon { // NOW, or LAST_STOPPED_POINT never stopped
			last, err := m.log.Last(m.ctx, in.Source)
			if err != nil {
				return err
			}
			for i := range pos {
				pos[i] = streamlog.Seq{Msg: last + 1}
			}
		}
	}
	ctx, cancel := context.WithCancel(m.ctx)
	rt := &runtime{cancel: cancel, done: make(chan struct{}), taps: map[string]*ring{}}
	if err := m.openOutputs(ctx, rt, a, g, eng, c.Outputs, !resume); err != nil {
		cancel()
		return err
	}
	// The start is checkpointed at once: a crash before the first periodic
	// checkpoint resumes here, not at the start of the stream, and a new
	// output's record ids (its epoch) are the same after it.
	if !resume {
		c.Positions, c.Engine = pos, nil
	}
	c.Outputs = rt.outputStates()
	if err := m.putCheckpoint(m.ctx, a.Name, c); err != nil {
		cancel()
		return err
	}
	for _, name := range eng.Streams() {
		st, ok := g.Stream(name)
		cols := engine.ErrorColumns
		if ok {
			cols = st.Columns
		}
		r := &ring{limit: m.opts.RowsPerStream, followers: map[chan []byte]bool{}}
		rt.taps[name] = r
		rt.streams = append(rt.streams, name)
		if err := eng.Subscribe(name, func(row engine.Row) { rt.publish(r, rowJSON(cols, row)) }); err != nil {
			cancel()
			return err
		}
	}
	// The senders outlive the loop's context: a stopping application
	// drains its outputs before its last checkpoint, then stops them.
	var senders sync.WaitGroup
	sendCtx, stopSending := context.WithCancel(m.ctx)
	for _, o := range rt.outputs {
		senders.Go(func() { o.d.Run(sendCtx) })
	}
	m.running[a.Name] = rt
	go func() {
		defer close(rt.done)
		defer senders.Wait()
		defer stopSending()
		m.loop(ctx, rt, a, eng, feeders, pos)
	}()
	return nil
}

// openOutputs makes each output's delivery, restored from the checkpoint,
// and subscribes it to its stream.
func (m *Manager) openOutputs(ctx context.Context, rt *runtime, a Application, g *plan.Graph, eng *engine.App, states map[string]destination.State, fresh bool) error {
	for _, out := range a.Outputs {
		sink, format, err := m.sinkFor(ctx, a, out)
		if err != nil {
			return fmt.Errorf("output %s: %w", out.Name, err)
		}
		cols := engine.ErrorColumns
		if st, ok := g.Stream(out.Name); ok {
			cols = st.Columns
		} else if out.Name != engine.ErrorStream {
			return fmt.Errorf("output %s names no in-application stream", out.Name)
		}
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c.Name
		}
		cfg := m.opts.Delivery
		cfg.Sink, cfg.State, cfg.IDKey, cfg.Fresh = sink, states[out.ID], m.ARN(a.Name)+"/"+out.ID, fresh
		cfg.Acks = kvAcks{kv: m.acks, key: ackKey(a.Name, out.ID)}
		cfg.Labels = destination.Labels{Application: a.Name, Output: out.ID, Destination: sink.String()}
		d, err := destination.New(ctx, cfg)
		if err != nil {
			return err
		}
		if err := eng.Subscribe(out.Name, func(row engine.Row) { d.Add(format.Append(nil, names, row.Values)) }); err != nil {
			return err
		}
		rt.outputs = append(rt.outputs, output{id: out.ID, d: d})
	}
	return nil
}

func (rt *runtime) outputStates() map[string]destination.State {
	if len(rt.outputs) == 0 {
		return nil
	}
	states := map[string]destination.State{}
	for _, o := range rt.outputs {
		states[o.id] = o.d.State()
	}
	return states
}

// busy says an output holds all it may: take no input for now.
func (rt *runtime) busy() bool {
	return slices.ContainsFunc(rt.outputs, func(o output) bool { return o.d.Busy() })
}

// loadReferences reads an application's reference tables from the
// buckets directory.
func (m *Manager) loadReferences(a Application) ([]*plan.Table, error) {
	var tables []*plan.Table
	for _, ref := range a.References {
		f, err := m.openReference(ref)
		if err != nil {
			return nil, fmt.Errorf("%w: reference data source %s: %v", ErrInvalid, ref.TableName, err)
		}
		t, err := compile.LoadTableWithSchema(ref.TableName, ref.Schema, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: reference data source: %v", ErrInvalid, err)
		}
		tables = append(tables, t)
	}
	return tables, nil
}

// maxReference bounds a reference file read from a URL.
const maxReference = 256 << 20

// openReference opens a reference source: a key that is an http(s) URL is
// fetched (the bucket is then ignored); any other is a file under the
// buckets directory.
func (m *Manager) openReference(ref Reference) (io.ReadCloser, error) {
	if strings.HasPrefix(ref.Key, "http://") || strings.HasPrefix(ref.Key, "https://") {
		ctx, cancel := context.WithTimeout(m.ctx, 30*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, ref.Key, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", ref.Key, resp.Status)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxReference+1))
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", ref.Key, err)
		}
		if len(data) > maxReference {
			return nil, fmt.Errorf("GET %s: larger than %d bytes", ref.Key, maxReference)
		}
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	path, err := m.bucketPath(ref.Bucket, ref.Key)
	if err != nil {
		return nil, err
	}
	return os.Open(path)
}

// bucketPath is where bucket/key lives, refusing names that would leave
// the buckets directory.
func (m *Manager) bucketPath(bucket, key string) (string, error) {
	if m.opts.Buckets == "" {
		return "", fmt.Errorf("this server has no buckets directory for reference data")
	}
	if bucket == "" || strings.ContainsAny(bucket, `/\`) || bucket == ".." || key == "" || !filepath.IsLocal(key) {
		return "", fmt.Errorf("%s/%s is not a file under the buckets directory", bucket, key)
	}
	return filepath.Join(m.opts.Buckets, bucket, key), nil
}

// settle is how long after a record's arrival the clock waits before
// moving past it: a request is stored a little after its arrival time, and
// its records must still find their windows open.
const settle = 500 * time.Millisecond

// loop reads new records, feeds them with ROWTIME from their arrival on
// the application's clock, moves the clock, and checkpoints, until its
// context ends. ROWTIME follows the stored arrival (not the moment of
// reading), so a resumed application gives the rows it would have given.
func (m *Manager) loop(ctx context.Context, rt *runtime, a Application, eng *engine.App, feeders []*compile.Feeder, pos positions) {
	in := a.Inputs[0]
	save := func() {
		snap, err := eng.Snapshot()
		if err == nil {
			err = m.putCheckpoint(context.Background(), a.Name, checkpoint{Positions: pos, Engine: snap, Outputs: rt.outputStates()})
		}
		if err != nil {
			slog.Error("checkpoint failed", "application", a.Name, "err", err)
		}
	}
	poll := time.NewTicker(m.opts.Poll)
	defer poll.Stop()
	lastCheckpoint := time.Now()
	// Records read but not yet fed, per shard; pos (what a checkpoint
	// saves) is each shard's first record not fed.
	pending := make([][]streamlog.Record, len(pos))
	next := slices.Clone(pos)
	backlog := false      // a shard had more than one read's worth: go on at once
	wait := func() bool { // false once the runner must end
		if backlog {
			return ctx.Err() == nil
		}
		select {
		case <-ctx.Done():
			return false
		case <-poll.C:
			return true
		}
	}
	for {
		if !wait() {
			if rt.save {
				// What the outputs deliver now need not wait for the next start.
				drain, cancel := context.WithTimeout(context.Background(), m.opts.Drain)
				for _, o := range rt.outputs {
					o.d.Drain(drain)
				}
				cancel()
				save()
			}
			rt.closeTaps()
			return
		}
		// An output that is behind holds the input back (nothing is lost;
		// the application falls behind, as the service's does).
		if !rt.busy() {
			backlog = m.step(ctx, rt, a, eng, feeders, in.Source, pos, next, pending)
		} else {
			backlog = false
		}
		if time.Since(lastCheckpoint) >= m.opts.Checkpoint {
			save()
			lastCheckpoint = time.Now()
		}
	}
}

// step reads what the input holds, feeds the records that arrived before
// the watermark, moves the clock and flushes the outputs. It says whether a
// shard has more to read at once.
func (m *Manager) step(ctx context.Context, rt *runtime, a Application, eng *engine.App, feeders []*compile.Feeder, source string, pos, next positions, pending [][]streamlog.Record) bool {
	toApp := func(wall int64) int64 {
		return a.AppTime(wall, m.opts.TimeScale)
	}
	more := make([]bool, len(next)) // the shard may hold more than was read
	for shard := range next {
		more[shard] = true
		for len(pending[shard]) < maxPending {
			recs, after, err := m.log.Read(ctx, source, shard, next[shard], 1000)
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					slog.Error("read input", "application", a.Name, "err", err)
				}
				break
			}
			pending[shard] = append(pending[shard], recs...)
			next[shard] = after
			if len(recs) < 1000 {
				more[shard] = false
				break
			}
		}
	}
	// Feed the records that arrived before the watermark, merged across
	// shards by arrival (then shard), so the order, and so every row, is
	// the same however the reads fell.
	watermark := time.Now().Add(-settle).UnixMilli()
	// Catching up on a backlog: no further than what every shard has
	// been read to, so unread records keep their own ROWTIME.
	for shard, p := range pending {
		if more[shard] && len(p) > 0 {
			watermark = min(watermark, p[len(p)-1].Arrival.UnixMilli())
		}
	}
	var fed int64
	for {
		from := -1
		for shard, p := range pending {
			if len(p) > 0 && p[0].Arrival.UnixMilli() <= watermark && (from < 0 || p[0].Arrival.Before(pending[from][0].Arrival)) {
				from = shard
			}
		}
		if from < 0 {
			break
		}
		r := pending[from][0]
		pending[from] = pending[from][1:]
		rowtime := max(toApp(r.Arrival.UnixMilli()), eng.Clock())
		if err := feeders[from%len(feeders)].Feed(r.Data, rowtime, r.Arrival.UnixMilli()); err != nil {
			slog.Error("feed", "application", a.Name, "err", err)
		}
		fed++
	}
	rt.read.Add(fed)
	for shard := range pos {
		pos[shard] = next[shard]
		if len(pending[shard]) > 0 {
			pos[shard] = pending[shard][0].Seq
		}
	}
	eng.Advance(toApp(watermark))
	for _, o := range rt.outputs {
		o.d.Flush()
	}
	return slices.Contains(more, true)
}

// maxPending bounds the records a runner holds per shard before feeding.
const maxPending = 10000

// stop ends the runner and waits for it (save is read after the context
// ends, which happens after this write).
func (rt *runtime) stop(save bool) {
	rt.save = save
	rt.cancel()
	<-rt.done
}

func rowJSON(cols []plan.Column, r engine.Row) []byte {
	b := []byte(`{"ROWTIME":`)
	b = types.AppendJSONString(b, types.FormatISO(r.Time))
	for i, c := range cols {
		b = append(b, ',')
		b = types.AppendJSONString(b, c.Name)
		b = append(b, ':')
		b = r.Values[i].AppendJSON(b)
	}
	return append(b, '}')
}

func (rt *runtime) publish(r *ring, row []byte) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(r.rows) < r.limit {
		r.rows = append(r.rows, row)
	} else {
		r.rows[r.next] = row
		r.next = (r.next + 1) % r.limit
	}
	for ch := range r.followers {
		select {
		case ch <- row:
		default: // a slow follower misses rows rather than stalling the application
		}
	}
}

func (rt *runtime) tap(stream string) ([][]byte, <-chan []byte, func(), error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		return nil, nil, nil, fmt.Errorf("%w: the application stopped", ErrInUse)
	}
	r := rt.taps[stream]
	if r == nil {
		return nil, nil, nil, fmt.Errorf("%w: no stream %s", ErrInvalid, stream)
	}
	recent := append(append([][]byte(nil), r.rows[r.next:]...), r.rows[:r.next]...)
	ch := make(chan []byte, 256)
	r.followers[ch] = true
	cancel := func() {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		if r.followers[ch] {
			delete(r.followers, ch)
			close(ch)
		}
	}
	return recent, ch, cancel, nil
}

func (rt *runtime) closeTaps() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.closed = true
	for _, r := range rt.taps {
		for ch := range r.followers {
			delete(r.followers, ch)
			close(ch)
		}
	}
}
