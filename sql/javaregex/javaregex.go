// Package javaregex runs Java regular expressions (java.util.regex.Pattern
// syntax, which the dialect's REGEX_LOG_PARSE, REGEX_REPLACE and SUBSTRING
// ... FROM take) on Go's RE2 engine. Translate rewrites what has an exact
// RE2 equivalent (character class algebra, \p{...} properties, \Q...\E,
// Java's \s, \h, \v, \R, ., embedded flags, comments mode) and refuses, with
// the offset of the construct, what RE2 cannot do: backreferences,
// lookahead and lookbehind, atomic groups, possessive quantifiers, \G.
//
// Kept approximations: ^ and $ in multiline mode know only \n as a line
// end, and $ (like \Z) outside it matches only at the very end, where Java
// also matches before a final line terminator; \b uses ASCII word
// characters.
package javaregex

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Error is a pattern that cannot run: a Java syntax error, or a construct
// RE2 lacks. Offset counts runes from the start of the pattern.
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

// Compile translates a Java pattern and compiles it.
func Compile(pattern string) (*regexp.Regexp, error) {
	s, err := Translate(pattern)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, &Error{Offset: -1, Msg: fmt.Sprintf("bad regular expression %q: %v", pattern, strings.TrimPrefix(err.Error(), "error parsing regexp: "))}
	}
	return re, nil
}

// Translate rewrites a Java pattern in Go's syntax.
func Translate(pattern string) (string, error) {
	t := &translator{src: []rune(pattern)}
	t.frames = []flags{{}}
	if err := t.run(); err != nil {
		return "", err
	}
	return t.out.String(), nil
}

// flags are the embedded flags that change how the translator reads or
// writes the pattern (i and m pass through to RE2 as written).
type flags struct {
	comments bool // x: whitespace and # comments ignored
	dotAll   bool // s
	unixLine bool // d: only \n ends a line
}

type translator struct {
	src    []rune
	i      int
	out    strings.Builder
	frames []flags // one per open group: flags are scoped to groups
}

func (t *translator) fail(at int, format string, args ...any) error {
	return &Error{Offset: at, Msg: fmt.Sprintf(format, args...)}
}

func (t *translator) flags() *flags { return &t.frames[len(t.frames)-1] }

func (t *translator) peek(k int) rune {
	if t.i+k < len(t.src) {
		return t.src[t.i+k]
	}
	return -1
}

func (t *translator) hasPrefix(s string) bool {
	rs := []rune(s)
	if t.i+len(rs) > len(t.src) {
		return false
	}
	for k, r := range rs {
		if t.src[t.i+k] != r {
			return false
		}
	}
	return true
}

func unsupported(what, why string) string {
	return fmt.Sprintf("%s is not supported: RE2, the regular expression engine Riffle uses, %s", what, why)
}

func (t *translator) run() error {
	for t.i < len(t.src) {
		if t.skipComment() {
			continue
		}
		start := t.i
		r := t.src[t.i]
		switch r {
		case '\\':
			if err := t.escape(); err != nil {
				return err
			}
		case '[':
			set, err := t.class()
			if err != nil {
				return err
			}
			t.out.WriteString(set.String())
		case '(':
			if err := t.group(); err != nil {
				return err
			}
		case ')':
			if len(t.frames) == 1 {
				return t.fail(start, "unmatched closing ')'")
			}
			t.frames = t.frames[:len(t.frames)-1]
			t.out.WriteByte(')')
			t.i++
		case '*', '+', '?':
			t.out.WriteRune(r)
			t.i++
			if err := t.quantifierSuffix(start); err != nil {
				return err
			}
		case '{':
			if err := t.repetition(); err != nil {
				return err
			}
		case '.':
			t.i++
			switch f := t.flags(); {
			case f.dotAll:
				t.out.WriteString(`(?s:.)`)
			case f.unixLine:
				t.out.WriteString(`[^\n]`)
			default:
				t.out.WriteString(`[^\n\r\x{85}\x{2028}\x{2029}]`)
			}
		case '^', '$', '|':
			t.out.WriteRune(r)
			t.i++
		default:
			t.out.WriteString(regexp.QuoteMeta(string(r)))
			t.i++
		}
	}
	if len(t.frames) > 1 {
		return t.fail(len(t.src), "unclosed group: a '(' has no ')'")
	}
	return nil
}

// skipComment skips whitespace and # comments in comments mode (x).
func (t *translator) skipComment() bool {
	if !t.flags().comments {
		return false
	}
	r := t.src[t.i]
	if isJavaSpace(r) {
		t.i++
		return true
	}
	if r == '#' {
		for t.i < len(t.src) && t.src[t.i] != '\n' && t.src[t.i] != '\r' {
			t.i++
		}
		return true
	}
	return false
}

