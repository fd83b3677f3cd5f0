package logparse

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/riffle-sql/riffle/sql/types"
)

// SYS_LOG_PARSE(str): 'Mon DD HH:MM:SS server message' gives COLUMN1, the
// TIMESTAMP (the line has no year: 1970, as Java's SimpleDateFormat reads
// it), and COLUMN2, the rest of the line, VARCHAR(1024) (RFC 3164's size
// of a whole message). A leading <priority> is skipped. Another line gives
// NULL fields.

var sysLogLine = regexp.MustCompile(`(?s)\A(?:<\d{1,3}>)?([A-Za-z]{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (.*)\z`)

var months = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

func prepareSysLog(args []Arg) (*Call, error) {
	fields := []Field{
		{Name: "COLUMN1", Type: types.Type{Kind: types.Timestamp}},
		{Name: "COLUMN2", Type: types.Type{Kind: types.Varchar, Length: fieldLength}},
	}
	return &Call{Fields: fields, Parse: func(a []types.Value, out []types.Value) error {
		nulls(fields, out)
		if a[0].Null {
			return nil
		}
		m := sysLogLine.FindStringSubmatch(a[0].S)
		if m == nil {
			return nil
		}
		month := -1
		for i, name := range months {
			if strings.EqualFold(m[1], name) {
				month = i + 1
			}
		}
		ts, err := types.ParseTimestamp(fmt.Sprintf("1970-%02d-%02s %s:%s:%s", month, m[2], m[3], m[4], m[5]))
		if month < 0 || err != nil {
			return nil
		}
		out[0] = types.TimestampMs(ts)
		v, err := text(m[6], fields[1])
		out[1] = v
		return err
	}}, nil
}

// VARIABLE_COLUMN_LOG_PARSE(str, columns, delimiter [, escape [, quote]]):
// columns is a count (COLUMN1... VARCHAR(1024)) or a list 'NAME TYPE type
// [NOT NULL], ...'. The delimiter is a string; the escape character makes
// the next character plain text (the escape itself is dropped); quote is
// one character, or a begin and an end character: quoted text stays in one
// field, without its quotes (a doubled quote inside, when both are the
// same, is one quote). Fields past the last column are ignored, missing
// ones are NULL; an empty field is '' for a string column, NULL otherwise.

func prepareVariable(args []Arg) (*Call, error) {
	var cols []column
	switch c := args[1]; {
	case c.Const != nil && c.Const.Kind.IsInteger() && !c.Const.Null:
		if c.Const.I < 1 || c.Const.I > 1000 {
			return nil, argErr(1, -1, "the number of columns must be 1 to 1000, not %d", c.Const.I)
		}
		for _, f := range defaultFields(int(c.Const.I)) {
			cols = append(cols, column{Field: f})
		}
	case c.Const != nil && c.Const.Kind.IsString() && !c.Const.Null:
		var err error
		if cols, err = columnArg(args, 1, true, false); err != nil {
			return nil, err
		}
	default:
		return nil, argErr(1, -1, "the columns must be a constant number or a constant column list such as 'A TYPE VARCHAR(10), B TYPE INTEGER'")
	}
	for i := 2; i < len(args); i++ {
		if !isString(args[i].Type) {
			return nil, argErr(i, -1, "the %s must be a string, not %s", []string{"", "", "delimiter", "escape", "quote"}[i], args[i].Type)
		}
		if c := args[i].Const; c != nil && !c.Null {
			if err := checkSplitArg(i, c.S); err != nil {
				return nil, argErr(i, -1, "%v", err)
			}
		}
	}
	fields := fieldsOf(cols)
	return &Call{Fields: fields, Parse: func(a []types.Value, out []types.Value) error {
		for _, v := range a {
			if v.Null {
				nulls(fields, out)
				return nil
			}
		}
		sp := splitter{delim: a[2].S}
		if len(a) > 3 {
			sp.escape = a[3].S
		}
		if len(a) > 4 {
			sp.begin, sp.end = a[4].S, a[4].S
			if q := []rune(a[4].S); len(q) == 2 {
				sp.begin, sp.end = string(q[0]), string(q[1])
			}
		}
		for i := 2; i < len(a); i++ {
			if err := checkSplitArg(i, a[i].S); err != nil {
				return err
			}
		}
		parts := sp.split(a[0].S)
		for i := range cols {
			s, missing := "", i >= len(parts)
			if !missing {
				s = parts[i]
			}
			v, err := cols[i].convert(s, missing)
			if err != nil {
				return err
			}
			out[i] = v
		}
		return nil
	}}, nil
}

