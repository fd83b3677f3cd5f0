package logparse

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/riffle-sql/riffle/sql/types"
)

// FAST_REGEX_LOG_PARSE(str, pattern) takes its own pattern language (the
// automaton syntax the reference tabulates: [..], [^..], |, ? * + {n,m},
// ., # the empty language, @ any string, "literal", () the empty string,
// <Digit> and the other named classes, <n-m> numbers, \c) and matches
// without backtracking, as the reference describes:
//
//   - the pattern is cut into pieces, one per top-level parenthesised
//     group (a field) and one per stretch between groups; the fixed-length
//     start of a piece moves to the end of the piece before it, and a piece
//     that is all fixed-length joins the piece before it;
//   - the pieces match one after the other, never revisited: a piece that
//     starts a field takes the shortest text it matches (lazy), a piece
//     between fields the longest, and the last piece must take the rest of
//     the line;
//   - each field is the text its group's parts matched.
//
// A line the pattern does not account for gives no row at all (the
// reference's example A shows "No rows selected"). This reproduces the
// reference's examples A, B and C; its first example prints COLUMN2 as
// 'a_little_lamb', which no reading of its pattern gives (the '_.*' after
// the group must take '_lamb'): Riffle gives 'a_little'. The intersection
// operator & is not supported (RE2 has none).

// fnode is a node of a parsed fast-regex pattern.
type fnode struct {
	kind     byte   // 'l' leaf (one Go atom), 'c' concatenation, 'u' union, 'r' repetition, 'g' field group
	re       string // leaf: the Go syntax
	fixed    int    // leaf: its length in characters, or -1
	kids     []*fnode
	min, max int // repetition; max -1: unbounded
}

// fixedLen is the node's length in characters when every match has the
// same length.
func (n *fnode) fixedLen() (int, bool) {
	switch n.kind {
	case 'l':
		return n.fixed, n.fixed >= 0
	case 'c', 'g':
		total := 0
		for _, k := range n.kids {
			l, ok := k.fixedLen()
			if !ok {
				return 0, false
			}
			total += l
		}
		return total, true
	case 'u':
		l0 := -1
		for _, k := range n.kids {
			l, ok := k.fixedLen()
			if !ok || l0 >= 0 && l != l0 {
				return 0, false
			}
			l0 = l
		}
		return l0, l0 >= 0
	case 'r':
		if n.min != n.max {
			return 0, false
		}
		l, ok := n.kids[0].fixedLen()
		return l * n.min, ok
	}
	return 0, false
}

// goRE writes the node in Go's syntax.
func (n *fnode) goRE() string {
	switch n.kind {
	case 'l':
		return n.re
	case 'c', 'g':
		var b strings.Builder
		b.WriteString("(?:")
		for _, k := range n.kids {
			b.WriteString(k.goRE())
		}
		b.WriteString(")")
		return b.String()
	case 'u':
		parts := make([]string, len(n.kids))
		for i, k := range n.kids {
			parts[i] = k.goRE()
		}
		return "(?:" + strings.Join(parts, "|") + ")"
	}
	inner := "(?:" + n.kids[0].goRE() + ")"
	switch {
	case n.min == 0 && n.max < 0:
		return inner + "*"
	case n.min == 1 && n.max < 0:
		return inner + "+"
	case n.min == 0 && n.max == 1:
		return inner + "?"
	case n.max < 0:
		return fmt.Sprintf("%s{%d,}", inner, n.min)
	}
	return fmt.Sprintf("%s{%d,%d}", inner, n.min, n.max)
}

type fastParser struct {
	src   []rune
	i     int
	depth int // parentheses open: only the outermost make fields
}

type fastError struct {
	off int
	msg string
}

func (e *fastError) Error() string { return e.msg }

func (p *fastParser) fail(off int, format string, args ...any) error {
	return &fastError{off, fmt.Sprintf(format, args...)}
}

func (p *fastParser) peek() rune {
	if p.i < len(p.src) {
		return p.src[p.i]
	}
	return -1
}

