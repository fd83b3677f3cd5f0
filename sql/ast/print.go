package ast

import (
	"fmt"
	"strings"
)

// The printer writes canonical SQL: keywords in upper case, every name
// quoted, every binary operation in parentheses. Parsing the output gives
// the same tree, which the parser's tests and fuzz target rely on.

func (s *Script) String() string {
	var b strings.Builder
	for i, st := range s.Statements {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(st.String())
		b.WriteString(";")
	}
	return b.String()
}

func (i Ident) String() string {
	return `"` + strings.ReplaceAll(i.Name, `"`, `""`) + `"`
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func idents(ids []Ident, sep string) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id.String()
	}
	return strings.Join(parts, sep)
}

func exprs(es []Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}

func orderItems(items []OrderItem) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = it.Expr.String()
		if it.Desc {
			parts[i] += " DESC"
		}
	}
	return strings.Join(parts, ", ")
}

func (t TypeName) String() string {
	if len(t.Args) == 0 {
		return t.Name
	}
	args := make([]string, len(t.Args))
	for i, a := range t.Args {
		args[i] = fmt.Sprint(a)
	}
	return t.Name + "(" + strings.Join(args, ", ") + ")"
}

func description(d *string) string {
	if d == nil {
		return ""
	}
	return " DESCRIPTION " + quote(*d)
}

func orReplace(b bool) string {
	if b {
		return "OR REPLACE "
	}
	return ""
}

func (s *CreateStream) String() string {
	cols := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		cols[i] = c.Name.String() + " " + c.Type.String()
		if c.NotNull {
			cols[i] += " NOT NULL"
		}
	}
	return "CREATE " + orReplace(s.OrReplace) + "STREAM " + s.Name.String() + " (" + strings.Join(cols, ", ") + ")" + description(s.Description)
}

func (s *CreatePump) String() string {
	state := ""
	if s.State != "" {
		state = " " + s.State
	}
	return "CREATE " + orReplace(s.OrReplace) + "PUMP " + s.Name.String() + state + description(s.Description) + " AS " + s.Insert.String()
}

func (s *CreateView) String() string {
	cols := ""
	if len(s.Columns) > 0 {
		cols = " (" + idents(s.Columns, ", ") + ")"
	}
	return "CREATE " + orReplace(s.OrReplace) + "VIEW " + s.Name.String() + cols + " AS " + s.Query.String()
}

func (s *Insert) String() string {
	var b strings.Builder
	b.WriteString("INSERT ")
	if s.Expedited {
		b.WriteString("EXPEDITED ")
	}
	b.WriteString("INTO " + s.Target.String())
	if len(s.Columns) > 0 {
		b.WriteString(" (" + idents(s.Columns, ", ") + ")")
	}
	b.WriteString(" " + s.Query.String())
	return b.String()
}

func (s *Select) String() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	if s.Stream {
		b.WriteString("STREAM ")
	}
	if s.Distinct {
		b.WriteString("DISTINCT ")
	}
	items := make([]string, len(s.Items))
	for i, it := range s.Items {
		items[i] = it.String()
	}
	b.WriteString(strings.Join(items, ", "))
	if len(s.From) > 0 {
		from := make([]string, len(s.From))
		for i, f := range s.From {
			from[i] = f.String()
		}
		b.WriteString(" FROM " + strings.Join(from, ", "))
	}
	if s.Where != nil {
		b.WriteString(" WHERE " + s.Where.String())
	}
	if len(s.GroupBy) > 0 {
		b.WriteString(" GROUP BY " + exprs(s.GroupBy))
	}
	if s.Stagger != nil {
		b.WriteString(" " + s.Stagger.String())
	}
	if s.Having != nil {
		b.WriteString(" HAVING " + s.Having.String())
	}
	if len(s.Windows) > 0 {
		ws := make([]string, len(s.Windows))
		for i, w := range s.Windows {
			ws[i] = w.Name.String() + " AS (" + w.Spec.body() + ")"
		}
		b.WriteString(" WINDOW " + strings.Join(ws, ", "))
	}
	if len(s.OrderBy) > 0 && s.Within != nil {
		// WITHIN belongs to the leading key (a T-sort); the other keys follow.
		b.WriteString(" ORDER BY " + orderItems(s.OrderBy[:1]) + " WITHIN " + s.Within.String())
		if len(s.OrderBy) > 1 {
			b.WriteString(", " + orderItems(s.OrderBy[1:]))
		}
	} else if len(s.OrderBy) > 0 {
		b.WriteString(" ORDER BY " + orderItems(s.OrderBy))
	}
	return b.String()
}

