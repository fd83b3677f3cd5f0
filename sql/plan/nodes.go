package plan

import (
	"github.com/riffle-sql/riffle/rcf"
	"github.com/riffle-sql/riffle/sql/functions"
	"github.com/riffle-sql/riffle/sql/types"
)

// Node is an operator of a pump's query. Every node's rows carry its
// columns followed by their ROWTIME, the layout expressions above it are
// compiled against.
type Node interface {
	Columns() []Column
}

// Scan reads an in-application stream.
type Scan struct {
	Stream *Stream
}

// Filter keeps the rows for which Cond is TRUE.
type Filter struct {
	Input Node
	Cond  *Expr
}

// Project computes the select list; the row keeps its ROWTIME. The last
// Hidden expressions (sort keys) go after the ROWTIME, for a Sort above.
type Project struct {
	Input  Node
	Exprs  []*Expr
	Cols   []Column
	Hidden int
	// Rows are the select items whose value is a ROW (a log parser's
	// result), in order: each computes Exprs[At:At+Width] at once, and
	// those Exprs only stand for the fields (Eval nil). A select list with
	// a ROW has no hidden keys.
	Rows []RowItem
}

// RowItem computes a ROW's fields into out; ErrNoRow drops the row
// without an error.
type RowItem struct {
	At, Width int
	Eval      func(env *Env, out []types.Value) error
}

// Join combines two streams, each side contributing its current rows (the
// rows of its latest ROWTIME): a row arriving on one side meets the other
// side's current rows. Output ROWTIME is the later of the two. Its rows are
// the left row (columns, then ROWTIME) followed by the right row, read only
// by the select above it.
type Join struct {
	Left, Right Node
	Cond        *Expr  // over the left row then the right row; nil: all pairs
	Kind        string // INNER, CROSS, LEFT, RIGHT or FULL
	// A windowed side keeps its rows joinable for the window's span; a side
	// without a window offers only its current rows. An unmatched row of a
	// preserved (outer) side comes out padded with NULLs: at once from a
	// side without a window, when it leaves its window from a windowed one.
	LeftWindow, RightWindow *JoinWindow
}

// JoinWindow is OVER (RANGE ... PRECEDING | ROWS n PRECEDING) on a join side.
type JoinWindow struct {
	IsRows bool
	Rows   int64
	Range  int64
	// Following: RANGE ... FOLLOWING, turned round by the planner into the
	// other side's PRECEDING window; never reaches the engine.
	Following bool
}

// Renamed gives its input's rows other column names (a view's column list).
type Renamed struct {
	Input Node
	Cols  []Column
}

// TableScan reads a reference table; it appears only as a side of a Join.
type TableScan struct {
	Table *Table
}

// Windowed marks a stream with a window in FROM, until the join takes it.
type Windowed struct {
	Input  Node
	Window *JoinWindow
}

// Aggregate is a streaming GROUP BY: a tumbling window per value of the
// ROWTIME-based key, emitted when ROWTIME moves past the window's end,
// with ROWTIME = that end.
type Aggregate struct {
	Input Node
	// Keys are the grouping expressions over the input; those at TimeKeys
	// are monotonic in ROWTIME and define the windows: a window ends when
	// any of them changes.
	Keys     []*Expr
	TimeKeys []int
	// Buckets probe each time key to find where a window ends.
	Buckets []TimeBucket
	Aggs    []AggCall
	// Having and Out are compiled over the group's values: Keys then Aggs.
	// Out has one expression per column of Cols, then the sort keys of an
	// ORDER BY above, which go after the row's ROWTIME.
	Having *Expr
	Out    []*Expr
	Cols   []Column
	// Stagger, when positive, makes this WINDOWED BY STAGGER: a window per
	// key opened by its first row and closed Stagger ms later, emitting
	// with ROWTIME = open + Stagger. Keys are then the partition keys and
	// TimeKeys are unused.
	Stagger int64
	// DeclaredKeys are keys the user declared MONOTONIC (not functions of
	// ROWTIME): they split windows too, and a window also ends when a row
	// arrives whose value of one of them differs (the key moved, so the
	// window's value will not come back), emitting at that row's ROWTIME;
	// at the end of the input, at the input's last time.
	DeclaredKeys []int
}

// TimeBucket is a time key (a monotonic expression of ROWTIME alone) and
// how to evaluate it at any time: the input values holding a ROWTIME and
// the number of input values.
type TimeBucket struct {
	Key          *Expr
	RowtimeSlots []int
	InputWidth   int
}

// Sort is ORDER BY on a stream: rows are held until the leading time key's
// bucket ends, then emitted sorted by the other keys, each stamped with the
// latest ROWTIME of its batch so that ROWTIME still never goes back.
type Sort struct {
	Input  Node // a Project that appends the sort keys after ROWTIME
	Bucket TimeBucket
	Keys   []SortKey
	Cols   []Column
}

