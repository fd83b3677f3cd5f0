package engine

import (
	"math"

	"github.com/riffle-sql/riffle/sql/functions"
	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/sql/types"
)

// staggerOp is WINDOWED BY STAGGER: per partition key, a window opened by
// the key's first row, closed Stagger ms later, emitted with ROWTIME = its
// end. A row for the key after that opens a new window.
type staggerOp struct {
	data     []int // data columns, for error_stream
	app      *App
	pump     string
	node     *plan.Aggregate
	out      emitter
	open     map[string]*staggerWindow
	byEnd    []*staggerWindow // opening order, which is end order
	outBound int64
	env      plan.Env
	keys     []types.Value
	args     []types.Value
	id       []byte
}

type staggerWindow struct {
	id  string
	end int64
	grp *group
}

func (s *staggerOp) push(_ int, time int64, vals []types.Value) {
	s.env = plan.Env{Time: time, Values: vals, Start: s.app.start}
	env := &s.env
	keys, args, err := groupInput(s.node, env, s.keys, s.args)
	s.keys, s.args = keys, args
	if err != nil {
		s.app.rowError(s.pump, s.data, env, err)
		return
	}
	// Rows can come in a burst before the clock moves: windows that ended
	// by this row's time close first.
	s.close(time)
	s.id = appendGroupID(s.id[:0], keys)
	w := s.open[string(s.id)]
	if w == nil {
		w = &staggerWindow{id: string(s.id), end: time + s.node.Stagger,
			grp: &group{keys: append([]types.Value(nil), keys...), accs: newAccumulators(s.node.Aggs)}}
		s.open[w.id] = w
		s.byEnd = append(s.byEnd, w)
	}
	addToGroup(w.grp, args)
}

// close emits the windows that end by t.
func (s *staggerOp) close(t int64) {
	for len(s.byEnd) > 0 && s.byEnd[0].end <= t {
		w := s.byEnd[0]
		s.byEnd = s.byEnd[1:]
		delete(s.open, w.id)
		emitGroup(s.app, s.pump, s.node, w.grp, w.end, s.out)
	}
}

func (s *staggerOp) advance(_ int, t int64) {
	s.close(t)
	next := int64(Forever)
	if t < Forever-s.node.Stagger {
		next = t + s.node.Stagger
	}
	if len(s.byEnd) > 0 {
		next = min(next, s.byEnd[0].end)
	}
	if next > s.outBound {
		s.outBound = next
		s.out.advance(next)
	}
}

func newAccumulators(aggs []plan.AggCall) []functions.Accumulator {
	accs := make([]functions.Accumulator, len(aggs))
	for i, a := range aggs {
		accs[i] = a.Func.NewWith(a.Type, a.Opts)
	}
	return accs
}

// groupInput evaluates a row's grouping keys and aggregate arguments, all
// before any group changes, so that a row that fails counts nowhere. It
// reuses the keys and args buffers.
func groupInput(node *plan.Aggregate, env *plan.Env, keys, args []types.Value) ([]types.Value, []types.Value, error) {
	keys, args = keys[:0], args[:0]
	for _, k := range node.Keys {
		v, err := k.Eval(env)
		if err != nil {
			return keys, args, err
		}
		keys = append(keys, v)
	}
	for _, a := range node.Aggs {
		v := types.Bool(true) // COUNT(*) counts every row
		if a.Arg != nil {
			var err error
			if v, err = a.Arg.Eval(env); err != nil {
				return keys, args, err
			}
		}
		args = append(args, v)
	}
	return keys, args, nil
}

// addToGroup folds a row's evaluated arguments into a group. One that
// cannot be folded in (a SUM past its type) fails the group: its row
// goes to error_stream when the group closes, with the reason.
func addToGroup(grp *group, args []types.Value) {
	for i, arg := range args {
		if err := grp.accs[i].Add(arg); err != nil {
			if grp.failed == "" {
				grp.failed = err.Error()
			}
			return
		}
	}
}

