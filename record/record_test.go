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
		"COL_9lives INTEGER $['9lives']", "COL_9 INTEGER $['@@']", "city VARCHAR(4) $.address.city", "tags VARCHAR(8) $.tags[0:]",
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

// The developer guide's data.csv (schema discovery on static data) and
// the schema it documents: the header names the columns (reserved words
// get COL_), types and lengths come from the rows below it.
func TestDiscoverCSVWithAHeaderAsTheServiceDocuments(t *testing.T) {
	data := "year,month,state,producer_type,energy_source,units,consumption\r\n" +
		"2001,1,AK,TotalElectricPowerIndustry,Coal,ShortTons,47615\r\n" +
		"2001,1,AK,ElectricGeneratorsElectricUtilities,Coal,ShortTons,16535\r\n" +
		"2001,1,AK,CombinedHeatandPowerElectricPower,Coal,ShortTons,22890\r\n" +
		"2001,1,AL,TotalElectricPowerIndustry,Coal,ShortTons,3020601\r\n" +
		"2001,1,AL,ElectricGeneratorsElectricUtilities,Coal,ShortTons,2987681"
	s, err := Discover([][]byte{[]byte(data)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(s)
	want := `{"RecordFormat":{"RecordFormatType":"CSV","MappingParameters":{"CSVMappingParameters":{"RecordRowDelimiter":"\r\n","RecordColumnDelimiter":","}}},"RecordEncoding":"UTF-8","RecordColumns":[` +
		`{"Name":"COL_year","SqlType":"INTEGER"},{"Name":"COL_month","SqlType":"INTEGER"},{"Name":"state","SqlType":"VARCHAR(4)"},` +
		`{"Name":"producer_type","SqlType":"VARCHAR(64)"},{"Name":"energy_source","SqlType":"VARCHAR(4)"},{"Name":"units","SqlType":"VARCHAR(16)"},` +
		`{"Name":"consumption","SqlType":"INTEGER"}]}`
	if string(got) != want {
		t.Fatalf("discovered\n%s\nwant\n%s", got, want)
	}
}

// Records without a header are named COL0, COL1...; a tab-separated stream
// is found by its delimiter; lines with no pattern become one column that
// holds the whole line, commas and all.
func TestDiscoverCSVWithoutAHeaderAndLogLines(t *testing.T) {
	s, err := Discover([][]byte{[]byte("AMZN,12.5,true"), []byte("ORCL,7,false\n")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range s.RecordColumns {
		got = append(got, c.Name+" "+c.SqlType)
	}
	if strings.Join(got, ", ") != "COL0 VARCHAR(4), COL1 DOUBLE, COL2 BOOLEAN" {
		t.Fatalf("header-less CSV: %v", got)
	}
	s, err = Discover([][]byte{[]byte("a\tb\n1\t2"), []byte("3\t4")})
	if err != nil || s.RecordFormat.MappingParameters.CSVMappingParameters.RecordColumnDelimiter != "\t" || s.RecordColumns[0].Name != "a" || s.RecordColumns[1].SqlType != "INTEGER" {
		t.Fatalf("tab-separated: %+v, %v", s, err)
	}
	logs := [][]byte{
		[]byte(`192.168.254.30 - John [24/May/2004:22:01:02 -0700] "GET /a,b HTTP/1.1" 304 0`),
		[]byte(`192.168.254.30 - John [24/May/2004:22:01:03 -0700] "GET /c HTTP/1.1" 200 18`),
	}
	s, err = Discover(logs)
	if err != nil || len(s.RecordColumns) != 1 || s.RecordColumns[0].Name != "COL0" || s.RecordColumns[0].SqlType != "VARCHAR(128)" {
		t.Fatalf("log lines: %+v, %v", s.RecordColumns, err)
	}
	m, err := NewMapper(s)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := m.Map(logs[0])
	if err != nil || len(rows) != 1 || rows[0][0].S != string(logs[0]) {
		t.Fatalf("a log line maps to %v, %v; want the whole line", rows, err)
	}
}

// Discovery flattens the first array of objects (one row per element, as
// $.orders[0:].orderId) and takes other arrays whole, as text.
func TestDiscoverFlattensTheFirstArrayOfObjects(t *testing.T) {
	rec := []byte(`{"customerName": "John Doe", "orders": [{"orderId": "23284", "itemPrice": 33.99}, {"orderId": "63122", "itemPrice": 22.5, "extra": {"gift": true}}], "tags": ["a", "b"], "returns": [{"orderId": "1"}]}`)
	s, err := Discover([][]byte{rec})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range s.RecordColumns {
		got = append(got, c.Name+" "+c.SqlType+" "+c.Mapping)
	}
	want := []string{
		"customerName VARCHAR(8) $.customerName", "orderId VARCHAR(8) $.orders[0:].orderId", "itemPrice DOUBLE $.orders[0:].itemPrice",
		"extra VARCHAR(16) $.orders[0:].extra", "tags VARCHAR(16) $.tags[0:]", "returns VARCHAR(32) $.returns[0:]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("discovered\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	m, err := NewMapper(s)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := m.Map(rec)
	if err != nil || len(rows) != 2 || rows[1][1].S != "63122" || rows[1][3].S != `{"gift":true}` || rows[0][4].S != `["a","b"]` {
		t.Fatalf("mapped %v, %v", rows, err)
	}
}

// A reference data file in CSV names its columns in a header row even when
// every column is text (the developer guide's ticker/company file); a file
// of rows alone keeps COL0, COL1...
func TestDiscoverFileFindsAHeaderOfNames(t *testing.T) {
	s, header, err := DiscoverFile([]byte("Ticker, Company\nAMZN, Amazon\nORCL, Oracle\n"))
	if err != nil || !header || s.RecordColumns[0].Name != "Ticker" || s.RecordColumns[1].Name != "Company" {
		t.Fatalf("ticker file: %+v, header %v, %v", s.RecordColumns, header, err)
	}
	s, header, err = DiscoverFile([]byte("AMZN,Amazon\nORCL,AMZN\n"))
	if err != nil || header || s.RecordColumns[0].Name != "COL0" {
		t.Fatalf("rows only: %+v, header %v, %v", s.RecordColumns, header, err)
	}
	s, header, err = DiscoverFile([]byte(`{"Ticker": "AMZN"}` + "\n" + `{"Ticker": "ORCL"}`))
	if err != nil || header || s.RecordFormat.RecordFormatType != JSON {
		t.Fatalf("JSON file: %+v, header %v, %v", s, header, err)
	}
}

// A key holding a number in one record and an object in another is text:
// the schema discovered maps both records.
func TestDiscoverAKeyThatIsSometimesAnObject(t *testing.T) {
	samples := [][]byte{[]byte(`{"a": 1}`), []byte(`{"a": {"b": 2}}`)}
	s, err := Discover(samples)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(s.RecordColumns)
	want := `[{"Name":"a","SqlType":"VARCHAR(16)","Mapping":"$.a"},{"Name":"b","SqlType":"INTEGER","Mapping":"$.a.b"}]`
	if string(got) != want {
		t.Fatalf("discovered %s\nwant %s", got, want)
	}
	m, err := NewMapper(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range samples {
		if _, err := m.Map(rec); err != nil {
			t.Errorf("%s: %v", rec, err)
		}
	}
}
