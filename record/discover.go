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

// Discover infers a schema from sample records, as the service's
// DiscoverInputSchema does. JSON records give one column per leaf value
// (nested objects give paths such as $.address.city), named after its key;
// the first array of objects is flattened (one row per element, its
// members mapped as $.orders[0:].orderId) and other arrays are taken whole
// as text ($.tags[0:]). Other records are read as CSV (see discoverCSV).
// Types come from the values seen: INTEGER (BIGINT past 32 bits), DOUBLE,
// BOOLEAN, TIMESTAMP for 'yyyy-MM-dd HH:mm:ss[.SSS]' strings, else
// VARCHAR(n) with n the smallest power of two (at least 4) that holds the
// longest value.
func Discover(samples [][]byte) (Schema, error) {
	if len(samples) == 0 {
		return Schema{}, errors.New("discover: no sample records")
	}
	for _, rec := range samples {
		if !isJSONDocument(rec) {
			return discoverCSV(samples)
		}
	}
	w := &walker{seen: map[string]*discovered{}}
	for _, rec := range samples {
		dec := json.NewDecoder(bytes.NewReader(rec))
		dec.UseNumber()
		for {
			err := w.value(dec, "$", false)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return Schema{}, fmt.Errorf("discover: a sample record is not JSON: %v", err)
			}
		}
	}
	if len(w.order) == 0 {
		return Schema{}, errors.New("discover: no JSON fields in the sample records")
	}
	s := Schema{
		RecordFormat: RecordFormat{RecordFormatType: JSON, MappingParameters: &MappingParameters{
			JSONMappingParameters: &JSONMappingParameters{RecordRowPath: "$"}}},
		RecordEncoding: "UTF-8",
	}
	var names uniqueNames
	for i, path := range w.order {
		key := strings.TrimSuffix(path, "[0:]")
		key = key[max(strings.LastIndexByte(key, '.'), strings.LastIndex(key, "['")+1)+1:]
		key = strings.TrimSuffix(key, "']")
		s.RecordColumns = append(s.RecordColumns, RecordColumn{Name: names.add(columnName(key, i)), SqlType: w.seen[path].sqlType(), Mapping: path})
	}
	return s, nil
}

// isJSONDocument tells a record holding one or more JSON objects or arrays.
func isJSONDocument(rec []byte) bool {
	trimmed := bytes.TrimSpace(rec)
	if len(trimmed) == 0 || trimmed[0] != '{' && trimmed[0] != '[' {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	for {
		var v json.RawMessage
		if err := dec.Decode(&v); errors.Is(err, io.EOF) {
			return true
		} else if err != nil {
			return false
		}
	}
}

// uniqueNames keeps column names distinct (ignoring case) with _2, _3...
type uniqueNames map[string]bool

func (u *uniqueNames) add(name string) string {
	if *u == nil {
		*u = uniqueNames{}
	}
	for base, n := name, 2; (*u)[strings.ToUpper(name)]; n++ {
		name = base + "_" + strconv.Itoa(n)
	}
	(*u)[strings.ToUpper(name)] = true
	return name
}

// walker reads JSON values token by token and records each column's
// mapping path and the values seen there, in the order first seen.
type walker struct {
	order []string
	seen  map[string]*discovered
	// flat is the path of the array whose elements become rows: the first
	// array of objects met. Only one array can be flattened.
	flat string
}

func (w *walker) leaf(path string, v any) {
	d := w.seen[path]
	if d == nil {
		d = &discovered{}
		w.seen[path] = d
		w.order = append(w.order, path)
	}
	d.add(v)
}

func childPath(path, key string) string {
	if simpleKey.MatchString(key) {
		return path + "." + key
	}
	return path + "['" + key + "']"
}

// value reads one JSON value at path. Inside a flattened array's element
// (inElement) objects and arrays are taken whole: a mapping dereferences
// only one level after the array.
func (w *walker) value(dec *json.Decoder, path string, inElement bool) error {
	start := dec.InputOffset()
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		w.leaf(path, tok)
		return nil
	}
	if inElement {
		if err := skipRest(dec); err != nil {
			return err
		}
		w.leaf(path, wholeText(dec.InputOffset()-start))
		return nil
	}
	switch d {
	case '{':
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return err
			}
			if err := w.value(dec, childPath(path, key.(string)), false); err != nil {
				return err
			}
		}
		_, err := dec.Token() // }
		return err
	case '[':
		return w.array(dec, path, start)
	}
	return fmt.Errorf("unexpected %v", d)
}

// array reads an array whose '[' was just read: the first array of objects
// is flattened, others are one column of text.
func (w *walker) array(dec *json.Decoder, path string, start int64) error {
	if !dec.More() {
		_, err := dec.Token() // ], an empty array tells nothing
		return err
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') || w.flat != "" && w.flat != path {
		if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
			if err := skipRest(dec); err != nil {
				return err
			}
		}
		if err := skipRest(dec); err != nil {
			return err
		}
		w.leaf(path+"[0:]", wholeText(dec.InputOffset()-start))
		return nil
	}
	w.flat = path
	for first := true; ; first = false {
		if !first {
			if !dec.More() {
				_, err := dec.Token() // ]
				return err
			}
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			if tok != json.Delim('{') {
				// A scalar among the objects has no members to map.
				if d, ok := tok.(json.Delim); ok && d == '[' {
					if err := skipRest(dec); err != nil {
						return err
					}
				}
				continue
			}
		}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return err
			}
			if err := w.value(dec, childPath(path+"[0:]", key.(string)), true); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // }
			return err
		}
	}
}

// skipRest reads to the end of the object or array whose opening
// delimiter was just read.
func skipRest(dec *json.Decoder) error {
	for depth := 1; depth > 0; {
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
	return nil
}

// wholeText stands for an object or array taken whole as text of n bytes:
// it is typed VARCHAR, sized to hold it.
type wholeText int64

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
	case wholeText:
		d.strings++
		d.maxLen = max(d.maxLen, int(x))
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
