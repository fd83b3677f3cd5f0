package plan

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/riffle-sql/riffle/rcf"
	"github.com/riffle-sql/riffle/sql/ast"
	"github.com/riffle-sql/riffle/sql/functions"
	"github.com/riffle-sql/riffle/sql/types"
)

// queryPlanner plans the queries of one pump.
type queryPlanner struct {
	g    *Graph
	pump string
	// seed is the pump's RANDOM_CUT_FOREST seed; each forest in the pump
	// takes the next value.
	seed uint64
	// windows are the WINDOW clause of the SELECT being planned: a stream
	// in its FROM may take one (FROM s OVER w JOIN ...).
	windows []ast.NamedWindow
}

func (qp *queryPlanner) query(q ast.Query) (Node, error) {
	switch q := q.(type) {
	case *ast.Select:
		return qp.selectQuery(q)
	case *ast.SetOp:
		return qp.union(q)
	case *ast.Values:
		return nil, errAt(q, "VALUES is not supported yet")
	}
	return nil, fmt.Errorf("unknown query %T", q)
}

func (qp *queryPlanner) selectQuery(s *ast.Select) (Node, error) {
	if len(s.From) == 0 {
		return nil, errAt(s, "a streaming query needs FROM")
	}
	var node Node
	sc := &scope{}
	outerWindows := qp.windows
	qp.windows = s.Windows
	defer func() { qp.windows = outerWindows }()
	for i, from := range s.From {
		n, err := qp.from(from, sc)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			node = n
		} else {
			node = joinOf(node, n, "CROSS")
		}
	}
	if j, ok := node.(*Join); !ok || j.Kind == "" {
		if w := windowOf(node); w != nil {
			return nil, errAt(s, "OVER in FROM windows one side of a join; a single stream takes its window in the select list")
		}
		if _, ok := node.(*TableScan); ok {
			return nil, errAt(s, "a reference table is only read joined to a stream")
		}
	}
	if err := checkTableJoins(node); err != nil {
		return nil, errAt(s, "%v", err)
	}
	if err := checkFollowing(node); err != nil {
		return nil, errAt(s, "%v", err)
	}
	c := &compiler{scope: sc, qp: qp}
	if s.Where != nil {
		cond, err := c.compile(s.Where)
		if err != nil {
			return nil, err
		}
		if cond.Type.Kind != types.Boolean && cond.Type.Kind != types.Unknown {
			return nil, errAt(s.Where, "WHERE needs a boolean condition, not %s", cond.Type)
		}
		if j, ok := node.(*Join); ok && j.Cond == nil && j.Kind == "CROSS" {
			j.Kind, j.Cond = "INNER", cond
		} else {
			node = &Filter{Input: node, Cond: cond}
		}
	}
	if len(s.GroupBy) > 0 || s.Stagger != nil || hasAggregate(s) {
		if s.Within != nil {
			return nil, errAt(s.Within, "ORDER BY ... WITHIN sorts a stream's rows by a timestamp; it cannot sort GROUP BY results (sort the input in a subquery or an earlier pump)")
		}
		return qp.aggregate(s, node, c)
	}
	if s.Having != nil {
		return nil, errAt(s.Having, "HAVING needs GROUP BY or WINDOWED BY STAGGER")
	}
	if hasWindowed(s) {
		an, ac, err := qp.analytic(s, node, c)
		if err != nil {
			return nil, err
		}
		node, c = an, ac
	}
	p := &Project{Input: node}
	// rowtimes marks the columns that are ROWTIME itself, which DISTINCT
	// does not compare.
	var rowtimes []bool
	for _, item := range s.Items {
		if item.Star {
			if len(item.Qualifier) == 0 {
				// The columns USING merged come first, once.
				for _, u := range sc.usings {
					if !u.gone {
						p.Exprs = append(p.Exprs, &Expr{Type: u.expr.Type, Source: ast.Ident{Name: u.name, Quoted: true}.String(), usesColumns: true, Eval: u.expr.Eval})
						p.Cols = append(p.Cols, Column{Name: u.name, Type: u.expr.Type})
						rowtimes = append(rowtimes, false)
					}
				}
			}
			for _, r := range sc.rels {
				if len(item.Qualifier) > 0 && !r.named(item.Qualifier[len(item.Qualifier)-1].Name) {
					continue
				}
				for i, col := range r.columns {
					if col.Hidden || len(item.Qualifier) == 0 && sc.merged[r.offset+i] {
						continue
					}
					e := reference(sc.column(r, i))
					e.Source = col.Name
					p.Exprs = append(p.Exprs, e)
					out := outColumn(col.Name, e)
					out.Row = col.Row // a ROW's field stays one
					p.Cols = append(p.Cols, out)
					rowtimes = append(rowtimes, false)
				}
			}
			continue
		}
		if f, fn := rowCallOf(item.Expr); fn != nil {
			row, exprs, cols, err := c.rowItem(f, fn, itemName(item, len(p.Cols)))
			if err != nil {
				return nil, err
			}
			row.At = len(p.Exprs)
			p.Rows = append(p.Rows, row)
			p.Exprs = append(p.Exprs, exprs...)
			p.Cols = append(p.Cols, cols...)
			continue
		}
		e, err := c.compile(item.Expr)
		if err != nil {
			return nil, err
		}
		p.Exprs = append(p.Exprs, e)
		p.Cols = append(p.Cols, outColumn(itemName(item, len(p.Cols)), e))
		rowtimes = append(rowtimes, isRowtimeRef(item.Expr))
	}
	if s.Within != nil {
		if s.Distinct {
			return nil, errAt(s, "DISTINCT with ORDER BY ... WITHIN is not supported: T-sort in one query, DISTINCT in the next")
		}
		return tsort(s, p, c)
	}
	if c, ok := hasRow(p.Cols); ok && (s.Distinct || len(s.OrderBy) > 0) {
		return nil, errAt(s, "DISTINCT and ORDER BY do not take ROW values (%s): select their fields in an outer query", ast.Ident{Name: c.Row})
	}
	var out Node = p
	if s.Distinct {
		d, err := distinct(s, p, rowtimes)
		if err != nil {
			return nil, err
		}
		out = d
	}
	if len(s.OrderBy) > 0 {
		return orderBy(s.OrderBy, projectKeys(p, out, s.Distinct), c, nil)
	}
	return out, nil
}

// isTimeKey tells a monotonic expression of ROWTIME alone.
func isTimeKey(e *Expr) bool { return e.usesRowtime && !e.usesColumns && e.monotonic }

// isDeclaredKey tells an expression of the row's values that the user
// declared monotonic (MONOTONIC(x), or an order-keeping expression of it).
func isDeclaredKey(e *Expr) bool { return e.usesColumns && e.monotonic }

// outColumn is a select item's column, with what a query reading it may
// rely on: a time key stays a function of the row's ROWTIME, which the
// row keeps; a declared monotonic value stays monotonic.
func outColumn(name string, e *Expr) Column {
	col := Column{Name: name, Type: e.Type}
	switch {
	case isTimeKey(e):
		col.time = e
	case isDeclaredKey(e):
		col.monotonic = true
	}
	return col
}