func (p *fastParser) union() (*fnode, error) {
	first, err := p.concat()
	if err != nil {
		return nil, err
	}
	if p.peek() != '|' {
		return first, nil
	}
	u := &fnode{kind: 'u', kids: []*fnode{first}}
	for p.peek() == '|' {
		p.i++
		k, err := p.concat()
		if err != nil {
			return nil, err
		}
		u.kids = append(u.kids, k)
	}
	return u, nil
}

func (p *fastParser) concat() (*fnode, error) {
	c := &fnode{kind: 'c'}
	for p.i < len(p.src) && p.peek() != ')' && p.peek() != '|' {
		if p.peek() == '&' {
			return nil, p.fail(p.i, "the intersection operator & is not supported: RE2, the regular expression engine Riffle uses, has no intersection (write \\& for the character)")
		}
		k, err := p.repeat()
		if err != nil {
			return nil, err
		}
		c.kids = append(c.kids, k)
	}
	return c, nil
}

func (p *fastParser) repeat() (*fnode, error) {
	n, err := p.simple()
	if err != nil {
		return nil, err
	}
	for {
		start := p.i
		switch p.peek() {
		case '?':
			n = &fnode{kind: 'r', kids: []*fnode{n}, min: 0, max: 1}
		case '*':
			n = &fnode{kind: 'r', kids: []*fnode{n}, min: 0, max: -1}
		case '+':
			n = &fnode{kind: 'r', kids: []*fnode{n}, min: 1, max: -1}
		case '{':
			end := p.i
			for end < len(p.src) && p.src[end] != '}' {
				end++
			}
			if end == len(p.src) {
				return nil, p.fail(start, "'{' without its '}'")
			}
			lo, hi, comma := strings.Cut(string(p.src[p.i+1:end]), ",")
			min, err1 := strconv.Atoi(lo)
			max, err2 := min, error(nil)
			if comma {
				max = -1
				if hi != "" {
					max, err2 = strconv.Atoi(hi)
				}
			}
			if err1 != nil || err2 != nil || min < 0 || max >= 0 && max < min || min > 1000 || max > 1000 {
				return nil, p.fail(start, "a repetition is {n}, {n,} or {n,m}, with n <= m <= 1000")
			}
			n = &fnode{kind: 'r', kids: []*fnode{n}, min: min, max: max}
			p.i = end
		default:
			return n, nil
		}
		if n.kids[0].kind == 'g' {
			return nil, p.fail(start, "a field (a parenthesised group) cannot repeat: put the repetition inside its parentheses")
		}
		p.i++
	}
}

func leaf(re string, fixed int) *fnode { return &fnode{kind: 'l', re: re, fixed: fixed} }

// namedClasses are the reference's named patterns.
var namedClasses = map[string]string{
	"Digit": `[0-9]`, "Upper": `[A-Z]`, "Lower": `[a-z]`, "ASCII": `[\x00-\x7F]`, "Alpha": `[a-zA-Z]`,
	"Alnum": `[a-zA-Z0-9]`, "Punct": `[!-/:-@\[-` + "`" + `{-~]`, "Blank": `[ \t]`, "Space": `[ \t\n\f\r\x0B]`,
	"Cntrl": `[\x00-\x1F\x7F]`, "XDigit": `[0-9a-fA-F]`, "Print": `[!-~]`, "Graph": `[!-~]`,
}

