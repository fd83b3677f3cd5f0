package logparse

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/sql/functions"
	"github.com/riffle-sql/riffle/sql/types"
)

func str(s string) types.Value { return types.Str(types.Varchar, s) }

// prepare plans a call whose arguments after the first are constants.
func prepare(t *testing.T, name string, consts ...types.Value) *Call {
	t.Helper()
	c, err := tryPrepare(name, consts...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

func tryPrepare(name string, consts ...types.Value) (*Call, error) {
	f, _ := Lookup(name)
	args := []Arg{{Type: types.Type{Kind: types.Varchar, Length: 100}}}
	for i := range consts {
		args = append(args, Arg{Type: types.Type{Kind: consts[i].Kind}, Const: &consts[i]})
	}
	return f.Prepare(args)
}

// run parses one line, returning the fields as SQL prints them, or the
// error's text; rest are the call's other arguments' values.
func run(c *Call, line types.Value, rest ...types.Value) string {
	out := make([]types.Value, len(c.Fields))
	if err := c.Parse(append([]types.Value{line}, rest...), out); err != nil {
		return "error: " + err.Error()
	}
	parts := make([]string, len(out))
	for i, v := range out {
		parts[i] = v.String()
	}
	return strings.Join(parts, " | ")
}

// The reference's FAST_REGEX_LOG_PARSER examples A, B and C, with their
// published results; the first example's published COLUMN2
// ('a_little_lamb') cannot come from its pattern (see fastregex.go).
func TestFastRegexReferenceExamples(t *testing.T) {
	cases := []struct{ line, pattern, want string }{
		{"Mary_had_a_little_lamb", `(.*)_(._.*)_.*`, "Mary_had | a_little"},
		{"Mary_had_a_little_lamb", `(.*)_+(._.*)`, "no row"},
		{"Mary____had_a_little_lamb", `(.*)_+(.*)`, "Mary | had_a_little_lamb"},
		{"Mary____had_a_little_lamb", `(.*)_+(<Alpha>.*)`, "Mary | had_a_little_lamb"},
		// Without the final asterisk the reference says nothing comes out.
		{"Mary_had_a_little_lamb", `(.*)_(._.*)_.`, "no row"},
		// Fixed-length fields and the other pattern forms.
		{"203.0.113.24 - - [25/Mar/2018:15:25:37 -0700] 200", `(.*) - - \[(.*)\] (<Digit>{3})`, "203.0.113.24 | 25/Mar/2018:15:25:37 -0700 | 200"},
		{`GET "x y" 404`, `(.*) \"(.*)\" (<100-599>)`, "GET | x y | 404"},
		{"id=007;", `"id="(<000-999>)";"`, "007"},
		{"id=7;", `"id="(<0-999>)";"`, "7"},
		{"id=1000;", `"id="(<0-999>)";"`, "no row"},
		{"ab-cd", `([a-z]+)-([^-]*)`, "ab | cd"},
		{"x:y", `(x|z):(@)`, "x | y"},
		{"abccb:y", `([a-c]+(b|cc)*):(@)`, "abccb | y"},
		{"héllo wörld", `(.*) (.*)`, "héllo | wörld"},
	}
	for _, c := range cases {
		call := prepare(t, "FAST_REGEX_LOG_PARSE", str(c.pattern))
		out := make([]types.Value, len(call.Fields))
		err := call.Parse([]types.Value{str(c.line)}, out)
		got := ""
		switch {
		case errors.Is(err, ErrNoRow):
			got = "no row"
		case err != nil:
			got = "error: " + err.Error()
		default:
			got = run(call, str(c.line))
		}
		if got != c.want {
			t.Errorf("%q on %q: got %q, want %q", c.pattern, c.line, got, c.want)
		}
	}
}

func TestW3CFormats(t *testing.T) {
	common := prepare(t, "W3C_LOG_PARSE", str("COMMON"))
	if len(common.Fields) != 7 {
		t.Fatalf("COMMON has %d fields", len(common.Fields))
	}
	// The reference's example 1 and its output.
	got := run(common, str(`192.168.254.30 - John [24/May/2004:22:01:02 -0700] "GET /icons/apache_pb.gif HTTP/1.1" 304 0`))
	if want := "192.168.254.30 | - | John | [24/May/2004:22:01:02 -0700] | GET /icons/apache_pb.gif HTTP/1.1 | 304 | 0"; got != want {
		t.Errorf("COMMON: got %q", got)
	}
	// [%t] gives the time without its brackets, as the reference notes.
	custom := prepare(t, "W3C_LOG_PARSE", str(`%h %l %u [%t] \"%r\" %>s %b`))
	got = run(custom, str(`10.0.0.1 - - [24/May/2004:22:01:02 -0700] "GET /a\"b HTTP/1.0" 200 -`))
	if want := `10.0.0.1 | - | - | 24/May/2004:22:01:02 -0700 | GET /a\"b HTTP/1.0 | 200 | -`; got != want {
		t.Errorf("custom: got %q", got)
	}
	ncsa := prepare(t, "W3C_LOG_PARSE", str("NCSA  extended"))
	got = run(ncsa, str(`h - u [t] "GET / HTTP/1.1" 200 5 "http://ref/" "Mozilla/5.0 (X11; Linux)"`))
	if want := "h | - | u | [t] | GET / HTTP/1.1 | 200 | 5 | http://ref/ | Mozilla/5.0 (X11; Linux)"; got != want {
		t.Errorf("NCSA: got %q", got)
	}
	for _, line := range []string{"http://a/ -> /b", "http://a/ ---> /b"} {
		if got := run(prepare(t, "W3C_LOG_PARSE", str("REFERRER")), str(line)); got != "http://a/ | /b" {
			t.Errorf("REFERRER %q: got %q", line, got)
		}
	}
	if got := run(common, str("not a log line")); got != "NULL | NULL | NULL | NULL | NULL | NULL | NULL" {
		t.Errorf("no match: got %q", got)
	}
	for _, bad := range []string{"%h %Q", "IIS", "no fields"} {
		if _, err := tryPrepare("W3C_LOG_PARSE", str(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestVariableColumns(t *testing.T) {
	three := prepare(t, "VARIABLE_COLUMN_LOG_PARSE", types.Int(types.Integer, 3), str(","))
	for line, want := range map[string]string{
		"a,b,c":   "a | b | c",
		"a,b":     "a | b | NULL",
		"a,b,c,d": "a | b | c",
		"a,,":     "a |  | ",
	} {
		if got := run(three, str(line), types.Int(types.Integer, 3), str(",")); got != want {
			t.Errorf("%q: got %q, want %q", line, got, want)
		}
	}
	esc := prepare(t, "VARIABLE_COLUMN_LOG_PARSE", types.Int(types.Integer, 2), str(","), str(`\`), str(`"`))
	if got := run(esc, str(`a\,b,"c,""d"""`), types.Int(types.Integer, 2), str(","), str(`\`), str(`"`)); got != `a,b | c,"d"` {
		t.Errorf("escape and quote: got %q", got)
	}
	brackets := prepare(t, "VARIABLE_COLUMN_LOG_PARSE", types.Int(types.Integer, 2), str(" "), str(""), str("[]"))
	if got := run(brackets, str(`x [a b]`), types.Int(types.Integer, 2), str(" "), str(""), str("[]")); got != "x | a b" {
		t.Errorf("two-character quote: got %q", got)
	}
	list := str(`"when" TYPE TIMESTAMP 'dd/MMM/yyyy:HH:mm:ss', n TYPE INTEGER NOT NULL, amount TYPE DECIMAL(5, 2)`)
	typed := prepare(t, "VARIABLE_COLUMN_LOG_PARSE", list, str("\t"))
	if names := quoteList(typed.Fields); names != "when, N, AMOUNT" {
		t.Errorf("fields %s", names)
	}
	if got := run(typed, str("24/May/2004:22:01:02\t 42 \t3.5"), list, str("\t")); got != "2004-05-24 22:01:02.000 | 42 | 3.50" {
		t.Errorf("typed: got %q", got)
	}
	if got := run(typed, str("24/May/2004:22:01:02\t\t3.5"), list, str("\t")); !strings.Contains(got, "column N is NOT NULL") {
		t.Errorf("NOT NULL: got %q", got)
	}
	if got := run(typed, str("24/May/2004:22:01:02\tx\t3.5"), list, str("\t")); !strings.HasPrefix(got, "error: field N: cannot cast") {
		t.Errorf("bad number: got %q", got)
	}
	for _, bad := range []types.Value{str("A VARCHAR(3)"), str("A TYPE NOPE"), str("A TYPE INTEGER START 3"), types.Int(types.Integer, 0)} {
		if _, err := tryPrepare("VARIABLE_COLUMN_LOG_PARSE", bad, str(",")); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	_, err := tryPrepare("VARIABLE_COLUMN_LOG_PARSE", str("A TYPE VARCHAR(3), B TYPE NOPE"), str(","))
	var ae *functions.ArgError
	if !errors.As(err, &ae) || ae.Arg != 1 || ae.Offset != 26 {
		t.Errorf("got %v (%+v)", err, ae)
	}
}

func TestFixedColumns(t *testing.T) {
	c := prepare(t, "FIXED_COLUMN_LOG_PARSE", str(`host TYPE VARCHAR(8) START 0 FOR 8, code TYPE INTEGER START 8 FOR 4, "t" TYPE TIMESTAMP 'dd/MMM/yyyy:HH:mm:ss' START 12 FOR 20, rest TYPE VARCHAR(20) START 32`))
	if got := run(c, str("alpha   200 24/May/2004:22:01:02 tail"), str("")); got != "alpha    | 200 | 2004-05-24 22:01:02.000 |  tail" {
		t.Errorf("got %q", got)
	}
	if got := run(c, str("beta"), str("")); got != "beta | NULL | NULL | NULL" {
		t.Errorf("short line: got %q", got)
	}
}

func TestSysLog(t *testing.T) {
	c := prepare(t, "SYS_LOG_PARSE")
	for line, want := range map[string]string{
		"Oct 11 22:14:15 mymachine su: 'su root' failed": "1970-10-11 22:14:15.000 | mymachine su: 'su root' failed",
		"<34>Feb  5 01:02:03 host msg":                   "1970-02-05 01:02:03.000 | host msg",
		"2026-11-01 host msg":                            "NULL | NULL",
		"Feb 30 01:02:03 host msg":                       "NULL | NULL",
	} {
		if got := run(c, str(line)); got != want {
			t.Errorf("%q: got %q, want %q", line, got, want)
		}
	}
}

func TestRegexLogParse(t *testing.T) {
	c := prepare(t, "REGEX_LOG_PARSE", str(`.*([E].).*([R].*)`))
	if got := run(c, str("ENERGY")); got != "EN | RGY" {
		t.Errorf("got %q", got)
	}
	if got := run(c, str("HEALTHCARE")); got != "EA | RE" {
		t.Errorf("got %q", got)
	}
	if got := run(c, str("RETAIL")); got != "NULL | NULL" {
		t.Errorf("got %q", got)
	}
	// Whole-string match: a pattern matching only part of the line gives NULLs.
	part := prepare(t, "REGEX_LOG_PARSE", str(`(\d+)`))
	if got := run(part, str("abc 123")); got != "NULL" {
		t.Errorf("got %q", got)
	}
	typed := prepare(t, "REGEX_LOG_PARSE", str(`(\w+)=(\d+)(x)?`), str(`k, v INTEGER, "x" TYPE VARCHAR(2)`))
	if names := quoteList(typed.Fields); names != "K, V, x" {
		t.Errorf("fields %s", names)
	}
	if got := run(typed, str("n=42")); got != "n | 42 | NULL" {
		t.Errorf("got %q", got)
	}
	for _, bad := range [][]types.Value{{str(`(a)(?=b)`)}, {str("abc")}, {str(`(a)`), str("A, B")}} {
		if _, err := tryPrepare("REGEX_LOG_PARSE", bad...); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// The automaton a piece is made into answers as the state-set simulation
// does, for every mode, on random ASCII lines.
func TestFastRegexAutomatonAgreesWithSimulation(t *testing.T) {
	patterns := []string{`(.*)_(._.*)_.*`, `(.*)_+(<Alpha>.*)`, `(.*) - - \[(.*)\] \"([^"]*)\" (<Digit>{3}) .*`,
		`([a-c]+(b|cc)*)(@)`, `(<10-250>)\.(<0-9>)`, `(x?y{2,3})(.)`}
	rnd := rand.New(rand.NewPCG(1, 2))
	const alphabet = `abcxy_ -[]"0123456789.`
	for _, p := range patterns {
		fp, err := compileFast(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for range 2000 {
			b := make([]byte, rnd.IntN(12))
			for i := range b {
				b[i] = alphabet[rnd.IntN(len(alphabet))]
			}
			line := string(b)
			for _, pc := range fp.pieces {
				if pc.dfa == nil {
					t.Fatalf("%s: a piece without an automaton", p)
				}
				for pos := 0; pos <= len(line); pos++ {
					for _, mode := range []int{modeShortest, modeLongest} {
						var sc scratch
						if got, want := pc.dfa.run(line, pos, mode), sc.run(pc.prog, line, pos, mode); got != want {
							t.Fatalf("%s on %q from %d, mode %d: automaton %d, simulation %d", p, line, pos, mode, got, want)
						}
					}
				}
			}
		}
	}
}
