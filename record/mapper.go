package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/riffle-sql/riffle/sql/types"
)

// A Mapper turns records into rows of the schema's columns. It reuses
// its buffers: the rows Map returns are valid until the next call, and a
// Mapper is not safe for concurrent use.
type Mapper struct {
	schema  Schema
	columns []Column
	parser  fastjson.Parser
	rows    [][]types.Value
	values  []types.Value
}

// NewMapper checks the schema and prepares to map records.
func NewMapper(s Schema) (*Mapper, error) {
	cols, err := s.Columns()
	if err != nil {
		return nil, err
	}
	return &Mapper{schema: s, columns: cols}, nil
}

// Columns are the mapped columns, in order.
func (m *Mapper) Columns() []Column { return m.columns }

// Map turns one record into its rows (one per JSON document or CSV line).
// An error names the column and the value that did not fit.
func (m *Mapper) Map(data []byte) ([][]types.Value, error) {
	if m.schema.RecordFormat.RecordFormatType == CSV {
		return m.mapCSV(data)
	}
	// The common case, one JSON document, goes through fastjson without
	// building a generic tree; several documents in one record take the
	// slower standard decoder.
	if doc, err := m.parser.ParseBytes(data); err == nil {
		if m.flattens() {
			return m.mapFlattened(doc)
		}
		row := m.row(len(m.columns))
		for i, c := range m.columns {
			val, err := coerce(fromFast(get(doc, c.Path)), c.Type)
			if err != nil {
				return nil, fmt.Errorf("column %s: %v", c.Name, err)
			}
			row[i] = val
		}
		m.rows = append(m.rows[:0], row)
		return m.rows, nil
	}
	return m.mapDocuments(data)
}

func get(v *fastjson.Value, path []string) *fastjson.Value {
	if len(path) == 0 {
		return v
	}
	return v.Get(path...)
}

func (m *Mapper) flattens() bool {
	for _, c := range m.columns {
		if c.Flatten {
			return true
		}
	}
	return false
}

// mapFlattened makes one row per element of the flattened array (one row
// of NULLs for an empty or missing array), repeating the other columns.
func (m *Mapper) mapFlattened(doc *fastjson.Value) ([][]types.Value, error) {
	var elems []*fastjson.Value
	for _, c := range m.columns {
		if c.Flatten {
			if arr := get(doc, c.Path); arr != nil && arr.Type() == fastjson.TypeArray {
				elems, _ = arr.Array()
			}
			break
		}
	}
	n := max(1, len(elems))
	rows := make([][]types.Value, n)
	for r := range rows {
		rows[r] = make([]types.Value, len(m.columns))
		for i, c := range m.columns {
			v := get(doc, c.Path)
			if c.Flatten {
				v = nil
				if r < len(elems) {
					v = get(elems[r], c.Element)
				}
			}
			val, err := coerce(fromFast(v), c.Type)
			if err != nil {
				return nil, fmt.Errorf("column %s: %v", c.Name, err)
			}
			rows[r][i] = val
		}
	}
	return rows, nil
}

// row hands out a reusable slice of n values.
func (m *Mapper) row(n int) []types.Value {
	if cap(m.values) < n {
		m.values = make([]types.Value, n)
	}
	return m.values[:n]
}

func (m *Mapper) mapDocuments(data []byte) ([][]types.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var rows [][]types.Value
	for {
		var doc any
		err := dec.Decode(&doc)
		if err != nil {
			if errors.Is(err, io.EOF) && len(rows) > 0 {
				return rows, nil
			}
			return nil, fmt.Errorf("record is not JSON: %v", err)
		}
		if m.flattens() {
			return nil, errors.New("a record with several JSON documents cannot flatten an array")
		}
		row := make([]types.Value, len(m.columns))
		for i, c := range m.columns {
			v := doc
			for _, key := range c.Path {
				obj, ok := v.(map[string]any)
				if !ok {
					v = nil
					break
				}
				v = obj[key]
			}
			val, err := coerce(fromStd(v), c.Type)
			if err != nil {
				return nil, fmt.Errorf("column %s: %v", c.Name, err)
			}
			row[i] = val
		}
		rows = append(rows, row)
		if !dec.More() {
			return rows, nil
		}
	}
}

// jsonValue is one JSON value, from either decoder.
type jsonValue struct {
	kind string // null, boolean, number, string, object, array
	b    bool
	text string // a string's value; a number's, object's or array's JSON text
}

