package plan

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/riffle-sql/riffle/sql/ast"
	"github.com/riffle-sql/riffle/sql/types"
)

// Subqueries in expressions (x IN (SELECT ...), EXISTS (SELECT ...), and
// (SELECT ...) as a value) search a reference table, which is finite: a
// stream has no end to search, and is joined instead. The subquery may
// name the outer row's columns (a correlated subquery).
//
// The table's rows are read when the first row needs them, as a join with
// the table reads them when the engine starts: a reloaded table comes with
// a new plan. They are indexed then on the equalities between the table's
// columns and the outer row's (WHERE t.k = s.k), so that a lookup costs
// no more than a join's.

// tableQuery is a planned subquery: SELECT item FROM table WHERE ... .
type tableQuery struct {
	what  string // how it was written, for messages
	table *Table
	base  int // where the table's values start, after the outer row's
	// static holds the conditions on the table's row alone; residual the
	// others that are not equalities to index on.
	static, residual *Expr
	// innerKeys = outerKeys, pair by pair, each compared as keyTypes.
	innerKeys, outerKeys []*Expr
	keyTypes             []keyType
	item                 *Expr // the selected value (IN, scalar)
	itemOuter            bool  // the item reads the outer row
	// in, for x IN (...): how x and the item compare; a set of the items
	// is kept per index entry when inSet.
	in    keyType
	inSet bool

	once  sync.Once
	index map[string]*tableGroup
	err   error
}

// tableGroup is the table's rows (passing the static conditions) of one
// value of the inner keys.
type tableGroup struct {
	rows    [][]types.Value // the table's values: columns, then a NULL ROWTIME
	items   []types.Value   // the item for each row, when it does not read the outer row
	set     map[string]bool // IN: the items, encoded
	hasNull bool            // IN: some item is NULL
}

// keyType is how values of two types that compare are encoded alike.
type keyType struct {
	t    types.Type
	trim bool // CHAR compares blank-padded: trailing blanks do not count
}

func newKeyType(a, b types.Type) (keyType, bool) {
	if _, err := types.Compare(sample(a), sample(b)); err != nil && a.Kind != types.Unknown && b.Kind != types.Unknown {
		return keyType{}, false
	}
	t, err := types.Unify(a, b)
	if err != nil {
		return keyType{}, false
	}
	return keyType{t: t, trim: a.Kind == types.Char || b.Kind == types.Char}, true
}

// appendKey encodes a non-NULL value so that values comparing equal, and
// only they, give the same bytes.
func (k keyType) appendKey(b []byte, v types.Value) ([]byte, error) {
	if k.t.Kind != types.Unknown && (v.Kind != k.t.Kind || v.Kind == types.Decimal) {
		var err error
		if v, err = types.Cast(v, k.t); err != nil {
			return b, err
		}
	}
	if k.trim {
		v.S = strings.TrimRight(v.S, " ")
	}
	if v.F == 0 {
		v.F = 0 // -0 is 0
	}
	b = append(b, byte(v.Kind), byte(v.Scale))
	b = binary.LittleEndian.AppendUint64(b, uint64(v.I))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.F))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(v.S)))
	return append(b, v.S...), nil
}

