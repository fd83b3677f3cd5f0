package awskinesis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/jonboulle/clockwork"

	"github.com/riffle-sql/riffle/internal/throttle"
	"github.com/riffle-sql/riffle/internal/wait"
)

// Position is where a shard is read from. The zero Position is the
// shard's start (TRIM_HORIZON).
type Position struct {
	// At: from this sequence number on (AT_SEQUENCE_NUMBER).
	At string `json:",omitempty"`
	// After: the records after this sequence number (AFTER_SEQUENCE_NUMBER).
	After string `json:",omitempty"`
	// Since: the records that arrived at this time (Unix ms) or later
	// (AT_TIMESTAMP): a shard of a NOW start that has given nothing yet.
	Since int64 `json:",omitempty"`
	// Done: a closed shard read to its end; it is not read again.
	Done bool `json:",omitempty"`
}

func (p Position) String() string {
	switch {
	case p.Done:
		return "done"
	case p.At != "":
		return "at " + p.At
	case p.After != "":
		return "after " + p.After
	case p.Since != 0:
		return "since " + time.UnixMilli(p.Since).UTC().Format(time.RFC3339Nano)
	}
	return "trim horizon"
}

// Record is a record of a shard.
type Record struct {
	Data         []byte
	PartitionKey string
	Sequence     string
	Arrival      time.Time // ApproximateArrivalTimestamp
}

// Start is where a Reader begins.
type Start struct {
	// Positions, when not nil, are a resumed run's: each shard listed is
	// read from its position (or skipped, Done); a shard not listed is
	// read from its start once its parents are done.
	Positions map[string]Position
	// Latest (without Positions): the shards open now are read from the
	// records that arrive from now on (a NOW start); otherwise from their
	// start (TRIM_HORIZON).
	Latest bool
}

// Options tune a Reader.
type Options struct {
	// Clock stamps the reads (the watermark is on it) and paces them.
	Clock clockwork.Clock
	// Tolerance is how far an arrival stamp of the service may lag this
	// machine's clock (clock skew, plus the time between the service
	// stamping a record and serving it): a shard read to its end by a
	// call made at T has given every record that arrived before
	// T - Tolerance.
	Tolerance time.Duration
	Logger    *slog.Logger
	// Throttled, when set, is called each time the service refuses a read
	// for a limit (ProvisionedThroughputExceededException,
	// LimitExceededException, KMSThrottlingException), with the wait
	// before the shard's next call.
	Throttled func(shard string, wait time.Duration)
}

// The service's limits on reading a shard: GetRecords calls per second,
// bytes per second, records per call.
const (
	callsPerSecond = 5
	bytesPerSecond = 2 << 20
	recordsPerCall = 10000
)

// buffered bounds the records a shard holds until they are taken: the
// shard is not read further meanwhile.
const buffered = recordsPerCall

// callTimeout bounds one call to the service (a server may hold a request
// open: kinesalite holds an AT_TIMESTAMP iterator until a record comes).
const callTimeout = 30 * time.Second

// Waits of a shard whose reads fail or are refused.
const (
	minBackoff = 500 * time.Millisecond
	maxBackoff = 10 * time.Second
	logEvery   = 30 * time.Second
)

// Reader reads one stream's shards, each in a goroutine of its own, into
// buffers the caller empties with Take. Close stops it.
type Reader struct {
	c      *Client
	arn    ARN
	k      *kinesis.Client
	opts   Options
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	errs   throttle.Log // shared by the goroutines: guarded by mu

	mu     sync.Mutex
	shards []*shard          // in the order first known
	byID   map[string]*shard // the same
	fatal  error             // the stream is gone
}

// shard is one shard's state; its goroutine fills buf.
type shard struct {
	id      string
	parents []string
	start   Position // where this run first read it from
	latest  string   // a LATEST iterator taken at the start (a NOW start)
	room    chan struct{}

	// Guarded by Reader.mu.
	running bool
	ended   bool     // read to its end (or Done at the start)
	buf     []Record // read, not taken
	mark    time.Time
}

