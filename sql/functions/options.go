package functions

import (
	"encoding/binary"
	"math"

	"github.com/riffle-sql/riffle/sql/types"
)

// Options change how an aggregate folds its values: DISTINCT folds each
// value once, IGNORE NULLS skips NULLs (FIRST_VALUE, LAST_VALUE).
type Options struct {
	Distinct    bool
	IgnoreNulls bool
}

// NewWith makes an empty accumulator folding values as the options say.
func (a *Aggregate) NewWith(result types.Type, o Options) Accumulator {
	acc := a.New(result)
	if o.IgnoreNulls {
		acc = &skipNulls{inner: acc}
	}
	if o.Distinct {
		acc = &distinct{inner: acc, seen: map[string]bool{}}
	}
	return acc
}

// skipNulls passes only non-NULL values on.
type skipNulls struct{ inner Accumulator }

func (s *skipNulls) Add(v types.Value) error {
	if v.Null {
		return nil
	}
	return s.inner.Add(v)
}

func (s *skipNulls) Result() types.Value { return s.inner.Result() }

func (s *skipNulls) Snapshot() []types.Value { return snapshotOf(s.inner) }

func (s *skipNulls) Restore(st []types.Value) error { return restoreInto(s.inner, st) }

// distinct passes each value on the first time it comes; NULLs pass (the
// aggregates skip them themselves).
type distinct struct {
	inner Accumulator
	seen  map[string]bool
	vals  []types.Value // the values seen, for snapshots
	key   []byte
}

func (d *distinct) Add(v types.Value) error {
	if !v.Null {
		d.key = appendValueKey(d.key[:0], v)
		if d.seen[string(d.key)] {
			return nil
		}
		d.seen[string(d.key)] = true
		d.vals = append(d.vals, v)
	}
	return d.inner.Add(v)
}

func (d *distinct) Result() types.Value { return d.inner.Result() }

// Snapshot saves the number of values seen, the values, then the inner
// accumulator's state.
func (d *distinct) Snapshot() []types.Value {
	st := append([]types.Value{types.Int(types.BigInt, int64(len(d.vals)))}, d.vals...)
	return append(st, snapshotOf(d.inner)...)
}

func (d *distinct) Restore(st []types.Value) error {
	if len(st) < 1 || st[0].I < 0 || int64(len(st)-1) < st[0].I {
		return errBadState
	}
	n := int(st[0].I)
	d.vals, d.seen = append([]types.Value(nil), st[1:1+n]...), map[string]bool{}
	for _, v := range d.vals {
		d.seen[string(appendValueKey(nil, v))] = true
	}
	return restoreInto(d.inner, st[1+n:])
}

// appendValueKey encodes a non-NULL value so that equal values, and only
// they, give equal bytes: DECIMALs without trailing zeros, -0 as 0.
func appendValueKey(b []byte, v types.Value) []byte {
	i, f, scale := v.I, v.F, v.Scale
	switch v.Kind {
	case types.Decimal:
		for scale > 0 && i%10 == 0 {
			i, scale = i/10, scale-1
		}
	case types.Real, types.Double:
		if f == 0 {
			f = 0
		}
	}
	b = append(b, byte(v.Kind), byte(scale))
	b = binary.LittleEndian.AppendUint64(b, uint64(i))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	return append(b, v.S...)
}

type stateful interface {
	Snapshot() []types.Value
	Restore([]types.Value) error
}

func snapshotOf(acc Accumulator) []types.Value {
	if s, ok := acc.(stateful); ok {
		return s.Snapshot()
	}
	return nil
}

func restoreInto(acc Accumulator, st []types.Value) error {
	s, ok := acc.(stateful)
	if !ok {
		return errBadState
	}
	return s.Restore(st)
}
