package engine

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/riffle-sql/riffle/rcf"
	"github.com/riffle-sql/riffle/sql/functions"
	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/sql/types"
)

// An operator takes rows on its input ports and the clock of each input:
// advance(port, t) promises that no row before t will arrive on that port.
// Rows carry the node's columns followed by their ROWTIME. A pushed slice
// is only valid during the call: an operator that keeps values copies them.
type operator interface {
	push(port int, time int64, vals []types.Value)
	advance(port int, bound int64)
}

// emitter is where an operator sends its output.
type emitter struct {
	op   operator
	port int
}

func (e emitter) push(time int64, vals []types.Value) { e.op.push(e.port, time, vals) }
func (e emitter) advance(t int64)                     { e.op.advance(e.port, t) }

// build creates the operators of a node and wires them to out.
func (a *App) build(n plan.Node, out operator, port int, pump string) error {
	em := emitter{op: out, port: port}
	switch n := n.(type) {
	case *plan.Scan:
		s := a.streams[n.Stream.Name]
		s.subs = append(s.subs, input{op: passThrough{em}, port: 0})
		return nil
	case *plan.Renamed:
		return a.build(n.Input, out, port, pump)
	case *plan.Filter:
		return a.build(n.Input, &filterOp{app: a, pump: pump, cond: n.Cond, out: em, data: dataIndices(n.Input)}, 0, pump)
	case *plan.Project:
		op := &projectOp{app: a, pump: pump, exprs: n.Exprs, hidden: n.Hidden, rows: n.Rows, out: em, data: dataIndices(n.Input)}
		return a.build(n.Input, op, 0, pump)
	case *plan.Sort:
		op := &sortOp{node: n, out: em, outBound: math.MinInt64}
		a.stateful = append(a.stateful, op)
		return a.build(n.Input, op, 0, pump)
	case *plan.TSort:
		op := newTSortOp(a, pump, n, em)
		a.stateful = append(a.stateful, op)
		return a.build(n.Input, op, 0, pump)
	case *plan.Distinct:
		op := &distinctOp{node: n, out: em, seen: map[string]bool{}}
		a.stateful = append(a.stateful, op)
		return a.build(n.Input, op, 0, pump)
	case *plan.Aggregate:
		if n.Stagger > 0 {
			op := &staggerOp{app: a, pump: pump, node: n, out: em, open: map[string]*staggerWindow{}, outBound: math.MinInt64, data: dataIndices(n.Input)}
			a.stateful = append(a.stateful, op)
			return a.build(n.Input, op, 0, pump)
		}
		op := &aggregateOp{app: a, pump: pump, node: n, out: em, outBound: math.MinInt64, last: math.MinInt64, data: dataIndices(n.Input)}
		a.stateful = append(a.stateful, op)
		return a.build(n.Input, op, 0, pump)
	case *plan.Analytic:
		op := &analyticOp{app: a, pump: pump, node: n, out: em, data: dataIndices(n.Input)}
		for range n.Windows {
			op.parts = append(op.parts, map[string]*partition{})
		}
		for _, w := range n.Windows {
			op.calls += len(w.Calls)
		}
		a.stateful = append(a.stateful, op)
		return a.build(n.Input, op, 0, pump)
	case *plan.Union:
		op := &unionOp{out: em, bounds: [2]int64{math.MinInt64, math.MinInt64}, outBound: math.MinInt64}
		a.stateful = append(a.stateful, op)
		if err := a.build(n.Left, op, 0, pump); err != nil {
			return err
		}
		return a.build(n.Right, op, 1, pump)
	case *plan.Join:
		op := newJoinOp(a, pump, n, em)
		a.stateful = append(a.stateful, op)
		if err := a.build(n.Left, op, 0, pump); err != nil {
			return err
		}
		return a.build(n.Right, op, 1, pump)
	case *plan.TableScan:
		return nil // the join holds the table's rows
	case *plan.Hotspots:
		op := newHotspotsOp(n, em)
		a.stateful = append(a.stateful, op)
		return a.build(n.Input, op, 0, pump)
	case *plan.ItemsTumbling:
		op := newItemsOp(n, em)
		a.stateful = append(a.stateful, op)
		return a.build(n.Input, op, 0, pump)
	case *plan.GroupRank:
		op := &groupRankOp{node: n, out: em}
		a.stateful = append(a.stateful, op)
		return a.build(n.Input, op, 0, pump)
	case *plan.RCF:
		// Checked now, made at the first row: an application that gets no
		// row holds no forest (the same forest either way: its seed is
		// in its configuration).
		cfg, err := n.Config.Checked()
		if err != nil {
			return err
		}
		op := &rcfOp{app: a, pump: pump, node: n, cfg: cfg, out: em, point: make([]float64, len(n.Numeric)), data: dataIndices(n.Input)}
		a.stateful = append(a.stateful, op)
		return a.build(n.Input, op, 0, pump)
	}
	return fmt.Errorf("no operator for %T", n)
}

