package template

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The KDG formats date.now, date.utc and date.simTime with moment.js 2.17
// and its English locale. This file reimplements moment's format(): the
// same tokenizer (a port of its formattingTokens regular expression, tried
// alternative by alternative), the same token functions, the same escapes.

const (
	momentDefault    = "YYYY-MM-DDTHH:mm:ssZ"
	momentDefaultUTC = "YYYY-MM-DDTHH:mm:ss[Z]" // moment >= 2.13 in UTC mode
)

var (
	monthNames   = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	monthsShort  = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	weekdayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	weekdayShort = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	weekdayMin   = []string{"Su", "Mo", "Tu", "We", "Th", "Fr", "Sa"}

	// longDateFormats is the English locale's L… tokens, lower-case ones
	// derived the way moment derives them (MMMM→MMM, MM→M, DD→D, dddd→ddd).
	longDateFormats = map[string]string{
		"LTS": "h:mm:ss A", "LT": "h:mm A",
		"L": "MM/DD/YYYY", "LL": "MMMM D, YYYY", "LLL": "MMMM D, YYYY h:mm A", "LLLL": "dddd, MMMM D, YYYY h:mm A",
		"l": "M/D/YYYY", "ll": "MMM D, YYYY", "lll": "MMM D, YYYY h:mm A", "llll": "ddd, MMM D, YYYY h:mm A",
	}
)

