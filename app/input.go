package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/riffle-sql/riffle/awskinesis"
	"github.com/riffle-sql/riffle/internal/shardid"
	"github.com/riffle-sql/riffle/streamlog"
)

// input is where a running application's records come from: the shards
// of a stream of this server's log (logInput), or of a Kinesis data
// stream elsewhere (remoteInput). The loop merges what read leaves in
// the lanes by arrival, feeds what arrived before the watermark, and
// checkpoints what save says of where the lanes stand; both kinds share
// that code.
type input interface {
	// read adds the records the shards hold next to the lanes' pending
	// ones (a lane for each shard, new shards appended), at most
	// maxPending a lane. It returns the watermark (wall ms, noWatermark
	// when not known yet): every record that arrived before it has been
	// read, so the lanes hold each one not fed yet. It also says whether a
	// shard has more to read at once, and the first read that failed.
	read(ctx context.Context, lanes *[]lane) (watermark int64, more bool, err error)
	// save puts where the lanes stand (each one's first record not fed)
	// in the checkpoint.
	save(c *checkpoint, lanes []lane)
	// changed signals when the input may hold records it did not hold at
	// the last read; nil when the input cannot tell (the loop then polls).
	changed() <-chan struct{}
	// close stops what the input runs.
	close()
}

// noWatermark is a watermark not known yet: nothing is fed and the clock
// does not move.
const noWatermark = math.MinInt64

// errInputGone is an input stream that no longer exists.
var errInputGone = errors.New("the input stream no longer exists")

// lane is one shard of the input as the loop merges it.
type lane struct {
	shard   string     // SHARD_ID
	feeder  int        // which in-application stream it feeds (mod the parallelism)
	pending []inRecord // read, not fed yet
	// readTo is the latest arrival (wall ms) of the records read: the
	// last one read was stored no earlier, so a record stored after it
	// arrived no earlier than readTo − settle.
	readTo int64
	read   uint64 // records read: the next one's ord
	// buf is the array pending lives in (a stream of the log): fed
	// records leave its front, and reads move what is left back to its
	// start instead of growing a new one each time the end is reached.
	buf    []inRecord
	merged []inRecord // where take merges, kept for the next
}

// inRecord is a record of a shard.
type inRecord struct {
	streamlog.Record        // for a stream of the log, Seq is its position there
	seq              string // a remote stream's sequence number
	ord              uint64 // its place among the shard's records read (a stream of the log)
}

// sequence is the record's SEQUENCE_NUMBER.
func (r *inRecord) sequence() string {
	if r.seq != "" {
		return r.seq
	}
	return r.Seq.String()
}

// logInput reads a stream of this server's log. Requests are stamped on
// arrival and stored in either order, so each lane keeps its records in
// order of arrival (then as stored), and the records fed need not be the
// first ones stored: a checkpoint says which are not (unfed).
type logInput struct {
	log    *streamlog.Log
	source string
	clock  func() int64  // wall ms
	settle time.Duration // how long after an arrival the watermark passes it
	next   positions     // each shard's next record to read
	// unfed is, per shard, what a restored checkpoint said of the records
	// before its read position: only those in its runs are still to feed.
	unfed []unfedRecords
	watch *streamlog.Watch
}

// unfedRecords are the records of a shard not fed yet, up to where it was
// read: those in Runs; every other record before ReadTo was fed.
type unfedRecords struct {
	Runs   []seqRun
	ReadTo streamlog.Seq
}

// seqRun is the records of a shard from From through Through.
type seqRun struct{ From, Through streamlog.Seq }

// newLogInput reads a stream of the log from a checkpoint's positions;
// the stream is watched from now, before the first read.
func newLogInput(ctx context.Context, l *streamlog.Log, source string, c checkpoint, clock func() int64, settle time.Duration) (*logInput, []lane, error) {
	w, err := l.Watch(ctx, source)
	if err != nil {
		return nil, nil, fmt.Errorf("input %s: %w", source, err)
	}
	lanes := make([]lane, len(c.Positions))
	for i := range lanes {
		lanes[i] = lane{shard: shardid.Format(i), feeder: i}
	}
	in := &logInput{log: l, source: source, clock: clock, settle: settle, next: slices.Clone(c.Positions), watch: w}
	if len(c.Unfed) == len(c.Positions) {
		in.unfed = slices.Clone(c.Unfed)
	}
	return in, lanes, nil
}