// passThrough forwards a stream's rows unchanged (a scan).
type passThrough struct{ out emitter }

func (p passThrough) push(_ int, time int64, vals []types.Value) { p.out.push(time, vals) }
func (p passThrough) advance(_ int, t int64)                     { p.out.advance(t) }

type filterOp struct {
	data []int // data columns, for error_stream
	app  *App
	pump string
	cond *plan.Expr
	out  emitter
	env  plan.Env
}

func (f *filterOp) push(_ int, time int64, vals []types.Value) {
	f.env = plan.Env{Time: time, Values: vals, Start: f.app.start}
	v, err := f.cond.Eval(&f.env)
	if err != nil {
		f.app.rowError(f.pump, f.data, &f.env, err)
		return
	}
	if v.True() {
		f.out.push(time, vals)
	}
}

func (f *filterOp) advance(_ int, t int64) { f.out.advance(t) }

type projectOp struct {
	data   []int // data columns, for error_stream
	app    *App
	pump   string
	exprs  []*plan.Expr
	hidden int            // trailing exprs that go after the ROWTIME
	rows   []plan.RowItem // select items whose value is a ROW
	out    emitter
	env    plan.Env // reused: the row's, while its values are computed
}

func (p *projectOp) push(_ int, time int64, vals []types.Value) {
	p.env = plan.Env{Time: time, Values: vals, Start: p.app.start}
	env := &p.env
	visible := len(p.exprs) - p.hidden
	out := make([]types.Value, len(p.exprs)+1)
	if len(p.rows) > 0 {
		if !p.pushRows(env, out) {
			return
		}
	} else {
		for i, e := range p.exprs {
			v, err := e.Eval(env)
			if err != nil {
				p.app.rowError(p.pump, p.data, env, err)
				return
			}
			if i >= visible {
				i++ // past the ROWTIME
			}
			out[i] = v
		}
	}
	out[visible] = rowtimeValue(time)
	p.out.push(time, out)
}

// pushRows computes a select list that holds ROW values (log parsers'
// results), each filling its fields at once; hidden sort keys (after the
// select items, so never a ROW) go past the ROWTIME. It reports false when
// the row goes no further.
func (p *projectOp) pushRows(env *plan.Env, out []types.Value) bool {
	visible := len(p.exprs) - p.hidden
	next := 0 // the next ROW item
	for i := 0; i < len(p.exprs); i++ {
		if next < len(p.rows) && p.rows[next].At == i {
			r := p.rows[next]
			if err := r.Eval(env, out[i:i+r.Width]); err != nil {
				if !errors.Is(err, plan.ErrNoRow) {
					p.app.rowError(p.pump, p.data, env, err)
				}
				return false
			}
			i += r.Width - 1
			next++
			continue
		}
		v, err := p.exprs[i].Eval(env)
		if err != nil {
			p.app.rowError(p.pump, p.data, env, err)
			return false
		}
		if i >= visible {
			out[i+1] = v // past the ROWTIME
		} else {
			out[i] = v
		}
	}
	return true
}

func (p *projectOp) advance(_ int, t int64) { p.out.advance(t) }