func (s *Stagger) String() string {
	return "WINDOWED BY STAGGER (PARTITION BY " + exprs(s.PartitionBy) + " RANGE " + s.Range.String() + ")"
}

func (s SelectItem) String() string {
	if s.Star {
		if len(s.Qualifier) > 0 {
			return idents(s.Qualifier, ".") + ".*"
		}
		return "*"
	}
	if s.Alias != nil {
		return s.Expr.String() + " AS " + s.Alias.String()
	}
	return s.Expr.String()
}

func (s *SetOp) String() string {
	op := s.Op
	if s.All {
		op += " ALL"
	}
	out := "(" + s.Left.String() + ") " + op + " (" + s.Right.String() + ")"
	if len(s.OrderBy) > 0 {
		out += " ORDER BY " + orderItems(s.OrderBy)
	}
	return out
}

func (s *Values) String() string {
	rows := make([]string, len(s.Rows))
	for i, r := range s.Rows {
		rows[i] = "(" + exprs(r) + ")"
	}
	return "VALUES " + strings.Join(rows, ", ")
}

// body is the part of a window inside its parentheses.
func (w *WindowSpec) body() string {
	var parts []string
	if w.Ref != nil {
		parts = append(parts, w.Ref.String())
	}
	if len(w.PartitionBy) > 0 {
		parts = append(parts, "PARTITION BY "+exprs(w.PartitionBy))
	}
	if len(w.OrderBy) > 0 {
		parts = append(parts, "ORDER BY "+orderItems(w.OrderBy))
	}
	if w.Frame != nil {
		parts = append(parts, w.Frame.String())
	}
	return strings.Join(parts, " ")
}

func (w *WindowSpec) String() string {
	if w.Ref != nil && len(w.PartitionBy) == 0 && len(w.OrderBy) == 0 && w.Frame == nil {
		return w.Ref.String()
	}
	return "(" + w.body() + ")"
}

func (f *Frame) String() string {
	unit := "RANGE"
	if f.Rows {
		unit = "ROWS"
	}
	if f.End == nil {
		return unit + " " + f.Start.String()
	}
	return unit + " BETWEEN " + f.Start.String() + " AND " + f.End.String()
}

func (b FrameBound) String() string {
	dir := "PRECEDING"
	if b.Following {
		dir = "FOLLOWING"
	}
	switch {
	case b.CurrentRow:
		return "CURRENT ROW"
	case b.Unbounded:
		return "UNBOUNDED " + dir
	default:
		return b.Offset.String() + " " + dir
	}
}

func aliasWithColumns(alias *Ident, cols []Ident) string {
	if alias == nil {
		return ""
	}
	s := " AS " + alias.String()
	if len(cols) > 0 {
		s += " (" + idents(cols, ", ") + ")"
	}
	return s
}

func (t *NamedTable) String() string {
	s := idents(t.Name, ".")
	if t.Over != nil {
		s += " OVER " + t.Over.String()
	}
	return s + aliasWithColumns(t.Alias, t.ColumnAliases)
}

func (t *Subquery) String() string {
	return "(" + t.Query.String() + ")" + aliasWithColumns(t.Alias, t.ColumnAliases)
}

func (t *TableFunction) String() string {
	call := t.Call.String()
	if t.CallAlias != nil {
		call += " AS " + t.CallAlias.String()
	}
	return "TABLE(" + call + ")" + aliasWithColumns(t.Alias, t.ColumnAliases)
}

