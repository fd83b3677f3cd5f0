package types

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// ErrDivideByZero is the error of a division by zero, which the service
// sends to the error stream instead of producing a value.
var ErrDivideByZero = errors.New("division by zero")

// decimalDivScale is the scale of a decimal quotient: 5.0/2 = 2.500000000000.
const decimalDivScale = 12

var intRank = map[Kind]int{TinyInt: 1, SmallInt: 2, Integer: 3, BigInt: 4}

// ArithmeticType is the type of l op r for + - * /, or an error when the
// operation does not exist. Same-type operands keep their type; mixed
// numbers take the more precise one.
func ArithmeticType(op string, l, r Kind) (Kind, error) {
	switch {
	case l == Unknown && r == Unknown:
		return Unknown, nil
	case l == Unknown:
		l = r
	case r == Unknown:
		r = l
	}
	switch {
	case l.IsNumeric() && r.IsNumeric():
		switch {
		case l == Double || r == Double:
			return Double, nil
		case l == Real || r == Real:
			if l == Real && r == Real {
				return Real, nil
			}
			return Double, nil
		case l == Decimal || r == Decimal:
			return Decimal, nil
		case intRank[l] >= intRank[r]:
			return l, nil
		default:
			return r, nil
		}
	case l.IsDatetime() && r.IsInterval() && (op == "+" || op == "-"):
		return l, nil
	case l.IsInterval() && r.IsDatetime() && op == "+":
		return r, nil
	case l.IsInterval() && l == r && (op == "+" || op == "-"):
		return l, nil
	case l.IsInterval() && r.IsNumeric() && (op == "*" || op == "/"):
		return l, nil
	case l.IsNumeric() && r.IsInterval() && op == "*":
		return r, nil
	case l.IsDatetime() && l == r && op == "-":
		return IntervalDayTime, nil
	}
	return Unknown, fmt.Errorf("no operator %s for %s and %s", op, l, r)
}

// Arithmetic computes l op r with the result kind from ArithmeticType.
func Arithmetic(op string, l, r Value, result Kind) (Value, error) {
	if l.Null || r.Null {
		return NullOf(result), nil
	}
	switch {
	case l.Kind.IsDatetime() && r.Kind.IsDatetime(): // datetime - datetime
		return IntervalMs(toMs(l) - toMs(r)), nil
	case result == Double || result == Real:
		return floatOp(op, l.Float64(), r.Float64(), result)
	case result.IsInteger():
		return intOp(op, l.I, r.I, result)
	case result == Decimal:
		return decimalOp(op, toDecimal(l), toDecimal(r))
	case result.IsDatetime():
		if l.Kind.IsInterval() {
			l, r = r, l
		}
		return datetimeOp(op, l, r)
	case result.IsInterval():
		return intervalOp(op, l, r, result)
	}
	return Value{}, fmt.Errorf("no operator %s for %s and %s", op, l.Kind, r.Kind)
}

func floatOp(op string, a, b float64, k Kind) (Value, error) {
	var f float64
	switch op {
	case "+":
		f = a + b
	case "-":
		f = a - b
	case "*":
		f = a * b
	case "/":
		if b == 0 {
			return Value{}, ErrDivideByZero
		}
		f = a / b
	}
	if k == Real {
		f = float64(float32(f))
	}
	return Float(k, f), nil
}

func intOp(op string, a, b int64, k Kind) (Value, error) {
	var r int64
	overflow := false
	switch op {
	case "+":
		r = a + b
		overflow = (a >= 0) == (b >= 0) && (r >= 0) != (a >= 0)
	case "-":
		r = a - b
		overflow = (a >= 0) != (b >= 0) && (r >= 0) != (a >= 0)
	case "*":
		r = a * b
		overflow = a != 0 && (r/a != b || a == -1 && b == math.MinInt64)
	case "/":
		if b == 0 {
			return Value{}, ErrDivideByZero
		}
		if a == math.MinInt64 && b == -1 {
			overflow = true
		}
		r = a / b // truncates toward zero, as the dialect does
	}
	if overflow || !fitsInt(r, k) {
		return Value{}, fmt.Errorf("%s overflow in %d %s %d", k, a, op, b)
	}
	return Int(k, r), nil
}

func fitsInt(i int64, k Kind) bool {
	switch k {
	case TinyInt:
		return i >= math.MinInt8 && i <= math.MaxInt8
	case SmallInt:
		return i >= math.MinInt16 && i <= math.MaxInt16
	case Integer:
		return i >= math.MinInt32 && i <= math.MaxInt32
	}
	return true
}

func toDecimal(v Value) Value {
	if v.Kind == Decimal {
		return v
	}
	return Dec(v.I, 0)
}

// decimalOp works in big integers and checks the 19-digit limit.
func decimalOp(op string, a, b Value) (Value, error) {
	x, y := big.NewInt(a.I), big.NewInt(b.I)
	scale := max(a.Scale, b.Scale)
	align := func(v *big.Int, from int8, to int8) {
		v.Mul(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(to-from)), nil))
	}
	var z big.Int
	switch op {
	case "+", "-":
		align(x, a.Scale, scale)
		align(y, b.Scale, scale)
		if op == "+" {
			z.Add(x, y)
		} else {
			z.Sub(x, y)
		}
	case "*":
		z.Mul(x, y)
		scale = a.Scale + b.Scale
	case "/":
		if y.Sign() == 0 {
			return Value{}, ErrDivideByZero
		}
		// x/10^sa / (y/10^sb) at scale s: x * 10^(s - sa + sb) / y.
		scale = decimalDivScale
		align(x, 0, scale-a.Scale+b.Scale)
		z.Quo(x, y)
	}
	if !z.IsInt64() || len(strings.TrimPrefix(z.String(), "-")) > MaxDecimalDigits {
		return Value{}, fmt.Errorf("DECIMAL overflow in %s %s %s", formatDecimal(a.I, a.Scale), op, formatDecimal(b.I, b.Scale))
	}
	return Dec(z.Int64(), scale), nil
}

