// Package ast is the syntax tree of the Kinesis Data Analytics SQL dialect
// (SQLstream): application scripts of CREATE STREAM and CREATE PUMP
// statements and the streaming queries inside them. Nodes carry the
// position of their first token; String renders any node back as SQL.
package ast

import "fmt"

// Pos is a 1-based line and column (in characters) in the source.
type Pos struct {
	Line, Col int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Node is any syntax tree node.
type Node interface {
	Position() Pos
	String() string
}

// Ident is a name. An unquoted name is folded to upper case; a quoted one
// keeps its case.
type Ident struct {
	Pos    Pos
	Name   string
	Quoted bool
}

// Script is a whole application: its statements in order.
type Script struct {
	Statements []Statement
}

// Statement is a top-level statement.
type Statement interface {
	Node
	statement()
}

// CreateStream is CREATE [OR REPLACE] STREAM name (columns) [DESCRIPTION '...'].
type CreateStream struct {
	Pos         Pos
	OrReplace   bool
	Name        Ident
	Columns     []ColumnDef
	Description *string
}

// ColumnDef is one column of a CREATE STREAM.
type ColumnDef struct {
	Name    Ident
	Type    TypeName
	NotNull bool
}

// TypeName is a SQL type as written, with its name in canonical form
// (INT -> INTEGER, CHARACTER VARYING -> VARCHAR, DOUBLE PRECISION -> DOUBLE).
type TypeName struct {
	Pos  Pos
	Name string
	// Args holds length, or precision and scale, when written.
	Args []int
}

// CreatePump is CREATE [OR REPLACE] PUMP name [STARTED | STOPPED]
// [DESCRIPTION '...'] AS INSERT ...
type CreatePump struct {
	Pos       Pos
	OrReplace bool
	Name      Ident
	// State is STARTED or STOPPED when written (an old form: every pump
	// runs while its application runs), at StatePos.
	State       string
	StatePos    Pos
	Description *string
	Insert      *Insert
}

// CreateView is CREATE [OR REPLACE] VIEW name [(columns)] AS query.
type CreateView struct {
	Pos       Pos
	OrReplace bool
	Name      Ident
	Columns   []Ident
	Query     Query
	// Tokens is how many tokens the statement has: what planning a use of
	// the view costs, as each use plans its query again.
	Tokens int
}

// Insert is INSERT [EXPEDITED] INTO target [(columns)] query.
type Insert struct {
	Pos       Pos
	Expedited bool
	Target    Ident
	Columns   []Ident
	Query     Query
}

func (*CreateStream) statement() {}
func (*CreatePump) statement()   {}
func (*CreateView) statement()   {}
func (*Insert) statement()       {}

// Query is a SELECT, a UNION ALL of queries, or VALUES.
type Query interface {
	Node
	query()
}

// Select is one SELECT block.
type Select struct {
	Pos      Pos
	Stream   bool
	Distinct bool
	Items    []SelectItem
	From     []TableRef // comma-separated: a cross join
	Where    Expr
	GroupBy  []Expr
	Stagger  *Stagger
	Having   Expr
	Windows  []NamedWindow
	OrderBy  []OrderItem
	// Within is the interval of ORDER BY ... WITHIN (a T-sort), which
	// applies to the leading key of OrderBy.
	Within Expr
}

// SetOp is left UNION ALL right (the only set operation on streams), or
// UNION, INTERSECT, EXCEPT on finite relations.
type SetOp struct {
	Pos   Pos
	Op    string // UNION, INTERSECT, EXCEPT
	All   bool
	Left  Query
	Right Query
	// OrderBy sorts the combined rows.
	OrderBy []OrderItem
}

// Values is VALUES (row), (row)...
type Values struct {
	Pos  Pos
	Rows [][]Expr
}

func (*Select) query() {}
func (*SetOp) query()  {}
func (*Values) query() {}

// SelectItem is an expression with an optional alias, or a star.
type SelectItem struct {
	Expr  Expr   // nil for a star
	Alias *Ident // AS alias
	// Star is * (Qualifier empty) or qualifier.*.
	Star      bool
	Qualifier []Ident
	Pos       Pos
}

// Stagger is WINDOWED BY STAGGER (PARTITION BY ... RANGE INTERVAL ...).
type Stagger struct {
	Pos         Pos
	PartitionBy []Expr
	Range       Expr
}

// NamedWindow is one WINDOW name AS (spec).
type NamedWindow struct {
	Name Ident
	Spec *WindowSpec
}

// WindowSpec is a window: a reference to a named window, or inline.
type WindowSpec struct {
	Pos Pos
	// Ref names a window of the WINDOW clause (OVER w, or OVER (w ...)).
	Ref         *Ident
	PartitionBy []Expr
	OrderBy     []OrderItem
	Frame       *Frame
}

// Frame is ROWS|RANGE n PRECEDING, or BETWEEN start AND end.
type Frame struct {
	Pos   Pos
	Rows  bool // ROWS rather than RANGE
	Start FrameBound
	End   *FrameBound // nil: CURRENT ROW implied
}

// FrameBound is UNBOUNDED PRECEDING|FOLLOWING, CURRENT ROW, or expr
// PRECEDING|FOLLOWING.
type FrameBound struct {
	Unbounded  bool
	CurrentRow bool
	Offset     Expr
	Following  bool
}

// OrderItem is expr [ASC|DESC].
type OrderItem struct {
	Expr Expr
	Desc bool
}

// TableRef is a relation in FROM.
type TableRef interface {
	Node
	tableRef()
}

// NamedTable is a stream or table name with an optional window and alias.
type NamedTable struct {
	Pos           Pos
	Name          []Ident
	Over          *WindowSpec
	Alias         *Ident
	ColumnAliases []Ident
}

// Subquery is (query) [AS] alias [(columns)].
type Subquery struct {
	Pos           Pos
	Query         Query
	Alias         *Ident
	ColumnAliases []Ident
}

// TableFunction is TABLE(f(CURSOR(...), args...) [AS column]) [AS] alias.
type TableFunction struct {
	Pos  Pos
	Call *FuncCall
	// CallAlias names the column of a function that adds one (TABLE(
	// COUNT_DISTINCT_ITEMS_TUMBLING(...) AS n)).
	CallAlias     *Ident
	Alias         *Ident
	ColumnAliases []Ident
}

// Join is left [kind] JOIN right [ON cond | USING (cols)].
type Join struct {
	Pos     Pos
	Kind    string // INNER, LEFT, RIGHT, FULL, CROSS
	Natural bool
	Left    TableRef
	Right   TableRef
	On      Expr
	Using   []Ident
}

func (*NamedTable) tableRef()    {}
func (*Subquery) tableRef()      {}
func (*TableFunction) tableRef() {}
func (*Join) tableRef()          {}