func (p *fastParser) simple() (*fnode, error) {
	start := p.i
	r := p.src[p.i]
	p.i++
	switch r {
	case '.':
		return leaf(`(?s:.)`, 1), nil
	case '#':
		return leaf(`[^\x00-\x{10FFFF}]`, -1), nil
	case '@':
		return leaf(`(?s:.*)`, -1), nil
	case '"':
		end := p.i
		for end < len(p.src) && p.src[end] != '"' {
			end++
		}
		if end == len(p.src) {
			return nil, p.fail(start, "a \" string without its closing \"")
		}
		s := string(p.src[p.i:end])
		p.i = end + 1
		return leaf(regexp.QuoteMeta(s), utf8.RuneCountInString(s)), nil
	case '(':
		if p.peek() == ')' {
			p.i++
			return leaf(`(?:)`, 0), nil
		}
		p.depth++
		inner, err := p.union()
		p.depth--
		if err != nil {
			return nil, err
		}
		if p.peek() != ')' {
			return nil, p.fail(start, "a '(' without its ')'")
		}
		p.i++
		if p.depth > 0 {
			return inner, nil // grouping inside a field
		}
		return &fnode{kind: 'g', kids: []*fnode{inner}}, nil
	case '[':
		return p.class(start)
	case '<':
		end := p.i
		for end < len(p.src) && p.src[end] != '>' {
			end++
		}
		if end == len(p.src) {
			return nil, p.fail(start, "a '<' without its '>'")
		}
		name := string(p.src[p.i:end])
		p.i = end + 1
		if re, ok := namedClasses[name]; ok {
			return leaf(re, 1), nil
		}
		if lo, hi, ok := strings.Cut(name, "-"); ok && isDigits(lo) && isDigits(hi) {
			return numberRange(lo, hi)
		}
		return nil, p.fail(start, "unknown named pattern <%s> (known: <Digit>, <Upper>, <Lower>, <ASCII>, <Alpha>, <Alnum>, <Punct>, <Blank>, <Space>, <Cntrl>, <XDigit>, <Print>, <Graph>, or <n-m> for numbers)", name)
	case '\\':
		if p.i == len(p.src) {
			return nil, p.fail(start, "the pattern ends with a lone backslash")
		}
		c := p.src[p.i]
		p.i++
		return leaf(regexp.QuoteMeta(string(c)), 1), nil
	case '?', '*', '+', '{':
		return nil, p.fail(start, "%c repeats nothing", r)
	}
	return leaf(regexp.QuoteMeta(string(r)), 1), nil
}

func (p *fastParser) class(start int) (*fnode, error) {
	var b strings.Builder
	b.WriteByte('[')
	if p.peek() == '^' {
		b.WriteByte('^')
		p.i++
	}
	atom := func() (rune, error) {
		if p.i == len(p.src) {
			return 0, p.fail(start, "a '[' without its ']'")
		}
		r := p.src[p.i]
		p.i++
		if r == '\\' {
			if p.i == len(p.src) {
				return 0, p.fail(start, "a '[' without its ']'")
			}
			r = p.src[p.i]
			p.i++
		}
		return r, nil
	}
	n := 0
	for {
		if p.i == len(p.src) {
			return nil, p.fail(start, "a '[' without its ']'")
		}
		if p.src[p.i] == ']' && n > 0 {
			p.i++
			b.WriteByte(']')
			return leaf(b.String(), 1), nil
		}
		lo, err := atom()
		if err != nil {
			return nil, err
		}
		hi := lo
		if p.peek() == '-' && p.i+1 < len(p.src) && p.src[p.i+1] != ']' {
			p.i++
			if hi, err = atom(); err != nil {
				return nil, err
			}
			if hi < lo {
				return nil, p.fail(start, "the range %c-%c runs backwards", lo, hi)
			}
		}
		fmt.Fprintf(&b, `\x{%x}-\x{%x}`, lo, hi)
		n++
	}
}

