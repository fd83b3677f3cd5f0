package functions

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"

	"github.com/riffle-sql/riffle/sql/types"
)

func init() {
	for _, name := range []string{"COUNT", "SUM", "AVG", "MIN", "MAX"} {
		aggregates[name].Distinct = true
	}
	for _, name := range []string{"FIRST_VALUE", "LAST_VALUE"} {
		aggregates[name].NullTreatment = true
	}
	variances := map[string]struct{ sample, sqrt bool }{
		"VAR_POP": {false, false}, "VAR_SAMP": {true, false},
		"STDDEV_POP": {false, true}, "STDDEV_SAMP": {true, true},
	}
	for name, v := range variances {
		aggregates[name] = &Aggregate{Result: numericAgg(name), Distinct: true,
			New: func(t types.Type) Accumulator { return &variance{t: t, sample: v.sample, sqrt: v.sqrt} }}
	}
	// The reference names STD_DEV as another name of STDDEV_SAMP.
	aggregates["STD_DEV"] = aggregates["STDDEV_SAMP"]
	aggregates["ANY"] = &Aggregate{Result: booleanAgg("ANY"), Distinct: true,
		New: func(types.Type) Accumulator { return &anyEvery{} }}
	aggregates["EVERY"] = &Aggregate{Result: booleanAgg("EVERY"), Distinct: true,
		New: func(types.Type) Accumulator { return &anyEvery{every: true} }}
}

func booleanAgg(name string) func(types.Type) (types.Type, error) {
	return func(t types.Type) (types.Type, error) {
		if t.Kind != types.Boolean && t.Kind != types.Unknown {
			return t, fmt.Errorf("%s takes a boolean condition, not %s", name, t)
		}
		return types.Type{Kind: types.Boolean}, nil
	}
}

// variance is VAR_POP, VAR_SAMP, STDDEV_POP and STDDEV_SAMP, NULLs
// ignored, in the argument's type like AVG. Integers follow the
// reference's formula in integer arithmetic, (S2 - S1*S1/N) / N (or N-1),
// each division truncated, and the square root truncated; sums too large
// for 64 bits go on exactly in big integers. REAL, DOUBLE and DECIMAL use
// Welford's running mean, the same value without the formula's loss of
// precision in floating point.
type variance struct {
	t            types.Type
	sample, sqrt bool
	n            int64
	s1, s2       int64    // integers
	b1, b2       *big.Int // integers, once the sums overflowed 64 bits
	mean, m2     float64  // the others
}

func (v *variance) Add(x types.Value) error {
	if x.Null {
		return nil
	}
	if v.t.Kind.IsInteger() {
		v.n++
		if v.b1 == nil {
			sq, ok := mul64(x.I, x.I)
			s1, ok1 := add64(v.s1, x.I)
			s2, ok2 := add64(v.s2, sq)
			if ok && ok1 && ok2 {
				v.s1, v.s2 = s1, s2
				return nil
			}
			v.b1, v.b2 = big.NewInt(v.s1), big.NewInt(v.s2)
		}
		b := big.NewInt(x.I)
		v.b1.Add(v.b1, b)
		v.b2.Add(v.b2, b.Mul(b, b))
		return nil
	}
	f := x.Float64()
	v.n++
	d := f - v.mean
	v.mean += d / float64(v.n)
	v.m2 += d * (f - v.mean)
	return nil
}

func (v *variance) Result() types.Value {
	den := v.n
	if v.sample {
		den--
	}
	if den <= 0 {
		return types.NullOf(v.t.Kind)
	}
	if v.t.Kind.IsInteger() {
		sq, ok := mul64(v.s1, v.s1)
		if v.b1 != nil || !ok { // past 64 bits: the same formula in big integers
			b1, b2 := v.b1, v.b2
			if b1 == nil {
				b1, b2 = big.NewInt(v.s1), big.NewInt(v.s2)
			}
			r := new(big.Int).Mul(b1, b1)
			r.Quo(r, big.NewInt(v.n))
			r.Sub(b2, r)
			r.Quo(r, big.NewInt(den))
			if v.sqrt {
				r.Sqrt(r)
			}
			if !r.IsInt64() {
				return types.NullOf(v.t.Kind) // beyond BIGINT: no value to give
			}
			return v.integer(r.Int64())
		}
		r := (v.s2 - sq/v.n) / den
		if v.sqrt {
			r = isqrt(r)
		}
		return v.integer(r)
	}
	r := v.m2 / float64(den)
	if v.sqrt {
		r = math.Sqrt(r)
	}
	out, err := types.Cast(types.Float(types.Double, r), v.t)
	if err != nil {
		return types.Float(types.Double, r)
	}
	return out
}