func (t *Join) String() string {
	kind := t.Kind + " JOIN"
	if t.Natural {
		kind = "NATURAL " + kind
	}
	// Joins associate to the left as written, so no parentheses are needed
	// except around a join on the right.
	right := t.Right.String()
	if _, nested := t.Right.(*Join); nested {
		right = "(" + right + ")"
	}
	s := t.Left.String() + " " + kind + " " + right
	if t.On != nil {
		s += " ON " + t.On.String()
	}
	if len(t.Using) > 0 {
		s += " USING (" + idents(t.Using, ", ") + ")"
	}
	return s
}

func (l *Literal) String() string {
	switch l.Kind {
	case StringLit:
		return quote(l.Text)
	case BinaryLit:
		return "X'" + l.Text + "'"
	case DateLit:
		return "DATE " + quote(l.Text)
	case TimeLit:
		return "TIME " + quote(l.Text)
	case TimestampLit:
		return "TIMESTAMP " + quote(l.Text)
	default:
		return l.Text
	}
}

func (q IntervalQualifier) String() string {
	s := q.Start
	if q.StartPrecision >= 0 {
		if q.Start == "SECOND" && q.End == "" && q.FractionPrecision >= 0 {
			return fmt.Sprintf("%s(%d, %d)", s, q.StartPrecision, q.FractionPrecision)
		}
		s += fmt.Sprintf("(%d)", q.StartPrecision)
	} else if q.Start == "SECOND" && q.End == "" && q.FractionPrecision >= 0 {
		// Not expressible without a leading precision; print the default.
		return fmt.Sprintf("%s(2, %d)", s, q.FractionPrecision)
	}
	if q.End != "" {
		s += " TO " + q.End
		if q.End == "SECOND" && q.FractionPrecision >= 0 {
			s += fmt.Sprintf("(%d)", q.FractionPrecision)
		}
	}
	return s
}

func (l *IntervalLit) String() string {
	sign := ""
	if l.Negative {
		sign = "-"
	}
	return "INTERVAL " + sign + quote(l.Value) + " " + l.Qualifier.String()
}

func (c *IntervalConv) String() string { return "(" + c.X.String() + ") " + c.Qualifier.String() }
func (c *ColumnRef) String() string    { return idents(c.Parts, ".") }

func (u *Unary) String() string {
	if u.Op == "NOT" {
		return "(NOT " + u.X.String() + ")"
	}
	return "(" + u.Op + u.X.String() + ")"
}

// String prints a left-deep chain (1 + 1 + … + 1) in one pass down its
// left operands, not by recursion per term: a 100,000-term chain prints in
// time and stack linear in its length.
func (b *Binary) String() string {
	var spine []*Binary
	var leaf Expr = b
	for {
		l, ok := leaf.(*Binary)
		if !ok {
			break
		}
		spine = append(spine, l)
		leaf = l.L
	}
	var out strings.Builder
	out.WriteString(strings.Repeat("(", len(spine)))
	out.WriteString(leaf.String())
	for i := len(spine) - 1; i >= 0; i-- {
		out.WriteString(" " + spine[i].Op + " ")
		out.WriteString(spine[i].R.String())
		out.WriteString(")")
	}
	return out.String()
}

func not(b bool) string {
	if b {
		return "NOT "
	}
	return ""
}

func (e *IsNull) String() string  { return "(" + e.X.String() + " IS " + not(e.Not) + "NULL)" }
func (e *IsTruth) String() string { return "(" + e.X.String() + " IS " + not(e.Not) + e.Value + ")" }
func (e *IsDistinct) String() string {
	return "(" + e.L.String() + " IS " + not(e.Not) + "DISTINCT FROM " + e.R.String() + ")"
}

func (e *InList) String() string {
	if e.Query != nil {
		return "(" + e.X.String() + " " + not(e.Not) + "IN (" + e.Query.String() + "))"
	}
	return "(" + e.X.String() + " " + not(e.Not) + "IN (" + exprs(e.List) + "))"
}

func (e *Between) String() string {
	sym := ""
	if e.Symmetric {
		sym = "SYMMETRIC "
	}
	return "(" + e.X.String() + " " + not(e.Not) + "BETWEEN " + sym + e.Lo.String() + " AND " + e.Hi.String() + ")"
}