// subquery plans the query of an IN, EXISTS or scalar subquery, with one
// selected value unless exists.
func (c *compiler) subquery(q ast.Query, what string, exists bool) (*tableQuery, error) {
	if c.qp == nil {
		return nil, errAt(q, "%s: a subquery is not allowed here", what)
	}
	s, ok := q.(*ast.Select)
	if !ok {
		return nil, errAt(q, "%s: the subquery must be one SELECT from a reference table", what)
	}
	if len(s.From) != 1 {
		return nil, errAt(s, "%s: the subquery reads one reference table (no joins)", what)
	}
	nt, ok := s.From[0].(*ast.NamedTable)
	if !ok || len(nt.Name) != 1 {
		return nil, errAt(s.From[0], "%s: the subquery reads one reference table (no joins, subqueries or table functions)", what)
	}
	name := nt.Name[0].Name
	tb, ok := c.qp.g.table(name)
	if !ok {
		if _, stream := c.qp.g.stream(name); stream || c.qp.g.views[name] != nil {
			return nil, errAt(nt, "%s reads the stream %s: a subquery can only search a reference table (a stream has no end to search); join the stream instead, with a window: ... JOIN %s OVER (RANGE INTERVAL '1' MINUTE PRECEDING) ON ...", what, nt.Name[0], nt.Name[0])
		}
		return nil, errAt(nt, "unknown reference table %s", nt.Name[0])
	}
	switch {
	case nt.Over != nil:
		return nil, errAt(nt.Over, "a table takes no window")
	case len(s.GroupBy) > 0 || s.Stagger != nil || s.Having != nil || hasAggregate(s):
		return nil, errAt(s, "%s: aggregates and GROUP BY in a subquery are not supported", what)
	case len(s.Windows) > 0 || hasWindowed(s):
		return nil, errAt(s, "%s: windows in a subquery are not supported", what)
	case len(s.OrderBy) > 0:
		return nil, errAt(s, "%s: ORDER BY in a subquery means nothing", what)
	case !exists && (len(s.Items) != 1 || s.Items[0].Star):
		return nil, errAt(s, "%s: the subquery must select one value", what)
	}
	inner := &scope{outer: c.scope, base: c.scope.width()}
	alias := name
	if nt.Alias != nil {
		alias = nt.Alias.Name
	}
	if len(nt.ColumnAliases) > 0 {
		return nil, errAt(nt, "%s: column aliases on the table are not supported", what)
	}
	inner.add(alias, tb.Columns)
	ic := &compiler{scope: inner, qp: c.qp}
	tq := &tableQuery{what: what, table: tb, base: inner.base}
	var static, residual []*Expr
	for _, cond := range conjuncts(s.Where) {
		e, usedOuter, err := ic.tracked(cond)
		if err != nil {
			return nil, err
		}
		if e.Type.Kind != types.Boolean && e.Type.Kind != types.Unknown {
			return nil, errAt(cond, "WHERE needs a boolean condition, not %s", e.Type)
		}
		if !usedOuter {
			static = append(static, e)
			continue
		}
		if in, out, kt, ok := ic.equality(cond); ok {
			tq.innerKeys, tq.outerKeys, tq.keyTypes = append(tq.innerKeys, in), append(tq.outerKeys, out), append(tq.keyTypes, kt)
			continue
		}
		residual = append(residual, e)
	}
	tq.static, tq.residual = allOf(static), allOf(residual)
	if !exists {
		item, usedOuter, err := ic.tracked(s.Items[0].Expr)
		if err != nil {
			return nil, err
		}
		tq.item, tq.itemOuter = item, usedOuter
	}
	return tq, nil
}

// tracked compiles an expression in a subquery's scope and tells whether
// it reads the outer row.
func (c *compiler) tracked(n ast.Expr) (*Expr, bool, error) {
	c.scope.usedOuter = false
	e, err := c.compile(n)
	return e, c.scope.usedOuter, err
}

// equality splits inner = outer (either way round) into the side reading
// only the table's row and the side not reading it.
func (c *compiler) equality(n ast.Expr) (inner, outer *Expr, kt keyType, ok bool) {
	b, isEq := n.(*ast.Binary)
	if !isEq || b.Op != "=" {
		return nil, nil, kt, false
	}
	side := func(x ast.Expr) (*Expr, bool, bool) {
		c.scope.usedOwn, c.scope.usedOuter = false, false
		e, err := c.compile(x)
		return e, c.scope.usedOwn, c.scope.usedOuter || err != nil
	}
	l, lOwn, lOuter := side(b.L)
	r, rOwn, rOuter := side(b.R)
	switch {
	case lOwn && !lOuter && !rOwn && l != nil && r != nil:
		inner, outer = l, r
	case rOwn && !rOuter && !lOwn && l != nil && r != nil:
		inner, outer = r, l
	default:
		return nil, nil, kt, false
	}
	kt, ok = newKeyType(inner.Type, outer.Type)
	return inner, outer, kt, ok
}

// conjuncts splits a condition at its ANDs.
func conjuncts(e ast.Expr) []ast.Expr {
	if e == nil {
		return nil
	}
	if b, ok := e.(*ast.Binary); ok && b.Op == "AND" {
		return append(conjuncts(b.L), conjuncts(b.R)...)
	}
	return []ast.Expr{e}
}

