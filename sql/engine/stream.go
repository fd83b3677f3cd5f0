package engine

import (
	"math"

	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/sql/types"
)

func rowtimeValue(ms int64) types.Value { return types.TimestampMs(ms) }

// A stream is an in-application stream at run time. Several pumps may
// insert into one stream: their rows are merged in ROWTIME order, each
// released once every producer has moved past its time. A stream with a
// single producer passes rows straight through.
type stream struct {
	app       *App
	name      string
	columns   []plan.Column
	producers int
	bounds    []int64 // per producer
	queues    [][]Row // per producer, when merging
	subs      []input
	sinks     []func(Row)
	bound     int64 // the stream's own: min of the producers'
	last      int64 // time of the last row delivered
	scratch   []types.Value
}

// input is an operator port fed by a stream.
type input struct {
	op   operator
	port int
}

func newStream(name string, cols []plan.Column) *stream {
	return &stream{name: name, columns: cols, bound: math.MinInt64, last: math.MinInt64}
}

func (s *stream) insert(producer int, r Row) {
	if s.producers <= 1 {
		s.deliver(r)
		return
	}
	s.queues[producer] = append(s.queues[producer], r)
	s.release()
}

// direct delivers a row regardless of producers (error_stream, which any
// operator may write to at any time, in the order errors happen).
func (s *stream) direct(r Row) { s.deliver(r) }

func (s *stream) deliver(r Row) {
	if r.Time < s.last && s.app != nil && s != s.app.errors {
		// A stream's rows never go back in time; the service drops such rows.
		s.app.ReportError(r.Time, "ROWS_OUT_OF_ORDER", "row is older than the stream's last row", r.Time, nil, s.name)
		return
	}
	s.last = r.Time
	for _, in := range s.subs {
		in.op.push(in.port, r.Time, s.layout(r))
	}
	for _, fn := range s.sinks {
		fn(r)
	}
}

// layout turns a stream row into an operator row: columns, then ROWTIME.
// The slice is reused for the next row: operators copy what they keep.
func (s *stream) layout(r Row) []types.Value {
	vals := append(s.scratch[:0], r.Values...)
	vals = append(vals, rowtimeValue(r.Time))
	s.scratch = vals
	return vals
}

func (s *stream) advance(producer int, t int64) {
	if producer < len(s.bounds) && t > s.bounds[producer] {
		s.bounds[producer] = t
	}
	b := int64(math.MaxInt64)
	for _, pb := range s.bounds {
		b = min(b, pb)
	}
	if len(s.bounds) == 0 {
		b = t
	}
	if s.producers > 1 {
		s.release()
	}
	if b > s.bound {
		s.bound = b
		for _, in := range s.subs {
			in.op.advance(in.port, b)
		}
	}
}

// release delivers, in time order, the queued rows no producer can still
// precede.
func (s *stream) release() {
	limit := int64(math.MaxInt64)
	for _, b := range s.bounds {
		limit = min(limit, b)
	}
	for {
		best := -1
		for p, q := range s.queues {
			if len(q) > 0 && q[0].Time < limit && (best < 0 || q[0].Time < s.queues[best][0].Time) {
				best = p
			}
		}
		if best < 0 {
			return
		}
		r := s.queues[best][0]
		s.queues[best] = s.queues[best][1:]
		s.deliver(r)
	}
}
