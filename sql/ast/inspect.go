package ast

import "fmt"

// Children calls f on each sub-expression of e written in the SQL (nil,
// unwritten parts are skipped), in the order they are written. The
// expressions of a call's window (OVER (PARTITION BY ... ORDER BY ...
// ROWS n PRECEDING)) are children of the call.
//
// Children does not enter subqueries (EXISTS (...), (SELECT ...) as a
// value, IN (SELECT ...), CURSOR(...)): a subquery is a query of its own,
// with its own scope, aggregates and windows, planned as a query.
//
// Every node kind that implements Expr has a case here; a new kind must
// be added to this switch (and to the samples of TestChildrenKnowsEveryExpr,
// which fails until both are done).
func Children(e Expr, f func(Expr)) {
	each := func(xs ...Expr) {
		for _, x := range xs {
			if x != nil {
				f(x)
			}
		}
	}
	switch e := e.(type) {
	case nil:
	case *Literal, *IntervalLit, *ColumnRef:
		// leaves
	case *Exists, *ScalarQuery, *Cursor:
		// a subquery: not entered
	case *IntervalConv:
		each(e.X)
	case *Unary:
		each(e.X)
	case *Binary:
		each(e.L, e.R)
	case *IsNull:
		each(e.X)
	case *IsTruth:
		each(e.X)
	case *IsDistinct:
		each(e.L, e.R)
	case *InList:
		each(e.X)
		each(e.List...) // IN (query) is a subquery: not entered
	case *Between:
		each(e.X, e.Lo, e.Hi)
	case *Like:
		each(e.X, e.Pattern, e.Escape)
	case *Case:
		each(e.Operand)
		for _, w := range e.Whens {
			each(w.Cond, w.Result)
		}
		each(e.Else)
	case *Cast:
		each(e.X)
	case *FuncCall:
		each(e.Args...)
		if w := e.Over; w != nil {
			each(w.PartitionBy...)
			for _, o := range w.OrderBy {
				each(o.Expr)
			}
			if w.Frame != nil {
				each(w.Frame.Start.Offset)
				if w.Frame.End != nil {
					each(w.Frame.End.Offset)
				}
			}
		}
	case *FloorCeil:
		each(e.X)
	case *Step:
		each(e.X, e.Interval)
	case *Extract:
		each(e.X)
	case *Substring:
		each(e.X, e.From, e.For)
	case *Position:
		each(e.Needle, e.Haystack, e.From)
	case *Trim:
		each(e.Chars, e.X)
	case *Overlay:
		each(e.X, e.Placing, e.From, e.For)
	case *Period:
		each(e.Start, e.End)
	case *PeriodPredicate:
		each(e.Operands...)
	default:
		// Unreachable while TestChildrenKnowsEveryExpr passes.
		panic(fmt.Sprintf("ast.Children: %T is not handled: add it to the switch in sql/ast/inspect.go", e))
	}
}

// Inspect walks an expression tree depth-first, parent before children:
// it calls visit(n) for e and, when visit returns true, inspects n's
// children (see Children: subqueries are not entered). A nil e is not
// visited.
func Inspect(e Expr, visit func(Expr) bool) {
	// An explicit stack, not recursion: a chain of 100,000 terms is a tree
	// 100,000 deep. Children are pushed in reverse so that they are visited
	// in order, as a recursive walk would.
	stack := []Expr{e}
	var kids []Expr
	for len(stack) > 0 {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if e == nil || !visit(e) {
			continue
		}
		kids = kids[:0]
		Children(e, func(c Expr) { kids = append(kids, c) })
		for i := len(kids) - 1; i >= 0; i-- {
			stack = append(stack, kids[i])
		}
	}
}
