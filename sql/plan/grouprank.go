package plan

import (
	"math"
	"strings"

	"github.com/riffle-sql/riffle/sql/ast"
	"github.com/riffle-sql/riffle/sql/types"
)

// GroupRank is TABLE(GROUP_RANK(CURSOR(...), 'rankByColumnName',
// 'rankOutColumnName', 'sortOrder', 'outputOrder', maxIdle, outputMax)):
// the rows of each ROWTIME, gathered until the clock passes that time,
// ranked by one column (RANK(): ties share a rank, a gap follows) and
// emitted in rank order, each with its rank and its own ROWTIME.
type GroupRank struct {
	Input Node
	By    int  // the ranked input column
	Desc  bool // sortOrder 'desc': the highest value ranks 1
	// OutDesc is outputOrder 'desc': the highest rank comes out first.
	OutDesc bool
	Max     int   // outputMax: at most this many rows a group; 0, all
	MaxIdle int64 // ms; checked only: the clock ends every group on time
	// Out is the column that holds the rank: the last one when the rank is
	// a column of its own, or an INTEGER column of the cursor it replaces.
	Out   int
	Added bool
	Cols  []Column
}

func (n *GroupRank) Columns() []Column { return n.Cols }

// groupRank plans TABLE(GROUP_RANK(...)).
func (qp *queryPlanner) groupRank(call *ast.FuncCall) (Node, error) {
	const fn = "GROUP_RANK"
	const usage = "CURSOR(SELECT STREAM ...), 'rankByColumnName', 'rankOutColumnName', 'sortOrder', 'outputOrder', maxIdle, outputMax"
	input, _, err := qp.cursorInput(call, fn, usage)
	if err != nil {
		return nil, err
	}
	if len(call.Args) != 7 {
		return nil, errAt(call, "%s takes %s", fn, usage)
	}
	cols := input.Columns()
	node := &GroupRank{Input: input}
	by, err := nameArg(call.Args[1], fn, "rankByColumnName", cols)
	if err != nil {
		return nil, err
	}
	node.By = itemColumn(cols, by)
	if node.By < 0 {
		return nil, errAt(call.Args[1], "%s: the cursor has no column '%s' to rank by (it has %s)", fn, by, visibleNames(cols))
	}
	out, err := nameArg(call.Args[2], fn, "rankOutColumnName", cols)
	if err != nil {
		return nil, err
	}
	if out == "" {
		return nil, errAt(call.Args[2], "%s parameter rankOutColumnName must name the rank's column, such as 'groupRank'", fn)
	}
	for i, order := range []*bool{&node.Desc, &node.OutDesc} {
		name := []string{"sortOrder", "outputOrder"}[i]
		v, err := constantArg(call.Args[3+i], name)
		if err != nil {
			return nil, err
		}
		switch s := strings.ToLower(strings.TrimSpace(v.S)); {
		case !v.Kind.IsString():
			return nil, errAt(call.Args[3+i], "%s parameter %s is 'asc' or 'desc', not %s", fn, name, call.Args[3+i])
		case s == "asc":
		case s == "desc":
			*order = true
		case i == 1:
			return nil, errAt(call.Args[3+i], "%s parameter outputOrder is 'asc' or 'desc' (rows by ascending or descending rank), not '%s': the reference names no value for rows in the order received", fn, v.S)
		default:
			return nil, errAt(call.Args[3+i], "%s parameter sortOrder is 'asc' or 'desc', not '%s'", fn, v.S)
		}
	}
	if node.MaxIdle, err = wholeArg(call.Args[5], fn, "maxIdle", 0, math.MaxInt32); err != nil {
		return nil, err
	}
	maxRows, err := wholeArg(call.Args[6], fn, "outputMax", 0, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	node.Max = int(maxRows)
	node.Cols = append([]Column(nil), cols...)
	node.Out = columnIndex(cols, out)
	switch {
	case node.Out < 0:
		node.Out, node.Added = len(cols), true
		node.Cols = append(node.Cols, Column{Name: out, Type: types.Type{Kind: types.Integer}})
	case cols[node.Out].Type.Kind != types.Integer:
		return nil, errAt(call.Args[2], "%s: the cursor's column %q is %s: the rank (INTEGER) can only replace an INTEGER column; name another column for it", fn, out, cols[node.Out].Type)
	default:
		// The rank replaces the cursor's value; it is no longer a time key.
		node.Cols[node.Out] = Column{Name: out, Type: cols[node.Out].Type, Hidden: cols[node.Out].Hidden}
	}
	return node, nil
}

// nameArg reads a table function's column-name parameter, a name in
// single quotes.
func nameArg(p ast.Expr, fn, param string, cols []Column) (string, error) {
	if ref, ok := p.(*ast.ColumnRef); ok {
		written := ref.Parts[len(ref.Parts)-1].Name
		if i := itemColumn(cols, written); i >= 0 {
			written = cols[i].Name
		}
		return "", errAt(p, "%s parameter %s is a name in single quotes: '%s', not %s", fn, param, written, p)
	}
	v, err := constantArg(p, param)
	if err != nil {
		return "", err
	}
	if !v.Kind.IsString() {
		return "", errAt(p, "%s parameter %s must be a column name in single quotes, not %s", fn, param, p)
	}
	return v.S, nil
}

func visibleNames(cols []Column) string {
	var names []string
	for _, c := range cols {
		if !c.Hidden {
			names = append(names, c.Name)
		}
	}
	return strings.Join(names, ", ")
}
