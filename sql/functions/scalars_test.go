package functions

import (
	"math/rand"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/riffle-sql/riffle/sql/types"
)

// Value shorthands.
func str(s string) types.Value { return types.Str(types.Varchar, s) }
func chr(s string) types.Value { return types.Str(types.Char, s) }
func i32(i int64) types.Value  { return types.Int(types.Integer, i) }
func i64(i int64) types.Value  { return types.Int(types.BigInt, i) }
func dbl(f float64) types.Value {
	return types.Float(types.Double, f)
}
func null(k types.Kind) types.Value { return types.NullOf(k) }
func num(text string) types.Value {
	v, err := types.ParseNumber(text)
	if err != nil {
		panic(err)
	}
	return v
}
func ts(text string) types.Value {
	ms, err := types.ParseTimestamp(text)
	if err != nil {
		panic(err)
	}
	return types.TimestampMs(ms)
}
func date(text string) types.Value { return types.Int(types.Date, ts(text).I/msPerDay) }
func tod(text string) types.Value  { return types.Int(types.Time, ts("1970-01-01 "+text).I) }

// typeOf is the type the planner would give a value of this shape.
func typeOf(v types.Value) types.Type {
	t := types.Type{Kind: v.Kind}
	switch {
	case v.Kind.IsString() || v.Kind == types.Binary || v.Kind == types.Varbinary:
		t.Length = max(1, utf8.RuneCountInString(v.S))
	case v.Kind == types.Decimal:
		t.Precision, t.Scale = types.MaxDecimalDigits, int(v.Scale)
	}
	return t
}

// call runs a function as a compiled call does: arity, result type, and
// NULL in gives NULL for NullIn functions.
func call(name string, args ...types.Value) (types.Value, types.Type, error, error) {
	f, ok := LookupScalar(name)
	if !ok {
		panic("no function " + name)
	}
	if len(args) < f.MinArgs || len(args) > f.MaxArgs {
		panic(name + ": wrong number of arguments in the test")
	}
	ts := make([]types.Type, len(args))
	for i, a := range args {
		ts[i] = typeOf(a)
	}
	t, err := f.Result(ts)
	if err != nil {
		return types.Value{}, t, err, nil
	}
	for _, a := range args {
		if a.Null && f.NullIn {
			return types.NullOf(t.Kind), t, nil, nil
		}
	}
	v, err := f.Eval(args)
	return v, t, nil, err
}

type fcase struct {
	name string
	args []types.Value
	want string // the value as SQL prints it, NULL, or the error's text
	typ  string // the result type, when checked
}

func args(vs ...types.Value) []types.Value { return vs }

func runCases(t *testing.T, cases []fcase) {
	t.Helper()
	for _, c := range cases {
		v, typ, planErr, evalErr := call(c.name, c.args...)
		var got string
		switch {
		case planErr != nil:
			got = "plan error: " + planErr.Error()
		case evalErr != nil:
			got = "error: " + evalErr.Error()
		default:
			got = v.String()
			if !v.Null && v.Kind != typ.Kind {
				t.Errorf("%s%v: value kind %s, result type %s", c.name, c.args, v.Kind, typ)
			}
			if !v.Null && v.Kind == types.Decimal && int(v.Scale) != typ.Scale {
				t.Errorf("%s%v: value scale %d, result type %s", c.name, c.args, v.Scale, typ)
			}
		}
		if strings.HasPrefix(c.want, "error: ") || strings.HasPrefix(c.want, "plan error: ") {
			if !strings.HasPrefix(got, c.want) {
				t.Errorf("%s%v = %q, want %q...", c.name, c.args, got, c.want)
			}
		} else if got != c.want {
			t.Errorf("%s%v = %q, want %q", c.name, c.args, got, c.want)
		}
		if c.typ != "" && planErr == nil && typ.String() != c.typ {
			t.Errorf("%s%v: type %s, want %s", c.name, c.args, typ, c.typ)
		}
	}
}

