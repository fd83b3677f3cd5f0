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
	// time is set when the column's value is a monotonic function of its
	// row's ROWTIME alone (ROWTIME AS t, STEP(ROWTIME BY ...), a grouped time
	// key copied out of a GROUP BY): that function, evaluated from Env.Time
	// alone. Rows keep their ROWTIME through projections, filters, views,
	// subqueries and joins with tables, so a query reading the column there
	// groups, orders and deduplicates on it as on ROWTIME itself.
	time *Expr
	// monotonic is set when the user declared the values never reverse
	// direction (MONOTONIC(...), or an order-keeping expression of such a
	// column): a GROUP BY on it closes a group when the value moves.
	monotonic bool
	// Row, when set, makes this column a field of the ROW value named Row
	// (a log parser's result, which takes one column per field): it is
	// read as rel.Row.Name and never stands alone.
	Row string
}

// plain drops what a column promises about its order, for operators that
// restamp or reorder rows (ORDER BY, UNION ALL).
func plain(cols []Column) []Column {
	out := make([]Column, len(cols))
	for i, c := range cols {
		c.time, c.monotonic = nil, false
		out[i] = c
	}
	return out
}

// Env is what an expression is evaluated against: the values of the
// relations in scope, laid out one after the other, and the time of the
// row being produced (the unqualified ROWTIME), and when the application's
// queries started on its clock (CURRENT_TIMESTAMP and its kin).
type Env struct {
	Time   int64
	Values []types.Value
	Start  int64
}

// A rel is one relation in a query's scope. Its values sit at
// Values[offset:offset+len(columns)], followed by its ROWTIME (as a
// TIMESTAMP), so each side of a join keeps its own row time.
type rel struct {
	name    string
	columns []Column
	offset  int
	// table: a reference table, whose rows have no time.
	table bool
	// also is another name of the relation: its window's, for a stream
	// taking a named window without an alias (FROM s OVER w).
	also string
}

func (r rel) rowtimeIndex() int { return r.offset + len(r.columns) }

// width is the number of values a relation occupies: its columns and its
// ROWTIME.
func (r rel) width() int { return len(r.columns) + 1 }

type scope struct {
	rels []rel
	// unnamed counts the subqueries in FROM without an alias, which are
	// named EXPR$0, EXPR$1, ...
	unnamed int
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

// named tells whether a qualifier names the relation.
func (r rel) named(name string) bool { return r.name == name || r.also != "" && r.also == name }

func (s *scope) add(name string, cols []Column) rel {
	off := s.base
	if n := len(s.rels); n > 0 {
		off = s.rels[n-1].offset + s.rels[n-1].width()
	}
	r := rel{name: name, columns: cols, offset: off}
	s.rels = append(s.rels, r)
	return r
}

func (s *scope) addTable(name string, cols []Column) {
	s.add(name, cols)
	s.rels[len(s.rels)-1].table = true
}

// timed tells whether a relation's row time is the output row's: it is the
// only relation in scope that has a time (the others are reference tables,
// and a stream row joined to a table keeps its ROWTIME).
func (s *scope) timed(r rel) bool {
	if r.table {
		return false
	}
	for _, o := range s.rels {
		if !o.table && o.offset != r.offset {
			return false
		}
	}
	return true
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
	index   int // into Env.Values; -1 for the output row's time (Env.Time)
	typ     types.Type
	rowtime bool   // a ROWTIME
	column  Column // the column found; zero for a ROWTIME
	// timed: the relation's row time is the output row's (see scope.timed).
	timed bool
}

// identity names what a reference resolved to, so that two spellings of
// one column (s.col and col, s.ROWTIME and ROWTIME for a lone stream)
// compare equal.
func (r resolved) identity() string {
	if r.index < 0 {
		return "\x00T"
	}
	return fmt.Sprintf("\x00%d", r.index)
}

// isRowtimeName tells the identifier ROWTIME; quoting it does not change
// it ("ROWTIME" is the same upper-case name), only "rowtime" is another.
func isRowtimeName(id ast.Ident) bool { return id.Name == "ROWTIME" }

// errNotHere marks a name this scope does not have (an outer one may).
type errNotHere struct{ error }

// resolve finds a column reference: col, rel.col, rel.ROWTIME, ROWTIME, or
// a field of a ROW value: rel.row.field (or row.field when no relation is
// named row); here or, in a subquery, in the query around it. The ROWTIME
// of the only relation with a time is the output row's time.
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
	timestamp := types.Type{Kind: types.Timestamp}
	if len(parts) == 1 && isRowtimeName(parts[0]) {
		return resolved{index: -1, typ: timestamp, rowtime: true, timed: true}, nil
	}
	if len(parts) == 1 {
		var found []resolved
		for _, r := range s.rels {
			for i, c := range r.columns {
				if c.Name == parts[0].Name && c.Row == "" && !s.merged[r.offset+i] {
					found = append(found, s.column(r, i))
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
			return resolved{}, errNotHere{fmt.Errorf("unknown column %s%s%s", parts[0], s.inWhat(), didYouMean(parts[0].Name, s.columnNames(s.rels...), true))}
		}
		return resolved{}, fmt.Errorf("column %s is ambiguous: qualify it with its stream", parts[0])
	}
	if len(parts) == 2 {
		for _, r := range s.rels {
			if !r.named(parts[0].Name) {
				continue
			}
			if isRowtimeName(parts[1]) {
				switch {
				case r.table:
					return resolved{}, fmt.Errorf("%s is a reference table: its rows have no ROWTIME", parts[0])
				case s.timed(r):
					return resolved{index: -1, typ: timestamp, rowtime: true, timed: true}, nil
				}
				return resolved{index: r.rowtimeIndex(), typ: timestamp, rowtime: true}, nil
			}
			for i, c := range r.columns {
				if c.Name == parts[1].Name && c.Row == "" {
					return s.column(r, i), nil
				}
			}
			if fields := r.rowFields(parts[1].Name); fields != nil {
				return resolved{}, wholeRow(r, parts[1].Name, fields)
			}
			return resolved{}, fmt.Errorf("unknown column %s in %s%s", parts[1], parts[0], didYouMean(parts[1].Name, s.columnNames(r), true))
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
			var rels []string
			for _, r := range s.rels {
				rels = append(rels, r.name)
			}
			return resolved{}, errNotHere{fmt.Errorf("unknown stream or alias %s%s", parts[0], didYouMean(parts[0].Name, rels, true))}
		}
		return resolved{}, fmt.Errorf("%s is ambiguous: qualify it with its stream", ref)
	}
	if len(parts) == 3 {
		for _, r := range s.rels {
			if !r.named(parts[0].Name) {
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
		return resolved{}, errNotHere{fmt.Errorf("unknown stream or alias %s", parts[0])}
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

// column is the reference to column i of relation r.
func (s *scope) column(r rel, i int) resolved {
	c := r.columns[i]
	return resolved{index: r.offset + i, typ: c.Type, column: c, timed: s.timed(r)}
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