// analyticOp computes f(x) OVER w for every row: the row's partition keeps
// the rows of the window ending at it, and each call is folded over them.
type analyticOp struct {
	data   []int // data columns, for error_stream
	app    *App
	pump   string
	node   *plan.Analytic
	out    emitter
	parts  []map[string]*partition // per window
	calls  int
	pruned int64 // clock at the last pruning
	env    plan.Env
	id     []byte
}

type partition struct {
	rows []slidingRow
}

type slidingRow struct {
	time int64
	args []types.Value // per call of the window
}

func (a *analyticOp) push(_ int, time int64, vals []types.Value) {
	a.env = plan.Env{Time: time, Values: vals, Start: a.app.start}
	env := &a.env
	// Evaluate every window's partition and arguments first, so that a row
	// that fails joins no window.
	ids := make([]string, len(a.node.Windows))
	rows := make([]slidingRow, len(a.node.Windows))
	for wi, w := range a.node.Windows {
		a.id = a.id[:0]
		for _, p := range w.Partition {
			v, err := p.Eval(env)
			if err != nil {
				a.app.rowError(a.pump, a.data, env, err)
				return
			}
			a.id = appendGroupID(a.id, []types.Value{v})
		}
		ids[wi] = string(a.id)
		rows[wi] = slidingRow{time: time, args: make([]types.Value, len(w.Calls))}
		for ci, c := range w.Calls {
			rows[wi].args[ci] = types.Bool(true) // COUNT(*)
			if c.Arg != nil {
				v, err := c.Arg.Eval(env)
				if err != nil {
					a.app.rowError(a.pump, a.data, env, err)
					return
				}
				rows[wi].args[ci] = v
			}
		}
	}
	out := make([]types.Value, len(vals)+a.calls)
	copy(out, vals)
	for wi, w := range a.node.Windows {
		part := a.parts[wi][ids[wi]]
		if part == nil {
			part = &partition{}
			a.parts[wi][ids[wi]] = part
		}
		part.rows = append(part.rows, rows[wi])
		part.evict(w, time)
		for ci, c := range w.Calls {
			switch c.Kind {
			case plan.AnalyticLag:
				v, err := lag(part.rows, ci, &c, env)
				if err != nil {
					a.app.rowError(a.pump, a.data, env, err)
					return
				}
				out[c.Slot] = v
				continue
			case plan.AnalyticNth:
				out[c.Slot] = nth(part.rows, ci, &c)
				continue
			case plan.AnalyticExpAvg:
				out[c.Slot] = expAvg(part.rows, ci, &c, time)
				continue
			}
			acc := c.Func.NewWith(c.Type, c.Opts)
			for _, r := range part.rows {
				if err := acc.Add(r.args[ci]); err != nil {
					a.app.rowError(a.pump, a.data, env, err)
					return
				}
			}
			out[c.Slot] = acc.Result()
		}
	}
	a.out.push(time, out)
}

// lag is LAG over a window's rows, the current row last.
func lag(rows []slidingRow, ci int, c *plan.AnalyticCall, env *plan.Env) (types.Value, error) {
	n := c.Lag
	for i := len(rows) - 1; i >= 0; i-- {
		v := rows[i].args[ci]
		if c.IgnoreNulls && v.Null && i < len(rows)-1 {
			continue
		}
		if n == 0 {
			return v, nil
		}
		n--
	}
	if c.Default != nil {
		d, err := c.Default.Eval(env)
		if err != nil {
			return d, err
		}
		return types.Cast(d, c.Type)
	}
	return types.NullOf(c.Type.Kind), nil
}

// nth is NTH_VALUE over a window's rows, the current row last: the Nth
// value from the oldest row (FROM FIRST) or from the current row (FROM
// LAST), NULL-valued rows not counted with IGNORE NULLS; NULL if the
// window has fewer rows.
func nth(rows []slidingRow, ci int, c *plan.AnalyticCall) types.Value {
	n := c.Nth
	for k := range rows {
		i := k
		if c.FromLast {
			i = len(rows) - 1 - k
		}
		v := rows[i].args[ci]
		if c.IgnoreNulls && v.Null {
			continue
		}
		if n--; n == 0 {
			return v
		}
	}
	return types.NullOf(c.Type.Kind)
}