func TestStringFunctions(t *testing.T) {
	runCases(t, []fcase{
		// SUBSTRING, the reference's examples.
		{"SUBSTRING", args(chr("123456789"), i32(3), i32(4)), "3456", "VARCHAR(9)"},
		{"SUBSTRING", args(chr("123456789"), i32(17), i32(4)), "", ""},
		{"SUBSTRING", args(chr("123456789"), i32(-1), i32(4)), "12", ""},
		{"SUBSTRING", args(chr("123456789"), i32(6), i32(0)), "", ""},
		{"SUBSTRING", args(chr("123456789"), i32(8), i32(4)), "89", ""},
		{"SUBSTRING", args(chr("123456789"), i32(7), i32(4)), "789", ""},
		{"SUBSTRING", args(chr("123456789"), i32(0)), "123456789", ""},
		{"SUBSTRING", args(chr("123456789"), i32(9)), "9", ""},
		{"SUBSTRING", args(chr("123456789"), i32(10)), "", ""},
		{"SUBSTRING", args(chr("123456789"), i32(0), i32(1)), "", ""},
		{"SUBSTRING", args(chr("123456789"), i64(-9223372036854775808), i64(9223372036854775807)), "", ""},
		{"SUBSTRING", args(chr("123456789"), i32(2), i64(9223372036854775807)), "23456789", ""},
		{"SUBSTRING", args(chr("héllo wörld"), i32(2), i32(4)), "éllo", ""},
		{"SUBSTRING", args(chr("123456789"), i32(2), i32(-1)), "error: SUBSTRING: negative length -1", ""},
		{"SUBSTRING", args(null(types.Varchar), i32(2)), "NULL", ""},
		{"SUBSTRING", args(chr("abc"), null(types.Integer)), "NULL", ""},
		{"SUBSTRING", args(chr("abc"), i32(1), null(types.Integer)), "NULL", ""},
		{"SUBSTRING", args(chr("abc"), num("1.5")), "plan error: SUBSTRING's start position must be an integer", ""},
		{"SUBSTRING", args(i32(5), i32(1)), "plan error: SUBSTRING takes a string, not INTEGER", ""},
		{"SUBSTRING", args(types.Str(types.Varbinary, "\x01\x02\x03"), i32(2), i32(1)), "\x02", "VARBINARY(3)"},
		// SUBSTRING(s FROM regex).
		{"SUBSTRING", args(chr("TECHNOLOGY"), chr("L[A-Z]*")), "LOGY", "VARCHAR(10)"},
		{"SUBSTRING", args(chr("TECHNOLOGY"), chr("X+")), "NULL", ""},
		{"SUBSTRING", args(chr("TECHNOLOGY"), chr("(")), "error: SUBSTRING: regular expression \"(\": unclosed group", ""},
		{"SUBSTRING", args(chr("TECHNOLOGY"), chr("L"), i32(1)), "plan error: SUBSTRING's start position must be an integer, not CHAR(1)", ""},

		// POSITION(needle, haystack [, from]).
		{"POSITION", args(chr("findme"), chr("1234findmeXXX")), "5", "INTEGER"},
		{"POSITION", args(chr("findme"), chr("1234not-hereXXX")), "0", ""},
		{"POSITION", args(chr("1"), chr("1234567")), "1", ""},
		{"POSITION", args(chr("7"), chr("1234567")), "7", ""},
		{"POSITION", args(str(""), chr("1234567")), "1", ""},
		{"POSITION", args(chr("ö"), chr("héllo wörld")), "8", ""},
		{"POSITION", args(chr("a"), chr("banana"), i32(3)), "4", ""},
		{"POSITION", args(chr("a"), chr("banana"), i32(-5)), "2", ""},
		{"POSITION", args(chr("a"), chr("banana"), i32(7)), "0", ""},
		{"POSITION", args(str(""), chr("banana"), i32(7)), "7", ""},
		{"POSITION", args(str(""), chr("banana"), i32(8)), "0", ""},
		{"POSITION", args(null(types.Varchar), chr("banana")), "NULL", ""},
		{"POSITION", args(chr("a"), null(types.Varchar)), "NULL", ""},
		{"POSITION", args(i32(1), chr("banana")), "plan error: POSITION takes strings", ""},

		// TRIM, the reference's examples.
		{"TRIM_BOTH", args(chr(" Trim front and back "), chr(" ")), "Trim front and back", "VARCHAR(21)"},
		{"TRIM_LEADING", args(chr("xxxTrim frontxxx"), chr("x")), "Trim frontxxx", ""},
		{"TRIM_TRAILING", args(chr("xxxTrimxBackxxx"), chr("x")), "xxxTrimxBack", ""},
		{"TRIM_BOTH", args(chr("xxxNo y to trimxxx"), chr("y")), "xxxNo y to trimxxx", ""},
		{"TRIM_BOTH", args(chr("    "), chr(" ")), "", ""},
		{"TRIM_BOTH", args(chr("ééaéé"), chr("é")), "a", ""},
		{"TRIM_BOTH", args(chr("abc"), str("")), "error: TRIM: the trim character must be exactly one character", ""},
		{"TRIM_BOTH", args(chr("abc"), chr("ab")), "error: TRIM: the trim character must be exactly one character", ""},
		{"TRIM_BOTH", args(null(types.Varchar), chr(" ")), "NULL", ""},
		{"TRIM_LEADING", args(chr("abc"), null(types.Char)), "NULL", ""},
		{"TRIM_TRAILING", args(i32(1), chr(" ")), "plan error: TRIM takes strings", ""},

		// INITCAP.
		{"INITCAP", args(chr("Each FIRST lEtTeR is cAPITALIZED")), "Each First Letter Is Capitalized", "VARCHAR(32)"},
		{"INITCAP", args(chr("  two  spaces\tand-dash o'neil")), "  Two  Spaces\tAnd-dash O'neil", ""},
		{"INITCAP", args(chr("élan ÉTÉ")), "Élan Été", ""},
		{"INITCAP", args(null(types.Varchar)), "NULL", ""},

		// OVERLAY, the reference's examples.
		{"OVERLAY", args(chr("12345"), chr("foo"), i32(1)), "foo45", "VARCHAR(8)"},
		{"OVERLAY", args(chr("12345"), chr("foo"), i32(0)), "foo345", ""},
		{"OVERLAY", args(chr("12345"), chr("foo"), i32(-2)), "foo12345", ""},
		{"OVERLAY", args(chr("12345"), chr("foo"), i32(4)), "123foo", ""},
		{"OVERLAY", args(chr("12345"), chr("foo"), i32(17)), "12345foo", ""},
		{"OVERLAY", args(chr("12345"), chr("foo"), i32(2), i32(0)), "1foo2345", ""},
		{"OVERLAY", args(chr("12345"), chr("foo"), i32(2), i32(2)), "1foo45", ""},
		{"OVERLAY", args(chr("12345"), chr("foo"), i32(2), i32(9)), "1foo", ""},
		{"OVERLAY", args(chr("12345"), chr("foo"), i64(-9223372036854775808), i64(9223372036854775807)), "foo", ""},
		{"OVERLAY", args(chr("12345"), chr("foo"), i32(2), i32(-1)), "error: OVERLAY: negative length -1", ""},
		{"OVERLAY", args(chr("12345"), null(types.Varchar), i32(2)), "NULL", ""},
		{"OVERLAY", args(chr("12345"), chr("foo"), num("2.0")), "plan error: OVERLAY's start position and length must be integers", ""},

		// The aliases that existed before.
		{"CHARACTER_LENGTH", args(chr("héllo")), "5", "INTEGER"},
	})
}

