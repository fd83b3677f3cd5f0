package record

import (
	"testing"

	"github.com/riffle-sql/riffle/sql/types"
)

// FuzzMap: no record makes the mapper panic; a record either maps to rows
// of the schema's width with values of the column kinds, or is an error.
// Discovery on the same bytes must not panic either, nor reading back the
// mappings it discovers.
//
//	go test -run '^$' -fuzz FuzzMap -fuzztime 1m ./record
func FuzzMap(f *testing.F) {
	for _, seed := range []string{
		`{"a": 1, "b": "x", "c": {"d": 2.5}, "e": true, "f": [1, 2]}`,
		`{"a": "1", "b": null} {"a": 2}`,
		`{"a": 1e400, "c": {"d": "NaN"}, "e": "TRUE", "t": "2026-11-01 10:00:00"}`,
		`[1, 2]`, `"text"`, `{"a": -9223372036854775809}`, `{"b": "\u00e9\ud83d\ude00"}`,
		`{"]": ""}`, `{"a']b": 1, "c[0:]": 2}`,
	} {
		f.Add([]byte(seed))
	}
	schema := Schema{
		RecordFormat: RecordFormat{RecordFormatType: JSON},
		RecordColumns: []RecordColumn{
			{Name: "a", SqlType: "INTEGER", Mapping: "$.a"},
			{Name: "b", SqlType: "VARCHAR(4)", Mapping: "$.b"},
			{Name: "d", SqlType: "DOUBLE", Mapping: "$.c.d"},
			{Name: "e", SqlType: "BOOLEAN", Mapping: "$.e"},
			{Name: "f", SqlType: "VARCHAR(16)", Mapping: "$.f"},
			{Name: "t", SqlType: "TIMESTAMP", Mapping: "$.t"},
			{Name: "x", SqlType: "DECIMAL(5,2)", Mapping: "$.x"},
		},
	}
	m, err := NewMapper(schema)
	if err != nil {
		f.Fatal(err)
	}
	kinds := []types.Kind{types.Integer, types.Varchar, types.Double, types.Boolean, types.Varchar, types.Timestamp, types.Decimal}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := m.Map(data)
		if err == nil {
			if len(rows) == 0 {
				t.Fatal("no rows and no error")
			}
			for _, row := range rows {
				if len(row) != len(kinds) {
					t.Fatalf("row of %d values", len(row))
				}
				for i, v := range row {
					if v.Kind != kinds[i] {
						t.Fatalf("column %d has kind %s, want %s", i, v.Kind, kinds[i])
					}
					if v.Kind == types.Varchar && !v.Null && len([]rune(v.S)) > 16 {
						t.Fatalf("column %d holds %d characters", i, len([]rune(v.S)))
					}
				}
			}
		}
		if s, err := Discover([][]byte{data}); err == nil {
			_, _ = NewMapper(s) // reads the discovered mappings back
		}
	})
}
