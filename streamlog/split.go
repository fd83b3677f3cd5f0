package streamlog

// Appends that fit any NATS max_payload. A batch whose encoding would pass
// the server's max_payload (1 MiB by default on an external nats-server,
// while a Kinesis PutRecords may carry 5 MiB) is stored as several
// messages, each atomic, each holding a contiguous run of the batch's
// records: its records keep Seq{Msg, Index} with the message they are in.
// A record too large for a message on its own goes out of line: its data
// is stored first as part messages on the stream's part subject (which no
// shard reads), then the batch message holds the parts' sequences instead
// of the bytes (format 2, marked by a header; batches without it are
// format 1, as stored before). A reader that sees a batch can therefore
// always fetch its parts; a crash between the two leaves only parts no
// batch refers to, which retention removes. The split depends only on the
// records and the max_payload, so a retried AppendOnce sends the same
// messages with the same ids and is stored once.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const (
	// formatHeader marks a batch message of a format other than 1.
	formatHeader = "Riffle-Batch"
	format2      = "2"
	// partHeader marks a part message (its value: the stream's shard).
	partHeader = "Riffle-Part"
	// headroom is kept under max_payload for a message's headers besides
	// its id (Nats-Msg-Id, the format or part header).
	headroom = 512
	// minBudget is the smallest room for a message's body the log works
	// with: a max_payload below it is refused.
	minBudget = 1024
	// refCost bounds a referenced part's sequence in a batch.
	refCost = binary.MaxVarintLen64
	// maxPartedSize bounds the record a damaged batch may claim to hold in
	// parts (the APIs' records are at most 1 MiB).
	maxPartedSize = 1 << 30
)

// partSubject is where a stream's parts go: in the stream, read by no
// shard (shards are numbers).
func partSubject(name string) string { return "rf." + strings.ReplaceAll(name, ".", "~") + ".part" }

// outMsg is one message of a split append: records [from, to) of the
// batch; outOfLine says which of them go as parts (nil when none).
type outMsg struct {
	from, to  int
	outOfLine map[int]bool
}

// uvarintLen is the length of v as a uvarint.
func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// inlineCost bounds a record's bytes in a batch message with its data in
// line.
func inlineCost(r Record) int {
	return binary.MaxVarintLen64 + uvarintLen(uint64(len(r.PartitionKey))) + len(r.PartitionKey) +
		uvarintLen(uint64(len(r.Data))<<1) + len(r.Data)
}

// partCount is how many parts of at most budget bytes hold n bytes.
func partCount(n, budget int) int { return max(1, (n+budget-1)/budget) }

// refCostOf bounds a record's bytes in a batch message with its data out
// of line in parts of at most budget bytes.
func refCostOf(r Record, budget int) int {
	parts := partCount(len(r.Data), budget)
	return binary.MaxVarintLen64 + uvarintLen(uint64(len(r.PartitionKey))) + len(r.PartitionKey) +
		uvarintLen(uint64(len(r.Data))<<1|1) + uvarintLen(uint64(parts)) + parts*refCost
}

// split plans the messages of a batch whose bodies may take budget bytes:
// records in line while they fit, a message after another when the next
// would not; a record that fits no message alone goes out of line.
func split(recs []Record, budget int) ([]outMsg, error) {
	var msgs []outMsg
	cur := outMsg{}
	size := binary.MaxVarintLen64 // the record count
	for i, r := range recs {
		cost, out := inlineCost(r), false
		if binary.MaxVarintLen64+cost > budget {
			cost, out = refCostOf(r, budget), true
			if binary.MaxVarintLen64+cost > budget {
				return nil, fmt.Errorf("a record's partition key of %d bytes does not fit the NATS server's max_payload", len(r.PartitionKey))
			}
		}
		if i > cur.from && size+cost > budget {
			msgs = append(msgs, cur)
			cur = outMsg{from: i}
			size = binary.MaxVarintLen64
		}
		size += cost
		cur.to = i + 1
		if out {
			if cur.outOfLine == nil {
				cur.outOfLine = map[int]bool{}
			}
			cur.outOfLine[i] = true
		}
	}
	return append(msgs, cur), nil
}

