package types

import (
	"errors"
	"testing"
)

func num(t *testing.T, text string) Value {
	t.Helper()
	v, err := ParseNumber(text)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestArithmeticFollowsTheDialect(t *testing.T) {
	cases := []struct {
		l, op, r string
		want     string
		kind     Kind
	}{
		{"5", "/", "2", "2", Integer},   // integer division truncates
		{"-5", "/", "2", "-2", Integer}, // toward zero
		{"5.0", "/", "2", "2.500000000000", Decimal},
		{"3.0", "+", "2", "5.0", Decimal},
		{"1.5", "*", "1.25", "1.875", Decimal},
		{"5000000000", "*", "2", "10000000000", BigInt},
		{"1.5E0", "*", "2", "3", Double},
	}
	for _, c := range cases {
		l, r := num(t, c.l), num(t, c.r)
		k, err := ArithmeticType(c.op, l.Kind, r.Kind)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Arithmetic(c.op, l, r, k)
		if err != nil {
			t.Fatalf("%s %s %s: %v", c.l, c.op, c.r, err)
		}
		if got.String() != c.want || got.Kind != c.kind {
			t.Errorf("%s %s %s = %s (%s), want %s (%s)", c.l, c.op, c.r, got, got.Kind, c.want, c.kind)
		}
	}
	if _, err := Arithmetic("/", Int(Integer, 1), Int(Integer, 0), Integer); !errors.Is(err, ErrDivideByZero) {
		t.Errorf("1/0: %v, want ErrDivideByZero", err)
	}
	if _, err := Arithmetic("/", Float(Double, 1), Float(Double, 0), Double); !errors.Is(err, ErrDivideByZero) {
		t.Errorf("1.0E0/0: %v, want ErrDivideByZero (never infinity)", err)
	}
	if _, err := Arithmetic("+", Int(Integer, 2147483647), Int(Integer, 1), Integer); err == nil {
		t.Error("INTEGER overflow not reported")
	}
	if _, err := ArithmeticType("+", Varchar, Integer); err == nil {
		t.Error("VARCHAR + INTEGER accepted")
	}
}

func TestDatetimeAndIntervalArithmetic(t *testing.T) {
	epoch, _ := ParseTimestamp("1970-01-01 00:00:00")
	ts, _ := ParseTimestamp("2026-11-01 00:00:17.250")
	d, err := Arithmetic("-", TimestampMs(ts), TimestampMs(epoch), IntervalDayTime)
	if err != nil || d.I != ts {
		t.Fatalf("ts - epoch = %v, %v", d, err)
	}
	tenth, err := Arithmetic("/", d, Int(Integer, 10), IntervalDayTime)
	if err != nil || tenth.I != ts/10 {
		t.Fatalf("interval / 10 = %v, %v", tenth, err)
	}
	later, err := Arithmetic("+", TimestampMs(ts), IntervalMs(60000), Timestamp)
	if err != nil || FormatTimestamp(later.I) != "2026-11-01 00:01:17.250" {
		t.Fatalf("ts + 1 minute = %v, %v", later, err)
	}
	if got := IntervalMs(-(76 * 3600000 / 2)).String(); got != "-1 14:00:00.000" {
		t.Fatalf("interval rendering %q", got)
	}
}

func TestCastRoundsAndParses(t *testing.T) {
	cases := []struct {
		v    Value
		to   Type
		want string
	}{
		{Float(Real, -1.5), Type{Kind: Integer}, "-2"},
		{Float(Double, 2.4), Type{Kind: Integer}, "2"},
		{num(t, "1.449"), Type{Kind: Decimal, Precision: 5, Scale: 0}, "1"},
		{num(t, "1.45"), Type{Kind: Decimal, Precision: 5, Scale: 1}, "1.5"},
		{Str(Varchar, " 42 "), Type{Kind: BigInt}, "42"},
		{Str(Varchar, "3.5"), Type{Kind: Double}, "3.5"},
		{Str(Varchar, "TRUE"), Type{Kind: Boolean}, "TRUE"},
		{Str(Varchar, "yes"), Type{Kind: Boolean}, "FALSE"},
		{Str(Varchar, "Impression"), Type{Kind: Varchar, Length: 5}, "Impre"},
		{Str(Varchar, "ab"), Type{Kind: Char, Length: 4}, "ab  "},
		{Str(Varchar, "2018-08-01T20:17:20.797945"), Type{Kind: Timestamp}, "2018-08-01 20:17:20.797"},
		{Int(Integer, 7), Type{Kind: Varchar, Length: 10}, "7"},
	}
	for _, c := range cases {
		got, err := Cast(c.v, c.to)
		if err != nil {
			t.Errorf("CAST(%v AS %s): %v", c.v, c.to, err)
			continue
		}
		if got.String() != c.want {
			t.Errorf("CAST(%v AS %s) = %q, want %q", c.v, c.to, got, c.want)
		}
	}
	for _, bad := range []struct {
		v  Value
		to Type
	}{
		{Str(Varchar, "abc"), Type{Kind: Integer}},
		{Int(BigInt, 1<<40), Type{Kind: Integer}},
		{Str(Varchar, "yesterday"), Type{Kind: Timestamp}},
		{Float(Double, 1e6), Type{Kind: Decimal, Precision: 3, Scale: 0}},
	} {
		if _, err := Cast(bad.v, bad.to); err == nil {
			t.Errorf("CAST(%v AS %s) did not fail", bad.v, bad.to)
		}
	}
}

func TestCompareAcrossNumericKinds(t *testing.T) {
	cases := []struct {
		a, b Value
		want int
	}{
		{Int(Integer, 2), num(t, "2.00"), 0},
		{num(t, "0.1"), Float(Double, 0.2), -1},
		{Int(BigInt, 3), Int(TinyInt, 2), 1},
		{Str(Varchar, "Click"), Str(Char, "Impression"), -1},
	}
	for _, c := range cases {
		got, err := Compare(c.a, c.b)
		if err != nil || got != c.want {
			t.Errorf("Compare(%v, %v) = %d, %v; want %d", c.a, c.b, got, err, c.want)
		}
	}
	if _, err := Compare(Int(Integer, 1), Str(Varchar, "1")); err == nil {
		t.Error("INTEGER compared with VARCHAR")
	}
}

func TestJSONRendering(t *testing.T) {
	vals := []Value{Float(Double, 100), Float(Double, 3.5), Int(BigInt, 7), NullOf(Double), Bool(true), Str(Varchar, "a\"b\n\x01"), TimestampMs(1000), num(t, "2.50")}
	var b []byte
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = v.AppendJSON(b)
	}
	want := `100,3.5,7,null,true,"a\"b\n\u0001","1970-01-01 00:00:01.000",2.50`
	if string(b) != want {
		t.Fatalf("JSON %s\nwant %s", b, want)
	}
}
