package logparse

import (
	"regexp"
	"strings"

	"github.com/riffle-sql/riffle/sql/types"
)

// W3C_LOG_PARSE(str, format): a predefined format (COMMON, COMMON WITH
// VHOST, NCSA EXTENDED, REFERER or REFERRER, AGENT) or an Apache
// mod_log_config format string; one field per % specifier, COLUMN1...,
// each VARCHAR(1024) with the text as logged ('-' stays '-'). The whole
// line must fit the format, or every field is NULL.
//
// The line is matched with one regular expression built from the format:
// literal text as written (\" is "), %t the bracketed time (or, written
// as [%t], what is inside the brackets), a field just inside quotes
// anything up to the closing quote (\" allowed), any other field the
// shortest text that lets the rest of the line match.

var w3cFormats = map[string]string{
	"COMMON":            `%h %l %u %t "%r" %>s %b`,
	"COMMON WITH VHOST": `%v %h %l %u %t "%r" %>s %b`,
	"NCSA EXTENDED":     `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`,
	"REFERER":           `%{Referer}i -> %U`,
	"REFERRER":          `%{Referer}i -> %U`,
	"AGENT":             `%{User-agent}i`,
}

// w3cLetters are the specifier letters of mod_log_config.
const w3cLetters = "aABbCDefhHiklLmnoOpPqrRsStTuUvVXI"

func prepareW3C(args []Arg) (*Call, error) {
	format, err := constString(args, 1, "format")
	if err != nil {
		return nil, err
	}
	key := strings.Join(strings.Fields(strings.ToUpper(format)), " ")
	if key == "IIS" {
		return nil, argErr(1, -1, "the IIS format is not documented; write its fields as a format string (%%...)")
	}
	arrow := false
	if predefined, ok := w3cFormats[key]; ok {
		format = predefined
		// Apache writes "->"; the reference's table shows "--->": take both.
		arrow = key == "REFERER" || key == "REFERRER"
	}
	re, fields, err := w3cRegexp(format, arrow)
	if err != nil {
		return nil, err
	}
	return &Call{Fields: fields, Parse: groupParse(re, fields, func(i int, s string, _ bool) (types.Value, error) {
		return text(s, fields[i])
	})}, nil
}

// w3cPart is literal text or a specifier of a format.
type w3cPart struct {
	lit    string
	letter byte // 0 for literal text
}

func w3cRegexp(format string, arrow bool) (*regexp.Regexp, []Field, error) {
	var parts []w3cPart
	rs := []rune(format)
	var lit strings.Builder
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '\\' && i+1 < len(rs):
			i++
			switch rs[i] {
			case 't':
				lit.WriteByte('\t')
			case 'n':
				lit.WriteByte('\n')
			default:
				lit.WriteRune(rs[i])
			}
		case r == '%':
			start := i
			i++
			if i < len(rs) && rs[i] == '%' {
				lit.WriteByte('%')
				continue
			}
			// Conditions (!200,304), < or >, then {arg} or [arg].
			for i < len(rs) && (rs[i] == '!' || rs[i] == ',' || rs[i] >= '0' && rs[i] <= '9' || rs[i] == '<' || rs[i] == '>') {
				i++
			}
			if i < len(rs) && (rs[i] == '{' || rs[i] == '[') {
				closer := map[rune]rune{'{': '}', '[': ']'}[rs[i]]
				for i < len(rs) && rs[i] != closer {
					i++
				}
				i++
			}
			if i >= len(rs) || rs[i] > 127 || !strings.ContainsRune(w3cLetters, rs[i]) {
				return nil, nil, argErr(1, start, "%q is not an Apache log format specifier", string(rs[start:min(i+1, len(rs))]))
			}
			if lit.Len() > 0 {
				parts = append(parts, w3cPart{lit: lit.String()})
				lit.Reset()
			}
			parts = append(parts, w3cPart{letter: byte(rs[i])})
		default:
			lit.WriteRune(r)
		}
	}
	if lit.Len() > 0 {
		parts = append(parts, w3cPart{lit: lit.String()})
	}
	var b strings.Builder
	b.WriteString(`\A`)
	n := 0
	for k, p := range parts {
		if p.letter == 0 {
			lit := regexp.QuoteMeta(p.lit)
			if arrow {
				lit = strings.ReplaceAll(lit, "->", "-+>")
			}
			b.WriteString(lit)
			continue
		}
		n++
		prev, next := "", ""
		if k > 0 {
			prev = parts[k-1].lit
		}
		if k+1 < len(parts) {
			next = parts[k+1].lit
		}
		switch {
		case p.letter == 't' && strings.HasSuffix(prev, "[") && strings.HasPrefix(next, "]"):
			b.WriteString(`([^\]]*)`)
		case p.letter == 't':
			b.WriteString(`(\[[^\]]*\])`)
		case strings.HasSuffix(prev, `"`) && strings.HasPrefix(next, `"`):
			b.WriteString(`((?:[^"\\]|\\.)*)`)
		case next == "":
			b.WriteString(`(.*)`)
		default:
			b.WriteString(`(.*?)`)
		}
	}
	b.WriteString(`\z`)
	if n == 0 {
		return nil, nil, argErr(1, -1, "the format has no %% specifiers, so there are no fields to return")
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, nil, argErr(1, -1, "%v", err)
	}
	return re, defaultFields(n), nil
}
