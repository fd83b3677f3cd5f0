package app

import (
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
}

// inRecord is a record of a shard.
type inRecord struct {
	streamlog.Record        // for a stream of the log, Seq is its position there
	seq              string // a remote stream's sequence number
}

// sequence is the record's SEQUENCE_NUMBER.
func (r *inRecord) sequence() string {
	if r.seq != "" {
		return r.seq
	}
	return r.Seq.String()
}

// logInput reads a stream of this server's log.
type logInput struct {
	log    *streamlog.Log
	source string
	clock  func() int64  // wall ms
	settle time.Duration // how long after an arrival the watermark passes it
	next   positions     // each shard's next record to read
}

func newLogInput(l *streamlog.Log, source string, pos positions, clock func() int64, settle time.Duration) (*logInput, []lane) {
	lanes := make([]lane, len(pos))
	for i := range lanes {
		lanes[i] = lane{shard: shardid.Format(i), feeder: i}
	}
	return &logInput{log: l, source: source, clock: clock, settle: settle, next: slices.Clone(pos)}, lanes
}

func (in *logInput) read(ctx context.Context, lanes *[]lane) (int64, bool, error) {
	var readErr error
	// The watermark is taken before reading: a record that arrived before
	// it was stored before it (ingest stamps arrivals on the same clock),
	// so the reads below see every record the watermark lets through, and
	// none comes late into a window already closed, however slowly the
	// loop runs or however far the clock jumps meanwhile.
	watermark := in.clock() - in.settle.Milliseconds()
	ls := *lanes
	more := false
	for shard := range in.next {
		l := &ls[shard]
		shardMore := true // the shard may hold more than was read
		for len(l.pending) < maxPending {
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
			l.pending = slices.Grow(l.pending, len(recs))
			for _, rec := range recs {
				l.pending = append(l.pending, inRecord{Record: rec})
			}
			in.next[shard] = after
			if len(recs) < readBatch {
				shardMore = false
				break
			}
		}
		// Catching up on a backlog: no further than what every shard has
		// been read to, so unread records keep their own ROWTIME.
		if shardMore && len(l.pending) > 0 {
			watermark = min(watermark, l.pending[len(l.pending)-1].Arrival.UnixMilli())
		}
		more = more || shardMore
	}
	return watermark, more, readErr
}

// positions are each shard's first record not fed.
func (in *logInput) positions(lanes []lane) positions {
	pos := slices.Clone(in.next)
	for shard, l := range lanes {
		if len(l.pending) > 0 {
			pos[shard] = l.pending[0].Seq
		}
	}
	return pos
}

func (in *logInput) save(c *checkpoint, lanes []lane) { c.Positions = in.positions(lanes) }

func (in *logInput) close() {}

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

func (in *remoteInput) close() { in.reader.Close() }
