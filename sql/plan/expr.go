package plan

import (
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/riffle-sql/riffle/sql/ast"
	"github.com/riffle-sql/riffle/sql/functions"
	"github.com/riffle-sql/riffle/sql/logparse"
	"github.com/riffle-sql/riffle/sql/types"
)

// Expr is a compiled expression.
type Expr struct {
	Type types.Type
	Eval func(*Env) (types.Value, error)
	// Source is the expression as written (canonical SQL), for messages.
	Source string
	// usesRowtime and usesColumns say what the value depends on; a
	// streaming GROUP BY needs a key that depends on ROWTIME alone (the
	// output row's time, Env.Time: such a key reads nothing else), or a key
	// declared MONOTONIC.
	usesRowtime, usesColumns bool
	// monotonic: the value never decreases as ROWTIME grows; with
	// usesColumns, the user declared it (MONOTONIC) never reverses.
	monotonic bool
	// sideRowtime: reads the ROWTIME of one side of a join of streams,
	// which is a value of the row, not the output's time.
	sideRowtime bool
}

// posError is an error at a position in the SQL.
type posError struct {
	pos ast.Pos
	msg string
}

func (e *posError) Error() string { return e.pos.String() + ": " + e.msg }

func errAt(n ast.Node, format string, args ...any) error {
	return &posError{pos: n.Position(), msg: fmt.Sprintf(format, args...)}
}

// compiler compiles expressions in a scope.
type compiler struct {
	scope *scope
	// qp plans subqueries (IN, EXISTS, scalar) over reference tables;
	// nil where none may appear.
	qp *queryPlanner
	// lookup, when set, may compile an expression itself: grouped keys and
	// aggregates of a GROUP BY, windowed calls of a sliding window.
	lookup func(ast.Expr) (*Expr, bool, error)
	// depth counts the compiles under way: only the outermost expression
	// gets its Source, as printing every operand of a long chain again
	// would make compiling quadratic in its length.
	depth int
}

func (c *compiler) compile(n ast.Expr) (*Expr, error) {
	if c.lookup != nil {
		if e, ok, err := c.lookup(n); ok || err != nil {
			return e, err
		}
	}
	c.depth++
	e, err := c.compileNode(n)
	c.depth--
	if err != nil {
		return nil, err
	}
	if c.depth == 0 {
		e.Source = n.String()
	}
	return e, nil
}

func constant(v types.Value, t types.Type) *Expr {
	return &Expr{Type: t, Eval: func(*Env) (types.Value, error) { return v, nil }, monotonic: true}
}

func (c *compiler) compileNode(n ast.Expr) (*Expr, error) {
	switch n := n.(type) {
	case *ast.Literal:
		return literal(n)
	case *ast.IntervalLit:
		ms, months, err := intervalValue(n)
		if err != nil {
			return nil, errAt(n, "%v", err)
		}
		if n.Qualifier.Start == "YEAR" || n.Qualifier.Start == "MONTH" {
			return constant(types.IntervalMonths(months), types.Type{Kind: types.IntervalYearMonth}), nil
		}
		return constant(types.IntervalMs(ms), types.Type{Kind: types.IntervalDayTime}), nil
	case *ast.ColumnRef:
		if u, err := c.scope.using(n); err != nil || u != nil {
			if err != nil {
				return nil, errAt(n, "%v", err)
			}
			e := *u.expr
			return &e, nil
		}
		r, err := c.scope.resolve(n)
		if err != nil {
			return nil, errAt(n, "%v", err)
		}
		return reference(r), nil
	case *ast.Unary:
		return c.unary(n)
	case *ast.Binary:
		return c.binary(n)
	case *ast.IsNull:
		x, err := c.compile(n.X)
		if err != nil {
			return nil, err
		}
		return derived(types.Type{Kind: types.Boolean}, false, func(env *Env) (types.Value, error) {
			v, err := x.Eval(env)
			return types.Bool(v.Null != n.Not), err
		}, x), nil
	case *ast.IsTruth:
		return c.isTruth(n)
	case *ast.IsDistinct:
		return c.isDistinct(n)
	case *ast.Between:
		return c.between(n)
	case *ast.InList:
		if n.Query != nil {
			return c.inSubquery(n)
		}
		return c.inList(n)
	case *ast.Exists:
		return c.exists(n)
	case *ast.ScalarQuery:
		return c.scalarSubquery(n)
	case *ast.Like:
		return c.like(n)
	case *ast.Case:
		return c.caseExpr(n)
	case *ast.Cast:
		x, err := c.compile(n.X)
		if err != nil {
			return nil, err
		}
		t, err := types.FromAST(n.Type)
		if err != nil {
			return nil, errAt(n, "%v", err)
		}
		e := derived(t, x.monotonic, func(env *Env) (types.Value, error) {
			v, err := x.Eval(env)
			if err != nil {
				return v, err
			}
			return types.Cast(v, t)
		}, x)
		return e, nil
	case *ast.FuncCall:
		return c.call(n)
	case *ast.FloorCeil:
		return c.floorCeil(n)
	case *ast.Step:
		return c.step(n)
	case *ast.IntervalConv:
		return c.intervalConv(n)
	case *ast.Substring:
		if n.Similar {
			return c.substringSimilar(n)
		}
		return c.callNamed(n, "SUBSTRING", n.X, n.From, n.For)
	case *ast.Position:
		return c.callNamed(n, "POSITION", n.Needle, n.Haystack, n.From)
	case *ast.Trim:
		side := n.Side
		if side == "" {
			side = "BOTH"
		}
		chars := n.Chars
		if chars == nil {
			chars = &ast.Literal{Pos: n.Pos, Kind: ast.StringLit, Text: " "}
		}
		return c.callNamed(n, "TRIM_"+side, n.X, chars)
	case *ast.Extract:
		return c.callNamed(n, "EXTRACT_"+n.Unit, n.X)
	case *ast.Overlay:
		return c.callNamed(n, "OVERLAY", n.X, n.Placing, n.From, n.For)
	case *ast.PeriodPredicate:
		return c.periodPredicate(n)
	case *ast.Period:
		return nil, errAt(n, "%s is a period: it is an operand of a temporal predicate (OVERLAPS, CONTAINS, PRECEDES, ...), not a value", n)
	}
	return nil, errAt(n, "%s is not supported yet", n)
}

