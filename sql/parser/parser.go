// Package parser reads Kinesis Data Analytics SQL (the SQLstream dialect)
// into the syntax tree of package ast. It reports every error in a script,
// each with its line and column: after an error it skips to the end of the
// statement and carries on with the next.
package parser

import (
	"slices"
	"strconv"

	"github.com/riffle-sql/riffle/sql/ast"
)

// Parse reads a whole application script. On errors it returns the
// statements it could read and an ErrorList.
func Parse(src string) (*ast.Script, error) {
	p := newParser(src)
	script := &ast.Script{}
	for p.tok.kind != tEOF {
		if p.isOp(";") {
			p.advance()
			continue
		}
		if st := p.statement(); st != nil {
			script.Statements = append(script.Statements, st)
		}
	}
	if len(p.errs.errs) > 0 {
		return script, ErrorList(p.errs.errs).Sorted()
	}
	return script, nil
}

// ParseType reads a type as written in SQL, such as VARCHAR(16) or DOUBLE
// PRECISION (for schemas given as JSON).
func ParseType(src string) (ast.TypeName, error) {
	p := newParser(src)
	var t ast.TypeName
	p.guard(func() {
		t = p.typeName()
		if p.tok.kind != tEOF {
			p.fail("unexpected %s after the type", p.tok)
		}
	})
	if len(p.errs.errs) > 0 {
		return t, ErrorList(p.errs.errs).Sorted()
	}
	return t, nil
}

// ParseExpr reads a single expression, for tests and tools.
func ParseExpr(src string) (ast.Expr, error) {
	p := newParser(src)
	var e ast.Expr
	p.guard(func() {
		e = p.expr()
		if p.tok.kind != tEOF {
			p.fail("unexpected %s after the expression", p.tok)
		}
	})
	if len(p.errs.errs) > 0 {
		return e, ErrorList(p.errs.errs).Sorted()
	}
	return e, nil
}

type parser struct {
	lex  lexer
	errs errorList
	tok  token // the current token
	// ahead holds tokens read past tok, for the few places that look ahead.
	ahead []token
	// depth guards against stack exhaustion on absurd nesting.
	depth int
	// taken counts the tokens consumed (a view's size: ast.CreateView).
	taken int
}

const maxDepth = 1000

func newParser(src string) *parser {
	p := &parser{}
	p.lex = lexer{src: src, line: 1, col: 1, errs: &p.errs}
	p.advance()
	return p
}

// bailout unwinds a statement after its first syntax error.
type bailout struct{}

func (p *parser) fail(format string, args ...any) {
	p.errs.add(p.tok.pos, format, args...)
	panic(bailout{})
}

func (p *parser) failAt(pos ast.Pos, format string, args ...any) {
	p.errs.add(pos, format, args...)
	panic(bailout{})
}

// guard runs fn and absorbs a bailout.
func (p *parser) guard(fn func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, isBailout := r.(bailout); !isBailout {
				panic(r)
			}
			ok = false
		}
	}()
	fn()
	return true
}

func (p *parser) advance() {
	p.taken++
	if len(p.ahead) > 0 {
		p.tok = p.ahead[0]
		p.ahead = p.ahead[1:]
		return
	}
	p.tok = p.lex.scan()
}

// peek returns the token n places after the current one (peek(1) is next).
func (p *parser) peek(n int) token {
	for len(p.ahead) < n {
		p.ahead = append(p.ahead, p.lex.scan())
	}
	return p.ahead[n-1]
}

func (p *parser) isOp(op string) bool  { return p.tok.kind == tOp && p.tok.text == op }
func (p *parser) isWord(w string) bool { return p.tok.kind == tWord && p.tok.text == w }

func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.advance()
		return true
	}
	return false
}

func (p *parser) accept(words ...string) bool {
	for i, w := range words {
		t := p.tok
		if i > 0 {
			t = p.peek(i)
		}
		if t.kind != tWord || t.text != w {
			return false
		}
	}
	for range words {
		p.advance()
	}
	return true
}

