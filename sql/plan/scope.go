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

// resolve finds a column reference: col, rel.col, rel.ROWTIME or ROWTIME.
func (s *scope) resolve(ref *ast.ColumnRef) (resolved, error) {
	parts := ref.Parts
	if len(parts) == 1 && !parts[0].Quoted && parts[0].Name == "ROWTIME" {
		return resolved{index: -1, typ: types.Type{Kind: types.Timestamp}, rowtime: true}, nil
	}
	if len(parts) == 1 {
		var found []resolved
		for _, r := range s.rels {
			for i, c := range r.columns {
				if c.Name == parts[0].Name {
					found = append(found, resolved{index: r.offset + i, typ: c.Type})
				}
			}
		}
		switch len(found) {
		case 1:
			return found[0], nil
		case 0:
			return resolved{}, fmt.Errorf("unknown column %s%s%s", parts[0], s.inWhat(), didYouMean(parts[0].Name, s.columnNames(s.rels...), true))
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
				if c.Name == parts[1].Name {
					return resolved{index: r.offset + i, typ: c.Type}, nil
				}
			}
			return resolved{}, fmt.Errorf("unknown column %s in %s%s", parts[1], parts[0], didYouMean(parts[1].Name, s.columnNames(r), true))
		}
		var rels []string
		for _, r := range s.rels {
			rels = append(rels, r.name)
		}
		return resolved{}, fmt.Errorf("unknown stream or alias %s%s", parts[0], didYouMean(parts[0].Name, rels, true))
	}
	return resolved{}, fmt.Errorf("%s: field access into ROW values is not supported yet", ref)
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

// columnNames are the names a column reference to the relations may use,
// ROWTIME included: what a misspelt column is compared with.
func (s *scope) columnNames(rels ...rel) []string {
	names := []string{"ROWTIME"}
	for _, r := range rels {
		for _, c := range r.columns {
			names = append(names, c.Name)
		}
	}
	return names
}
