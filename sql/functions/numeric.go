package functions

import (
	"fmt"
	"math"

	"github.com/riffle-sql/riffle/sql/types"
)

// Numeric functions: FLOOR and CEIL of a number (FLOOR(x TO unit) of a
// datetime or interval is compiled by the planner), POWER, SQRT, LN,
// LOG10, EXP. The transcendental ones compute in DOUBLE, as Java's Math
// does, and raise an error where the reference says an exception is raised.

func init() {
	register(map[string]*Scalar{
		"FLOOR": roundFunc("FLOOR", false),
		"CEIL":  roundFunc("CEIL", true),
		// The parser reads CEILING(x) as CEIL; the alias serves "CEILING"(x).
		"CEILING": roundFunc("CEILING", true),
		"POWER": {MinArgs: 2, MaxArgs: 2, NullIn: true, Result: doubleOf("POWER"),
			Eval: func(a []types.Value) (types.Value, error) {
				x, y := a[0].Float64(), a[1].Float64()
				switch {
				case x == 0 && y < 0:
					return types.Value{}, fmt.Errorf("POWER: zero cannot be raised to the negative power %v", y)
				case x < 0 && y != math.Trunc(y):
					return types.Value{}, fmt.Errorf("POWER: the negative base %v cannot be raised to the fractional power %v", x, y)
				}
				return types.Float(types.Double, math.Pow(x, y)), nil
			}},
		"SQRT": {MinArgs: 1, MaxArgs: 1, NullIn: true, Result: doubleOf("SQRT"), Monotonic: true,
			Eval: func(a []types.Value) (types.Value, error) {
				x := a[0].Float64()
				if x < 0 {
					return types.Value{}, fmt.Errorf("SQRT: the argument %v is negative", x)
				}
				return types.Float(types.Double, math.Sqrt(x)), nil
			}},
		"LN":    logFunc("LN", math.Log),
		"LOG10": logFunc("LOG10", math.Log10),
		"EXP": {MinArgs: 1, MaxArgs: 1, NullIn: true, Result: doubleOf("EXP"), Monotonic: true,
			Eval: func(a []types.Value) (types.Value, error) {
				return types.Float(types.Double, math.Exp(a[0].Float64())), nil
			}},
	})
}

// doubleOf types a function of numbers that returns a DOUBLE.
func doubleOf(name string) func([]types.Type) (types.Type, error) {
	return func(a []types.Type) (types.Type, error) {
		for _, t := range a {
			if !isNumericType(t) {
				return types.Type{}, fmt.Errorf("%s takes numbers, not %s", name, t)
			}
		}
		return types.Type{Kind: types.Double}, nil
	}
}

func logFunc(name string, log func(float64) float64) *Scalar {
	return &Scalar{MinArgs: 1, MaxArgs: 1, NullIn: true, Result: doubleOf(name), Monotonic: true,
		Eval: func(a []types.Value) (types.Value, error) {
			x := a[0].Float64()
			if x <= 0 {
				return types.Value{}, fmt.Errorf("%s: the argument %v is not positive", name, x)
			}
			return types.Float(types.Double, log(x)), nil
		}}
}

// roundFunc is FLOOR or CEIL of a number. The result has the argument's
// type, except that a DECIMAL loses its scale: FLOOR(5.2) = 5.
func roundFunc(name string, ceil bool) *Scalar {
	return &Scalar{MinArgs: 1, MaxArgs: 1, NullIn: true, Monotonic: true,
		Result: func(a []types.Type) (types.Type, error) {
			t := a[0]
			if !isNumericType(t) {
				return types.Type{}, fmt.Errorf("%s takes a number, not %s (write %s(x TO unit) for datetimes and intervals)", name, t, name)
			}
			if t.Kind == types.Decimal {
				t.Scale = 0
			}
			return t, nil
		},
		Eval: func(a []types.Value) (types.Value, error) {
			v := a[0]
			switch v.Kind {
			case types.Real, types.Double:
				if ceil {
					v.F = math.Ceil(v.F)
				} else {
					v.F = math.Floor(v.F)
				}
			case types.Decimal:
				return types.Dec(roundDecimal(v.I, int(v.Scale), ceil), 0), nil
			}
			return v, nil
		}}
}

// roundDecimal floors (or ceils) unscaled/10^scale to an integer.
func roundDecimal(unscaled int64, scale int, ceil bool) int64 {
	if scale <= 0 {
		return unscaled
	}
	if scale > 18 { // |value| < 1
		switch {
		case unscaled < 0 && !ceil:
			return -1
		case unscaled > 0 && ceil:
			return 1
		}
		return 0
	}
	div := int64(1)
	for range scale {
		div *= 10
	}
	q, r := unscaled/div, unscaled%div
	if r < 0 && !ceil {
		q--
	} else if r > 0 && ceil {
		q++
	}
	return q
}
