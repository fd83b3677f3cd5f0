package s3delivery

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The !{timestamp:PATTERN} namespace takes Java DateTimeFormatter patterns
// (the service evaluates them in Java). This is the part of that language
// a prefix has use for, with Java's meaning of each letter and count, in
// English; a pattern using anything else is refused when the delivery
// stream is created, not guessed at.

// javaField is one letter run of a pattern (count letters), or literal
// text (letter 0).
type javaField struct {
	letter  byte
	count   int
	literal string
}

// javaPattern is a parsed DateTimeFormatter pattern.
type javaPattern []javaField

// parseJavaPattern reads a DateTimeFormatter pattern: letters are fields,
// text in single quotes is literal (” is a quote), other characters are
// literal; the optional-section and reserved characters are refused.
func parseJavaPattern(p string) (javaPattern, error) {
	var out javaPattern
	lit := func(s string) {
		if n := len(out); n > 0 && out[n-1].letter == 0 {
			out[n-1].literal += s
			return
		}
		out = append(out, javaField{literal: s})
	}
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			j := i + 1
			var text strings.Builder
			for {
				if j >= len(p) {
					return nil, fmt.Errorf("timestamp pattern %q: a quote is not closed", p)
				}
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						text.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				text.WriteByte(p[j])
				j++
			}
			if j == i+1 { // '' outside quotes is one quote
				lit("'")
			} else {
				lit(text.String())
			}
			i = j + 1
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			f := javaField{letter: c, count: j - i}
			if err := f.check(); err != nil {
				return nil, fmt.Errorf("timestamp pattern %q: %w", p, err)
			}
			out = append(out, f)
			i = j
		case strings.IndexByte("[]{}#", c) >= 0:
			return nil, fmt.Errorf("timestamp pattern %q: %q is reserved (optional sections are not supported)", p, c)
		default:
			lit(string(c))
			i++
		}
	}
	return out, nil
}

// maxCount is the longest run each supported letter takes.
var maxCount = map[byte]int{
	'G': 5, 'u': 19, 'y': 19, 'D': 3, 'M': 5, 'L': 5, 'd': 2, 'Q': 5, 'q': 5, 'E': 5,
	'a': 1, 'h': 2, 'K': 2, 'k': 2, 'H': 2, 'm': 2, 's': 2, 'S': 9, 'n': 9, 'Z': 3, 'X': 3, 'x': 3,
}

func (f javaField) check() error {
	limit, ok := maxCount[f.letter]
	if !ok {
		return fmt.Errorf("letter %q is not supported (supported: %s)", f.letter, "G u y D M L d Q q E a h K k H m s S n Z X x")
	}
	if f.count > limit {
		return fmt.Errorf("too many pattern letters %q", strings.Repeat(string(f.letter), f.count))
	}
	return nil
}

// format renders t (already in the wanted zone) as Java would.
func (p javaPattern) format(t time.Time) string {
	var b strings.Builder
	for _, f := range p {
		if f.letter == 0 {
			b.WriteString(f.literal)
			continue
		}
		b.WriteString(f.format(t))
	}
	return b.String()
}

func pad(v, width int) string {
	s := strconv.Itoa(v)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

// number renders a numeric field: one letter as is, more padded to their
// count.
func number(v, count int) string {
	if count == 1 {
		return strconv.Itoa(v)
	}
	return pad(v, count)
}

// text picks a text form by count: 1-3 short, 4 full, 5 narrow.
func text(full string, count int) string {
	switch {
	case count == 4:
		return full
	case count == 5:
		return full[:1]
	default:
		return full[:3]
	}
}

func (f javaField) format(t time.Time) string {
	switch f.letter {
	case 'G':
		switch f.count {
		case 4:
			return "Anno Domini"
		case 5:
			return "A"
		}
		return "AD"
	case 'u', 'y':
		if f.count == 2 {
			return pad(t.Year()%100, 2)
		}
		return number(t.Year(), f.count)
	case 'D':
		return number(t.YearDay(), f.count)
	case 'M', 'L':
		if f.count >= 3 {
			return text(t.Month().String(), f.count)
		}
		return number(int(t.Month()), f.count)
	case 'd':
		return number(t.Day(), f.count)
	case 'Q', 'q':
		q := (int(t.Month())-1)/3 + 1
		switch f.count {
		case 3:
			return "Q" + strconv.Itoa(q)
		case 4:
			return []string{"1st", "2nd", "3rd", "4th"}[q-1] + " quarter"
		case 5:
			return strconv.Itoa(q)
		}
		return number(q, f.count)
	case 'E':
		return text(t.Weekday().String(), f.count)
	case 'a':
		if t.Hour() < 12 {
			return "AM"
		}
		return "PM"
	case 'h':
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		return number(h, f.count)
	case 'K':
		return number(t.Hour()%12, f.count)
	case 'k':
		h := t.Hour()
		if h == 0 {
			h = 24
		}
		return number(h, f.count)
	case 'H':
		return number(t.Hour(), f.count)
	case 'm':
		return number(t.Minute(), f.count)
	case 's':
		return number(t.Second(), f.count)
	case 'S':
		return pad(t.Nanosecond(), 9)[:f.count]
	case 'n':
		return number(t.Nanosecond(), f.count)
	case 'Z':
		return offset(t, false)
	case 'X', 'x':
		_, off := t.Zone()
		if off == 0 && f.letter == 'X' {
			return "Z"
		}
		switch f.count {
		case 1:
			s := offset(t, false)
			if s[3:] == "00" {
				return s[:3]
			}
			return s
		case 2:
			return offset(t, false)
		default:
			return offset(t, true)
		}
	}
	return ""
}

// offset renders the zone offset as +HHMM (or +HH:MM).
func offset(t time.Time, colon bool) string {
	_, off := t.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	sep := ""
	if colon {
		sep = ":"
	}
	return sign + pad(off/3600, 2) + sep + pad(off%3600/60, 2)
}
