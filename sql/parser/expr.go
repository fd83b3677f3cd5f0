package parser

import (
	"strconv"

	"github.com/riffle-sql/riffle/sql/ast"
)

// Expression precedence, loosest first: OR; AND; NOT; comparisons and the
// IS/IN/BETWEEN/LIKE predicates; ||; + -; * / %; unary + -.

func (p *parser) expr() ast.Expr {
	p.enter()
	defer p.leave()
	return p.or()
}

func (p *parser) or() ast.Expr {
	l := p.and()
	for p.isWord("OR") {
		pos := p.tok.pos
		p.advance()
		l = &ast.Binary{Pos: pos, Op: "OR", L: l, R: p.and()}
	}
	return l
}

func (p *parser) and() ast.Expr {
	l := p.not()
	for p.isWord("AND") {
		pos := p.tok.pos
		p.advance()
		l = &ast.Binary{Pos: pos, Op: "AND", L: l, R: p.not()}
	}
	return l
}

func (p *parser) not() ast.Expr {
	if p.isWord("NOT") {
		pos := p.tok.pos
		p.advance()
		p.enter()
		defer p.leave()
		return &ast.Unary{Pos: pos, Op: "NOT", X: p.not()}
	}
	return p.predicate()
}

var comparisons = map[string]string{"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

func (p *parser) predicate() ast.Expr {
	l := p.concat()
	for {
		pos := p.tok.pos
		if _, ok := l.(*ast.Period); ok && periodWords[p.tok.text] && p.tok.kind == tWord {
			l = p.periodPredicate(l)
			continue
		}
		if op, ok := comparisons[p.tok.text]; ok && p.tok.kind == tOp {
			p.advance()
			l = &ast.Binary{Pos: pos, Op: op, L: l, R: p.concat()}
			continue
		}
		if p.accept("IS") {
			not := p.accept("NOT")
			switch {
			case p.accept("NULL"):
				l = &ast.IsNull{Pos: pos, X: l, Not: not}
			case p.isWord("TRUE") || p.isWord("FALSE") || p.isWord("UNKNOWN"):
				l = &ast.IsTruth{Pos: pos, X: l, Not: not, Value: p.tok.text}
				p.advance()
			case p.accept("DISTINCT", "FROM"):
				l = &ast.IsDistinct{Pos: pos, L: l, R: p.concat(), Not: not}
			default:
				p.fail("expected NULL, TRUE, FALSE, UNKNOWN or DISTINCT FROM after IS, found %s", p.tok)
			}
			continue
		}
		not := false
		if p.isWord("NOT") {
			next := p.peek(1)
			if next.kind != tWord || (next.text != "IN" && next.text != "BETWEEN" && next.text != "LIKE" && next.text != "SIMILAR") {
				return l
			}
			p.advance()
			not = true
		}
		switch {
		case p.accept("IN"):
			in := &ast.InList{Pos: pos, X: l, Not: not}
			p.expectOp("(")
			if p.isWord("SELECT") || p.isWord("VALUES") {
				in.Query = p.query()
			} else {
				in.List = p.exprList()
			}
			p.expectOp(")")
			l = in
		case p.accept("BETWEEN"):
			b := &ast.Between{Pos: pos, X: l, Not: not}
			b.Symmetric = p.accept("SYMMETRIC")
			if !b.Symmetric {
				p.accept("ASYMMETRIC")
			}
			b.Lo = p.concat()
			p.expect("AND")
			b.Hi = p.concat()
			l = b
		case p.accept("LIKE"):
			l = p.likeRest(&ast.Like{Pos: pos, X: l, Not: not})
		case p.accept("SIMILAR", "TO"):
			l = p.likeRest(&ast.Like{Pos: pos, X: l, Not: not, Similar: true})
		default:
			if not {
				p.fail("expected IN, BETWEEN, LIKE or SIMILAR TO after NOT, found %s", p.tok)
			}
			return l
		}
	}
}

// periodWords start a temporal predicate after a period.
var periodWords = map[string]bool{
	"EQUALS": true, "CONTAINS": true, "OVERLAPS": true, "PRECEDES": true, "SUCCEEDS": true,
	"LEADS": true, "LAGS": true, "STRICTLY": true, "IMMEDIATELY": true,
}

// periodPredicate reads the temporal predicates after the period left,
// chained while a period is followed by another predicate:
//
//	period [STRICTLY | IMMEDIATELY] op right [op right]...
func (p *parser) periodPredicate(left ast.Expr) ast.Expr {
	pp := &ast.PeriodPredicate{Pos: left.Position(), Operands: []ast.Expr{left}}
	for {
		op := ast.PeriodOp{Pos: p.tok.pos}
		if p.isWord("STRICTLY") || p.isWord("IMMEDIATELY") {
			op.Qualifier = p.tok.text
			p.advance()
		}
		if p.tok.kind != tWord || !periodWords[p.tok.text] || p.tok.text == "STRICTLY" || p.tok.text == "IMMEDIATELY" {
			p.fail("expected CONTAINS, OVERLAPS, PRECEDES, SUCCEEDS, LEADS or LAGS after %s, found %s", op.Qualifier, p.tok)
		}
		op.Name = p.tok.text
		switch {
		case op.Qualifier == "STRICTLY" && op.Name == "EQUALS",
			op.Qualifier == "IMMEDIATELY" && (op.Name == "EQUALS" || op.Name == "CONTAINS" || op.Name == "OVERLAPS"):
			p.failAt(op.Pos, "%s %s is not a temporal predicate: STRICTLY goes with CONTAINS, OVERLAPS, PRECEDES, SUCCEEDS, LEADS and LAGS, IMMEDIATELY with PRECEDES, SUCCEEDS, LEADS and LAGS", op.Qualifier, op.Name)
		}
		p.advance()
		right := p.concat()
		pp.Ops = append(pp.Ops, op)
		pp.Operands = append(pp.Operands, right)
		if _, ok := right.(*ast.Period); !ok || p.tok.kind != tWord || !periodWords[p.tok.text] {
			return pp
		}
	}
}

func (p *parser) likeRest(l *ast.Like) ast.Expr {
	l.Pattern = p.concat()
	if p.accept("ESCAPE") {
		l.Escape = p.concat()
	}
	return l
}

func (p *parser) concat() ast.Expr {
	l := p.additive()
	for p.isOp("||") {
		pos := p.tok.pos
		p.advance()
		l = &ast.Binary{Pos: pos, Op: "||", L: l, R: p.additive()}
	}
	return l
}

func (p *parser) additive() ast.Expr {
	l := p.multiplicative()
	for p.isOp("+") || p.isOp("-") {
		pos, op := p.tok.pos, p.tok.text
		p.advance()
		l = &ast.Binary{Pos: pos, Op: op, L: l, R: p.multiplicative()}
	}
	return l
}

func (p *parser) multiplicative() ast.Expr {
	l := p.unary()
	for p.isOp("*") || p.isOp("/") || p.isOp("%") {
		pos, op := p.tok.pos, p.tok.text
		p.advance()
		l = &ast.Binary{Pos: pos, Op: op, L: l, R: p.unary()}
	}
	return l
}

func (p *parser) unary() ast.Expr {
	if p.isOp("-") || p.isOp("+") {
		pos, op := p.tok.pos, p.tok.text
		p.advance()
		p.enter()
		defer p.leave()
		return &ast.Unary{Pos: pos, Op: op, X: p.unary()}
	}
	return p.primary()
}

func (p *parser) primary() ast.Expr {
	t := p.tok
	switch t.kind {
	case tNumber:
		p.advance()
		return &ast.Literal{Pos: t.pos, Kind: ast.NumberLit, Text: t.text}
	case tString:
		p.advance()
		return &ast.Literal{Pos: t.pos, Kind: ast.StringLit, Text: t.text}
	case tBinary:
		p.advance()
		return &ast.Literal{Pos: t.pos, Kind: ast.BinaryLit, Text: t.text}
	case tQuoted:
		return p.nameOrCall()
	case tOp:
		if t.text == "(" {
			return p.parenthesised()
		}
		p.fail("expected an expression, found %s", t)
	case tEOF:
		p.fail("expected an expression, found the end of the input")
	}
	// A word.
	switch t.text {
	case "NULL":
		p.advance()
		return &ast.Literal{Pos: t.pos, Kind: ast.NullLit, Text: "NULL"}
	case "TRUE", "FALSE", "UNKNOWN":
		p.advance()
		return &ast.Literal{Pos: t.pos, Kind: ast.BoolLit, Text: t.text}
	case "DATE", "TIME", "TIMESTAMP":
		if next := p.peek(1); next.kind == tString {
			p.advance()
			p.advance()
			kind := map[string]ast.LiteralKind{"DATE": ast.DateLit, "TIME": ast.TimeLit, "TIMESTAMP": ast.TimestampLit}[t.text]
			return &ast.Literal{Pos: t.pos, Kind: kind, Text: next.text}
		}
		p.fail("expected a quoted value after %s, as in %s '...'", t.text, t.text)
	case "INTERVAL":
		return p.intervalLiteral()
	case "CASE":
		return p.caseExpr()
	case "CAST":
		p.advance()
		p.expectOp("(")
		c := &ast.Cast{Pos: t.pos, X: p.expr()}
		p.expect("AS")
		c.Type = p.typeName()
		p.expectOp(")")
		return c
	case "PERIOD":
		if p.peek(1).kind == tOp && p.peek(1).text == "(" {
			p.advance()
			p.advance()
			return p.periodRest(t.pos, p.expr())
		}
	case "EXISTS":
		p.advance()
		p.expectOp("(")
		q := p.query()
		p.expectOp(")")
		return &ast.Exists{Pos: t.pos, Query: q}
	case "CURSOR":
		p.advance()
		p.expectOp("(")
		q := p.query()
		p.expectOp(")")
		return &ast.Cursor{Pos: t.pos, Query: q}
	}
	if p.peek(1).kind == tOp && p.peek(1).text == "(" {
		if e := p.specialForm(); e != nil {
			return e
		}
	}
	if ast.IsNiladic(t.text) && !(p.peek(1).kind == tOp && p.peek(1).text == "(") {
		p.advance()
		return &ast.FuncCall{Pos: t.pos, Name: []ast.Ident{{Pos: t.pos, Name: t.text}}}
	}
	return p.nameOrCall()
}

// parenthesised reads ( expr ), ( query ), and the interval conversion
// ( expr ) unit [TO unit].
func (p *parser) parenthesised() ast.Expr {
	pos := p.tok.pos
	if p.startsQuery(1) {
		p.advance()
		q := p.query()
		p.expectOp(")")
		return &ast.ScalarQuery{Pos: pos, Query: q}
	}
	p.advance()
	x := p.expr()
	if p.isOp(",") {
		return p.periodRest(pos, x)
	}
	p.expectOp(")")
	if isUnit(p.tok) {
		return &ast.IntervalConv{Pos: pos, X: x, Qualifier: p.intervalQualifier()}
	}
	return x
}

// periodRest reads the rest of a period, from the comma after its start
// to the closing parenthesis: [PERIOD] (start, end).
func (p *parser) periodRest(pos ast.Pos, start ast.Expr) ast.Expr {
	if !p.acceptOp(",") {
		p.fail("expected , in PERIOD (start, end), found %s", p.tok)
	}
	end := p.expr()
	if p.isOp(",") {
		p.fail("a period is (start, end): two times, not more")
	}
	p.expectOp(")")
	return &ast.Period{Pos: pos, Start: start, End: end}
}

// nameOrCall reads a possibly qualified name, and the call if ( follows.
func (p *parser) nameOrCall() ast.Expr {
	pos := p.tok.pos
	parts := []ast.Ident{p.ident("an expression")}
	for p.isOp(".") {
		p.advance()
		if p.tok.kind == tWord && p.tok.text == "ROWTIME" {
			parts = append(parts, ast.Ident{Pos: p.tok.pos, Name: "ROWTIME"})
			p.advance()
			continue
		}
		parts = append(parts, p.ident("a name after ."))
	}
	if !p.isOp("(") {
		return &ast.ColumnRef{Pos: pos, Parts: parts}
	}
	p.advance()
	call := &ast.FuncCall{Pos: pos, Name: parts}
	switch {
	case p.acceptOp("*"):
		call.Star = true
	case p.isOp(")"):
	default:
		if p.accept("DISTINCT") {
			call.Distinct = true
		} else {
			p.accept("ALL")
		}
		call.Args = p.exprList()
	}
	p.expectOp(")")
	if p.accept("FROM", "FIRST") {
		call.FromEnd = "FROM FIRST"
	} else if p.accept("FROM", "LAST") {
		call.FromEnd = "FROM LAST"
	}
	if p.accept("IGNORE", "NULLS") {
		call.NullTreatment = "IGNORE NULLS"
	} else if p.accept("RESPECT", "NULLS") {
		call.NullTreatment = "RESPECT NULLS"
	}
	if p.accept("OVER") {
		call.Over = p.windowSpec()
	}
	return call
}

// specialForm reads the functions whose arguments use keywords: FLOOR and
// CEIL ... TO, STEP ... BY, EXTRACT ... FROM, SUBSTRING, POSITION, TRIM,
// OVERLAY.
// It returns nil for an ordinary call of those names.
func (p *parser) specialForm() ast.Expr {
	t := p.tok
	switch t.text {
	case "FLOOR", "CEIL", "CEILING":
		p.advance()
		p.advance()
		x := p.expr()
		if p.accept("TO") {
			unit := p.unitWord()
			p.expectOp(")")
			return &ast.FloorCeil{Pos: t.pos, Ceil: t.text != "FLOOR", X: x, Unit: unit}
		}
		p.expectOp(")")
		name := t.text
		if name == "CEILING" {
			name = "CEIL"
		}
		return &ast.FuncCall{Pos: t.pos, Name: []ast.Ident{{Pos: t.pos, Name: name}}, Args: []ast.Expr{x}}
	case "STEP":
		p.advance()
		p.advance()
		s := &ast.Step{Pos: t.pos, X: p.expr()}
		p.expect("BY")
		s.Interval = p.expr()
		p.expectOp(")")
		return s
	case "EXTRACT":
		p.advance()
		p.advance()
		e := &ast.Extract{Pos: t.pos, Unit: p.unitWord()}
		p.expect("FROM")
		e.X = p.expr()
		p.expectOp(")")
		return e
	case "SUBSTRING":
		p.advance()
		p.advance()
		s := &ast.Substring{Pos: t.pos, X: p.expr()}
		switch {
		case p.accept("FROM"):
			s.From = p.expr()
			if p.accept("FOR") {
				s.For = p.expr()
			}
		case p.accept("SIMILAR"):
			s.Similar = true
			s.From = p.expr()
			p.expect("ESCAPE")
			s.For = p.expr()
		case p.acceptOp(","):
			s.From = p.expr()
			if p.acceptOp(",") {
				s.For = p.expr()
			}
		default:
			p.fail("expected FROM, SIMILAR or , in SUBSTRING, found %s", p.tok)
		}
		p.expectOp(")")
		return s
	case "POSITION":
		p.advance()
		p.advance()
		pos := &ast.Position{Pos: t.pos, Needle: p.concat()}
		p.expect("IN")
		pos.Haystack = p.concat()
		if p.accept("FROM") {
			pos.From = p.expr()
		}
		p.expectOp(")")
		return pos
	case "OVERLAY":
		p.advance()
		p.advance()
		x := p.expr()
		if p.acceptOp(",") { // OVERLAY(s, r, start [, length]): an ordinary call
			call := &ast.FuncCall{Pos: t.pos, Name: []ast.Ident{{Pos: t.pos, Name: t.text}}, Args: append([]ast.Expr{x}, p.exprList()...)}
			p.expectOp(")")
			return call
		}
		o := &ast.Overlay{Pos: t.pos, X: x}
		p.expect("PLACING")
		o.Placing = p.expr()
		p.expect("FROM")
		o.From = p.expr()
		if p.accept("FOR") {
			o.For = p.expr()
		}
		p.expectOp(")")
		return o
	case "TRIM":
		p.advance()
		p.advance()
		tr := &ast.Trim{Pos: t.pos}
		if p.isWord("BOTH") || p.isWord("LEADING") || p.isWord("TRAILING") {
			tr.Side = p.tok.text
			p.advance()
		}
		if !p.isWord("FROM") {
			x := p.expr()
			if !p.accept("FROM") {
				if tr.Side != "" {
					p.fail("expected FROM in TRIM(%s ...), found %s", tr.Side, p.tok)
				}
				tr.X = x // TRIM(x)
				p.expectOp(")")
				return tr
			}
			tr.Chars = x
		} else {
			p.advance()
		}
		tr.X = p.expr()
		p.expectOp(")")
		return tr
	}
	return nil
}

func (p *parser) unitWord() string {
	if !isUnit(p.tok) {
		p.fail("expected a time unit (YEAR, MONTH, DAY, HOUR, MINUTE or SECOND), found %s", p.tok)
	}
	u := p.tok.text
	p.advance()
	return u
}

func (p *parser) intervalLiteral() ast.Expr {
	lit := &ast.IntervalLit{Pos: p.expect("INTERVAL")}
	if p.acceptOp("-") {
		lit.Negative = true
	} else {
		p.acceptOp("+")
	}
	if p.tok.kind != tString {
		p.fail("expected the interval's value as a quoted string, as in INTERVAL '10' SECOND, found %s", p.tok)
	}
	lit.Value = p.tok.text
	p.advance()
	lit.Qualifier = p.intervalQualifier()
	return lit
}

// intervalQualifier reads unit [(p[, f])] [TO unit [(f)]].
func (p *parser) intervalQualifier() ast.IntervalQualifier {
	pos := p.tok.pos
	q := ast.IntervalQualifier{Start: p.unitWord(), StartPrecision: -1, FractionPrecision: -1}
	if p.acceptOp("(") {
		q.StartPrecision = p.smallNumber()
		if q.Start == "SECOND" && p.acceptOp(",") {
			q.FractionPrecision = p.smallNumber()
		}
		p.expectOp(")")
	}
	if p.accept("TO") {
		q.End = p.unitWord()
		if q.End == "SECOND" && p.acceptOp("(") {
			q.FractionPrecision = p.smallNumber()
			p.expectOp(")")
		}
		if unitRank(q.End) <= unitRank(q.Start) {
			p.failAt(pos, "interval %s TO %s: the second unit must be smaller than the first", q.Start, q.End)
		}
		if (unitRank(q.Start) <= 1) != (unitRank(q.End) <= 1) {
			p.failAt(pos, "interval %s TO %s mixes year-month and day-time units", q.Start, q.End)
		}
	}
	return q
}

func unitRank(u string) int {
	for i, v := range intervalUnits {
		if v == u {
			return i
		}
	}
	return -1
}

func (p *parser) smallNumber() int {
	if p.tok.kind != tNumber {
		p.fail("expected a precision, found %s", p.tok)
	}
	n, err := strconv.Atoi(p.tok.text)
	if err != nil || n > 1000 {
		p.fail("precision %s is not a small whole number", p.tok.text)
	}
	p.advance()
	return n
}

func (p *parser) caseExpr() ast.Expr {
	c := &ast.Case{Pos: p.expect("CASE")}
	if p.isWord("END") || p.isWord("ELSE") {
		p.fail("expected WHEN in CASE, found %s", p.tok)
	}
	if !p.isWord("WHEN") {
		c.Operand = p.expr()
	}
	for p.accept("WHEN") {
		w := ast.When{Cond: p.expr()}
		p.expect("THEN")
		w.Result = p.expr()
		c.Whens = append(c.Whens, w)
	}
	if len(c.Whens) == 0 {
		p.fail("expected WHEN in CASE, found %s", p.tok)
	}
	if p.accept("ELSE") {
		c.Else = p.expr()
	}
	p.expect("END")
	return c
}
