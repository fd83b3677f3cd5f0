package template

import (
	"errors"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// kind is the JavaScript type of a placeholder argument after JSON.parse.
type kind uint8

const (
	kUndefined kind = iota // no argument
	kNull
	kBool
	kNumber
	kString
	kArray
	kObject
)

// value is a JavaScript value as faker sees its argument: JSON.parse's
// result, or the raw text when that text is not JSON.
type value struct {
	k    kind
	b    bool
	n    float64
	s    string
	arr  []value
	keys []string // Object.keys order: integer keys ascending, then insertion order
	obj  map[string]value
}

var undefined = value{}

func str(s string) value     { return value{k: kString, s: s} }
func num(n float64) value    { return value{k: kNumber, n: n} }
func (v value) absent() bool { return v.k == kUndefined }

// nullish is true for undefined and null, which faker's "x || default" and
// "x || 0" treat alike for every argument kind it accepts.
func (v value) nullish() bool { return v.k == kUndefined || v.k == kNull }

// truthy is JavaScript's ToBoolean.
func (v value) truthy() bool {
	switch v.k {
	case kBool:
		return v.b
	case kNumber:
		return v.n != 0 && !math.IsNaN(v.n)
	case kString:
		return v.s != ""
	case kArray, kObject:
		return true
	}
	return false
}

func (v value) get(key string) value {
	if v.k != kObject {
		return undefined
	}
	return v.obj[key]
}

// String is JavaScript's String(v): what str.replace makes of a helper's result.
func (v value) String() string {
	switch v.k {
	case kUndefined:
		return "undefined"
	case kNull:
		return "null"
	case kBool:
		if v.b {
			return "true"
		}
		return "false"
	case kNumber:
		return jsNumber(v.n)
	case kString:
		return v.s
	case kArray:
		parts := make([]string, len(v.arr))
		for i, e := range v.arr {
			if !e.nullish() {
				parts[i] = e.String()
			}
		}
		return strings.Join(parts, ",")
	}
	return "[object Object]"
}

// describe names v's type for error messages.
func (v value) describe() string {
	switch v.k {
	case kNull:
		return "null"
	case kBool:
		return "a boolean"
	case kNumber:
		return "a number"
	case kString:
		return "a string"
	case kArray:
		return "an array"
	case kObject:
		return "an object"
	}
	return "nothing"
}

// jsNumber formats x like JavaScript's Number.prototype.toString(): the
// shortest digits that read back as x, plain notation from 1e-7 to 1e21,
// exponent notation outside (1e+21, 1e-7), integers without ".0".
func jsNumber(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "Infinity"
	case math.IsInf(x, -1):
		return "-Infinity"
	case x == 0:
		return "0" // also -0
	case x < 0:
		return "-" + jsNumber(-x)
	}
	e := strconv.FormatFloat(x, 'e', -1, 64) // d.ddde±xx: the same shortest digits as JS
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	p, _ := strconv.Atoi(exp)
	k, n := len(digits), p+1 // n: position of the decimal point
	switch {
	case k <= n && n <= 21:
		return digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		return digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		return "0." + strings.Repeat("0", -n) + digits
	}
	sign := "+"
	if n-1 < 0 {
		sign = "-"
	}
	exponent := sign + strconv.Itoa(abs(n-1))
	if k == 1 {
		return digits + "e" + exponent
	}
	return digits[:1] + "." + digits[1:] + "e" + exponent
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// jsToFixed is Number.prototype.toFixed(digits): rounding works on the
// exact binary value and a tie goes to the larger magnitude (so
// (1.005).toFixed(2) is "1.00" and (0.125).toFixed(2) is "0.13").
func jsToFixed(x float64, digits int) string {
	if math.IsNaN(x) {
		return "NaN"
	}
	if math.Abs(x) >= 1e21 || math.IsInf(x, 0) {
		return jsNumber(x)
	}
	sign := ""
	if x < 0 {
		sign, x = "-", -x
	}
	const prec = 2048 // exact: 53-bit mantissa times 10^digits for digits <= 100
	scaled := new(big.Float).SetPrec(prec).SetFloat64(x)
	scaled.Mul(scaled, new(big.Float).SetPrec(prec).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits)), nil)))
	n, _ := scaled.Int(nil) // x >= 0, so truncation is floor
	frac := new(big.Float).SetPrec(prec).Sub(scaled, new(big.Float).SetPrec(prec).SetInt(n))
	if frac.Cmp(big.NewFloat(0.5)) >= 0 {
		n.Add(n, big.NewInt(1))
	}
	m := n.String()
	if digits == 0 {
		return sign + m
	}
	if len(m) <= digits {
		m = strings.Repeat("0", digits+1-len(m)) + m
	}
	return sign + m[:len(m)-digits] + "." + m[len(m)-digits:]
}