func TestNumericFunctions(t *testing.T) {
	runCases(t, []fcase{
		// FLOOR and CEIL keep the argument's type; DECIMAL loses its scale.
		{"FLOOR", args(num("2.0")), "2", "DECIMAL(19, 0)"},
		{"FLOOR", args(num("-1.0")), "-1", ""},
		{"FLOOR", args(num("5.2")), "5", ""},
		{"FLOOR", args(num("-3.3")), "-4", ""},
		{"FLOOR", args(num("-9.3")), "-10", ""}, // FLOOR(-3 * 3.1)
		{"FLOOR", args(types.Dec(1, 19)), "0", ""},
		{"FLOOR", args(types.Dec(-1, 19)), "-1", ""},
		{"FLOOR", args(types.Dec(-15, 18)), "-1", ""},
		{"FLOOR", args(i32(7)), "7", "INTEGER"},
		{"FLOOR", args(i64(-7)), "-7", "BIGINT"},
		{"FLOOR", args(dbl(-2.5)), "-3", "DOUBLE"},
		{"FLOOR", args(types.Float(types.Real, 2.5)), "2", "REAL"},
		{"FLOOR", args(null(types.Double)), "NULL", ""},
		{"FLOOR", args(chr("1")), "plan error: FLOOR takes a number, not CHAR(1)", ""},
		{"FLOOR", args(ts("2004-09-30 13:48:23")), "plan error: FLOOR takes a number, not TIMESTAMP (write FLOOR(x TO unit)", ""},
		{"CEIL", args(num("5.2")), "6", "DECIMAL(19, 0)"},
		{"CEIL", args(num("-3.3")), "-3", ""},
		{"CEIL", args(num("2.000")), "2", ""},
		{"CEIL", args(types.Dec(1, 19)), "1", ""},
		{"CEIL", args(types.Dec(-1, 19)), "0", ""},
		{"CEIL", args(dbl(-2.5)), "-2", "DOUBLE"},
		{"CEIL", args(i32(3)), "3", "INTEGER"},
		{"CEILING", args(dbl(2.1)), "3", "DOUBLE"},
		{"CEIL", args(null(types.Decimal)), "NULL", ""},

		// POWER, the reference's examples and its two exceptions.
		{"POWER", args(i32(3), i32(2)), "9", "DOUBLE"},
		{"POWER", args(i32(-2), i32(3)), "-8", ""},
		{"POWER", args(i32(4), i32(-2)), "0.0625", ""},
		{"POWER", args(num("10.1"), num("2.5")), "324.19285157140644", ""},
		{"POWER", args(i32(0), i32(0)), "1", ""},
		{"POWER", args(i32(0), i32(-1)), "error: POWER: zero cannot be raised to the negative power", ""},
		{"POWER", args(i32(-8), num("0.5")), "error: POWER: the negative base -8 cannot be raised to the fractional power 0.5", ""},
		{"POWER", args(null(types.Integer), i32(2)), "NULL", ""},
		{"POWER", args(i32(2), chr("2")), "plan error: POWER takes numbers, not CHAR(1)", ""},

		{"SQRT", args(i32(16)), "4", "DOUBLE"},
		{"SQRT", args(num("2.25")), "1.5", ""},
		{"SQRT", args(i32(0)), "0", ""},
		{"SQRT", args(i32(-1)), "error: SQRT: the argument -1 is negative", ""},
		{"SQRT", args(null(types.Double)), "NULL", ""},

		// LN and LOG10, the reference's examples.
		{"LN", args(i32(1)), "0", "DOUBLE"},
		{"LN", args(i32(10)), "2.302585092994046", ""},
		{"LN", args(num("2.5")), "0.9162907318741551", ""},
		{"LN", args(i32(0)), "error: LN: the argument 0 is not positive", ""},
		{"LN", args(dbl(-1)), "error: LN: the argument -1 is not positive", ""},
		{"LOG10", args(i32(1)), "0", "DOUBLE"},
		{"LOG10", args(i32(100)), "2", ""},
		{"LOG10", args(num("23")), "1.3617278360175928", ""},
		{"LOG10", args(i32(-5)), "error: LOG10: the argument -5 is not positive", ""},
		{"LOG10", args(null(types.Integer)), "NULL", ""},
		{"EXP", args(i32(0)), "1", "DOUBLE"},
		{"EXP", args(i32(1)), "2.718281828459045", ""},
		{"EXP", args(i32(1000)), "+Inf", ""}, // as Java's Math.exp
		{"EXP", args(null(types.Double)), "NULL", ""},
		{"EXP", args(ts("2004-09-30 13:48:23")), "plan error: EXP takes numbers, not TIMESTAMP", ""},
	})
}

