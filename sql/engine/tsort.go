package engine

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/sql/types"
)

// tsortOp is ORDER BY t WITHIN w (a T-sort). It holds rows in t's order
// and lets a row go, with every row of a smaller t, once a row more than w
// later by t has come (the service's rule: the data's own timestamps move
// the sort) or once it has waited w on the application clock (Riffle's:
// so that a quiet input does not hold rows forever). A row older by t than
// one already out is late: it goes to error_stream.
type tsortOp struct {
	app  *App
	pump string
	node *plan.TSort
	out  emitter
	rows []tsortRow  // held, in output order
	due  []tsortWait // when each held row must go, in arrival order
	// maxKey is the latest t seen, emitted the t of the last row out.
	maxKey, emitted, outBound int64
	seq                       int64 // arrival number, the last tie-break
}

type tsortRow struct {
	key, seq int64
	vals     []types.Value
}

// tsortWait says by when the row of t Key must go (exported for snapshots).
type tsortWait struct{ At, Key int64 }

func newTSortOp(a *App, pump string, n *plan.TSort, out emitter) *tsortOp {
	return &tsortOp{app: a, pump: pump, node: n, out: out, maxKey: math.MinInt64, emitted: math.MinInt64, outBound: math.MinInt64}
}

func (t *tsortOp) compare(a, b *tsortRow) int {
	if a.key != b.key {
		return cmp.Compare(a.key, b.key)
	}
	for _, k := range t.node.Keys {
		c := compareNullsFirst(a.vals[k.Index], b.vals[k.Index])
		if k.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(a.seq, b.seq)
}

func (t *tsortOp) push(_ int, time int64, vals []types.Value) {
	k := vals[t.node.Key]
	if k.Null {
		return // the reference: a row whose timestamp is NULL is discarded
	}
	if k.I < t.emitted {
		t.late(time, vals)
		return
	}
	r := tsortRow{key: k.I, seq: t.seq, vals: append([]types.Value(nil), vals...)}
	t.seq++
	// Arrival numbers are unique: the search never finds an equal row.
	i, _ := slices.BinarySearchFunc(t.rows, &r, func(x tsortRow, y *tsortRow) int { return t.compare(&x, y) })
	t.rows = slices.Insert(t.rows, i, r)
	t.due = append(t.due, tsortWait{At: satAdd(time, t.node.Within), Key: k.I})
	t.maxKey = max(t.maxKey, k.I)
	if t.maxKey > math.MinInt64+t.node.Within {
		t.release(t.maxKey - t.node.Within - 1)
	}
}

// late reports a row that came after a later row went out.
func (t *tsortOp) late(time int64, vals []types.Value) {
	var text []byte
	for i := range t.node.Input.Columns() {
		if i > 0 {
			text = append(text, ',')
		}
		text = append(text, vals[i].String()...)
	}
	msg := fmt.Sprintf("late row: ORDER BY ... WITHIN already emitted rows up to %s, this row's timestamp is %s", types.FormatTimestamp(t.emitted), vals[t.node.Key])
	t.app.ReportError(time, "LATE_ROW", msg, time, text, t.pump)
}

// release sends out, in order, the held rows whose t is at most upTo.
func (t *tsortOp) release(upTo int64) {
	n := 0
	for n < len(t.rows) && t.rows[n].key <= upTo {
		r := &t.rows[n]
		out := make([]types.Value, 0, len(t.node.Cols)+1)
		for i := range t.node.Input.Columns() {
			if i != t.node.Key {
				out = append(out, r.vals[i])
			}
		}
		out = append(out, rowtimeValue(r.key))
		t.emitted = r.key
		t.out.push(r.key, out)
		n++
	}
	t.rows = slices.Delete(t.rows, 0, n)
}

func (t *tsortOp) advance(_ int, bound int64) {
	if bound == Forever {
		t.release(math.MaxInt64)
		t.due = nil
		if t.outBound != Forever {
			t.outBound = Forever
			t.out.advance(Forever)
		}
		return
	}
	upTo, n := int64(math.MinInt64), 0
	for n < len(t.due) && t.due[n].At <= bound {
		upTo = max(upTo, t.due[n].Key)
		n++
	}
	t.due = slices.Delete(t.due, 0, n)
	if n > 0 {
		t.release(upTo)
	}
	// No row will come out before the last one did (later ones are late).
	if t.emitted > t.outBound {
		t.outBound = t.emitted
		t.out.advance(t.emitted)
	}
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

type tsortState struct {
	Rows                      []tsortSavedRow
	Due                       []tsortWait
	MaxKey, Emitted, OutBound int64
	Seq                       int64
}

type tsortSavedRow struct {
	Key, Seq int64
	Values   []types.Value
}

func (t *tsortOp) saveState() ([]byte, error) {
	st := tsortState{Due: t.due, MaxKey: t.maxKey, Emitted: t.emitted, OutBound: t.outBound, Seq: t.seq}
	for _, r := range t.rows {
		st.Rows = append(st.Rows, tsortSavedRow{r.key, r.seq, r.vals})
	}
	return encodeState(st)
}

func (t *tsortOp) loadState(data []byte) error {
	var st tsortState
	if err := decodeState(data, &st); err != nil {
		return err
	}
	t.rows, t.due = nil, st.Due
	t.maxKey, t.emitted, t.outBound, t.seq = st.MaxKey, st.Emitted, st.OutBound, st.Seq
	for _, r := range st.Rows {
		t.rows = append(t.rows, tsortRow{key: r.Key, seq: r.Seq, vals: r.Values})
	}
	return nil
}