// jsRound is Math.round: the nearest integer, halves toward +Infinity.
func jsRound(x float64) float64 {
	f := math.Floor(x)
	if x-f >= 0.5 {
		return f + 1
	}
	return f
}

// jsParseFloat reads back a number jsToFixed printed.
func jsParseFloat(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// parseArg is what faker.fake does with the text between the parentheses:
// JSON.parse it, and pass the raw text when that fails.
func parseArg(text string) value {
	v, err := parseJSON(text)
	if err != nil {
		return str(text)
	}
	return v
}

var errJSON = errors.New("not JSON")

// parseJSON is JSON.parse: strict JSON with JSON's four whitespace
// characters around it, objects kept in Object.keys order.
func parseJSON(text string) (value, error) {
	p := &jsonParser{s: text}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return value{}, err
	}
	p.space()
	if p.i != len(p.s) {
		return value{}, errJSON
	}
	return v, nil
}

type jsonParser struct {
	s string
	i int
}

func (p *jsonParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (value, error) {
	if depth > 512 || p.i >= len(p.s) {
		return value{}, errJSON
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.string()
		return str(s), err
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case strings.HasPrefix(p.s[p.i:], "true"):
		p.i += 4
		return value{k: kBool, b: true}, nil
	case strings.HasPrefix(p.s[p.i:], "false"):
		p.i += 5
		return value{k: kBool}, nil
	case strings.HasPrefix(p.s[p.i:], "null"):
		p.i += 4
		return value{k: kNull}, nil
	}
	return value{}, errJSON
}

func (p *jsonParser) object(depth int) (value, error) {
	p.i++ // {
	v := value{k: kObject, obj: map[string]value{}}
	var order []string
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return v, nil
	}
	for {
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return value{}, errJSON
		}
		key, err := p.string()
		if err != nil {
			return value{}, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return value{}, errJSON
		}
		p.i++
		p.space()
		e, err := p.value(depth + 1)
		if err != nil {
			return value{}, err
		}
		if _, dup := v.obj[key]; !dup {
			order = append(order, key) // a repeated key keeps its first place, last value
		}
		v.obj[key] = e
		p.space()
		if p.i >= len(p.s) {
			return value{}, errJSON
		}
		if p.s[p.i] == '}' {
			p.i++
			v.keys = objectKeys(order)
			return v, nil
		}
		if p.s[p.i] != ',' {
			return value{}, errJSON
		}
		p.i++
	}
}

// objectKeys orders keys like Object.keys: array indices ascending first.
func objectKeys(order []string) []string {
	var idx, rest []string
	for _, k := range order {
		if isArrayIndex(k) {
			idx = append(idx, k)
		} else {
			rest = append(rest, k)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool {
		x, _ := strconv.ParseUint(idx[a], 10, 64)
		y, _ := strconv.ParseUint(idx[b], 10, 64)
		return x < y
	})
	return append(idx, rest...)
}

func isArrayIndex(k string) bool {
	if k == "0" {
		return true
	}
	if k == "" || k[0] == '0' || len(k) > 10 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return false
		}
	}
	n, err := strconv.ParseUint(k, 10, 64)
	return err == nil && n < 1<<32-1
}