func TestNullif(t *testing.T) {
	runCases(t, []fcase{
		{"NULLIF", args(i32(1), i32(1)), "NULL", "INTEGER"},
		{"NULLIF", args(i32(1), i32(2)), "1", "INTEGER"},
		{"NULLIF", args(i32(1), num("1.0")), "NULL", ""},
		{"NULLIF", args(chr("a"), str("a")), "NULL", "CHAR(1)"},
		{"NULLIF", args(chr("a"), str("b")), "a", ""},
		{"NULLIF", args(null(types.Integer), i32(1)), "NULL", ""},
		{"NULLIF", args(i32(1), null(types.Integer)), "1", ""},
		{"NULLIF", args(null(types.Unknown), i32(1)), "NULL", "INTEGER"},
		{"NULLIF", args(i32(1), null(types.Unknown)), "1", "INTEGER"},
		{"NULLIF", args(i32(1), chr("1")), "plan error: NULLIF cannot compare INTEGER with CHAR(1)", ""},
	})
}

func TestDatetimeFunctions(t *testing.T) {
	day := int64(msPerDay)
	runCases(t, []fcase{
		// EXTRACT, the reference's examples.
		{"EXTRACT_DAY", args(types.IntervalMs(2*day + 3*3600000 + 4*60000 + 5678)), "2", "BIGINT"},
		{"EXTRACT_HOUR", args(types.IntervalMs(2*day + 3*3600000 + 4*60000 + 5678)), "3", "BIGINT"},
		{"EXTRACT_MINUTE", args(types.IntervalMs(2*day + 3*3600000 + 4*60000 + 5678)), "4", "BIGINT"},
		{"EXTRACT_SECOND", args(types.IntervalMs(2*day + 3*3600000 + 4*60000 + 5678)), "5.678", "DECIMAL(5, 3)"},
		{"EXTRACT_SECOND", args(types.IntervalMs(-(2*day + 3*3600000 + 4*60000 + 5678))), "-5.678", ""},
		{"EXTRACT_HOUR", args(types.IntervalMs(-(2*day + 3*3600000))), "-3", ""},
		{"EXTRACT_MINUTE", args(ts("2016-09-23 04:29:26.234")), "29", "BIGINT"},
		{"EXTRACT_HOUR", args(ts("2016-09-23 04:29:26.234")), "4", ""},
		{"EXTRACT_YEAR", args(ts("2016-09-23 04:29:26.234")), "2016", ""},
		{"EXTRACT_MONTH", args(ts("2016-09-23 04:29:26.234")), "9", ""},
		{"EXTRACT_DAY", args(ts("2016-09-23 04:29:26.234")), "23", ""},
		{"EXTRACT_SECOND", args(ts("2016-09-23 04:29:26.234")), "26.234", "DECIMAL(5, 3)"},
		{"EXTRACT_SECOND", args(ts("2016-09-23 04:29:00")), "0.000", ""},
		{"EXTRACT_YEAR", args(ts("1969-12-31 23:59:59.999")), "1969", ""},
		{"EXTRACT_DAY", args(date("2008-08-23")), "23", ""},
		{"EXTRACT_MONTH", args(date("1960-02-29")), "2", ""},
		{"EXTRACT_HOUR", args(tod("13:48:23.5")), "13", ""},
		{"EXTRACT_SECOND", args(tod("13:48:23.5")), "23.500", ""},
		{"EXTRACT_YEAR", args(types.IntervalMonths(40)), "3", ""},
		{"EXTRACT_MONTH", args(types.IntervalMonths(-40)), "-4", ""},
		{"EXTRACT_YEAR", args(null(types.Timestamp)), "NULL", ""},
		{"EXTRACT_HOUR", args(date("2008-08-23")), "plan error: EXTRACT(HOUR FROM ...) does not apply to DATE", ""},
		{"EXTRACT_YEAR", args(tod("13:48:23")), "plan error: EXTRACT(YEAR FROM ...) does not apply to TIME", ""},
		{"EXTRACT_DAY", args(types.IntervalMonths(3)), "plan error: EXTRACT(DAY FROM ...) does not apply to INTERVAL YEAR TO MONTH", ""},
		{"EXTRACT_MONTH", args(types.IntervalMs(3)), "plan error: EXTRACT(MONTH FROM ...) does not apply to INTERVAL DAY TO SECOND", ""},
		{"EXTRACT_DAY", args(chr("2008-08-23")), "plan error: EXTRACT(DAY FROM ...) does not apply to CHAR(10)", ""},

		// TSDIFF(a, b) = a - b.
		{"TSDIFF", args(ts("2026-11-01 00:00:10.500"), ts("2026-11-01 00:00:00")), "10500", "BIGINT"},
		{"TSDIFF", args(ts("2026-11-01 00:00:00"), ts("2026-11-01 00:00:10.500")), "-10500", ""},
		{"TSDIFF", args(i64(1000), i64(250)), "750", ""},
		{"TSDIFF", args(ts("1970-01-01 00:00:01"), i64(250)), "750", ""},
		{"TSDIFF", args(date("1970-01-02"), ts("1970-01-01 00:00:00")), "86400000", ""},
		{"TSDIFF", args(null(types.Timestamp), ts("1970-01-01 00:00:00")), "NULL", ""},
		{"TSDIFF", args(ts("1970-01-01 00:00:00"), null(types.BigInt)), "NULL", ""},
		{"TSDIFF", args(i64(-9223372036854775808), i64(1)), "error: TSDIFF: BIGINT overflow", ""},
		{"TSDIFF", args(dbl(1), i64(1)), "plan error: TSDIFF takes TIMESTAMPs or BIGINT milliseconds, not DOUBLE", ""},

		{"UNIX_TIMESTAMP", args(ts("2026-11-01 00:00:10.500")), "1793491210500", "BIGINT"},
		{"UNIX_TIMESTAMP", args(ts("1969-12-31 23:59:59")), "-1000", ""},
		{"UNIX_TIMESTAMP", args(null(types.Timestamp)), "NULL", ""},
		{"UNIX_TIMESTAMP", args(i64(5)), "plan error: UNIX_TIMESTAMP takes a TIMESTAMP, not BIGINT", ""},
		{"TO_TIMESTAMP", args(i64(1793491210500)), "2026-11-01 00:00:10.500", "TIMESTAMP"},
		{"TO_TIMESTAMP", args(i32(-1000)), "1969-12-31 23:59:59.000", ""},
		{"TO_TIMESTAMP", args(null(types.BigInt)), "NULL", ""},
		{"TO_TIMESTAMP", args(dbl(1.5)), "plan error: TO_TIMESTAMP takes BIGINT milliseconds since the epoch, not DOUBLE", ""},
	})
}

