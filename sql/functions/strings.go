package functions

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/riffle-sql/riffle/sql/javaregex"
	"github.com/riffle-sql/riffle/sql/types"
)

// String functions: SUBSTRING, POSITION, TRIM, INITCAP, OVERLAY. Positions
// and lengths count characters, never bytes (USING CHARACTERS is assumed).

func init() {
	register(map[string]*Scalar{
		// SUBSTRING(s FROM start [FOR len]) and SUBSTRING(s, start [, len]);
		// SUBSTRING(s FROM regex) when the FROM operand is a string.
		"SUBSTRING": {MinArgs: 2, MaxArgs: 3, NullIn: true, Result: substringResult, Eval: substringEval, Prepare: substringPrepare},
		// POSITION(needle IN haystack [FROM start]) is called with
		// (needle, haystack [, start]).
		"POSITION": {MinArgs: 2, MaxArgs: 3, NullIn: true, Result: positionResult, Eval: positionEval},
		// TRIM([side] [char] FROM s) is called with (s, char).
		"TRIM_BOTH":     trimFunc(true, true),
		"TRIM_LEADING":  trimFunc(true, false),
		"TRIM_TRAILING": trimFunc(false, true),
		"INITCAP": {MinArgs: 1, MaxArgs: 1, NullIn: true, Result: stringArg("INITCAP"),
			Eval: func(a []types.Value) (types.Value, error) { return types.Str(types.Varchar, initcap(a[0].S)), nil }},
		// OVERLAY(s PLACING r FROM start [FOR len]) as (s, r, start [, len]).
		"OVERLAY": {MinArgs: 3, MaxArgs: 4, NullIn: true, Result: overlayResult, Eval: overlayEval},
	})
}

// register adds entries to the registry, refusing duplicates.
func register(fs map[string]*Scalar) {
	for name, f := range fs {
		if _, dup := scalars[name]; dup {
			panic("functions: " + name + " registered twice")
		}
		scalars[name] = f
	}
}

func isStringType(t types.Type) bool  { return t.Kind.IsString() || t.Kind == types.Unknown }
func isIntegerType(t types.Type) bool { return t.Kind.IsInteger() || t.Kind == types.Unknown }
func isNumericType(t types.Type) bool { return t.Kind.IsNumeric() || t.Kind == types.Unknown }
func isBinaryType(t types.Type) bool  { return t.Kind == types.Binary || t.Kind == types.Varbinary }

// varchar is VARCHAR(n), n kept within the dialect's limits.
func varchar(n int) types.Type {
	return types.Type{Kind: types.Varchar, Length: min(max(n, 1), types.MaxLength)}
}

func substringResult(a []types.Type) (types.Type, error) {
	src := a[0]
	if !isStringType(src) && !isBinaryType(src) {
		return types.Type{}, fmt.Errorf("SUBSTRING takes a string, not %s", src)
	}
	if len(a) == 2 && a[1].Kind.IsString() {
		if isBinaryType(src) {
			return types.Type{}, fmt.Errorf("SUBSTRING ... FROM <regular expression> takes a string, not %s", src)
		}
		return varchar(src.Length), nil
	}
	for i, t := range a[1:] {
		if !isIntegerType(t) {
			what := "start position"
			if i == 1 {
				what = "length"
			}
			return types.Type{}, fmt.Errorf("SUBSTRING's %s must be an integer, not %s", what, t)
		}
	}
	if isBinaryType(src) {
		return types.Type{Kind: types.Varbinary, Length: max(src.Length, 1)}, nil
	}
	return varchar(src.Length), nil
}

// substringPrepare compiles a constant regular expression at plan time,
// where a construct RE2 lacks is refused with its position.
func substringPrepare(consts []*types.Value) (func([]types.Value) (types.Value, error), error) {
	if len(consts) != 2 || consts[1] == nil || consts[1].Null || !consts[1].Kind.IsString() {
		return nil, nil
	}
	re, err := javaregex.Compile(consts[1].S)
	if err != nil {
		return nil, regexArgError(1, err)
	}
	return func(a []types.Value) (types.Value, error) { return substringRegex(a[0].S, re), nil }, nil
}

// substringRegex is SUBSTRING(s FROM regex): the first match (Java's
// find()), NULL when there is none.
func substringRegex(s string, re *regexp.Regexp) types.Value {
	loc := re.FindStringIndex(s)
	if loc == nil {
		return types.NullOf(types.Varchar)
	}
	return types.Str(types.Varchar, s[loc[0]:loc[1]])
}

func substringEval(a []types.Value) (types.Value, error) {
	if len(a) == 2 && a[1].Kind.IsString() {
		re, err := compileRegex(a[1].S)
		if err != nil {
			return types.Value{}, fmt.Errorf("SUBSTRING: %v", err)
		}
		return substringRegex(a[0].S, re), nil
	}
	length, hasLength := int64(0), len(a) == 3
	if hasLength {
		length = a[2].I
		if length < 0 {
			return types.Value{}, fmt.Errorf("SUBSTRING: negative length %d", length)
		}
	}
	if a[0].Kind == types.Binary || a[0].Kind == types.Varbinary {
		from, to := span(int64(len(a[0].S)), a[1].I, length, hasLength)
		return types.Str(types.Varbinary, a[0].S[from:to]), nil
	}
	runes := []rune(a[0].S)
	from, to := span(int64(len(runes)), a[1].I, length, hasLength)
	return types.Str(types.Varchar, string(runes[from:to])), nil
}

