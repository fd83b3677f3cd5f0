package parser

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/riffle-sql/riffle/sql/ast"
)

type tokenKind int

const (
	tEOF    tokenKind = iota
	tWord             // unquoted identifier or keyword, upper-cased
	tQuoted           // "quoted identifier", case kept
	tString           // 'string', decoded
	tBinary           // X'hex'
	tNumber           // 12, 1.5, 2E10
	tOp               // punctuation and operators
)

type token struct {
	kind tokenKind
	text string
	pos  ast.Pos
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tQuoted:
		return `"` + t.text + `"`
	case tString:
		return "'" + t.text + "'"
	case tBinary:
		return "X'" + t.text + "'"
	default:
		return t.text
	}
}

// lexer turns source text into tokens. Errors are collected, and the
// offending characters skipped, so the parser can report everything.
type lexer struct {
	src  string
	off  int
	line int
	col  int
	errs *errorList
}

func (l *lexer) pos() ast.Pos { return ast.Pos{Line: l.line, Col: l.col} }

func (l *lexer) peekRune(ahead int) rune {
	off := l.off
	for i := 0; ; i++ {
		if off >= len(l.src) {
			return -1
		}
		r, size := utf8.DecodeRuneInString(l.src[off:])
		if i == ahead {
			return r
		}
		off += size
	}
}

func (l *lexer) next() rune {
	if l.off >= len(l.src) {
		return -1
	}
	r, size := utf8.DecodeRuneInString(l.src[l.off:])
	l.off += size
	if r == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
	return r
}