// take adds what a read returned to a lane, leaving out the records a
// restored checkpoint said were fed, in order of arrival.
func (in *logInput) take(shard int, l *lane, recs []streamlog.Record) {
	from := len(l.pending)
	if need := from + len(recs); cap(l.pending) < need {
		if cap(l.buf) < 2*need {
			l.buf = append(make([]inRecord, 0, 2*need), l.pending...)
		} else { // pending is the end of buf's array: back to its start
			l.buf = l.buf[:from]
			copy(l.buf, l.pending)
			clear(l.buf[from:cap(l.buf)]) // what is left there holds fed records' data
		}
		l.pending = l.buf
	}
	for _, rec := range recs {
		ord := l.read
		l.read++ // skipped records too: consecutive ords are consecutive records
		if in.unfed != nil && in.fed(shard, rec.Seq) {
			continue
		}
		l.pending = append(l.pending, inRecord{Record: rec, ord: ord})
		l.readTo = max(l.readTo, rec.Arrival.UnixMilli())
	}
	// Most reads come in order of arrival. Others are sorted, stable (so
	// records that arrived together keep their stored order), and merged
	// with the lane's records that arrived later than their first, a few.
	added := l.pending[from:]
	if len(added) == 0 {
		return
	}
	if !slices.IsSortedFunc(added, byArrival) {
		slices.SortStableFunc(added, byArrival)
	}
	if from == 0 || byArrival(l.pending[from-1], added[0]) <= 0 {
		return
	}
	i, _ := slices.BinarySearchFunc(l.pending[:from], added[0], func(a, b inRecord) int {
		if a.Arrival.After(b.Arrival) {
			return 1
		}
		return -1 // equal arrivals stay before: stored first
	})
	merged := slices.Grow(l.merged[:0], len(l.pending)-i)
	old := l.pending[i:from]
	for len(old) > 0 && len(added) > 0 {
		if byArrival(added[0], old[0]) < 0 {
			merged, added = append(merged, added[0]), added[1:]
		} else {
			merged, old = append(merged, old[0]), old[1:]
		}
	}
	merged = append(append(merged, old...), added...)
	copy(l.pending[i:], merged)
	l.merged = merged[:0]
	clear(merged) // it must not keep fed records' data
}

func byArrival(a, b inRecord) int { return a.Arrival.Compare(b.Arrival) }

// fed says whether a restored checkpoint said a record was fed.
func (in *logInput) fed(shard int, seq streamlog.Seq) bool {
	u := &in.unfed[shard]
	if !seq.Before(u.ReadTo) {
		return false
	}
	for len(u.Runs) > 0 && u.Runs[0].Through.Before(seq) {
		u.Runs = u.Runs[1:] // records come in order: a run passed stays passed
	}
	return len(u.Runs) == 0 || seq.Before(u.Runs[0].From)
}

