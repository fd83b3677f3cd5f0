package plan

import (
	"fmt"

	"github.com/riffle-sql/riffle/sql/ast"
	"github.com/riffle-sql/riffle/sql/types"
)

// A period (s, e) is the times s <= t < e (SQL:2011). The predicates, of
// a left period (s1, e1) and a right period (s2, e2):
//
//	EQUALS                s1 = s2 and e1 = e2
//	CONTAINS              s1 <= s2 and e2 <= e1; of a time t, s1 <= t < e1
//	OVERLAPS              s1 < e2 and s2 < e1
//	PRECEDES              e1 <= s2
//	SUCCEEDS              e2 <= s1
//	IMMEDIATELY PRECEDES  e1 = s2
//	IMMEDIATELY SUCCEEDS  e2 = s1
//	LEADS                 s1 < s2 < e1 <= e2: begins first, overlaps, ends no later
//	LAGS                  s2 <= s1 < e2 < e1: ends last, overlaps, begins no earlier
//	STRICTLY X            X, and no end of one period is an end of the other
//	IMMEDIATELY LEADS     LEADS with e1 = e2
//	IMMEDIATELY LAGS      LAGS with s1 = s2
//
// The first seven are the standard's; the extensions follow SQLstream's
// definitions (LEADS: the left period begins before the right one; LAGS:
// it ends after; STRICTLY: the periods neither begin nor end together)
// fitted to the cases the reference's pictures draw; see docs/engine.md.
var periodPredicates = map[string]func(s1, e1, s2, e2 int) bool{
	"EQUALS":   func(s1, e1, s2, e2 int) bool { return s1 == s2 && e1 == e2 },
	"CONTAINS": func(s1, e1, s2, e2 int) bool { return s1 <= s2 && e2 <= e1 },
	"OVERLAPS": func(s1, e1, s2, e2 int) bool { return s1 < e2 && s2 < e1 },
	"PRECEDES": func(s1, e1, s2, e2 int) bool { return e1 <= s2 },
	"SUCCEEDS": func(s1, e1, s2, e2 int) bool { return e2 <= s1 },
	"LEADS":    func(s1, e1, s2, e2 int) bool { return s1 < s2 && s2 < e1 && e1 <= e2 },
	"LAGS":     func(s1, e1, s2, e2 int) bool { return s2 <= s1 && s1 < e2 && e2 < e1 },
}

// holds evaluates one predicate on the endpoints, given as their order:
// the ints are ranks, equal for equal times.
func holds(op ast.PeriodOp, s1, e1, s2, e2 int) bool {
	if !periodPredicates[op.Name](s1, e1, s2, e2) {
		return false
	}
	switch op.Qualifier {
	case "STRICTLY":
		return s1 != s2 && e1 != e2 && e1 != s2 && s1 != e2
	case "IMMEDIATELY":
		switch op.Name {
		case "PRECEDES":
			return e1 == s2
		case "SUCCEEDS":
			return s1 == e2
		case "LEADS":
			return e1 == e2
		case "LAGS":
			return s1 == s2
		}
	}
	return true
}

// periodPredicate compiles a temporal predicate (a chain of them: all
// must hold). A NULL time makes a predicate UNKNOWN; a period that ends
// before it starts sends the row to error_stream.
func (c *compiler) periodPredicate(n *ast.PeriodPredicate) (*Expr, error) {
	type operand struct {
		start, end *Expr // end nil: a time, not a period
	}
	var ops []operand
	var parts []*Expr
	var first ast.Expr // the first time with a type, for messages
	var firstType types.Type
	compileTime := func(x ast.Expr, what string) (*Expr, error) {
		e, err := c.compile(x)
		if err != nil {
			return nil, err
		}
		if k := e.Type.Kind; k != types.Unknown {
			if k != types.Timestamp && k != types.Date && k != types.Time {
				return nil, errAt(x, "%s must be a TIMESTAMP, not %s", what, e.Type)
			}
			if first == nil {
				first, firstType = x, e.Type
			} else if _, err := types.Compare(sample(firstType), sample(e.Type)); err != nil {
				return nil, errAt(x, "%s is %s and %s is %s: the times of a temporal predicate must compare", x, e.Type, first, firstType)
			}
		}
		parts = append(parts, e)
		return e, nil
	}
	for i, x := range n.Operands {
		p, ok := x.(*ast.Period)
		if !ok {
			if i == 0 || n.Ops[i-1].Name != "CONTAINS" {
				op := "it"
				if i > 0 {
					op = n.Ops[i-1].String()
				}
				return nil, errAt(x, "%s compares two periods: write (start, end) here (only CONTAINS and STRICTLY CONTAINS take a single time on their right)", op)
			}
			t, err := compileTime(x, "the time a period contains")
			if err != nil {
				return nil, err
			}
			ops = append(ops, operand{start: t})
			continue
		}
		s, err := compileTime(p.Start, "a period's start")
		if err != nil {
			return nil, err
		}
		e, err := compileTime(p.End, "a period's end")
		if err != nil {
			return nil, err
		}
		ops = append(ops, operand{start: s, end: e})
	}
	return derived(types.Type{Kind: types.Boolean}, false, func(env *Env) (types.Value, error) {
		vals := make([]types.Value, 0, 2*len(ops))
		null := make([]bool, len(ops))
		for i, o := range ops {
			s, err := o.start.Eval(env)
			if err != nil {
				return s, err
			}
			e := s // a time t is the period's both ends for the comparisons below
			if o.end != nil {
				if e, err = o.end.Eval(env); err != nil {
					return e, err
				}
				if !s.Null && !e.Null {
					if c, err := types.Compare(s, e); err != nil {
						return types.Value{}, err
					} else if c > 0 {
						return types.Value{}, fmt.Errorf("the period (%s, %s) ends before it starts", s, e)
					}
				}
			}
			null[i] = s.Null || e.Null
			vals = append(vals, s, e)
		}
		result := types.Bool(true)
		for i, op := range n.Ops {
			if null[i] || null[i+1] {
				result = types.NullOf(types.Boolean)
				continue
			}
			r, err := order(vals[2*i : 2*i+4])
			if err != nil {
				return types.Value{}, err
			}
			var ok bool
			if ops[i+1].end == nil {
				// CONTAINS t: s1 <= t < e1 (STRICTLY: s1 < t < e1).
				ok = r[0] <= r[2] && r[2] < r[1]
				if op.Qualifier == "STRICTLY" {
					ok = ok && r[0] != r[2]
				}
			} else {
				ok = holds(op, r[0], r[1], r[2], r[3])
			}
			if !ok {
				return types.Bool(false), nil
			}
		}
		return result, nil
	}, parts...), nil
}

// order gives each of the four times its rank among them (equal times,
// equal ranks), so that the predicates compare ints whatever the times'
// kinds (a DATE against a TIMESTAMP).
func order(times []types.Value) ([4]int, error) {
	var r [4]int
	for i := range times {
		for j := range times {
			c, err := types.Compare(times[j], times[i])
			if err != nil {
				return r, err
			}
			if c < 0 {
				r[i]++
			}
		}
	}
	return r, nil
}