// rcfOp scores each row with its forest and appends ANOMALY_SCORE (and
// ANOMALY_EXPLANATION). A row with a NULL in a scored column passes with a
// NULL score and is not learned.
type rcfOp struct {
	data   []int // data columns, for error_stream
	app    *App
	pump   string
	node   *plan.RCF
	cfg    rcf.Config
	forest *rcf.Forest // nil until the first row
	point  []float64
	out    emitter
}

func (r *rcfOp) push(_ int, time int64, vals []types.Value) {
	cols := len(vals) - 1
	extra := 1
	if r.node.Explain {
		extra = 2
	}
	out := make([]types.Value, cols+extra+1)
	copy(out, vals[:cols])
	out[len(out)-1] = rowtimeValue(time)
	null := false
	for i, c := range r.node.Numeric {
		if vals[c].Null {
			null = true
			break
		}
		r.point[i] = vals[c].Float64()
	}
	if r.forest == nil && !null {
		f, err := rcf.New(r.cfg)
		if err != nil {
			r.app.rowError(r.pump, r.data, &plan.Env{Time: time, Values: vals}, err)
			return
		}
		r.forest = f
	}
	switch {
	case null:
		out[cols] = types.NullOf(types.Double)
		if r.node.Explain {
			out[cols+1] = types.NullOf(types.Varchar)
		}
	case r.node.Explain:
		e, err := r.forest.UpdateExplained(r.point)
		if err != nil {
			r.app.rowError(r.pump, r.data, &plan.Env{Time: time, Values: vals}, err)
			return
		}
		js, err := e.JSON(r.node.Names, r.node.Directionality)
		if err != nil {
			r.app.rowError(r.pump, r.data, &plan.Env{Time: time, Values: vals}, err)
			return
		}
		out[cols] = types.Float(types.Double, e.Score)
		out[cols+1] = types.Str(types.Varchar, js)
	default:
		s, err := r.forest.Update(r.point)
		if err != nil {
			r.app.rowError(r.pump, r.data, &plan.Env{Time: time, Values: vals}, err)
			return
		}
		out[cols] = types.Float(types.Double, s)
	}
	r.out.push(time, out)
}

func (r *rcfOp) advance(_ int, t int64) { r.out.advance(t) }

// pumpSink maps a pump's rows onto its target stream's columns.
type pumpSink struct {
	data     []int // data columns, for error_stream
	app      *App
	pump     *plan.Pump
	target   *stream
	producer int
}

func (p *pumpSink) push(_ int, time int64, vals []types.Value) {
	row := Row{Time: time, Values: make([]types.Value, len(p.pump.Mapping))}
	for i, src := range p.pump.Mapping {
		col := &p.pump.Target.Columns[i]
		if src < 0 {
			row.Values[i] = types.NullOf(col.Type.Kind)
			continue
		}
		v, err := types.Cast(vals[src], col.Type)
		if err != nil {
			p.app.rowError(p.pump.Name, p.data, &plan.Env{Time: time, Values: vals}, fmt.Errorf("column %s: %w", col.Name, err))
			return
		}
		row.Values[i] = v
	}
	p.target.insert(p.producer, row)
}

func (p *pumpSink) advance(_ int, t int64) { p.target.advance(p.producer, t) }

// aggregateOp is a streaming GROUP BY. Rows fall into windows by the value
// of the time key; a window ends where the key next changes (found by
// probing the key, which depends on ROWTIME alone), and emits its groups,
// in the order they appeared, once the clock passes its end.
//
// Keys declared MONOTONIC cannot be probed: a window of theirs ends when a
// row arrives with another value of them (the old value will not come
// back), and emits at once, stamped with that row's ROWTIME, which is not
// before any row of the window. At the end of the input it emits at the
// input's last time. Until then such a window may close at any later row,
// so the operator promises no more than its input's clock.
type aggregateOp struct {
	data     []int // data columns, for error_stream
	app      *App
	pump     string
	node     *plan.Aggregate
	out      emitter
	windows  []*window // open, by end
	outBound int64
	env      plan.Env
	keys     []types.Value // scratch
	args     []types.Value // scratch
	id       []byte        // scratch
	last     int64         // the input's latest time, row or clock
}

