package functions

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Java SimpleDateFormat patterns, as CHAR_TO_TIMESTAMP and TIMESTAMP_TO_CHAR
// take them. Go's layouts cannot express them (literal text that looks like
// a layout element, padding widths, parse rules), so patterns are compiled
// and run here, following Java with the en_US locale and the UTC zone:
//
//   - letters A-Z and a-z are fields, repeated for width; letters Java does
//     not define are an error; other characters, and text in single quotes
//     ('' is a quote), are literal;
//   - formatting pads numbers with zeros to the letter count; yy is the
//     year's last two digits; 4 or more letters give full names (MMMM,
//     EEEE), 3 give short ones;
//   - parsing is strict (Java's non-lenient mode): the pattern is matched
//     left to right from the start of the input and trailing input is
//     ignored; literals must match exactly; spaces and tabs before a field
//     are skipped; a number takes all the digits there are, or exactly the
//     letter count when another field follows with no literal between;
//     names match either form, ignoring case; fields left out default to
//     1970-01-01 00:00:00.000; values out of range (month 13, February 30,
//     hh 13) are an error; yy reads two digits as 1940-2039; a zone (z, Z,
//     X) converts the result to UTC.

type dateField struct {
	letter byte // 0 for literal text
	count  int
	text   string
}

type dateFormat struct {
	pattern string
	fields  []dateField
}

const patternLetters = "GyYMLwWDdFEuaHkKhmsSzZX"

