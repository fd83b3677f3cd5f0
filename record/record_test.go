package record

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/sql/types"
)

func TestDiscoverAndMapClickstreamRecords(t *testing.T) {
	samples := [][]byte{
		[]byte(`{"browseraction":"Impression", "site": "yourwebsiteurl.domain.com"}`),
		[]byte(`{"browseraction":"Click", "site": "yourwebsiteurl.domain.com"}` + "\n"),
	}
	s, err := Discover(samples)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(s.RecordColumns)
	want := `[{"Name":"browseraction","SqlType":"VARCHAR(16)","Mapping":"$.browseraction"},{"Name":"site","SqlType":"VARCHAR(32)","Mapping":"$.site"}]`
	if string(got) != want {
		t.Fatalf("discovered %s\nwant %s", got, want)
	}
	// The schema survives its JSON form.
	text, _ := json.Marshal(s)
	s2, err := ParseSchema(text)
	if err != nil {
		t.Fatalf("ParseSchema(%s): %v", text, err)
	}
	m, err := NewMapper(s2)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := m.Map(samples[1])
	if err != nil || len(rows) != 1 || rows[0][0].S != "Click" || rows[0][1].S != "yourwebsiteurl.domain.com" {
		t.Fatalf("Map = %v, %v", rows, err)
	}
}