// Open lists the stream's shards and starts reading them.
func (c *Client) Open(ctx context.Context, arn ARN, start Start, opts Options) (*Reader, error) {
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	k, err := c.api(ctx, arn.Region)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &Reader{c: c, arn: arn, k: k, opts: opts, ctx: runCtx, cancel: cancel, byID: map[string]*shard{}}
	r.errs = throttle.Log{Logger: opts.Logger.With("stream", arn.String()), Every: logEvery, Clock: opts.Clock}
	listed, err := r.list(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	now := opts.Clock.Now()
	for _, s := range listed {
		id := aws.ToString(s.ShardId)
		sh := &shard{id: id, room: make(chan struct{}, 1)}
		for _, p := range []*string{s.ParentShardId, s.AdjacentParentShardId} {
			if p != nil && *p != "" {
				sh.parents = append(sh.parents, *p)
			}
		}
		closed := s.SequenceNumberRange != nil && s.SequenceNumberRange.EndingSequenceNumber != nil
		switch {
		case start.Positions != nil:
			if p, ok := start.Positions[id]; ok {
				sh.start = p
				sh.ended = p.Done
			}
		case start.Latest && !closed:
			// LATEST now, before Open returns: every record put once the
			// start is done is read. The checkpoint says Since now until
			// a record is fed (a LATEST iterator is no position).
			sh.start = Position{Since: now.UnixMilli()}
			if sh.latest, err = r.iterator(ctx, id, sh.start, true); err != nil {
				cancel()
				return nil, err
			}
		case start.Latest: // closed before the start: nothing of it comes after now
			sh.start, sh.ended = Position{Done: true}, true
		}
		r.shards = append(r.shards, sh)
		r.byID[id] = sh
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.startReady()
	return r, nil
}

// list reads every shard of the stream (open and closed ones still kept),
// sorted by id so that parents come before their children.
func (r *Reader) list(ctx context.Context) ([]types.Shard, error) {
	var out []types.Shard
	in := &kinesis.ListShardsInput{StreamName: aws.String(r.arn.Name)}
	for {
		call, cancel := context.WithTimeout(ctx, callTimeout)
		page, err := r.k.ListShards(call, in, noRetries)
		cancel()
		var missing *types.ResourceNotFoundException
		if errors.As(err, &missing) {
			return nil, fmt.Errorf("%w: %s (%s): %s", ErrNotFound, r.arn, r.c, missing.ErrorMessage())
		}
		if err != nil {
			return nil, fmt.Errorf("list the shards of %s (%s): %w", r.arn, r.c, err)
		}
		out = append(out, page.Shards...)
		if page.NextToken == nil || *page.NextToken == "" {
			break
		}
		in = &kinesis.ListShardsInput{NextToken: page.NextToken}
	}
	slices.SortFunc(out, func(a, b types.Shard) int { return compareIDs(aws.ToString(a.ShardId), aws.ToString(b.ShardId)) })
	return out, nil
}

// compareIDs orders shard ids as the service numbers them (the same
// width, so as strings), the longer ones last.
func compareIDs(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	if a < b {
		return -1
	} else if a > b {
		return 1
	}
	return 0
}

// startReady starts the shards whose parents are read to their end (or
// are gone from the listing). Under mu.
func (r *Reader) startReady() {
	for _, s := range r.shards {
		if s.running || s.ended {
			continue
		}
		ready := true
		for _, p := range s.parents {
			if ps := r.byID[p]; ps != nil && !ps.ended {
				ready = false
			}
		}
		if !ready {
			continue
		}
		s.running = true
		r.wg.Go(func() { r.read(s) })
	}
}

// Close stops the reading goroutines and waits for them.
func (r *Reader) Close() {
	r.cancel()
	r.wg.Wait()
}

// Err is why the stream can no longer be read (it is gone: ErrNotFound),
// or nil.
func (r *Reader) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fatal
}

// Batch is what Take gives of one shard.
type Batch struct {
	Shard string
	// Start is where this run first read the shard from: where it stands
	// before any of its records is taken.
	Start   Position
	Records []Record
	More    bool // records are left in the reader: there was no more room
	Ended   bool // the shard is closed and every record of it has been taken
}

// Take moves what the shards have read out of the reader, at most
// room(shard) records of each: one Batch per shard known (in the order
// they became known, parents before children), with or without records.
func (r *Reader) Take(room func(shard string) int) []Batch {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Batch, 0, len(r.shards))
	for _, s := range r.shards {
		n := min(max(room(s.id), 0), len(s.buf))
		b := Batch{Shard: s.id, Start: s.start, Records: s.buf[:n:n]}
		if n > 0 {
			s.buf = slices.Clone(s.buf[n:])
			select { // the shard may read on
			case s.room <- struct{}{}:
			default:
			}
		}
		b.More = len(s.buf) > 0
		b.Ended = s.ended && len(s.buf) == 0
		out = append(out, b)
	}
	return out
}