// reference compiles a resolved column reference.
func reference(r resolved) *Expr {
	i := r.index
	switch {
	case i < 0:
		return &Expr{Type: r.typ, usesRowtime: true, monotonic: true,
			Eval: func(env *Env) (types.Value, error) { return types.TimestampMs(env.Time), nil }}
	case r.rowtime:
		// After a join of streams the output's time is the later of the two
		// rows': a side's own ROWTIME is a value of the row.
		return &Expr{Type: r.typ, usesColumns: true, sideRowtime: true,
			Eval: func(env *Env) (types.Value, error) { return env.Values[i], nil }}
	case r.timed && r.column.time != nil:
		// A time key computed before (a subquery's ROWTIME AS t): the row
		// kept its ROWTIME, so it is the same function of the output's time.
		return &Expr{Type: r.typ, usesRowtime: true, monotonic: true, Eval: r.column.time.Eval}
	}
	return &Expr{Type: r.typ, usesColumns: true, monotonic: r.timed && r.column.monotonic,
		Eval: func(env *Env) (types.Value, error) { return env.Values[i], nil }}
}

// derived builds an expression from sub-expressions, inheriting what they
// depend on.
func derived(t types.Type, monotonic bool, eval func(*Env) (types.Value, error), parts ...*Expr) *Expr {
	e := &Expr{Type: t, Eval: eval, monotonic: monotonic}
	for _, p := range parts {
		e.usesRowtime = e.usesRowtime || p.usesRowtime
		e.usesColumns = e.usesColumns || p.usesColumns
		e.sideRowtime = e.sideRowtime || p.sideRowtime
		e.monotonic = e.monotonic && p.monotonic
	}
	return e
}

func literal(n *ast.Literal) (*Expr, error) {
	switch n.Kind {
	case ast.NumberLit:
		v, err := types.ParseNumber(n.Text)
		if err != nil {
			return nil, errAt(n, "%v", err)
		}
		t := types.Type{Kind: v.Kind}
		if v.Kind == types.Decimal {
			t.Precision, t.Scale = types.MaxDecimalDigits, int(v.Scale)
		}
		return constant(v, t), nil
	case ast.StringLit:
		return constant(types.Str(types.Char, n.Text), types.Type{Kind: types.Char, Length: max(1, len([]rune(n.Text)))}), nil
	case ast.BoolLit:
		if n.Text == "UNKNOWN" {
			return constant(types.NullOf(types.Boolean), types.Type{Kind: types.Boolean}), nil
		}
		return constant(types.Bool(n.Text == "TRUE"), types.Type{Kind: types.Boolean}), nil
	case ast.NullLit:
		return constant(types.NullOf(types.Unknown), types.Type{Kind: types.Unknown}), nil
	case ast.TimestampLit, ast.DateLit, ast.TimeLit:
		kind := map[ast.LiteralKind]types.Kind{ast.TimestampLit: types.Timestamp, ast.DateLit: types.Date, ast.TimeLit: types.Time}[n.Kind]
		v, err := types.Cast(types.Str(types.Varchar, n.Text), types.Type{Kind: kind})
		if err != nil {
			return nil, errAt(n, "%v", err)
		}
		return constant(v, types.Type{Kind: kind}), nil
	case ast.BinaryLit:
		b, err := hex.DecodeString(n.Text)
		if err != nil {
			return nil, errAt(n, "X'%s' is not a binary literal: it takes an even number of hexadecimal digits", n.Text)
		}
		return constant(types.Str(types.Binary, string(b)), types.Type{Kind: types.Binary, Length: max(1, len(b))}), nil
	}
	return nil, errAt(n, "%s literals are not supported yet", n)
}

var unitMs = map[string]int64{"DAY": 86400000, "HOUR": 3600000, "MINUTE": 60000, "SECOND": 1000}

