package functions

import (
	"fmt"

	"github.com/riffle-sql/riffle/sql/types"
)

var aggregates = map[string]*Aggregate{
	"COUNT": {
		Result: func(types.Type) (types.Type, error) { return types.Type{Kind: types.BigInt}, nil },
		New:    func(types.Type) Accumulator { return &count{} },
	},
	"SUM": {Result: numericAgg("SUM"), New: func(t types.Type) Accumulator { return &sum{t: t} }},
	// AVG keeps its argument's type: an average of integers is truncated.
	"AVG": {Result: numericAgg("AVG"), New: func(t types.Type) Accumulator { return &avg{sum: sum{t: t}} }},
	// FIRST_VALUE and LAST_VALUE take the first and last row's value,
	// NULL or not (RESPECT NULLS, the default).
	"FIRST_VALUE": {Result: comparableAgg, New: func(t types.Type) Accumulator { return &firstLast{t: t, first: true} }},
	"LAST_VALUE":  {Result: comparableAgg, New: func(t types.Type) Accumulator { return &firstLast{t: t} }},
	"MIN":         {Result: comparableAgg, New: func(t types.Type) Accumulator { return &extreme{t: t, want: -1} }},
	"MAX":         {Result: comparableAgg, New: func(t types.Type) Accumulator { return &extreme{t: t, want: 1} }},
}

func numericAgg(name string) func(types.Type) (types.Type, error) {
	return func(t types.Type) (types.Type, error) {
		if !t.Kind.IsNumeric() {
			return t, fmt.Errorf("%s takes numbers, not %s", name, t)
		}
		return t, nil
	}
}

func comparableAgg(t types.Type) (types.Type, error) { return t, nil }

// count counts non-null values (a * argument arrives as a non-null value).
type count struct{ n int64 }

func (c *count) Add(v types.Value) error {
	if !v.Null {
		c.n++
	}
	return nil
}
func (c *count) Result() types.Value { return types.Int(types.BigInt, c.n) }

type sum struct {
	t   types.Type
	acc types.Value
	n   int64
}

func (s *sum) Add(v types.Value) error {
	if v.Null {
		return nil
	}
	if s.n == 0 {
		s.acc, s.n = v, 1
		return nil
	}
	r, err := types.Arithmetic("+", s.acc, v, s.t.Kind)
	if err != nil {
		return err
	}
	s.acc = r
	s.n++
	return nil
}

func (s *sum) Result() types.Value {
	if s.n == 0 {
		return types.NullOf(s.t.Kind)
	}
	v, err := types.Cast(s.acc, s.t)
	if err != nil {
		return s.acc
	}
	return v
}

type avg struct{ sum sum }

func (a *avg) Add(v types.Value) error { return a.sum.Add(v) }

func (a *avg) Result() types.Value {
	if a.sum.n == 0 {
		return types.NullOf(a.sum.t.Kind)
	}
	n := types.Int(types.BigInt, a.sum.n)
	kind := a.sum.t.Kind
	if kind.IsInteger() {
		kind = types.BigInt
	}
	v, err := types.Arithmetic("/", a.sum.acc, n, kind)
	if err != nil {
		return types.NullOf(a.sum.t.Kind)
	}
	if out, err := types.Cast(v, a.sum.t); err == nil && !a.sum.t.Kind.IsInteger() {
		return out
	}
	return types.Int(a.sum.t.Kind, v.I) // truncated, never rounded
}

type extreme struct {
	t    types.Type
	best types.Value
	set  bool
	want int
}

func (e *extreme) Add(v types.Value) error {
	if v.Null {
		return nil
	}
	if !e.set {
		e.best, e.set = v, true
		return nil
	}
	c, err := types.Compare(v, e.best)
	if err != nil {
		return err
	}
	if c == e.want {
		e.best = v
	}
	return nil
}

func (e *extreme) Result() types.Value {
	if !e.set {
		return types.NullOf(e.t.Kind)
	}
	return e.best
}

type firstLast struct {
	t     types.Type
	first bool
	v     types.Value
	set   bool
}

func (f *firstLast) Add(v types.Value) error {
	if !f.set || !f.first {
		f.v, f.set = v, true
	}
	return nil
}

func (f *firstLast) Result() types.Value {
	if !f.set {
		return types.NullOf(f.t.Kind)
	}
	return f.v
}

func (f *firstLast) Snapshot() []types.Value { return []types.Value{f.v, types.Bool(f.set)} }
func (f *firstLast) Restore(st []types.Value) error {
	if len(st) != 2 {
		return errBadState
	}
	f.v, f.set = st[0], st[1].True()
	return nil
}

// Accumulators save and restore their state as values, for checkpoints.

func (c *count) Snapshot() []types.Value { return []types.Value{types.Int(types.BigInt, c.n)} }
func (c *count) Restore(s []types.Value) error {
	if len(s) != 1 {
		return errBadState
	}
	c.n = s[0].I
	return nil
}

func (s *sum) Snapshot() []types.Value { return []types.Value{s.acc, types.Int(types.BigInt, s.n)} }
func (s *sum) Restore(st []types.Value) error {
	if len(st) != 2 {
		return errBadState
	}
	s.acc, s.n = st[0], st[1].I
	return nil
}

func (a *avg) Snapshot() []types.Value        { return a.sum.Snapshot() }
func (a *avg) Restore(st []types.Value) error { return a.sum.Restore(st) }

func (e *extreme) Snapshot() []types.Value { return []types.Value{e.best, types.Bool(e.set)} }
func (e *extreme) Restore(st []types.Value) error {
	if len(st) != 2 {
		return errBadState
	}
	e.best, e.set = st[0], st[1].True()
	return nil
}

var errBadState = fmt.Errorf("accumulator state of the wrong shape")
