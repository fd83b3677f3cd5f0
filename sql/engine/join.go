package engine

import (
	"math"

	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/sql/types"
)

// joinOp joins two streams, processing both inputs in ROWTIME order: a
// time is processed once both inputs have moved past it. Each side keeps
// its joinable rows: the rows of its window (RANGE or ROWS), or, without a
// window, its current rows (those of its latest ROWTIME). New rows on one
// side meet the other side's joinable rows; a match comes out at the later
// of the two ROWTIMEs. For outer joins, a preserved side's row that never
// matched comes out padded with NULLs: at once from a side without a
// window, when it leaves its window from a windowed one (stamped with the
// end of its window).
type joinOp struct {
	data     []int // data columns, for error_stream
	app      *App
	pump     string
	node     *plan.Join
	out      emitter
	sides    [2]joinSide
	bounds   [2]int64
	outBound int64
	// pads are the kinds of one side's layout, which an unmatched row of
	// the other side gets as NULLs; kept only where the other side is
	// preserved, and as kinds (a byte each, not a value): a chain of outer
	// joins widens them at every level.
	pads [2][]types.Kind
}

type joinSide struct {
	window    *plan.JoinWindow
	preserved bool       // an outer join keeps this side's unmatched rows
	table     bool       // a reference table: its rows come from the table, not the state
	pending   []joinRow  // arrived, not yet processed
	rows      []*joinRow // joinable
}

type joinRow struct {
	time    int64
	vals    []types.Value
	matched bool
}

func newJoinOp(a *App, pump string, n *plan.Join, out emitter) *joinOp {
	j := &joinOp{app: a, pump: pump, node: n, out: out, data: dataIndices(n),
		bounds: [2]int64{math.MinInt64, math.MinInt64}, outBound: math.MinInt64}
	j.sides[0].window, j.sides[1].window = n.LeftWindow, n.RightWindow
	j.sides[0].preserved = n.Kind == "LEFT" || n.Kind == "FULL"
	j.sides[1].preserved = n.Kind == "RIGHT" || n.Kind == "FULL"
	for s, side := range []plan.Node{n.Left, n.Right} {
		if j.sides[1-s].preserved {
			j.pads[s] = layoutKinds(side)
		}
		// A reference table's rows are always current, and it never moves.
		if ts, ok := side.(*plan.TableScan); ok {
			for _, row := range ts.Table.Rows {
				vals := append(append([]types.Value(nil), row...), types.NullOf(types.Timestamp))
				j.sides[s].rows = append(j.sides[s].rows, &joinRow{time: math.MinInt64, vals: vals})
			}
			j.bounds[s] = Forever
			j.sides[s].table = true
		}
	}
	return j
}

// appendNulls appends a NULL of each kind.
func appendNulls(vals []types.Value, kinds []types.Kind) []types.Value {
	for _, k := range kinds {
		vals = append(vals, types.NullOf(k))
	}
	return vals
}

// layoutKinds are the kinds of a node's row values: columns then ROWTIME,
// for each side of a join.
func layoutKinds(n plan.Node) []types.Kind { return appendLayoutKinds(nil, n) }

func appendLayoutKinds(kinds []types.Kind, n plan.Node) []types.Kind {
	if j, ok := n.(*plan.Join); ok {
		return appendLayoutKinds(appendLayoutKinds(kinds, j.Left), j.Right)
	}
	for _, c := range n.Columns() {
		kinds = append(kinds, c.Type.Kind)
	}
	return append(kinds, types.Timestamp)
}

func (j *joinOp) push(port int, time int64, vals []types.Value) {
	s := &j.sides[port]
	s.pending = append(s.pending, joinRow{time: time, vals: append([]types.Value(nil), vals...)})
}

func (j *joinOp) advance(port int, t int64) {
	if t > j.bounds[port] {
		j.bounds[port] = t
	}
	limit := min(j.bounds[0], j.bounds[1])
	for {
		t, ok := j.nextTime(limit)
		if !ok {
			break
		}
		j.expire(t)
		j.batch(t)
	}
	j.expire(limit)
	if limit > j.outBound {
		j.outBound = limit
		j.out.advance(limit)
	}
}

// nextTime is the earliest pending time before limit.
func (j *joinOp) nextTime(limit int64) (int64, bool) {
	t, ok := int64(math.MaxInt64), false
	for s := range 2 {
		if p := j.sides[s].pending; len(p) > 0 && p[0].time < limit && p[0].time <= t {
			t, ok = p[0].time, true
		}
	}
	return t, ok
}

