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

	"github.com/riffle-sql/riffle/sql/types"
)

// A Mapper turns records into rows of the schema's columns.
type Mapper struct {
	schema  Schema
	columns []Column
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

// Map turns one record into its rows (one for a JSON document or per CSV
// line). An error names the column and the value that did not fit.
func (m *Mapper) Map(data []byte) ([][]types.Value, error) {
	if m.schema.RecordFormat.RecordFormatType == CSV {
		return m.mapCSV(data)
	}
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
		row, err := m.mapDocument(doc)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
		if !dec.More() {
			return rows, nil
		}
	}
}

func (m *Mapper) mapDocument(doc any) ([]types.Value, error) {
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
		val, err := coerceJSON(v, c.Type)
		if err != nil {
			return nil, fmt.Errorf("column %s: %v", c.Name, err)
		}
		row[i] = val
	}
	return row, nil
}

// coerceJSON applies the service's JSON-to-SQL coercion rules.
func coerceJSON(v any, t types.Type) (types.Value, error) {
	switch x := v.(type) {
	case nil:
		return types.NullOf(t.Kind), nil
	case bool:
		switch {
		case t.Kind.IsNumeric():
			return types.Cast(types.Int(types.TinyInt, b2i(x)), t)
		case t.Kind.IsString():
			return types.Cast(types.Str(types.Varchar, strconv.FormatBool(x)), t)
		case t.Kind == types.Boolean:
			return types.Bool(x), nil
		}
	case json.Number:
		switch {
		case t.Kind.IsInteger():
			i, err := strconv.ParseInt(string(x), 10, 64)
			if err != nil {
				return types.Value{}, fmt.Errorf("%s does not fit %s without losing precision", x, t)
			}
			return types.Cast(types.Int(types.BigInt, i), t)
		case t.Kind == types.Real || t.Kind == types.Double:
			f, err := strconv.ParseFloat(string(x), 64)
			if err != nil || math.IsInf(f, 0) {
				return types.Value{}, fmt.Errorf("%s does not fit %s", x, t)
			}
			return types.Cast(types.Float(types.Double, f), t)
		case t.Kind == types.Decimal:
			return types.Cast(types.Str(types.Varchar, string(x)), t)
		case t.Kind.IsString():
			return types.Cast(types.Str(types.Varchar, string(x)), t)
		case t.Kind == types.Boolean:
			f, _ := strconv.ParseFloat(string(x), 64)
			return types.Bool(f != 0), nil
		}
	case string:
		return types.Cast(types.Str(types.Varchar, x), t)
	case map[string]any, []any:
		if t.Kind.IsString() {
			text, err := json.Marshal(x)
			if err != nil {
				return types.Value{}, err
			}
			return types.Cast(types.Str(types.Varchar, string(text)), t)
		}
		return types.Value{}, fmt.Errorf("a JSON %s cannot be %s", jsonKind(x), t)
	}
	return types.Value{}, fmt.Errorf("a JSON %s cannot be %s", jsonKind(v), t)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	}
	return "value"
}

// mapCSV splits the record into lines and fields, taking the columns
// positionally.
func (m *Mapper) mapCSV(data []byte) ([][]types.Value, error) {
	rowDelim, colDelim := "\n", ","
	if p := m.schema.RecordFormat.MappingParameters; p != nil && p.CSVMappingParameters != nil {
		rowDelim, colDelim = p.CSVMappingParameters.RecordRowDelimiter, p.CSVMappingParameters.RecordColumnDelimiter
	}
	var rows [][]types.Value
	for _, line := range strings.Split(strings.TrimSuffix(string(data), rowDelim), rowDelim) {
		fields := strings.Split(line, colDelim)
		if len(fields) < len(m.columns) {
			return nil, fmt.Errorf("line %q has %d fields, the schema %d columns", line, len(fields), len(m.columns))
		}
		row := make([]types.Value, len(m.columns))
		for i, c := range m.columns {
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