func isJavaSpace(r rune) bool { return r == ' ' || r >= '\t' && r <= '\r' }

// quantifierSuffix reads what may follow a quantifier: ? (reluctant, as in
// RE2) or + (possessive, which RE2 lacks).
func (t *translator) quantifierSuffix(start int) error {
	switch t.peek(0) {
	case '?':
		t.out.WriteByte('?')
		t.i++
	case '+':
		return t.fail(start, "%s", unsupported(fmt.Sprintf("the possessive quantifier %s+", string(t.src[start:t.i])), "never gives back what a quantifier took; write the quantifier without + (it may then match more ways)"))
	}
	return nil
}

// repetition reads {n}, {n,} or {n,m}; Java rejects a { that starts none.
func (t *translator) repetition() error {
	start := t.i
	end := start + 1
	for end < len(t.src) && t.src[end] != '}' {
		end++
	}
	body := ""
	if end < len(t.src) {
		body = string(t.src[start+1 : end])
	}
	lo, hi, comma := strings.Cut(body, ",")
	if !isDigits(lo) || comma && hi != "" && !isDigits(hi) || end == len(t.src) {
		return t.fail(start, "'{' must start a repetition {n}, {n,} or {n,m} (Java rejects it otherwise): write \\{ for the character")
	}
	t.out.WriteString(string(t.src[start : end+1]))
	t.i = end + 1
	return t.quantifierSuffix(start)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// group reads an opening parenthesis and what it opens.
func (t *translator) group() error {
	start := t.i
	outer := *t.flags()
	if t.peek(1) != '?' {
		t.i++
		t.out.WriteByte('(')
		t.frames = append(t.frames, outer)
		return nil
	}
	t.i += 2
	switch {
	case t.hasPrefix(":"):
		t.i++
		t.out.WriteString("(?:")
		t.frames = append(t.frames, outer)
		return nil
	case t.hasPrefix("="), t.hasPrefix("!"):
		return t.fail(start, "%s", unsupported("lookahead "+string(t.src[start:t.i+1]), "has no lookaround"))
	case t.hasPrefix("<="), t.hasPrefix("<!"):
		return t.fail(start, "%s", unsupported("lookbehind "+string(t.src[start:t.i+2]), "has no lookaround"))
	case t.hasPrefix(">"):
		return t.fail(start, "%s", unsupported("the atomic group (?>", "never gives back what a group matched"))
	case t.hasPrefix("<"):
		t.i++
		nameStart := t.i
		for t.i < len(t.src) && t.src[t.i] != '>' {
			r := t.src[t.i]
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || t.i > nameStart && r >= '0' && r <= '9') {
				return t.fail(start, "a group name must be ASCII letters and digits, starting with a letter")
			}
			t.i++
		}
		if t.i == len(t.src) || t.i == nameStart {
			return t.fail(start, "named group (?<name>...) without a name or its '>'")
		}
		t.out.WriteString("(?P<" + string(t.src[nameStart:t.i]) + ">")
		t.i++
		t.frames = append(t.frames, outer)
		return nil
	}
	// Flags: (?idmsux-idmsux) for the rest of the group, or (?flags:X).
	on, off := "", ""
	inner := outer
	neg := false
	for t.i < len(t.src) && t.src[t.i] != ')' && t.src[t.i] != ':' {
		c := t.src[t.i]
		set := func(b *bool) { *b = !neg }
		switch c {
		case '-':
			neg = true
		case 'i', 'm':
			if neg {
				off += string(c)
			} else {
				on += string(c)
			}
		case 's':
			set(&inner.dotAll)
		case 'x':
			set(&inner.comments)
		case 'd':
			set(&inner.unixLine)
		case 'u':
			// Unicode-aware case folding: RE2 folds Unicode already.
		case 'U':
			return t.fail(start, "%s", unsupported("the flag (?U) (UNICODE_CHARACTER_CLASS)", "has ASCII-only \\w, \\d and \\b; use \\p{L} or \\p{Nd} instead"))
		default:
			return t.fail(start, "unknown group construct or flag (?%s", string(t.src[start+2:t.i+1]))
		}
		t.i++
	}
	if t.i == len(t.src) {
		return t.fail(start, "unclosed flags group (?%s", string(t.src[start+2:]))
	}
	fl := on
	if off != "" {
		fl += "-" + off
	}
	if t.src[t.i] == ':' {
		t.i++
		if fl != "" {
			t.out.WriteString("(?" + fl + ":")
		} else {
			t.out.WriteString("(?:")
		}
		t.frames = append(t.frames, inner)
		return nil
	}
	t.i++ // the ')'
	if fl != "" {
		t.out.WriteString("(?" + fl + ")")
	}
	*t.flags() = inner
	return nil
}