// distinct plans SELECT STREAM DISTINCT: rows compare on every select
// item but ROWTIME itself; the first time key other than ROWTIME (else
// the first value declared MONOTONIC, else ROWTIME) says when to forget.
func distinct(s *ast.Select, p *Project, rowtimes []bool) (Node, error) {
	d := &Distinct{Input: p, Key: -1, Cols: p.Cols}
	for i, rt := range rowtimes {
		if rt {
			if d.Key < 0 {
				d.Key = i
			}
			continue
		}
		d.Compared = append(d.Compared, i)
	}
	declared := -1
	for _, i := range d.Compared {
		if isTimeKey(p.Exprs[i]) {
			d.Key, declared = i, -1
			break
		}
		if declared < 0 && isDeclaredKey(p.Exprs[i]) {
			declared = i
		}
	}
	if declared >= 0 {
		d.Key = declared
	}
	if d.Key < 0 {
		return nil, errAt(s, "SELECT STREAM DISTINCT needs a time key in its select list, such as FLOOR(ROWTIME TO MINUTE), so that it can forget old rows")
	}
	return d, nil
}

// isRowtimeRef tells ROWTIME or rel.ROWTIME (quoted or not).
func isRowtimeRef(e ast.Expr) bool {
	ref, ok := e.(*ast.ColumnRef)
	return ok && isRowtimeName(ref.Parts[len(ref.Parts)-1])
}

// sortInput is what an ORDER BY sorts: the rows of input, whose visible
// columns are computed by exprs; add computes one more value, a sort key,
// after the row's ROWTIME and gives its index in the row.
type sortInput struct {
	input Node
	exprs []*Expr
	cols  []Column
	add   func(*Expr) int
	// selected: with DISTINCT, a key other than the leading time key must
	// be a select item (another value is not defined for a distinct row).
	selected bool
}

// projectKeys sorts the rows of a projection (read through input, the
// projection itself or a DISTINCT above it).
func projectKeys(p *Project, input Node, selected bool) sortInput {
	return sortInput{input: input, exprs: p.Exprs[:len(p.Cols)], cols: p.Cols, selected: selected, add: func(e *Expr) int {
		p.Exprs = append(p.Exprs, e)
		p.Hidden++
		return len(p.Exprs) // after the ROWTIME
	}}
}

// selectItemIndex finds the select item an ORDER BY key names: by
// ordinal, by column name or alias, or by being the same expression.
// -1 if none; an error for an ordinal out of range.
func selectItemIndex(key ast.Expr, in sortInput) (int, error) {
	if lit, ok := key.(*ast.Literal); ok && lit.Kind == ast.NumberLit {
		n, err := types.ParseNumber(lit.Text)
		if err != nil || !n.Kind.IsInteger() || n.I < 1 || n.I > int64(len(in.cols)) {
			return -1, errAt(lit, "ORDER BY %s: no such select item", lit.Text)
		}
		return int(n.I - 1), nil
	}
	if ref, ok := key.(*ast.ColumnRef); ok && len(ref.Parts) == 1 && !isRowtimeName(ref.Parts[0]) {
		for j, col := range in.cols {
			if col.Name == ref.Parts[0].Name {
				return j, nil
			}
		}
	}
	sql := key.String()
	for j, e := range in.exprs {
		if e.Source == sql {
			return j, nil
		}
	}
	return -1, nil
}

// sortKey resolves one ORDER BY key to its value's index in the row: a
// select item's, or a hidden value computed for the sort.
func sortKey(key ast.Expr, in sortInput, c *compiler) (int, *Expr, error) {
	idx, err := selectItemIndex(key, in)
	if err != nil {
		return 0, nil, err
	}
	if idx >= 0 {
		return idx, in.exprs[idx], nil
	}
	e, err := c.compile(key)
	if err != nil {
		return 0, nil, err
	}
	return in.add(e), e, nil
}

// orderBy plans ORDER BY on a stream: the leading key must be a time key
// (lead, when given, stands for it); the rows of each of its buckets are
// sorted by the other keys.
func orderBy(items []ast.OrderItem, in sortInput, c *compiler, lead *Expr) (Node, error) {
	// Rows leave stamped with their batch's latest ROWTIME and reordered:
	// their columns no longer follow ROWTIME.
	sort := &Sort{Input: in.input, Cols: plain(in.cols)}
	for i, item := range items {
		var idx int
		var e *Expr
		if i == 0 && lead != nil {
			idx, e = in.add(lead), lead
		} else {
			var err error
			if idx, e, err = sortKey(item.Expr, in, c); err != nil {
				return nil, err
			}
		}
		if i == 0 {
			if !isTimeKey(e) || item.Desc {
				return nil, errAt(item.Expr, "ORDER BY on a stream must lead with an ascending time key, such as ROWTIME or FLOOR(s.ROWTIME TO SECOND)")
			}
			lead = e
		} else if in.selected && idx >= len(in.cols) {
			return nil, errAt(item.Expr, "ORDER BY %s: with DISTINCT, sort by select items (a distinct row has no single value of %s)", item.Expr, item.Expr)
		}
		sort.Keys = append(sort.Keys, SortKey{Index: idx, Desc: item.Desc})
	}
	sort.Bucket = c.bucket(lead)
	return sort, nil
}

// tsort plans ORDER BY t WITHIN interval (a T-sort): t must be a TIMESTAMP
// also selected AS ROWTIME, which becomes the row's time; rows are held
// for the interval to put them in t's order.
func tsort(s *ast.Select, p *Project, c *compiler) (Node, error) {
	leadItem := s.OrderBy[0]
	var bare ast.Node
	ast.Inspect(leadItem.Expr, func(e ast.Expr) bool {
		if ref, ok := e.(*ast.ColumnRef); ok && len(ref.Parts) == 1 && !ref.Parts[0].Quoted && ref.Parts[0].Name == "ROWTIME" && bare == nil {
			bare = ref
		}
		return true
	})
	if bare != nil {
		return nil, errAt(bare, "ORDER BY ... WITHIN sorts by a timestamp of the rows, not by ROWTIME; qualify it (s.ROWTIME) to use the input's")
	}
	if leadItem.Desc {
		return nil, errAt(leadItem.Expr, "ORDER BY ... WITHIN sorts ascending: DESC is not allowed on its timestamp")
	}
	in := projectKeys(p, p, false)
	key, err := selectItemIndex(leadItem.Expr, in)
	if err != nil {
		return nil, err
	}
	if key < 0 || p.Cols[key].Name != "ROWTIME" {
		key = -1
		for j, col := range p.Cols {
			if col.Name == "ROWTIME" && p.Exprs[j].Source == leadItem.Expr.String() {
				key = j
				break
			}
		}
	}
	if key < 0 {
		return nil, errAt(leadItem.Expr, "ORDER BY %s WITHIN ...: select it AS ROWTIME too (SELECT STREAM %s AS ROWTIME, ...): it becomes the rows' time", leadItem.Expr, leadItem.Expr)
	}
	if k := p.Exprs[key].Type.Kind; k != types.Timestamp {
		return nil, errAt(leadItem.Expr, "ORDER BY ... WITHIN sorts by a TIMESTAMP, not %s", p.Exprs[key].Type)
	}
	within, err := constantInterval(c, s.Within)
	if err != nil {
		return nil, err
	}
	t := &TSort{Input: p, Key: key, Within: within}
	for i, col := range p.Cols {
		if i != key {
			t.Cols = append(t.Cols, col)
		}
	}
	for _, item := range s.OrderBy[1:] {
		idx, _, err := sortKey(item.Expr, in, c)
		if err != nil {
			return nil, err
		}
		t.Keys = append(t.Keys, SortKey{Index: idx, Desc: item.Desc})
	}
	return t, nil
}

// itemName is a select item's column name: its alias, the column it
// names, or EXPR$n.
func itemName(item ast.SelectItem, i int) string {
	if item.Alias != nil {
		return item.Alias.Name
	}
	if ref, ok := item.Expr.(*ast.ColumnRef); ok {
		return ref.Parts[len(ref.Parts)-1].Name
	}
	return fmt.Sprintf("EXPR$%d", i)
}

