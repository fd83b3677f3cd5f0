package javaregex

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// runeSet is a set of characters as sorted, disjoint, non-adjacent ranges:
// Java's class algebra (union, &&, negation, properties inside classes) is
// computed exactly and written out as one RE2 class.
type runeSet struct {
	r []runeRange
}

type runeRange struct{ lo, hi rune }

func (s *runeSet) add(lo, hi rune) {
	s.r = append(s.r, runeRange{lo, hi})
	s.normalize()
}

func (s *runeSet) normalize() {
	slices.SortFunc(s.r, func(a, b runeRange) int { return int(a.lo) - int(b.lo) })
	out := s.r[:0]
	for _, x := range s.r {
		if n := len(out); n > 0 && x.lo <= out[n-1].hi+1 {
			out[n-1].hi = max(out[n-1].hi, x.hi)
			continue
		}
		out = append(out, x)
	}
	s.r = out
}

func (s *runeSet) union(o *runeSet) *runeSet {
	u := &runeSet{r: append(append([]runeRange{}, s.r...), o.r...)}
	u.normalize()
	return u
}

func (s *runeSet) negate() *runeSet {
	n := &runeSet{}
	next := rune(0)
	for _, x := range s.r {
		if x.lo > next {
			n.r = append(n.r, runeRange{next, x.lo - 1})
		}
		next = x.hi + 1
	}
	if next <= unicode.MaxRune {
		n.r = append(n.r, runeRange{next, unicode.MaxRune})
	}
	return n
}

func (s *runeSet) intersect(o *runeSet) *runeSet {
	return s.negate().union(o.negate()).negate()
}

// String writes the set as an RE2 class.
func (s *runeSet) String() string {
	if len(s.r) == 0 {
		return `[^\x00-\x{10FFFF}]`
	}
	var b strings.Builder
	b.WriteByte('[')
	for _, x := range s.r {
		b.WriteString(classChar(x.lo))
		if x.hi != x.lo {
			b.WriteByte('-')
			b.WriteString(classChar(x.hi))
		}
	}
	b.WriteByte(']')
	return b.String()
}

func classChar(r rune) string {
	if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
		return string(r)
	}
	return fmt.Sprintf(`\x{%x}`, r)
}

func setOf(ranges ...rune) *runeSet {
	s := &runeSet{}
	for i := 0; i+1 < len(ranges); i += 2 {
		s.r = append(s.r, runeRange{ranges[i], ranges[i+1]})
	}
	s.normalize()
	return s
}

func fromTables(ts ...*unicode.RangeTable) *runeSet {
	s := &runeSet{}
	for _, t := range ts {
		for _, r := range t.R16 {
			for c := rune(r.Lo); c <= rune(r.Hi); c += rune(r.Stride) {
				if r.Stride == 1 {
					s.r = append(s.r, runeRange{rune(r.Lo), rune(r.Hi)})
					break
				}
				s.r = append(s.r, runeRange{c, c})
			}
		}
		for _, r := range t.R32 {
			for c := rune(r.Lo); c <= rune(r.Hi); c += rune(r.Stride) {
				if r.Stride == 1 {
					s.r = append(s.r, runeRange{rune(r.Lo), rune(r.Hi)})
					break
				}
				s.r = append(s.r, runeRange{c, c})
			}
		}
	}
	s.normalize()
	return s
}

// Java's predefined classes: \s is [ \t\n\x0B\f\r], \h horizontal and \v
// vertical whitespace (Java 8).
var (
	javaSpace  = setOf('\t', '\r', ' ', ' ')
	horizontal = setOf(' ', ' ', '\t', '\t', 0xA0, 0xA0, 0x1680, 0x1680, 0x180e, 0x180e, 0x2000, 0x200a,
		0x202f, 0x202f, 0x205f, 0x205f, 0x3000, 0x3000)
	vertical = setOf('\n', '\r', 0x85, 0x85, 0x2028, 0x2029)
)

func perlClass(c rune) *runeSet {
	var s *runeSet
	switch c | 0x20 {
	case 'd':
		s = setOf('0', '9')
	case 'w':
		s = setOf('a', 'z', 'A', 'Z', '0', '9', '_', '_')
	case 's':
		s = javaSpace
	case 'h':
		s = horizontal
	case 'v':
		s = vertical
	}
	if c >= 'A' && c <= 'Z' {
		return s.negate()
	}
	return s
}

// posix are Java's \p{Lower} ... classes: US-ASCII only.
var posix = map[string]*runeSet{
	"Lower":  setOf('a', 'z'),
	"Upper":  setOf('A', 'Z'),
	"ASCII":  setOf(0, 0x7f),
	"Alpha":  setOf('a', 'z', 'A', 'Z'),
	"Digit":  setOf('0', '9'),
	"Alnum":  setOf('a', 'z', 'A', 'Z', '0', '9'),
	"Punct":  setOf('!', '/', ':', '@', '[', '`', '{', '~'),
	"Graph":  setOf('!', '~'),
	"Print":  setOf(' ', '~'),
	"Blank":  setOf(' ', ' ', '\t', '\t'),
	"Cntrl":  setOf(0, 0x1f, 0x7f, 0x7f),
	"XDigit": setOf('0', '9', 'a', 'f', 'A', 'F'),
	"Space":  javaSpace,
}