// allOf is the conjunction of conditions already compiled; nil for none.
func allOf(conds []*Expr) *Expr {
	if len(conds) == 0 {
		return nil
	}
	return derived(types.Type{Kind: types.Boolean}, false, func(env *Env) (types.Value, error) {
		for _, cond := range conds {
			v, err := cond.Eval(env)
			if err != nil || !v.True() {
				return types.Bool(false), err
			}
		}
		return types.Bool(true), nil
	}, conds...)
}

// build reads the table once: its rows that pass the static conditions,
// indexed by the inner keys. start is the application's start on its
// clock (CURRENT_TIMESTAMP in a condition), the same for every row.
func (q *tableQuery) build(start int64) {
	q.index = map[string]*tableGroup{}
	var key []byte
	for n, row := range q.table.Rows {
		vals := make([]types.Value, q.base+len(row)+1)
		copy(vals[q.base:], row)
		vals[len(vals)-1] = types.NullOf(types.Timestamp)
		env := &Env{Values: vals, Start: start}
		fail := func(err error) {
			q.err = fmt.Errorf("%s: reference table %s, row %d: %w", q.what, q.table.Name, n+1, err)
		}
		if q.static != nil {
			v, err := q.static.Eval(env)
			if err != nil {
				fail(err)
				return
			}
			if !v.True() {
				continue
			}
		}
		var ok bool
		var err error
		if key, ok, err = q.appendKeys(key[:0], q.innerKeys, env); err != nil {
			fail(err)
			return
		} else if !ok {
			continue // a NULL key equals nothing
		}
		g := q.index[string(key)]
		if g == nil {
			g = &tableGroup{}
			if q.inSet {
				g.set = map[string]bool{}
			}
			q.index[string(key)] = g
		}
		g.rows = append(g.rows, vals[q.base:])
		if q.item == nil || q.itemOuter {
			continue
		}
		item, err := q.item.Eval(env)
		if err != nil {
			fail(err)
			return
		}
		g.items = append(g.items, item)
		if q.inSet {
			if item.Null {
				g.hasNull = true
				continue
			}
			b, err := q.in.appendKey(nil, item)
			if err != nil {
				fail(err)
				return
			}
			g.set[string(b)] = true
		}
	}
}

// appendKeys encodes the keys' values; ok is false when one is NULL.
func (q *tableQuery) appendKeys(b []byte, keys []*Expr, env *Env) ([]byte, bool, error) {
	for i, k := range keys {
		v, err := k.Eval(env)
		if err != nil || v.Null {
			return b, false, err
		}
		if b, err = q.keyTypes[i].appendKey(b, v); err != nil {
			return b, false, err
		}
	}
	return b, true, nil
}

// group finds the table rows whose inner keys equal the outer row's (nil
// when none).
func (q *tableQuery) group(env *Env) (*tableGroup, error) {
	q.once.Do(func() { q.build(env.Start) })
	if q.err != nil {
		return nil, q.err
	}
	key, ok, err := q.appendKeys(nil, q.outerKeys, env)
	if err != nil || !ok {
		return nil, err
	}
	return q.index[string(key)], nil
}

// each calls fn with the table rows that match the outer row (all its
// conditions TRUE) and their items, until fn returns false.
func (q *tableQuery) each(env *Env, fn func(item types.Value) bool) error {
	g, err := q.group(env)
	if err != nil || g == nil {
		return err
	}
	var inner *Env
	for i, row := range g.rows {
		if q.residual != nil || q.itemOuter {
			vals := make([]types.Value, q.base, q.base+len(row))
			copy(vals, env.Values[:min(q.base, len(env.Values))])
			inner = &Env{Time: env.Time, Start: env.Start, Values: append(vals, row...)}
		}
		if q.residual != nil {
			v, err := q.residual.Eval(inner)
			if err != nil {
				return err
			}
			if !v.True() {
				continue
			}
		}
		var item types.Value
		switch {
		case q.item == nil:
		case q.itemOuter:
			if item, err = q.item.Eval(inner); err != nil {
				return err
			}
		default:
			item = g.items[i]
		}
		if !fn(item) {
			return nil
		}
	}
	return nil
}

// subqueryExpr is a value computed from a subquery, which reads the
// table's rows: never monotonic.
func subqueryExpr(t types.Type, eval func(*Env) (types.Value, error), parts ...*Expr) *Expr {
	e := derived(t, false, eval, parts...)
	e.usesColumns = true
	return e
}

