package logparse

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/riffle-sql/riffle/sql/functions"
	"github.com/riffle-sql/riffle/sql/parser"
	"github.com/riffle-sql/riffle/sql/types"
)

// column is one entry of a column list: 'name TYPE type [format] [NOT NULL]
// [START n [FOR m]], ...'.
type column struct {
	Field
	NotNull bool
	// parse reads a date, time or timestamp with the column's
	// SimpleDateFormat; nil: the usual cast.
	parse      func(string) (int64, error)
	start, end int // FIXED_COLUMN_LOG_PARSE: characters [start, end); end -1: to the end
}

type token struct {
	kind byte // 'i' identifier, 'q' quoted identifier, 's' string, 'n' number, or the punctuation itself
	text string
	off  int // runes from the start of the list
}

func tokenize(src string) ([]token, error) {
	rs := []rune(src)
	var toks []token
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '"' || r == '\'':
			start := i
			var b strings.Builder
			i++
			for {
				if i == len(rs) {
					return nil, &listError{start, fmt.Sprintf("unclosed %c", r)}
				}
				if rs[i] == r {
					if i+1 < len(rs) && rs[i+1] == r {
						b.WriteRune(r)
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteRune(rs[i])
				i++
			}
			kind := byte('q')
			if r == '\'' {
				kind = 's'
			}
			toks = append(toks, token{kind, b.String(), start})
		case r >= '0' && r <= '9':
			start := i
			for i < len(rs) && rs[i] >= '0' && rs[i] <= '9' {
				i++
			}
			toks = append(toks, token{'n', string(rs[start:i]), start})
		case unicode.IsLetter(r) || r == '_':
			start := i
			for i < len(rs) && (unicode.IsLetter(rs[i]) || unicode.IsDigit(rs[i]) || rs[i] == '_' || rs[i] == '$') {
				i++
			}
			toks = append(toks, token{'i', strings.ToUpper(string(rs[start:i])), start})
		case r == '(' || r == ')' || r == ',':
			toks = append(toks, token{byte(r), string(r), i})
			i++
		default:
			return nil, &listError{i, fmt.Sprintf("unexpected %q", r)}
		}
	}
	return toks, nil
}

// listError is a mistake in a column list, at a rune offset.
type listError struct {
	off int
	msg string
}

func (e *listError) Error() string { return e.msg }

