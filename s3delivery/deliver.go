package s3delivery

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/riffle-sql/riffle/internal/throttle"
	"github.com/riffle-sql/riffle/streamlog"
)

// state is a deliverer's checkpoint: where the records not yet delivered
// begin and, between deciding a batch and having written it, the batch.
type state struct {
	Next    streamlog.Seq
	Pending *pending `json:",omitempty"`
}

// pending is a batch decided: its first and last records and its key.
// Written before the object, it makes the batch durable: after a crash
// the same records go to the same key.
type pending struct {
	From, Through streamlog.Seq
	Records       int
	Key           string
}

// after is the position after a record.
func after(s streamlog.Seq) streamlog.Seq { return streamlog.Seq{Msg: s.Msg, Index: s.Index + 1} }

// skipped says whether the first record read after pos is not the next
// one: messages between are gone. (A delivery stream has one shard, so its
// messages are numbered without gaps; a position may point past its
// message's last record.)
func skipped(pos, first streamlog.Seq) bool {
	if pos.Msg == 0 {
		return first.Msg > 1 || first.Index > 0
	}
	return first.Msg > pos.Msg+1 || first.Msg == pos.Msg+1 && (pos.Index == 0 || first.Index > 0) || first.Msg == pos.Msg && first.Index > pos.Index
}

// readMax bounds the records one read of the log returns.
const readMax = 1000

// deliverer delivers one delivery stream.
type deliverer struct {
	s       *Service
	stream  string
	created time.Time
	dest    Destination
	key     string // of its checkpoint

	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
	flushes chan chan struct{}

	objects, records, bytes, failures prometheus.Counter
	// failing says the last step failed (S3 unreachable, refused): a
	// closing server does not wait for it.
	failing atomic.Bool

	// The loop's own state, touched by run only.
	st       state
	rev      uint64
	loaded   bool
	pos      streamlog.Seq      // where the next read starts
	buf      []streamlog.Record // read from st.Next on, not yet in an object
	caughtUp bool               // the last read found no more records
	waiting  []chan struct{}    // flushes to answer once all is delivered
	backoff  throttle.Backoff
	errs     throttle.Log
}

func (s *Service) newDeliverer(parent context.Context, info streamlog.Info, dest Destination, key string) *deliverer {
	ctx, cancel := context.WithCancel(parent)
	m := s.metrics
	return &deliverer{s: s, stream: info.Name, created: info.Created, dest: dest, key: key,
		ctx: ctx, cancel: cancel, done: make(chan struct{}), flushes: make(chan chan struct{}),
		objects: m.objects.WithLabelValues(info.Name), records: m.records.WithLabelValues(info.Name),
		bytes: m.bytes.WithLabelValues(info.Name), failures: m.failures.WithLabelValues(info.Name),
		backoff: throttle.Backoff{Min: 200 * time.Millisecond, Max: 10 * time.Second},
		errs:    throttle.Log{Logger: s.opts.Logger, Every: errorLogEvery, Clock: s.opts.Clock}}
}

// errStopped is a flush of a deliverer that has stopped (its delivery
// stream deleted, or the service closing).
var errStopped = errors.New("stopped")