var (
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
	dayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// dateFormats caches compiled patterns (bounded: patterns may come from data).
var dateFormats struct {
	sync.Mutex
	m map[string]*dateFormat
}

func compileDateFormat(pattern string) (*dateFormat, error) {
	dateFormats.Lock()
	f, ok := dateFormats.m[pattern]
	dateFormats.Unlock()
	if ok {
		return f, nil
	}
	f, err := parsePattern(pattern)
	if err != nil {
		return nil, err
	}
	dateFormats.Lock()
	if dateFormats.m == nil {
		dateFormats.m = map[string]*dateFormat{}
	}
	if len(dateFormats.m) < 1024 {
		dateFormats.m[pattern] = f
	}
	dateFormats.Unlock()
	return f, nil
}

// DateTimeParser compiles a SimpleDateFormat pattern into a function that
// reads a date-time with it, as milliseconds since the epoch (UTC), the
// way CHAR_TO_TIMESTAMP does.
func DateTimeParser(pattern string) (func(string) (int64, error), error) {
	f, err := parsePattern(pattern)
	if err != nil {
		return nil, err
	}
	return f.parse, nil
}

func parsePattern(p string) (*dateFormat, error) {
	f := &dateFormat{pattern: p}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			f.fields = append(f.fields, dateField{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			if i+1 < len(p) && p[i+1] == '\'' {
				lit.WriteByte('\'')
				i += 2
				continue
			}
			j, closed := i+1, false
			for j < len(p) {
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						lit.WriteByte('\'')
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				lit.WriteByte(p[j])
				j++
			}
			if !closed {
				return nil, fmt.Errorf("unterminated quote in the date format %q", p)
			}
			i = j
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			if strings.IndexByte(patternLetters, c) < 0 {
				return nil, fmt.Errorf("illegal pattern character '%c' in the date format %q", c, p)
			}
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			flush()
			f.fields = append(f.fields, dateField{letter: c, count: j - i})
			i = j
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return f, nil
}

// format renders ms since the epoch (UTC).
func (f *dateFormat) format(ms int64) string {
	t := time.UnixMilli(ms).UTC()
	var b strings.Builder
	num := func(n, width int) {
		s := strconv.Itoa(n)
		for i := len(s); i < width; i++ {
			b.WriteByte('0')
		}
		b.WriteString(s)
	}
	year := func(y, count int) {
		if y <= 0 {
			y = 1 - y // year of era
		}
		if count == 2 {
			num(y%100, 2)
		} else {
			num(y, count)
		}
	}
	for _, fl := range f.fields {
		switch fl.letter {
		case 0:
			b.WriteString(fl.text)
		case 'G':
			if t.Year() > 0 {
				b.WriteString("AD")
			} else {
				b.WriteString("BC")
			}
		case 'y':
			year(t.Year(), fl.count)
		case 'Y':
			wy, _ := weekOfYear(t)
			year(wy, fl.count)
		case 'M', 'L':
			switch m := int(t.Month()); {
			case fl.count >= 4:
				b.WriteString(monthNames[m-1])
			case fl.count == 3:
				b.WriteString(monthNames[m-1][:3])
			default:
				num(m, fl.count)
			}
		case 'w':
			_, w := weekOfYear(t)
			num(w, fl.count)
		case 'W':
			first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
			num((t.Day()-1+int(first.Weekday()))/7+1, fl.count)
		case 'D':
			num(t.YearDay(), fl.count)
		case 'd':
			num(t.Day(), fl.count)
		case 'F':
			num((t.Day()-1)/7+1, fl.count)
		case 'E':
			name := dayNames[t.Weekday()]
			if fl.count < 4 {
				name = name[:3]
			}
			b.WriteString(name)
		case 'u':
			d := int(t.Weekday())
			if d == 0 {
				d = 7
			}
			num(d, fl.count)
		case 'a':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'H':
			num(t.Hour(), fl.count)
		case 'k':
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			num(h, fl.count)
		case 'K':
			num(t.Hour()%12, fl.count)
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			num(h, fl.count)
		case 'm':
			num(t.Minute(), fl.count)
		case 's':
			num(t.Second(), fl.count)
		case 'S':
			num(t.Nanosecond()/1e6, fl.count)
		case 'z':
			if fl.count >= 4 {
				b.WriteString("Coordinated Universal Time")
			} else {
				b.WriteString("UTC")
			}
		case 'Z':
			b.WriteString("+0000")
		case 'X':
			b.WriteString("Z")
		}
	}
	return b.String()
}

// weekOfYear is Java's week year and week of year for en_US: weeks start on
// Sunday, and week 1 is the one that holds January 1 (so late December days
// may be in week 1 of the next year).
func weekOfYear(t time.Time) (weekYear, week int) {
	y := t.Year()
	next := time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)
	if !t.Before(next.AddDate(0, 0, -int(next.Weekday()))) {
		return y + 1, 1
	}
	jan1 := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	return y, (t.YearDay()-1+int(jan1.Weekday()))/7 + 1
}

// parsedDate holds the fields read from an input string.
type parsedDate struct {
	year, month, day      int
	hasYear, hasMonth     bool
	hasDay, hasDayOfYear  bool
	dayOfYear             int
	hour, minute, sec, ms int
	hourLetter            byte
	pm, hasAmPm, bc       bool
	offset                int // seconds east of UTC
	hasZone               bool
}

// parse reads s with the pattern and gives ms since the epoch (UTC).
func (f *dateFormat) parse(s string) (int64, error) {
	d := parsedDate{year: 1970, month: 1, day: 1}
	mismatch := func() error { return fmt.Errorf("%q does not match the date format %q", s, f.pattern) }
	pos := 0
	for i, fl := range f.fields {
		if fl.letter == 0 {
			if !strings.HasPrefix(s[pos:], fl.text) {
				return 0, mismatch()
			}
			pos += len(fl.text)
			continue
		}
		for pos < len(s) && (s[pos] == ' ' || s[pos] == '\t') {
			pos++
		}
		if pos >= len(s) {
			return 0, mismatch()
		}
		switch fl.letter {
		case 'Y', 'w', 'W', 'F':
			return 0, fmt.Errorf("the date format %q: pattern letter '%c' is not supported for parsing", f.pattern, fl.letter)
		case 'G':
			i, ok := matchName(s, &pos, []string{"AD", "BC"})
			if !ok {
				return 0, mismatch()
			}
			d.bc = i == 1
			continue
		case 'E':
			if _, ok := matchName(s, &pos, append(append([]string{}, dayNames...), shortNames(dayNames)...)); !ok {
				return 0, mismatch()
			}
			continue
		case 'a':
			i, ok := matchName(s, &pos, []string{"AM", "PM"})
			if !ok {
				return 0, mismatch()
			}
			d.pm, d.hasAmPm = i == 1, true
			continue
		case 'z', 'Z', 'X':
			off, ok := parseZone(s, &pos, fl.letter)
			if !ok {
				return 0, mismatch()
			}
			d.offset, d.hasZone = off, true
			continue
		case 'M', 'L':
			if fl.count >= 3 {
				i, ok := matchName(s, &pos, append(append([]string{}, monthNames...), shortNames(monthNames)...))
				if !ok {
					return 0, mismatch()
				}
				d.month, d.hasMonth = i%12+1, true
				continue
			}
		}
		// A number: exactly count digits when another field abuts.
		limit := 0
		if i+1 < len(f.fields) && f.fields[i+1].letter != 0 {
			limit = fl.count
		}
		start := pos
		for pos < len(s) && s[pos] >= '0' && s[pos] <= '9' && (limit == 0 || pos-start < limit) {
			pos++
		}
		digits := s[start:pos]
		if digits == "" {
			return 0, mismatch()
		}
		if len(digits) > 9 {
			return 0, fmt.Errorf("%q: the number %s is out of range for the date format %q", s, digits, f.pattern)
		}
		n, _ := strconv.Atoi(digits)
		switch fl.letter {
		case 'y':
			if fl.count == 2 && len(digits) == 2 {
				n += 1900
				if n < 1940 {
					n += 100
				}
			}
			d.year, d.hasYear = n, true
		case 'M', 'L':
			d.month, d.hasMonth = n, true
		case 'd':
			d.day, d.hasDay = n, true
		case 'D':
			d.dayOfYear, d.hasDayOfYear = n, true
		case 'H', 'k', 'K', 'h':
			d.hour, d.hourLetter = n, fl.letter
		case 'm':
			d.minute = n
		case 's':
			d.sec = n
		case 'S':
			d.ms = n
		case 'u':
			if n < 1 || n > 7 {
				return 0, d.rangeError(s, f, "day of week", n)
			}
		}
	}
	return d.resolve(s, f)
}

func (d *parsedDate) rangeError(s string, f *dateFormat, what string, n int) error {
	return fmt.Errorf("%q: %s %d is out of range for the date format %q", s, what, n, f.pattern)
}

// resolve checks the fields' ranges (strictly, as Java's non-lenient
// calendar does) and combines them.
func (d *parsedDate) resolve(s string, f *dateFormat) (int64, error) {
	if d.year < 1 {
		return 0, d.rangeError(s, f, "year", d.year)
	}
	year := d.year
	if d.bc {
		year = 1 - year
	}
	if d.month < 1 || d.month > 12 {
		return 0, d.rangeError(s, f, "month", d.month)
	}
	if d.hasDayOfYear && !d.hasMonth && !d.hasDay {
		jan1 := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
		if d.dayOfYear < 1 || d.dayOfYear > jan1.AddDate(1, 0, -1).YearDay() {
			return 0, d.rangeError(s, f, "day of year", d.dayOfYear)
		}
		t := jan1.AddDate(0, 0, d.dayOfYear-1)
		d.month, d.day = int(t.Month()), t.Day()
	}
	if last := time.Date(year, time.Month(d.month)+1, 0, 0, 0, 0, 0, time.UTC).Day(); d.day < 1 || d.day > last {
		return 0, d.rangeError(s, f, "day", d.day)
	}
	hour := d.hour
	switch d.hourLetter {
	case 'H':
		if hour > 23 {
			return 0, d.rangeError(s, f, "hour (H)", hour)
		}
	case 'k':
		if hour < 1 || hour > 24 {
			return 0, d.rangeError(s, f, "hour (k)", hour)
		}
		hour %= 24
	case 'K', 'h':
		if d.hourLetter == 'K' && hour > 11 {
			return 0, d.rangeError(s, f, "hour (K)", hour)
		}
		if d.hourLetter == 'h' && (hour < 1 || hour > 12) {
			return 0, d.rangeError(s, f, "hour (h)", hour)
		}
		hour %= 12
		if d.pm {
			hour += 12
		}
	default:
		if d.pm {
			hour = 12
		}
	}
	switch {
	case d.minute > 59:
		return 0, d.rangeError(s, f, "minute", d.minute)
	case d.sec > 59:
		return 0, d.rangeError(s, f, "second", d.sec)
	case d.ms > 999:
		return 0, d.rangeError(s, f, "millisecond", d.ms)
	}
	t := time.Date(year, time.Month(d.month), d.day, hour, d.minute, d.sec, d.ms*1e6, time.UTC)
	return t.UnixMilli() - int64(d.offset)*1000, nil
}

func shortNames(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n[:3]
	}
	return out
}

// matchName matches the longest of names at s[*pos:], ignoring case.
func matchName(s string, pos *int, names []string) (int, bool) {
	best, bestLen := -1, 0
	for i, n := range names {
		if len(n) > bestLen && len(s)-*pos >= len(n) && strings.EqualFold(s[*pos:*pos+len(n)], n) {
			best, bestLen = i, len(n)
		}
	}
	if best < 0 {
		return 0, false
	}
	*pos += bestLen
	return best, true
}

// zoneNames are the zone names a parse accepts, with their offsets in
// hours (Java reads standard and daylight names as fixed offsets).
var zoneNames = map[string]float64{
	"UTC": 0, "GMT": 0, "UT": 0, "Coordinated Universal Time": 0, "Greenwich Mean Time": 0,
	"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
	"AKST": -9, "AKDT": -8, "HST": -10,
	"Eastern Standard Time": -5, "Eastern Daylight Time": -4, "Central Standard Time": -6,
	"Central Daylight Time": -5, "Mountain Standard Time": -7, "Mountain Daylight Time": -6,
	"Pacific Standard Time": -8, "Pacific Daylight Time": -7,
	"WET": 0, "WEST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
	"IST": 5.5, "SGT": 8, "HKT": 8, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11,
}

var zoneNameList = func() []string {
	var l []string
	for n := range zoneNames {
		l = append(l, n)
	}
	return l
}()

// parseZone reads a zone: X takes Z or ±hh[[:]mm]; z and Z take those
// offsets, GMT/UTC followed by an offset, or a zone name.
func parseZone(s string, pos *int, letter byte) (int, bool) {
	if *pos >= len(s) {
		return 0, false
	}
	if letter == 'X' {
		if s[*pos] == 'Z' {
			*pos++
			return 0, true
		}
		return parseOffset(s, pos)
	}
	if s[*pos] == '+' || s[*pos] == '-' {
		return parseOffset(s, pos)
	}
	i, ok := matchName(s, pos, zoneNameList)
	if !ok {
		return 0, false
	}
	name := zoneNameList[i]
	if (name == "GMT" || name == "UTC" || name == "UT") && *pos < len(s) && (s[*pos] == '+' || s[*pos] == '-') {
		return parseOffset(s, pos)
	}
	return int(zoneNames[name] * 3600), true
}

// parseOffset reads ±h, ±hh, ±hhmm or ±hh:mm.
func parseOffset(s string, pos *int) (int, bool) {
	p := *pos
	if p >= len(s) || (s[p] != '+' && s[p] != '-') {
		return 0, false
	}
	sign := 1
	if s[p] == '-' {
		sign = -1
	}
	p++
	digits := func(max int) (int, int) {
		n, k := 0, 0
		for k < max && p < len(s) && s[p] >= '0' && s[p] <= '9' {
			n = n*10 + int(s[p]-'0')
			p++
			k++
		}
		return n, k
	}
	h, hk := digits(2)
	if hk == 0 || h > 23 {
		return 0, false
	}
	m := 0
	if p < len(s) && s[p] == ':' {
		p++
		var mk int
		if m, mk = digits(2); mk != 2 {
			return 0, false
		}
	} else if hk == 2 && p+1 < len(s) && s[p] >= '0' && s[p] <= '9' && s[p+1] >= '0' && s[p+1] <= '9' {
		m, _ = digits(2)
	}
	if m > 59 {
		return 0, false
	}
	*pos = p
	return sign * (h*3600 + m*60), true
}
