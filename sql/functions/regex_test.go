package functions

import (
	"errors"
	"testing"

	"github.com/riffle-sql/riffle/sql/types"
)

// REGEX_REPLACE follows Java's replaceAll, with the reference's start
// position and occurrence; expected values worked out by hand from
// java.util.regex.Matcher's rules.
func TestRegexReplace(t *testing.T) {
	runCases(t, []fcase{
		// The reference's and the developer guide's examples.
		{"REGEX_REPLACE", args(str("TECHNOLOGY"), chr("TECHNOLOGY"), chr("INFORMATION TECHNOLOGY"), i32(1), i32(0)), "INFORMATION TECHNOLOGY", "VARCHAR(65535)"},
		{"REGEX_REPLACE", args(str("HEALTHCARE"), chr("TECHNOLOGY"), chr("INFORMATION TECHNOLOGY"), i32(1), i32(0)), "HEALTHCARE", ""},
		{"REGEX_REPLACE", args(str("http://www.amazon.com"), chr("http://"), chr("https://"), i32(1), i32(0)), "https://www.amazon.com", ""},
		// Groups: $n takes as many digits as name a group; ${name}; \$.
		{"REGEX_REPLACE", args(str("2026-11-01"), chr(`(\d+)-(\d+)-(\d+)`), chr(`$3/$2/$1`), i32(1), i32(0)), "01/11/2026", ""},
		{"REGEX_REPLACE", args(str("ab"), chr(`(a)`), chr(`$10`), i32(1), i32(0)), "a0b", ""},
		{"REGEX_REPLACE", args(str("ab"), chr(`(?<x>a)`), chr(`[${x}] \$1`), i32(1), i32(0)), "[a] $1b", ""},
		{"REGEX_REPLACE", args(str("ab"), chr(`(x)?a`), chr(`<$1>`), i32(1), i32(0)), "<>b", ""},
		// Occurrence n replaces only the n-th match; past the last, nothing.
		{"REGEX_REPLACE", args(str("a1b2c3"), chr(`\d`), chr("#"), i32(1), i32(2)), "a1b#c3", ""},
		{"REGEX_REPLACE", args(str("a1b2c3"), chr(`\d`), chr("#"), i32(1), i32(4)), "a1b2c3", ""},
		// The start position skips characters, which stay; ^ anchors there.
		{"REGEX_REPLACE", args(str("aaaa"), chr("a"), chr("b"), i32(3), i32(0)), "aabb", ""},
		{"REGEX_REPLACE", args(str("aaaa"), chr("^a"), chr("b"), i32(3), i32(0)), "aaba", ""},
		{"REGEX_REPLACE", args(str("héllo"), chr("l"), chr("L"), i32(4), i32(0)), "hélLo", ""},
		{"REGEX_REPLACE", args(str("abc"), chr("c"), chr("x"), i32(3), i32(0)), "abx", ""},
		{"REGEX_REPLACE", args(str("abc"), chr("c"), chr("x"), i32(4), i32(0)), "abc", ""},
		// Empty matches as Java finds them between characters.
		{"REGEX_REPLACE", args(str("abc"), chr("x*"), chr("-"), i32(1), i32(0)), "-a-b-c-", ""},
		// Bad arguments go to error_stream.
		{"REGEX_REPLACE", args(str("abc"), chr("a"), chr("b"), i32(0), i32(0)), "error: REGEX_REPLACE: startPosition must be 1 or more, not 0", ""},
		{"REGEX_REPLACE", args(str("abc"), chr("a"), chr("b"), i32(1), i32(-1)), "error: REGEX_REPLACE: occurrence must be 0 (all) or more, not -1", ""},
		{"REGEX_REPLACE", args(str("abc"), chr("(a"), chr("b"), i32(1), i32(0)), `error: REGEX_REPLACE: regular expression "(a": unclosed group`, ""},
		{"REGEX_REPLACE", args(str("abc"), chr("(a)"), chr("$2"), i32(1), i32(0)), `error: REGEX_REPLACE: the replacement "$2" refers to group 2, but the regex has 1 group(s)`, ""},
		{"REGEX_REPLACE", args(str("abc"), chr("a"), chr(`x\`), i32(1), i32(0)), `error: REGEX_REPLACE: the replacement "x\\" ends with a backslash`, ""},
		{"REGEX_REPLACE", args(null(types.Varchar), chr("a"), chr("b"), i32(1), i32(0)), "NULL", ""},
		{"REGEX_REPLACE", args(str("abc"), chr("a"), chr("b"), null(types.Integer), i32(0)), "NULL", ""},
		{"REGEX_REPLACE", args(str("abc"), chr("a"), chr("b"), dbl(1), i32(0)), "plan error: REGEX_REPLACE's startPosition must be an integer, not DOUBLE", ""},
		// SUBSTRING ... FROM takes Java syntax too.
		{"SUBSTRING", args(str("TECHNOLOGY"), chr(`L\p{Upper}*`)), "LOGY", ""},
		{"SUBSTRING", args(str("TECHNOLOGY"), chr(`(?<=L)O`)), "error: SUBSTRING: regular expression \"(?<=L)O\": lookbehind (?<= is not supported", ""},
	})
}

// A constant pattern or replacement that cannot work is refused when the
// call is planned, pointing into the argument.
func TestRegexPrepareRefusesConstants(t *testing.T) {
	f, _ := LookupScalar("REGEX_REPLACE")
	pattern, repl := chr(`ab(?!c)`), chr("x")
	_, err := f.Prepare([]*types.Value{nil, &pattern, &repl, nil, nil})
	var ae *ArgError
	if !errors.As(err, &ae) || ae.Arg != 1 || ae.Offset != 2 {
		t.Fatalf("got %v (%+v)", err, ae)
	}
	pattern, repl = chr(`(a)`), chr("$2")
	_, err = f.Prepare([]*types.Value{nil, &pattern, &repl, nil, nil})
	if !errors.As(err, &ae) || ae.Arg != 2 {
		t.Fatalf("got %v", err)
	}
	pattern = chr(`(a)(b)`)
	eval, err := f.Prepare([]*types.Value{nil, &pattern, nil, nil, nil})
	if err != nil || eval == nil {
		t.Fatal(err)
	}
	v, err := eval(args(str("abab"), pattern, str("$2$1"), i32(1), i32(0)))
	if err != nil || v.S != "baba" {
		t.Errorf("got %v %v", v, err)
	}
}