// span turns a 1-based start and a length into 0-based bounds within n
// elements, as SQL does: a start before 1 shortens the length by the
// difference, and what lies outside the string is dropped.
func span(n, start, length int64, hasLength bool) (from, to int64) {
	end := n + 1 // 1-based, exclusive
	if hasLength && start <= n+1-length {
		end = start + length
	}
	if start < 1 {
		start = 1
	}
	if end <= start {
		return 0, 0
	}
	return start - 1, end - 1
}

// regexArgError points a regular expression's error at its argument and,
// when known, at the construct inside it.
func regexArgError(arg int, err error) error {
	off := -1
	var je *javaregex.Error
	if errors.As(err, &je) {
		off = je.Offset
	}
	return &ArgError{Arg: arg, Offset: off, Err: err}
}

// regexCache keeps compiled patterns; patterns usually are literals, but may
// come from data, so the cache stops growing at a bound.
var regexCache struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}

func compileRegex(pattern string) (*regexp.Regexp, error) {
	regexCache.Lock()
	re, ok := regexCache.m[pattern]
	regexCache.Unlock()
	if ok {
		return re, nil
	}
	re, err := javaregex.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("regular expression %q: %v", pattern, err)
	}
	regexCache.Lock()
	if regexCache.m == nil {
		regexCache.m = map[string]*regexp.Regexp{}
	}
	if len(regexCache.m) < 1024 {
		regexCache.m[pattern] = re
	}
	regexCache.Unlock()
	return re, nil
}

func positionResult(a []types.Type) (types.Type, error) {
	if !isStringType(a[0]) || !isStringType(a[1]) {
		return types.Type{}, fmt.Errorf("POSITION takes strings, not %s and %s", a[0], a[1])
	}
	if len(a) == 3 && !isIntegerType(a[2]) {
		return types.Type{}, fmt.Errorf("POSITION's start position must be an integer, not %s", a[2])
	}
	return types.Type{Kind: types.Integer}, nil
}

// positionEval gives the 1-based character position of the first needle
// at or after the start, 0 when there is none; an empty needle is found
// where the search starts.
func positionEval(a []types.Value) (types.Value, error) {
	needle, hay := a[0].S, a[1].S
	start := int64(1)
	if len(a) == 3 && a[2].I > 1 {
		start = a[2].I
	}
	n := int64(utf8.RuneCountInString(hay))
	if start > n+1 {
		return types.Int(types.Integer, 0), nil
	}
	// Skip start-1 characters.
	off := 0
	for i := int64(1); i < start; i++ {
		_, size := utf8.DecodeRuneInString(hay[off:])
		off += size
	}
	i := strings.Index(hay[off:], needle)
	if i < 0 {
		return types.Int(types.Integer, 0), nil
	}
	return types.Int(types.Integer, start+int64(utf8.RuneCountInString(hay[off:off+i]))), nil
}

func trimFunc(leading, trailing bool) *Scalar {
	return &Scalar{MinArgs: 2, MaxArgs: 2, NullIn: true,
		Result: func(a []types.Type) (types.Type, error) {
			if !isStringType(a[0]) || !isStringType(a[1]) {
				return types.Type{}, fmt.Errorf("TRIM takes strings, not %s and %s", a[1], a[0])
			}
			return varchar(a[0].Length), nil
		},
		Eval: func(a []types.Value) (types.Value, error) {
			if utf8.RuneCountInString(a[1].S) != 1 {
				return types.Value{}, fmt.Errorf("TRIM: the trim character must be exactly one character, not %q", a[1].S)
			}
			s, c := a[0].S, a[1].S
			if leading {
				for strings.HasPrefix(s, c) {
					s = s[len(c):]
				}
			}
			if trailing {
				for strings.HasSuffix(s, c) {
					s = s[:len(s)-len(c)]
				}
			}
			return types.Str(types.Varchar, s), nil
		}}
}

// initcap upper-cases the first character of each space-delimited word
// and lower-cases the others.
func initcap(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	start := true
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			start = true
		case start:
			r, start = unicode.ToUpper(r), false
		default:
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func overlayResult(a []types.Type) (types.Type, error) {
	if !isStringType(a[0]) || !isStringType(a[1]) {
		return types.Type{}, fmt.Errorf("OVERLAY takes strings, not %s and %s", a[0], a[1])
	}
	for _, t := range a[2:] {
		if !isIntegerType(t) {
			return types.Type{}, fmt.Errorf("OVERLAY's start position and length must be integers, not %s", t)
		}
	}
	return varchar(a[0].Length + a[1].Length), nil
}

// overlayEval replaces len characters of s from start with r: the result
// is s's first start-1 characters, r, then s from start+len on. A start
// before 1 puts r in front; one past the end appends it.
func overlayEval(a []types.Value) (types.Value, error) {
	s, r := []rune(a[0].S), a[1].S
	start := max(a[2].I, math.MinInt64/2) // far before the string is all the same
	length := int64(utf8.RuneCountInString(r))
	if len(a) == 4 {
		length = a[3].I
		if length < 0 {
			return types.Value{}, fmt.Errorf("OVERLAY: negative length %d", length)
		}
	}
	n := int64(len(s))
	clamp := func(i int64) int64 { return min(max(i, 0), n) }
	head := clamp(start - 1)
	tail := n
	if start-1 <= math.MaxInt64-length {
		tail = clamp(start - 1 + length)
	}
	return types.Str(types.Varchar, string(s[:head])+r+string(s[tail:])), nil
}