// Watermark is a time before which every record that arrived on the
// stream has been read (and is in the reader until taken): the earliest
// of the shards being read, each of which is read to its end up to the
// time of its last call that found nothing more (less the tolerance) or
// to the arrival of its last record. ok is false while a shard being read
// has yet to give either.
func (r *Reader) Watermark() (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var mark time.Time
	any := false
	for _, s := range r.shards {
		switch {
		case s.ended && r.childRunning(s.id):
			continue // closed and read: its children hold the mark now
		case s.ended:
			// Closed and read, its children not listed or not read yet:
			// they hold records that may have arrived since its mark.
		case !s.running:
			continue // waiting for its parents, which hold the mark back
		}
		if s.mark.IsZero() {
			return time.Time{}, false
		}
		if !any || s.mark.Before(mark) {
			mark = s.mark
		}
		any = true
	}
	return mark, any
}

// childRunning says whether a shard that ended has a child being read
// (under r.mu).
func (r *Reader) childRunning(id string) bool {
	for _, c := range r.shards {
		if c.running && slices.Contains(c.parents, id) {
			return true
		}
	}
	return false
}

// read reads one shard until it ends or the reader closes.
func (r *Reader) read(s *shard) {
	ctx := r.ctx
	clock := r.opts.Clock
	pos := s.start // the next read's position
	iterator := s.latest
	backoff := throttle.Backoff{Min: minBackoff, Max: maxBackoff}
	var next time.Time // no call before
	for ctx.Err() == nil {
		// Room: a shard whose records are not taken is not read further.
		r.mu.Lock()
		full := len(s.buf) >= buffered
		r.mu.Unlock()
		if full {
			select {
			case <-ctx.Done():
				return
			case <-s.room:
			}
			continue
		}
		if d := next.Sub(clock.Now()); d > 0 && !wait.Sleep(ctx, clock, d) {
			return
		}
		if iterator == "" {
			it, err := r.iterator(ctx, s.id, pos, false)
			if err != nil {
				if !r.failed(ctx, s, err, &backoff, &next) {
					return
				}
				continue
			}
			iterator = it
		}
		issued := clock.Now()
		call, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := r.k.GetRecords(call, &kinesis.GetRecordsInput{ShardIterator: aws.String(iterator), Limit: aws.Int32(recordsPerCall)}, noRetries)
		cancel()
		next = issued.Add(time.Second / callsPerSecond)
		var expired *types.ExpiredIteratorException
		if errors.As(err, &expired) { // a new one from the last record read
			iterator = ""
			continue
		}
		if err != nil {
			if !r.failed(ctx, s, err, &backoff, &next) {
				return
			}
			continue
		}
		backoff.Reset()
		size := 0
		recs := make([]Record, 0, len(out.Records))
		for _, rec := range out.Records {
			size += len(rec.Data) + len(aws.ToString(rec.PartitionKey))
			recs = append(recs, Record{Data: rec.Data, PartitionKey: aws.ToString(rec.PartitionKey), Sequence: aws.ToString(rec.SequenceNumber),
				Arrival: aws.ToTime(rec.ApproximateArrivalTimestamp)})
		}
		// A shard gives 2 MB a second: a large answer is paid for by a
		// longer wait before the next call.
		if d := time.Duration(float64(size) / bytesPerSecond * float64(time.Second)); d > time.Second/callsPerSecond {
			next = issued.Add(d)
		}
		caughtUp := out.MillisBehindLatest != nil && *out.MillisBehindLatest == 0 && len(out.Records) < recordsPerCall
		r.mu.Lock()
		s.buf = append(s.buf, recs...)
		if len(recs) > 0 {
			pos = Position{After: recs[len(recs)-1].Sequence}
			if last := recs[len(recs)-1].Arrival; last.After(s.mark) {
				s.mark = last
			}
		}
		if caughtUp {
			if m := issued.Add(-r.opts.Tolerance); m.After(s.mark) {
				s.mark = m
			}
		}
		ended := out.NextShardIterator == nil
		if ended {
			s.ended = true
		}
		r.mu.Unlock()
		if ended {
			r.reshard(ctx)
			return
		}
		iterator = *out.NextShardIterator
	}
}