// expAvg is EXP_AVG over a window's rows at time now: the average of the
// non-NULL values, each weighing 2^-k where k is how many whole half-lives
// old its row is (the window cut, from the current row back, into
// sub-windows one half-life long: the newest weighs twice the next). In the
// argument's type, an integer truncated like AVG; NULL if no value.
func expAvg(rows []slidingRow, ci int, c *plan.AnalyticCall, now int64) types.Value {
	var sum, weights float64
	for _, r := range rows {
		v := r.args[ci]
		if v.Null {
			continue
		}
		w := math.Ldexp(1, -int(min((now-r.time)/c.HalfLife, 2000)))
		sum += w * v.Float64()
		weights += w
	}
	if weights == 0 {
		return types.NullOf(c.Type.Kind)
	}
	avg := sum / weights
	if c.Type.Kind.IsInteger() {
		return types.Int(c.Type.Kind, int64(math.Trunc(avg)))
	}
	if v, err := types.Cast(types.Float(types.Double, avg), c.Type); err == nil {
		return v
	}
	return types.Float(types.Double, avg)
}

// evict drops the rows that left the window ending at now: RANGE keeps
// rows at most Range older (both ends included), ROWS the last Rows+1.
func (p *partition) evict(w *plan.SlidingWindow, now int64) {
	drop := 0
	if w.IsRows {
		if w.Rows < math.MaxInt64 && int64(len(p.rows)) > w.Rows+1 {
			drop = len(p.rows) - int(w.Rows) - 1
		}
	} else if w.Range < math.MaxInt64 {
		for drop < len(p.rows) && p.rows[drop].time < now-w.Range {
			drop++
		}
	}
	if drop > 0 {
		p.rows = append(p.rows[:0], p.rows[drop:]...)
	}
}

// advance forwards the clock and, once per window length, drops the rows
// of RANGE windows that have left them, and partitions left empty, so that
// keys that stop arriving cost no memory.
func (a *analyticOp) advance(_ int, t int64) {
	for wi, w := range a.node.Windows {
		if w.IsRows || w.Range == math.MaxInt64 || t == Forever || t-a.pruned < w.Range {
			continue
		}
		for id, p := range a.parts[wi] {
			p.evict(w, t)
			if len(p.rows) == 0 {
				delete(a.parts[wi], id)
			}
		}
	}
	if t != Forever && t-a.pruned >= a.minRange() {
		a.pruned = t
	}
	a.out.advance(t)
}

// minRange is the shortest RANGE window (MaxInt64 if none).
func (a *analyticOp) minRange() int64 {
	r := int64(math.MaxInt64)
	for _, w := range a.node.Windows {
		if !w.IsRows {
			r = min(r, w.Range)
		}
	}
	return r
}

// unionOp merges two inputs in ROWTIME order: a row is released once the
// other input has moved past its time (ties: the left input first).
type unionOp struct {
	out      emitter
	queues   [2][]timedRow
	bounds   [2]int64
	outBound int64
}

func (u *unionOp) push(port int, time int64, vals []types.Value) {
	u.queues[port] = append(u.queues[port], timedRow{time, append([]types.Value(nil), vals...)})
	u.release()
}

func (u *unionOp) advance(port int, t int64) {
	if t > u.bounds[port] {
		u.bounds[port] = t
	}
	u.release()
	if b := min(u.bounds[0], u.bounds[1]); b > u.outBound {
		u.outBound = b
		u.out.advance(b)
	}
}

func (u *unionOp) release() {
	for {
		side := -1
		for s := range 2 {
			q := u.queues[s]
			if len(q) == 0 {
				continue
			}
			// A row may go once the other side cannot bring an earlier one.
			if q[0].time >= u.bounds[1-s] && len(u.queues[1-s]) == 0 {
				continue
			}
			if side < 0 || q[0].time < u.queues[side][0].time {
				side = s
			}
		}
		if side < 0 {
			return
		}
		r := u.queues[side][0]
		u.queues[side] = u.queues[side][1:]
		u.out.push(r.time, r.vals)
	}
}