func (p *jsonParser) array(depth int) (value, error) {
	p.i++ // [
	v := value{k: kArray, arr: []value{}}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return v, nil
	}
	for {
		p.space()
		e, err := p.value(depth + 1)
		if err != nil {
			return value{}, err
		}
		v.arr = append(v.arr, e)
		p.space()
		if p.i >= len(p.s) {
			return value{}, errJSON
		}
		if p.s[p.i] == ']' {
			p.i++
			return v, nil
		}
		if p.s[p.i] != ',' {
			return value{}, errJSON
		}
		p.i++
	}
}

func (p *jsonParser) number() (value, error) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.s) && p.s[p.i] == '0':
		p.i++
	case p.i < len(p.s) && p.s[p.i] >= '1' && p.s[p.i] <= '9':
		p.digits()
	default:
		return value{}, errJSON
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return value{}, errJSON
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return value{}, errJSON
		}
	}
	f, err := strconv.ParseFloat(p.s[start:p.i], 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) { // out of range reads as ±Infinity or 0, as in JS
		return value{}, errJSON
	}
	return num(f), nil
}

func (p *jsonParser) digits() int {
	n := 0
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

func (p *jsonParser) string() (string, error) {
	p.i++ // "
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c < 0x20:
			return "", errJSON
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return "", errJSON
			}
			p.i += 2
			switch p.s[p.i-1] {
			case '"', '\\', '/':
				b.WriteByte(p.s[p.i-1])
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", errJSON
				}
				if utf16.IsSurrogate(r) && strings.HasPrefix(p.s[p.i:], `\u`) {
					save := p.i
					p.i += 2
					if r2, ok := p.hex4(); ok && utf16.DecodeRune(r, r2) != utf8.RuneError {
						r = utf16.DecodeRune(r, r2)
					} else {
						p.i = save
					}
				}
				b.WriteRune(r) // a lone surrogate becomes U+FFFD: Go strings are UTF-8
			default:
				return "", errJSON
			}
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", errJSON
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(n), true
}

// jsonWriter renders helpers.createCard and friends. It writes compact JSON
// like JSON.stringify, except that two closing braces get a space between
// them: faker.fake ends a placeholder at the first "}}" of the whole record,
// so a "}}" in a card would break every placeholder after it.
type jsonWriter struct{ b strings.Builder }

// field is one member of an ordered JSON object; v is a string, []field or []any.
type field struct {
	k string
	v any
}

func renderJSON(v any) string {
	var w jsonWriter
	w.write(v)
	return w.b.String()
}

func (w *jsonWriter) write(v any) {
	switch t := v.(type) {
	case string:
		w.quote(t)
	case []field:
		w.b.WriteByte('{')
		for i, f := range t {
			if i > 0 {
				w.b.WriteByte(',')
			}
			w.quote(f.k)
			w.b.WriteByte(':')
			w.write(f.v)
		}
		if s := w.b.String(); strings.HasSuffix(s, "}") {
			w.b.WriteByte(' ')
		}
		w.b.WriteByte('}')
	case []any:
		w.b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				w.b.WriteByte(',')
			}
			w.write(e)
		}
		w.b.WriteByte(']')
	}
}

// quote escapes like JSON.stringify: only '"', '\\' and control characters.
func (w *jsonWriter) quote(s string) {
	w.b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			w.b.WriteString(`\"`)
		case '\\':
			w.b.WriteString(`\\`)
		case '\b':
			w.b.WriteString(`\b`)
		case '\f':
			w.b.WriteString(`\f`)
		case '\n':
			w.b.WriteString(`\n`)
		case '\r':
			w.b.WriteString(`\r`)
		case '\t':
			w.b.WriteString(`\t`)
		default:
			if r < 0x20 {
				w.b.WriteString(`\u00`)
				w.b.WriteByte("0123456789abcdef"[r>>4])
				w.b.WriteByte("0123456789abcdef"[r&15])
			} else {
				w.b.WriteRune(r)
			}
		}
	}
	w.b.WriteByte('"')
}