type window struct {
	end    int64
	keys   []types.Value // the time keys' values, then the declared keys'
	groups []*group
	index  map[string]*group
}

type group struct {
	keys []types.Value
	accs []functions.Accumulator
	// failed is why a row could not be folded in (a SUM past its type):
	// the group's row then goes to error_stream whole, not out with a
	// value short of that row.
	failed string
}

func (g *aggregateOp) push(_ int, time int64, vals []types.Value) {
	g.env = plan.Env{Time: time, Values: vals, Start: g.app.start}
	env := &g.env
	keys, args, err := groupInput(g.node, env, g.keys, g.args)
	g.keys, g.args = keys, args
	if err != nil {
		g.app.rowError(g.pump, g.data, env, err)
		return
	}
	g.last = max(g.last, time)
	if len(g.node.DeclaredKeys) > 0 {
		g.declaredMoves(time, keys)
	}
	w := g.windowFor(time, keys)
	g.id = appendGroupID(g.id[:0], keys)
	grp := w.index[string(g.id)]
	if grp == nil {
		grp = &group{keys: append([]types.Value(nil), keys...), accs: newAccumulators(g.node.Aggs)}
		w.index[string(g.id)] = grp
		w.groups = append(w.groups, grp)
	}
	addToGroup(grp, args)
}

// appendGroupID encodes key values so that equal keys, and only they, give
// equal bytes.
func appendGroupID(b []byte, keys []types.Value) []byte {
	for _, k := range keys {
		null := byte(0)
		if k.Null {
			null = 1
		}
		b = append(b, byte(k.Kind), null, byte(k.Scale))
		b = binary.LittleEndian.AppendUint64(b, uint64(k.I))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(k.F))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(k.S)))
		b = append(b, k.S...)
	}
	return b
}

func sameKey(a, b types.Value) bool {
	if a.Null || b.Null {
		return a.Null == b.Null
	}
	c, err := types.Compare(a, b)
	return err == nil && c == 0
}

// declaredMoves closes the windows whose declared keys differ from this
// row's: by the declaration, their values will not come back.
func (g *aggregateOp) declaredMoves(time int64, keys []types.Value) {
	closed := false
	base := len(g.node.TimeKeys)
	for _, w := range g.windows {
		for i, k := range g.node.DeclaredKeys {
			if !sameKey(w.keys[base+i], keys[k]) {
				w.end, closed = min(w.end, time), true
				break
			}
		}
	}
	if closed {
		g.emitUntil(time)
	}
}

// emitUntil emits, in order of their ends, the windows that end by t.
func (g *aggregateOp) emitUntil(t int64) {
	slices.SortStableFunc(g.windows, func(a, b *window) int { return cmp.Compare(a.end, b.end) })
	for len(g.windows) > 0 && g.windows[0].end <= t {
		w := g.windows[0]
		g.windows = g.windows[1:]
		g.emit(w)
	}
}

func (g *aggregateOp) windowFor(time int64, keys []types.Value) *window {
	same := func(w *window) bool {
		for i, k := range g.node.TimeKeys {
			if !sameKey(w.keys[i], keys[k]) {
				return false
			}
		}
		base := len(g.node.TimeKeys)
		for i, k := range g.node.DeclaredKeys {
			if !sameKey(w.keys[base+i], keys[k]) {
				return false
			}
		}
		return true
	}
	for i := len(g.windows) - 1; i >= 0; i-- {
		if same(g.windows[i]) {
			return g.windows[i]
		}
	}
	w := &window{end: Forever, index: map[string]*group{}}
	for i, k := range g.node.TimeKeys {
		w.keys = append(w.keys, keys[k])
		w.end = min(w.end, bucketEnd(&g.node.Buckets[i], time, keys[k]))
	}
	for _, k := range g.node.DeclaredKeys {
		w.keys = append(w.keys, keys[k])
	}
	// Keep windows ordered by end (they normally arrive in order).
	i := len(g.windows)
	for i > 0 && g.windows[i-1].end > w.end {
		i--
	}
	g.windows = append(g.windows, nil)
	copy(g.windows[i+1:], g.windows[i:])
	g.windows[i] = w
	return w
}