// expire drops the RANGE-windowed rows that no row at time t or later can
// meet, emitting the unmatched ones of a preserved side at their window's
// end, in time order.
func (j *joinOp) expire(t int64) {
	for {
		side, at := -1, int64(math.MaxInt64)
		for s := range 2 {
			w := j.sides[s].window
			if w == nil || w.IsRows || w.Range == math.MaxInt64 || len(j.sides[s].rows) == 0 {
				continue
			}
			if end := j.sides[s].rows[0].time + w.Range; end < t && end < at {
				side, at = s, end
			}
		}
		if side < 0 {
			return
		}
		r := j.sides[side].rows[0]
		j.sides[side].rows = j.sides[side].rows[1:]
		j.unmatched(side, r, at)
	}
}

// unmatched emits a preserved side's row that never found a partner.
func (j *joinOp) unmatched(side int, r *joinRow, at int64) {
	if r.matched || !j.sides[side].preserved {
		return
	}
	other := j.pads[1-side]
	vals := make([]types.Value, 0, len(r.vals)+len(other))
	if side == 1 {
		vals = appendNulls(vals, other)
	}
	vals = append(vals, r.vals...)
	if side == 0 {
		vals = appendNulls(vals, other)
	}
	j.out.push(at, vals)
}

// batch processes the rows that arrived at time t on either side.
func (j *joinOp) batch(t int64) {
	var fresh [2][]*joinRow
	for s := range 2 {
		side := &j.sides[s]
		n := 0
		for n < len(side.pending) && side.pending[n].time == t {
			r := side.pending[n]
			fresh[s] = append(fresh[s], &r)
			n++
		}
		side.pending = side.pending[n:]
	}
	for s := range 2 {
		if len(fresh[s]) > 0 {
			j.admit(s, fresh[s])
		}
	}
	// New left rows meet every joinable right row (new ones included); the
	// left rows joinable before meet the new right rows.
	left := j.sides[0].rows
	older := left[:len(left)-len(fresh[0])]
	j.pairs(fresh[0], j.sides[1].rows)
	j.pairs(older, fresh[1])
	for s := range 2 {
		j.trim(s, t)
	}
	// A side without a window offers its new rows to the other side's
	// joinable rows only now: a preserved side's unmatched ones go out at
	// once, and are done with (they will not match later).
	for s := range 2 {
		side := &j.sides[s]
		if side.window != nil || !side.preserved {
			continue
		}
		kept := side.rows[:0]
		for _, r := range side.rows {
			if r.matched {
				kept = append(kept, r)
			} else if isFresh(r, fresh[s]) {
				j.unmatched(s, r, t)
			} else {
				kept = append(kept, r)
			}
		}
		side.rows = kept
	}
}

// admit makes new rows joinable.
func (j *joinOp) admit(s int, fresh []*joinRow) {
	side := &j.sides[s]
	if side.window == nil {
		side.rows = fresh // the current rows are replaced
		return
	}
	side.rows = append(side.rows, fresh...)
}

// trim pushes out of a ROWS window the rows it no longer holds.
func (j *joinOp) trim(s int, t int64) {
	side := &j.sides[s]
	if w := side.window; w != nil && w.IsRows && w.Rows < math.MaxInt64 {
		for int64(len(side.rows)) > w.Rows+1 {
			r := side.rows[0]
			side.rows = side.rows[1:]
			j.unmatched(s, r, t)
		}
	}
}

func (j *joinOp) pairs(left, right []*joinRow) {
	for _, l := range left {
		for _, r := range right {
			vals := make([]types.Value, 0, len(l.vals)+len(r.vals))
			vals = append(append(vals, l.vals...), r.vals...)
			time := max(l.time, r.time)
			env := plan.Env{Time: time, Values: vals, Start: j.app.start}
			if j.node.Cond != nil {
				v, err := j.node.Cond.Eval(&env)
				if err != nil {
					j.app.rowError(j.pump, j.data, &env, err)
					continue
				}
				if !v.True() {
					continue
				}
			}
			l.matched, r.matched = true, true
			j.out.push(time, vals)
		}
	}
}

func isFresh(r *joinRow, fresh []*joinRow) bool {
	for _, f := range fresh {
		if f == r {
			return true
		}
	}
	return false
}
