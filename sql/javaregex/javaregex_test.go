package javaregex

import (
	"errors"
	"strings"
	"testing"
)

// Each case is a Java pattern, an input, and the groups Java's find()
// gives (whole match first), checked by hand against java.util.regex rules.
func TestTranslatedPatternsMatchAsJavaDoes(t *testing.T) {
	cases := []struct {
		pattern, input string
		want           []string // nil: no match
	}{
		{`(\w.+) (\d.+)`, "ab 12 cd", []string{"ab 12 cd", "ab", "12 cd"}},
		{`\Qa.b*\E+`, "xa.b**", []string{"a.b**"}},
		{`[\Q]-\E]+`, "a]-]b", []string{"]-]"}},
		{`[a-z&&[^aeiou]]+`, "queue stream", []string{"q"}},
		{`[a-d[m-p]]+`, "xxabmnzz", []string{"abmn"}},
		{`[^a-c[x-z]]+`, "abxqrz", []string{"qr"}},
		{`\p{Alpha}+`, "12héllo", []string{"h"}},
		{`\p{javaLowerCase}+`, "ABéxY", []string{"éx"}},
		{`\p{L}+`, "12héllo", []string{"héllo"}},
		{`\p{IsLatin}+`, "αβabc", []string{"abc"}},
		{`\p{IsAlphabetic}+`, "--ωx1", []string{"ωx"}},
		{`\P{Digit}+`, "12ab3", []string{"ab"}},
		{`[\p{Upper}\d]+`, "abC1D", []string{"C1D"}},
		{`(?<year>\d{4})-(?<month>\d\d)`, "on 2026-11-01", []string{"2026-11", "2026", "11"}},
		{`(?i)get (/\S*)`, "GET /index.html HTTP/1.1", []string{"GET /index.html", "/index.html"}},
		{`(?x) (\d+)  # a number
		   \s* , \s* (\d+)`, "10 , 20", []string{"10 , 20", "10", "20"}},
		{`a(?x: b c )d`, "abcd", []string{"abcd"}},
		{`\s+`, "a\x0Bb", []string{"\x0B"}},
		{`\h+`, "a\u00a0 b", []string{"\u00a0 "}},
		{`a.c`, "a\rc abc", []string{"abc"}},
		{`(?s)a.c`, "a\rc", []string{"a\rc"}},
		{`\x41\u0042\0103\e`, "ABC\x1b", []string{"ABC\x1b"}},
		{`\t\cA`, "\t\x01", []string{"\t\x01"}},
		{`a{2,}?`, "aaaa", []string{"aa"}},
		{`[]a]+`, "]a]", []string{"]a]"}},
		{`\-\_\#`, "-_#", []string{"-_#"}},
		{`x\Z`, "ax", []string{"x"}},
		{`\uD83D\uDE00`, "😀", []string{"😀"}},
	}
	for _, c := range cases {
		re, err := Compile(c.pattern)
		if err != nil {
			t.Errorf("%q: %v", c.pattern, err)
			continue
		}
		got := re.FindStringSubmatch(c.input)
		if strings.Join(got, "|") != strings.Join(c.want, "|") || (got == nil) != (c.want == nil) {
			tr, _ := Translate(c.pattern)
			t.Errorf("%q (as %q) on %q: got %q, want %q", c.pattern, tr, c.input, got, c.want)
		}
	}
}

// What RE2 cannot do is refused, naming the construct, at its offset.
func TestUnsupportedConstructsAreRefusedWhereTheyStand(t *testing.T) {
	cases := []struct {
		pattern string
		offset  int
		msg     string
	}{
		{`(a)\1`, 3, `the backreference \1 is not supported: RE2, the regular expression engine Riffle uses, has no backreferences`},
		{`(?<n>a)\k<n>`, 7, `backreference \k<name>`},
		{`foo(?=bar)`, 3, `lookahead (?= is not supported`},
		{`foo(?!bar)`, 3, `lookahead (?! is not supported`},
		{`(?<=\$)\d+`, 0, `lookbehind (?<= is not supported`},
		{`(?<!x)y`, 0, `lookbehind (?<! is not supported`},
		{`a(?>bc|b)c`, 1, `atomic group (?> is not supported`},
		{`\d++x`, 2, `possessive quantifier ++ is not supported`},
		{`a{2}+`, 1, `possessive quantifier {2}+`},
		{`\Ga`, 0, `\G (the end of the previous match) is not supported`},
		{`\p{InGreek}`, 0, `a Unicode block is not supported`},
		{`(?U)\w`, 0, `(?U)`},
		{`a{x}`, 1, `'{' must start a repetition`},
		{`[a-`, 0, `unclosed character class`},
		{`(ab`, 3, `unclosed group`},
		{`ab)`, 2, `unmatched closing ')'`},
		{`\y`, 0, `\y is not an escape Java knows`},
		{`[z-a]`, 0, `illegal character range`},
		{`\p{Nope}`, 0, `unknown character property`},
	}
	for _, c := range cases {
		_, err := Translate(c.pattern)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: got %v, want an error", c.pattern, err)
			continue
		}
		if e.Offset != c.offset || !strings.Contains(e.Msg, c.msg) {
			t.Errorf("%q: got offset %d %q, want offset %d and %q", c.pattern, e.Offset, e.Msg, c.offset, c.msg)
		}
	}
}

// Java's whole-string match (matches()) gives the groups a backtracking
// matcher finds, which RE2 reproduces for the patterns it runs.
func TestWholeStringGroupsFollowBacktrackingOrder(t *testing.T) {
	re, err := Compile(`\A(?:` + mustTranslate(t, `(.*)_(._.*)_.*`) + `)\z`)
	if err != nil {
		t.Fatal(err)
	}
	got := re.FindStringSubmatch("Mary_had_a_little_lamb")
	if got[1] != "Mary_had" || got[2] != "a_little" {
		t.Errorf("got %q", got[1:])
	}
}

func mustTranslate(t *testing.T, p string) string {
	t.Helper()
	s, err := Translate(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
