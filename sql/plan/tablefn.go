package plan

import (
	"math"
	"strings"

	"github.com/riffle-sql/riffle/sql/ast"
	"github.com/riffle-sql/riffle/sql/types"
)

// Hotspots is TABLE(HOTSPOTS(CURSOR(...), windowSize, scanRadius,
// minimumNumberOfPointsInAHotspot)): the input's columns plus
// HOTSPOTS_RESULT, the dense regions among the last WindowSize rows.
type Hotspots struct {
	Input      Node
	WindowSize int
	ScanRadius float64
	MinPoints  int
	Numeric    []int // input columns that form the point
	Cols       []Column
}

// ItemsTumbling is TABLE(TOP_K_ITEMS_TUMBLING(CURSOR(...), 'column', K,
// windowSize)) or TABLE(COUNT_DISTINCT_ITEMS_TUMBLING(CURSOR(...),
// 'column', windowSize)): the values of one column counted in tumbling
// windows of Window ms aligned to the epoch, emitted at each window's end.
type ItemsTumbling struct {
	Input  Node
	Column int // the counted input column
	// K > 0 makes this TOP_K_ITEMS_TUMBLING: up to K rows per window, the
	// value and MOST_FREQUENT_VALUES. Otherwise COUNT_DISTINCT: one row,
	// NUMBER_OF_DISTINCT_ITEMS.
	K      int
	Window int64
	Cols   []Column
	// Aliases are TOP_K's hidden columns ITEM and ITEM_COUNT: for each, the
	// output column (0, the value, or 1, the count) it repeats.
	Aliases []int
}

func (n *Hotspots) Columns() []Column      { return n.Cols }
func (n *ItemsTumbling) Columns() []Column { return n.Cols }

// The service's ranges for these functions' parameters.
const (
	MinHotspotsWindow, MaxHotspotsWindow = 100, 1000
	MinTopK, MaxTopK                     = 1, 100000
	MinItemsWindow, MaxItemsWindow       = 1, 3600 // seconds
)

// cursorInput plans a table function's first argument, CURSOR(SELECT ...).
func (qp *queryPlanner) cursorInput(call *ast.FuncCall, name, usage string) (Node, *ast.Cursor, error) {
	if len(call.Args) == 0 {
		return nil, nil, errAt(call, "%s takes %s", name, usage)
	}
	cur, ok := call.Args[0].(*ast.Cursor)
	if !ok {
		return nil, nil, errAt(call.Args[0], "%s needs CURSOR(SELECT STREAM ...) as its first argument", name)
	}
	input, err := qp.query(cur.Query)
	if err != nil {
		return nil, nil, err
	}
	return input, cur, nil
}

// constantArg evaluates a table function's constant parameter.
func constantArg(p ast.Expr, name string) (types.Value, error) {
	e, err := (&compiler{scope: &scope{}}).compile(p)
	if err != nil {
		return types.Value{}, err
	}
	v, err := e.Eval(&Env{})
	if err != nil {
		return types.Value{}, errAt(p, "%v", err)
	}
	if v.Null {
		return types.Value{}, errAt(p, "%s must not be NULL", name)
	}
	return v, nil
}

// wholeArg reads a whole-number parameter and checks its range.
func wholeArg(p ast.Expr, fn, name string, lo, hi int64) (int64, error) {
	v, err := constantArg(p, name)
	if err != nil {
		return 0, err
	}
	if !v.Kind.IsInteger() {
		return 0, errAt(p, "%s parameter %s must be a whole number, not %s", fn, name, p)
	}
	if v.I < lo || v.I > hi {
		return 0, errAt(p, "%s is %d, must be between %d and %d", name, v.I, lo, hi)
	}
	return v.I, nil
}

