package engine

import (
	"slices"

	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/sql/types"
)

// sortOp is ORDER BY on a stream: rows wait in a batch per value of the
// leading time key until the clock passes the end of its bucket; the batch
// then goes out sorted by the other keys, every row stamped with the
// batch's latest ROWTIME.
type sortOp struct {
	node     *plan.Sort
	out      emitter
	batches  []*batch
	outBound int64
}

type batch struct {
	key  types.Value
	end  int64
	last int64
	rows []timedRow
}

func (s *sortOp) push(_ int, time int64, vals []types.Value) {
	key := vals[s.node.Keys[0].Index]
	var b *batch
	if n := len(s.batches); n > 0 && sameKey(s.batches[n-1].key, key) {
		b = s.batches[n-1]
	} else {
		b = &batch{key: key, end: bucketEnd(&s.node.Bucket, time, key)}
		s.batches = append(s.batches, b)
	}
	b.rows = append(b.rows, timedRow{time, append([]types.Value(nil), vals...)})
	b.last = max(b.last, time)
}

func (s *sortOp) advance(_ int, t int64) {
	for len(s.batches) > 0 && s.batches[0].end <= t {
		b := s.batches[0]
		s.batches = s.batches[1:]
		s.emit(b)
	}
	next := t
	if len(s.batches) > 0 {
		next = min(next, s.batches[0].rows[0].time)
	}
	if next > s.outBound {
		s.outBound = next
		s.out.advance(next)
	}
}

func (s *sortOp) emit(b *batch) {
	keys := s.node.Keys[1:]
	slices.SortStableFunc(b.rows, func(x, y timedRow) int {
		for _, k := range keys {
			c := compareNullsFirst(x.vals[k.Index], y.vals[k.Index])
			if k.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	visible := len(s.node.Cols)
	for _, r := range b.rows {
		out := make([]types.Value, visible+1)
		copy(out, r.vals[:visible])
		out[visible] = rowtimeValue(b.last)
		s.out.push(b.last, out)
	}
}

// compareNullsFirst orders values, NULL before anything, incomparable as
// equal.
func compareNullsFirst(a, b types.Value) int {
	switch {
	case a.Null && b.Null:
		return 0
	case a.Null:
		return -1
	case b.Null:
		return 1
	}
	c, err := types.Compare(a, b)
	if err != nil {
		return 0
	}
	return c
}

// distinctOp is SELECT STREAM DISTINCT: it passes a row unless an equal one
// (ROWTIME aside) passed with the same time key; when the key moves on,
// the rows seen are forgotten.
type distinctOp struct {
	node *plan.Distinct
	out  emitter
	key  types.Value
	seen map[string]bool
	id   []byte
}

func (d *distinctOp) push(_ int, time int64, vals []types.Value) {
	k := vals[d.node.Key]
	if !sameKey(k, d.key) || len(d.seen) == 0 {
		d.key = k
		clear(d.seen)
	}
	d.id = d.id[:0]
	for _, i := range d.node.Compared {
		d.id = appendGroupID(d.id, vals[i:i+1])
	}
	if d.seen[string(d.id)] {
		return
	}
	d.seen[string(d.id)] = true
	d.out.push(time, vals)
}

func (d *distinctOp) advance(_ int, t int64) { d.out.advance(t) }
