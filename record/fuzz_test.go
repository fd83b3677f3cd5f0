package record

import (
	"strings"
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

// FuzzDiscoverInputSchema: no sample records make discovery panic; a
// schema it discovers stays within the service's limits and maps every
// sample it came from without error (the console shows them parsed).
//
//	go test -run '^$' -fuzz FuzzDiscoverInputSchema -fuzztime 5m ./record
func FuzzDiscoverInputSchema(f *testing.F) {
	for _, seed := range [][2]string{
		{`{"browseraction":"Click", "site": "a.com"}`, `{"browseraction":"Impression", "price": 1.5}`},
		{`{"a": 1, "c": {"d": 2.5}, "e": true, "f": [1, 2]}`, `{"a": "x", "c": {"d": null}}`},
		{`{"orders": [{"id": 1, "tags": ["a"]}, {"id": "b"}], "n": 2}`, `{"orders": [3, {"x": {}}]}`},
		{`{"t": "2026-11-01 10:00:00", "big": 9223372036854775807}`, `{"t": "2026-11-01 10:00:00.5", "big": -1}`},
		{`{"a']b": 1, "c[0:]": 2, "": 3, "timestamp": 4}`, `{"a": 1} {"a": 2}`},
		{"year,month,price\n2026,11,1.5\n", "2026,12,2.5"},
		{"GET /index.html 200\n", "POST /api 500"},
		{"a|b|c\r\n1|2|3\r\n", "4|5|6"},
		{`{"a":{"a":{"a":{"a":1}}}}`, `[{"a": 1}, {"b": 2}]`},
	} {
		f.Add([]byte(seed[0]), []byte(seed[1]))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		samples := [][]byte{a, b}
		s, err := Discover(samples)
		if err != nil {
			return
		}
		if n := len(s.RecordColumns); n < 1 || n > MaxColumns {
			t.Fatalf("discovered %d columns", n)
		}
		for _, c := range s.RecordColumns {
			if len(c.Name) > 256 || len(c.Mapping) > maxMappingLength {
				t.Fatalf("column %.300q mapped %.100q...: beyond the service's limits", c.Name, c.Mapping)
			}
		}
		m, err := NewMapper(s)
		if err != nil {
			t.Fatalf("the discovered schema %+v is not valid: %v", s, err)
		}
		if s.RecordFormat.RecordFormatType == CSV {
			if _, header, _ := discoverCSVRows(samples, false); header {
				samples = withoutHeader(samples, s.RecordFormat.MappingParameters.CSVMappingParameters.RecordRowDelimiter)
			}
		}
		for _, rec := range samples {
			if _, err := m.Map(rec); err != nil {
				t.Fatalf("the discovered schema %+v does not map its sample %q: %v", s, rec, err)
			}
		}
	})
}

// withoutHeader drops the first non-blank line, the one discovery took for
// the header: it names the columns and is no row of them.
func withoutHeader(samples [][]byte, rowDelim string) [][]byte {
	for i, rec := range samples {
		lines := strings.SplitAfter(string(rec), rowDelim)
		for j, line := range lines {
			if strings.TrimSpace(line) != "" {
				out := append([][]byte{}, samples...)
				out[i] = []byte(strings.Join(lines[j+1:], ""))
				return out
			}
		}
	}
	return samples
}