func (in *logInput) read(ctx context.Context, lanes *[]lane) (int64, bool, error) {
	var readErr error
	// The watermark is taken before reading: a record that arrived before
	// it was stored before it (ingest stamps arrivals on the same clock),
	// so the reads below see every record the watermark lets through, and
	// none comes late into a window already closed, however slowly the
	// loop runs or however far the clock jumps meanwhile.
	settleMs := in.settle.Milliseconds()
	clockMark := in.clock() - settleMs
	watermark := clockMark
	ls := *lanes
	more := false
	for shard := range in.next {
		l := &ls[shard]
		shardMore := true // the shard may hold more than was read
		// Up to maxPending records, and beyond while the lane's first
		// record is within the settle wait of what was read (see below).
		for len(l.pending) < maxPending || (len(l.pending) < maxLane && l.pending[0].Arrival.UnixMilli() > l.readTo-settleMs) {
			recs, after, err := in.log.Read(ctx, in.source, shard, in.next[shard], readBatch)
			if err != nil {
				shardMore = false // not at once: the loop waits before trying again
				if errors.Is(err, streamlog.ErrNotFound) {
					err = fmt.Errorf("%w: %s: %w", errInputGone, in.source, err)
				}
				if readErr == nil {
					readErr = err
				}
				break
			}
			in.take(shard, l, recs)
			in.next[shard] = after
			if len(recs) < readBatch {
				shardMore = false
				break
			}
		}
		// Catching up on a backlog: no further than what every shard has
		// been read to, so unread records keep their own ROWTIME. Requests
		// are stamped on arrival and stored in either order, each within
		// the settle wait: a record not read yet was stored after the
		// last one read, so it arrived no earlier than readTo − settle.
		// The lane reads on until its first record is below that, so the
		// clock moves on. Records arriving faster than maxLane in the
		// settle wait (or a first one stamped far ahead by a clock off)
		// fill it first: then its first three quarters are fed, and a
		// record stored after the lane's end that arrived before them,
		// if any, is late.
		if shardMore && len(l.pending) > 0 {
			watermark = min(watermark, max(l.readTo-settleMs, l.pending[len(l.pending)*3/4].Arrival.UnixMilli()))
		}
		more = more || shardMore
	}
	// Reading on at once helps only when what was read held the
	// watermark back; when the clock does, the next poll is soon enough
	// (a long settle wait keeps lanes full of records it has not passed).
	more = more && watermark < clockMark
	return watermark, more, readErr
}

// positions are each shard's first record not fed.
func (in *logInput) positions(lanes []lane) positions {
	pos := slices.Clone(in.next)
	for shard, l := range lanes {
		for _, r := range l.pending {
			if r.Seq.Before(pos[shard]) {
				pos[shard] = r.Seq
			}
		}
		if u := in.unfedLeft(shard); len(u.Runs) > 0 && u.Runs[0].From.Before(pos[shard]) {
			pos[shard] = u.Runs[0].From
		}
	}
	return pos
}

// unfedLeft is what a restored checkpoint says of the records not read
// again yet: past the shard's read position.
func (in *logInput) unfedLeft(shard int) unfedRecords {
	if in.unfed == nil || !in.next[shard].Before(in.unfed[shard].ReadTo) {
		return unfedRecords{}
	}
	u := in.unfed[shard]
	runs := slices.Clone(u.Runs)
	for len(runs) > 0 && runs[0].Through.Before(in.next[shard]) {
		runs = runs[1:]
	}
	if len(runs) > 0 && runs[0].From.Before(in.next[shard]) {
		runs[0].From = in.next[shard]
	}
	return unfedRecords{Runs: runs, ReadTo: u.ReadTo}
}

// save puts each shard's first record not fed in the checkpoint and, when
// records after it were fed (they arrived earlier than it), which ones
// are not: the runs of the lane's records, consecutive as read.
func (in *logInput) save(c *checkpoint, lanes []lane) {
	c.Positions = in.positions(lanes)
	c.Unfed = nil
	unfed := make([]unfedRecords, len(lanes))
	gaps := false
	for shard, l := range lanes {
		u := unfedRecords{ReadTo: in.next[shard]}
		byOrd := slices.Clone(l.pending)
		slices.SortFunc(byOrd, func(a, b inRecord) int { return cmp.Compare(a.ord, b.ord) })
		for i, r := range byOrd {
			if i > 0 && r.ord == byOrd[i-1].ord+1 {
				u.Runs[len(u.Runs)-1].Through = r.Seq
				continue
			}
			u.Runs = append(u.Runs, seqRun{From: r.Seq, Through: r.Seq})
		}
		// Records read and fed after the last unfed one, or between two.
		gaps = gaps || len(u.Runs) > 1 || len(byOrd) > 0 && byOrd[len(byOrd)-1].ord+1 != l.read
		if left := in.unfedLeft(shard); len(left.Runs) > 0 || left.ReadTo != (streamlog.Seq{}) && in.next[shard].Before(left.ReadTo) {
			u.Runs = append(u.Runs, left.Runs...)
			u.ReadTo = left.ReadTo
			gaps = true
		}
		unfed[shard] = u
	}
	if gaps {
		c.Unfed = unfed
	}
}