// intervalValue reads an interval literal's text for its qualifier:
// '10' SECOND, '1:30' MINUTE TO SECOND, '3 4' DAY TO HOUR, '3-4' YEAR TO
// MONTH.
func intervalValue(n *ast.IntervalLit) (ms int64, months int64, err error) {
	q := n.Qualifier
	text := strings.TrimSpace(n.Value)
	neg := n.Negative
	if strings.HasPrefix(text, "-") {
		neg, text = !neg, text[1:]
	}
	sign := int64(1)
	if neg {
		sign = -1
	}
	if q.Start == "YEAR" || q.Start == "MONTH" {
		var y, m int64
		switch {
		case q.End == "MONTH":
			if _, err := fmt.Sscanf(text, "%d-%d", &y, &m); err != nil {
				return 0, 0, fmt.Errorf("interval '%s' is not YEAR TO MONTH (want 'Y-M')", n.Value)
			}
		case q.Start == "YEAR":
			if _, err := fmt.Sscanf(text, "%d", &y); err != nil {
				return 0, 0, fmt.Errorf("interval '%s' is not a number of years", n.Value)
			}
		default:
			if _, err := fmt.Sscanf(text, "%d", &m); err != nil {
				return 0, 0, fmt.Errorf("interval '%s' is not a number of months", n.Value)
			}
		}
		return 0, sign * (y*12 + m), nil
	}
	// Day-time: fields separated by space (after days), then colons.
	units := []string{"DAY", "HOUR", "MINUTE", "SECOND"}
	start, end := unitIndex(units, q.Start), unitIndex(units, q.End)
	if q.End == "" {
		end = start
	}
	fields := strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == ':' })
	if len(fields) != end-start+1 {
		return 0, 0, fmt.Errorf("interval '%s' does not match %s", n.Value, q)
	}
	for i, f := range fields {
		unit := units[start+i]
		var v float64
		if _, err := fmt.Sscanf(f, "%g", &v); err != nil || v < 0 || (unit != "SECOND" && strings.Contains(f, ".")) {
			return 0, 0, fmt.Errorf("interval '%s': bad %s field %q", n.Value, unit, f)
		}
		ms += int64(v*float64(unitMs[unit]) + 0.5)
	}
	return sign * ms, 0, nil
}

func unitIndex(units []string, u string) int {
	for i, v := range units {
		if v == u {
			return i
		}
	}
	return -1
}

func (c *compiler) unary(n *ast.Unary) (*Expr, error) {
	x, err := c.compile(n.X)
	if err != nil {
		return nil, err
	}
	switch n.Op {
	case "NOT":
		if x.Type.Kind != types.Boolean && x.Type.Kind != types.Unknown {
			return nil, errAt(n, "NOT takes a boolean, not %s", x.Type)
		}
		return derived(types.Type{Kind: types.Boolean}, false, func(env *Env) (types.Value, error) {
			v, err := x.Eval(env)
			if err != nil || v.Null {
				return types.NullOf(types.Boolean), err
			}
			return types.Bool(v.I == 0), nil
		}, x), nil
	case "+":
		return x, nil
	}
	zero := types.Int(types.Integer, 0)
	k, err := types.ArithmeticType("-", types.Integer, x.Type.Kind)
	if err != nil || !(x.Type.Kind.IsNumeric() || x.Type.Kind.IsInterval()) {
		return nil, errAt(n, "cannot negate %s", x.Type)
	}
	if x.Type.Kind.IsInterval() {
		k = x.Type.Kind
		zero = types.Int(k, 0)
	}
	t := x.Type
	t.Kind = k
	return derived(t, false, func(env *Env) (types.Value, error) {
		v, err := x.Eval(env)
		if err != nil {
			return v, err
		}
		return types.Arithmetic("-", zero, v, k)
	}, x), nil
}

