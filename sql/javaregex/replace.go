package javaregex

import (
	"fmt"
	"regexp"
	"strings"
)

// Replacement is a replacement string of Matcher.replaceAll, read for one
// regex.
type Replacement struct {
	parts []replPart
}

// replPart is literal text, or a group to insert (group >= 0).
type replPart struct {
	text  string
	group int
}

// ParseReplacement reads a replacement the way java.util.regex.Matcher
// does for a regex: $n takes as many digits as still name a group, ${name} a named
// group, \c the character c.
func ParseReplacement(r string, re *regexp.Regexp) (*Replacement, error) {
	parts := []replPart{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, replPart{text: lit.String(), group: -1})
			lit.Reset()
		}
	}
	groups := re.NumSubexp()
	for i := 0; i < len(r); i++ {
		switch c := r[i]; c {
		case '\\':
			i++
			if i == len(r) {
				return nil, fmt.Errorf("the replacement %q ends with a backslash (character to be escaped is missing)", r)
			}
			lit.WriteByte(r[i])
		case '$':
			i++
			if i == len(r) {
				return nil, fmt.Errorf("the replacement %q ends with $ (illegal group reference: group index is missing)", r)
			}
			flush()
			if r[i] == '{' {
				end := strings.IndexByte(r[i:], '}')
				if end < 0 {
					return nil, fmt.Errorf("the replacement %q: ${ without its closing }", r)
				}
				name := r[i+1 : i+end]
				idx := re.SubexpIndex(name)
				if name == "" || idx < 0 {
					return nil, fmt.Errorf("the replacement %q refers to ${%s}, but the regex has no group named %q", r, name, name)
				}
				parts = append(parts, replPart{group: idx})
				i += end
				continue
			}
			if r[i] < '0' || r[i] > '9' {
				return nil, fmt.Errorf("the replacement %q: $ must be followed by a group number or {name} (write \\$ for a dollar sign)", r)
			}
			ref := int(r[i] - '0')
			if ref > groups {
				return nil, fmt.Errorf("the replacement %q refers to group %d, but the regex has %d group(s)", r, ref, groups)
			}
			for i+1 < len(r) && r[i+1] >= '0' && r[i+1] <= '9' {
				next := ref*10 + int(r[i+1]-'0')
				if next > groups {
					break
				}
				ref = next
				i++
			}
			parts = append(parts, replPart{group: ref})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return &Replacement{parts: parts}, nil
}

// Expand appends the replacement of the match m (as FindSubmatchIndex
// gives it) in s: a group that did not take part adds nothing.
func (r *Replacement) Expand(b *strings.Builder, s string, m []int) {
	for _, p := range r.parts {
		if p.group < 0 {
			b.WriteString(p.text)
		} else if g := m[2*p.group]; g >= 0 {
			b.WriteString(s[g:m[2*p.group+1]])
		}
	}
}
