// Package functions is the registry of the dialect's scalar and aggregate
// functions: their names, how their result type follows from their
// arguments, and how they compute. Adding a function is adding an entry.
package functions

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/riffle-sql/riffle/sql/types"
)

// Scalar is a function of one row's values.
type Scalar struct {
	MinArgs, MaxArgs int
	// Result gives the result type for the argument types, or an error.
	Result func(args []types.Type) (types.Type, error)
	// Eval computes the value. It is not called with NULL arguments when
	// NullIn is set: the result is then NULL.
	Eval   func(args []types.Value) (types.Value, error)
	NullIn bool
	// Monotonic functions keep the order of their (single) argument.
	Monotonic bool
	// Prepare, when set, specialises the function for one call at plan
	// time: consts holds the constant arguments (nil where an argument
	// varies). An error rejects the call (an *ArgError says which argument
	// and where in it); a non-nil function replaces Eval for this call.
	Prepare func(consts []*types.Value) (func([]types.Value) (types.Value, error), error)
}

// ArgError is a constant argument that cannot work: its index, and where
// in its text the problem lies (runes from the start; -1: the whole
// argument).
type ArgError struct {
	Arg, Offset int
	Err         error
}

func (e *ArgError) Error() string { return e.Err.Error() }
func (e *ArgError) Unwrap() error { return e.Err }

// Aggregate is a function over a group of rows.
type Aggregate struct {
	// Result gives the result type for the argument type (Unknown for *).
	Result func(arg types.Type) (types.Type, error)
	// New makes an empty accumulator.
	New func(result types.Type) Accumulator
	// Distinct: the function takes DISTINCT (each value counts once).
	Distinct bool
	// NullTreatment: the function takes IGNORE NULLS or RESPECT NULLS.
	NullTreatment bool
}

// Accumulator folds a group's values.
type Accumulator interface {
	Add(v types.Value) error
	Result() types.Value
}

// LookupScalar finds a scalar function by its upper-case name.
func LookupScalar(name string) (*Scalar, bool) {
	f, ok := scalars[name]
	return f, ok
}

// LookupAggregate finds an aggregate function by its upper-case name.
func LookupAggregate(name string) (*Aggregate, bool) {
	f, ok := aggregates[name]
	return f, ok
}

func fixed(t types.Type) func([]types.Type) (types.Type, error) {
	return func([]types.Type) (types.Type, error) { return t, nil }
}

func stringArg(name string) func([]types.Type) (types.Type, error) {
	return func(args []types.Type) (types.Type, error) {
		if !args[0].Kind.IsString() && args[0].Kind != types.Unknown {
			return types.Type{}, fmt.Errorf("%s takes a string, not %s", name, args[0])
		}
		return types.Type{Kind: types.Varchar, Length: max(args[0].Length, 1)}, nil
	}
}

func numericSame(name string) func([]types.Type) (types.Type, error) {
	return func(args []types.Type) (types.Type, error) {
		if !args[0].Kind.IsNumeric() && args[0].Kind != types.Unknown {
			return types.Type{}, fmt.Errorf("%s takes a number, not %s", name, args[0])
		}
		return args[0], nil
	}
}

var scalars = map[string]*Scalar{
	"UPPER": {MinArgs: 1, MaxArgs: 1, NullIn: true, Result: stringArg("UPPER"),
		Eval: func(a []types.Value) (types.Value, error) {
			return types.Str(types.Varchar, strings.ToUpper(a[0].S)), nil
		}},
	"LOWER": {MinArgs: 1, MaxArgs: 1, NullIn: true, Result: stringArg("LOWER"),
		Eval: func(a []types.Value) (types.Value, error) {
			return types.Str(types.Varchar, strings.ToLower(a[0].S)), nil
		}},
	"CHAR_LENGTH": {MinArgs: 1, MaxArgs: 1, NullIn: true,
		Result: func(args []types.Type) (types.Type, error) {
			if !args[0].Kind.IsString() && args[0].Kind != types.Unknown {
				return types.Type{}, fmt.Errorf("CHAR_LENGTH takes a string, not %s", args[0])
			}
			return types.Type{Kind: types.Integer}, nil
		},
		Eval: func(a []types.Value) (types.Value, error) {
			return types.Int(types.Integer, int64(utf8.RuneCountInString(a[0].S))), nil
		}},
	"ABS": {MinArgs: 1, MaxArgs: 1, NullIn: true, Result: numericSame("ABS"), Monotonic: false,
		Eval: func(a []types.Value) (types.Value, error) {
			v := a[0]
			if v.Kind == types.Real || v.Kind == types.Double {
				v.F = math.Abs(v.F)
			} else if v.I < 0 {
				v.I = -v.I
			}
			return v, nil
		}},
	"MOD": {MinArgs: 2, MaxArgs: 2, NullIn: true, Result: numericSame("MOD"),
		Eval: func(a []types.Value) (types.Value, error) {
			if a[1].Float64() == 0 {
				return types.Value{}, types.ErrDivideByZero
			}
			if a[0].Kind.IsInteger() && a[1].Kind.IsInteger() {
				return types.Int(a[0].Kind, a[0].I%a[1].I), nil
			}
			return types.Float(types.Double, math.Mod(a[0].Float64(), a[1].Float64())), nil
		}},
	// MONOTONIC asserts that its argument never reverses direction.
	"MONOTONIC": {MinArgs: 1, MaxArgs: 1, Monotonic: true,
		Result: func(a []types.Type) (types.Type, error) { return a[0], nil },
		Eval:   func(a []types.Value) (types.Value, error) { return a[0], nil }},
	"COALESCE": {MinArgs: 1, MaxArgs: 64,
		Result: func(a []types.Type) (types.Type, error) { return types.Unify(a...) },
		Eval: func(a []types.Value) (types.Value, error) {
			for _, v := range a {
				if !v.Null {
					return v, nil
				}
			}
			return a[len(a)-1], nil
		}},
}

func init() {
	scalars["CHARACTER_LENGTH"] = scalars["CHAR_LENGTH"]
}