func category(name string) (*runeSet, bool) {
	if name == "LC" || name == "L&" {
		return fromTables(unicode.Lu, unicode.Ll, unicode.Lt), true
	}
	t, ok := unicode.Categories[name]
	if !ok {
		return nil, false
	}
	return fromTables(t), true
}

func script(name string) (*runeSet, bool) {
	for k, t := range unicode.Scripts {
		if strings.EqualFold(k, name) {
			return fromTables(t), true
		}
	}
	return nil, false
}

func assigned() *runeSet {
	var ts []*unicode.RangeTable
	for _, t := range unicode.Categories {
		ts = append(ts, t)
	}
	return fromTables(ts...)
}

// binary are the Unicode binary properties Java names with Is.
func binary(name string) (*runeSet, bool) {
	key := strings.ToLower(strings.NewReplacer("_", "", " ", "", "-", "").Replace(name))
	switch key {
	case "alphabetic":
		return fromTables(unicode.Lu, unicode.Ll, unicode.Lt, unicode.Lm, unicode.Lo, unicode.Nl, unicode.Other_Alphabetic), true
	case "letter":
		return fromTables(unicode.L), true
	case "lowercase":
		return fromTables(unicode.Ll, unicode.Other_Lowercase), true
	case "uppercase":
		return fromTables(unicode.Lu, unicode.Other_Uppercase), true
	case "titlecase":
		return fromTables(unicode.Lt), true
	case "punctuation":
		return fromTables(unicode.P), true
	case "control":
		return fromTables(unicode.Cc), true
	case "whitespace":
		return fromTables(unicode.White_Space), true
	case "digit":
		return fromTables(unicode.Nd), true
	case "hexdigit":
		return fromTables(unicode.Hex_Digit), true
	case "joincontrol":
		return fromTables(unicode.Join_Control), true
	case "noncharactercodepoint":
		return fromTables(unicode.Noncharacter_Code_Point), true
	case "ideographic":
		return fromTables(unicode.Ideographic), true
	case "assigned":
		return assigned(), true
	}
	return nil, false
}

// java are the \p{javaXxx} classes (java.lang.Character methods).
func java(name string) (*runeSet, bool) {
	switch name {
	case "javaLowerCase":
		return binary("Lowercase")
	case "javaUpperCase":
		return binary("Uppercase")
	case "javaTitleCase":
		return fromTables(unicode.Lt), true
	case "javaDigit":
		return fromTables(unicode.Nd), true
	case "javaLetter":
		return fromTables(unicode.L), true
	case "javaLetterOrDigit":
		return fromTables(unicode.L, unicode.Nd), true
	case "javaAlphabetic":
		return binary("Alphabetic")
	case "javaIdeographic":
		return fromTables(unicode.Ideographic), true
	case "javaSpaceChar":
		return fromTables(unicode.Z), true
	case "javaWhitespace":
		// Space separators except the no-break ones, and \t-\r, \x1C-\x1F.
		s := fromTables(unicode.Z).intersect(setOf(0xA0, 0xA0, 0x2007, 0x2007, 0x202F, 0x202F).negate())
		return s.union(setOf('\t', '\r', 0x1c, 0x1f)), true
	case "javaISOControl":
		return setOf(0, 0x1f, 0x7f, 0x9f), true
	case "javaDefined":
		return assigned(), true
	}
	return nil, false
}

// propertySet resolves a \p{...} name the way java.util.regex does.
func propertySet(name string) (*runeSet, error) {
	if s, ok := posix[name]; ok {
		return s, nil
	}
	if strings.HasPrefix(name, "java") {
		if s, ok := java(name); ok {
			return s, nil
		}
		return nil, fmt.Errorf("%s", unsupported("this java.lang.Character class", "has no table for it"))
	}
	if k, v, ok := strings.Cut(name, "="); ok {
		switch strings.ToLower(k) {
		case "gc", "general_category":
			if s, ok := category(v); ok {
				return s, nil
			}
		case "sc", "script":
			if s, ok := script(v); ok {
				return s, nil
			}
		case "blk", "block":
			return nil, fmt.Errorf("%s", unsupported("a Unicode block", "has no block tables; use a script (\\p{IsLatin}) or a range"))
		}
		return nil, fmt.Errorf("unknown character property")
	}
	if strings.HasPrefix(name, "In") {
		return nil, fmt.Errorf("%s", unsupported("a Unicode block", "has no block tables; use a script (\\p{IsLatin}) or a range"))
	}
	if s, ok := category(name); ok {
		return s, nil
	}
	if rest, ok := strings.CutPrefix(name, "Is"); ok {
		if s, ok := category(rest); ok {
			return s, nil
		}
		if s, ok := script(rest); ok {
			return s, nil
		}
		if s, ok := binary(rest); ok {
			return s, nil
		}
	}
	return nil, fmt.Errorf("unknown character property")
}