// from plans one FROM item, adding its relations to the scope, and
// renames its columns when its alias lists them: AS t(c1, c2, ...).
func (qp *queryPlanner) from(t ast.TableRef, sc *scope) (Node, error) {
	n, err := qp.fromItem(t, sc)
	if err != nil {
		return nil, err
	}
	return renameColumns(t, n, sc)
}

// fromItem plans one FROM item, adding its relations to the scope.
func (qp *queryPlanner) fromItem(t ast.TableRef, sc *scope) (Node, error) {
	switch t := t.(type) {
	case *ast.NamedTable:
		if len(t.Name) != 1 {
			return nil, errAt(t, "qualified stream names are not supported")
		}
		name := t.Name[0].Name
		if t.Alias != nil {
			name = t.Alias.Name
		}
		var n Node
		if tb, ok := qp.g.table(t.Name[0].Name); ok {
			if t.Over != nil {
				return nil, errAt(t.Over, "a table takes no window")
			}
			sc.addTable(name, tb.Columns)
			return &TableScan{Table: tb}, nil
		} else if v, ok := qp.g.views[t.Name[0].Name]; ok {
			vn, err := qp.view(v)
			if err != nil {
				return nil, err
			}
			n = vn
		} else {
			st, ok := qp.g.stream(t.Name[0].Name)
			if !ok {
				return nil, errAt(t, "unknown stream %s%s", t.Name[0], didYouMean(t.Name[0].Name, qp.g.relationNames(), true))
			}
			n = &Scan{Stream: st}
		}
		if t.Over != nil {
			w, err := qp.joinWindow(t.Over)
			if err != nil {
				return nil, err
			}
			n = &Windowed{Input: n, Window: w}
		}
		sc.add(name, n.Columns())
		if t.Over != nil && t.Over.Ref != nil && t.Alias == nil {
			// FROM s OVER w without an alias: the rows are also named
			// after their window (w.col), as the developer guide's join
			// examples write them.
			sc.rels[len(sc.rels)-1].also = t.Over.Ref.Name
		}
		return n, nil
	case *ast.TableFunction:
		n, err := qp.tableFunction(t)
		if err != nil {
			return nil, err
		}
		if t.CallAlias != nil {
			if n, err = nameAddedColumn(t, n); err != nil {
				return nil, err
			}
		}
		name := t.Call.Name[len(t.Call.Name)-1].Name
		if t.Alias != nil {
			name = t.Alias.Name
		}
		sc.add(name, n.Columns())
		return n, nil
	case *ast.Subquery:
		n, err := qp.query(t.Query)
		if err != nil {
			return nil, err
		}
		name := ""
		if t.Alias != nil {
			name = t.Alias.Name
		} else {
			// The service accepts a subquery without an alias; its columns
			// are read unqualified. It is named as Calcite names one.
			name = fmt.Sprintf("EXPR$%d", sc.unnamed)
			sc.unnamed++
		}
		sc.add(name, n.Columns())
		return n, nil
	case *ast.Join:
		left := joinSide{rels: len(sc.rels), usings: len(sc.usings)}
		l, err := qp.from(t.Left, sc)
		if err != nil {
			return nil, err
		}
		right := joinSide{rels: len(sc.rels), usings: len(sc.usings)}
		r, err := qp.from(t.Right, sc)
		if err != nil {
			return nil, err
		}
		j := joinOf(l, r, t.Kind)
		if t.Natural || len(t.Using) > 0 {
			left.relEnd, left.usingEnd = right.rels, right.usings
			right.relEnd, right.usingEnd = len(sc.rels), len(sc.usings)
			cond, err := qp.using(t, sc, left, right)
			if err != nil {
				return nil, err
			}
			j.Cond = cond
			return j, nil
		}
		if t.On != nil {
			cond, err := (&compiler{scope: sc, qp: qp}).compile(t.On)
			if err != nil {
				return nil, err
			}
			if cond.Type.Kind != types.Boolean {
				return nil, errAt(t.On, "ON needs a boolean condition, not %s", cond.Type)
			}
			j.Cond = cond
		}
		return j, nil
	}
	return nil, fmt.Errorf("unknown table reference %T", t)
}

// joinSide is the part of a scope one side of a join added: its
// relations and merged columns.
type joinSide struct {
	rels, relEnd     int
	usings, usingEnd int
}

// visible lists the names a side shows (merged columns, then its
// relations' columns not merged away nor hidden) and, for each, the
// expression reading it.
func (side joinSide) visible(sc *scope) ([]string, []*Expr) {
	var names []string
	var exprs []*Expr
	for _, u := range sc.usings[side.usings:side.usingEnd] {
		if !u.gone {
			names, exprs = append(names, u.name), append(exprs, u.expr)
		}
	}
	for _, r := range sc.rels[side.rels:side.relEnd] {
		for i, c := range r.columns {
			idx := r.offset + i
			if c.Hidden || sc.merged[idx] {
				continue
			}
			names = append(names, c.Name)
			exprs = append(exprs, &Expr{Type: c.Type, Source: ast.Ident{Name: c.Name, Quoted: true}.String(), usesColumns: true,
				Eval: func(env *Env) (types.Value, error) { return env.Values[idx], nil }})
		}
	}
	return names, exprs
}

// using plans JOIN ... USING (cols) and NATURAL JOIN (USING the columns
// both sides name): the condition that each pair is equal, and one merged
// column per pair, which * shows once, first, and an unqualified name
// means; a qualified name still reaches each side's own column.
func (qp *queryPlanner) using(t *ast.Join, sc *scope, left, right joinSide) (*Expr, error) {
	lnames, lexprs := left.visible(sc)
	rnames, rexprs := right.visible(sc)
	find := func(names []string, name string) (int, int) {
		at, n := -1, 0
		for i, v := range names {
			if v == name {
				at, n = i, n+1
			}
		}
		return at, n
	}
	cols := t.Using
	if t.Natural {
		cols = nil
		for _, name := range lnames {
			if _, n := find(rnames, name); n > 0 {
				cols = append(cols, ast.Ident{Pos: t.Pos, Name: name})
			}
		}
	}
	var cond ast.Expr
	sides := map[ast.Expr]*Expr{}
	seen := map[string]bool{}
	for _, col := range cols {
		if seen[col.Name] {
			return nil, errAt(col, "column %s is named twice in USING", col)
		}
		seen[col.Name] = true
		li, ln := find(lnames, col.Name)
		ri, rn := find(rnames, col.Name)
		switch {
		case ln == 0 || rn == 0:
			return nil, errAt(col, "USING (%s): both sides of the join need a column %s", col, col)
		case ln > 1 || rn > 1:
			return nil, errAt(col, "USING (%s): a side of the join has two columns %s; join ON the qualified columns", col, col)
		}
		// The pair compares like l = r written ON, through placeholders.
		lref := &ast.ColumnRef{Pos: col.Pos, Parts: []ast.Ident{col}}
		rref := &ast.ColumnRef{Pos: col.Pos, Parts: []ast.Ident{col}}
		sides[lref], sides[rref] = lexprs[li], rexprs[ri]
		var eq ast.Expr = &ast.Binary{Pos: col.Pos, Op: "=", L: lref, R: rref}
		if cond != nil {
			eq = &ast.Binary{Pos: col.Pos, Op: "AND", L: cond, R: eq}
		}
		cond = eq
		merged, err := mergedColumn(t.Kind, lexprs[li], rexprs[ri])
		if err != nil {
			return nil, errAt(col, "USING (%s): %v", col, err)
		}
		qp.merge(sc, left, lnames[li])
		qp.merge(sc, right, rnames[ri])
		sc.usings = append(sc.usings, &usingCol{name: col.Name, expr: merged})
	}
	if cond == nil {
		return nil, nil // NATURAL JOIN of sides with no name in common: every pair
	}
	c := &compiler{scope: sc, lookup: func(e ast.Expr) (*Expr, bool, error) {
		x, ok := sides[e]
		return x, ok, nil
	}}
	return c.compile(cond)
}