// appendSplit stores a batch too large for one message (AppendOnce
// found it so) as split plans it, message after message, and
// returns the sequences of the records stored: all of them, or those of
// the messages stored before one failed, with the error.
func (l *Log) appendSplit(ctx context.Context, name string, shard int, id string, recs []Record, budget int) ([]Seq, error) {
	msgs, err := split(recs, budget)
	if err != nil {
		return nil, fmt.Errorf("streamlog: append to %s: %w", name, err)
	}
	seqs := make([]Seq, 0, len(recs))
	for k, m := range msgs {
		msgID := ""
		if id != "" {
			msgID = id + "/" + strconv.Itoa(k)
		}
		var parts map[int][]uint64
		for i := m.from; i < m.to; i++ {
			if !m.outOfLine[i] {
				continue
			}
			ps, err := l.storeParts(ctx, name, shard, msgID, i, recs[i].Data, budget)
			if err != nil {
				return seqs, err
			}
			if parts == nil {
				parts = map[int][]uint64{}
			}
			parts[i] = ps
		}
		msg := nats.NewMsg(subject(name, shard))
		msg.Data = encodeBatch(recs, m.from, m.to, parts)
		if parts != nil {
			msg.Header.Set(formatHeader, format2)
		}
		seq, err := l.publish(ctx, name, msg, msgID)
		if err != nil {
			return seqs, err
		}
		for i := m.from; i < m.to; i++ {
			seqs = append(seqs, Seq{Msg: seq, Index: uint32(i - m.from)})
		}
	}
	return seqs, nil
}

// storeParts stores a record's data (record i of the batch message msgID)
// as parts of at most budget bytes, of even size, and returns their
// sequences.
func (l *Log) storeParts(ctx context.Context, name string, shard int, msgID string, i int, data []byte, budget int) ([]uint64, error) {
	n := partCount(len(data), budget)
	size := (len(data) + n - 1) / n
	seqs := make([]uint64, 0, n)
	for j := 0; j < n; j++ {
		msg := nats.NewMsg(partSubject(name))
		msg.Data = data[min(j*size, len(data)):min((j+1)*size, len(data))]
		msg.Header.Set(partHeader, strconv.Itoa(shard))
		partID := ""
		if msgID != "" {
			partID = msgID + "/" + strconv.Itoa(i) + "/" + strconv.Itoa(j)
		}
		seq, err := l.publish(ctx, name, msg, partID)
		if err != nil {
			return nil, err
		}
		seqs = append(seqs, seq)
	}
	return seqs, nil
}

// ref is a record of a format 2 batch whose data is in parts.
type ref struct {
	size  int
	parts []uint64
}

// decodeRef reads the parts of a record of size bytes off the front of b.
func decodeRef(size uint64, b []byte) (ref, []byte, error) {
	np, b, ok := uvarint(b)
	if !ok || np == 0 || np > uint64(len(b)) || size > maxPartedSize {
		return ref{}, nil, errCorrupt
	}
	rf := ref{size: int(size), parts: make([]uint64, np)}
	for j := range rf.parts {
		if rf.parts[j], b, ok = uvarint(b); !ok {
			return ref{}, nil, errCorrupt
		}
	}
	return rf, b, nil
}

// decodeMsg reads a batch message of either format.
func decodeMsg(msg *jetstream.RawStreamMsg) ([]Record, map[int]ref, error) {
	switch f := msg.Header.Get(formatHeader); f {
	case "":
		return decodeBatch(msg.Data, msg.Sequence, false)
	case format2:
		return decodeBatch(msg.Data, msg.Sequence, true)
	default:
		return nil, nil, fmt.Errorf("batch format %q is not one this server reads (stored by a newer one?)", f)
	}
}

// errPartGone is a record's part no longer stored.
var errPartGone = errors.New("a part of the record is no longer stored")

// fetchParts reads a record's data from its parts.
func (l *Log) fetchParts(ctx context.Context, s jetstream.Stream, name string, rf ref) ([]byte, error) {
	data := make([]byte, 0, min(rf.size, 16<<20)) // the parts say what it is
	for _, seq := range rf.parts {
		msg, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, fmt.Errorf("%w: message %d", errPartGone, seq)
		}
		if err != nil {
			return nil, fmt.Errorf("streamlog: read %s part %d: %w", name, seq, err)
		}
		if msg.Subject != partSubject(name) || msg.Header.Get(partHeader) == "" {
			return nil, fmt.Errorf("streamlog: read %s part %d: %w: not a part", name, seq, errCorrupt)
		}
		data = append(data, msg.Data...)
	}
	if len(data) != rf.size {
		return nil, fmt.Errorf("streamlog: read %s: %w: parts of %d bytes for a record of %d", name, errCorrupt, len(data), rf.size)
	}
	return data, nil
}