func (p *parser) expectOp(op string) ast.Pos {
	pos := p.tok.pos
	if !p.acceptOp(op) {
		p.fail("expected %s, found %s", op, p.tok)
	}
	return pos
}

func (p *parser) expect(word string) ast.Pos {
	pos := p.tok.pos
	if !p.accept(word) {
		p.fail("expected %s, found %s", word, p.tok)
	}
	return pos
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.fail("expression nested too deeply")
	}
}

func (p *parser) leave() { p.depth-- }

// statement parses one statement; on a syntax error it records it, skips
// to the next semicolon and returns nil.
func (p *parser) statement() ast.Statement {
	var st ast.Statement
	ok := p.guard(func() {
		st = p.statementBody()
		if !p.isOp(";") && p.tok.kind != tEOF {
			p.fail("expected ; after the statement, found %s", p.tok)
		}
	})
	if !ok {
		p.depth = 0
		for p.tok.kind != tEOF && !p.isOp(";") {
			p.advance()
		}
		return nil
	}
	return st
}

func (p *parser) statementBody() ast.Statement {
	pos := p.tok.pos
	switch {
	case p.isWord("CREATE"):
		p.advance()
		orReplace := p.accept("OR", "REPLACE")
		switch {
		case p.accept("STREAM"):
			return p.createStream(pos, orReplace)
		case p.accept("PUMP"):
			return p.createPump(pos, orReplace)
		case p.accept("VIEW"):
			return p.createView(pos, orReplace)
		case p.isWord("FUNCTION"):
			p.fail("CREATE FUNCTION is not supported: applications use the built-in functions")
		case p.isWord("TABLE"):
			p.fail("CREATE TABLE is not supported: tables come from reference data sources")
		}
		p.fail("expected STREAM, PUMP or VIEW after CREATE, found %s", p.tok)
	case p.isWord("INSERT"):
		return p.insert()
	case p.isWord("SELECT") || p.isWord("VALUES"):
		p.fail("a query on its own does nothing in an application: put it in a pump (CREATE PUMP ... AS INSERT INTO ... SELECT ...)")
	}
	p.fail("expected CREATE STREAM, CREATE PUMP or CREATE VIEW, found %s", p.tok)
	return nil
}