// flush asks the deliverer to deliver what the stream holds now and waits
// until it has.
func (d *deliverer) flush(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case d.flushes <- done:
	case <-d.done:
		return errStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-d.done:
		return errStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run delivers until the deliverer is cancelled: each step reads, decides
// a batch, or writes one; a failed step is retried after a backoff.
func (d *deliverer) run() {
	defer close(d.done)
	clock := d.s.opts.Clock
	for d.ctx.Err() == nil {
		wait, err := d.step()
		if err != nil {
			if quiet(d.ctx, err) {
				wait = d.s.opts.Poll
			} else {
				d.failures.Inc()
				d.failing.Store(true)
				d.errs.Error("delivery to S3 failed; retrying", "stream", d.stream, "bucket", d.s.opts.Buckets.Where(d.dest.Bucket()), "err", err)
				wait = d.backoff.Next()
			}
		} else if d.backoff.Failing() {
			d.failing.Store(false)
			d.backoff.Reset()
			d.s.opts.Logger.Info("delivery to S3 works again", "stream", d.stream)
		}
		if wait <= 0 {
			select { // flushes are taken between steps
			case f := <-d.flushes:
				d.flushRequested(f)
			default:
			}
			continue
		}
		select {
		case <-d.ctx.Done():
		case f := <-d.flushes:
			d.flushRequested(f)
		case <-clock.After(wait):
		}
	}
}

func (d *deliverer) flushRequested(f chan struct{}) {
	d.waiting = append(d.waiting, f)
	d.caughtUp = false // what was stored before the request must be read
}

// step does one thing and says how long to wait before the next.
func (d *deliverer) step() (time.Duration, error) {
	ctx := d.ctx
	if !d.loaded {
		if err := d.load(ctx); err != nil || !d.loaded {
			return 0, err
		}
	}
	if d.st.Pending != nil {
		return 0, d.write(ctx)
	}
	now := d.s.opts.Clock.Now()
	complete, n := d.cut(now)
	if !complete && !d.caughtUp {
		recs, next, err := d.s.log.Read(ctx, d.stream, 0, d.pos, readMax)
		if err != nil {
			return 0, err
		}
		if len(recs) > 0 && skipped(d.pos, recs[0].Seq) {
			d.s.opts.Logger.Error("records are gone from the log before their delivery to S3 (expired past the retention, or lost)", "stream", d.stream,
				"from", d.pos.String(), "next", recs[0].Seq.String())
		}
		d.buf = append(d.buf, recs...)
		d.pos = next
		d.caughtUp = len(recs) < readMax
		complete, n = d.cut(now)
	}
	if complete {
		return 0, d.decide(ctx, n)
	}
	if len(d.buf) == 0 && d.caughtUp && len(d.waiting) > 0 {
		for _, f := range d.waiting {
			close(f)
		}
		d.waiting = nil
	}
	if !d.caughtUp {
		return 0, nil
	}
	d.caughtUp = false // the next step reads again
	wait := d.s.opts.Poll
	if len(d.buf) > 0 {
		if until := d.deadline().Sub(now); until < wait {
			wait = max(until, time.Millisecond)
		}
	}
	return wait, nil
}

// load reads the checkpoint (a new stream's starts at its beginning).
func (d *deliverer) load(ctx context.Context) error {
	data, rev, err := d.s.kv.Entry(ctx, d.key)
	if errors.Is(err, streamlog.ErrNotFound) {
		d.st = state{}
		data, _ = json.Marshal(d.st)
		rev, err = d.s.kv.Create(ctx, d.key, data)
		if errors.Is(err, streamlog.ErrExists) {
			return nil // another node was first: load it next step
		}
	} else if err == nil {
		d.st = state{}
		if err = json.Unmarshal(data, &d.st); err != nil {
			err = fmt.Errorf("the checkpoint of delivery stream %s cannot be read: %w", d.stream, err)
		}
	}
	if err != nil {
		return err
	}
	d.rev, d.loaded = rev, true
	d.pos, d.buf, d.caughtUp = d.st.Next, nil, false
	return nil
}

// save writes the checkpoint at the revision last read; a conflict (another
// node wrote it) has the deliverer load it again.
func (d *deliverer) save(ctx context.Context, st state) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	rev, err := d.s.kv.Update(ctx, d.key, data, d.rev)
	if errors.Is(err, streamlog.ErrConflict) {
		d.loaded = false
		return nil
	}
	if err != nil {
		return err
	}
	d.st, d.rev = st, rev
	return nil
}

// deadline is when the open batch's buffering interval ends: its first
// record's arrival plus IntervalInSeconds.
func (d *deliverer) deadline() time.Time {
	return d.buf[0].Arrival.Add(time.Duration(d.dest.IntervalInSeconds) * time.Second)
}