// merge hides a side's column of that name behind a merged column.
func (qp *queryPlanner) merge(sc *scope, side joinSide, name string) {
	for _, u := range sc.usings[side.usings:side.usingEnd] {
		if !u.gone && u.name == name {
			u.gone = true
			return
		}
	}
	for _, r := range sc.rels[side.rels:side.relEnd] {
		for i, c := range r.columns {
			if c.Name == name && !c.Hidden && !sc.merged[r.offset+i] {
				if sc.merged == nil {
					sc.merged = map[int]bool{}
				}
				sc.merged[r.offset+i] = true
				return
			}
		}
	}
}

// mergedColumn is the value of a USING column: the preserved side's (the
// left's unless the join is RIGHT), or for a FULL join the first of the
// two that is not NULL.
func mergedColumn(kind string, l, r *Expr) (*Expr, error) {
	t, err := types.Unify(l.Type, r.Type)
	if err != nil {
		return nil, err
	}
	pick := func(e *Expr) *Expr {
		return derived(t, false, func(env *Env) (types.Value, error) {
			v, err := e.Eval(env)
			if err != nil || v.Null || v.Kind == t.Kind && v.Scale == int8(t.Scale) {
				return v, err
			}
			return types.Cast(v, t)
		}, e)
	}
	switch kind {
	case "RIGHT":
		return pick(r), nil
	case "FULL":
		first, second := pick(l), pick(r)
		return derived(t, false, func(env *Env) (types.Value, error) {
			v, err := first.Eval(env)
			if err != nil || !v.Null {
				return v, err
			}
			return second.Eval(env)
		}, l, r), nil
	}
	return pick(l), nil
}

// joinOf joins two FROM items; a windowed side keeps its window.
func joinOf(l, r Node, kind string) *Join {
	j := &Join{Left: l, Right: r, Kind: kind}
	if w, ok := l.(*Windowed); ok {
		j.Left, j.LeftWindow = w.Input, w.Window
	}
	if w, ok := r.(*Windowed); ok {
		j.Right, j.RightWindow = w.Input, w.Window
	}
	// A side that looks ahead (OVER (RANGE ... FOLLOWING)) meets the rows
	// of the next span of the other side: in an inner join that is the
	// other side looking back the same span.
	if kind == "INNER" || kind == "CROSS" {
		if w := j.RightWindow; w != nil && w.Following && j.LeftWindow == nil {
			j.LeftWindow, j.RightWindow = &JoinWindow{Range: w.Range}, nil
		} else if w := j.LeftWindow; w != nil && w.Following && j.RightWindow == nil {
			j.RightWindow, j.LeftWindow = &JoinWindow{Range: w.Range}, nil
		}
	}
	return j
}

// windowOf is the window of a FROM item left outside any join.
func windowOf(n Node) *JoinWindow {
	if w, ok := n.(*Windowed); ok {
		return w.Window
	}
	return nil
}

// joinWindow reads OVER (RANGE INTERVAL ... PRECEDING | ROWS n PRECEDING)
// after a stream in FROM.
func (qp *queryPlanner) joinWindow(spec *ast.WindowSpec) (*JoinWindow, error) {
	if spec.Ref != nil && len(spec.PartitionBy) == 0 && spec.Frame == nil {
		// OVER w: a window of the query's WINDOW clause.
		for _, w := range qp.windows {
			if w.Name.Name == spec.Ref.Name {
				spec = w.Spec
				break
			}
		}
		if spec.Ref != nil {
			return nil, errAt(spec, "no window %s in the WINDOW clause%s", spec.Ref, didYouMean(spec.Ref.Name, windowNames(qp.windows), true))
		}
	}
	if spec.Ref != nil || len(spec.PartitionBy) > 0 || spec.Frame == nil {
		return nil, errAt(spec, "a stream in a join takes OVER (RANGE INTERVAL ... PRECEDING) or OVER (ROWS n PRECEDING), without PARTITION BY")
	}
	if f := spec.Frame; f.Start.Following && !f.Rows && f.End == nil && !f.Start.Unbounded {
		r, err := windowRange(&compiler{scope: &scope{}}, f.Start.Offset)
		if err != nil {
			return nil, err
		}
		return &JoinWindow{Range: r, Following: true}, nil
	}
	w, err := slidingWindow(&compiler{scope: &scope{}}, spec)
	if err != nil {
		return nil, err
	}
	return &JoinWindow{IsRows: w.IsRows, Rows: w.Rows, Range: w.Range}, nil
}

// anyCall tells whether a select list calls a function matching pred.
func anyCall(s *ast.Select, pred func(*ast.FuncCall) bool) bool {
	found := false
	for _, item := range s.Items {
		ast.Inspect(item.Expr, func(e ast.Expr) bool {
			if f, ok := e.(*ast.FuncCall); ok && pred(f) {
				found = true
			}
			return !found
		})
	}
	return found
}

func hasWindowed(s *ast.Select) bool {
	return anyCall(s, func(f *ast.FuncCall) bool { return f.Over != nil })
}

func hasAggregate(s *ast.Select) bool {
	return anyCall(s, func(f *ast.FuncCall) bool {
		_, agg := functions.LookupAggregate(f.Name[len(f.Name)-1].Name)
		return agg && f.Over == nil
	})
}

// aggContext maps the select list of a GROUP BY query onto the group's
// values: grouped expressions become key references, aggregate calls
// accumulators. Expressions match a key by what their column references
// resolve to, not by how they are spelled (s.col and col are one key).
type aggContext struct {
	input   *compiler
	keySQL  []string
	keys    []*Expr
	kinds   []keyKind
	aggs    []AggCall
	aggExpr []*Expr
	// keyIndex and aggIndex find a key and an aggregate by their canonical
	// SQL. lookup meets every node of every expression of the SELECT, and
	// a node's canonical SQL costs its whole subtree: sizes (node counts,
	// filled in for each tree as lookup meets its root) let it skip the
	// nodes of a size no key has, which no key can equal (a sum of 8,000
	// aggregates took 23 s to plan, its every prefix printed).
	keyIndex map[string]int
	aggIndex map[string]int
	keySizes map[int]bool
	sizes    map[ast.Expr]int
	// byTime: every window of this GROUP BY is a span of ROWTIME (its time
	// keys are all functions of ROWTIME), so the group's ROWTIME, the end
	// of that span, gives back the values of its time keys.
	byTime bool
}

// keyKind is what a GROUP BY key is to the windows.
type keyKind int

const (
	partitionKey keyKind = iota // splits a window into groups
	timeKey                     // a monotonic function of ROWTIME
	declaredKey                 // declared MONOTONIC: a window ends when it moves
)