func isDigits(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// numberRange is <n-m>: decimal numbers from n to m; with the same number
// of digits written for both, exactly that many digits (zero-padded),
// otherwise with any leading zeros.
func numberRange(loText, hiText string) (*fnode, error) {
	lo, _ := strconv.Atoi(loText)
	hi, _ := strconv.Atoi(hiText)
	if lo > hi {
		lo, hi = hi, lo
	}
	if len(loText) == len(hiText) {
		w := len(loText)
		return leaf(fixedRange(pad(lo, w), pad(hi, w)), w), nil
	}
	var alts []string
	for l := len(strconv.Itoa(lo)); l <= len(strconv.Itoa(hi)); l++ {
		a, b := lo, hi
		if l > 1 {
			a = max(a, pow10(l-1))
		}
		b = min(b, pow10(l)-1)
		alts = append(alts, fixedRange(pad(a, l), pad(b, l)))
	}
	return leaf(`0*(?:`+strings.Join(alts, "|")+`)`, -1), nil
}

func pow10(n int) int {
	p := 1
	for range n {
		p *= 10
	}
	return p
}

func pad(n, w int) string {
	s := strconv.Itoa(n)
	return strings.Repeat("0", max(0, w-len(s))) + s
}

// fixedRange matches the digit strings of one length from a to b.
func fixedRange(a, b string) string {
	switch {
	case a == b:
		return a
	case len(a) == 1:
		return "[" + a + "-" + b + "]"
	case a[0] == b[0]:
		return a[:1] + fixedRange(a[1:], b[1:])
	}
	rest := len(a) - 1
	parts := []string{a[:1] + fixedRange(a[1:], strings.Repeat("9", rest))}
	if b[0]-a[0] > 1 {
		parts = append(parts, fmt.Sprintf("[%c-%c][0-9]{%d}", a[0]+1, b[0]-1, rest))
	}
	parts = append(parts, b[:1]+fixedRange(strings.Repeat("0", rest), b[1:]))
	return "(?:" + strings.Join(parts, "|") + ")"
}

// A fastPiece is one step of the match: its core (one group's or the
// between-groups stretch's remaining part) and the fixed-length parts moved
// into it from the pieces after it.
type fastPiece struct {
	prog *syntax.Prog
	dfa  *dfa // nil when the piece has too many states for one
	core int  // the group the core belongs to, -1 between groups
	tail []tailPart
	last bool
}

type tailPart struct {
	group int // -1 between groups
	runes int
}

type fastPattern struct {
	pieces []fastPiece
	groups int
}

// compileFast parses a pattern and cuts it into pieces.
func compileFast(pattern string) (*fastPattern, error) {
	p := &fastParser{src: []rune(pattern)}
	root, err := p.union()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.src) {
		return nil, p.fail(p.i, "unmatched ')'")
	}
	items := []*fnode{root}
	if root.kind == 'c' {
		items = root.kids
	} else if hasGroup(root) {
		return nil, p.fail(0, "fields (parenthesised groups) must not sit inside | alternatives at the top of the pattern")
	}
	// Segments: each group, and each stretch of items between groups.
	type segment struct {
		group int
		items []*fnode
	}
	var segs []segment
	groups := 0
	for _, it := range items {
		if it.kind == 'g' {
			segs = append(segs, segment{group: groups, items: it.kids[0].flatten()})
			groups++
			continue
		}
		if n := len(segs); n > 0 && segs[n-1].group < 0 {
			segs[n-1].items = append(segs[n-1].items, it)
			continue
		}
		segs = append(segs, segment{group: -1, items: []*fnode{it}})
	}
	fp := &fastPattern{groups: groups}
	type building struct {
		core  int
		items []*fnode
		tail  []tailPart
	}
	var pieces []building
	for k, seg := range segs {
		items := seg.items
		if k > 0 {
			fixed, rest := leadingFixed(items)
			prev := &pieces[len(pieces)-1]
			for _, f := range fixed {
				l, _ := f.fixedLen()
				prev.items = append(prev.items, f)
				prev.tail = append(prev.tail, tailPart{group: seg.group, runes: l})
			}
			items = rest
			if len(items) == 0 {
				continue
			}
		}
		pieces = append(pieces, building{core: seg.group, items: items})
	}
	for k, b := range pieces {
		re := (&fnode{kind: 'c', kids: b.items}).goRE()
		parsed, err := syntax.Parse(re, syntax.Perl)
		if err != nil {
			return nil, p.fail(0, "bad pattern: %v", err)
		}
		prog, err := syntax.Compile(parsed.Simplify())
		if err != nil {
			return nil, p.fail(0, "bad pattern: %v", err)
		}
		fp.pieces = append(fp.pieces, fastPiece{prog: prog, dfa: buildDFA(prog), core: b.core, tail: b.tail, last: k == len(pieces)-1})
	}
	return fp, nil
}

// flatten lists a group's content as concatenated items.
func (n *fnode) flatten() []*fnode {
	if n.kind == 'c' {
		return n.kids
	}
	return []*fnode{n}
}

func hasGroup(n *fnode) bool {
	if n.kind == 'g' {
		return true
	}
	for _, k := range n.kids {
		if hasGroup(k) {
			return true
		}
	}
	return false
}