// skipSpace skips blanks and the three comment styles (--, //, /* */).
func (l *lexer) skipSpace() {
	for {
		r := l.peekRune(0)
		switch {
		case r == -1:
			return
		case unicode.IsSpace(r):
			l.next()
		case (r == '-' && l.peekRune(1) == '-') || (r == '/' && l.peekRune(1) == '/'):
			for r := l.peekRune(0); r != -1 && r != '\n'; r = l.peekRune(0) {
				l.next()
			}
		case r == '/' && l.peekRune(1) == '*':
			start := l.pos()
			l.next()
			l.next()
			for {
				r := l.next()
				if r == -1 {
					l.errs.add(start, "unterminated /* comment")
					return
				}
				if r == '*' && l.peekRune(0) == '/' {
					l.next()
					break
				}
			}
		default:
			return
		}
	}
}

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }
func isIdentPart(r rune) bool {
	return r == '_' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func (l *lexer) scan() token {
	l.skipSpace()
	pos := l.pos()
	r := l.peekRune(0)
	switch {
	case r == -1:
		return token{kind: tEOF, pos: pos}
	case (r == 'X' || r == 'x') && l.peekRune(1) == '\'':
		l.next()
		s := l.quoted('\'', pos)
		for _, c := range s {
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				l.errs.add(pos, "binary literal X'%s' holds %q, not a hex digit", s, c)
				break
			}
		}
		return token{kind: tBinary, text: strings.ToUpper(s), pos: pos}
	case (r == 'U' || r == 'u') && l.peekRune(1) == '&' && l.peekRune(2) == '\'':
		l.next()
		l.next()
		return token{kind: tString, text: l.unicodeString(pos), pos: pos}
	case isIdentStart(r):
		start := l.off
		for isIdentPart(l.peekRune(0)) {
			l.next()
		}
		return token{kind: tWord, text: strings.ToUpper(l.src[start:l.off]), pos: pos}
	case r == '"':
		name := l.quoted('"', pos)
		if name == "" {
			l.errs.add(pos, "empty quoted identifier")
		}
		return token{kind: tQuoted, text: name, pos: pos}
	case r == '\'':
		return token{kind: tString, text: l.quoted('\'', pos), pos: pos}
	case r >= '0' && r <= '9' || r == '.' && isDigit(l.peekRune(1)):
		return token{kind: tNumber, text: l.number(), pos: pos}
	}
	l.next()
	two := string(r) + string(l.peekRune(0))
	switch two {
	case "<>", "<=", ">=", "!=", "||":
		l.next()
		return token{kind: tOp, text: two, pos: pos}
	}
	if strings.ContainsRune("(),;.*+-/=<>%[]:?", r) {
		return token{kind: tOp, text: string(r), pos: pos}
	}
	l.errs.add(pos, "unexpected character %q", r)
	return l.scan()
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// quoted reads a literal between quote characters, a doubled quote
// standing for itself.
func (l *lexer) quoted(q rune, pos ast.Pos) string {
	l.next()
	var b strings.Builder
	for {
		r := l.next()
		switch {
		case r == -1:
			what := "string"
			if q == '"' {
				what = "quoted identifier"
			}
			l.errs.add(pos, "unterminated %s", what)
			return b.String()
		case r == q && l.peekRune(0) == q:
			l.next()
			b.WriteRune(q)
		case r == q:
			return b.String()
		default:
			b.WriteRune(r)
		}
	}
}

// unicodeString reads U&'...' with \XXXX escapes and an optional
// UESCAPE 'c' after it.
func (l *lexer) unicodeString(pos ast.Pos) string {
	raw := l.quoted('\'', pos)
	escape := '\\'
	save := *l
	l.skipSpace()
	if word := l.peekWord(); word == "UESCAPE" {
		for range len(word) {
			l.next()
		}
		l.skipSpace()
		if l.peekRune(0) == '\'' {
			esc := l.quoted('\'', l.pos())
			if utf8.RuneCountInString(esc) == 1 {
				escape, _ = utf8.DecodeRuneInString(esc)
			} else {
				l.errs.add(pos, "UESCAPE takes one character, got %q", esc)
			}
		}
	} else {
		*l = save
	}
	var b strings.Builder
	rs := []rune(raw)
	for i := 0; i < len(rs); i++ {
		if rs[i] != escape {
			b.WriteRune(rs[i])
			continue
		}
		if i+1 < len(rs) && rs[i+1] == escape {
			b.WriteRune(escape)
			i++
			continue
		}
		var code rune
		if i+4 < len(rs) && scanHex(rs[i+1:i+5], &code) {
			b.WriteRune(code)
			i += 4
			continue
		}
		l.errs.add(pos, "bad escape in Unicode string: want %c followed by four hex digits", escape)
		return b.String()
	}
	return b.String()
}

func scanHex(rs []rune, out *rune) bool {
	var v rune
	for _, r := range rs {
		var d rune
		switch {
		case r >= '0' && r <= '9':
			d = r - '0'
		case r >= 'a' && r <= 'f':
			d = r - 'a' + 10
		case r >= 'A' && r <= 'F':
			d = r - 'A' + 10
		default:
			return false
		}
		v = v*16 + d
	}
	*out = v
	return true
}

func (l *lexer) peekWord() string {
	end := l.off
	for end < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[end:])
		if !isIdentPart(r) {
			break
		}
		end += size
	}
	return strings.ToUpper(l.src[l.off:end])
}

func (l *lexer) number() string {
	start := l.off
	for isDigit(l.peekRune(0)) {
		l.next()
	}
	if l.peekRune(0) == '.' && isDigit(l.peekRune(1)) || l.peekRune(0) == '.' && !isIdentStart(l.peekRune(1)) && l.off > start {
		l.next()
		for isDigit(l.peekRune(0)) {
			l.next()
		}
	}
	if r := l.peekRune(0); r == 'e' || r == 'E' {
		n := 1
		if s := l.peekRune(1); s == '+' || s == '-' {
			n = 2
		}
		if isDigit(l.peekRune(n)) {
			for range n {
				l.next()
			}
			for isDigit(l.peekRune(0)) {
				l.next()
			}
		}
	}
	return strings.ToUpper(l.src[start:l.off])
}

// errorList gathers errors with positions.
type errorList struct {
	errs []*Error
}

func (e *errorList) add(pos ast.Pos, format string, args ...any) {
	e.errs = append(e.errs, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}