// integer holds an integer result in the argument's type if it fits;
// otherwise as BIGINT, for the pump's cast to report.
func (v *variance) integer(r int64) types.Value {
	if out, err := types.Cast(types.Int(types.BigInt, r), v.t); err == nil {
		return out
	}
	return types.Int(types.BigInt, r)
}

// Snapshot saves the count, the 64-bit sums, the big sums as decimal text
// (empty while unused) and Welford's mean and m2.
func (v *variance) Snapshot() []types.Value {
	b1, b2 := "", ""
	if v.b1 != nil {
		b1, b2 = v.b1.String(), v.b2.String()
	}
	return []types.Value{types.Int(types.BigInt, v.n), types.Int(types.BigInt, v.s1), types.Int(types.BigInt, v.s2),
		types.Str(types.Varchar, b1), types.Str(types.Varchar, b2),
		types.Float(types.Double, v.mean), types.Float(types.Double, v.m2)}
}

func (v *variance) Restore(st []types.Value) error {
	if len(st) != 7 {
		return errBadState
	}
	v.n, v.s1, v.s2, v.mean, v.m2 = st[0].I, st[1].I, st[2].I, st[5].F, st[6].F
	v.b1, v.b2 = nil, nil
	if st[3].S != "" {
		b1, ok1 := new(big.Int).SetString(st[3].S, 10)
		b2, ok2 := new(big.Int).SetString(st[4].S, 10)
		if !ok1 || !ok2 {
			return errBadState
		}
		v.b1, v.b2 = b1, b2
	}
	return nil
}

// isqrt is the integer square root of r >= 0, truncated.
func isqrt(r int64) int64 {
	if r <= 0 {
		return 0
	}
	s := int64(math.Sqrt(float64(r)))
	for s*s > r {
		s--
	}
	for (s+1)*(s+1) <= r {
		s++
	}
	return s
}

func mul64(a, b int64) (int64, bool) {
	hi, lo := bits.Mul64(uint64(abs64(a)), uint64(abs64(b)))
	if hi != 0 || lo > math.MaxInt64 || a == math.MinInt64 || b == math.MinInt64 {
		return 0, false
	}
	if (a < 0) != (b < 0) {
		return -int64(lo), true
	}
	return int64(lo), true
}

func add64(a, b int64) (int64, bool) {
	s := a + b
	if (a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0) {
		return 0, false
	}
	return s, true
}

func abs64(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}

// anyEvery is ANY (some value TRUE) and EVERY (every value TRUE), NULLs
// ignored; NULL when there is no value.
type anyEvery struct {
	every     bool
	seen, acc bool
}

func (a *anyEvery) Add(v types.Value) error {
	if v.Null {
		return nil
	}
	t := v.I != 0
	switch {
	case !a.seen:
		a.acc = t
	case a.every:
		a.acc = a.acc && t
	default:
		a.acc = a.acc || t
	}
	a.seen = true
	return nil
}

func (a *anyEvery) Result() types.Value {
	if !a.seen {
		return types.NullOf(types.Boolean)
	}
	return types.Bool(a.acc)
}

func (a *anyEvery) Snapshot() []types.Value {
	return []types.Value{types.Bool(a.seen), types.Bool(a.acc)}
}

func (a *anyEvery) Restore(st []types.Value) error {
	if len(st) != 2 {
		return errBadState
	}
	a.seen, a.acc = st[0].True(), st[1].True()
	return nil
}