func TestCharToTimestamp(t *testing.T) {
	c2t := func(format, s, want string) fcase {
		return fcase{"CHAR_TO_TIMESTAMP", args(chr(format), chr(s)), want, "TIMESTAMP"}
	}
	runCases(t, []fcase{
		// The reference's template examples.
		c2t("yyyy-MM-dd hh:mm:ss", "2009-09-16 03:15:24", "2009-09-16 03:15:24.000"),
		c2t("yyyy-mm", "2011-02-08 07:23:19", "2011-01-01 00:02:00.000"),
		c2t("MMM dd, yyyy", "March 7, 2010", "2010-03-07 00:00:00.000"),
		c2t("MMM dd,", "March 7, 2010", "1970-03-07 00:00:00.000"),
		c2t("MMM dd,y", "March 7, 2010", "2010-03-07 00:00:00.000"),
		c2t("MMM dd,y", "March 7, 10", "0010-03-07 00:00:00.000"),
		c2t("M-d", "2-8", "1970-02-08 00:00:00.000"),
		c2t("M-d", "2-8-2011", "1970-02-08 00:00:00.000"),
		c2t("M-d", "2011-2-8", "error: CHAR_TO_TIMESTAMP: \"2011-2-8\": month 2011 is out of range"),
		c2t("MM-dd-yyyy", "06-23-2011 10:11:12", "2011-06-23 00:00:00.000"),
		c2t("dd-MM-yy hh:mm:ss", "23-06-11 10:11:12", "2011-06-23 10:11:12.000"),
		c2t("MM-dd-yy ss:hh:mm", "06-23-11 12:10:11", "2011-06-23 10:11:12.000"),
		c2t("yy-dd-MM ss:hh:mm", "06-23-11 12:10:11", "2006-11-23 10:11:12.000"),
		c2t("yyyy-MM-dd", "2009-09-16 03:15:24", "2009-09-16 00:00:00.000"),
		c2t("yyyy hh", "2009-09-16 03:15:24", "error: CHAR_TO_TIMESTAMP: \"2009-09-16 03:15:24\" does not match the date format \"yyyy hh\""),
		// Strictness: out-of-range fields fail.
		c2t("yyyy-MM-dd", "2009-02-30", "error: CHAR_TO_TIMESTAMP: \"2009-02-30\": day 30 is out of range"),
		c2t("yyyy-MM-dd", "2008-02-29", "2008-02-29 00:00:00.000"),
		c2t("yyyy-MM-dd", "2009-13-01", "error: CHAR_TO_TIMESTAMP: \"2009-13-01\": month 13 is out of range"),
		c2t("yyyy-MM-dd hh:mm", "2009-01-01 13:00", "error: CHAR_TO_TIMESTAMP: \"2009-01-01 13:00\": hour (h) 13 is out of range"),
		c2t("yyyy-MM-dd hh:mm", "2009-01-01 12:30", "2009-01-01 00:30:00.000"),
		c2t("yyyy-MM-dd hh:mm a", "2009-01-01 12:30 PM", "2009-01-01 12:30:00.000"),
		c2t("yyyy-MM-dd hh:mm a", "2009-01-01 03:30 pm", "2009-01-01 15:30:00.000"),
		c2t("yyyy-MM-dd HH:mm", "2009-01-01 24:00", "error: CHAR_TO_TIMESTAMP: \"2009-01-01 24:00\": hour (H) 24 is out of range"),
		c2t("yyyy-MM-dd kk:mm", "2009-01-01 24:00", "2009-01-01 00:00:00.000"),
		c2t("yyyy-MM-dd KK:mm a", "2009-01-01 11:00 PM", "2009-01-01 23:00:00.000"),
		c2t("HH:mm:ss.SSS", "13:48:23.5", "1970-01-01 13:48:23.005"), // S counts milliseconds, as in Java
		c2t("HH:mm:ss.SSS", "13:48:23.500", "1970-01-01 13:48:23.500"),
		c2t("HH:mm:ss.SSS", "13:48:23.5000", "error: CHAR_TO_TIMESTAMP: \"13:48:23.5000\": millisecond 5000 is out of range"),
		c2t("yyyy-MM-dd", "0000-01-01", "error: CHAR_TO_TIMESTAMP: \"0000-01-01\": year 0 is out of range"),
		c2t("yyyy-MM-dd", "2009-01-", "error: CHAR_TO_TIMESTAMP: \"2009-01-\" does not match"),
		c2t("yyyy-MM-dd", "", "error: CHAR_TO_TIMESTAMP: \"\" does not match"),
		c2t("yyyy-MM-dd", "2009-1234567890-01", "error: CHAR_TO_TIMESTAMP: \"2009-1234567890-01\": the number 1234567890 is out of range"),
		// Abutting numeric fields take their widths.
		c2t("yyyyMMddHHmmss", "20090916031524", "2009-09-16 03:15:24.000"),
		c2t("yyyyMMdd", "2009091", "2009-09-01 00:00:00.000"),
		c2t("yyyyMMdd", "20090", "error: CHAR_TO_TIMESTAMP: \"20090\" does not match"),
		// Spaces before a field are skipped; names ignore case.
		c2t("dd MMM yyyy", "07   mar   2010", "2010-03-07 00:00:00.000"),
		c2t("EEE, dd MMM yyyy HH:mm:ss Z", "Sun, 07 Mar 2010 10:11:12 -0700", "2010-03-07 17:11:12.000"),
		c2t("EEEE dd MMMM yyyy", "sunday 07 march 2010", "2010-03-07 00:00:00.000"),
		c2t("dd/MMM/yyyy:HH:mm:ss z", "10/Oct/2000:13:55:36 -0700", "2000-10-10 20:55:36.000"),
		c2t("dd/MMM/yyyy:HH:mm:ss z", "10/Oct/2000:13:55:36 PST", "2000-10-10 21:55:36.000"),
		c2t("dd/MMM/yyyy:HH:mm:ss z", "10/Oct/2000:13:55:36 GMT+05:30", "2000-10-10 08:25:36.000"),
		c2t("dd/MMM/yyyy:HH:mm:ss z", "10/Oct/2000:13:55:36 Mars", "error: CHAR_TO_TIMESTAMP: \"10/Oct/2000:13:55:36 Mars\" does not match"),
		c2t("yyyy-MM-dd'T'HH:mm:ss.SSSX", "2026-11-01T00:00:10.250Z", "2026-11-01 00:00:10.250"),
		c2t("yyyy-MM-dd'T'HH:mm:ssXXX", "2026-11-01T01:00:10+01:00", "2026-11-01 00:00:10.000"),
		c2t("yyyy-MM-dd'T'HH:mm:ssX", "2026-11-01T01:00:10+25", "error: CHAR_TO_TIMESTAMP: \"2026-11-01T01:00:10+25\" does not match"),
		c2t("'at' HH 'o''clock'", "at 11 o'clock", "1970-01-01 11:00:00.000"),
		c2t("yyyy D", "2008 366", "2008-12-31 00:00:00.000"),
		c2t("yyyy D", "2009 366", "error: CHAR_TO_TIMESTAMP: \"2009 366\": day of year 366 is out of range"),
		c2t("G yyyy", "BC 0044", "-0043-01-01 00:00:00.000"),
		// Bad patterns.
		c2t("yyyy-MM-dd Q", "2009-01-01 1", "error: CHAR_TO_TIMESTAMP: illegal pattern character 'Q' in the date format"),
		c2t("yyyy 'x", "2009 x", "error: CHAR_TO_TIMESTAMP: unterminated quote"),
		c2t("YYYY-MM-dd", "2009-01-01", "error: CHAR_TO_TIMESTAMP: the date format \"YYYY-MM-dd\": pattern letter 'Y' is not supported for parsing"),
		{"CHAR_TO_TIMESTAMP", args(null(types.Varchar), chr("2009")), "NULL", ""},
		{"CHAR_TO_TIMESTAMP", args(chr("yyyy"), null(types.Varchar)), "NULL", ""},
		{"CHAR_TO_TIMESTAMP", args(chr("yyyy"), i32(2009)), "plan error: CHAR_TO_TIMESTAMP takes a format and a string, not CHAR(4) and INTEGER", ""},
		{"CHAR_TO_DATE", args(chr("yyyy-MM-dd HH:mm"), chr("2009-09-16 03:15")), "2009-09-16", "DATE"},
		{"CHAR_TO_DATE", args(chr("yyyy-MM-dd HH:mm X"), chr("2009-09-16 03:15 +05")), "2009-09-15", "DATE"},
		{"CHAR_TO_DATE", args(chr("yyyy-MM-dd"), chr("1969-12-31")), "1969-12-31", "DATE"},
		{"CHAR_TO_TIME", args(chr("HH:mm:ss"), chr("03:15:24")), "03:15:24.000", "TIME"},
		{"CHAR_TO_TIME", args(chr("yyyy-MM-dd HH:mm X"), chr("2009-09-16 03:15 +05")), "22:15:00.000", "TIME"},
		{"CHAR_TO_TIME", args(chr("HH:mm"), chr("25:00")), "error: CHAR_TO_TIME: \"25:00\": hour (H) 25 is out of range", ""},
	})
}

