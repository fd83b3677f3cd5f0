package ast

// Expr is a scalar expression.
type Expr interface {
	Node
	expr()
}

// LiteralKind tells literals apart.
type LiteralKind int

const (
	NumberLit    LiteralKind = iota // Text as written: 10, 2.5, 1.5E3
	StringLit                       // Text is the decoded value
	BinaryLit                       // X'3F': Text holds the hex digits
	BoolLit                         // TRUE, FALSE or UNKNOWN
	NullLit                         // NULL
	DateLit                         // DATE '...': Text is the quoted value
	TimeLit                         // TIME '...'
	TimestampLit                    // TIMESTAMP '...'
)

// Literal is a constant.
type Literal struct {
	Pos  Pos
	Kind LiteralKind
	Text string
}

// IntervalQualifier is the unit part of an interval: SECOND, MINUTE TO
// SECOND(3), DAY(3) TO HOUR... Precisions are -1 when not written.
type IntervalQualifier struct {
	Start          string
	StartPrecision int
	End            string // empty: a single unit
	// FractionPrecision is SECOND's fractional digits, SECOND(p, f) or
	// TO SECOND(f).
	FractionPrecision int
}

// IntervalLit is INTERVAL [-]'value' qualifier.
type IntervalLit struct {
	Pos       Pos
	Negative  bool
	Value     string
	Qualifier IntervalQualifier
}

// IntervalConv is (expr) qualifier: the difference of two datetimes as an
// interval in the given units, as in (ROWTIME - TIMESTAMP '1970-01-01
// 00:00:00') SECOND.
type IntervalConv struct {
	Pos       Pos
	X         Expr
	Qualifier IntervalQualifier
}

// ColumnRef is a column, possibly qualified: col, s.col, alias.rec.col.
// ROWTIME is a column reference too.
type ColumnRef struct {
	Pos   Pos
	Parts []Ident
}

// Unary is -x, +x or NOT x.
type Unary struct {
	Pos Pos
	Op  string
	X   Expr
}

// Binary is l op r for OR, AND, comparisons, + - * / and ||.
type Binary struct {
	Pos  Pos
	Op   string
	L, R Expr
}

// IsNull is x IS [NOT] NULL.
type IsNull struct {
	Pos Pos
	X   Expr
	Not bool
}

// IsTruth is x IS [NOT] TRUE|FALSE|UNKNOWN.
type IsTruth struct {
	Pos   Pos
	X     Expr
	Not   bool
	Value string
}

// IsDistinct is l IS [NOT] DISTINCT FROM r.
type IsDistinct struct {
	Pos  Pos
	L, R Expr
	Not  bool
}

// InList is x [NOT] IN (list) or x [NOT] IN (query).
type InList struct {
	Pos   Pos
	X     Expr
	List  []Expr
	Query Query
	Not   bool
}

// Between is x [NOT] BETWEEN [SYMMETRIC] lo AND hi.
type Between struct {
	Pos       Pos
	X, Lo, Hi Expr
	Not       bool
	Symmetric bool
}

// Like is x [NOT] LIKE|SIMILAR TO pattern [ESCAPE e].
type Like struct {
	Pos     Pos
	X       Expr
	Pattern Expr
	Escape  Expr
	Not     bool
	Similar bool
}

// Exists is EXISTS (query).
type Exists struct {
	Pos   Pos
	Query Query
}

// ScalarQuery is (query) used as a value.
type ScalarQuery struct {
	Pos   Pos
	Query Query
}

// Case is CASE [operand] WHEN ... THEN ... [ELSE ...] END.
type Case struct {
	Pos     Pos
	Operand Expr
	Whens   []When
	Else    Expr
}

// When is one WHEN cond THEN result.
type When struct {
	Cond, Result Expr
}

// Cast is CAST(x AS type).
type Cast struct {
	Pos  Pos
	X    Expr
	Type TypeName
}

// FuncCall is name(args) with the aggregate and analytic trimmings.
type FuncCall struct {
	Pos      Pos
	Name     []Ident
	Args     []Expr
	Distinct bool
	Star     bool // COUNT(*)
	// NullTreatment is "IGNORE NULLS" or "RESPECT NULLS" when written.
	NullTreatment string
	// FromEnd is "FROM FIRST" or "FROM LAST" (NTH_VALUE) when written.
	FromEnd string
	Over    *WindowSpec
}