func TestDiscoverTypesAndNames(t *testing.T) {
	s, err := Discover([][]byte{
		[]byte(`{"n": 1, "big": 3000000000, "x": 1.5, "ok": true, "at": "2026-11-01 10:00:00.123", "iso": "2026-11-01T10:00:00", "user": "ann", "USER@DOMAIN": "a", "9lives": 9, "@@": 1, "address": {"city": "Oslo"}, "tags": [1, 2]}`),
		[]byte(`{"n": 2, "x": 2, "ok": false, "at": "2026-11-01 10:00:01", "user": "bob-the-builder"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range s.RecordColumns {
		got = append(got, c.Name+" "+c.SqlType+" "+c.Mapping)
	}
	want := []string{
		"n INTEGER $.n", "big BIGINT $.big", "x DOUBLE $.x", "ok BOOLEAN $.ok", "at TIMESTAMP $.at",
		"iso VARCHAR(32) $.iso", "COL_user VARCHAR(16) $.user", "COL_USERDOMAIN VARCHAR(4) $['USER@DOMAIN']",
		"COL_9lives INTEGER $['9lives']", "COL_9 INTEGER $['@@']", "city VARCHAR(4) $.address.city", "tags VARCHAR(8) $.tags",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("discovered\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCoercionRules(t *testing.T) {
	schema := Schema{
		RecordFormat: RecordFormat{RecordFormatType: JSON},
		RecordColumns: []RecordColumn{
			{Name: "i", SqlType: "INTEGER", Mapping: "$.i"},
			{Name: "d", SqlType: "DOUBLE", Mapping: "$.d"},
			{Name: "s", SqlType: "VARCHAR(4)", Mapping: "$.s"},
			{Name: "b", SqlType: "BOOLEAN", Mapping: "$.b"},
			{Name: "ts", SqlType: "TIMESTAMP", Mapping: "$.ts"},
			{Name: "o", SqlType: "VARCHAR(64)", Mapping: "$.o"},
			{Name: "deep", SqlType: "INTEGER", Mapping: "$.o.k"},
		},
	}
	m, err := NewMapper(schema)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := m.Map([]byte(`{"i": true, "d": "2.5", "s": 123456, "b": "TRUE", "ts": "1992-02-14 18:35:44.0", "o": {"k": 7}}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range rows[0] {
		got = append(got, v.String())
	}
	if want := `1|2.5|1234|TRUE|1992-02-14 18:35:44.000|{"k":7}|7`; strings.Join(got, "|") != want {
		t.Fatalf("row %s, want %s", strings.Join(got, "|"), want)
	}
	// A missing element is NULL, not an error.
	rows, err = m.Map([]byte(`{}`))
	if err != nil || !rows[0][0].Null || rows[0][0].Kind != types.Integer {
		t.Fatalf("empty record: %v, %v", rows, err)
	}
	for rec, want := range map[string]string{
		`{"i": 123.4}`:        "column i: 123.4 does not fit INTEGER without losing precision",
		`{"i": "many"}`:       `column i: cannot cast "many" to INTEGER`,
		`{"i": [1]}`:          "column i: a JSON array cannot be INTEGER",
		`{"ts": "yesterday"}`: `column ts: "yesterday" is not a timestamp`,
		`not json`:            "record is not JSON",
	} {
		if _, err := m.Map([]byte(rec)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Map(%s) = %v, want an error containing %q", rec, err, want)
		}
	}
}

func TestSchemaErrors(t *testing.T) {
	for text, want := range map[string]string{
		`{"RecordFormat":{"RecordFormatType":"XML"},"RecordColumns":[{"Name":"a","SqlType":"INTEGER","Mapping":"$.a"}]}`: `RecordFormatType "XML"`,
		`{"RecordFormat":{"RecordFormatType":"JSON"},"RecordColumns":[{"Name":"a","SqlType":"WIDGET","Mapping":"$.a"}]}`: "unknown type WIDGET",
		`{"RecordFormat":{"RecordFormatType":"JSON"},"RecordColumns":[{"Name":"a","SqlType":"INTEGER","Mapping":"a"}]}`:  "must start with $",
		`{"RecordFormat":{"RecordFormatType":"JSON"},"RecordColumns":[]}`:                                                "no RecordColumns",
		`{"RecordFormat":{"RecordFormatType":"JSON"},"Columns":[]}`:                                                      "unknown field",
	} {
		if _, err := ParseSchema([]byte(text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSchema(%s) = %v, want %q", text, err, want)
		}
	}
}

func TestFlatteningAnArray(t *testing.T) {
	s := Schema{
		RecordFormat: RecordFormat{RecordFormatType: JSON},
		RecordColumns: []RecordColumn{
			{Name: "customer", SqlType: "VARCHAR(8)", Mapping: "$.customerName"},
			{Name: "order_id", SqlType: "INTEGER", Mapping: "$.orders[0:].orderId"},
			{Name: "all_orders", SqlType: "VARCHAR(64)", Mapping: "$.orders[0:]"},
		},
	}
	m, err := NewMapper(s)
	if err != nil {
		t.Fatal(err)
	}
	render := func(rows [][]types.Value) string {
		var out []string
		for _, r := range rows {
			var vals []string
			for _, v := range r {
				vals = append(vals, v.String())
			}
			out = append(out, strings.Join(vals, "|"))
		}
		return strings.Join(out, "\n")
	}
	rows, err := m.Map([]byte(`{"customerName": "Ann", "orders": [{"orderId": 1}, {"other": 2}, {"orderId": 3}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := "Ann|1|[{\"orderId\":1},{\"other\":2},{\"orderId\":3}]\nAnn|NULL|[{\"orderId\":1},{\"other\":2},{\"orderId\":3}]\nAnn|3|[{\"orderId\":1},{\"other\":2},{\"orderId\":3}]"
	if got := render(rows); got != want {
		t.Fatalf("flattened rows\n%s\nwant\n%s", got, want)
	}
	rows, err = m.Map([]byte(`{"customerName": "Bo", "orders": []}`))
	if err != nil || render(rows) != "Bo|NULL|[]" {
		t.Fatalf("empty array: %q, %v; want one row of NULLs", render(rows), err)
	}
	for _, bad := range []string{"$.a[0:].b[0:].c", "$.a[0:].b.c"} {
		s.RecordColumns[1].Mapping = bad
		if _, err := NewMapper(s); err == nil {
			t.Errorf("mapping %s accepted", bad)
		}
	}
	s.RecordColumns[1].Mapping = "$.orders[0:].orderId"
	s.RecordColumns = append(s.RecordColumns, RecordColumn{Name: "x", SqlType: "INTEGER", Mapping: "$.other[0:].x"})
	if _, err := NewMapper(s); err == nil || !strings.Contains(err.Error(), "only one array") {
		t.Errorf("two flattened arrays: %v", err)
	}
}