func TestTimestampToChar(t *testing.T) {
	t2c := func(format, ts_ string, want string) fcase {
		return fcase{"TIMESTAMP_TO_CHAR", args(chr(format), ts(ts_)), want, ""}
	}
	runCases(t, []fcase{
		{"TIMESTAMP_TO_CHAR", args(chr("yyyy-MM-dd HH:mm:ss.SSS"), ts("2009-09-16 03:15:24.5")), "2009-09-16 03:15:24.500", "VARCHAR(207)"},
		t2c("yyyy-MM-dd hh:mm:ss a", "2009-09-16 15:15:24", "2009-09-16 03:15:24 PM"),
		t2c("h:mm a, K, k, H", "2009-09-16 00:05:00", "12:05 AM, 0, 24, 0"),
		t2c("h:mm a, K, k, H", "2009-09-16 12:05:00", "12:05 PM, 0, 12, 12"),
		t2c("yy y yyy yyyyy", "2009-09-16 00:00:00", "09 2009 2009 02009"),
		t2c("M MM MMM MMMM L", "2009-09-16 00:00:00", "9 09 Sep September 9"),
		t2c("d dd D DDD E EEEE u F", "2009-09-06 00:00:00", "6 06 249 249 Sun Sunday 7 1"),
		t2c("S SSS SSSS", "2009-09-16 00:00:00.05", "50 050 0050"),
		t2c("z zzzz Z X G", "2009-09-16 00:00:00", "UTC Coordinated Universal Time +0000 Z AD"),
		t2c("'Year' yyyy, 'it''s' '''Q'''", "2009-09-16 00:00:00", "Year 2009, it's 'Q'"),
		t2c("''Q''", "2009-09-16 00:00:00", "error: TIMESTAMP_TO_CHAR: illegal pattern character 'Q'"),
		t2c("dd/MMM/yyyy:HH:mm:ss Z", "2000-10-10 13:55:36", "10/Oct/2000:13:55:36 +0000"),
		// Java's en_US weeks: Sunday first, week 1 holds January 1.
		t2c("Y-ww-W", "2009-12-31 00:00:00", "2010-01-5"),
		t2c("Y-ww-W", "2010-01-02 00:00:00", "2010-01-1"),
		t2c("Y-ww-W", "2010-01-03 00:00:00", "2010-02-2"),
		t2c("Y-ww-W", "2011-12-31 00:00:00", "2011-53-5"),
		t2c("Mon Jan 2 15:04:05 MST 2006", "2009-09-16 03:15:24", "error: TIMESTAMP_TO_CHAR: illegal pattern character 'o'"),
		{"TIMESTAMP_TO_CHAR", args(chr("yyyy"), null(types.Timestamp)), "null", ""},
		{"TIMESTAMP_TO_CHAR", args(null(types.Varchar), ts("2009-09-16 03:15:24")), "NULL", ""},
		{"TIMESTAMP_TO_CHAR", args(chr("yyyy-MM-dd"), date("2009-09-16")), "2009-09-16", ""},
		{"TIMESTAMP_TO_CHAR", args(chr("yyyy"), tod("03:15:24")), "plan error: TIMESTAMP_TO_CHAR takes a format and a TIMESTAMP, not CHAR(4) and TIME", ""},
		{"DATE_TO_CHAR", args(chr("EEEE, MMMM d, yyyy"), date("2008-08-23")), "Saturday, August 23, 2008", "VARCHAR(162)"},
		{"DATE_TO_CHAR", args(chr("yyyy"), null(types.Date)), "NULL", ""},
		{"TIME_TO_CHAR", args(chr("hh:mm a"), tod("13:48:23")), "01:48 PM", "VARCHAR(63)"},
		{"TIME_TO_CHAR", args(chr("hh:mm a"), date("2008-08-23")), "plan error: TIME_TO_CHAR takes a format and a TIME, not CHAR(7) and DATE", ""},
		{"TIMESTAMP_TO_CHAR", args(chr("G yyyy"), ts("0001-01-01 00:00:00")), "AD 0001", ""},
		{"TIMESTAMP_TO_CHAR", args(chr("G yyyy"), types.TimestampMs(ts("0001-01-01 00:00:00").I-msPerDay)), "BC 0001", ""},
	})
}