// leadingFixed splits off the fixed-length items at the start; x+ and
// x{n,m} of a fixed-length x give up their first n copies (x+ is x x*).
func leadingFixed(items []*fnode) (fixed, rest []*fnode) {
	for i, it := range items {
		if _, ok := it.fixedLen(); ok {
			fixed = append(fixed, it)
			continue
		}
		if it.kind == 'r' && it.min > 0 {
			if _, ok := it.kids[0].fixedLen(); ok {
				for range it.min {
					fixed = append(fixed, it.kids[0])
				}
				remaining := &fnode{kind: 'r', kids: it.kids, min: 0, max: -1}
				if it.max >= 0 {
					remaining.max = it.max - it.min
				}
				return fixed, append([]*fnode{remaining}, items[i+1:]...)
			}
		}
		return fixed, items[i:]
	}
	return fixed, nil
}

// match runs the pieces over s and gives each group's span, or false.
func (fp *fastPattern) match(s string) ([][2]int, bool) {
	spans := make([][2]int, fp.groups)
	for i := range spans {
		spans[i] = [2]int{-1, -1}
	}
	mark := func(g, lo, hi int) {
		if g < 0 {
			return
		}
		if spans[g][0] < 0 || lo < spans[g][0] {
			spans[g][0] = lo
		}
		spans[g][1] = max(spans[g][1], hi)
	}
	var sc scratch
	pos := 0
	for _, pc := range fp.pieces {
		mode := modeLongest
		if pc.core >= 0 {
			mode = modeShortest
		}
		if pc.last {
			mode = modeLongest
		}
		end := -2
		if pc.dfa != nil {
			end = pc.dfa.run(s, pos, mode)
		}
		if end == -2 {
			end = sc.run(pc.prog, s, pos, mode)
		}
		if end < 0 || pc.last && end != len(s) {
			return nil, false
		}
		// Walk back over the fixed-length parts at the end.
		hi := end
		for t := len(pc.tail) - 1; t >= 0; t-- {
			lo := hi
			for range pc.tail[t].runes {
				_, size := utf8.DecodeLastRuneInString(s[:lo])
				lo -= size
			}
			mark(pc.tail[t].group, lo, hi)
			hi = lo
		}
		mark(pc.core, pos, hi)
		pos = end
	}
	if pos != len(s) {
		return nil, false
	}
	return spans, true
}

const (
	modeShortest = iota
	modeLongest
)

// scratch holds the state sets of a match (an NFA simulation of the
// compiled piece, without captures: the pieces' structure gives the
// spans).
type scratch struct {
	cur, next []uint32
	onCur     []bool
	onNext    []bool
}

func (sc *scratch) reset(n int) {
	if len(sc.onCur) < n {
		sc.onCur, sc.onNext = make([]bool, n), make([]bool, n)
	}
	clear(sc.onCur[:n])
	sc.cur = sc.cur[:0]
}

// add puts pc and what it reaches without reading a character in the set;
// it reports whether the match state is among them.
func add(prog *syntax.Prog, set *[]uint32, on []bool, pc uint32, s string, pos int) bool {
	if on[pc] {
		return false
	}
	on[pc] = true
	inst := &prog.Inst[pc]
	switch inst.Op {
	case syntax.InstMatch:
		return true
	case syntax.InstAlt, syntax.InstAltMatch:
		a := add(prog, set, on, inst.Out, s, pos)
		return add(prog, set, on, inst.Arg, s, pos) || a
	case syntax.InstNop, syntax.InstCapture:
		return add(prog, set, on, inst.Out, s, pos)
	case syntax.InstEmptyWidth:
		before, after := rune(-1), rune(-1)
		if pos > 0 {
			before, _ = utf8.DecodeLastRuneInString(s[:pos])
		}
		if pos < len(s) {
			after, _ = utf8.DecodeRuneInString(s[pos:])
		}
		if syntax.EmptyOp(inst.Arg)&^syntax.EmptyOpContext(before, after) == 0 {
			return add(prog, set, on, inst.Out, s, pos)
		}
		return false
	case syntax.InstFail:
		return false
	}
	*set = append(*set, pc)
	return false
}