// parseColumns reads a column list. typeKeyword: TYPE must precede each
// type (VARIABLE_ and FIXED_COLUMN_LOG_PARSE); otherwise it may, and a
// column without a type is VARCHAR(1024) (REGEX_LOG_PARSE). fixed: each
// column needs START n [FOR m].
func parseColumns(src string, typeKeyword, fixed bool) ([]column, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	var cols []column
	seen := map[string]bool{}
	i := 0
	at := func() int {
		if i < len(toks) {
			return toks[i].off
		}
		return len([]rune(src))
	}
	isWord := func(w string) bool { return i < len(toks) && toks[i].kind == 'i' && toks[i].text == w }
	for {
		if i == len(toks) || toks[i].kind != 'i' && toks[i].kind != 'q' {
			return nil, &listError{at(), "expected a column name"}
		}
		c := column{start: -1, end: -1}
		c.Name = toks[i].text
		if seen[c.Name] {
			return nil, &listError{toks[i].off, fmt.Sprintf("column %s appears twice", c.Name)}
		}
		seen[c.Name] = true
		i++
		hasType := false
		if isWord("TYPE") {
			i++
			hasType = true
		} else if typeKeyword {
			return nil, &listError{at(), fmt.Sprintf("expected TYPE after the column name %s", c.Name)}
		}
		// The type: words and a parenthesised size, up to what follows it.
		typeStart := at()
		var words []string
		depth := 0
		for i < len(toks) && (depth > 0 || toks[i].kind != ',' && toks[i].kind != 's' && !isWord("NOT") && !isWord("START") && !isWord("FOR")) {
			switch toks[i].kind {
			case '(':
				depth++
			case ')':
				depth--
			}
			words = append(words, toks[i].text)
			i++
		}
		switch {
		case len(words) > 0:
			name, err := parser.ParseType(strings.Join(words, " "))
			if err != nil {
				return nil, &listError{typeStart, fmt.Sprintf("column %s: %q is not a type", c.Name, strings.Join(words, " "))}
			}
			if c.Type, err = types.FromAST(name); err != nil {
				return nil, &listError{typeStart, fmt.Sprintf("column %s: %v", c.Name, err)}
			}
		case hasType || typeKeyword:
			return nil, &listError{typeStart, fmt.Sprintf("column %s needs a type", c.Name)}
		default:
			c.Type = types.Type{Kind: types.Varchar, Length: fieldLength}
		}
		if i < len(toks) && toks[i].kind == 's' {
			if !c.Type.Kind.IsDatetime() {
				return nil, &listError{toks[i].off, fmt.Sprintf("column %s: only DATE, TIME and TIMESTAMP take a format", c.Name)}
			}
			parse, err := functions.DateTimeParser(toks[i].text)
			if err != nil {
				return nil, &listError{toks[i].off, fmt.Sprintf("column %s: %v", c.Name, err)}
			}
			c.parse = parse
			i++
		}
		if isWord("NOT") {
			i++
			if !isWord("NULL") {
				return nil, &listError{at(), "expected NULL after NOT"}
			}
			i++
			c.NotNull = true
		}
		if fixed {
			if !isWord("START") {
				return nil, &listError{at(), fmt.Sprintf("column %s needs START n (its first character, counted from 0)", c.Name)}
			}
			i++
			n, err := number(toks, &i)
			if err != nil {
				return nil, err
			}
			c.start = n
			if isWord("FOR") {
				i++
				m, err := number(toks, &i)
				if err != nil {
					return nil, err
				}
				c.end = n + m
			}
		} else if isWord("START") || isWord("FOR") {
			return nil, &listError{at(), "START and FOR belong to FIXED_COLUMN_LOG_PARSE"}
		}
		cols = append(cols, c)
		if i == len(toks) {
			return cols, nil
		}
		if toks[i].kind != ',' {
			return nil, &listError{toks[i].off, fmt.Sprintf("unexpected %s after column %s", toks[i].text, c.Name)}
		}
		i++
	}
}

func number(toks []token, i *int) (int, error) {
	if *i == len(toks) || toks[*i].kind != 'n' {
		off := 0
		if *i < len(toks) {
			off = toks[*i].off
		}
		return 0, &listError{off, "expected a whole number"}
	}
	n, err := strconv.Atoi(toks[*i].text)
	if err != nil || n > 1<<20 {
		return 0, &listError{toks[*i].off, "the number is too large"}
	}
	*i++
	return n, nil
}

// columnArg reads a column-list argument, turning its errors into
// argument errors.
func columnArg(args []Arg, i int, typeKeyword, fixed bool) ([]column, error) {
	src, err := constString(args, i, "column list")
	if err != nil {
		return nil, err
	}
	cols, err := parseColumns(src, typeKeyword, fixed)
	if err != nil {
		le := err.(*listError)
		return nil, argErr(i, le.off, "the column list: %s", le.msg)
	}
	return cols, nil
}

func fieldsOf(cols []column) []Field {
	fs := make([]Field, len(cols))
	for i, c := range cols {
		fs[i] = c.Field
	}
	return fs
}

// convert stores a parsed field as its column's type. A field that is
// absent (missing), or empty for a type other than a string, is NULL; a
// NOT NULL column refuses that.
func (c *column) convert(s string, missing bool) (types.Value, error) {
	if !missing && !c.Type.Kind.IsString() && strings.TrimSpace(s) == "" {
		missing = true
	}
	if missing {
		if c.NotNull {
			return types.Value{}, fmt.Errorf("column %s is NOT NULL, but its field is missing", c.Name)
		}
		return types.NullOf(c.Type.Kind), nil
	}
	if !c.Type.Kind.IsString() {
		s = strings.TrimSpace(s)
	}
	if c.parse != nil {
		ms, err := c.parse(s)
		if err != nil {
			return types.Value{}, fmt.Errorf("column %s: %w", c.Name, err)
		}
		return types.Cast(types.TimestampMs(ms), c.Type)
	}
	return text(s, c.Field)
}