func fromFast(v *fastjson.Value) jsonValue {
	if v == nil {
		return jsonValue{kind: "null"}
	}
	switch v.Type() {
	case fastjson.TypeNull:
		return jsonValue{kind: "null"}
	case fastjson.TypeTrue:
		return jsonValue{kind: "boolean", b: true}
	case fastjson.TypeFalse:
		return jsonValue{kind: "boolean"}
	case fastjson.TypeString:
		return jsonValue{kind: "string", text: string(v.GetStringBytes())}
	case fastjson.TypeNumber:
		return jsonValue{kind: "number", text: string(v.MarshalTo(nil))}
	case fastjson.TypeObject:
		return jsonValue{kind: "object", text: string(v.MarshalTo(nil))}
	}
	return jsonValue{kind: "array", text: string(v.MarshalTo(nil))}
}

func fromStd(v any) jsonValue {
	switch x := v.(type) {
	case nil:
		return jsonValue{kind: "null"}
	case bool:
		return jsonValue{kind: "boolean", b: x}
	case json.Number:
		return jsonValue{kind: "number", text: string(x)}
	case string:
		return jsonValue{kind: "string", text: x}
	case map[string]any:
		text, _ := json.Marshal(x)
		return jsonValue{kind: "object", text: string(text)}
	}
	text, _ := json.Marshal(v)
	return jsonValue{kind: "array", text: string(text)}
}

// coerce applies the service's JSON-to-SQL coercion rules.
func coerce(v jsonValue, t types.Type) (types.Value, error) {
	switch v.kind {
	case "null":
		return types.NullOf(t.Kind), nil
	case "boolean":
		switch {
		case t.Kind.IsNumeric():
			return types.Cast(types.Int(types.TinyInt, b2i(v.b)), t)
		case t.Kind.IsString():
			return types.Cast(types.Str(types.Varchar, strconv.FormatBool(v.b)), t)
		case t.Kind == types.Boolean:
			return types.Bool(v.b), nil
		}
	case "number":
		switch {
		case t.Kind.IsInteger():
			i, err := strconv.ParseInt(v.text, 10, 64)
			if err != nil {
				return types.Value{}, fmt.Errorf("%s does not fit %s without losing precision", v.text, t)
			}
			return types.Cast(types.Int(types.BigInt, i), t)
		case t.Kind == types.Real || t.Kind == types.Double:
			f, err := strconv.ParseFloat(v.text, 64)
			if err != nil || math.IsInf(f, 0) {
				return types.Value{}, fmt.Errorf("%s does not fit %s", v.text, t)
			}
			return types.Cast(types.Float(types.Double, f), t)
		case t.Kind == types.Decimal || t.Kind.IsString():
			return types.Cast(types.Str(types.Varchar, v.text), t)
		case t.Kind == types.Boolean:
			f, _ := strconv.ParseFloat(v.text, 64)
			return types.Bool(f != 0), nil
		}
	case "string":
		return types.Cast(types.Str(types.Varchar, v.text), t)
	case "object", "array":
		if t.Kind.IsString() {
			return types.Cast(types.Str(types.Varchar, v.text), t)
		}
	}
	return types.Value{}, fmt.Errorf("a JSON %s cannot be %s", v.kind, t)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// mapCSV splits the record into lines and fields, taking the columns
// positionally; a schema of one column takes each whole line.
func (m *Mapper) mapCSV(data []byte) ([][]types.Value, error) {
	rowDelim, colDelim := "\n", ","
	if p := m.schema.RecordFormat.MappingParameters; p != nil && p.CSVMappingParameters != nil {
		rowDelim, colDelim = p.CSVMappingParameters.RecordRowDelimiter, p.CSVMappingParameters.RecordColumnDelimiter
	}
	var rows [][]types.Value
	for _, line := range strings.Split(strings.TrimSuffix(string(data), rowDelim), rowDelim) {
		if strings.TrimSpace(line) == "" {
			continue // a blank line is no row, as discovery reads it
		}
		fields := []string{line}
		if len(m.columns) > 1 {
			// One column holds the whole line (discovery's choice for log
			// lines, which SQL then parses).
			fields = strings.Split(line, colDelim)
		}
		if len(fields) < len(m.columns) {
			return nil, fmt.Errorf("line %q has %d fields, the schema %d columns", line, len(fields), len(m.columns))
		}
		row := make([]types.Value, len(m.columns))
		for i, c := range m.columns {
			if fields[i] == "" && !c.Type.Kind.IsString() {
				// An empty field is a missing value, as discovery reads it.
				row[i] = types.NullOf(c.Type.Kind)
				continue
			}
			v, err := types.Cast(types.Str(types.Varchar, fields[i]), c.Type)
			if err != nil {
				return nil, fmt.Errorf("column %s: %v", c.Name, err)
			}
			row[i] = v
		}
		rows = append(rows, row)
	}
	return rows, nil
}