// keyRef is the select list's reference to key i. A time key of a GROUP
// BY whose windows are spans of ROWTIME is computed again from the group's
// ROWTIME (the span's end): its value 1 ms before, still inside the span.
// So it stays a function of ROWTIME alone, a time key for a query reading
// this one. A time key of windows closed by a declared key's move still
// grows from group to group, as declared keys do.
func (a *aggContext) keyRef(i int, source string) *Expr {
	idx, t := i, a.keys[i].Type
	stored := func(env *Env) (types.Value, error) { return env.Values[idx], nil }
	switch {
	case a.kinds[i] == timeKey && a.byTime:
		k := a.keys[i]
		return &Expr{Type: t, Source: source, usesRowtime: true, monotonic: true, Eval: func(env *Env) (types.Value, error) {
			at := env.Time
			env.Time = at - 1
			v, err := k.Eval(env)
			env.Time = at
			return v, err
		}}
	case a.kinds[i] != partitionKey:
		return &Expr{Type: t, Source: source, usesColumns: true, monotonic: true, Eval: stored}
	}
	return &Expr{Type: t, Source: source, usesColumns: true, Eval: stored}
}

// addKey records the canonical SQL of the next GROUP BY key, g.
func (a *aggContext) addKey(sql string, g ast.Expr) {
	if a.keyIndex == nil {
		a.keyIndex = map[string]int{}
	}
	if _, dup := a.keyIndex[sql]; !dup {
		a.keyIndex[sql] = len(a.keySQL) // the first of equal keys, as a scan finds it
	}
	a.keySQL = append(a.keySQL, sql)
	if a.keySizes == nil {
		a.keySizes = map[int]bool{}
	}
	a.keySizes[a.size(g)] = true
}

// size is the number of nodes of n's subtree. The sizes of a tree are
// counted together, in one pass, the first time one of its nodes is asked.
func (a *aggContext) size(n ast.Expr) int {
	if s, ok := a.sizes[n]; ok {
		return s
	}
	if a.sizes == nil {
		a.sizes = map[ast.Expr]int{}
	}
	var order []ast.Expr // parents before children
	ast.Inspect(n, func(e ast.Expr) bool {
		_, seen := a.sizes[e]
		if !seen {
			order = append(order, e)
		}
		return !seen
	})
	for i := len(order) - 1; i >= 0; i-- { // children before parents
		s := 1
		ast.Children(order[i], func(c ast.Expr) { s += a.sizes[c] })
		a.sizes[order[i]] = s
	}
	return a.sizes[n]
}

func (a *aggContext) lookup(n ast.Expr) (*Expr, bool, error) {
	if ref, ok := n.(*ast.ColumnRef); ok && len(ref.Parts) == 1 && isRowtimeName(ref.Parts[0]) {
		return nil, false, nil // the group's ROWTIME: the window's end
	}
	sql := ""
	if a.keySizes[a.size(n)] {
		sql = a.input.canonical(n)
		if i, ok := a.keyIndex[sql]; ok {
			return a.keyRef(i, n.String()), true, nil
		}
	}
	switch n := n.(type) {
	case *ast.FuncCall:
		name := n.Name[len(n.Name)-1].Name
		f, ok := functions.LookupAggregate(name)
		if !ok || n.Over != nil {
			return nil, false, nil
		}
		if sql == "" {
			sql = a.input.canonical(n)
		}
		if i, ok := a.aggIndex[sql]; ok {
			return a.aggExpr[i], true, nil
		}
		opts, err := aggOptions(n, name, f)
		if err != nil {
			return nil, true, err
		}
		call := AggCall{Func: f, Opts: opts}
		argType := types.Type{Kind: types.Unknown}
		switch {
		case n.Star:
			if name != "COUNT" {
				return nil, true, errAt(n, "only COUNT takes *")
			}
		case len(n.Args) == 1:
			arg, err := a.input.compile(n.Args[0])
			if err != nil {
				return nil, true, err
			}
			call.Arg, argType = arg, arg.Type
		default:
			return nil, true, errAt(n, "%s takes one argument", name)
		}
		t, err := f.Result(argType)
		if err != nil {
			return nil, true, errAt(n, "%v", err)
		}
		call.Type = t
		idx := len(a.keys) + len(a.aggs)
		e := &Expr{Type: t, Source: n.String(), usesColumns: true, Eval: func(env *Env) (types.Value, error) { return env.Values[idx], nil }}
		if a.aggIndex == nil {
			a.aggIndex = map[string]int{}
		}
		a.aggIndex[sql] = len(a.aggExpr)
		a.aggs = append(a.aggs, call)
		a.aggExpr = append(a.aggExpr, e)
		return e, true, nil
	case *ast.ColumnRef:
		return nil, true, errAt(n, "%s must appear in GROUP BY or inside an aggregate", n)
	}
	return nil, false, nil
}

// canonical prints an expression with each column reference replaced by
// what it resolves to in this compiler's scope, so that two spellings of
// one expression (s.col and col; s.ROWTIME and ROWTIME for a lone stream)
// print the same. References that do not resolve stay as written.
func (c *compiler) canonical(e ast.Expr) string {
	type saved struct {
		ref   *ast.ColumnRef
		parts []ast.Ident
	}
	var undo []saved
	ast.Inspect(e, func(n ast.Expr) bool {
		ref, ok := n.(*ast.ColumnRef)
		if !ok {
			return true
		}
		if r, err := c.scope.resolve(ref); err == nil {
			undo = append(undo, saved{ref, ref.Parts})
			ref.Parts = []ast.Ident{{Pos: ref.Pos, Name: r.identity()}}
		}
		return true
	})
	sql := e.String()
	for _, u := range undo {
		u.ref.Parts = u.parts
	}
	return sql
}