// run matches prog at s[pos:], giving the end of the shortest or the
// longest match, or -1.
func (sc *scratch) run(prog *syntax.Prog, s string, pos int, mode int) int {
	n := len(prog.Inst)
	sc.reset(n)
	accept := add(prog, &sc.cur, sc.onCur, uint32(prog.Start), s, pos)
	last := -1
	for {
		if accept {
			if mode == modeShortest {
				return pos
			}
			last = pos
		}
		if pos == len(s) || len(sc.cur) == 0 {
			return last
		}
		r, size := utf8.DecodeRuneInString(s[pos:])
		next := sc.next[:0]
		clear(sc.onNext[:n])
		accept = false
		for _, pc := range sc.cur {
			inst := &prog.Inst[pc]
			if inst.MatchRune(r) {
				if add(prog, &next, sc.onNext, inst.Out, s, pos+size) {
					accept = true
				}
			}
		}
		sc.cur, sc.next = next, sc.cur
		sc.onCur, sc.onNext = sc.onNext, sc.onCur
		pos += size
	}
}

func prepareFastRegex(args []Arg) (*Call, error) {
	pattern, err := constString(args, 1, "pattern")
	if err != nil {
		return nil, err
	}
	fp, err := compileFast(pattern)
	if err != nil {
		fe := err.(*fastError)
		return nil, argErr(1, fe.off, "%s", fe.msg)
	}
	if fp.groups == 0 {
		return nil, argErr(1, -1, "the pattern has no groups, so there are no fields to return: put the parts to keep in parentheses")
	}
	fields := defaultFields(fp.groups)
	return &Call{Fields: fields, Parse: func(a []types.Value, out []types.Value) error {
		if a[0].Null {
			nulls(fields, out)
			return nil
		}
		spans, ok := fp.match(a[0].S)
		if !ok {
			return ErrNoRow
		}
		for i, sp := range spans {
			v, err := text(a[0].S[sp[0]:sp[1]], fields[i])
			if err != nil {
				return err
			}
			out[i] = v
		}
		return nil
	}}, nil
}

// dfa is a piece's automaton made deterministic for ASCII input, built
// once when the call is planned (and only read afterwards). A line with
// other characters falls back to the state-set simulation.
type dfa struct {
	states []dstate
}

type dstate struct {
	accept bool
	next   [128]int32 // -1: no match can continue
}

const maxDFAStates = 512

func buildDFA(prog *syntax.Prog) *dfa {
	for _, inst := range prog.Inst {
		if inst.Op == syntax.InstEmptyWidth {
			return nil // context-dependent: leave it to the simulation
		}
	}
	d := &dfa{}
	index := map[string]int32{}
	var sets [][]uint32
	on := make([]bool, len(prog.Inst))
	intern := func(set []uint32, accept bool) int32 {
		slices.Sort(set)
		key := fmt.Sprint(set, accept)
		if i, ok := index[key]; ok {
			return i
		}
		i := int32(len(d.states))
		index[key] = i
		d.states = append(d.states, dstate{accept: accept})
		sets = append(sets, set)
		return i
	}
	var start []uint32
	clear(on)
	accept := add(prog, &start, on, uint32(prog.Start), "", 0)
	intern(start, accept)
	for i := 0; i < len(d.states); i++ {
		if len(d.states) > maxDFAStates {
			return nil
		}
		for c := range rune(128) {
			var next []uint32
			clear(on)
			acc := false
			for _, pc := range sets[i] {
				inst := &prog.Inst[pc]
				if inst.MatchRune(c) && add(prog, &next, on, inst.Out, "", 0) {
					acc = true
				}
			}
			if len(next) == 0 && !acc {
				d.states[i].next[c] = -1
				continue
			}
			d.states[i].next[c] = intern(next, acc)
		}
	}
	return d
}

// run is scratch.run on the automaton; -2 when the line has a character
// the automaton does not cover.
func (d *dfa) run(s string, pos int, mode int) int {
	st, last := int32(0), -1
	for {
		if d.states[st].accept {
			if mode == modeShortest {
				return pos
			}
			last = pos
		}
		if pos == len(s) {
			return last
		}
		c := s[pos]
		if c >= utf8.RuneSelf {
			return -2
		}
		st = d.states[st].next[c]
		if st < 0 {
			return last
		}
		pos++
	}
}
