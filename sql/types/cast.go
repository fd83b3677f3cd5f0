package types

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Cast converts v to t as CAST(v AS t) does: numbers to integers round
// (half away from zero), strings are parsed, values too long for a
// CHAR/VARCHAR are cut to its length.
func Cast(v Value, t Type) (Value, error) {
	if v.Null {
		return NullOf(t.Kind), nil
	}
	if v.Kind == t.Kind && t.Kind != Decimal && !t.Kind.IsString() {
		return v, nil
	}
	switch {
	case t.Kind.IsInteger():
		return castInteger(v, t.Kind)
	case t.Kind == Real || t.Kind == Double:
		var f float64
		switch {
		case v.Kind.IsNumeric():
			f = v.Float64()
		case v.Kind.IsString():
			var err error
			if f, err = strconv.ParseFloat(strings.TrimSpace(v.S), 64); err != nil {
				return Value{}, fmt.Errorf("cannot cast %q to %s", v.S, t)
			}
		default:
			return Value{}, castError(v, t)
		}
		if t.Kind == Real {
			f = float64(float32(f))
		}
		return Float(t.Kind, f), nil
	case t.Kind == Decimal:
		return castDecimal(v, t)
	case t.Kind.IsString():
		s := v.String()
		if v.Kind.IsString() {
			s = v.S
		}
		if utf8.RuneCountInString(s) > t.Length {
			s = string([]rune(s)[:t.Length])
		}
		if t.Kind == Char {
			s += strings.Repeat(" ", t.Length-utf8.RuneCountInString(s))
		}
		return Str(t.Kind, s), nil
	case t.Kind == Boolean:
		switch {
		case v.Kind.IsString():
			return Bool(strings.EqualFold(strings.TrimSpace(v.S), "true")), nil
		case v.Kind.IsNumeric():
			return Bool(v.Float64() != 0), nil
		}
	case t.Kind == Timestamp || t.Kind == Date || t.Kind == Time:
		switch {
		case v.Kind.IsString():
			if t.Kind == Time {
				ms, err := ParseTimestamp("1970-01-01 " + strings.TrimSpace(v.S))
				if err != nil {
					return Value{}, fmt.Errorf("cannot cast %q to TIME", v.S)
				}
				return Int(Time, ms), nil
			}
			ms, err := ParseTimestamp(v.S)
			if err != nil {
				return Value{}, err
			}
			return fromMs(t.Kind, ms), nil
		case v.Kind.IsDatetime():
			return fromMs(t.Kind, toMs(v)), nil
		}
	case t.Kind == Binary || t.Kind == Varbinary:
		if v.Kind == Binary || v.Kind == Varbinary {
			return Str(t.Kind, v.S), nil
		}
	}
	return Value{}, castError(v, t)
}

func castError(v Value, t Type) error { return fmt.Errorf("cannot cast %s to %s", v.Kind, t) }

func castInteger(v Value, k Kind) (Value, error) {
	var f float64
	switch {
	case v.Kind.IsInteger():
		if !fitsInt(v.I, k) {
			return Value{}, fmt.Errorf("%d is out of range for %s", v.I, k)
		}
		return Int(k, v.I), nil
	case v.Kind.IsNumeric():
		f = v.Float64()
	case v.Kind.IsString():
		s := strings.TrimSpace(v.S)
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return castInteger(Int(BigInt, i), k)
		}
		var err error
		if f, err = strconv.ParseFloat(s, 64); err != nil {
			return Value{}, fmt.Errorf("cannot cast %q to %s", v.S, k)
		}
	case v.Kind == Boolean:
		return Int(k, v.I), nil
	default:
		return Value{}, castError(v, Type{Kind: k})
	}
	r := math.Round(f)
	if math.IsNaN(r) || r < math.MinInt64 || r >= math.MaxInt64 || !fitsInt(int64(r), k) {
		return Value{}, fmt.Errorf("%v is out of range for %s", f, k)
	}
	return Int(k, int64(r)), nil
}

func castDecimal(v Value, t Type) (Value, error) {
	var src Value
	switch {
	case v.Kind == Decimal:
		src = v
	case v.Kind.IsInteger():
		src = Dec(v.I, 0)
	case v.Kind == Real || v.Kind == Double:
		scaled := math.Round(v.F * math.Pow10(t.Scale))
		if math.Abs(scaled) >= math.Pow10(t.Precision) {
			return Value{}, fmt.Errorf("%v does not fit %s", v.F, t)
		}
		return Dec(int64(scaled), int8(t.Scale)), nil
	case v.Kind.IsString():
		n, err := ParseNumber(strings.TrimSpace(v.S))
		if err != nil {
			return Value{}, fmt.Errorf("cannot cast %q to %s", v.S, t)
		}
		return castDecimal(n, t)
	default:
		return Value{}, castError(v, t)
	}
	// Rescale, rounding half away from zero when digits are dropped.
	u, s := src.I, int(src.Scale)
	for ; s < t.Scale; s++ {
		if u > math.MaxInt64/10 || u < math.MinInt64/10 {
			return Value{}, fmt.Errorf("%s does not fit %s", src, t)
		}
		u *= 10
	}
	if s-t.Scale > 18 {
		u, s = 0, t.Scale // every digit is dropped (|u| < 10^19 rounds to 0 at most places)
	}
	if s > t.Scale {
		div := int64(math.Pow10(s - t.Scale))
		q, r := u/div, u%div
		if 2*r >= div {
			q++
		} else if -2*r >= div {
			q--
		}
		u = q
	}
	if math.Abs(float64(u)) >= math.Pow10(t.Precision) {
		return Value{}, fmt.Errorf("%s does not fit %s", src, t)
	}
	return Dec(u, int8(t.Scale)), nil
}

// Assignable tells whether a value of kind from may be stored in a column
// of kind to (INSERT and pump column mapping).
func Assignable(from, to Kind) bool {
	switch {
	case from == Unknown || from == to:
		return true
	case to.IsNumeric():
		return from.IsNumeric()
	case to.IsString():
		return from.IsString()
	case to == Binary || to == Varbinary:
		return from == Binary || from == Varbinary
	case to.IsDatetime():
		return from.IsDatetime()
	}
	return false
}

// Unify is the type that values of all the given types fit, for CASE
// branches and COALESCE arguments: numbers widen (integers to DECIMAL to
// DOUBLE), strings become VARCHAR of the longest length; other kinds must
// agree. Unknown (a bare NULL) fits anything.
func Unify(ts ...Type) (Type, error) {
	var out Type
	for _, t := range ts {
		switch {
		case t.Kind == Unknown:
		case out.Kind == Unknown:
			out = t
		case out.Kind.IsNumeric() && t.Kind.IsNumeric():
			k, _ := ArithmeticType("+", out.Kind, t.Kind)
			scale := max(out.Scale, t.Scale)
			if out.Kind != t.Kind || out.Kind == Decimal {
				out = Type{Kind: k}
				if k == Decimal {
					out.Precision, out.Scale = MaxDecimalDigits, scale
				}
			}
		case out.Kind.IsString() && t.Kind.IsString():
			out = Type{Kind: Varchar, Length: max(out.Length, t.Length)}
		case out.Kind != t.Kind:
			return out, fmt.Errorf("%s and %s do not mix", out, t)
		}
	}
	return out, nil
}