func (p *parser) createStream(pos ast.Pos, orReplace bool) *ast.CreateStream {
	s := &ast.CreateStream{Pos: pos, OrReplace: orReplace, Name: p.ident("a stream name")}
	p.expectOp("(")
	for {
		col := ast.ColumnDef{Name: p.ident("a column name")}
		col.Type = p.typeName()
		if p.accept("NOT", "NULL") {
			col.NotNull = true
		} else {
			p.accept("NULL")
		}
		s.Columns = append(s.Columns, col)
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	s.Description = p.description()
	return s
}

func (p *parser) description() *string {
	if !p.accept("DESCRIPTION") {
		return nil
	}
	if p.tok.kind != tString {
		p.fail("expected a string after DESCRIPTION, found %s", p.tok)
	}
	d := p.tok.text
	p.advance()
	return &d
}

func (p *parser) createPump(pos ast.Pos, orReplace bool) *ast.CreatePump {
	s := &ast.CreatePump{Pos: pos, OrReplace: orReplace, Name: p.ident("a pump name")}
	if p.isWord("STARTED") || p.isWord("STOPPED") {
		s.State, s.StatePos = p.tok.text, p.tok.pos
		p.advance()
	}
	s.Description = p.description()
	p.expect("AS")
	if !p.isWord("INSERT") {
		p.fail("expected INSERT INTO after AS in a pump, found %s", p.tok)
	}
	s.Insert = p.insert()
	return s
}

func (p *parser) createView(pos ast.Pos, orReplace bool) *ast.CreateView {
	start := p.taken
	s := &ast.CreateView{Pos: pos, OrReplace: orReplace, Name: p.ident("a view name")}
	if p.acceptOp("(") {
		s.Columns = p.identList()
		p.expectOp(")")
	}
	p.expect("AS")
	s.Query = p.query()
	s.Tokens = p.taken - start
	return s
}

func (p *parser) insert() *ast.Insert {
	s := &ast.Insert{Pos: p.expect("INSERT")}
	s.Expedited = p.accept("EXPEDITED")
	p.expect("INTO")
	s.Target = p.ident("a stream name")
	if p.isOp("(") && !p.startsQuery(1) {
		p.advance()
		s.Columns = p.identList()
		p.expectOp(")")
	}
	s.Query = p.query()
	return s
}

// startsQuery tells whether the token n places ahead begins a query.
func (p *parser) startsQuery(n int) bool {
	t := p.peek(n)
	return t.kind == tWord && (t.text == "SELECT" || t.text == "VALUES")
}

func (p *parser) identList() []ast.Ident {
	var ids []ast.Ident
	for {
		ids = append(ids, p.ident("a name"))
		if !p.acceptOp(",") {
			return ids
		}
	}
}

// ident reads a name: a quoted identifier, or an unquoted word that is not
// reserved.
func (p *parser) ident(what string) ast.Ident {
	t := p.tok
	switch {
	case t.kind == tQuoted:
		p.advance()
		return ast.Ident{Pos: t.pos, Name: t.text, Quoted: true}
	case t.kind == tWord && !reserved[t.text]:
		p.advance()
		return ast.Ident{Pos: t.pos, Name: t.text}
	case t.kind == tWord:
		p.fail("expected %s, found the reserved word %s (quote it as \"%s\" to use it as a name)", what, t.text, t.text)
	}
	p.fail("expected %s, found %s", what, t)
	return ast.Ident{}
}

// typeName reads a column or CAST type and names it canonically.
func (p *parser) typeName() ast.TypeName {
	t := ast.TypeName{Pos: p.tok.pos}
	if p.tok.kind != tWord {
		p.fail("expected a type, found %s", p.tok)
	}
	word := p.tok.text
	p.advance()
	maxArgs := 0
	switch word {
	case "BOOLEAN", "TINYINT", "SMALLINT", "BIGINT", "REAL", "DATE":
		t.Name = word
	case "INT", "INTEGER":
		t.Name = "INTEGER"
	case "DOUBLE":
		p.accept("PRECISION")
		t.Name = "DOUBLE"
	case "FLOAT":
		t.Name = "FLOAT"
	case "DECIMAL", "DEC", "NUMERIC":
		t.Name, maxArgs = "DECIMAL", 2
	case "CHAR", "CHARACTER":
		t.Name, maxArgs = "CHAR", 1
		if p.accept("VARYING") {
			t.Name = "VARCHAR"
		}
	case "VARCHAR":
		t.Name, maxArgs = "VARCHAR", 1
	case "BINARY":
		t.Name, maxArgs = "BINARY", 1
		if p.accept("VARYING") {
			t.Name = "VARBINARY"
		}
	case "VARBINARY":
		t.Name, maxArgs = "VARBINARY", 1
	case "TIME", "TIMESTAMP":
		t.Name, maxArgs = word, 1 // fractional-second precision
	default:
		p.failAt(t.Pos, "unknown type %s", word)
	}
	if maxArgs > 0 && p.acceptOp("(") {
		for {
			if p.tok.kind != tNumber {
				p.fail("expected a number in %s(...), found %s", t.Name, p.tok)
			}
			n, err := strconv.Atoi(p.tok.text)
			if err != nil || n < 0 {
				p.fail("%s is not a valid size for %s", p.tok.text, t.Name)
			}
			t.Args = append(t.Args, n)
			p.advance()
			if len(t.Args) == maxArgs || !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
	}
	return t
}

// query reads SELECT / VALUES / (query) combined by set operators, then an
// optional ORDER BY [WITHIN].
func (p *parser) query() ast.Query {
	p.enter()
	defer p.leave()
	q := p.queryPrimary()
	for {
		pos := p.tok.pos
		var op string
		switch {
		case p.accept("UNION"):
			op = "UNION"
		case p.accept("EXCEPT"):
			op = "EXCEPT"
		case p.accept("INTERSECT"):
			op = "INTERSECT"
		default:
			return p.orderBy(q)
		}
		all := p.accept("ALL")
		if !all {
			p.accept("DISTINCT")
		}
		q = &ast.SetOp{Pos: pos, Op: op, All: all, Left: q, Right: p.queryPrimary()}
	}
}

func (p *parser) orderBy(q ast.Query) ast.Query {
	if !p.accept("ORDER", "BY") {
		return q
	}
	items := p.orderItems()
	switch q := q.(type) {
	case *ast.Select:
		if q.OrderBy != nil {
			p.fail("a query has one ORDER BY")
		}
		q.OrderBy = items
		if p.accept("WITHIN") {
			q.Within = p.additive()
			if len(items) == 1 && p.acceptOp(",") {
				// ORDER BY t WITHIN i, other keys (the SQLstream form).
				q.OrderBy = append(q.OrderBy, p.orderItems()...)
			}
		}
	case *ast.SetOp:
		q.OrderBy = items
	default:
		p.fail("ORDER BY needs a SELECT or UNION ALL")
	}
	return q
}

func (p *parser) orderItems() []ast.OrderItem {
	var items []ast.OrderItem
	for {
		it := ast.OrderItem{Expr: p.expr()}
		if p.accept("DESC") {
			it.Desc = true
		} else {
			p.accept("ASC")
		}
		items = append(items, it)
		if !p.acceptOp(",") {
			return items
		}
	}
}

func (p *parser) queryPrimary() ast.Query {
	switch {
	case p.isWord("SELECT"):
		return p.selectBlock()
	case p.isWord("VALUES"):
		return p.values()
	case p.isOp("("):
		p.advance()
		q := p.query()
		p.expectOp(")")
		return q
	}
	p.fail("expected SELECT, VALUES or (, found %s", p.tok)
	return nil
}

func (p *parser) values() *ast.Values {
	v := &ast.Values{Pos: p.expect("VALUES")}
	for {
		p.expectOp("(")
		v.Rows = append(v.Rows, p.exprList())
		p.expectOp(")")
		if !p.acceptOp(",") {
			return v
		}
	}
}

func (p *parser) exprList() []ast.Expr {
	var es []ast.Expr
	for {
		es = append(es, p.expr())
		if !p.acceptOp(",") {
			return es
		}
	}
}

func (p *parser) selectBlock() *ast.Select {
	s := &ast.Select{Pos: p.expect("SELECT")}
	s.Stream = p.accept("STREAM")
	if p.accept("DISTINCT") {
		s.Distinct = true
	} else {
		p.accept("ALL")
	}
	for {
		s.Items = append(s.Items, p.selectItem())
		if !p.acceptOp(",") {
			break
		}
	}
	if p.accept("FROM") {
		for {
			s.From = append(s.From, p.tableRef())
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.accept("WHERE") {
		s.Where = p.expr()
	}
	if p.accept("GROUP", "BY") {
		s.GroupBy = p.exprList()
	}
	if p.accept("WINDOWED", "BY") {
		s.Stagger = p.stagger()
	}
	if p.accept("HAVING") {
		s.Having = p.expr()
	}
	if p.accept("WINDOW") {
		for {
			w := ast.NamedWindow{Name: p.ident("a window name")}
			p.expect("AS")
			w.Spec = p.windowSpec()
			s.Windows = append(s.Windows, w)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	return s
}

func (p *parser) stagger() *ast.Stagger {
	s := &ast.Stagger{Pos: p.expect("STAGGER")}
	p.expectOp("(")
	p.expect("PARTITION")
	p.expect("BY")
	s.PartitionBy = p.exprList()
	p.expect("RANGE")
	s.Range = p.additive()
	p.expectOp(")")
	return s
}

func (p *parser) selectItem() ast.SelectItem {
	pos := p.tok.pos
	if p.acceptOp("*") {
		return ast.SelectItem{Pos: pos, Star: true}
	}
	// qualifier.* : names followed by . *
	if p.tok.kind == tWord || p.tok.kind == tQuoted {
		for n := 1; ; n += 2 {
			if t := p.peek(n); t.kind != tOp || t.text != "." {
				break
			}
			if t := p.peek(n + 1); t.kind == tOp && t.text == "*" {
				var q []ast.Ident
				for i := 0; i <= n/2; i++ {
					q = append(q, p.ident("a name"))
					p.expectOp(".")
				}
				p.expectOp("*")
				return ast.SelectItem{Pos: pos, Star: true, Qualifier: q}
			}
			if t := p.peek(n + 1); t.kind != tWord && t.kind != tQuoted {
				break
			}
		}
	}
	it := ast.SelectItem{Pos: pos, Expr: p.expr()}
	it.Alias = p.alias()
	return it
}

// alias reads [AS] name, where a name without AS must not be a reserved word.
func (p *parser) alias() *ast.Ident {
	if p.accept("AS") {
		id := p.ident("an alias")
		return &id
	}
	if p.tok.kind == tQuoted || p.tok.kind == tWord && !reserved[p.tok.text] {
		id := p.ident("an alias")
		return &id
	}
	return nil
}

func (p *parser) columnAliases() []ast.Ident {
	if !p.isOp("(") {
		return nil
	}
	p.advance()
	ids := p.identList()
	p.expectOp(")")
	return ids
}

func (p *parser) tableRef() ast.TableRef {
	p.enter()
	defer p.leave()
	left := p.tablePrimary()
	for {
		pos := p.tok.pos
		natural := p.accept("NATURAL")
		kind := ""
		switch {
		case p.accept("JOIN"):
			kind = "INNER"
		case p.accept("INNER", "JOIN"):
			kind = "INNER"
		case p.accept("CROSS", "JOIN"):
			kind = "CROSS"
		case p.isWord("LEFT") || p.isWord("RIGHT") || p.isWord("FULL"):
			kind = p.tok.text
			p.advance()
			p.accept("OUTER")
			p.expect("JOIN")
		default:
			if natural {
				p.fail("expected JOIN after NATURAL, found %s", p.tok)
			}
			return left
		}
		j := &ast.Join{Pos: pos, Kind: kind, Natural: natural, Left: left, Right: p.tablePrimary()}
		if kind != "CROSS" && !natural {
			switch {
			case p.accept("ON"):
				j.On = p.expr()
			case p.accept("USING"):
				p.expectOp("(")
				j.Using = p.identList()
				p.expectOp(")")
			default:
				p.fail("expected ON or USING after %s JOIN, found %s", kind, p.tok)
			}
		}
		left = j
	}
}

func (p *parser) tablePrimary() ast.TableRef {
	pos := p.tok.pos
	switch {
	case p.isWord("TABLE"):
		p.advance()
		p.expectOp("(")
		call, ok := p.expr().(*ast.FuncCall)
		if !ok {
			p.failAt(pos, "TABLE(...) takes a table function call, such as TABLE(RANDOM_CUT_FOREST(CURSOR(SELECT STREAM ...)))")
		}
		// TABLE(f(...) AS name) names the function's column (published
		// applications write it so).
		var columnAlias *ast.Ident
		if p.accept("AS") {
			id := p.ident("a column name")
			columnAlias = &id
		}
		p.expectOp(")")
		t := &ast.TableFunction{Pos: pos, Call: call, CallAlias: columnAlias, Alias: p.alias()}
		if t.Alias != nil {
			t.ColumnAliases = p.columnAliases()
		}
		return t
	case p.isOp("("):
		n := 1 // skip nested parentheses to see what they hold
		for t := p.peek(n); t.kind == tOp && t.text == "("; t = p.peek(n) {
			n++
		}
		if p.startsQuery(n) {
			p.advance()
			q := p.query()
			p.expectOp(")")
			s := &ast.Subquery{Pos: pos, Query: q, Alias: p.alias()}
			if s.Alias != nil {
				s.ColumnAliases = p.columnAliases()
			}
			return s
		}
		p.advance()
		t := p.tableRef()
		p.expectOp(")")
		return t
	}
	t := &ast.NamedTable{Pos: pos, Name: []ast.Ident{p.ident("a stream or table name")}}
	for p.acceptOp(".") {
		t.Name = append(t.Name, p.ident("a name"))
	}
	if p.accept("OVER") {
		t.Over = p.windowSpec()
	}
	t.Alias = p.alias()
	if t.Alias != nil {
		t.ColumnAliases = p.columnAliases()
	}
	return t
}

// windowSpec reads a window name or a parenthesised specification.
func (p *parser) windowSpec() *ast.WindowSpec {
	w := &ast.WindowSpec{Pos: p.tok.pos}
	if !p.acceptOp("(") {
		id := p.ident("a window name or (")
		w.Ref = &id
		return w
	}
	if p.tok.kind == tQuoted || p.tok.kind == tWord && !reserved[p.tok.text] {
		id := p.ident("a window name")
		w.Ref = &id
	}
	if p.accept("PARTITION", "BY") {
		w.PartitionBy = p.exprList()
	}
	if p.accept("ORDER", "BY") {
		w.OrderBy = p.orderItems()
	}
	if p.isWord("ROWS") || p.isWord("RANGE") {
		w.Frame = p.frame()
	}
	p.expectOp(")")
	return w
}

func (p *parser) frame() *ast.Frame {
	f := &ast.Frame{Pos: p.tok.pos, Rows: p.isWord("ROWS")}
	p.advance()
	if p.accept("BETWEEN") {
		f.Start = p.frameBound()
		p.expect("AND")
		end := p.frameBound()
		f.End = &end
		return f
	}
	f.Start = p.frameBound()
	return f
}

func (p *parser) frameBound() ast.FrameBound {
	switch {
	case p.accept("CURRENT", "ROW"):
		return ast.FrameBound{CurrentRow: true}
	case p.accept("UNBOUNDED"):
		return ast.FrameBound{Unbounded: true, Following: p.precedingOrFollowing()}
	}
	b := ast.FrameBound{Offset: p.additive()}
	b.Following = p.precedingOrFollowing()
	return b
}

func (p *parser) precedingOrFollowing() bool {
	switch {
	case p.accept("PRECEDING"):
		return false
	case p.accept("FOLLOWING"):
		return true
	}
	p.fail("expected PRECEDING or FOLLOWING, found %s", p.tok)
	return false
}

// reserved words cannot be bare names: they end expressions and items.
var reserved = map[string]bool{}

func init() {
	for _, w := range []string{
		"ALL", "AND", "AS", "ASC", "BETWEEN", "BY", "CASE", "CAST", "CREATE", "CROSS", "CURRENT",
		"CURSOR", "DATE", "DESC", "DISTINCT", "ELSE", "END", "ESCAPE", "EXCEPT", "EXISTS", "FALSE",
		"FOLLOWING", "FOR", "FROM", "FULL", "GROUP", "HAVING", "IN", "INNER", "INSERT", "INTERSECT",
		"INTERVAL", "INTO", "IS", "JOIN", "LEFT", "LIKE", "NATURAL", "NOT", "NULL", "ON", "OR",
		"ORDER", "OUTER", "OVER", "PARTITION", "PRECEDING", "RANGE", "RIGHT", "ROWS", "SELECT",
		"SIMILAR", "STREAM", "TABLE", "THEN", "TIME", "TIMESTAMP", "TO", "TRUE", "UNBOUNDED",
		"UNION", "UNKNOWN", "USING", "VALUES", "WHEN", "WHERE", "WINDOW", "WINDOWED", "WITHIN",
	} {
		reserved[w] = true
	}
}

var intervalUnits = []string{"YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"}

func isUnit(t token) bool { return t.kind == tWord && slices.Contains(intervalUnits, t.text) }