// cut says whether the records read make a batch, and how many of them:
// records join the batch of the first while they arrived within the
// buffering interval of its arrival and the sizes fit SizeInMBs, so that a
// backlog read after a restart is cut as it would have been live. A batch
// is complete when a record that does not fit follows it, when it is
// full, or when its interval is over (or a flush asks) and no more
// records are there.
func (d *deliverer) cut(now time.Time) (bool, int) {
	if len(d.buf) == 0 {
		return false, 0
	}
	limit := int64(d.dest.SizeInMBs) << 20
	interval := d.dest.IntervalInSeconds > 0
	deadline := d.deadline()
	var size int64
	for i, r := range d.buf {
		if i > 0 && (size+int64(len(r.Data)) > limit || interval && !r.Arrival.Before(deadline)) {
			return true, i
		}
		size += int64(len(r.Data))
		if size >= limit {
			return true, i + 1
		}
	}
	return d.caughtUp && (len(d.waiting) > 0 || !now.Before(deadline)), len(d.buf)
}

// decide records the first n records read as the next batch, before
// writing it.
func (d *deliverer) decide(ctx context.Context, n int) error {
	batch := d.buf[:n]
	first, last := batch[0], batch[n-1]
	key, err := d.dest.ObjectKey(d.stream, first.Arrival, BatchID(d.stream, d.created, first.Seq, last.Seq))
	if err != nil {
		return err
	}
	return d.save(ctx, state{Next: d.st.Next, Pending: &pending{From: first.Seq, Through: last.Seq, Records: n, Key: key}})
}

// write writes the pending batch's object and moves the checkpoint past
// it. The records are those read, or read again after a restart.
func (d *deliverer) write(ctx context.Context) error {
	p := d.st.Pending
	recs, fromBuf := d.batchRecords(p)
	if !fromBuf {
		var err error
		if recs, err = d.readBatch(ctx, p); err != nil {
			return err
		}
	}
	body, err := d.dest.encode(recs)
	if err != nil {
		return err
	}
	if err := d.s.opts.Buckets.Put(ctx, d.dest.Bucket(), p.Key, body); err != nil {
		return err
	}
	if err := d.save(ctx, state{Next: after(p.Through)}); err != nil {
		return err
	}
	if !d.loaded { // another node moved on meanwhile: it wrote the same object
		return nil
	}
	d.objects.Inc()
	d.records.Add(float64(len(recs)))
	d.bytes.Add(float64(len(body)))
	if fromBuf {
		d.buf = d.buf[len(recs):]
	} else {
		d.pos, d.buf, d.caughtUp = d.st.Next, nil, false
	}
	return nil
}

// batchRecords are the pending batch's records when they are the first
// ones read.
func (d *deliverer) batchRecords(p *pending) ([]streamlog.Record, bool) {
	if len(d.buf) < p.Records || d.buf[0].Seq != p.From || d.buf[p.Records-1].Seq != p.Through {
		return nil, false
	}
	return d.buf[:p.Records], true
}

// readBatch reads a pending batch's records again from the log. Records
// the log no longer holds (past its retention) are left out: the object
// holds those that remain.
func (d *deliverer) readBatch(ctx context.Context, p *pending) ([]streamlog.Record, error) {
	var out []streamlog.Record
	pos := p.From
	for {
		recs, next, err := d.s.log.Read(ctx, d.stream, 0, pos, min(readMax, p.Records-len(out)+1))
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if r.Seq.Msg > p.Through.Msg || r.Seq.Msg == p.Through.Msg && r.Seq.Index > p.Through.Index {
				return d.checked(p, out), nil
			}
			out = append(out, r)
		}
		if len(recs) == 0 || len(out) >= p.Records {
			return d.checked(p, out), nil
		}
		pos = next
	}
}

func (d *deliverer) checked(p *pending, recs []streamlog.Record) []streamlog.Record {
	if len(recs) != p.Records {
		d.s.opts.Logger.Error("records of a batch are gone from the log (past its retention) before delivery to S3", "stream", d.stream,
			"key", p.Key, "records", p.Records, "left", len(recs))
	}
	return recs
}

// encode concatenates records as they are (Firehose adds no delimiters)
// and compresses them.
func (d Destination) encode(recs []streamlog.Record) ([]byte, error) {
	size := 0
	for _, r := range recs {
		size += len(r.Data)
	}
	if d.CompressionFormat != GZIP {
		out := make([]byte, 0, size)
		for _, r := range recs {
			out = append(out, r.Data...)
		}
		return out, nil
	}
	var buf bytes.Buffer
	buf.Grow(size/4 + 64)
	zw := gzip.NewWriter(&buf)
	for _, r := range recs {
		if _, err := zw.Write(r.Data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
