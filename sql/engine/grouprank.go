package engine

import (
	"math"
	"slices"

	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/sql/types"
)

// groupRankOp is GROUP_RANK: the rows of one ROWTIME wait until the clock
// passes that time (no more of them can come), then go out ranked and
// sorted, each with its own ROWTIME. A row with a NULL rank value ranks
// first ascending, last descending, as ORDER BY puts NULLs.
type groupRankOp struct {
	node *plan.GroupRank
	out  emitter
	open bool
	time int64
	rows [][]types.Value // the group's rows as they go out (rank unset), ROWTIME last
	// scratch, reused from group to group
	order []int
	ranks []int
}

func (g *groupRankOp) push(_ int, time int64, vals []types.Value) {
	if g.open && time != g.time {
		g.flush()
	}
	g.open, g.time = true, time
	var row []types.Value
	if g.node.Added {
		cols := len(vals) - 1
		row = make([]types.Value, cols+2)
		copy(row, vals[:cols])
		row[cols+1] = vals[cols]
	} else {
		row = slices.Clone(vals)
	}
	g.rows = append(g.rows, row)
}

func (g *groupRankOp) advance(_ int, t int64) {
	if g.open && g.time < t {
		g.flush()
	}
	g.out.advance(t)
}

func (g *groupRankOp) flush() {
	n := len(g.rows)
	by := g.node.By
	g.order = g.order[:0]
	for i := range n {
		g.order = append(g.order, i)
	}
	// Stable: rows of equal rank keep their order of arrival.
	slices.SortStableFunc(g.order, func(a, b int) int {
		c := compareRank(g.rows[a][by], g.rows[b][by])
		if g.node.Desc {
			c = -c
		}
		return c
	})
	g.ranks = slices.Grow(g.ranks[:0], n)[:n]
	for pos, i := range g.order {
		if pos > 0 && compareRank(g.rows[i][by], g.rows[g.order[pos-1]][by]) == 0 {
			g.ranks[i] = g.ranks[g.order[pos-1]]
		} else {
			g.ranks[i] = pos + 1
		}
	}
	if g.node.OutDesc {
		// Highest rank first; rows of one rank still in arrival order.
		slices.SortStableFunc(g.order, func(a, b int) int { return g.ranks[b] - g.ranks[a] })
	}
	emit := n
	if g.node.Max > 0 {
		emit = min(emit, g.node.Max)
	}
	for _, i := range g.order[:emit] {
		row := g.rows[i]
		row[g.node.Out] = types.Int(types.Integer, int64(g.ranks[i]))
		g.out.push(g.time, row)
	}
	clear(g.rows)
	g.rows = g.rows[:0]
	g.open = false
}

// compareRank orders rank values: NULL first, then the values as ORDER BY
// orders them, with a floating-point NaN after every number (as Java's
// Double.compare puts it), so that the order is total and ranks are
// consistent.
func compareRank(a, b types.Value) int {
	nanA := !a.Null && (a.Kind == types.Real || a.Kind == types.Double) && math.IsNaN(a.F)
	nanB := !b.Null && (b.Kind == types.Real || b.Kind == types.Double) && math.IsNaN(b.F)
	switch {
	case nanA && nanB:
		return 0
	case nanA:
		return 1
	case nanB:
		return -1
	}
	return compareNullsFirst(a, b)
}

type groupRankState struct {
	Open bool
	Time int64
	Rows [][]types.Value
}

func (g *groupRankOp) saveState() ([]byte, error) {
	return encodeState(groupRankState{Open: g.open, Time: g.time, Rows: g.rows})
}

func (g *groupRankOp) loadState(data []byte) error {
	var st groupRankState
	if err := decodeState(data, &st); err != nil {
		return err
	}
	g.open, g.time, g.rows = st.Open, st.Time, st.Rows
	return nil
}