func checkSplitArg(i int, s string) error {
	n := utf8.RuneCountInString(s)
	switch {
	case i == 2 && n == 0:
		return fmt.Errorf("the delimiter must not be empty")
	case i == 3 && n > 1:
		return fmt.Errorf("the escape must be one character (or empty for none), not %q", s)
	case i == 4 && n != 1 && n != 2:
		return fmt.Errorf("the quote must be one character, or a begin and an end character, not %q", s)
	}
	return nil
}

type splitter struct {
	delim, escape, begin, end string
}

func (sp splitter) split(s string) []string {
	var fields []string
	var cur strings.Builder
	plain := true // the field so far is s[start:i], with no escape or quote in it
	start := 0
	quoted := false
	for i := 0; i < len(s); {
		rest := s[i:]
		switch {
		case sp.escape != "" && strings.HasPrefix(rest, sp.escape):
			if plain {
				cur.WriteString(s[start:i])
				plain = false
			}
			i += len(sp.escape)
			if i < len(s) {
				_, size := utf8.DecodeRuneInString(s[i:])
				cur.WriteString(s[i : i+size])
				i += size
			}
			continue
		case quoted && strings.HasPrefix(rest, sp.end):
			i += len(sp.end)
			if sp.begin == sp.end && strings.HasPrefix(s[i:], sp.end) {
				cur.WriteString(sp.end)
				i += len(sp.end)
				continue
			}
			quoted = false
			continue
		case quoted:
		case sp.begin != "" && strings.HasPrefix(rest, sp.begin):
			if plain {
				cur.WriteString(s[start:i])
				plain = false
			}
			quoted = true
			i += len(sp.begin)
			continue
		case strings.HasPrefix(rest, sp.delim):
			if plain {
				fields = append(fields, s[start:i])
			} else {
				fields = append(fields, cur.String())
				cur.Reset()
			}
			i += len(sp.delim)
			start, plain = i, true
			continue
		}
		_, size := utf8.DecodeRuneInString(rest)
		if !plain {
			cur.WriteString(rest[:size])
		}
		i += size
	}
	if plain {
		return append(fields, s[start:])
	}
	return append(fields, cur.String())
}

// FIXED_COLUMN_LOG_PARSE(str, 'name TYPE type [NOT NULL] START n [FOR m],
// ...'): each column is the characters from n (counted from 0), m of them
// or to the end of the line. A string column keeps its text as it stands
// (spaces included); other types ignore spaces around the value; a column
// that starts past the end of the line, or holds only spaces for a type
// other than a string, is NULL.

func prepareFixed(args []Arg) (*Call, error) {
	cols, err := columnArg(args, 1, true, true)
	if err != nil {
		return nil, err
	}
	fields := fieldsOf(cols)
	return &Call{Fields: fields, Parse: func(a []types.Value, out []types.Value) error {
		if a[0].Null {
			nulls(fields, out)
			return nil
		}
		line := a[0].S
		var rs []rune // positions count characters: bytes do when all are ASCII
		n := len(line)
		if !isASCII(line) {
			rs = []rune(line)
			n = len(rs)
		}
		for i, c := range cols {
			missing := c.start >= n
			s := ""
			if !missing {
				end := n
				if c.end >= 0 {
					end = min(end, c.end)
				}
				if rs != nil {
					s = string(rs[c.start:end])
				} else {
					s = line[c.start:end]
				}
			}
			v, err := c.convert(s, missing)
			if err != nil {
				return err
			}
			out[i] = v
		}
		return nil
	}}, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