// escape reads a backslash escape outside a character class.
func (t *translator) escape() error {
	start := t.i
	if t.i+1 >= len(t.src) {
		return t.fail(start, "the pattern ends with a lone backslash")
	}
	c := t.src[t.i+1]
	switch c {
	case 'Q':
		t.i += 2
		for t.i < len(t.src) && !t.hasPrefix(`\E`) {
			t.out.WriteString(regexp.QuoteMeta(string(t.src[t.i])))
			t.i++
		}
		if t.i < len(t.src) {
			t.i += 2
		}
		return nil
	case 'E':
		t.i += 2 // a stray \E means nothing
		return nil
	case 'b', 'B', 'A', 'z', 'd', 'D', 'w', 'W':
		t.i += 2
		t.out.WriteString(`\` + string(c))
		return nil
	case 'Z':
		t.i += 2
		t.out.WriteString(`\z`)
		return nil
	case 'G':
		return t.fail(start, "%s", unsupported(`\G (the end of the previous match)`, "has no such anchor"))
	case 'k':
		return t.fail(start, "%s", unsupported(`the backreference \k<name>`, "has no backreferences"))
	case 'R':
		t.i += 2
		t.out.WriteString(`(?:\r\n|[\n\x0B\f\r\x{85}\x{2028}\x{2029}])`)
		return nil
	case 'X':
		return t.fail(start, "%s", unsupported(`\X (a grapheme cluster)`, "has no grapheme clusters"))
	case 'N':
		return t.fail(start, "%s", unsupported(`\N{name}`, "has no character names; write the character or \\x{hex}"))
	}
	if c >= '1' && c <= '9' {
		return t.fail(start, "%s", unsupported(`the backreference \`+string(c), "has no backreferences"))
	}
	set, r, err := t.escapeValue(false)
	if err != nil {
		return err
	}
	if set != nil {
		t.out.WriteString(set.String())
	} else {
		t.out.WriteString(literal(r))
	}
	return nil
}

// literal writes one character for RE2.
func literal(r rune) string {
	if r < 0x20 || r == 0x7f || r > 0x7e && !unicode.IsPrint(r) {
		return fmt.Sprintf(`\x{%x}`, r)
	}
	return regexp.QuoteMeta(string(r))
}

// escapeValue reads an escape that stands for a character or a set of
// characters, inside or outside a class.
func (t *translator) escapeValue(inClass bool) (*runeSet, rune, error) {
	start := t.i
	c := t.src[t.i+1]
	t.i += 2
	switch c {
	case 't':
		return nil, '\t', nil
	case 'n':
		return nil, '\n', nil
	case 'r':
		return nil, '\r', nil
	case 'f':
		return nil, '\f', nil
	case 'a':
		return nil, '\a', nil
	case 'e':
		return nil, 0x1b, nil
	case 'c':
		if t.i >= len(t.src) {
			return nil, 0, t.fail(start, `\c needs a control letter after it`)
		}
		r := t.src[t.i] ^ 64
		t.i++
		return nil, r, nil
	case '0':
		n, digits := 0, 0
		for digits < 3 && t.i < len(t.src) && t.src[t.i] >= '0' && t.src[t.i] <= '7' && n*8+int(t.src[t.i]-'0') <= 0377 {
			n = n*8 + int(t.src[t.i]-'0')
			t.i++
			digits++
		}
		if digits == 0 {
			return nil, 0, t.fail(start, `\0 needs octal digits after it, as in \011`)
		}
		return nil, rune(n), nil
	case 'x':
		if t.peek(0) == '{' {
			end := t.i + 1
			for end < len(t.src) && t.src[end] != '}' {
				end++
			}
			if end == len(t.src) {
				return nil, 0, t.fail(start, `\x{ has no closing }`)
			}
			v, err := strconv.ParseUint(string(t.src[t.i+1:end]), 16, 32)
			if err != nil || v > unicode.MaxRune {
				return nil, 0, t.fail(start, `\x{...} needs a hexadecimal code point`)
			}
			t.i = end + 1
			return nil, rune(v), nil
		}
		return t.hex(start, 2)
	case 'u':
		_, r, err := t.hex(start, 4)
		if err != nil {
			return nil, 0, err
		}
		// A surrogate pair written as two \u escapes is one character.
		if r >= 0xD800 && r < 0xDC00 && t.hasPrefix(`\u`) {
			save := t.i
			t.i += 2
			_, lo, err := t.hex(save, 4)
			if err == nil && lo >= 0xDC00 && lo < 0xE000 {
				return nil, 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), nil
			}
			t.i = save
		}
		return nil, r, nil
	case 'd', 'D', 'w', 'W', 's', 'S', 'h', 'H', 'v', 'V':
		set := perlClass(c)
		return set, 0, nil
	case 'p', 'P':
		set, err := t.property(start, c == 'P')
		return set, 0, err
	}
	if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
		where := ""
		if inClass {
			where = " in a character class"
		}
		return nil, 0, t.fail(start, `\%c is not an escape Java knows%s`, c, where)
	}
	return nil, c, nil // a backslash before any other character quotes it
}

func (t *translator) hex(start, n int) (*runeSet, rune, error) {
	if t.i+n > len(t.src) {
		return nil, 0, t.fail(start, "%s needs %d hexadecimal digits", string(t.src[start:t.i]), n)
	}
	v, err := strconv.ParseUint(string(t.src[t.i:t.i+n]), 16, 32)
	if err != nil {
		return nil, 0, t.fail(start, "%s needs %d hexadecimal digits", string(t.src[start:t.i]), n)
	}
	t.i += n
	return nil, rune(v), nil
}

// property reads the name of \p{...}, \P{...} or \pL (t.i is after p).
func (t *translator) property(start int, negate bool) (*runeSet, error) {
	var name string
	if t.peek(0) == '{' {
		end := t.i + 1
		for end < len(t.src) && t.src[end] != '}' {
			end++
		}
		if end == len(t.src) {
			return nil, t.fail(start, `\p{ has no closing }`)
		}
		name = string(t.src[t.i+1 : end])
		t.i = end + 1
	} else if t.i < len(t.src) {
		name = string(t.src[t.i])
		t.i++
	}
	set, err := propertySet(name)
	if err != nil {
		return nil, t.fail(start, "\\p{%s}: %v", name, err)
	}
	if negate {
		set = set.negate()
	}
	return set, nil
}

// class reads a Java character class: ranges, escapes, nested classes
// (union) and && (intersection), with ^ negating the whole class.
func (t *translator) class() (*runeSet, error) {
	start := t.i
	t.i++ // [
	negate := false
	if t.peek(0) == '^' {
		negate = true
		t.i++
	}
	var result *runeSet // the intersection so far; nil before the first &&
	cur := &runeSet{}
	first := true
	for {
		if t.i >= len(t.src) {
			return nil, t.fail(start, "unclosed character class: a '[' has no ']'")
		}
		if t.flags().comments && isJavaSpace(t.src[t.i]) {
			t.i++
			continue
		}
		r := t.src[t.i]
		switch {
		case r == ']' && !first:
			t.i++
			if result != nil {
				cur = result.intersect(cur)
			}
			if negate {
				cur = cur.negate()
			}
			return cur, nil
		case r == '[':
			nested, err := t.class()
			if err != nil {
				return nil, err
			}
			cur = cur.union(nested)
		case r == '&' && t.peek(1) == '&':
			t.i += 2
			if result == nil {
				result = cur
			} else {
				result = result.intersect(cur)
			}
			cur = &runeSet{}
		default:
			lo, set, err := t.classAtom()
			if err != nil {
				return nil, err
			}
			if set != nil {
				cur = cur.union(set)
				break
			}
			if t.peek(0) == '-' && t.peek(1) != ']' && t.peek(1) != '[' && t.peek(1) != -1 {
				t.i++
				hi, hset, err := t.classAtom()
				if err != nil {
					return nil, err
				}
				if hset != nil || hi < lo {
					return nil, t.fail(start, "illegal character range %s-%s in a class", literal(lo), literal(hi))
				}
				cur.add(lo, hi)
				break
			}
			cur.add(lo, lo)
		}
		first = false
	}
}

// classAtom reads one character or escape inside a class.
func (t *translator) classAtom() (rune, *runeSet, error) {
	r := t.src[t.i]
	if r != '\\' {
		t.i++
		return r, nil, nil
	}
	if t.i+1 >= len(t.src) {
		return 0, nil, t.fail(t.i, "the pattern ends with a lone backslash")
	}
	switch c := t.src[t.i+1]; {
	case c == 'Q':
		// \Q...\E inside a class: each character is a member.
		t.i += 2
		set := &runeSet{}
		for t.i < len(t.src) && !t.hasPrefix(`\E`) {
			set.add(t.src[t.i], t.src[t.i])
			t.i++
		}
		if t.i < len(t.src) {
			t.i += 2
		}
		return 0, set, nil
	case c >= '1' && c <= '9':
		return 0, nil, t.fail(t.i, "%s", unsupported(`the backreference \`+string(c), "has no backreferences"))
	case c == 'b' || c == 'B' || c == 'A' || c == 'z' || c == 'Z' || c == 'G' || c == 'R' || c == 'X':
		return 0, nil, t.fail(t.i, `\%c cannot stand in a character class`, c)
	}
	set, r, err := t.escapeValue(true)
	return r, set, err
}