func (e *Like) String() string {
	op := "LIKE"
	if e.Similar {
		op = "SIMILAR TO"
	}
	s := "(" + e.X.String() + " " + not(e.Not) + op + " " + e.Pattern.String()
	if e.Escape != nil {
		s += " ESCAPE " + e.Escape.String()
	}
	return s + ")"
}

func (e *Exists) String() string      { return "EXISTS (" + e.Query.String() + ")" }
func (e *ScalarQuery) String() string { return "(" + e.Query.String() + ")" }

func (e *Case) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	if e.Operand != nil {
		b.WriteString(" " + e.Operand.String())
	}
	for _, w := range e.Whens {
		b.WriteString(" WHEN " + w.Cond.String() + " THEN " + w.Result.String())
	}
	if e.Else != nil {
		b.WriteString(" ELSE " + e.Else.String())
	}
	b.WriteString(" END")
	return b.String()
}

func (e *Cast) String() string { return "CAST(" + e.X.String() + " AS " + e.Type.String() + ")" }

// funcName prints a function's name without quotes when it was written
// without them, so calls read as SQL is usually written.
func funcName(name []Ident) string {
	parts := make([]string, len(name))
	for i, id := range name {
		parts[i] = id.String()
		if !id.Quoted {
			parts[i] = id.Name
		}
	}
	return strings.Join(parts, ".")
}

func (e *FuncCall) String() string {
	if e.Niladic() {
		return funcName(e.Name)
	}
	var b strings.Builder
	b.WriteString(funcName(e.Name) + "(")
	if e.Distinct {
		b.WriteString("DISTINCT ")
	}
	if e.Star {
		b.WriteString("*")
	} else {
		b.WriteString(exprs(e.Args))
	}
	b.WriteString(")")
	if e.FromEnd != "" {
		b.WriteString(" " + e.FromEnd)
	}
	if e.NullTreatment != "" {
		b.WriteString(" " + e.NullTreatment)
	}
	if e.Over != nil {
		b.WriteString(" OVER " + e.Over.String())
	}
	return b.String()
}

func (e *Cursor) String() string { return "CURSOR(" + e.Query.String() + ")" }

func (e *FloorCeil) String() string {
	name := "FLOOR"
	if e.Ceil {
		name = "CEIL"
	}
	return name + "(" + e.X.String() + " TO " + e.Unit + ")"
}

func (e *Step) String() string    { return "STEP(" + e.X.String() + " BY " + e.Interval.String() + ")" }
func (e *Extract) String() string { return "EXTRACT(" + e.Unit + " FROM " + e.X.String() + ")" }

func (e *Substring) String() string {
	if e.Similar {
		return "SUBSTRING(" + e.X.String() + " SIMILAR " + e.From.String() + " ESCAPE " + e.For.String() + ")"
	}
	s := "SUBSTRING(" + e.X.String() + " FROM " + e.From.String()
	if e.For != nil {
		s += " FOR " + e.For.String()
	}
	return s + ")"
}

func (e *Position) String() string {
	s := "POSITION(" + e.Needle.String() + " IN " + e.Haystack.String()
	if e.From != nil {
		s += " FROM " + e.From.String()
	}
	return s + ")"
}

func (e *Trim) String() string {
	s := "TRIM("
	if e.Side != "" {
		s += e.Side + " "
	}
	if e.Chars != nil {
		s += e.Chars.String() + " "
	}
	return s + "FROM " + e.X.String() + ")"
}

func (e *Overlay) String() string {
	s := "OVERLAY(" + e.X.String() + " PLACING " + e.Placing.String() + " FROM " + e.From.String()
	if e.For != nil {
		s += " FOR " + e.For.String()
	}
	return s + ")"
}

func (e *Period) String() string {
	return "PERIOD (" + e.Start.String() + ", " + e.End.String() + ")"
}

func (e *PeriodPredicate) String() string {
	s := "("
	for i, x := range e.Operands {
		if i > 0 && i <= len(e.Ops) {
			s += " " + e.Ops[i-1].String() + " "
		}
		s += x.String()
	}
	return s + ")"
}
