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
	// outer is the scope of the query around a subquery: its names are
	// reached when this scope has none of them; this scope's values start
	// at base, after the outer ones. usedOwn and usedOuter record what
	// names resolved to (a subquery's conditions are sorted by them).
	outer              *scope
	base               int
	usedOwn, usedOuter bool
	// usings are the columns JOIN ... USING and NATURAL JOIN merged, in
	// the order of their joins; merged marks the side columns (by value
	// index) they stand for, which * and unqualified names skip.
	usings []*usingCol
	merged map[int]bool
}

// usingCol is one column a JOIN ... USING (or NATURAL JOIN) merges: the
// left side's value, or the right side's for a RIGHT join, or the first
// not NULL for a FULL join.
type usingCol struct {
	name string
	expr *Expr
	// gone: a later join merged it again.
	gone bool
}

func (s *scope) add(name string, cols []Column) rel {
	off := s.base
	if n := len(s.rels); n > 0 {
		off = s.rels[n-1].offset + s.rels[n-1].width()
	}
	r := rel{name: name, columns: cols, offset: off}
	s.rels = append(s.rels, r)
	return r
}

func (s *scope) width() int {
	if len(s.rels) == 0 {
		return s.base
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

// errNotHere marks a name this scope does not have (an outer one may).
type errNotHere struct{ error }

// resolve finds a column reference: col, rel.col, rel.ROWTIME or ROWTIME,
// here or, in a subquery, in the query around it.
func (s *scope) resolve(ref *ast.ColumnRef) (resolved, error) {
	r, err := s.resolveHere(ref)
	if _, missing := err.(errNotHere); missing && s.outer != nil {
		if or, oerr := s.outer.resolve(ref); oerr == nil {
			s.usedOuter = true
			return or, nil
		}
	}
	if err == nil {
		if r.index < 0 && s.outer != nil {
			s.usedOuter = true // the unqualified ROWTIME: the outer row's time
		} else {
			s.usedOwn = true
		}
	}
	return r, err
}

func (s *scope) resolveHere(ref *ast.ColumnRef) (resolved, error) {
	parts := ref.Parts
	if len(parts) == 1 && !parts[0].Quoted && parts[0].Name == "ROWTIME" {
		return resolved{index: -1, typ: types.Type{Kind: types.Timestamp}, rowtime: true}, nil
	}
	if len(parts) == 1 {
		var found []resolved
		for _, r := range s.rels {
			for i, c := range r.columns {
				if c.Name == parts[0].Name && !s.merged[r.offset+i] {
					found = append(found, resolved{index: r.offset + i, typ: c.Type})
				}
			}
		}
		switch len(found) {
		case 1:
			return found[0], nil
		case 0:
			return resolved{}, errNotHere{fmt.Errorf("unknown column %s%s", parts[0], s.inWhat())}
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
			return resolved{}, fmt.Errorf("unknown column %s in %s", parts[1], parts[0])
		}
		return resolved{}, errNotHere{fmt.Errorf("unknown stream or alias %s", parts[0])}
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

// using finds the merged column an unqualified name means, if any: here
// or, when this scope has no column of that name, around a subquery.
func (s *scope) using(ref *ast.ColumnRef) (*usingCol, error) {
	if len(ref.Parts) != 1 {
		return nil, nil
	}
	name := ref.Parts[0].Name
	if s.outer != nil && len(s.usings) == 0 {
		for _, r := range s.rels {
			for _, c := range r.columns {
				if c.Name == name {
					return nil, nil
				}
			}
		}
		u, err := s.outer.using(ref)
		if u != nil {
			s.usedOuter = true
		}
		return u, err
	}
	for _, u := range s.usings {
		if u.gone || u.name != name {
			continue
		}
		for _, r := range s.rels {
			for i, c := range r.columns {
				if c.Name == name && !s.merged[r.offset+i] {
					return nil, fmt.Errorf("column %s is ambiguous: qualify it with its stream", ref.Parts[0])
				}
			}
		}
		return u, nil
	}
	return nil, nil
}