// formatMoment is moment(t).format(layout); utc is moment's UTC mode
// (date.utc), which changes the default layout and the z token.
func formatMoment(t time.Time, layout string, utc bool) string {
	if layout == "" {
		layout = momentDefault
		if utc {
			layout = momentDefaultUTC
		}
	}
	layout = expandLongFormats(layout)
	var b strings.Builder
	for i := 0; i < len(layout); {
		tok, n := nextMomentToken(layout[i:])
		i += n
		if fn, ok := momentTokens[tok]; ok {
			b.WriteString(fn(t, utc))
			continue
		}
		switch {
		case tok == "":
			// a line terminator: "." in a JS regular expression skips it
		case len(tok) > 1 && tok[0] == '[':
			tok = strings.TrimPrefix(tok, "[")
			b.WriteString(strings.TrimSuffix(tok, "]"))
		default:
			b.WriteString(strings.ReplaceAll(tok, `\`, ""))
		}
	}
	return b.String()
}

// expandLongFormats replaces LT, LTS, L…LLLL and l…llll outside [brackets],
// repeatedly (moment allows five rounds) since a long format may hold others.
func expandLongFormats(layout string) string {
	for round := 0; round < 5; round++ {
		var b strings.Builder
		changed := false
		for i := 0; i < len(layout); {
			if n := bracketLen(layout[i:]); n > 0 {
				b.WriteString(layout[i : i+n])
				i += n
				continue
			}
			esc := 0
			if layout[i] == '\\' {
				esc = 1
			}
			if tok := longToken(layout[i+esc:]); tok != "" {
				if esc == 1 {
					b.WriteString(layout[i : i+1+len(tok)]) // escaped: kept as is
				} else {
					b.WriteString(longDateFormats[tok])
					changed = true
				}
				i += esc + len(tok)
				continue
			}
			b.WriteByte(layout[i])
			i++
		}
		layout = b.String()
		if !changed {
			break
		}
	}
	return layout
}

func longToken(s string) string {
	switch {
	case strings.HasPrefix(s, "LTS"):
		return "LTS"
	case strings.HasPrefix(s, "LT"):
		return "LT"
	case strings.HasPrefix(s, "L"):
		return s[:runLen(s, 'L', 4)]
	case strings.HasPrefix(s, "l"):
		return s[:runLen(s, 'l', 4)]
	}
	return ""
}

// runLen counts the leading c bytes of s, at most max.
func runLen(s string, c byte, max int) int {
	n := 0
	for n < len(s) && n < max && s[n] == c {
		n++
	}
	return n
}

// bracketLen matches moment's \[[^\[]*\] at the start of s: up to the last
// "]" before the next "[". It returns 0 when there is no match.
func bracketLen(s string) int {
	if s == "" || s[0] != '[' {
		return 0
	}
	end := len(s)
	if j := strings.IndexByte(s[1:], '['); j >= 0 {
		end = 1 + j
	}
	if k := strings.LastIndexByte(s[1:end], ']'); k >= 0 {
		return 1 + k + 1
	}
	return 0
}

// nextMomentToken returns the token at the start of s and its length.
func nextMomentToken(s string) (string, int) {
	if n := bracketLen(s); n > 0 {
		return s[:n], n
	}
	esc := 0
	if s[0] == '\\' && len(s) > 1 {
		esc = 1
	}
	if n := tokenLen(s[esc:]); n > 0 {
		return s[:esc+n], esc + n
	}
	// "." matches any character but a line terminator, which JS skips.
	if esc == 1 {
		if r, size := decodeRune(s[1:]); !lineTerminator(r) {
			return s[:1+size], 1 + size // "\x": x printed as is
		}
		return s[:1], 1 // "." takes the backslash itself
	}
	r, size := decodeRune(s)
	if lineTerminator(r) {
		return "", size
	}
	return s[:size], size
}

func lineTerminator(r rune) bool {
	return r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029'
}

func decodeRune(s string) (rune, int) {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		size = 1
	}
	return r, size
}

// tokenLen tries moment's token alternatives in its order:
// [Hh]mm(ss)?|Mo|MM?M?M?|Do|DDDo|DD?D?D?|ddd?d?|do?|w[o|w]?|W[o|W]?|Qo?|
// YYYYYY|YYYYY|YYYY|YY|gg(ggg?)?|GG(GGG?)?|e|E|a|A|hh?|HH?|kk?|mm?|ss?|S{1,9}|x|X|zz?|ZZ?
func tokenLen(s string) int {
	has := func(p string) bool { return strings.HasPrefix(s, p) }
	switch {
	case (has("Hmm") || has("hmm")) && strings.HasPrefix(s[3:], "ss"):
		return 5
	case has("Hmm") || has("hmm"):
		return 3
	case has("Mo"):
		return 2
	case has("M"):
		return runLen(s, 'M', 4)
	case has("Do"):
		return 2
	case has("DDDo"):
		return 4
	case has("D"):
		return runLen(s, 'D', 4)
	case has("dd"):
		return runLen(s, 'd', 4)
	case has("do"):
		return 2
	case has("d"):
		return 1
	case has("w") || has("W"):
		if len(s) > 1 && (s[1] == 'o' || s[1] == '|' || s[1] == s[0]) {
			return 2
		}
		return 1
	case has("Qo"):
		return 2
	case has("Q"):
		return 1
	case has("YYYYYY"):
		return 6
	case has("YYYYY"):
		return 5
	case has("YYYY"):
		return 4
	case has("YY"):
		return 2
	case has("gg") || has("GG"):
		switch n := runLen(s, s[0], 5); {
		case n >= 4:
			return n
		default:
			return 2
		}
	case has("e") || has("E") || has("a") || has("A") || has("x") || has("X"):
		return 1
	case has("h") || has("H") || has("k") || has("m") || has("s") || has("z"):
		return runLen(s, s[0], 2)
	case has("Z"):
		return runLen(s, 'Z', 2)
	case has("S"):
		return runLen(s, 'S', 9)
	}
	return 0
}

type tokenFunc func(t time.Time, utc bool) string

// momentTokens holds moment's formatTokenFunctions for the English locale.
var momentTokens = func() map[string]tokenFunc {
	m := map[string]tokenFunc{}
	// add registers a token, its zero-padded form and its ordinal form,
	// like moment's addFormatToken.
	add := func(token, padded string, width int, ordinal string, fn func(time.Time) int) {
		if token != "" {
			m[token] = func(t time.Time, _ bool) string { return strconv.Itoa(fn(t)) }
		}
		if padded != "" {
			m[padded] = func(t time.Time, _ bool) string { return zeroFill(fn(t), width, false) }
		}
		if ordinal != "" {
			m[ordinal] = func(t time.Time, _ bool) string { return enOrdinal(fn(t)) }
		}
	}
	add("M", "MM", 2, "Mo", func(t time.Time) int { return int(t.Month()) })
	add("Q", "", 0, "Qo", func(t time.Time) int { return (int(t.Month())-1)/3 + 1 })
	add("D", "DD", 2, "Do", func(t time.Time) int { return t.Day() })
	add("DDD", "DDDD", 3, "DDDo", func(t time.Time) int { return t.YearDay() })
	add("d", "", 0, "do", func(t time.Time) int { return int(t.Weekday()) })
	add("e", "", 0, "", func(t time.Time) int { return int(t.Weekday()) }) // English weeks start on Sunday
	add("E", "", 0, "", func(t time.Time) int { return (int(t.Weekday())+6)%7 + 1 })
	add("w", "ww", 2, "wo", func(t time.Time) int { w, _ := weekOfYear(t, 0, 6); return w })
	add("W", "WW", 2, "Wo", func(t time.Time) int { w, _ := weekOfYear(t, 1, 4); return w })
	add("H", "HH", 2, "", func(t time.Time) int { return t.Hour() })
	add("h", "hh", 2, "", hour12)
	add("k", "kk", 2, "", func(t time.Time) int {
		if t.Hour() == 0 {
			return 24
		}
		return t.Hour()
	})
	add("m", "mm", 2, "", func(t time.Time) int { return t.Minute() })
	add("s", "ss", 2, "", func(t time.Time) int { return t.Second() })
	add("S", "", 0, "", func(t time.Time) int { return millis(t) / 100 })
	add("", "SS", 2, "", func(t time.Time) int { return millis(t) / 10 })
	add("", "SSS", 3, "", millis)
	for n := 4; n <= 9; n++ {
		scale := int(math.Pow10(n - 3))
		add("", strings.Repeat("S", n), n, "", func(t time.Time) int { return millis(t) * scale })
	}
	year := func(t time.Time) int { return t.Year() }
	m["Y"] = func(t time.Time, _ bool) string {
		if y := t.Year(); y > 9999 {
			return "+" + strconv.Itoa(y)
		}
		return strconv.Itoa(t.Year())
	}
	add("", "YY", 2, "", func(t time.Time) int { return t.Year() % 100 })
	add("", "YYYY", 4, "", year)
	add("", "YYYYY", 5, "", year)
	m["YYYYYY"] = func(t time.Time, _ bool) string { return zeroFill(t.Year(), 6, true) }
	weekYear := func(dow, doy int) func(time.Time) int {
		return func(t time.Time) int { _, y := weekOfYear(t, dow, doy); return y }
	}
	add("", "gg", 2, "", func(t time.Time) int { return weekYear(0, 6)(t) % 100 })
	add("", "gggg", 4, "", weekYear(0, 6))
	add("", "ggggg", 5, "", weekYear(0, 6))
	add("", "GG", 2, "", func(t time.Time) int { return weekYear(1, 4)(t) % 100 })
	add("", "GGGG", 4, "", weekYear(1, 4))
	add("", "GGGGG", 5, "", weekYear(1, 4))

	m["MMM"] = func(t time.Time, _ bool) string { return monthsShort[t.Month()-1] }
	m["MMMM"] = func(t time.Time, _ bool) string { return monthNames[t.Month()-1] }
	m["dd"] = func(t time.Time, _ bool) string { return weekdayMin[t.Weekday()] }
	m["ddd"] = func(t time.Time, _ bool) string { return weekdayShort[t.Weekday()] }
	m["dddd"] = func(t time.Time, _ bool) string { return weekdayNames[t.Weekday()] }
	m["a"] = func(t time.Time, _ bool) string { return meridiem(t, "am", "pm") }
	m["A"] = func(t time.Time, _ bool) string { return meridiem(t, "AM", "PM") }
	m["hmm"] = func(t time.Time, _ bool) string { return strconv.Itoa(hour12(t)) + zeroFill(t.Minute(), 2, false) }
	m["hmmss"] = func(t time.Time, u bool) string { return m["hmm"](t, u) + zeroFill(t.Second(), 2, false) }
	m["Hmm"] = func(t time.Time, _ bool) string { return strconv.Itoa(t.Hour()) + zeroFill(t.Minute(), 2, false) }
	m["Hmmss"] = func(t time.Time, u bool) string { return m["Hmm"](t, u) + zeroFill(t.Second(), 2, false) }
	m["Z"] = func(t time.Time, _ bool) string { return offset(t, ":") }
	m["ZZ"] = func(t time.Time, _ bool) string { return offset(t, "") }
	m["z"] = func(_ time.Time, utc bool) string {
		if utc {
			return "UTC" // moment without moment-timezone knows no other zone name
		}
		return ""
	}
	m["zz"] = m["z"]
	m["X"] = func(t time.Time, _ bool) string { return strconv.FormatInt(floorDiv(t.UnixMilli(), 1000), 10) }
	m["x"] = func(t time.Time, _ bool) string { return strconv.FormatInt(t.UnixMilli(), 10) }
	return m
}()

func millis(t time.Time) int { return t.Nanosecond() / 1e6 }

func hour12(t time.Time) int {
	if h := t.Hour() % 12; h != 0 {
		return h
	}
	return 12
}

func meridiem(t time.Time, am, pm string) string {
	if t.Hour() > 11 {
		return pm
	}
	return am
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// offset is moment's Z (sep ":") and ZZ (sep "") token.
func offset(t time.Time, sep string) string {
	_, secs := t.Zone()
	mins := int(math.Round(float64(secs) / 60))
	sign := "+"
	if mins < 0 {
		sign, mins = "-", -mins
	}
	return sign + zeroFill(mins/60, 2, false) + sep + zeroFill(mins%60, 2, false)
}

// zeroFill is moment's zeroFill: pad |n| to width digits, sign in front.
func zeroFill(n, width int, forceSign bool) string {
	digits := strconv.Itoa(abs(n))
	if len(digits) < width {
		digits = strings.Repeat("0", width-len(digits)) + digits
	}
	switch {
	case n < 0:
		return "-" + digits
	case forceSign:
		return "+" + digits
	}
	return digits
}

// enOrdinal is the English locale's ordinal: 1st 2nd 3rd 4th 11th 12th 13th 21st.
func enOrdinal(n int) string {
	suffix := "th"
	if (n%100)/10 != 1 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return strconv.Itoa(n) + suffix
}

// weekOfYear is moment's weekOfYear: dow is the first day of the week,
// doy decides which January day is always in week 1 (0,6 for English
// locale weeks, 1,4 for ISO weeks). It returns the week and its year.
func weekOfYear(t time.Time, dow, doy int) (week, year int) {
	y := t.Year()
	w := int(math.Floor(float64(t.YearDay()-firstWeekOffset(y, dow, doy)-1)/7)) + 1
	switch {
	case w < 1:
		return w + weeksInYear(y-1, dow, doy), y - 1
	case w > weeksInYear(y, dow, doy):
		return w - weeksInYear(y, dow, doy), y + 1
	}
	return w, y
}

func firstWeekOffset(year, dow, doy int) int {
	fwd := 7 + dow - doy
	fwdlw := (7 + int(time.Date(year, time.January, fwd, 0, 0, 0, 0, time.UTC).Weekday()) - dow) % 7
	return -fwdlw + fwd - 1
}

func weeksInYear(year, dow, doy int) int {
	days := 365
	if time.Date(year, time.December, 31, 0, 0, 0, 0, time.UTC).YearDay() == 366 {
		days = 366
	}
	return (days - firstWeekOffset(year, dow, doy) + firstWeekOffset(year+1, dow, doy)) / 7
}
