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
	repl, err := javaregex.ParseReplacement(a[2].S, re)
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
	var fixed *javaregex.Replacement
	if replacement != nil && !replacement.Null {
		if fixed, err = javaregex.ParseReplacement(replacement.S, re); err != nil {
			return nil, &ArgError{Arg: 2, Offset: -1, Err: err}
		}
	}
	return func(a []types.Value) (types.Value, error) {
		repl := fixed
		if repl == nil {
			var err error
			if repl, err = javaregex.ParseReplacement(a[2].S, re); err != nil {
				return types.Value{}, fmt.Errorf("REGEX_REPLACE: %v", err)
			}
		}
		return regexReplace(a[0].S, re, repl, a[3].I, a[4].I)
	}, nil
}

// regexReplace replaces matches in s from the start position on.
func regexReplace(s string, re *regexp.Regexp, repl *javaregex.Replacement, start, occurrence int64) (types.Value, error) {
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
		repl.Expand(&b, tail, m)
		last = m[1]
	}
	b.WriteString(tail[last:])
	return types.Str(types.Varchar, b.String()), nil
}
