package plan

import (
	"regexp"
	"strings"

	"github.com/riffle-sql/riffle/sql/ast"
	"github.com/riffle-sql/riffle/sql/types"
)

// between is x [NOT] BETWEEN [SYMMETRIC] lo AND hi: lo <= x AND x <= hi;
// SYMMETRIC also accepts the bounds the other way round.
func (c *compiler) between(n *ast.Between) (*Expr, error) {
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
	return c.compile(cond)
}

// isTruth is x IS [NOT] TRUE | FALSE | UNKNOWN: never NULL.
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
		default:
			is = v.Null
		}
		return types.Bool(is != n.Not), nil
	}, x), nil
}

// isDistinct is l IS [NOT] DISTINCT FROM r: a comparison where NULL equals
// NULL and differs from every value; never NULL.
func (c *compiler) isDistinct(n *ast.IsDistinct) (*Expr, error) {
	l, err := c.compile(n.L)
	if err != nil {
		return nil, err
	}
	r, err := c.compile(n.R)
	if err != nil {
		return nil, err
	}
	if err := checkComparable(n, l.Type, r.Type); err != nil {
		return nil, err
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

// substringSimilar is SUBSTRING(s SIMILAR pattern ESCAPE e): the pattern
// is three SIMILAR TO patterns separated by e", and the result is the part
// of s that the middle one matches where the three match in a row (the
// first such place, the part before it as short as it can be); NULL when
// they match nowhere. The reference's
// example, '123456789' SIMILAR '23#"456#"78' ESCAPE '#', gives '456'.
func (c *compiler) substringSimilar(n *ast.Substring) (*Expr, error) {
	x, err := c.compile(n.X)
	if err != nil {
		return nil, err
	}
	if !x.Type.Kind.IsString() && x.Type.Kind != types.Unknown {
		return nil, errAt(n, "SUBSTRING takes a string, not %s", x.Type)
	}
	pat, ok := n.From.(*ast.Literal)
	if !ok || pat.Kind != ast.StringLit {
		return nil, errAt(n.From, "the SIMILAR pattern must be a string literal for now")
	}
	esc, ok := n.For.(*ast.Literal)
	if !ok || esc.Kind != ast.StringLit || len([]rune(esc.Text)) != 1 {
		return nil, errAt(n.For, "ESCAPE takes one character")
	}
	parts := strings.Split(pat.Text, esc.Text+`"`)
	if len(parts) != 3 {
		return nil, errAt(n.From, "the SIMILAR pattern needs three parts separated by %s\" (before, the part returned, after)", esc.Text)
	}
	var body [3]string
	for i, p := range parts {
		if body[i], err = patternRegexp(p, esc.Text, true); err != nil {
			return nil, errAt(n.From, "%v", err)
		}
	}
	re, err := regexp.Compile("(?s)(?U:" + body[0] + ")(" + body[1] + ")" + body[2])
	if err != nil {
		return nil, errAt(n.From, "%v", err)
	}
	t := types.Type{Kind: types.Varchar, Length: max(x.Type.Length, 1)}
	return derived(t, false, func(env *Env) (types.Value, error) {
		v, err := x.Eval(env)
		if err != nil || v.Null {
			return types.NullOf(types.Varchar), err
		}
		m := re.FindStringSubmatch(v.S)
		if m == nil {
			return types.NullOf(types.Varchar), nil
		}
		return types.Str(types.Varchar, m[1]), nil
	}, x), nil
}

// stepInteger is STEP(n BY k) for integers: the largest multiple of the
// constant k > 0 not above n (STEP(23 BY 5) = 20).
func (c *compiler) stepInteger(n *ast.Step, x, by *Expr) (*Expr, error) {
	k, ok := constantValue(by)
	if !ok || !by.Type.Kind.IsInteger() || k.Null || k.I <= 0 {
		return nil, errAt(n.Interval, "STEP of an integer takes a positive whole number after BY")
	}
	size := k.I
	return derived(x.Type, x.monotonic, func(env *Env) (types.Value, error) {
		v, err := x.Eval(env)
		if err != nil || v.Null {
			return v, err
		}
		v.I = roundTo(v.I, size, false)
		return v, nil
	}, x), nil
}

// renameColumns applies a FROM item's column alias list, AS t(c1, ...):
// one name per column, a ROW counting as one (ROWTIME and hidden columns
// such as APPROXIMATE_ARRIVAL_TIME keep theirs), in the scope the item
// just entered and in the node's columns.
func renameColumns(t ast.TableRef, n Node, sc *scope) (Node, error) {
	var aliases []ast.Ident
	switch t := t.(type) {
	case *ast.NamedTable:
		aliases = t.ColumnAliases
	case *ast.Subquery:
		aliases = t.ColumnAliases
	case *ast.TableFunction:
		aliases = t.ColumnAliases
	}
	if len(aliases) == 0 {
		return n, nil
	}
	renamed, want := renameLogical(n.Columns(), aliases)
	if renamed == nil {
		return nil, errAt(t, "%d column names for %d columns", len(aliases), want)
	}
	sc.rels[len(sc.rels)-1].columns = renamed
	switch in := n.(type) {
	case *Windowed: // keep the window on top, for the join to take
		return &Windowed{Input: &Renamed{Input: in.Input, Cols: renamed}, Window: in.Window}, nil
	case *TableScan: // keep the table a table, for the join to read
		tb := *in.Table
		tb.Columns = renamed
		return &TableScan{Table: &tb}, nil
	}
	return &Renamed{Input: n, Cols: renamed}, nil
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
