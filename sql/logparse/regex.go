package logparse

import (
	"errors"
	"regexp"

	"github.com/riffle-sql/riffle/sql/functions"
	"github.com/riffle-sql/riffle/sql/javaregex"
	"github.com/riffle-sql/riffle/sql/types"
)

// REGEX_LOG_PARSE(str, javaRegex [, columns]): one field per capture group,
// COLUMN1... VARCHAR(1024) unless a column list names and types them. The
// pattern must match the whole string (Java's matches()), as the
// reference's examples imply; otherwise every field is NULL.
func prepareRegex(args []Arg) (*Call, error) {
	pattern, err := constString(args, 1, "regular expression")
	if err != nil {
		return nil, err
	}
	re, err := wholeMatch(pattern)
	if err != nil {
		return nil, regexArgError(1, err)
	}
	groups := re.NumSubexp()
	if groups == 0 {
		return nil, argErr(1, -1, "the regular expression has no groups, so there are no fields to return: put the parts to keep in parentheses")
	}
	var cols []column
	if len(args) == 3 {
		if cols, err = columnArg(args, 2, false, false); err != nil {
			return nil, err
		}
		if len(cols) != groups {
			return nil, argErr(2, -1, "the column list names %d columns, the regular expression has %d groups", len(cols), groups)
		}
	} else {
		for _, f := range defaultFields(groups) {
			cols = append(cols, column{Field: f})
		}
	}
	fields := fieldsOf(cols)
	return &Call{Fields: fields, Parse: groupParse(re, fields, func(i int, text string, missing bool) (types.Value, error) {
		return cols[i].convert(text, missing)
	})}, nil
}

// groupParse parses a line with a regular expression, field i from group
// i+1 (missing: the group took no part in the match); a NULL line or one
// the expression does not match gives NULL fields.
func groupParse(re *regexp.Regexp, fields []Field, convert func(i int, text string, missing bool) (types.Value, error)) func(a, out []types.Value) error {
	return func(a, out []types.Value) error {
		if a[0].Null {
			nulls(fields, out)
			return nil
		}
		s := a[0].S
		m := re.FindStringSubmatchIndex(s)
		if m == nil {
			nulls(fields, out)
			return nil
		}
		for i := range fields {
			lo, hi := m[2*i+2], m[2*i+3]
			text := ""
			if lo >= 0 {
				text = s[lo:hi]
			}
			v, err := convert(i, text, lo < 0)
			if err != nil {
				return err
			}
			out[i] = v
		}
		return nil
	}
}

// wholeMatch compiles a Java pattern that must match the whole input.
func wholeMatch(pattern string) (*regexp.Regexp, error) {
	tr, err := javaregex.Translate(pattern)
	if err != nil {
		return nil, err
	}
	if _, err := javaregex.Compile(pattern); err != nil {
		return nil, err
	}
	return regexp.Compile(`\A(?:` + tr + `)\z`)
}

func regexArgError(arg int, err error) error {
	off := -1
	var je *javaregex.Error
	if errors.As(err, &je) {
		off = je.Offset
	}
	return &functions.ArgError{Arg: arg, Offset: off, Err: err}
}
