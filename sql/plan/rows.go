package plan

import (
	"errors"
	"fmt"

	"github.com/riffle-sql/riffle/sql/ast"
	"github.com/riffle-sql/riffle/sql/logparse"
	"github.com/riffle-sql/riffle/sql/types"
)

// ROW values are the results of the log-parsing functions. Riffle never
// holds one as a single value: a select item that calls such a function
// gives one column per field, each marked with the item's name (Column.Row),
// so that the query above reads them as alias.row.field. A ROW cannot be
// stored in a stream column, compared, or selected whole.

// ErrNoRow, from a ROW expression, drops the row without an error.
var ErrNoRow = logparse.ErrNoRow

// rowCallOf tells a select item that calls a log-parsing function.
func rowCallOf(e ast.Expr) (*ast.FuncCall, *logparse.Function) {
	f, ok := e.(*ast.FuncCall)
	if !ok || f.Over != nil || f.Star || f.Distinct {
		return nil, nil
	}
	fn, ok := logparse.Lookup(f.Name[len(f.Name)-1].Name)
	if !ok {
		return nil, nil
	}
	return f, fn
}

// rowItem compiles a log-parsing call in a select list: what computes its
// fields, placeholders for them, and their columns under the item's name.
func (c *compiler) rowItem(f *ast.FuncCall, fn *logparse.Function, name string) (RowItem, []*Expr, []Column, error) {
	if len(f.Args) < fn.MinArgs || len(f.Args) > fn.MaxArgs {
		if fn.MinArgs == fn.MaxArgs {
			return RowItem{}, nil, nil, errAt(f, "%s takes %d argument(s), not %d", fn.Name, fn.MinArgs, len(f.Args))
		}
		return RowItem{}, nil, nil, errAt(f, "%s takes %d to %d arguments, not %d", fn.Name, fn.MinArgs, fn.MaxArgs, len(f.Args))
	}
	args := make([]*Expr, len(f.Args))
	for i, a := range f.Args {
		e, err := c.compile(a)
		if err != nil {
			return RowItem{}, nil, nil, err
		}
		args[i] = e
	}
	consts := constants(args)
	in := make([]logparse.Arg, len(args))
	for i, a := range args {
		in[i] = logparse.Arg{Type: a.Type, Const: consts[i]}
	}
	call, err := fn.Prepare(in)
	if err != nil {
		return RowItem{}, nil, nil, argError(f, fn.Name, err)
	}
	width := len(call.Fields)
	item := RowItem{Width: width}
	item.Eval = func(env *Env, out []types.Value) error {
		vals := make([]types.Value, len(args))
		for i, a := range args {
			v, err := a.Eval(env)
			if err != nil {
				return err
			}
			vals[i] = v
		}
		if err := call.Parse(vals, out); err != nil && !errors.Is(err, ErrNoRow) {
			return fmt.Errorf("%s: %w", fn.Name, err)
		} else if err != nil {
			return err
		}
		return nil
	}
	exprs := make([]*Expr, width)
	cols := make([]Column, width)
	for i, fd := range call.Fields {
		cols[i] = Column{Name: fd.Name, Type: fd.Type, Row: name}
		exprs[i] = derived(fd.Type, false, nil, args...)
		exprs[i].Source = f.String()
	}
	return item, exprs, cols, nil
}

// hasRow tells columns holding a ROW's fields.
func hasRow(cols []Column) (Column, bool) {
	for _, c := range cols {
		if c.Row != "" {
			return c, true
		}
	}
	return Column{}, false
}

// renameLogical applies a column list (a view's, or a FROM item's AS
// t(a, b)) to a query's columns: a ROW counts as one column, and its new
// name goes to all its fields; hidden columns (APPROXIMATE_ARRIVAL_TIME)
// keep their names and are not counted. It returns the number of columns
// the list had to name when that is not len(names).
func renameLogical(cols []Column, names []ast.Ident) ([]Column, int) {
	type logical struct{ from, to int }
	var groups []logical
	for i := 0; i < len(cols); i++ {
		if cols[i].Hidden {
			continue
		}
		j := i + 1
		for cols[i].Row != "" && j < len(cols) && cols[j].Row == cols[i].Row {
			j++
		}
		groups = append(groups, logical{i, j})
		i = j - 1
	}
	if len(groups) != len(names) {
		return nil, len(groups)
	}
	out := make([]Column, len(cols))
	copy(out, cols)
	for k, g := range groups {
		for i := g.from; i < g.to; i++ {
			if out[i].Row != "" {
				out[i].Row = names[k].Name
			} else {
				out[i].Name = names[k].Name
			}
		}
	}
	return out, len(names)
}

// storeError refuses a query that gives a ROW when its rows go into a
// stream.
func storeError(cols []Column) error {
	c, ok := hasRow(cols)
	if !ok {
		return nil
	}
	return fmt.Errorf("the query's value %s is a ROW (the result of a log-parsing function), which a stream column cannot hold: select its fields in an outer query, as SELECT STREAM t.%s.%s FROM (...) AS t",
		ast.Ident{Name: c.Row}, ast.Ident{Name: c.Row}, ast.Ident{Name: c.Name})
}