// niladicNames are the functions written without parentheses.
var niladicNames = map[string]bool{
	"CURRENT_ROW_TIMESTAMP": true, "CURRENT_TIMESTAMP": true, "CURRENT_DATE": true,
	"CURRENT_TIME": true, "LOCALTIME": true, "LOCALTIMESTAMP": true,
}

// IsNiladic tells whether an unquoted name is a function called without
// parentheses, such as CURRENT_ROW_TIMESTAMP.
func IsNiladic(name string) bool { return niladicNames[name] }

// Niladic reports a call written without parentheses.
func (e *FuncCall) Niladic() bool {
	return len(e.Name) == 1 && !e.Name[0].Quoted && IsNiladic(e.Name[0].Name) && len(e.Args) == 0 && !e.Star && e.Over == nil
}

// Cursor is CURSOR(query), the input of a table function.
type Cursor struct {
	Pos   Pos
	Query Query
}

// FloorCeil is FLOOR|CEIL(x TO unit) on a datetime or interval.
type FloorCeil struct {
	Pos  Pos
	Ceil bool
	X    Expr
	Unit string
}

// Step is STEP(x BY interval).
type Step struct {
	Pos      Pos
	X        Expr
	Interval Expr
}

// Extract is EXTRACT(unit FROM x).
type Extract struct {
	Pos  Pos
	Unit string
	X    Expr
}

// Substring is SUBSTRING(x FROM start [FOR length]) or the
// SIMILAR form SUBSTRING(x SIMILAR pattern ESCAPE e).
type Substring struct {
	Pos     Pos
	X       Expr
	From    Expr
	For     Expr
	Similar bool
}

// Position is POSITION(needle IN haystack [FROM start]).
type Position struct {
	Pos      Pos
	Needle   Expr
	Haystack Expr
	From     Expr
}

// Trim is TRIM([BOTH|LEADING|TRAILING] [chars] FROM x).
type Trim struct {
	Pos   Pos
	Side  string // BOTH, LEADING or TRAILING; empty when not written
	Chars Expr
	X     Expr
}

// Overlay is OVERLAY(x PLACING r FROM start [FOR length]).
type Overlay struct {
	Pos     Pos
	X       Expr
	Placing Expr
	From    Expr
	For     Expr // nil when not written
}

// Period is PERIOD (start, end), or (start, end) without the keyword: the
// times start <= t < end. It is an operand of a temporal predicate only.
type Period struct {
	Pos        Pos
	Start, End Expr
}

// PeriodPredicate is a temporal predicate, possibly chained: Operands[i]
// Ops[i] Operands[i+1] for each i, all of which must hold ("compact
// chaining": p1 PRECEDES p2 PRECEDES p3 is p1 PRECEDES p2 AND p2 PRECEDES
// p3). Every operand is a *Period but the last, which may be a time.
type PeriodPredicate struct {
	Pos      Pos
	Operands []Expr
	Ops      []PeriodOp
}

// PeriodOp is one predicate of a PeriodPredicate: EQUALS, CONTAINS,
// OVERLAPS, PRECEDES, SUCCEEDS, LEADS or LAGS, with STRICTLY or IMMEDIATELY
// where written.
type PeriodOp struct {
	Pos       Pos
	Qualifier string // "", "STRICTLY" or "IMMEDIATELY"
	Name      string
}

func (o PeriodOp) String() string {
	if o.Qualifier == "" {
		return o.Name
	}
	return o.Qualifier + " " + o.Name
}

func (*Literal) expr()         {}
func (*IntervalLit) expr()     {}
func (*IntervalConv) expr()    {}
func (*ColumnRef) expr()       {}
func (*Unary) expr()           {}
func (*Binary) expr()          {}
func (*IsNull) expr()          {}
func (*IsTruth) expr()         {}
func (*IsDistinct) expr()      {}
func (*InList) expr()          {}
func (*Between) expr()         {}
func (*Like) expr()            {}
func (*Exists) expr()          {}
func (*ScalarQuery) expr()     {}
func (*Case) expr()            {}
func (*Cast) expr()            {}
func (*FuncCall) expr()        {}
func (*Cursor) expr()          {}
func (*FloorCeil) expr()       {}
func (*Step) expr()            {}
func (*Extract) expr()         {}
func (*Substring) expr()       {}
func (*Position) expr()        {}
func (*Trim) expr()            {}
func (*Overlay) expr()         {}
func (*Period) expr()          {}
func (*PeriodPredicate) expr() {}
