package template

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	// maxReplacements bounds the placeholders one record may evaluate,
	// generated ones included, so a value that reproduces its own
	// placeholder stops with an error instead of looping forever.
	maxReplacements = 10000
	// maxRecordBytes bounds a record while it is being rendered.
	maxRecordBytes = 16 << 20
	// emptyRecord is what faker.fake returns for an empty string, which is
	// what the KDG sends when a record renders to nothing.
	emptyRecord = "string parameter is required!"
)

// Template is a parsed KDG record template. It is never changed after
// Parse, so several senders may share it, each with its own Faker.
type Template struct {
	name  string
	text  string              // after the KDG's clean-up
	calls map[string]compiled // the placeholders Parse found, by their text
}

// Error is one problem in a template, at a 1-based line and column (in
// characters) of the text given to Parse.
type Error struct {
	Name      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d:%d: %s", e.Name, e.Line, e.Col, e.Msg) }

// compiled is a placeholder ready to run: its helper and its argument.
type compiled struct {
	h   *helper
	arg value
}

// Parse prepares a template the way the KDG does (trim; delete every line
// break; replace the first "{{current.timestamp}}" with "{{date.now}}") and checks
// every placeholder now: an unknown module or method, a malformed
// placeholder, or an argument a helper cannot take is an *Error naming the
// template and the line:column of the placeholder in text. All errors are
// reported, joined with errors.Join.
func Parse(name, text string) (*Template, error) {
	p := prepare(text)
	t := &Template{name: name, text: p.text, calls: map[string]compiled{}}
	lines := newLineIndex(text)
	var errs []error
	fail := func(at int, format string, args ...any) {
		line, col := lines.position(at)
		errs = append(errs, &Error{Name: name, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
	}
	if p.text == "" {
		fail(0, "empty template (the KDG would send %q)", emptyRecord)
	}

	// Walk the record as faker.fake does: take the first "{{" and the first
	// "}}" of the whole string, replace that placeholder, look again. A
	// placeholder is replaced here by one byte without braces, which is what
	// almost every helper returns as far as the scan can tell.
	cur, pos := p.text, p.pos
	for n := 0; ; n++ {
		s, e := strings.Index(cur, "{{"), strings.Index(cur, "}}")
		if s < 0 || e < 0 {
			break
		}
		if e < s {
			line, col := lines.position(pos[s])
			fail(pos[e], `"}}" before the placeholder at %d:%d: faker.fake pairs the first "{{" with the first "}}" of the record, so the KDG fails here with "Invalid module: " (put a space between the braces)`, line, col)
			cur = cur[:e] + "\x00\x00" + cur[e+2:] // go on as if it were not there
			continue
		}
		if n == maxReplacements {
			fail(pos[s], "more than %d placeholders", maxReplacements)
			break
		}
		token := cur[s+2 : e]
		if inner := strings.Index(token, "{{"); inner >= 0 {
			line, col := lines.position(pos[s+2+inner])
			fail(pos[s], `placeholder holds the "{{" at %d:%d: faker.fake ends a placeholder at the first "}}", so placeholders cannot nest and a "{{" must be closed before the next one (inside a JSON string write \u007b\u007b and \u007d\u007d)`, line, col)
		} else if c, err := compile(token); err != nil {
			fail(pos[s], "%v", err)
		} else {
			t.calls[token] = c
		}
		cur = cur[:s] + "\x01" + cur[e+2:]
		pos = append(append(pos[:s:s], pos[s]), pos[e+2:]...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return t, nil
}

// Execute renders one record (without the KDG's trailing newline). now is
// the generator's clock: date.now, date.utc and date.simTime print it, and
// date.past, date.future and date.recent count from it.
func (t *Template) Execute(f *Faker, now time.Time) (string, error) {
	c := &call{f: f, now: now}
	rec := t.text
	for n := 0; ; n++ {
		s := strings.Index(rec, "{{")
		e := strings.Index(rec, "}}")
		if s < 0 || e < 0 {
			return rec, nil
		}
		if n == maxReplacements {
			return "", fmt.Errorf("%s: more than %d placeholders in one record (does a generated value repeat its own placeholder?)", t.name, maxReplacements)
		}
		if e < s {
			return "", fmt.Errorf(`%s: a generated value left "}}" before "{{" (faker.fake would fail with "Invalid module: ")`, t.name)
		}
		token := rec[s+2 : e]
		p, ok := t.calls[token]
		if !ok { // a placeholder that a helper generated
			var err error
			if p, err = compile(token); err != nil {
				return "", fmt.Errorf("%s: in generated text %q: %w", t.name, "{{"+token+"}}", err)
			}
		}
		v := p.h.run(c, p.arg)
		rec = rec[:s] + substitution(v, rec, s, e+2) + rec[e+2:]
		if rec == "" {
			return emptyRecord, nil
		}
		if len(rec) > maxRecordBytes {
			return "", fmt.Errorf("%s: record longer than %d bytes", t.name, maxRecordBytes)
		}
	}
}

// substitution is the replacement text String.prototype.replace makes of v
// when the pattern is a string: "$$", "$&", "$`" and "$'" are expanded.
func substitution(v, rec string, s, e int) string {
	if !strings.Contains(v, "$") {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '$' && i+1 < len(v) {
			switch v[i+1] {
			case '$':
				b.WriteByte('$')
				i++
				continue
			case '&':
				b.WriteString(rec[s:e])
				i++
				continue
			case '`':
				b.WriteString(rec[:s])
				i++
				continue
			case '\'':
				b.WriteString(rec[e:])
				i++
				continue
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// compile reads one placeholder's text (between "{{" and "}}") as
// faker.fake does and checks it: the argument is the text from the first
// "(" that has at least one character before a ")" up to that ")".
func compile(token string) (compiled, error) {
	method := strings.Replace(token, "{{", "", 1)
	arg := undefined
	if lo, hi, ok := argSpan(method); ok {
		arg = parseArg(method[lo+1 : hi])
		method = method[:lo] + method[hi+1:]
	}
	if arg.k == kString && arg.s == "" {
		arg = undefined // faker calls the helper without an argument
	}
	if method == "" {
		return compiled{}, errors.New(`empty placeholder "{{}}"`)
	}
	if strings.TrimSpace(method) != method {
		return compiled{}, fmt.Errorf("unknown helper %q: no spaces inside the braces", method)
	}
	parts := strings.Split(method, ".")
	if len(parts) > 2 {
		return compiled{}, fmt.Errorf("unknown helper %q: a placeholder names module.method, two levels", method)
	}
	if _, ok := modules[parts[0]]; !ok {
		return compiled{}, fmt.Errorf("unknown module %q in %q%s", parts[0], method, suggest(method))
	}
	if len(parts) == 1 {
		return compiled{}, fmt.Errorf("unknown helper %q: no method after the module", method)
	}
	h, ok := helpers[method]
	if !ok {
		if strings.HasSuffix(method, "()") {
			return compiled{}, fmt.Errorf(`unknown helper %q: faker does not read "()" as an empty argument list; write {{%s}}`, method, strings.TrimSuffix(method, "()"))
		}
		if strings.ContainsAny(method, `"[]{}()`) {
			return compiled{}, fmt.Errorf("unknown helper %q: %s", method, endsEarly)
		}
		return compiled{}, fmt.Errorf("unknown helper %q%s", method, suggest(method))
	}
	if h.check != nil {
		if err := h.check(arg); err != nil {
			return compiled{}, fmt.Errorf("%s: %w", method, err)
		}
	}
	return compiled{h: h, arg: arg}, nil
}

// endsEarly explains the usual reason an argument is cut or left as raw text.
const endsEarly = `the argument ends at the first ")" and the placeholder at the first "}}", so inside a JSON string write them as \u0029 and \u007d\u007d`

// argSpan finds faker's /\(([^)]+)\)/ in method.
func argSpan(method string) (lo, hi int, ok bool) {
	for i := 0; i < len(method); i++ {
		if method[i] != '(' {
			continue
		}
		if j := strings.IndexByte(method[i+1:], ')'); j > 0 {
			return i, i + 1 + j, true
		}
	}
	return 0, 0, false
}

// suggest offers the closest known helper for a misspelt one.
func suggest(method string) string {
	best, dist := "", 3
	for name := range helpers {
		if d := editDistance(strings.ToLower(method), strings.ToLower(name)); d < dist || (d == dist && name < best) {
			best, dist = name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Helpers lists every supported "module.method", sorted.
func Helpers() []string {
	names := make([]string, 0, len(helpers))
	for name := range helpers {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// prepared is a template after the KDG's clean-up, with the offset in the
// original text of every byte (pos has one more entry: the end).
type prepared struct {
	text string
	pos  []int
}

// prepare does what the KDG's getCleanedTemplate does to the value of its
// textarea. That value never holds a "\r" (browsers turn "\r\n" and "\r"
// into "\n"), so every line break is deleted, whatever its style.
func prepare(src string) prepared {
	start, end := 0, len(src)
	for start < end {
		r, size := utf8.DecodeRuneInString(src[start:])
		if !jsSpace(r) {
			break
		}
		start += size
	}
	for end > start {
		r, size := utf8.DecodeLastRuneInString(src[start:end])
		if !jsSpace(r) {
			break
		}
		end -= size
	}
	var b strings.Builder
	pos := make([]int, 0, end-start+1)
	for i := start; i < end; i++ {
		if src[i] == '\n' || src[i] == '\r' {
			continue
		}
		b.WriteByte(src[i])
		pos = append(pos, i)
	}
	pos = append(pos, end)
	text := b.String()
	const alias, now = "{{current.timestamp}}", "{{date.now}}"
	if i := strings.Index(text, alias); i >= 0 {
		at := pos[i]
		text = text[:i] + now + text[i+len(alias):]
		fill := make([]int, len(now))
		for k := range fill {
			fill[k] = at + k // the alias is longer: every byte keeps a place inside it
		}
		pos = append(append(pos[:i:i], fill...), pos[i+len(alias):]...)
	}
	return prepared{text: text, pos: pos}
}

// jsSpace is the set String.prototype.trim removes.
func jsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', '\u00a0', '\ufeff', '\u2028', '\u2029':
		return true
	}
	return unicode.Is(unicode.Zs, r)
}

// lineIndex turns byte offsets of the original text into line:column.
type lineIndex struct {
	src    string
	starts []int
}

func newLineIndex(src string) lineIndex {
	starts := []int{0}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' || (src[i] == '\r' && (i+1 == len(src) || src[i+1] != '\n')) {
			starts = append(starts, i+1)
		}
	}
	return lineIndex{src: src, starts: starts}
}

func (l lineIndex) position(off int) (line, col int) {
	i := sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > off }) - 1
	return i + 1, utf8.RuneCountInString(l.src[l.starts[i]:off]) + 1
}
