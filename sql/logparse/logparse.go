// Package logparse holds the dialect's log-parsing functions, which return
// a ROW value: REGEX_LOG_PARSE, FAST_REGEX_LOG_PARSE (FAST_REGEX_LOG_PARSER),
// W3C_LOG_PARSE, SYS_LOG_PARSE, VARIABLE_COLUMN_LOG_PARSE and
// FIXED_COLUMN_LOG_PARSE. The planner prepares each call once, reading the
// constant arguments that decide the ROW's fields (a pattern, a format, a
// column list); the call then fills the fields from each row's values.
//
// A line that does not parse gives NULL fields (FAST_REGEX_LOG_PARSE: no
// row at all, as its reference shows); a field that cannot take its
// declared type is an error (the row goes to error_stream).
package logparse

import (
	"errors"
	"fmt"
	"strings"

	"github.com/riffle-sql/riffle/sql/functions"
	"github.com/riffle-sql/riffle/sql/types"
)

// Field is one field of the ROW a call returns.
type Field struct {
	Name string
	Type types.Type
}

// Arg is an argument as the planner sees it: its type and, when it is a
// constant, its value.
type Arg struct {
	Type  types.Type
	Const *types.Value
}

// Call is one prepared call.
type Call struct {
	Fields []Field
	// Parse fills out (one value per field) from the argument values.
	Parse func(args []types.Value, out []types.Value) error
}

// ErrNoRow drops the row without an error: FAST_REGEX_LOG_PARSE's line
// that its pattern does not account for.
var ErrNoRow = errors.New("no row")

// Function is a log-parsing function.
type Function struct {
	Name             string
	MinArgs, MaxArgs int
	prepare          func(args []Arg) (*Call, error)
}

// Prepare checks a call's arguments and reads its constant ones. Errors
// about one argument are *functions.ArgError.
func (f *Function) Prepare(args []Arg) (*Call, error) {
	if !isString(args[0].Type) {
		return nil, argErr(0, -1, "it parses a string, not %s", args[0].Type)
	}
	return f.prepare(args)
}

var registry = map[string]*Function{
	"REGEX_LOG_PARSE":           {Name: "REGEX_LOG_PARSE", MinArgs: 2, MaxArgs: 3, prepare: prepareRegex},
	"FAST_REGEX_LOG_PARSE":      {Name: "FAST_REGEX_LOG_PARSE", MinArgs: 2, MaxArgs: 2, prepare: prepareFastRegex},
	"W3C_LOG_PARSE":             {Name: "W3C_LOG_PARSE", MinArgs: 2, MaxArgs: 2, prepare: prepareW3C},
	"SYS_LOG_PARSE":             {Name: "SYS_LOG_PARSE", MinArgs: 1, MaxArgs: 1, prepare: prepareSysLog},
	"VARIABLE_COLUMN_LOG_PARSE": {Name: "VARIABLE_COLUMN_LOG_PARSE", MinArgs: 3, MaxArgs: 5, prepare: prepareVariable},
	"FIXED_COLUMN_LOG_PARSE":    {Name: "FIXED_COLUMN_LOG_PARSE", MinArgs: 2, MaxArgs: 2, prepare: prepareFixed},
}

func init() {
	// The reference's page is titled FAST_REGEX_LOG_PARSER; both names work.
	registry["FAST_REGEX_LOG_PARSER"] = registry["FAST_REGEX_LOG_PARSE"]
}

// Lookup finds a log-parsing function by its upper-case name.
func Lookup(name string) (*Function, bool) {
	f, ok := registry[name]
	return f, ok
}

// fieldLength is the length of the default VARCHAR fields (COLUMN1...).
const fieldLength = 1024

func defaultFields(n int) []Field {
	fs := make([]Field, n)
	for i := range fs {
		fs[i] = Field{Name: fmt.Sprintf("COLUMN%d", i+1), Type: types.Type{Kind: types.Varchar, Length: fieldLength}}
	}
	return fs
}

func isString(t types.Type) bool { return t.Kind.IsString() || t.Kind == types.Unknown }

func argErr(arg, offset int, format string, args ...any) error {
	return &functions.ArgError{Arg: arg, Offset: offset, Err: fmt.Errorf(format, args...)}
}

// constString reads an argument that must be a constant string.
func constString(args []Arg, i int, what string) (string, error) {
	a := args[i]
	if a.Const == nil {
		return "", argErr(i, -1, "the %s must be a constant string (it decides the ROW's fields when the query is planned)", what)
	}
	if a.Const.Null || !a.Const.Kind.IsString() {
		return "", argErr(i, -1, "the %s must be a string, not %s", what, a.Const)
	}
	return a.Const.S, nil
}

// nulls sets every field NULL.
func nulls(fields []Field, out []types.Value) {
	for i, f := range fields {
		out[i] = types.NullOf(f.Type.Kind)
	}
}

// text stores a parsed string into a field of its declared type.
func text(s string, f Field) (types.Value, error) {
	v, err := types.Cast(types.Str(types.Varchar, s), f.Type)
	if err != nil {
		return v, fmt.Errorf("field %s: %w", f.Name, err)
	}
	return v, nil
}

// quoteList names the fields, for messages.
func quoteList(fields []Field) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}