// binary compiles a left-deep chain (1 + 1 + … + 1, a OR b OR …) in a
// loop: down its left operands, then up, each operator over the part below
// it and its right operand. Recursion per term would overflow the stack on
// a long chain.
func (c *compiler) binary(n *ast.Binary) (*Expr, error) {
	spine := []*ast.Binary{n}
	var l *Expr
	for {
		b, ok := spine[len(spine)-1].L.(*ast.Binary)
		if !ok {
			break
		}
		if c.lookup != nil {
			e, ok, err := c.lookup(b)
			if err != nil {
				return nil, err
			}
			if ok {
				l = e
				break
			}
		}
		spine = append(spine, b)
	}
	if l == nil {
		var err error
		if l, err = c.compile(spine[len(spine)-1].L); err != nil {
			return nil, err
		}
	}
	for i := len(spine) - 1; i >= 0; i-- {
		r, err := c.compile(spine[i].R)
		if err != nil {
			return nil, err
		}
		if l, err = c.binaryOf(spine[i], l, r); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// binaryOf is the operator n over its compiled operands.
func (c *compiler) binaryOf(n *ast.Binary, l, r *Expr) (*Expr, error) {
	boolean := types.Type{Kind: types.Boolean}
	switch n.Op {
	case "AND", "OR":
		for _, side := range []*Expr{l, r} {
			if side.Type.Kind != types.Boolean && side.Type.Kind != types.Unknown {
				return nil, errAt(n, "%s takes booleans, not %s", n.Op, side.Type)
			}
		}
		and := n.Op == "AND"
		return derived(boolean, false, func(env *Env) (types.Value, error) {
			a, err := l.Eval(env)
			if err != nil {
				return a, err
			}
			// Three-valued logic, short-circuiting where the answer is known.
			if !a.Null && (a.I != 0) != and {
				return types.Bool(!and), nil
			}
			b, err := r.Eval(env)
			if err != nil {
				return b, err
			}
			switch {
			case !b.Null && (b.I != 0) != and:
				return types.Bool(!and), nil
			case a.Null || b.Null:
				return types.NullOf(types.Boolean), nil
			}
			return types.Bool(and), nil
		}, l, r), nil
	case "=", "<>", "<", "<=", ">", ">=":
		if err := checkComparable(n, l.Type, r.Type); err != nil {
			return nil, err
		}
		op := n.Op
		if b, ok := literalValue(n.R, r); ok {
			// A comparison with a literal (the usual filter) reads it once.
			// The comparison is written out here, not called: this is the
			// hottest closure of a filtering pump.
			return derived(boolean, false, func(env *Env) (types.Value, error) {
				a, err := l.Eval(env)
				if err != nil {
					return a, err
				}
				if a.Null || b.Null {
					return types.NullOf(types.Boolean), nil
				}
				c, err := types.Compare(a, b)
				if err != nil {
					return types.Value{}, err
				}
				return types.Bool(compares(op, c)), nil
			}, l, r), nil
		}
		return derived(boolean, false, func(env *Env) (types.Value, error) {
			a, err := l.Eval(env)
			if err != nil {
				return a, err
			}
			b, err := r.Eval(env)
			if err != nil {
				return b, err
			}
			return compareValues(op, a, b)
		}, l, r), nil
	case "||":
		if !l.Type.Kind.IsString() && l.Type.Kind != types.Unknown || !r.Type.Kind.IsString() && r.Type.Kind != types.Unknown {
			return nil, errAt(n, "|| joins strings, not %s and %s", l.Type, r.Type)
		}
		t := types.Type{Kind: types.Varchar, Length: min(types.MaxLength, l.Type.Length+r.Type.Length)}
		return derived(t, false, func(env *Env) (types.Value, error) {
			a, err := l.Eval(env)
			if err != nil {
				return a, err
			}
			b, err := r.Eval(env)
			if err != nil || a.Null || b.Null {
				return types.NullOf(types.Varchar), err
			}
			return types.Str(types.Varchar, a.S+b.S), nil
		}, l, r), nil
	}
	k, err := types.ArithmeticType(n.Op, l.Type.Kind, r.Type.Kind)
	if err != nil {
		return nil, errAt(n, "%v", err)
	}
	t := arithmeticResult(k, l.Type, r.Type)
	op := n.Op
	// Time arithmetic with constants keeps ROWTIME's order: ROWTIME - c,
	// ROWTIME + c, interval / c, interval * c; dividing or multiplying by
	// a constant that is not positive reverses or flattens it.
	mono := (l.monotonic && r.usesColumns == false && !r.usesRowtime) || (op == "+" && r.monotonic && !l.usesColumns && !l.usesRowtime)
	if op == "-" && r.usesRowtime {
		mono = false
	}
	if mono && (op == "*" || op == "/") && !positiveConstant(r) {
		mono = false
	}
	if b, ok := literalValue(n.R, r); ok {
		// Arithmetic with a literal (ROWTIME - TIMESTAMP '1970-01-01
		// 00:00:00', x / 10) reads it once.
		return derived(t, mono, func(env *Env) (types.Value, error) {
			a, err := l.Eval(env)
			if err != nil {
				return a, err
			}
			return types.Arithmetic(op, a, b, k)
		}, l, r), nil
	}
	return derived(t, mono, func(env *Env) (types.Value, error) {
		a, err := l.Eval(env)
		if err != nil {
			return a, err
		}
		b, err := r.Eval(env)
		if err != nil {
			return b, err
		}
		return types.Arithmetic(op, a, b, k)
	}, l, r), nil
}

// constantValue is the value of an expression that reads no row and no
// clock, computed at check time; ok is false for any other expression
// (whose Eval needs a row) and for one whose evaluation fails.
func constantValue(e *Expr) (types.Value, bool) {
	if e.usesColumns || e.usesRowtime {
		return types.Value{}, false
	}
	v, err := e.Eval(&Env{})
	return v, err == nil
}

// literalValue is the value of an operand written with literals alone
// (10, TIMESTAMP '...', INTERVAL '1' MINUTE, -(2 * 3)), computed once;
// ok is false for anything that reads a row, the clock or a table.
func literalValue(n ast.Expr, e *Expr) (types.Value, bool) {
	if e.usesColumns || e.usesRowtime {
		return types.Value{}, false
	}
	literal := true
	ast.Inspect(n, func(x ast.Expr) bool {
		switch x.(type) {
		case *ast.Literal, *ast.IntervalLit, *ast.Unary, *ast.Binary:
		default:
			literal = false
		}
		return literal
	})
	if !literal {
		return types.Value{}, false
	}
	return constantValue(e)
}

// arithmeticResult fills in the sizes of an arithmetic result type.
func arithmeticResult(k types.Kind, l, r types.Type) types.Type {
	t := types.Type{Kind: k}
	if k == types.Decimal {
		t.Precision, t.Scale = types.MaxDecimalDigits, max(l.Scale, r.Scale)
	}
	return t
}

// sample is a value of the type, for checking comparability at plan time.
func sample(t types.Type) types.Value { return types.Value{Kind: t.Kind} }

// checkComparable refuses comparing values of two types that do not compare
// (a NULL literal, of unknown type, compares with anything).
func checkComparable(n ast.Node, l, r types.Type) error {
	if _, err := types.Compare(sample(l), sample(r)); err != nil && l.Kind != types.Unknown && r.Kind != types.Unknown {
		return errAt(n, "cannot compare %s with %s", l, r)
	}
	return nil
}

// compareValues is a op b: UNKNOWN (NULL) when either is NULL.
func compareValues(op string, a, b types.Value) (types.Value, error) {
	if a.Null || b.Null {
		return types.NullOf(types.Boolean), nil
	}
	c, err := types.Compare(a, b)
	if err != nil {
		return types.Value{}, err
	}
	return types.Bool(compares(op, c)), nil
}

func compares(op string, c int) bool {
	switch op {
	case "=":
		return c == 0
	case "<>":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

// inList compiles x IN (a, b, …) in one pass over the items, with the
// three-valued logic of x = a OR x = b OR …: TRUE on a match, else NULL
// when x or an item is NULL, else FALSE. Items that are all literals of one
// family are a sorted set, searched in log time per row; others are
// compared in a loop. Neither recurses per item.
func (c *compiler) inList(n *ast.InList) (*Expr, error) {
	x, err := c.compile(n.X)
	if err != nil {
		return nil, err
	}
	items := make([]*Expr, len(n.List))
	for i, item := range n.List {
		if items[i], err = c.compile(item); err != nil {
			return nil, err
		}
		if err := checkComparable(&ast.Binary{Pos: n.Pos, Op: "=", L: n.X, R: item}, x.Type, items[i].Type); err != nil {
			return nil, err
		}
	}
	not := n.Not
	result := func(found, unknown bool) types.Value {
		switch {
		case found:
			return types.Bool(!not)
		case unknown:
			return types.NullOf(types.Boolean)
		}
		return types.Bool(not)
	}
	if set, hasNull, ok := literalSet(n.List, items); ok {
		return derived(types.Type{Kind: types.Boolean}, false, func(env *Env) (types.Value, error) {
			v, err := x.Eval(env)
			if err != nil || v.Null {
				return types.NullOf(types.Boolean), err
			}
			var cmpErr error
			i := sort.Search(len(set), func(i int) bool {
				c, err := types.Compare(set[i], v)
				if err != nil {
					cmpErr = err
				}
				return c >= 0
			})
			if cmpErr != nil {
				return types.Value{}, cmpErr
			}
			found := i < len(set)
			if found {
				c, err := types.Compare(set[i], v)
				if err != nil {
					return types.Value{}, err
				}
				found = c == 0
			}
			return result(found, hasNull), nil
		}, append([]*Expr{x}, items...)...), nil
	}
	return derived(types.Type{Kind: types.Boolean}, false, func(env *Env) (types.Value, error) {
		v, err := x.Eval(env)
		if err != nil {
			return v, err
		}
		unknown := v.Null
		for _, item := range items {
			w, err := item.Eval(env)
			if err != nil {
				return w, err
			}
			eq, err := compareValues("=", v, w)
			if err != nil {
				return eq, err
			}
			if eq.Null {
				unknown = true
			} else if eq.I != 0 {
				return result(true, false), nil
			}
		}
		return result(false, unknown), nil
	}, append([]*Expr{x}, items...)...), nil
}

// literalSet is the values of an IN list's items, sorted, when every item
// is a literal and the non-NULL ones are of one family that types.Compare
// orders totally (integers and decimals; floating point; strings; binary
// strings; one other kind), with whether a NULL is among them.
func literalSet(list []ast.Expr, items []*Expr) (set []types.Value, hasNull, ok bool) {
	family := func(k types.Kind) int {
		switch {
		case k.IsInteger() || k == types.Decimal:
			return -1
		case k.IsNumeric():
			return -2
		case k.IsString():
			return -3
		case k == types.Binary || k == types.Varbinary:
			return -4
		}
		return int(k)
	}
	fam, first := 0, true
	for i, item := range items {
		v, ok := literalValue(list[i], item)
		if !ok {
			return nil, false, false
		}
		if v.Null {
			hasNull = true
			continue
		}
		if f := family(v.Kind); first {
			fam, first = f, false
		} else if f != fam {
			return nil, false, false
		}
		set = append(set, v)
	}
	var err error
	sort.SliceStable(set, func(i, j int) bool {
		c, e := types.Compare(set[i], set[j])
		if e != nil {
			err = e
		}
		return c < 0
	})
	return set, hasNull, err == nil
}

func (c *compiler) like(n *ast.Like) (*Expr, error) {
	x, err := c.compile(n.X)
	if err != nil {
		return nil, err
	}
	lit, ok := n.Pattern.(*ast.Literal)
	if !ok || lit.Kind != ast.StringLit {
		return nil, errAt(n.Pattern, "the pattern must be a string literal for now")
	}
	escape := ""
	if n.Escape != nil {
		e, ok := n.Escape.(*ast.Literal)
		if !ok || e.Kind != ast.StringLit || len([]rune(e.Text)) != 1 {
			return nil, errAt(n.Escape, "ESCAPE takes one character")
		}
		escape = e.Text
	}
	re, err := likeRegexp(lit.Text, escape, n.Similar)
	if err != nil {
		return nil, errAt(n.Pattern, "%v", err)
	}
	return derived(types.Type{Kind: types.Boolean}, false, func(env *Env) (types.Value, error) {
		v, err := x.Eval(env)
		if err != nil || v.Null {
			return types.NullOf(types.Boolean), err
		}
		return types.Bool(re.MatchString(v.S) != n.Not), nil
	}, x), nil
}

// likeRegexp translates a LIKE or SIMILAR TO pattern.
func likeRegexp(pattern, escape string, similar bool) (*regexp.Regexp, error) {
	body, err := patternRegexp(pattern, escape, similar)
	if err != nil {
		return nil, err
	}
	return regexp.Compile("(?s)^" + body + "$")
}

// patternRegexp translates the body of a LIKE or SIMILAR TO pattern.
func patternRegexp(pattern, escape string, similar bool) (string, error) {
	var b strings.Builder
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case escape != "" && string(r) == escape:
			if i+1 == len(rs) {
				return "", fmt.Errorf("pattern ends with the escape character")
			}
			i++
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteString(".")
		case similar && strings.ContainsRune("|*+()[]?{}", r):
			b.WriteRune(r)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return b.String(), nil
}

func (c *compiler) caseExpr(n *ast.Case) (*Expr, error) {
	var conds, results []*Expr
	for _, w := range n.Whens {
		cond := w.Cond
		if n.Operand != nil {
			cond = &ast.Binary{Pos: n.Pos, Op: "=", L: n.Operand, R: w.Cond}
		}
		ce, err := c.compile(cond)
		if err != nil {
			return nil, err
		}
		re, err := c.compile(w.Result)
		if err != nil {
			return nil, err
		}
		conds, results = append(conds, ce), append(results, re)
	}
	var elseExpr *Expr
	if n.Else != nil {
		var err error
		if elseExpr, err = c.compile(n.Else); err != nil {
			return nil, err
		}
	}
	branches := append([]*Expr{}, results...)
	if elseExpr != nil {
		branches = append(branches, elseExpr)
	}
	var bt []types.Type
	for _, b := range branches {
		bt = append(bt, b.Type)
	}
	t, err := types.Unify(bt...)
	if err != nil {
		return nil, errAt(n, "CASE results: %v", err)
	}
	parts := append(append([]*Expr{}, conds...), branches...)
	result := func(e *Expr, env *Env) (types.Value, error) {
		v, err := e.Eval(env)
		if err != nil || v.Null || v.Kind == t.Kind && v.Scale == int8(t.Scale) {
			return v, err
		}
		return types.Cast(v, t)
	}
	return derived(t, false, func(env *Env) (types.Value, error) {
		for i, cond := range conds {
			v, err := cond.Eval(env)
			if err != nil {
				return v, err
			}
			if v.True() {
				return result(results[i], env)
			}
		}
		if elseExpr != nil {
			return result(elseExpr, env)
		}
		return types.NullOf(t.Kind), nil
	}, parts...), nil
}

// callNamed compiles a keyword-syntax function (SUBSTRING(s FROM a FOR b),
// TRIM(LEADING c FROM s), ...) as a call of a registered scalar function;
// nil arguments (unwritten optional parts) are left out.
func (c *compiler) callNamed(n ast.Expr, name string, args ...ast.Expr) (*Expr, error) {
	call := &ast.FuncCall{Pos: n.Position(), Name: []ast.Ident{{Pos: n.Position(), Name: name}}}
	for _, a := range args {
		if a != nil {
			call.Args = append(call.Args, a)
		}
	}
	return c.call(call)
}

func (c *compiler) call(n *ast.FuncCall) (*Expr, error) {
	name := n.Name[len(n.Name)-1].Name
	if len(n.Name) == 1 && !n.Name[0].Quoted && name == "CURRENT_ROW_TIMESTAMP" {
		if len(n.Args) > 0 || n.Star {
			return nil, errAt(n, "CURRENT_ROW_TIMESTAMP takes no arguments: write CURRENT_ROW_TIMESTAMP")
		}
		return &Expr{Type: types.Type{Kind: types.Timestamp}, usesRowtime: true, monotonic: true,
			Eval: func(env *Env) (types.Value, error) { return types.TimestampMs(env.Time), nil }}, nil
	}
	if e, err := startTime(n); e != nil || err != nil {
		return e, err
	}
	if n.Over != nil {
		return nil, errAt(n, "windowed (OVER) functions are only allowed in the select list of a query without GROUP BY, outside aggregates and other windowed calls")
	}
	if _, ok := functions.LookupAggregate(name); ok {
		return nil, errAt(n, "aggregate %s is only allowed in the select list or HAVING of a GROUP BY or stagger query", name)
	}
	if windowOnly[name] {
		return nil, errAt(n, "%s is computed over a window: write %s(...) OVER w, or OVER (...)", name, name)
	}
	if fn, ok := logparse.Lookup(name); ok {
		return nil, errAt(n, "%s returns a ROW value, which can only be a select item of a query without GROUP BY: name it, as in (SELECT STREAM %s(...) AS r FROM s) AS t, and read its fields as t.r.COLUMN1", fn.Name, name)
	}
	f, ok := functions.LookupScalar(name)
	if !ok {
		return nil, unknownFunction(n, name, false)
	}
	if len(n.Args) < f.MinArgs || len(n.Args) > f.MaxArgs {
		return nil, errAt(n, "%s takes %d to %d arguments, not %d", name, f.MinArgs, f.MaxArgs, len(n.Args))
	}
	args := make([]*Expr, len(n.Args))
	argTypes := make([]types.Type, len(n.Args))
	for i, a := range n.Args {
		e, err := c.compile(a)
		if err != nil {
			return nil, err
		}
		args[i], argTypes[i] = e, e.Type
	}
	t, err := f.Result(argTypes)
	if err != nil {
		return nil, errAt(n, "%v", err)
	}
	eval := f.Eval
	if f.Prepare != nil {
		special, err := f.Prepare(constants(args))
		if err != nil {
			return nil, argError(n, name, err)
		}
		if special != nil {
			eval = special
		}
	}
	e := derived(t, f.Monotonic, func(env *Env) (types.Value, error) {
		vals := make([]types.Value, len(args))
		for i, a := range args {
			v, err := a.Eval(env)
			if err != nil {
				return v, err
			}
			if v.Null && f.NullIn {
				return types.NullOf(t.Kind), nil
			}
			vals[i] = v
		}
		v, err := eval(vals)
		if err != nil || v.Null || v.Kind == t.Kind || t.Kind == types.Unknown {
			return v, err
		}
		return types.Cast(v, t) // hold the declared type (COALESCE of INTEGER and DECIMAL)
	}, args...)
	if name == "MONOTONIC" && len(n.Name) == 1 {
		// The user's word: a GROUP BY may close its groups when it moves.
		e.monotonic = true
	}
	return e, nil
}

func (c *compiler) floorCeil(n *ast.FloorCeil) (*Expr, error) {
	x, err := c.compile(n.X)
	if err != nil {
		return nil, err
	}
	unit := n.Unit
	switch {
	case x.Type.Kind == types.IntervalDayTime:
		size, ok := unitMs[unit]
		if !ok {
			return nil, errAt(n, "cannot round a day-time interval to %s", unit)
		}
		return derived(x.Type, x.monotonic, func(env *Env) (types.Value, error) {
			v, err := x.Eval(env)
			if err != nil || v.Null {
				return v, err
			}
			return types.IntervalMs(roundTo(v.I, size, n.Ceil)), nil
		}, x), nil
	case x.Type.Kind == types.Timestamp || x.Type.Kind == types.Date || x.Type.Kind == types.Time:
		return derived(x.Type, x.monotonic, func(env *Env) (types.Value, error) {
			v, err := x.Eval(env)
			if err != nil || v.Null {
				return v, err
			}
			return truncateTime(v, unit, n.Ceil), nil
		}, x), nil
	}
	return nil, errAt(n, "FLOOR/CEIL ... TO %s takes a datetime or an interval, not %s", unit, x.Type)
}

func roundTo(ms, size int64, ceil bool) int64 {
	q := ms / size
	if ms%size != 0 && ms < 0 {
		q--
	}
	if ceil && q*size != ms {
		q++
	}
	return q * size
}

// truncateTime floors (or ceils) a datetime to a unit.
func truncateTime(v types.Value, unit string, ceil bool) types.Value {
	ms := v.I
	if v.Kind == types.Date {
		ms *= 86400000
	}
	t := time.UnixMilli(ms).UTC()
	var f time.Time
	switch unit {
	case "YEAR":
		f = time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		if ceil && !f.Equal(t) {
			f = f.AddDate(1, 0, 0)
		}
	case "MONTH":
		f = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		if ceil && !f.Equal(t) {
			f = f.AddDate(0, 1, 0)
		}
	default:
		return withMs(v, roundTo(ms, unitMs[unit], ceil))
	}
	return withMs(v, f.UnixMilli())
}

func withMs(v types.Value, ms int64) types.Value {
	if v.Kind == types.Date {
		v.I = ms / 86400000
	} else {
		v.I = ms
	}
	return v
}

func (c *compiler) step(n *ast.Step) (*Expr, error) {
	x, err := c.compile(n.X)
	if err != nil {
		return nil, err
	}
	iv, err := c.compile(n.Interval)
	if err != nil {
		return nil, err
	}
	if x.Type.Kind.IsInteger() {
		return c.stepInteger(n, x, iv)
	}
	if iv.usesColumns || iv.usesRowtime || iv.Type.Kind != types.IntervalDayTime {
		return nil, errAt(n.Interval, "STEP takes a constant day-time interval after BY")
	}
	width, err := iv.Eval(&Env{})
	if err != nil || width.I <= 0 {
		return nil, errAt(n.Interval, "STEP needs a positive interval")
	}
	size := width.I
	switch x.Type.Kind {
	case types.Timestamp, types.IntervalDayTime:
		return derived(x.Type, x.monotonic, func(env *Env) (types.Value, error) {
			v, err := x.Eval(env)
			if err != nil || v.Null {
				return v, err
			}
			v.I = roundTo(v.I, size, false)
			return v, nil
		}, x), nil
	}
	return nil, errAt(n, "STEP takes a TIMESTAMP or an interval, not %s", x.Type)
}

// intervalConv is (a - b) unit [TO unit]: the difference as an interval,
// truncated to the qualifier's smallest unit.
func (c *compiler) intervalConv(n *ast.IntervalConv) (*Expr, error) {
	x, err := c.compile(n.X)
	if err != nil {
		return nil, err
	}
	if x.Type.Kind != types.IntervalDayTime {
		return nil, errAt(n, "(...) %s takes the difference of two datetimes, not %s", n.Qualifier, x.Type)
	}
	last := n.Qualifier.Start
	if n.Qualifier.End != "" {
		last = n.Qualifier.End
	}
	size, ok := unitMs[last]
	if !ok {
		return nil, errAt(n, "(...) %s: a datetime difference is a day-time interval", n.Qualifier)
	}
	if last == "SECOND" && n.Qualifier.FractionPrecision < 0 {
		size = 1 // seconds keep their milliseconds unless a precision says otherwise
	} else if last == "SECOND" {
		size = 1000
		for range min(n.Qualifier.FractionPrecision, 3) {
			size /= 10
		}
	}
	return derived(x.Type, x.monotonic, func(env *Env) (types.Value, error) {
		v, err := x.Eval(env)
		if err != nil || v.Null {
			return v, err
		}
		v.I = v.I / size * size
		return v, nil
	}, x), nil
}

// startTime compiles CURRENT_TIMESTAMP, LOCALTIMESTAMP, CURRENT_DATE,
// CURRENT_TIME and LOCALTIME: evaluated once when the query starts, so
// every row gets the same value. Riffle takes it from the application
// clock (Env.Start), never the wall clock: the same input gives the same
// output. The engine works in UTC, so the LOCAL forms equal the CURRENT
// ones. The value is not known when planning: it counts as depending on
// the row (usesColumns), so nothing evaluates it at plan time or takes it
// for a time key. It returns nil for other calls.
func startTime(n *ast.FuncCall) (*Expr, error) {
	name := n.Name[0].Name
	if len(n.Name) != 1 || n.Name[0].Quoted || !startTimes[name] {
		return nil, nil
	}
	if !n.Niladic() {
		return nil, errAt(n, "%s takes no precision or arguments (the service does not support them either): write %s", name, name)
	}
	const day = 86400000
	var e *Expr
	switch name {
	case "CURRENT_TIMESTAMP", "LOCALTIMESTAMP":
		e = &Expr{Type: types.Type{Kind: types.Timestamp},
			Eval: func(env *Env) (types.Value, error) { return types.TimestampMs(env.Start), nil }}
	case "CURRENT_DATE":
		e = &Expr{Type: types.Type{Kind: types.Date},
			Eval: func(env *Env) (types.Value, error) {
				return types.Int(types.Date, floorDiv(env.Start, day)), nil
			}}
	case "CURRENT_TIME", "LOCALTIME":
		e = &Expr{Type: types.Type{Kind: types.Time},
			Eval: func(env *Env) (types.Value, error) {
				return types.Int(types.Time, env.Start-floorDiv(env.Start, day)*day), nil
			}}
	}
	e.usesColumns = true
	return e, nil
}

var startTimes = map[string]bool{"CURRENT_TIMESTAMP": true, "LOCALTIMESTAMP": true, "CURRENT_DATE": true,
	"CURRENT_TIME": true, "LOCALTIME": true}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// isConstant tells an expression that depends on no row.
func isConstant(e *Expr) bool { return !e.usesColumns && !e.usesRowtime }

// constants evaluates the constant arguments of a call (nil for the others),
// for functions that read them at plan time.
func constants(args []*Expr) []*types.Value {
	out := make([]*types.Value, len(args))
	for i, a := range args {
		if !isConstant(a) {
			continue
		}
		if v, err := a.Eval(&Env{}); err == nil {
			out[i] = &v
		}
	}
	return out
}

// argError positions a function's complaint about one of its arguments:
// at the argument, or at the spot inside a string literal.
func argError(call *ast.FuncCall, name string, err error) error {
	var ae *functions.ArgError
	if !errors.As(err, &ae) || ae.Arg >= len(call.Args) {
		return errAt(call, "%s: %v", name, err)
	}
	arg := call.Args[ae.Arg]
	pos := arg.Position()
	if lit, ok := arg.(*ast.Literal); ok && lit.Kind == ast.StringLit && ae.Offset >= 0 && !strings.ContainsAny(lit.Text, "\n\r") {
		runes := []rune(lit.Text)
		off := min(ae.Offset, len(runes))
		// The literal's text starts after its quote; '' stands for one quote.
		pos.Col += 1 + off + strings.Count(string(runes[:off]), "'")
	}
	return &posError{pos: pos, msg: fmt.Sprintf("%s: %v", name, ae.Err)}
}