func (qp *queryPlanner) aggregate(s *ast.Select, input Node, in *compiler) (Node, error) {
	ac := &aggContext{input: in}
	agg := &Aggregate{Input: input}
	groupBy := s.GroupBy
	if s.Stagger != nil {
		if len(s.GroupBy) > 0 {
			return nil, errAt(s.Stagger, "WINDOWED BY STAGGER replaces GROUP BY; use one or the other")
		}
		r, err := constantInterval(in, s.Stagger.Range)
		if err != nil {
			return nil, err
		}
		agg.Stagger = r
		groupBy = s.Stagger.PartitionBy
	}
	var sideKey ast.Expr // a key on a join side's ROWTIME, for the message
	for _, g := range groupBy {
		k, err := in.compile(g)
		if err != nil {
			return nil, err
		}
		kind := partitionKey
		switch {
		case agg.Stagger > 0:
		case isTimeKey(k):
			kind = timeKey
			agg.TimeKeys = append(agg.TimeKeys, len(ac.keys))
			agg.Buckets = append(agg.Buckets, in.bucket(k))
		case isDeclaredKey(k):
			kind = declaredKey
			agg.DeclaredKeys = append(agg.DeclaredKeys, len(ac.keys))
		case k.usesRowtime && !k.usesColumns:
			return nil, errAt(g, "GROUP BY %s: the time key must grow with ROWTIME (use FLOOR, CEIL or STEP of ROWTIME; after a join, of the unqualified ROWTIME, the later of the two)", g)
		case k.sideRowtime && sideKey == nil:
			sideKey = g
		}
		ac.keys = append(ac.keys, k)
		ac.kinds = append(ac.kinds, kind)
		ac.addKey(in.canonical(g), g)
	}
	if len(agg.TimeKeys) == 0 && len(agg.DeclaredKeys) == 0 && agg.Stagger == 0 {
		if sideKey != nil {
			return nil, errAt(sideKey, "GROUP BY %s: the time key must grow with ROWTIME (use FLOOR, CEIL or STEP of ROWTIME; after a join, of the unqualified ROWTIME, the later of the two)", sideKey)
		}
		return nil, errAt(s, "a streaming GROUP BY needs a key based on ROWTIME, such as FLOOR(s.ROWTIME TO MINUTE) or STEP(s.ROWTIME BY INTERVAL '10' SECOND), or one declared MONOTONIC(...): without one the groups never close")
	}
	ac.byTime = agg.Stagger == 0 && len(agg.DeclaredKeys) == 0
	out := &compiler{scope: &scope{}, lookup: ac.lookup, qp: in.qp}
	for _, item := range s.Items {
		if item.Star {
			return nil, errAt(s, "* is not allowed in a GROUP BY query")
		}
		e, err := out.compile(item.Expr)
		if err != nil {
			return nil, err
		}
		agg.Out = append(agg.Out, e)
		agg.Cols = append(agg.Cols, outColumn(itemName(item, len(agg.Cols)), e))
	}
	if s.Having != nil {
		h, err := out.compile(s.Having)
		if err != nil {
			return nil, err
		}
		agg.Having = h
	}
	var result Node = agg
	if s.Distinct {
		// A window's groups come out together, at its end: DISTINCT compares
		// the rows of each window (ROWTIME itself aside).
		d := &Distinct{Input: agg, Key: len(agg.Cols), Cols: agg.Cols}
		for i, item := range s.Items {
			if !isRowtimeRef(item.Expr) {
				d.Compared = append(d.Compared, i)
			}
		}
		result = d
	}
	if len(s.OrderBy) > 0 {
		input := in
		in := sortInput{input: result, exprs: append([]*Expr(nil), agg.Out...), cols: agg.Cols, selected: s.Distinct, add: func(e *Expr) int {
			agg.Out = append(agg.Out, e)
			return len(agg.Out) // after the ROWTIME
		}}
		// A GROUP BY time key leads by its window: the rows that come out
		// together at the window's end, sorted as one batch. Keys are
		// compared as they resolve (s.col and col are one key).
		var lead *Expr
		leadExpr := s.OrderBy[0].Expr
		if i, err := selectItemIndex(leadExpr, in); err == nil && i >= 0 {
			leadExpr = s.Items[i].Expr
		}
		leadSQL := input.canonical(leadExpr)
		for _, k := range append(append([]int(nil), agg.TimeKeys...), agg.DeclaredKeys...) {
			if ac.keySQL[k] == leadSQL {
				lead = &Expr{Type: types.Type{Kind: types.Timestamp}, Source: "ROWTIME", usesRowtime: true, monotonic: true,
					Eval: func(env *Env) (types.Value, error) { return types.TimestampMs(env.Time), nil }}
			}
		}
		sorted, err := orderBy(s.OrderBy, in, out, lead)
		if err != nil {
			return nil, err
		}
		result = sorted
	}
	agg.Keys, agg.Aggs = ac.keys, ac.aggs
	return result, nil
}

// tableFunction plans TABLE(RANDOM_CUT_FOREST[_WITH_EXPLANATION](CURSOR(...), ...))
// and the other table functions (tablefn.go).
func (qp *queryPlanner) tableFunction(t *ast.TableFunction) (Node, error) {
	call := t.Call
	name := call.Name[len(call.Name)-1].Name
	switch name {
	case "HOTSPOTS":
		return qp.hotspots(call)
	case "TOP_K_ITEMS_TUMBLING", "COUNT_DISTINCT_ITEMS_TUMBLING":
		return qp.itemsTumbling(call, name)
	case "GROUP_RANK":
		return qp.groupRank(call)
	}
	explain := name == "RANDOM_CUT_FOREST_WITH_EXPLANATION"
	if name != "RANDOM_CUT_FOREST" && !explain {
		return nil, unknownTableFunction(call, name)
	}
	if len(call.Args) == 0 {
		return nil, errAt(call, "%s needs CURSOR(SELECT STREAM ...) as its first argument", name)
	}
	cur, ok := call.Args[0].(*ast.Cursor)
	if !ok {
		return nil, errAt(call.Args[0], "%s needs CURSOR(SELECT STREAM ...) as its first argument", name)
	}
	input, err := qp.query(cur.Query)
	if err != nil {
		return nil, err
	}
	params := call.Args[1:]
	maxParams := 4
	if explain {
		maxParams = 5
	}
	if len(params) != 0 && len(params) != 4 && len(params) != maxParams {
		return nil, errAt(call, "%s takes the cursor alone or with numberOfTrees, subSampleSize, timeDecay, shingleSize%s", name, map[bool]string{true: " [, withDirectionality]"}[explain])
	}
	cfg := rcf.Config{}.WithDefaults()
	node := &RCF{Input: input, Explain: explain}
	ints := []*int64{new(int64), new(int64), new(int64), new(int64)}
	for i, p := range params {
		c := &compiler{scope: &scope{}}
		e, err := c.compile(p)
		if err != nil {
			return nil, err
		}
		v, err := e.Eval(&Env{})
		if err != nil {
			return nil, errAt(p, "%v", err)
		}
		if i == 4 {
			if v.Kind != types.Boolean || v.Null {
				return nil, errAt(p, "withDirectionality must be TRUE or FALSE")
			}
			node.Directionality = v.I != 0
			continue
		}
		if !v.Kind.IsInteger() || v.Null {
			return nil, errAt(p, "%s parameter %d must be a whole number, not %s", name, i+2, p)
		}
		*ints[i] = v.I
	}
	if len(params) >= 4 {
		cfg.Trees, cfg.SampleSize, cfg.TimeDecay, cfg.Shingle = int(*ints[0]), int(*ints[1]), *ints[2], int(*ints[3])
	}
	for i, col := range input.Columns() {
		if col.Type.Kind.IsNumeric() && col.Type.Kind != types.Decimal {
			node.Numeric = append(node.Numeric, i)
			node.Names = append(node.Names, col.Name)
		}
	}
	if len(node.Numeric) == 0 {
		return nil, errAt(cur, "%s needs at least one numeric column (DOUBLE, REAL, INTEGER, ...; not DECIMAL) in its cursor", name)
	}
	cfg.Dimensions = len(node.Numeric)
	cfg.Seed = qp.seed
	qp.seed++
	if _, err := cfg.Checked(); err != nil {
		msg := strings.ReplaceAll(err.Error(), rcf.ErrConfig.Error()+": ", "")
		return nil, errAt(call, "%s", strings.ReplaceAll(msg, "\n", "; "))
	}
	qp.g.forestBytes += cfg.Bytes()
	if lim := qp.g.forestLimit; lim > 0 && qp.g.forestBytes > lim {
		total := ""
		if qp.g.forestBytes > cfg.Bytes() {
			total = ", which brings the application's forests to " + mebibytes(qp.g.forestBytes)
		}
		return nil, errAt(call, "%s(…, %d, %d, %d, %d) over %d numeric columns holds %s%s, over the %s this server lets an application's forests hold: use fewer trees, a smaller subSampleSize or shingleSize, or fewer columns",
			name, cfg.Trees, cfg.SampleSize, cfg.TimeDecay, cfg.Shingle, cfg.Dimensions, mebibytes(cfg.Bytes()), total, mebibytes(lim))
	}
	node.Config = cfg
	node.Cols = append(append([]Column{}, input.Columns()...), Column{Name: "ANOMALY_SCORE", Type: types.Type{Kind: types.Double}})
	if explain {
		node.Cols = append(node.Cols, Column{Name: "ANOMALY_EXPLANATION", Type: types.Type{Kind: types.Varchar, Length: 20480}})
	}
	return node, nil
}