// Formatting then parsing a timestamp with a full pattern gives it back.
func TestDateFormatRoundTrip(t *testing.T) {
	f, err := compileDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSS z, EEEE D")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(1))
	for range 2000 {
		ms := r.Int63n(4102444800000*2) - 4102444800000/2 // 1905 to 2100
		text := f.format(ms)
		back, err := f.parse(text)
		if err != nil || back != ms {
			t.Fatalf("%d formats as %q, which parses as %d (%v)", ms, text, back, err)
		}
	}
}

// No input makes the parser panic.
func TestDateParseNeverPanics(t *testing.T) {
	patterns := []string{"yyyy-MM-dd HH:mm:ss.SSS", "yyyyMMddHHmmssSSS", "MMM d, y h:mm a z", "EEE dd/MMM/yyyy:HH:mm:ss Z",
		"yyyy-MM-dd'T'HH:mm:ssXXX", "D G yy k K", "'x'''"}
	r := rand.New(rand.NewSource(2))
	alphabet := "0123456789-:/ +.,TZaApPmMJjGgUuTtCcSsEeOoDd'x\t\xff"
	for _, p := range patterns {
		f, err := compileDateFormat(p)
		if err != nil {
			t.Fatal(err)
		}
		for range 5000 {
			b := make([]byte, r.Intn(30))
			for i := range b {
				b[i] = alphabet[r.Intn(len(alphabet))]
			}
			f.parse(string(b)) // must not panic
		}
	}
}