// hotspots plans TABLE(HOTSPOTS(...)).
func (qp *queryPlanner) hotspots(call *ast.FuncCall) (Node, error) {
	const usage = "CURSOR(SELECT STREAM ...), windowSize, scanRadius, minimumNumberOfPointsInAHotspot"
	input, cur, err := qp.cursorInput(call, "HOTSPOTS", usage)
	if err != nil {
		return nil, err
	}
	if len(call.Args) != 4 {
		return nil, errAt(call, "HOTSPOTS takes %s", usage)
	}
	node := &Hotspots{Input: input}
	w, err := wholeArg(call.Args[1], "HOTSPOTS", "windowSize", MinHotspotsWindow, MaxHotspotsWindow)
	if err != nil {
		return nil, err
	}
	node.WindowSize = int(w)
	r, err := constantArg(call.Args[2], "scanRadius")
	if err != nil {
		return nil, err
	}
	if !r.Kind.IsNumeric() {
		return nil, errAt(call.Args[2], "HOTSPOTS parameter scanRadius must be a number, not %s", call.Args[2])
	}
	node.ScanRadius = r.Float64()
	if !(node.ScanRadius > 0) || math.IsInf(node.ScanRadius, 0) {
		return nil, errAt(call.Args[2], "scanRadius is %s, must be greater than 0", call.Args[2])
	}
	m, err := wholeArg(call.Args[3], "HOTSPOTS", "minimumNumberOfPointsInAHotspot", 2, w)
	if err != nil {
		return nil, err
	}
	node.MinPoints = int(m)
	for i, col := range input.Columns() {
		if !col.Hidden && col.Type.Kind.IsNumeric() && col.Type.Kind != types.Decimal {
			node.Numeric = append(node.Numeric, i)
		}
	}
	if len(node.Numeric) == 0 {
		return nil, errAt(cur, "HOTSPOTS needs at least one numeric column (DOUBLE, REAL, INTEGER, ...; not DECIMAL) in its cursor")
	}
	node.Cols = append(append([]Column{}, input.Columns()...), Column{Name: "HOTSPOTS_RESULT", Type: types.Type{Kind: types.Varchar, Length: 10000}})
	return node, nil
}

// itemsTumbling plans TABLE(TOP_K_ITEMS_TUMBLING(...)) and
// TABLE(COUNT_DISTINCT_ITEMS_TUMBLING(...)).
func (qp *queryPlanner) itemsTumbling(call *ast.FuncCall, name string) (Node, error) {
	topK := name == "TOP_K_ITEMS_TUMBLING"
	usage := "CURSOR(SELECT STREAM ...), 'columnName', windowSize"
	if topK {
		usage = "CURSOR(SELECT STREAM ...), 'columnName', K, windowSize"
	}
	input, _, err := qp.cursorInput(call, name, usage)
	if err != nil {
		return nil, err
	}
	if want := map[bool]int{true: 4, false: 3}[topK]; len(call.Args) != want {
		return nil, errAt(call, "%s takes %s", name, usage)
	}
	node := &ItemsTumbling{Input: input}
	colArg := call.Args[1]
	if ref, ok := colArg.(*ast.ColumnRef); ok {
		written := ref.Parts[len(ref.Parts)-1].Name
		if i := itemColumn(input.Columns(), written); i >= 0 {
			written = input.Columns()[i].Name
		}
		return nil, errAt(colArg, "%s parameter columnName is a name in single quotes: '%s', not %s", name, written, colArg)
	}
	v, err := constantArg(colArg, "columnName")
	if err != nil {
		return nil, err
	}
	if v.Kind != types.Varchar && v.Kind != types.Char {
		return nil, errAt(colArg, "%s parameter columnName must be a column name in single quotes, such as 'TICKER_SYMBOL', not %s", name, colArg)
	}
	node.Column = itemColumn(input.Columns(), v.S)
	if node.Column < 0 {
		var names []string
		for _, c := range input.Columns() {
			if !c.Hidden {
				names = append(names, c.Name)
			}
		}
		return nil, errAt(colArg, "%s: the cursor has no column '%s' (it has %s)", name, v.S, strings.Join(names, ", "))
	}
	if topK {
		k, err := wholeArg(call.Args[2], name, "K", MinTopK, MaxTopK)
		if err != nil {
			return nil, err
		}
		node.K = int(k)
	}
	secs, err := wholeArg(call.Args[len(call.Args)-1], name, "windowSize", MinItemsWindow, MaxItemsWindow)
	if err != nil {
		return nil, err
	}
	node.Window = secs * 1000
	if topK {
		counted := input.Columns()[node.Column]
		counted.Hidden = false
		node.Cols = []Column{counted, {Name: "MOST_FREQUENT_VALUES", Type: types.Type{Kind: types.BigInt}}}
		// Published applications read the rows as ITEM and ITEM_COUNT
		// (an older name of the columns): both are there by name, never
		// in *, unless the counted column already has the name.
		for i, alias := range []string{"ITEM", "ITEM_COUNT"} {
			if columnIndex(node.Cols, alias) < 0 {
				node.Cols = append(node.Cols, Column{Name: alias, Type: node.Cols[i].Type, Hidden: true})
				node.Aliases = append(node.Aliases, i)
			}
		}
	} else {
		node.Cols = []Column{{Name: "NUMBER_OF_DISTINCT_ITEMS", Type: types.Type{Kind: types.BigInt}}}
	}
	return node, nil
}

// itemColumn finds the named column: as written, or else the one column
// whose name differs only in case.
func itemColumn(cols []Column, name string) int {
	if i := columnIndex(cols, name); i >= 0 {
		return i
	}
	found := -1
	for i, c := range cols {
		if strings.EqualFold(c.Name, name) {
			if found >= 0 {
				return -1
			}
			found = i
		}
	}
	return found
}