// iterator gets a shard iterator for a position (LATEST when latest).
func (r *Reader) iterator(ctx context.Context, id string, pos Position, latest bool) (string, error) {
	in := &kinesis.GetShardIteratorInput{StreamName: aws.String(r.arn.Name), ShardId: aws.String(id)}
	switch {
	case latest:
		in.ShardIteratorType = types.ShardIteratorTypeLatest
	case pos.At != "":
		in.ShardIteratorType, in.StartingSequenceNumber = types.ShardIteratorTypeAtSequenceNumber, aws.String(pos.At)
	case pos.After != "":
		in.ShardIteratorType, in.StartingSequenceNumber = types.ShardIteratorTypeAfterSequenceNumber, aws.String(pos.After)
	case pos.Since != 0:
		in.ShardIteratorType, in.Timestamp = types.ShardIteratorTypeAtTimestamp, aws.Time(time.UnixMilli(pos.Since))
	default:
		in.ShardIteratorType = types.ShardIteratorTypeTrimHorizon
	}
	call, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := r.k.GetShardIterator(call, in, noRetries)
	if err != nil {
		return "", fmt.Errorf("shard iterator of %s %s (%s): %w", r.arn.Name, id, pos, err)
	}
	return aws.ToString(out.ShardIterator), nil
}

// failed handles a call that failed: a limit reached backs off (counted),
// a stream gone ends the reader, anything else is logged and retried
// after a backoff. It says false when the shard's goroutine must end.
func (r *Reader) failed(ctx context.Context, s *shard, err error, backoff *throttle.Backoff, next *time.Time) bool {
	if ctx.Err() != nil {
		return false
	}
	d := backoff.Next()
	*next = r.opts.Clock.Now().Add(d)
	var (
		throughput *types.ProvisionedThroughputExceededException
		limit      *types.LimitExceededException
		kms        *types.KMSThrottlingException
		missing    *types.ResourceNotFoundException
	)
	switch {
	case errors.As(err, &throughput), errors.As(err, &limit), errors.As(err, &kms):
		if r.opts.Throttled != nil {
			r.opts.Throttled(s.id, d)
		}
		return true
	case errors.As(err, &missing):
		// The shard, or the whole stream? Only the stream's absence ends
		// the reader.
		if _, derr := r.c.Describe(ctx, r.arn); errors.Is(derr, ErrNotFound) {
			r.mu.Lock()
			r.fatal = derr
			r.mu.Unlock()
			return false
		}
	}
	r.mu.Lock()
	r.errs.Error("reading a Kinesis shard failed; trying again", "shard", s.id, "err", err, "retry_in", d.String())
	r.mu.Unlock()
	return true
}

// reshard lists the shards again once one has ended, to learn its
// children, and starts those whose parents are all read.
func (r *Reader) reshard(ctx context.Context) {
	backoff := throttle.Backoff{Min: minBackoff, Max: maxBackoff}
	for {
		listed, err := r.list(ctx)
		if err == nil {
			r.mu.Lock()
			for _, s := range listed {
				id := aws.ToString(s.ShardId)
				if r.byID[id] != nil {
					continue
				}
				sh := &shard{id: id, room: make(chan struct{}, 1)}
				for _, p := range []*string{s.ParentShardId, s.AdjacentParentShardId} {
					if p != nil && *p != "" {
						sh.parents = append(sh.parents, *p)
					}
				}
				r.shards = append(r.shards, sh)
				r.byID[id] = sh
			}
			r.startReady()
			r.mu.Unlock()
			return
		}
		if errors.Is(err, ErrNotFound) {
			r.mu.Lock()
			r.fatal = err
			r.mu.Unlock()
			return
		}
		d := backoff.Next()
		r.mu.Lock()
		r.errs.Error("listing the shards failed; trying again", "err", err, "retry_in", d.String())
		r.mu.Unlock()
		if !wait.Sleep(ctx, r.opts.Clock, d) {
			return
		}
	}
}