func TestRegistryIsComplete(t *testing.T) {
	for _, name := range []string{"SUBSTRING", "POSITION", "TRIM_BOTH", "TRIM_LEADING", "TRIM_TRAILING", "INITCAP",
		"OVERLAY", "CHAR_LENGTH", "CHARACTER_LENGTH", "UPPER", "LOWER", "FLOOR", "CEIL", "CEILING", "POWER", "SQRT", "LN",
		"LOG10", "EXP", "ABS", "MOD", "NULLIF", "COALESCE", "EXTRACT_YEAR", "EXTRACT_MONTH", "EXTRACT_DAY", "EXTRACT_HOUR",
		"EXTRACT_MINUTE", "EXTRACT_SECOND", "TSDIFF", "UNIX_TIMESTAMP", "TO_TIMESTAMP", "CHAR_TO_TIMESTAMP", "CHAR_TO_DATE",
		"CHAR_TO_TIME", "TIMESTAMP_TO_CHAR", "DATE_TO_CHAR", "TIME_TO_CHAR", "MONOTONIC", "REGEX_REPLACE"} {
		f, ok := LookupScalar(name)
		if !ok {
			t.Errorf("%s is not registered", name)
			continue
		}
		if f.MinArgs > f.MaxArgs || f.Result == nil || f.Eval == nil {
			t.Errorf("%s is incomplete", name)
		}
	}
}