func datetimeOp(op string, dt, iv Value) (Value, error) {
	sign := int64(1)
	if op == "-" {
		sign = -1
	}
	if iv.Kind == IntervalYearMonth {
		t := time.UnixMilli(toMs(dt)).UTC().AddDate(0, int(sign*iv.I), 0)
		return fromMs(dt.Kind, t.UnixMilli()), nil
	}
	return fromMs(dt.Kind, toMs(dt)+sign*iv.I), nil
}

func toMs(v Value) int64 {
	if v.Kind == Date {
		return v.I * 86400000
	}
	return v.I
}

func fromMs(k Kind, ms int64) Value {
	switch k {
	case Date:
		return Int(Date, floorDiv(ms, 86400000))
	case Time:
		return Int(Time, ((ms%86400000)+86400000)%86400000)
	}
	return TimestampMs(ms)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func intervalOp(op string, l, r Value, k Kind) (Value, error) {
	switch {
	case l.Kind.IsInterval() && r.Kind.IsInterval():
		if op == "+" {
			return Int(k, l.I+r.I), nil
		}
		return Int(k, l.I-r.I), nil
	case r.Kind.IsInterval(): // number * interval
		l, r = r, l
	}
	f := r.Float64()
	switch op {
	case "*":
		return Int(k, int64(math.Round(float64(l.I)*f))), nil
	case "/":
		if f == 0 {
			return Value{}, ErrDivideByZero
		}
		return Int(k, int64(float64(l.I)/f)), nil
	}
	return Value{}, fmt.Errorf("no operator %s for intervals", op)
}

// Compare orders two non-null values of comparable kinds: -1, 0 or 1.
func Compare(a, b Value) (int, error) {
	switch {
	case a.Kind.IsNumeric() && b.Kind.IsNumeric():
		if a.Kind.IsInteger() && b.Kind.IsInteger() {
			return cmp(a.I, b.I), nil
		}
		if (a.Kind == Decimal || a.Kind.IsInteger()) && (b.Kind == Decimal || b.Kind.IsInteger()) {
			x, y := toDecimal(a), toDecimal(b)
			bx, by := big.NewInt(x.I), big.NewInt(y.I)
			scale := max(x.Scale, y.Scale)
			bx.Mul(bx, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale-x.Scale)), nil))
			by.Mul(by, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale-y.Scale)), nil))
			return bx.Cmp(by), nil
		}
		fa, fb := a.Float64(), b.Float64()
		switch {
		case fa < fb:
			return -1, nil
		case fa > fb:
			return 1, nil
		}
		return 0, nil
	case a.Kind.IsString() && b.Kind.IsString():
		x, y := a.S, b.S
		if a.Kind == Char || b.Kind == Char {
			// CHAR compares as if blank-padded (PAD SPACE): 'abc  ' = 'abc'.
			x, y = strings.TrimRight(x, " "), strings.TrimRight(y, " ")
		}
		return strings.Compare(x, y), nil
	case (a.Kind == Binary || a.Kind == Varbinary) && (b.Kind == Binary || b.Kind == Varbinary):
		return strings.Compare(a.S, b.S), nil
	case a.Kind == b.Kind && (a.Kind == Boolean || a.Kind.IsDatetime() || a.Kind.IsInterval()):
		return cmp(a.I, b.I), nil
	case a.Kind == Date && b.Kind == Timestamp || a.Kind == Timestamp && b.Kind == Date:
		return cmp(toMs(a), toMs(b)), nil
	}
	return 0, fmt.Errorf("cannot compare %s with %s", a.Kind, b.Kind)
}

func cmp(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ParseTimestamp reads the timestamp forms the service accepts:
// 2026-11-01 00:00:10, with optional fraction, a T instead of the space,
// and a trailing Z; or a date alone. Digits past milliseconds are dropped.
func ParseTimestamp(s string) (int64, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "Z")
	s = strings.Replace(s, "T", " ", 1)
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("%q is not a timestamp (want YYYY-MM-DD HH:MM:SS[.fff])", s)
}

// ParseNumber reads a numeric literal as the dialect types it: an integer
// (INTEGER, or BIGINT when large), a DECIMAL when it has a point, a DOUBLE
// with an exponent.
func ParseNumber(text string) (Value, error) {
	if strings.ContainsAny(text, "eE") {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return Value{}, fmt.Errorf("bad number %s", text)
		}
		return Float(Double, f), nil
	}
	if i := strings.IndexByte(text, '.'); i >= 0 {
		digits := text[:i] + text[i+1:]
		scale := len(text) - i - 1
		if len(strings.TrimLeft(digits, "0")) > MaxDecimalDigits {
			return Value{}, fmt.Errorf("%s has more than %d digits", text, MaxDecimalDigits)
		}
		n, err := strconv.ParseInt(digits, 10, 64)
		if err != nil {
			return Value{}, fmt.Errorf("bad number %s", text)
		}
		return Dec(n, int8(scale)), nil
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return Value{}, fmt.Errorf("%s does not fit BIGINT", text)
	}
	if n >= math.MinInt32 && n <= math.MaxInt32 {
		return Int(Integer, n), nil
	}
	return Int(BigInt, n), nil
}
