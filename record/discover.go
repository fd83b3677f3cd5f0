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
	"unicode/utf8"

	"github.com/riffle-sql/riffle/sql/types"
)

// Limits of discovery. The service takes at most 1,000 RecordColumns in a
// schema; it documents no nesting depth for its JSON mappings, so Riffle
// chooses one: a mapping names at most MaxPathDepth keys, and an object
// nested deeper becomes one VARCHAR column holding its JSON text.
const (
	MaxColumns   = 1000
	MaxPathDepth = 64
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
// longest value, at most 65,535. At most MaxColumns columns are discovered
// (the first seen), and mappings stop MaxPathDepth keys down.
func Discover(samples [][]byte) (Schema, error) {
	if len(samples) == 0 {
		return Schema{}, errors.New("discover: no sample records")
	}
	for _, rec := range samples {
		if !isJSONDocument(rec) {
			return discoverCSV(samples)
		}
	}
	w := newWalker()
	for _, rec := range samples {
		dec := json.NewDecoder(bytes.NewReader(rec))
		dec.UseNumber()
		for {
			err := w.value(dec, 0, false)
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
	for i, id := range w.order {
		if n := w.nodes[id].container; n > 0 {
			// Objects or arrays here as well as scalars: they map as text.
			w.seen[id].add(wholeText(n))
		}
		s.RecordColumns = append(s.RecordColumns, RecordColumn{Name: names.add(columnName(w.nodes[id].key, i)), SqlType: w.seen[id].sqlType(), Mapping: w.path(id)})
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
//
// Paths are nodes of a tree (a node holds its last step and its parent),
// so reading a record costs time and memory in proportion to its size:
// a key deep down is one node, not a copy of the path above it. Mappings
// are spelled out only for the columns discovered.
type walker struct {
	nodes []pathNode
	steps map[step]int32
	order []int32
	seen  map[int32]*discovered
	// flat is the node of the array whose elements become rows: the first
	// array of objects met (-1 before). Only one array can be flattened.
	flat int32
}

type pathNode struct {
	parent int32
	seg    string // ".key", "['key']" or "[0:]"; "$" at the root
	key    string // the key that names a column here
	depth  int    // keys from the root
	length int    // of the whole mapping
	// container is the length of the longest object or array read here,
	// 0 for none: a column here that also saw scalars is text.
	container int64
}

type step struct {
	parent int32
	key    string
	array  bool
}

func newWalker() *walker {
	return &walker{nodes: []pathNode{{parent: -1, seg: "$", length: 1}}, steps: map[step]int32{}, seen: map[int32]*discovered{}, flat: -1}
}

// child is the node of key under parent, or of parent's array elements.
func (w *walker) child(parent int32, key string, array bool) int32 {
	st := step{parent, key, array}
	if id, ok := w.steps[st]; ok {
		return id
	}
	p := w.nodes[parent]
	n := pathNode{parent: parent, key: key, depth: p.depth + 1}
	switch {
	case array:
		n.seg, n.key, n.depth = "[0:]", p.key, p.depth
	case simpleKey.MatchString(key):
		n.seg = "." + key
	default:
		n.seg = "['" + key + "']"
	}
	n.length = p.length + len(n.seg)
	if strings.Contains(key, "']") || strings.Contains(key, "[0:]") {
		// A mapping cannot spell this key: it and all below it are left out.
		n.length = maxMappingLength + 1
	}
	w.nodes = append(w.nodes, n)
	id := int32(len(w.nodes) - 1)
	w.steps[st] = id
	return id
}

// path spells out a node's mapping.
func (w *walker) path(id int32) string {
	b := make([]byte, w.nodes[id].length)
	for end := len(b); id >= 0; id = w.nodes[id].parent {
		end -= copy(b[end-len(w.nodes[id].seg):end], w.nodes[id].seg)
	}
	return string(b)
}

// leaf records a value at a node. Past the service's 1,000 columns, where
// the mapping would be longer than the service's 65,535 characters, or
// under a key no mapping can spell, the value is left out.
func (w *walker) leaf(id int32, v any) {
	d := w.seen[id]
	if d == nil {
		if len(w.order) >= MaxColumns || w.nodes[id].length > maxMappingLength {
			return
		}
		d = &discovered{}
		w.seen[id] = d
		w.order = append(w.order, id)
	}
	d.add(v)
}

// maxMappingLength is the service's limit on a RecordColumn's Mapping.
const maxMappingLength = 65535

// value reads one JSON value at path. Inside a flattened array's element
// (inElement) objects and arrays are taken whole: a mapping dereferences
// only one level after the array. So are those MaxPathDepth keys down.
func (w *walker) value(dec *json.Decoder, path int32, inElement bool) error {
	start := dec.InputOffset()
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok && path == 0 {
		// A scalar among a record's documents: the column holding whole
		// documents holds objects' text too, so it is text.
		w.leaf(path, wholeText(dec.InputOffset()-start))
		return nil
	}
	if !ok {
		w.leaf(path, tok)
		return nil
	}
	if inElement || w.nodes[path].depth >= MaxPathDepth {
		if err := skipRest(dec); err != nil {
			return err
		}
		w.leaf(path, wholeText(dec.InputOffset()-start))
		return nil
	}
	defer func() { w.nodes[path].container = max(w.nodes[path].container, dec.InputOffset()-start) }()
	switch d {
	case '{':
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return err
			}
			if err := w.value(dec, w.child(path, key.(string), false), false); err != nil {
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
func (w *walker) array(dec *json.Decoder, path int32, start int64) error {
	if !dec.More() {
		_, err := dec.Token() // ], an empty array tells nothing
		return err
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	elems := w.child(path, "", true)
	if tok != json.Delim('{') || w.flat >= 0 && w.flat != path {
		if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
			if err := skipRest(dec); err != nil {
				return err
			}
		}
		if err := skipRest(dec); err != nil {
			return err
		}
		w.leaf(elems, wholeText(dec.InputOffset()-start))
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
			if err := w.value(dec, w.child(elems, key.(string), false), true); err != nil {
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

// isTimestamp tells text of the discovered form that is a real time
// (0000-00-00 00:00:00 has the form, and would not map).
func isTimestamp(s string) bool {
	if !timestampText.MatchString(s) {
		return false
	}
	_, err := types.ParseTimestamp(s)
	return err == nil
}

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
		d.maxLen = max(d.maxLen, utf8.RuneCountInString(x))
		if isTimestamp(x) {
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
	// Longer values are cut to the longest VARCHAR, as a cast cuts them.
	return fmt.Sprintf("VARCHAR(%d)", min(size, types.MaxLength))
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
