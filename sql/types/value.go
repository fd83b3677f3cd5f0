package types

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"
)

// Value is one SQL value. Its Kind says which field holds it:
//   - I: booleans (0/1), integers, DECIMAL's unscaled digits, DATE (days
//     since 1970-01-01), TIME (ms since midnight), TIMESTAMP (ms since the
//     epoch, UTC), day-time intervals (ms), year-month intervals (months);
//   - F: REAL and DOUBLE;
//   - S: CHAR, VARCHAR, BINARY, VARBINARY.
//
// Null values keep their kind, so a NULL still has a type.
type Value struct {
	Kind  Kind
	Null  bool
	Scale int8 // DECIMAL
	I     int64
	F     float64
	S     string
}

// Constructors.
func NullOf(k Kind) Value           { return Value{Kind: k, Null: true} }
func Bool(b bool) Value             { v := Value{Kind: Boolean}; v.setBool(b); return v }
func Int(k Kind, i int64) Value     { return Value{Kind: k, I: i} }
func Float(k Kind, f float64) Value { return Value{Kind: k, F: f} }
func Str(k Kind, s string) Value    { return Value{Kind: k, S: s} }
func Dec(unscaled int64, scale int8) Value {
	return Value{Kind: Decimal, I: unscaled, Scale: scale}
}
func TimestampMs(ms int64) Value   { return Value{Kind: Timestamp, I: ms} }
func IntervalMs(ms int64) Value    { return Value{Kind: IntervalDayTime, I: ms} }
func IntervalMonths(m int64) Value { return Value{Kind: IntervalYearMonth, I: m} }

func (v *Value) setBool(b bool) {
	if b {
		v.I = 1
	} else {
		v.I = 0
	}
}

// True reports a non-null TRUE.
func (v Value) True() bool { return v.Kind == Boolean && !v.Null && v.I != 0 }

// Float64 converts a numeric value to float64.
func (v Value) Float64() float64 {
	switch {
	case v.Kind == Real || v.Kind == Double:
		return v.F
	case v.Kind == Decimal:
		return float64(v.I) / math.Pow10(int(v.Scale))
	default:
		return float64(v.I)
	}
}

const timestampLayout = "2006-01-02 15:04:05.000"

// FormatTimestamp renders ms since the epoch as the dialect prints
// timestamps: 2026-11-01 00:00:10.000.
func FormatTimestamp(ms int64) string { return time.UnixMilli(ms).UTC().Format(timestampLayout) }

// FormatISO renders ms since the epoch as RFC 3339 with milliseconds and Z,
// the form of ROWTIME in Riffle's JSON output.
func FormatISO(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z") }

// String renders the value as SQL would print it (NULL for nulls).
func (v Value) String() string {
	if v.Null {
		return "NULL"
	}
	switch v.Kind {
	case Boolean:
		if v.I != 0 {
			return "TRUE"
		}
		return "FALSE"
	case TinyInt, SmallInt, Integer, BigInt:
		return strconv.FormatInt(v.I, 10)
	case Decimal:
		return formatDecimal(v.I, v.Scale)
	case Real:
		return strconv.FormatFloat(v.F, 'g', -1, 32)
	case Double:
		return strconv.FormatFloat(v.F, 'g', -1, 64)
	case Char, Varchar, Binary, Varbinary:
		return v.S
	case Date:
		return time.UnixMilli(v.I * 86400000).UTC().Format("2006-01-02")
	case Time:
		return time.UnixMilli(v.I).UTC().Format("15:04:05.000")
	case Timestamp:
		return FormatTimestamp(v.I)
	case IntervalDayTime:
		return formatDayTime(v.I)
	case IntervalYearMonth:
		sign := "+"
		m := v.I
		if m < 0 {
			sign, m = "-", -m
		}
		return sign + strconv.FormatInt(m/12, 10) + "-" + strconv.FormatInt(m%12, 10)
	}
	return "?"
}

func formatDecimal(unscaled int64, scale int8) string {
	neg := unscaled < 0
	u := uint64(unscaled)
	if neg {
		u = -u
	}
	digits := strconv.FormatUint(u, 10)
	if scale > 0 {
		for len(digits) <= int(scale) {
			digits = "0" + digits
		}
		digits = digits[:len(digits)-int(scale)] + "." + digits[len(digits)-int(scale):]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

func formatDayTime(ms int64) string {
	sign := "+"
	if ms < 0 {
		sign, ms = "-", -ms
	}
	days := ms / 86400000
	ms %= 86400000
	var b strings.Builder
	b.WriteString(sign)
	b.WriteString(strconv.FormatInt(days, 10))
	b.WriteString(" ")
	b.WriteString(time.UnixMilli(ms).UTC().Format("15:04:05.000"))
	return b.String()
}

// AppendJSON appends the value as a JSON value: numbers as numbers,
// booleans as booleans, NULL as null, everything else as a string.
func (v Value) AppendJSON(b []byte) []byte {
	if v.Null {
		return append(b, "null"...)
	}
	switch v.Kind {
	case Boolean:
		return strconv.AppendBool(b, v.I != 0)
	case TinyInt, SmallInt, Integer, BigInt:
		return strconv.AppendInt(b, v.I, 10)
	case Decimal:
		return append(b, formatDecimal(v.I, v.Scale)...)
	case Real, Double:
		if math.IsNaN(v.F) || math.IsInf(v.F, 0) {
			return AppendJSONString(b, strconv.FormatFloat(v.F, 'g', -1, 64))
		}
		bits := 64
		if v.Kind == Real {
			bits = 32
		}
		return strconv.AppendFloat(b, v.F, 'g', -1, bits)
	}
	if v.Kind == Binary || v.Kind == Varbinary {
		// Bytes are written as hexadecimal digits, as a binary literal
		// writes them: JSON strings hold text.
		return AppendJSONString(b, HexBytes(v.S))
	}
	return AppendJSONString(b, v.String())
}

// AppendJSONString appends s as a JSON string.
func AppendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// HexBytes writes a binary value as a binary literal's digits: upper-case
// hexadecimal, two a byte. Outputs (JSON, CSV) show BINARY and VARBINARY
// values so.
func HexBytes(bytes string) string { return strings.ToUpper(hex.EncodeToString([]byte(bytes))) }