// bucketEnd is the first time after t at which the bucket's time key
// differs from key: an exponential then binary search, as the key is a
// step function of ROWTIME. Forever if it never changes.
func bucketEnd(b *plan.TimeBucket, t int64, key types.Value) int64 {
	vals := make([]types.Value, b.InputWidth)
	differs := func(at int64) bool {
		for _, s := range b.RowtimeSlots {
			vals[s] = types.TimestampMs(at)
		}
		v, err := b.Key.Eval(&plan.Env{Time: at, Values: vals})
		return err != nil || !sameKey(v, key)
	}
	lo, step := t, int64(1)
	for !differs(t + step) {
		lo = t + step
		if step > 1<<52 || t > math.MaxInt64-2*step {
			return Forever
		}
		step *= 2
	}
	hi := t + step
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if differs(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// bucketEndAt is the end of the bucket holding time t.
func bucketEndAt(b *plan.TimeBucket, t int64) (int64, bool) {
	vals := make([]types.Value, b.InputWidth)
	for _, s := range b.RowtimeSlots {
		vals[s] = types.TimestampMs(t)
	}
	k, err := b.Key.Eval(&plan.Env{Time: t, Values: vals})
	if err != nil {
		return 0, false
	}
	return bucketEnd(b, t, k), true
}

func (g *aggregateOp) advance(_ int, t int64) {
	declared := len(g.node.DeclaredKeys) > 0
	if declared && t == Forever {
		// The input has ended: the windows waiting for a declared key to
		// move are complete, at the input's last time.
		for _, w := range g.windows {
			if w.end == Forever {
				w.end = g.last
			}
		}
		g.emitUntil(Forever)
	}
	if t != Forever {
		g.last = max(g.last, t)
	}
	for len(g.windows) > 0 && g.windows[0].end <= t {
		w := g.windows[0]
		g.windows = g.windows[1:]
		g.emit(w)
	}
	next := int64(Forever)
	if len(g.windows) > 0 {
		next = g.windows[0].end
	} else if t != Forever {
		for i := range g.node.Buckets {
			end, ok := bucketEndAt(&g.node.Buckets[i], t)
			if !ok {
				end = t // the key cannot say: promise no more than the clock
			}
			next = min(next, end)
		}
	}
	if declared {
		next = min(next, t) // a window may close at the next row
	}
	if next > g.outBound {
		g.outBound = next
		g.out.advance(next)
	}
}

func (g *aggregateOp) emit(w *window) {
	for _, grp := range w.groups {
		emitGroup(g.app, g.pump, g.node, grp, w.end, g.out)
	}
}

// emitGroup evaluates HAVING and the select list over a closed group and
// sends its row, stamped end.
func emitGroup(app *App, pump string, node *plan.Aggregate, grp *group, end int64, out emitter) {
	vals := make([]types.Value, 0, len(grp.keys)+len(grp.accs))
	vals = append(vals, grp.keys...)
	for _, acc := range grp.accs {
		vals = append(vals, acc.Result())
	}
	env := plan.Env{Time: end, Values: vals, Start: app.start}
	if grp.failed != "" {
		app.rowError(pump, nil, &env, errors.New(grp.failed))
		return
	}
	if node.Having != nil {
		h, err := node.Having.Eval(&env)
		if err != nil {
			app.rowError(pump, nil, &env, err)
			return
		}
		if !h.True() {
			return
		}
	}
	// Sort keys (Out past the columns) go after the ROWTIME, for a Sort above.
	visible := len(node.Cols)
	row := make([]types.Value, len(node.Out)+1)
	for i, e := range node.Out {
		v, err := e.Eval(&env)
		if err != nil {
			app.rowError(pump, nil, &env, err)
			return
		}
		if i >= visible {
			i++
		}
		row[i] = v
	}
	row[visible] = rowtimeValue(end)
	out.push(end, row)
}

// timedRow is a row held by an operator, with its ROWTIME.
type timedRow struct {
	time int64
	vals []types.Value
}