// inSubquery plans x [NOT] IN (SELECT item FROM table ...) and
// x [NOT] IN (VALUES (a), (b) ...).
func (c *compiler) inSubquery(n *ast.InList) (*Expr, error) {
	if v, ok := n.Query.(*ast.Values); ok {
		list := &ast.InList{Pos: n.Pos, X: n.X, Not: n.Not}
		for _, row := range v.Rows {
			if len(row) != 1 {
				return nil, errAt(v, "IN (VALUES ...) takes rows of one value, not %d", len(row))
			}
			list.List = append(list.List, row[0])
		}
		return c.inList(list)
	}
	x, err := c.compile(n.X)
	if err != nil {
		return nil, err
	}
	q, err := c.subquery(n.Query, "IN (SELECT ...)", false)
	if err != nil {
		return nil, err
	}
	kt, ok := newKeyType(x.Type, q.item.Type)
	if !ok {
		return nil, errAt(n, "cannot compare %s with %s", x.Type, q.item.Type)
	}
	q.in, q.inSet = kt, q.residual == nil && !q.itemOuter
	boolean := types.Type{Kind: types.Boolean}
	result := func(v types.Value) types.Value {
		if !v.Null && n.Not {
			return types.Bool(v.I == 0)
		}
		return v
	}
	return subqueryExpr(boolean, func(env *Env) (types.Value, error) {
		xv, err := x.Eval(env)
		if err != nil {
			return xv, err
		}
		if q.inSet {
			g, err := q.group(env)
			switch {
			case err != nil:
				return types.Value{}, err
			case g == nil || len(g.rows) == 0:
				return result(types.Bool(false)), nil
			case xv.Null:
				return types.NullOf(types.Boolean), nil
			}
			b, err := q.in.appendKey(nil, xv)
			switch {
			case err != nil:
				return types.Value{}, err
			case g.set[string(b)]:
				return result(types.Bool(true)), nil
			case g.hasNull:
				return types.NullOf(types.Boolean), nil
			}
			return result(types.Bool(false)), nil
		}
		// x IN S: TRUE if x equals an item; else NULL if x or an item is
		// NULL (S not empty); else FALSE.
		matched, unknown, found := false, false, false
		var cmpErr error
		err = q.each(env, func(item types.Value) bool {
			matched = true
			if xv.Null || item.Null {
				unknown = true
				return true
			}
			c, err := types.Compare(xv, item)
			if err != nil {
				cmpErr = err
				return false
			}
			found = c == 0
			return !found
		})
		switch {
		case err != nil || cmpErr != nil:
			return types.Value{}, firstErr(err, cmpErr)
		case found:
			return result(types.Bool(true)), nil
		case matched && unknown:
			return types.NullOf(types.Boolean), nil
		}
		return result(types.Bool(false)), nil
	}, x), nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// exists plans EXISTS (SELECT ... FROM table WHERE ...).
func (c *compiler) exists(n *ast.Exists) (*Expr, error) {
	q, err := c.subquery(n.Query, "EXISTS (SELECT ...)", true)
	if err != nil {
		return nil, err
	}
	return subqueryExpr(types.Type{Kind: types.Boolean}, func(env *Env) (types.Value, error) {
		found := false
		err := q.each(env, func(types.Value) bool {
			found = true
			return false
		})
		return types.Bool(found), err
	}), nil
}

// scalarSubquery plans (SELECT item FROM table WHERE ...) as a value: NULL
// when no row matches, an error when more than one does.
func (c *compiler) scalarSubquery(n *ast.ScalarQuery) (*Expr, error) {
	q, err := c.subquery(n.Query, "(SELECT ...)", false)
	if err != nil {
		return nil, err
	}
	t := q.item.Type
	return subqueryExpr(t, func(env *Env) (types.Value, error) {
		result, rows := types.NullOf(t.Kind), 0
		err := q.each(env, func(item types.Value) bool {
			result, rows = item, rows+1
			return rows < 2
		})
		if err == nil && rows > 1 {
			err = fmt.Errorf("(SELECT ...) used as a value: more than one row of %s matches", q.table.Name)
		}
		return result, err
	}), nil
}
