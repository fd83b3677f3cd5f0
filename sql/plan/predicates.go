package plan

import (
	"github.com/riffle-sql/riffle/sql/ast"
	"github.com/riffle-sql/riffle/sql/types"
)

// isTruth compiles x IS [NOT] TRUE|FALSE|UNKNOWN: never NULL.
func (c *compiler) isTruth(n *ast.IsTruth) (*Expr, error) {
	x, err := c.compile(n.X)
	if err != nil {
		return nil, err
	}
	if x.Type.Kind != types.Boolean && x.Type.Kind != types.Unknown {
		return nil, errAt(n, "IS %s takes a boolean, not %s", n.Value, x.Type)
	}
	return derived(types.Type{Kind: types.Boolean}, false, func(env *Env) (types.Value, error) {
		v, err := x.Eval(env)
		if err != nil {
			return v, err
		}
		var is bool
		switch n.Value {
		case "TRUE":
			is = !v.Null && v.I != 0
		case "FALSE":
			is = !v.Null && v.I == 0
		default: // UNKNOWN
			is = v.Null
		}
		return types.Bool(is != n.Not), nil
	}, x), nil
}

// isDistinct compiles l IS [NOT] DISTINCT FROM r: = with NULL equal to
// NULL and never NULL itself.
func (c *compiler) isDistinct(n *ast.IsDistinct) (*Expr, error) {
	l, err := c.compile(n.L)
	if err != nil {
		return nil, err
	}
	r, err := c.compile(n.R)
	if err != nil {
		return nil, err
	}
	if _, err := types.Compare(sample(l.Type), sample(r.Type)); err != nil && l.Type.Kind != types.Unknown && r.Type.Kind != types.Unknown {
		return nil, errAt(n, "cannot compare %s with %s", l.Type, r.Type)
	}
	return derived(types.Type{Kind: types.Boolean}, false, func(env *Env) (types.Value, error) {
		a, err := l.Eval(env)
		if err != nil {
			return a, err
		}
		b, err := r.Eval(env)
		if err != nil {
			return b, err
		}
		distinct := a.Null != b.Null
		if !a.Null && !b.Null {
			c, err := types.Compare(a, b)
			if err != nil {
				return types.Value{}, err
			}
			distinct = c != 0
		}
		return types.Bool(distinct != n.Not), nil
	}, l, r), nil
}

// betweenCond rewrites x [NOT] BETWEEN [SYMMETRIC] lo AND hi as
// comparisons: lo <= x <= hi, or either way round when SYMMETRIC.
func betweenCond(n *ast.Between) ast.Expr {
	within := func(lo, hi ast.Expr) ast.Expr {
		return &ast.Binary{Pos: n.Pos, Op: "AND",
			L: &ast.Binary{Pos: n.Pos, Op: ">=", L: n.X, R: lo},
			R: &ast.Binary{Pos: n.Pos, Op: "<=", L: n.X, R: hi}}
	}
	cond := within(n.Lo, n.Hi)
	if n.Symmetric {
		cond = &ast.Binary{Pos: n.Pos, Op: "OR", L: cond, R: within(n.Hi, n.Lo)}
	}
	if n.Not {
		cond = &ast.Unary{Pos: n.Pos, Op: "NOT", X: cond}
	}
	return cond
}

// positiveConstant tells an expression of no column and no ROWTIME whose
// value is a number above zero.
func positiveConstant(e *Expr) bool {
	if e.usesColumns || e.usesRowtime || !e.Type.Kind.IsNumeric() {
		return false
	}
	v, err := e.Eval(&Env{})
	return err == nil && !v.Null && v.Float64() > 0
}
