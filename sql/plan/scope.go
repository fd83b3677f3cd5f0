// Package plan resolves an application's SQL against its streams: it
// checks names and types, compiles expressions, and builds the graph of
// in-application streams and the pumps that connect them, as a tree of
// operators per pump for the engine to run.
package plan

import (
	"fmt"
	"strings"

	"github.com/riffle-sql/riffle/sql/ast"
	"github.com/riffle-sql/riffle/sql/types"
)

// Column is a named, typed column of a stream or relation. Hidden columns
// (APPROXIMATE_ARRIVAL_TIME on an input stream) are selected only by name,
// never by *.
type Column struct {
	Name   string
	Type   types.Type
	Hidden bool
	// Row, when set, makes this column a field of the ROW value named Row
	// (a log parser's result, which takes one column per field): it is
	// read as rel.Row.Name and never stands alone.
	Row string
}

// Env is what an expression is evaluated against: the values of the
// relations in scope, laid out one after the other, and the time of the
// row being produced (the unqualified ROWTIME).
type Env struct {
	Time   int64
	Values []types.Value
}

// A rel is one relation in a query's scope. Its values sit at
// Values[offset:offset+len(columns)], followed by its ROWTIME (as a
// TIMESTAMP), so each side of a join keeps its own row time.
type rel struct {
	name    string
	columns []Column
	offset  int
}

func (r rel) rowtimeIndex() int { return r.offset + len(r.columns) }

// width is the number of values a relation occupies: its columns and its
// ROWTIME.
func (r rel) width() int { return len(r.columns) + 1 }

type scope struct {
	rels []rel
}

func (s *scope) add(name string, cols []Column) rel {
	off := 0
	if n := len(s.rels); n > 0 {
		off = s.rels[n-1].offset + s.rels[n-1].width()
	}
	r := rel{name: name, columns: cols, offset: off}
	s.rels = append(s.rels, r)
	return r
}

func (s *scope) width() int {
	if len(s.rels) == 0 {
		return 0
	}
	last := s.rels[len(s.rels)-1]
	return last.offset + last.width()
}

// resolved is a column reference found in a scope.
type resolved struct {
	index   int // into Env.Values; -1 for the unqualified ROWTIME
	typ     types.Type
	rowtime bool
}

// resolve finds a column reference: col, rel.col, rel.ROWTIME, ROWTIME, or
// a field of a ROW value: rel.row.field (or row.field when no relation is
// named row).
func (s *scope) resolve(ref *ast.ColumnRef) (resolved, error) {
	parts := ref.Parts
	if len(parts) == 1 && !parts[0].Quoted && parts[0].Name == "ROWTIME" {
		return resolved{index: -1, typ: types.Type{Kind: types.Timestamp}, rowtime: true}, nil
	}
	if len(parts) == 1 {
		var found []resolved
		for _, r := range s.rels {
			for i, c := range r.columns {
				if c.Name == parts[0].Name && c.Row == "" {
					found = append(found, resolved{index: r.offset + i, typ: c.Type})
				}
			}
		}
		switch len(found) {
		case 1:
			return found[0], nil
		case 0:
			for _, r := range s.rels {
				if fields := r.rowFields(parts[0].Name); fields != nil {
					return resolved{}, wholeRow(r, parts[0].Name, fields)
				}
			}
			return resolved{}, fmt.Errorf("unknown column %s%s", parts[0], s.inWhat())
		}
		return resolved{}, fmt.Errorf("column %s is ambiguous: qualify it with its stream", parts[0])
	}
	if len(parts) == 2 {
		for _, r := range s.rels {
			if r.name != parts[0].Name {
				continue
			}
			if parts[1].Name == "ROWTIME" {
				return resolved{index: r.rowtimeIndex(), typ: types.Type{Kind: types.Timestamp}, rowtime: true}, nil
			}
			for i, c := range r.columns {
				if c.Name == parts[1].Name && c.Row == "" {
					return resolved{index: r.offset + i, typ: c.Type}, nil
				}
			}
			if fields := r.rowFields(parts[1].Name); fields != nil {
				return resolved{}, wholeRow(r, parts[1].Name, fields)
			}
			return resolved{}, fmt.Errorf("unknown column %s in %s", parts[1], parts[0])
		}
		// row.field, the ROW's relation left unnamed.
		var found []resolved
		for _, r := range s.rels {
			if res, ok := r.field(parts[0].Name, parts[1].Name); ok {
				found = append(found, res)
			}
		}
		switch len(found) {
		case 1:
			return found[0], nil
		case 0:
			return resolved{}, fmt.Errorf("unknown stream or alias %s", parts[0])
		}
		return resolved{}, fmt.Errorf("%s is ambiguous: qualify it with its stream", ref)
	}
	if len(parts) == 3 {
		for _, r := range s.rels {
			if r.name != parts[0].Name {
				continue
			}
			if res, ok := r.field(parts[1].Name, parts[2].Name); ok {
				return res, nil
			}
			fields := r.rowFields(parts[1].Name)
			if fields == nil {
				return resolved{}, fmt.Errorf("%s.%s is not a ROW value (the result of a log-parsing function such as W3C_LOG_PARSE), so it has no field %s", parts[0], parts[1], parts[2])
			}
			return resolved{}, fmt.Errorf("the ROW value %s.%s has no field %s (its fields: %s)", parts[0], parts[1], parts[2], quoted(fields))
		}
		return resolved{}, fmt.Errorf("unknown stream or alias %s", parts[0])
	}
	return resolved{}, fmt.Errorf("%s: a column reference has at most three parts (stream.row.field)", ref)
}

// rowFields lists the fields of the relation's ROW column name, or nil.
func (r rel) rowFields(name string) []string {
	var fields []string
	for _, c := range r.columns {
		if c.Row == name {
			fields = append(fields, c.Name)
		}
	}
	return fields
}

// field finds field of the ROW column row.
func (r rel) field(row, field string) (resolved, bool) {
	for i, c := range r.columns {
		if c.Row == row && c.Name == field {
			return resolved{index: r.offset + i, typ: c.Type}, true
		}
	}
	return resolved{}, false
}

// wholeRow refuses a ROW value used as one value: only its fields are
// values.
func wholeRow(r rel, name string, fields []string) error {
	q := func(s string) string { return ast.Ident{Name: s}.String() }
	return fmt.Errorf("%s.%s is a ROW value (fields %s): it cannot be used or stored whole; select its fields, as %s.%s.%s",
		q(r.name), q(name), quoted(fields), q(r.name), q(name), q(fields[0]))
}

func quoted(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = ast.Ident{Name: n}.String()
	}
	return strings.Join(out, ", ")
}

func (s *scope) inWhat() string {
	names := make([]string, len(s.rels))
	for i, r := range s.rels {
		names[i] = `"` + r.name + `"`
	}
	if len(names) == 0 {
		return ""
	}
	return " in " + strings.Join(names, ", ")
}