// mebibytes shows a size in MiB.
func mebibytes(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB" }

func windowNames(ws []ast.NamedWindow) []string {
	var names []string
	for _, w := range ws {
		names = append(names, w.Name.Name)
	}
	return names
}

// windowRange is a RANGE window's constant day-time interval, in ms: zero
// (RANGE INTERVAL '0' MINUTE PRECEDING, the rows of the current ROWTIME)
// or more.
func windowRange(c *compiler, n ast.Expr) (int64, error) {
	if zero, err := isZeroInterval(c, n); err != nil || zero {
		return 0, err
	}
	return constantInterval(c, n)
}

func isZeroInterval(c *compiler, n ast.Expr) (bool, error) {
	e, err := c.compile(n)
	if err != nil {
		return false, err
	}
	if e.usesColumns || e.usesRowtime || e.Type.Kind != types.IntervalDayTime {
		return false, nil
	}
	v, err := e.Eval(&Env{})
	return err == nil && !v.Null && v.I == 0, nil
}

// constantInterval evaluates a constant day-time interval, in ms.
func constantInterval(c *compiler, n ast.Expr) (int64, error) {
	e, err := c.compile(n)
	if err != nil {
		return 0, err
	}
	if e.usesColumns || e.usesRowtime || e.Type.Kind != types.IntervalDayTime {
		return 0, errAt(n, "%s must be a constant day-time interval, such as INTERVAL '1' MINUTE", n)
	}
	v, err := e.Eval(&Env{})
	if err != nil || v.Null || v.I <= 0 {
		return 0, errAt(n, "%s must be a positive interval", n)
	}
	return v.I, nil
}

// union plans left UNION ALL right: both streams, merged in ROWTIME order.
func (qp *queryPlanner) union(q *ast.SetOp) (Node, error) {
	if q.Op != "UNION" || !q.All {
		return nil, errAt(q, "streams combine only with UNION ALL (%s%s works on finite relations)", q.Op, map[bool]string{true: " ALL"}[q.All])
	}
	l, err := qp.query(q.Left)
	if err != nil {
		return nil, err
	}
	r, err := qp.query(q.Right)
	if err != nil {
		return nil, err
	}
	lc, rc := l.Columns(), r.Columns()
	for _, cols := range [][]Column{lc, rc} {
		if c, ok := hasRow(cols); ok {
			return nil, errAt(q, "UNION ALL does not take ROW values (%s): select their fields", ast.Ident{Name: c.Row})
		}
	}
	if len(lc) != len(rc) {
		return nil, errAt(q, "UNION ALL of %d and %d columns", len(lc), len(rc))
	}
	for i := range lc {
		if !types.Assignable(rc[i].Type.Kind, lc[i].Type.Kind) {
			return nil, errAt(q, "UNION ALL column %d: %s and %s do not mix", i+1, lc[i].Type, rc[i].Type)
		}
	}
	// Rows of both sides interleave: a column in time with one side's
	// ROWTIME need not be with the merged stream's.
	lc = plain(lc)
	u := &Union{Left: l, Right: r, Cols: lc}
	if len(q.OrderBy) == 0 {
		return u, nil
	}
	// ORDER BY sorts the merged rows: its keys name the columns of the
	// first branch, or are expressions of them.
	sc := &scope{}
	sc.add("", lc)
	p := &Project{Input: u, Cols: lc}
	for i, col := range lc {
		p.Exprs = append(p.Exprs, &Expr{Type: col.Type, Source: ast.Ident{Name: col.Name, Quoted: true}.String(), usesColumns: true,
			Eval: func(env *Env) (types.Value, error) { return env.Values[i], nil }})
	}
	return orderBy(q.OrderBy, projectKeys(p, p, false), &compiler{scope: sc, qp: qp}, nil)
}

// analytic plans the windowed calls (f(x) OVER w) of a select list. It
// returns the node computing them and a compiler for the select list that
// finds each call's result after the input's values.
func (qp *queryPlanner) analytic(s *ast.Select, input Node, in *compiler) (Node, *compiler, error) {
	named := map[string]*ast.WindowSpec{}
	for _, w := range s.Windows {
		named[w.Name.Name] = w.Spec
	}
	node := &Analytic{Input: input, Cols: input.Columns()}
	bySpec := map[string]*SlidingWindow{}
	slots := map[string]*Expr{}
	base := in.scope.width()
	var failure error
	// planCall plans one windowed call; its arguments are compiled in the
	// input's scope, where another windowed call is refused.
	planCall := func(f *ast.FuncCall) {
		sql := f.String()
		if slots[sql] != nil {
			return
		}
		// add puts a call's result in the next slot after the input's
		// values: a value of the row, for the select list above.
		add := func(w *SlidingWindow, call AnalyticCall) {
			slot := base + len(slots)
			call.Slot = slot
			w.Calls = append(w.Calls, call)
			slots[sql] = &Expr{Type: call.Type, Source: sql, usesColumns: true, Eval: func(env *Env) (types.Value, error) { return env.Values[slot], nil }}
		}
		spec := f.Over
		if spec.Ref != nil {
			ref, ok := named[spec.Ref.Name]
			if !ok {
				failure = errAt(spec, "no window %s in the WINDOW clause", spec.Ref)
				return
			}
			if len(spec.PartitionBy) > 0 || spec.Frame != nil {
				failure = errAt(spec, "OVER (%s ...) may only add ORDER BY to a named window", spec.Ref)
				return
			}
			spec = ref
		}
		key := spec.String()
		w := bySpec[key]
		if w == nil {
			var err error
			if w, err = slidingWindow(in, spec); err != nil {
				failure = err
				return
			}
			bySpec[key] = w
			node.Windows = append(node.Windows, w)
		}
		name := f.Name[len(f.Name)-1].Name
		if name == "LAG" {
			call, err := lagCall(in, f)
			if err != nil {
				failure = err
				return
			}
			add(w, call)
			return
		}
		if name == "NTH_VALUE" || name == "EXP_AVG" {
			call, err := windowedCall(in, f, name)
			if err != nil {
				failure = err
				return
			}
			add(w, call)
			return
		}
		agg, ok := functions.LookupAggregate(name)
		if !ok {
			failure = unknownFunction(f, name, true)
			return
		}
		opts, err := aggOptions(f, name, agg)
		if err != nil {
			failure = err
			return
		}
		call := AnalyticCall{Func: agg, Opts: opts, Type: types.Type{Kind: types.Unknown}}
		switch {
		case f.Star && name == "COUNT":
		case len(f.Args) == 1:
			arg, err := in.compile(f.Args[0])
			if err != nil {
				failure = err
				return
			}
			call.Arg, call.Type = arg, arg.Type
		default:
			failure = errAt(f, "%s OVER a window takes one argument", name)
			return
		}
		t, err := agg.Result(call.Type)
		if err != nil {
			failure = errAt(f, "%v", err)
			return
		}
		call.Type = t
		add(w, call)
	}
	for _, item := range s.Items {
		ast.Inspect(item.Expr, func(e ast.Expr) bool {
			if failure != nil {
				return false
			}
			if f, ok := e.(*ast.FuncCall); ok && f.Over != nil {
				planCall(f)
				return false
			}
			return true
		})
		if failure != nil {
			return nil, nil, failure
		}
	}
	out := &compiler{scope: in.scope, qp: in.qp, lookup: func(e ast.Expr) (*Expr, bool, error) {
		if f, ok := e.(*ast.FuncCall); ok && f.Over != nil {
			if slot := slots[f.String()]; slot != nil {
				return slot, true, nil
			}
			// Not reached while the walk above sees every call of the list.
			return nil, true, errAt(f, "%s: a windowed call the planner did not see", f)
		}
		return nil, false, nil
	}}
	return node, out, nil
}

// slidingWindow checks a window specification: a frame ending at the
// current row, ROWS n or RANGE interval PRECEDING.
func slidingWindow(in *compiler, spec *ast.WindowSpec) (*SlidingWindow, error) {
	if spec.Frame == nil {
		return nil, errAt(spec, "a window needs ROWS n PRECEDING or RANGE INTERVAL ... PRECEDING")
	}
	f := spec.Frame
	if f.End != nil && !f.End.CurrentRow {
		return nil, errAt(f, "a window must end at the CURRENT ROW")
	}
	if f.Start.Following || f.Start.CurrentRow {
		return nil, errAt(f, "a window starts some rows or some time PRECEDING the current row")
	}
	for _, o := range spec.OrderBy {
		if !isRowtimeRef(o.Expr) || o.Desc {
			return nil, errAt(o.Expr, "a sliding window is ordered by ROWTIME, ascending, and only by it: its RANGE is measured on ROWTIME")
		}
	}
	w := &SlidingWindow{IsRows: f.Rows}
	for _, p := range spec.PartitionBy {
		e, err := in.compile(p)
		if err != nil {
			return nil, err
		}
		w.Partition = append(w.Partition, e)
	}
	switch {
	case f.Start.Unbounded:
		w.Rows, w.Range = math.MaxInt64, math.MaxInt64
	case f.Rows:
		e, err := in.compile(f.Start.Offset)
		if err != nil {
			return nil, err
		}
		v, ok := constantValue(e)
		if !ok || !v.Kind.IsInteger() || v.Null || v.I < 1 {
			return nil, errAt(f.Start.Offset, "ROWS takes a positive whole number of rows")
		}
		w.Rows = v.I
	default:
		r, err := windowRange(in, f.Start.Offset)
		if err != nil {
			return nil, err
		}
		w.Range = r
	}
	return w, nil
}

// bucket describes a time key compiled in this compiler's scope.
func (c *compiler) bucket(key *Expr) TimeBucket {
	b := TimeBucket{Key: key, InputWidth: c.scope.width()}
	for _, r := range c.scope.rels {
		b.RowtimeSlots = append(b.RowtimeSlots, r.rowtimeIndex())
	}
	return b
}

// lagCall plans LAG(expr [, n [, default]]) [IGNORE NULLS | RESPECT NULLS].
func lagCall(in *compiler, f *ast.FuncCall) (AnalyticCall, error) {
	if len(f.Args) < 1 || len(f.Args) > 3 || f.Star || f.Distinct {
		return AnalyticCall{}, errAt(f, "LAG takes (expression [, offset [, default]])")
	}
	arg, err := in.compile(f.Args[0])
	if err != nil {
		return AnalyticCall{}, err
	}
	if f.FromEnd != "" {
		return AnalyticCall{}, errAt(f, "LAG takes no %s (NTH_VALUE does)", f.FromEnd)
	}
	call := AnalyticCall{Kind: AnalyticLag, Arg: arg, Type: arg.Type, Lag: 1, IgnoreNulls: f.NullTreatment == "IGNORE NULLS"}
	if len(f.Args) >= 2 {
		n, err := in.compile(f.Args[1])
		if err != nil {
			return call, err
		}
		v, ok := constantValue(n)
		if !ok || !v.Kind.IsInteger() || v.Null || v.I < 0 {
			return call, errAt(f.Args[1], "LAG's offset must be a whole number, 0 or more")
		}
		call.Lag = v.I
	}
	if len(f.Args) == 3 {
		d, err := in.compile(f.Args[2])
		if err != nil {
			return call, err
		}
		if !types.Assignable(d.Type.Kind, arg.Type.Kind) {
			return call, errAt(f.Args[2], "LAG's default is %s, its expression %s", d.Type, arg.Type)
		}
		call.Default = d
	}
	return call, nil
}

// view plans a view's query, renaming its columns when the view lists them.
func (qp *queryPlanner) view(v *ast.CreateView) (Node, error) {
	if qp.g.viewTokens += v.Tokens; qp.g.viewTokens > MaxViewTokens {
		qp.g.viewsTooLarge = true
		return nil, errAt(v.Name, "more than %d tokens of views' SQL to plan", MaxViewTokens) // said of the statement (viewsError)
	}
	n, err := qp.query(v.Query)
	if err != nil {
		return nil, err
	}
	if len(v.Columns) == 0 {
		return n, nil
	}
	renamed, want := renameLogical(n.Columns(), v.Columns)
	if renamed == nil {
		return nil, errAt(v, "view %s names %d columns, its query gives %d", v.Name, len(v.Columns), want)
	}
	return &Renamed{Input: n, Cols: renamed}, nil
}

// checkFollowing refuses a FOLLOWING window joinOf could not turn round.
func checkFollowing(n Node) error {
	j, ok := n.(*Join)
	if !ok {
		return nil
	}
	if w := j.LeftWindow; w != nil && w.Following || j.RightWindow != nil && j.RightWindow.Following {
		return fmt.Errorf("OVER (RANGE ... FOLLOWING) works in an inner join whose other side has no window (it is that side looking back as far); here write the window as PRECEDING on the other side")
	}
	if err := checkFollowing(j.Left); err != nil {
		return err
	}
	return checkFollowing(j.Right)
}

// checkTableJoins allows a table only as one side of a join with a stream,
// and only as the side an outer join does not preserve.
func checkTableJoins(n Node) error {
	j, ok := n.(*Join)
	if !ok {
		return nil
	}
	_, lt := j.Left.(*TableScan)
	_, rt := j.Right.(*TableScan)
	switch {
	case lt && rt:
		return fmt.Errorf("two tables cannot be joined: one side must be a stream")
	case lt && (j.Kind == "LEFT" || j.Kind == "FULL") || rt && (j.Kind == "RIGHT" || j.Kind == "FULL"):
		return fmt.Errorf("an outer join keeps the stream's rows, not the table's: use %s JOIN with the stream first", map[bool]string{true: "LEFT", false: "RIGHT"}[rt])
	case (lt || rt) && (j.LeftWindow != nil || j.RightWindow != nil):
		return fmt.Errorf("a join with a table takes no window")
	}
	if err := checkTableJoins(j.Left); err != nil {
		return err
	}
	return checkTableJoins(j.Right)
}

// nameAddedColumn applies TABLE(f(...) AS name): the one column the
// function adds to its cursor's (ANOMALY_SCORE, HOTSPOTS_RESULT,
// NUMBER_OF_DISTINCT_ITEMS) takes the name.
func nameAddedColumn(t *ast.TableFunction, n Node) (Node, error) {
	cols := n.Columns()
	added := -1
	switch n := n.(type) {
	case *RCF:
		if !n.Explain {
			added = len(cols) - 1
		}
	case *Hotspots:
		added = len(cols) - 1
	case *ItemsTumbling:
		if n.K == 0 {
			added = 0
		}
	case *GroupRank:
		if n.Added {
			added = n.Out
		}
	}
	if added < 0 {
		return nil, errAt(t.CallAlias, "AS %s inside TABLE(...) names the one column a function adds; %s adds several: name them after TABLE(...) AS alias (col, ...)", t.CallAlias, t.Call.Name[len(t.Call.Name)-1].Name)
	}
	renamed := append([]Column(nil), cols...)
	renamed[added].Name = t.CallAlias.Name
	return &Renamed{Input: n, Cols: renamed}, nil
}
