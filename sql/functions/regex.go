package functions

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/riffle-sql/riffle/sql/javaregex"
	"github.com/riffle-sql/riffle/sql/types"
)

// REGEX_REPLACE(original, regex, replacement, startPosition, occurrence):
// Java's String.replaceAll from the start position (1-based characters;
// the text before it is kept as is and ^ anchors at it), every match when
// occurrence is 0, only the n-th otherwise. The replacement is Java's: $n
// and ${name} insert groups, a backslash quotes the next character.

func init() {
	register(map[string]*Scalar{
		"REGEX_REPLACE": {MinArgs: 5, MaxArgs: 5, NullIn: true, Result: regexReplaceResult, Eval: regexReplaceEval,
			Prepare: regexReplacePrepare},
	})
}

func regexReplaceResult(a []types.Type) (types.Type, error) {
	for i, what := range []string{"original", "regex", "replacement"} {
		if !isStringType(a[i]) {
			return types.Type{}, fmt.Errorf("REGEX_REPLACE's %s must be a string, not %s", what, a[i])
		}
	}
	for i, what := range []string{"startPosition", "occurrence"} {
		if !isIntegerType(a[3+i]) {
			return types.Type{}, fmt.Errorf("REGEX_REPLACE's %s must be an integer, not %s", what, a[3+i])
		}
	}
	return varchar(types.MaxLength), nil
}

func regexReplaceEval(a []types.Value) (types.Value, error) {
	re, err := compileRegex(a[1].S)
	if err != nil {
		return types.Value{}, fmt.Errorf("REGEX_REPLACE: %v", err)
	}
	repl, err := parseReplacement(a[2].S, re)
	if err != nil {
		return types.Value{}, fmt.Errorf("REGEX_REPLACE: %v", err)
	}
	return regexReplace(a[0].S, re, repl, a[3].I, a[4].I)
}

// regexReplacePrepare compiles a constant regex and checks a constant
// replacement against it at plan time.
func regexReplacePrepare(consts []*types.Value) (func([]types.Value) (types.Value, error), error) {
	pattern, replacement := consts[1], consts[2]
	if pattern == nil || pattern.Null {
		return nil, nil
	}
	re, err := javaregex.Compile(pattern.S)
	if err != nil {
		return nil, regexArgError(1, err)
	}
	var fixed []replPart
	if replacement != nil && !replacement.Null {
		if fixed, err = parseReplacement(replacement.S, re); err != nil {
			return nil, &ArgError{Arg: 2, Offset: -1, Err: err}
		}
	}
	return func(a []types.Value) (types.Value, error) {
		repl := fixed
		if repl == nil {
			var err error
			if repl, err = parseReplacement(a[2].S, re); err != nil {
				return types.Value{}, fmt.Errorf("REGEX_REPLACE: %v", err)
			}
		}
		return regexReplace(a[0].S, re, repl, a[3].I, a[4].I)
	}, nil
}

// replPart is literal text, or a group to insert (group >= 0).
type replPart struct {
	text  string
	group int
}

// parseReplacement reads a replacement the way java.util.regex.Matcher
// does: $n takes as many digits as still name a group, ${name} a named
// group, \c the character c.
func parseReplacement(r string, re *regexp.Regexp) ([]replPart, error) {
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
	return parts, nil
}

// regexReplace replaces matches in s from the start position on.
func regexReplace(s string, re *regexp.Regexp, repl []replPart, start, occurrence int64) (types.Value, error) {
	if start < 1 {
		return types.Value{}, fmt.Errorf("REGEX_REPLACE: startPosition must be 1 or more, not %d", start)
	}
	if occurrence < 0 {
		return types.Value{}, fmt.Errorf("REGEX_REPLACE: occurrence must be 0 (all) or more, not %d", occurrence)
	}
	off := 0
	for k := int64(1); k < start; k++ {
		if off == len(s) {
			return types.Str(types.Varchar, s), nil // start is past the end
		}
		_, size := utf8.DecodeRuneInString(s[off:])
		off += size
	}
	if off == len(s) && start > 1 {
		return types.Str(types.Varchar, s), nil
	}
	head, tail := s[:off], s[off:]
	matches := re.FindAllStringSubmatchIndex(tail, -1)
	if len(matches) == 0 || occurrence > int64(len(matches)) {
		return types.Str(types.Varchar, s), nil
	}
	var b strings.Builder
	b.WriteString(head)
	last := 0
	for k, m := range matches {
		if occurrence != 0 && int64(k+1) != occurrence {
			continue
		}
		b.WriteString(tail[last:m[0]])
		for _, p := range repl {
			if p.group < 0 {
				b.WriteString(p.text)
			} else if g := m[2*p.group]; g >= 0 {
				b.WriteString(tail[g:m[2*p.group+1]])
			}
		}
		last = m[1]
	}
	b.WriteString(tail[last:])
	return types.Str(types.Varchar, b.String()), nil
}
