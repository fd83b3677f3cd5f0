package plan

import (
	"fmt"
	"math"
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
	if s.Within != nil {
		return nil, errAt(s.Within, "ORDER BY ... WITHIN (T-sort) is not supported yet")
	}
	var node Node
	sc := &scope{}
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
	c := &compiler{scope: sc}
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
		if s.Distinct || len(s.OrderBy) > 0 {
			return nil, errAt(s, "DISTINCT and ORDER BY over GROUP BY results are not supported yet")
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
	for _, item := range s.Items {
		if item.Star {
			for _, r := range sc.rels {
				if len(item.Qualifier) > 0 && item.Qualifier[len(item.Qualifier)-1].Name != r.name {
					continue
				}
				for i, col := range r.columns {
					if col.Hidden {
						continue
					}
					idx := r.offset + i
					p.Exprs = append(p.Exprs, &Expr{Type: col.Type, Source: col.Name, usesColumns: true,
						Eval: func(env *Env) (types.Value, error) { return env.Values[idx], nil }})
					p.Cols = append(p.Cols, col)
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
		p.Cols = append(p.Cols, Column{Name: itemName(item, len(p.Cols)), Type: e.Type})
	}
	if c, ok := hasRow(p.Cols); ok && (s.Distinct || len(s.OrderBy) > 0) {
		return nil, errAt(s, "DISTINCT and ORDER BY do not take ROW values (%s): select their fields in an outer query", ast.Ident{Name: c.Row})
	}
	var out Node = p
	if s.Distinct {
		d, err := distinct(s, p)
		if err != nil {
			return nil, err
		}
		out = d
	}
	if len(s.OrderBy) > 0 {
		if s.Distinct {
			return nil, errAt(s, "DISTINCT with ORDER BY is not supported yet")
		}
		return orderBy(s, p, c)
	}
	return out, nil
}

// isTimeKey tells a monotonic expression of ROWTIME alone.
func isTimeKey(e *Expr) bool { return e.usesRowtime && !e.usesColumns && e.monotonic }

// distinct plans SELECT STREAM DISTINCT: rows compare on every select
// item but ROWTIME itself; the first time key other than ROWTIME (or
// ROWTIME, if it is the only one) says when to forget.
func distinct(s *ast.Select, p *Project) (Node, error) {
	d := &Distinct{Input: p, Key: -1, Cols: p.Cols}
	for i, item := range s.Items {
		if isRowtimeRef(item.Expr) {
			if d.Key < 0 {
				d.Key = i
			}
			continue
		}
		d.Compared = append(d.Compared, i)
	}
	for _, i := range d.Compared {
		if isTimeKey(p.Exprs[i]) {
			d.Key = i
			break
		}
	}
	if d.Key < 0 {
		return nil, errAt(s, "SELECT STREAM DISTINCT needs a time key in its select list, such as FLOOR(ROWTIME TO MINUTE), so that it can forget old rows")
	}
	return d, nil
}

// isRowtimeRef tells ROWTIME or rel.ROWTIME.
func isRowtimeRef(e ast.Expr) bool {
	ref, ok := e.(*ast.ColumnRef)
	return ok && ref.Parts[len(ref.Parts)-1].Name == "ROWTIME"
}

// orderBy plans ORDER BY on a stream: the leading key must be a time key;
// keys are select items (by ordinal or name) or expressions of the input,
// computed by the projection after the row's ROWTIME.
func orderBy(s *ast.Select, p *Project, c *compiler) (Node, error) {
	visible := len(p.Exprs)
	sort := &Sort{Input: p, Cols: p.Cols}
	var lead *Expr
	for i, item := range s.OrderBy {
		idx, e := -1, (*Expr)(nil)
		if lit, ok := item.Expr.(*ast.Literal); ok && lit.Kind == ast.NumberLit {
			n, err := types.ParseNumber(lit.Text)
			if err != nil || !n.Kind.IsInteger() || n.I < 1 || n.I > int64(visible) {
				return nil, errAt(lit, "ORDER BY %s: no such select item", lit.Text)
			}
			idx, e = int(n.I-1), p.Exprs[n.I-1]
		} else if ref, ok := item.Expr.(*ast.ColumnRef); ok && len(ref.Parts) == 1 {
			for j, col := range p.Cols {
				if col.Name == ref.Parts[0].Name && ref.Parts[0].Name != "ROWTIME" {
					idx, e = j, p.Exprs[j]
					break
				}
			}
		}
		if idx < 0 {
			var err error
			if e, err = c.compile(item.Expr); err != nil {
				return nil, err
			}
			p.Exprs = append(p.Exprs, e)
			p.Hidden++
			idx = visible + p.Hidden // after the ROWTIME
		}
		if i == 0 {
			if !isTimeKey(e) || item.Desc {
				return nil, errAt(item.Expr, "ORDER BY on a stream must lead with an ascending time key, such as ROWTIME or FLOOR(s.ROWTIME TO SECOND)")
			}
			lead = e
		}
		sort.Keys = append(sort.Keys, SortKey{Index: idx, Desc: item.Desc})
	}
	sort.Bucket = c.bucket(lead)
	return sort, nil
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

// from plans one FROM item, adding its relations to the scope.
func (qp *queryPlanner) from(t ast.TableRef, sc *scope) (Node, error) {
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
			n = &TableScan{Table: tb}
		} else if v, ok := qp.g.views[t.Name[0].Name]; ok {
			vn, err := qp.view(v)
			if err != nil {
				return nil, err
			}
			n = vn
		} else {
			st, ok := qp.g.stream(t.Name[0].Name)
			if !ok {
				return nil, errAt(t, "unknown stream %s", t.Name[0])
			}
			n = &Scan{Stream: st}
		}
		if t.Over != nil {
			w, err := joinWindow(t.Over)
			if err != nil {
				return nil, err
			}
			n = &Windowed{Input: n, Window: w}
		}
		sc.add(name, n.Columns())
		return n, nil
	case *ast.TableFunction:
		n, err := qp.tableFunction(t)
		if err != nil {
			return nil, err
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
		if t.Alias == nil {
			return nil, errAt(t, "a subquery in FROM needs an alias")
		}
		if len(t.ColumnAliases) > 0 {
			cols, err := renameColumns(n.Columns(), t.ColumnAliases, t, "the alias "+t.Alias.String())
			if err != nil {
				return nil, err
			}
			n = &Renamed{Input: n, Cols: cols}
		}
		sc.add(t.Alias.Name, n.Columns())
		return n, nil
	case *ast.Join:
		if t.Natural || len(t.Using) > 0 {
			return nil, errAt(t, "NATURAL JOIN and USING are not supported yet; write ON")
		}
		l, err := qp.from(t.Left, sc)
		if err != nil {
			return nil, err
		}
		r, err := qp.from(t.Right, sc)
		if err != nil {
			return nil, err
		}
		j := joinOf(l, r, t.Kind)
		if t.On != nil {
			cond, err := (&compiler{scope: sc}).compile(t.On)
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

// joinOf joins two FROM items; a windowed side keeps its window.
func joinOf(l, r Node, kind string) *Join {
	j := &Join{Left: l, Right: r, Kind: kind}
	if w, ok := l.(*Windowed); ok {
		j.Left, j.LeftWindow = w.Input, w.Window
	}
	if w, ok := r.(*Windowed); ok {
		j.Right, j.RightWindow = w.Input, w.Window
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
func joinWindow(spec *ast.WindowSpec) (*JoinWindow, error) {
	if spec.Ref != nil || len(spec.PartitionBy) > 0 || spec.Frame == nil {
		return nil, errAt(spec, "a stream in a join takes OVER (RANGE INTERVAL ... PRECEDING) or OVER (ROWS n PRECEDING), without PARTITION BY")
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
		walkExpr(item.Expr, func(e ast.Expr) {
			if f, ok := e.(*ast.FuncCall); ok && pred(f) {
				found = true
			}
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

// walkExpr visits an expression tree (not into subqueries).
func walkExpr(e ast.Expr, visit func(ast.Expr)) {
	if e == nil {
		return
	}
	visit(e)
	switch e := e.(type) {
	case *ast.Unary:
		walkExpr(e.X, visit)
	case *ast.Binary:
		walkExpr(e.L, visit)
		walkExpr(e.R, visit)
	case *ast.FuncCall:
		for _, a := range e.Args {
			walkExpr(a, visit)
		}
	case *ast.Cast:
		walkExpr(e.X, visit)
	case *ast.IsNull:
		walkExpr(e.X, visit)
	case *ast.Case:
		walkExpr(e.Operand, visit)
		for _, w := range e.Whens {
			walkExpr(w.Cond, visit)
			walkExpr(w.Result, visit)
		}
		walkExpr(e.Else, visit)
	case *ast.FloorCeil:
		walkExpr(e.X, visit)
	case *ast.Step:
		walkExpr(e.X, visit)
	case *ast.IntervalConv:
		walkExpr(e.X, visit)
	case *ast.Between:
		walkExpr(e.X, visit)
		walkExpr(e.Lo, visit)
		walkExpr(e.Hi, visit)
	}
}

// aggContext maps the select list of a GROUP BY query onto the group's
// values: grouped expressions become key references, aggregate calls
// accumulators.
type aggContext struct {
	input   *compiler
	keySQL  []string
	keys    []*Expr
	aggs    []AggCall
	aggSQL  []string
	aggExpr []*Expr
}

func (a *aggContext) lookup(n ast.Expr) (*Expr, bool, error) {
	sql := n.String()
	for i, k := range a.keySQL {
		if k == sql {
			idx, t := i, a.keys[i].Type
			return &Expr{Type: t, Source: sql, Eval: func(env *Env) (types.Value, error) { return env.Values[idx], nil }}, true, nil
		}
	}
	switch n := n.(type) {
	case *ast.FuncCall:
		name := n.Name[len(n.Name)-1].Name
		f, ok := functions.LookupAggregate(name)
		if !ok || n.Over != nil {
			return nil, false, nil
		}
		for i, s := range a.aggSQL {
			if s == sql {
				return a.aggExpr[i], true, nil
			}
		}
		if n.Distinct {
			return nil, true, errAt(n, "%s(DISTINCT ...) is not supported yet", name)
		}
		call := AggCall{Func: f}
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
		e := &Expr{Type: t, Source: sql, Eval: func(env *Env) (types.Value, error) { return env.Values[idx], nil }}
		a.aggs = append(a.aggs, call)
		a.aggSQL = append(a.aggSQL, sql)
		a.aggExpr = append(a.aggExpr, e)
		return e, true, nil
	case *ast.ColumnRef:
		if len(n.Parts) == 1 && n.Parts[0].Name == "ROWTIME" && !n.Parts[0].Quoted {
			return nil, false, nil // the group's ROWTIME: the window's end
		}
		return nil, true, errAt(n, "%s must appear in GROUP BY or inside an aggregate", n)
	}
	return nil, false, nil
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
	for _, g := range groupBy {
		k, err := in.compile(g)
		if err != nil {
			return nil, err
		}
		if k.usesRowtime && !k.usesColumns {
			if !k.monotonic {
				return nil, errAt(g, "GROUP BY %s: the time key must grow with ROWTIME (use FLOOR, CEIL or STEP of ROWTIME; after a join, of the unqualified ROWTIME, the later of the two)", g)
			}
			agg.TimeKeys = append(agg.TimeKeys, len(ac.keys))
			agg.Buckets = append(agg.Buckets, in.bucket(k))
		}
		ac.keys = append(ac.keys, k)
		ac.keySQL = append(ac.keySQL, g.String())
	}
	if len(agg.TimeKeys) == 0 && agg.Stagger == 0 {
		return nil, errAt(s, "a streaming GROUP BY needs a key based on ROWTIME, such as FLOOR(s.ROWTIME TO MINUTE) or STEP(s.ROWTIME BY INTERVAL '10' SECOND): without one the groups never close")
	}
	out := &compiler{scope: &scope{}, lookup: ac.lookup}
	for _, item := range s.Items {
		if item.Star {
			return nil, errAt(s, "* is not allowed in a GROUP BY query")
		}
		e, err := out.compile(item.Expr)
		if err != nil {
			return nil, err
		}
		agg.Out = append(agg.Out, e)
		agg.Cols = append(agg.Cols, Column{Name: itemName(item, len(agg.Cols)), Type: e.Type})
	}
	if s.Having != nil {
		h, err := out.compile(s.Having)
		if err != nil {
			return nil, err
		}
		agg.Having = h
	}
	agg.Keys, agg.Aggs = ac.keys, ac.aggs
	return agg, nil
}

// tableFunction plans TABLE(RANDOM_CUT_FOREST[_WITH_EXPLANATION](CURSOR(...), ...)).
func (qp *queryPlanner) tableFunction(t *ast.TableFunction) (Node, error) {
	call := t.Call
	name := call.Name[len(call.Name)-1].Name
	explain := name == "RANDOM_CUT_FOREST_WITH_EXPLANATION"
	if name != "RANDOM_CUT_FOREST" && !explain {
		return nil, errAt(call, "unknown table function %s", name)
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
	if _, err := rcf.New(cfg); err != nil {
		msg := strings.ReplaceAll(err.Error(), rcf.ErrConfig.Error()+": ", "")
		return nil, errAt(call, "%s", strings.ReplaceAll(msg, "\n", "; "))
	}
	node.Config = cfg
	node.Cols = append(append([]Column{}, input.Columns()...), Column{Name: "ANOMALY_SCORE", Type: types.Type{Kind: types.Double}})
	if explain {
		node.Cols = append(node.Cols, Column{Name: "ANOMALY_EXPLANATION", Type: types.Type{Kind: types.Varchar, Length: 20480}})
	}
	return node, nil
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
	if len(q.OrderBy) > 0 {
		return nil, errAt(q, "ORDER BY is not supported yet")
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
	return &Union{Left: l, Right: r, Cols: lc}, nil
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
	var visit func(e ast.Expr)
	visit = func(e ast.Expr) {
		f, ok := e.(*ast.FuncCall)
		if !ok || f.Over == nil || failure != nil {
			return
		}
		sql := f.String()
		if slots[sql] != nil {
			return
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
			call.Slot = base + len(slots)
			w.Calls = append(w.Calls, call)
			slot := call.Slot
			slots[sql] = &Expr{Type: call.Type, Source: sql, Eval: func(env *Env) (types.Value, error) { return env.Values[slot], nil }}
			return
		}
		agg, ok := functions.LookupAggregate(name)
		if !ok {
			failure = errAt(f, "%s is not supported OVER a window yet", name)
			return
		}
		call := AnalyticCall{Func: agg, Type: types.Type{Kind: types.Unknown}}
		switch {
		case f.Star && name == "COUNT":
		case len(f.Args) == 1 && !f.Distinct:
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
		slot := base + len(slots)
		call.Slot = slot
		w.Calls = append(w.Calls, call)
		slots[sql] = &Expr{Type: t, Source: sql, Eval: func(env *Env) (types.Value, error) { return env.Values[slot], nil }}
	}
	for _, item := range s.Items {
		walkExpr(item.Expr, visit)
	}
	if failure != nil {
		return nil, nil, failure
	}
	out := &compiler{scope: in.scope, lookup: func(e ast.Expr) (*Expr, bool, error) {
		if f, ok := e.(*ast.FuncCall); ok && f.Over != nil {
			return slots[f.String()], true, nil
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
		v, err := e.Eval(&Env{})
		if err != nil || e.usesColumns || e.usesRowtime || !v.Kind.IsInteger() || v.Null || v.I < 1 {
			return nil, errAt(f.Start.Offset, "ROWS takes a positive whole number of rows")
		}
		w.Rows = v.I
	default:
		r, err := constantInterval(in, f.Start.Offset)
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
	call := AnalyticCall{Arg: arg, Type: arg.Type, Lag: 1, IgnoreNulls: f.NullTreatment == "IGNORE NULLS"}
	if len(f.Args) >= 2 {
		n, err := in.compile(f.Args[1])
		if err != nil {
			return call, err
		}
		v, err := n.Eval(&Env{})
		if err != nil || n.usesColumns || n.usesRowtime || !v.Kind.IsInteger() || v.Null || v.I < 0 {
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
	n, err := qp.query(v.Query)
	if err != nil {
		return nil, err
	}
	if len(v.Columns) == 0 {
		return n, nil
	}
	renamed, err := renameColumns(n.Columns(), v.Columns, v, "view "+v.Name.String())
	if err != nil {
		return nil, err
	}
	return &Renamed{Input: n, Cols: renamed}, nil
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
