package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Discover infers a JSON schema from sample records, as the service's
// DiscoverInputSchema does: one column per leaf value (nested objects give
// paths such as $.address.city), named after its key, typed from the values
// seen: INTEGER (BIGINT past 32 bits), DOUBLE, BOOLEAN, TIMESTAMP for
// 'yyyy-MM-dd HH:mm:ss[.SSS]' strings, else VARCHAR(n) with n the smallest
// power of two (at least 4) that holds the longest value.
func Discover(samples [][]byte) (Schema, error) {
	var order []string
	seen := map[string]*discovered{}
	for _, rec := range samples {
		dec := json.NewDecoder(bytes.NewReader(rec))
		dec.UseNumber()
		for {
			err := walk(dec, "$", func(path string, v any) {
				d := seen[path]
				if d == nil {
					d = &discovered{}
					seen[path] = d
					order = append(order, path)
				}
				d.add(v)
			})
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return Schema{}, fmt.Errorf("discover: a sample record is not JSON: %v", err)
			}
		}
	}
	if len(order) == 0 {
		return Schema{}, errors.New("discover: no JSON fields in the sample records")
	}
	s := Schema{
		RecordFormat: RecordFormat{RecordFormatType: JSON, MappingParameters: &MappingParameters{
			JSONMappingParameters: &JSONMappingParameters{RecordRowPath: "$"}}},
		RecordEncoding: "UTF-8",
	}
	names := map[string]bool{}
	for i, path := range order {
		name := columnName(path[strings.LastIndexByte(path, '.')+1:], i)
		for base, n := name, 2; names[strings.ToUpper(name)]; n++ {
			name = base + "_" + strconv.Itoa(n)
		}
		names[strings.ToUpper(name)] = true
		s.RecordColumns = append(s.RecordColumns, RecordColumn{Name: name, SqlType: seen[path].sqlType(), Mapping: path})
	}
	return s, nil
}

// walk reads one JSON value from dec and reports each leaf with its path.
func walk(dec *json.Decoder, path string, leaf func(string, any)) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			for dec.More() {
				key, err := dec.Token()
				if err != nil {
					return err
				}
				k := key.(string)
				child := path + "." + k
				if !simpleKey.MatchString(k) {
					child = path + "['" + k + "']"
				}
				if err := walk(dec, child, leaf); err != nil {
					return err
				}
			}
		case '[':
			// Arrays are taken whole, as text.
			depth := 1
			for depth > 0 {
				tok, err := dec.Token()
				if err != nil {
					return err
				}
				if d, ok := tok.(json.Delim); ok {
					if d == '[' || d == '{' {
						depth++
					} else {
						depth--
					}
				}
			}
			leaf(path, "[...]")
			return nil
		}
		_, err := dec.Token() // the closing delimiter
		return err
	default:
		leaf(path, t)
	}
	return nil
}

var (
	simpleKey     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	timestampText = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,3})?$`)
	notNameChar   = regexp.MustCompile(`[^A-Za-z0-9_]`)
)

type discovered struct {
	ints, floats, bools, timestamps, strings, nulls int
	big                                             bool
	maxLen                                          int
}

func (d *discovered) add(v any) {
	switch x := v.(type) {
	case nil:
		d.nulls++
	case bool:
		d.bools++
		d.maxLen = max(d.maxLen, len(strconv.FormatBool(x)))
	case json.Number:
		d.maxLen = max(d.maxLen, len(x))
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			d.ints++
			d.big = d.big || i > math.MaxInt32 || i < math.MinInt32
		} else {
			d.floats++
		}
	case string:
		d.maxLen = max(d.maxLen, len([]rune(x)))
		if timestampText.MatchString(x) {
			d.timestamps++
		} else {
			d.strings++
		}
	}
}

func (d *discovered) sqlType() string {
	n := d.ints + d.floats + d.bools + d.timestamps + d.strings
	switch {
	case n == 0:
		return "VARCHAR(4)"
	case d.ints == n && d.big:
		return "BIGINT"
	case d.ints == n:
		return "INTEGER"
	case d.ints+d.floats == n:
		return "DOUBLE"
	case d.bools == n:
		return "BOOLEAN"
	case d.timestamps == n:
		return "TIMESTAMP"
	}
	size := 4
	for size < d.maxLen {
		size *= 2
	}
	return fmt.Sprintf("VARCHAR(%d)", size)
}

// reservedNames must not be column names as they are; the service
// prefixes them with COL_.
var reservedNames = map[string]bool{
	"TIMESTAMP": true, "USER": true, "VALUES": true, "YEAR": true, "TIME": true, "DATE": true,
	"COUNT": true, "ROWTIME": true, "SELECT": true, "FROM": true, "WHERE": true, "ORDER": true,
	"GROUP": true, "TABLE": true, "STREAM": true, "MONTH": true, "DAY": true, "HOUR": true,
	"MINUTE": true, "SECOND": true, "RANGE": true, "ROWS": true, "WINDOW": true,
}

// columnName applies the service's naming rules to a JSON key.
func columnName(key string, ordinal int) string {
	clean := notNameChar.ReplaceAllString(key, "")
	switch {
	case clean == "":
		return "COL_" + strconv.Itoa(ordinal)
	case clean != key || reservedNames[strings.ToUpper(clean)] || clean[0] >= '0' && clean[0] <= '9':
		clean = "COL_" + clean
	}
	if len(clean) > 100 {
		clean = clean[:100]
	}
	return clean
}