func (in *logInput) changed() <-chan struct{} { return in.watch.C }

func (in *logInput) close() { in.watch.Stop() }

// remoteInput reads a Kinesis data stream of AWS or another server.
type remoteInput struct {
	reader *awskinesis.Reader
	shards map[string]*remoteShard
}

// remoteShard is what remoteInput knows of a shard beyond its lane.
type remoteShard struct {
	start awskinesis.Position // before any record was taken
	last  string              // the sequence number of the last record taken
	ended bool                // closed, and every record taken
}

func newRemoteInput(r *awskinesis.Reader) (*remoteInput, []lane) {
	in := &remoteInput{reader: r, shards: map[string]*remoteShard{}}
	var lanes []lane
	in.take(&lanes, func(string) int { return 0 }) // the shards and where they start
	return in, lanes
}

// take moves what the reader has read into the lanes.
func (in *remoteInput) take(lanes *[]lane, room func(string) int) (more bool) {
	index := map[string]int{}
	for i, l := range *lanes {
		index[l.shard] = i
	}
	for _, b := range in.reader.Take(room) {
		i, ok := index[b.Shard]
		if !ok {
			n, ok := shardid.Parse(b.Shard)
			if !ok {
				n = len(*lanes)
			}
			*lanes = append(*lanes, lane{shard: b.Shard, feeder: n})
			in.shards[b.Shard] = &remoteShard{start: b.Start}
			i = len(*lanes) - 1
		}
		l, s := &(*lanes)[i], in.shards[b.Shard]
		for _, rec := range b.Records {
			l.pending = append(l.pending, inRecord{Record: streamlog.Record{Data: rec.Data, PartitionKey: rec.PartitionKey, Arrival: rec.Arrival}, seq: rec.Sequence})
		}
		if len(b.Records) > 0 {
			s.last = b.Records[len(b.Records)-1].Sequence
		}
		s.ended = b.Ended
		if b.More && len(l.pending) > 0 {
			more = true
		}
	}
	return more
}

func (in *remoteInput) read(ctx context.Context, lanes *[]lane) (int64, bool, error) {
	if err := in.reader.Err(); err != nil {
		return noWatermark, false, fmt.Errorf("%w: %w", errInputGone, err)
	}
	// The watermark first: what the shards have read by then is taken
	// below.
	mark, ok := in.reader.Watermark()
	room := map[string]int{}
	for _, l := range *lanes {
		room[l.shard] = maxPending - len(l.pending)
	}
	in.take(lanes, func(shard string) int {
		if n, ok := room[shard]; ok {
			return n
		}
		return maxPending
	})
	if !ok {
		return noWatermark, false, nil
	}
	watermark := mark.UnixMilli()
	// A lane that is full leaves records in the reader: no further than
	// what it holds.
	for _, l := range *lanes {
		if len(l.pending) >= maxPending {
			watermark = min(watermark, l.pending[len(l.pending)-1].Arrival.UnixMilli())
		}
	}
	// Never "more at once": each shard is read at the service's pace by
	// the reader; the loop takes what it has at each poll.
	return watermark, false, nil
}

func (in *remoteInput) save(c *checkpoint, lanes []lane) {
	c.Shards = make(map[string]awskinesis.Position, len(lanes))
	for _, l := range lanes {
		s := in.shards[l.shard]
		var p awskinesis.Position
		switch {
		case len(l.pending) > 0:
			p.At = l.pending[0].seq
		case s.ended:
			p.Done = true
		case s.last != "":
			p.After = s.last
		default:
			p = s.start
		}
		c.Shards[l.shard] = p
	}
}

func (in *remoteInput) changed() <-chan struct{} { return nil }

func (in *remoteInput) close() { in.reader.Close() }