// TSort is ORDER BY t WITHIN interval (a T-sort): it puts rows that come
// out of order by the TIMESTAMP t back in t's order, which becomes their
// ROWTIME. A row waits until a row more than Within later by t has come,
// or for Within of the application's clock, whichever is first; then it
// goes out with every row of a smaller t, sorted by t and the other Keys.
// A row whose t is NULL is dropped; one older than a row already out is
// late: dropped and reported in error_stream.
type TSort struct {
	Input  Node // a Project: the select list, then the other keys' values
	Key    int  // the value of t in the input row
	Keys   []SortKey
	Within int64
	Cols   []Column // the input's columns but Key
}

// SortKey is one ORDER BY key: the index of its value in the input row.
type SortKey struct {
	Index int
	Desc  bool
}

// Distinct passes a row only if no equal row (ignoring ROWTIME) passed
// with the same value of the monotonic column Key; the memory of rows
// seen is dropped when that value changes.
type Distinct struct {
	Input Node
	Key   int
	Cols  []Column
	// Compared are the columns that decide equality (all but ROWTIMEs).
	Compared []int
}

// Analytic computes windowed aggregates (f(x) OVER w) for each row over
// the rows of its partition in the window ending at it, and appends them
// to the row (after its ROWTIME) for the select list above.
type Analytic struct {
	Input   Node
	Windows []*SlidingWindow
	Cols    []Column // the input's
}

// SlidingWindow is one window specification and the calls over it.
type SlidingWindow struct {
	Partition []*Expr
	// Rows keeps the current row and Rows preceding ones; otherwise Range
	// keeps rows no more than Range ms older than the current row.
	Rows   int64
	Range  int64
	IsRows bool
	Calls  []AnalyticCall
}

// AnalyticKind tells the calls over a window apart.
type AnalyticKind int

const (
	AnalyticAggregate AnalyticKind = iota // Func folded over the window's rows
	AnalyticLag
	AnalyticNth    // NTH_VALUE
	AnalyticExpAvg // EXP_AVG
)

// AnalyticCall is one aggregate over a sliding window; Slot is where its
// result goes in the row above.
type AnalyticCall struct {
	Kind AnalyticKind
	Func *functions.Aggregate // for AnalyticAggregate
	Opts functions.Options
	Arg  *Expr
	Type types.Type
	Slot int
	// NTH_VALUE(Arg, Nth) [FROM LAST] [IGNORE NULLS]: the Nth row's value
	// counted from the window's oldest row (from the current row with
	// FromLast), skipping NULLs with IgnoreNulls.
	Nth      int64
	FromLast bool
	// EXP_AVG(Arg, HalfLife): rows weigh half as much per HalfLife ms of age.
	HalfLife int64
	// LAG(Arg, Lag, Default): Arg's value Lag rows before the current one
	// in the window, Default (or NULL) past its start; IgnoreNulls counts
	// only rows where Arg is not NULL.
	Lag         int64
	Default     *Expr
	IgnoreNulls bool
}

// Union merges two streams in ROWTIME order (UNION ALL).
type Union struct {
	Left, Right Node
	Cols        []Column
}

// AggCall is one aggregate in a GROUP BY query.
type AggCall struct {
	Func *functions.Aggregate
	Opts functions.Options
	Arg  *Expr // nil for COUNT(*)
	Type types.Type
}

// RCF is TABLE(RANDOM_CUT_FOREST(...)) or its WITH_EXPLANATION variant: the
// input's columns plus ANOMALY_SCORE (and ANOMALY_EXPLANATION).
type RCF struct {
	Input   Node
	Config  rcf.Config
	Numeric []int    // input columns that form the point
	Names   []string // their names, for the explanation
	Explain bool
	// Directionality adds DIRECTION and STRENGTH to the explanation.
	Directionality bool
	Cols           []Column
}

func (n *Scan) Columns() []Column    { return n.Stream.Columns }
func (n *Filter) Columns() []Column  { return n.Input.Columns() }
func (n *Project) Columns() []Column { return n.Cols }
func (n *Join) Columns() []Column    { return appendColumns(nil, n) }

// appendColumns appends a node's columns, a join's sides' in one pass: a
// chain of a thousand joins asked each side's columns anew at every level.
func appendColumns(dst []Column, n Node) []Column {
	if j, ok := n.(*Join); ok {
		return appendColumns(appendColumns(dst, j.Left), j.Right)
	}
	return append(dst, n.Columns()...)
}
func (n *Aggregate) Columns() []Column { return n.Cols }
func (n *RCF) Columns() []Column       { return n.Cols }
func (n *Analytic) Columns() []Column  { return n.Cols }
func (n *Union) Columns() []Column     { return n.Cols }
func (n *Sort) Columns() []Column      { return n.Cols }
func (n *Windowed) Columns() []Column  { return n.Input.Columns() }
func (n *Renamed) Columns() []Column   { return n.Cols }
func (n *TableScan) Columns() []Column { return n.Table.Columns }
func (n *Distinct) Columns() []Column  { return n.Cols }
func (n *TSort) Columns() []Column     { return n.Cols }
