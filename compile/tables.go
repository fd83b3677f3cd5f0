package compile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/sql/types"
)

// LoadTable reads a reference table from a file of JSON objects (one a
// line) or CSV rows, with the schema discovered from the whole file, as the
// service does for a reference data object; a CSV header row names the
// columns and is not a row of the table.
func LoadTable(name string, r io.Reader) (*plan.Table, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	schema, header, err := record.DiscoverFile(data)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	records, err := readRecords(name, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if header && len(records) > 0 {
		records = records[1:]
	}
	return tableOf(name, schema, records)
}

// LoadTableWithSchema reads a reference table with its ReferenceSchema:
// one record a line (JSON or CSV).
func LoadTableWithSchema(name string, schema record.Schema, r io.Reader) (*plan.Table, error) {
	records, err := readRecords(name, r)
	if err != nil {
		return nil, err
	}
	return tableOf(name, schema, records)
}

// TableColumns gives the columns a reference schema makes (to check SQL
// before the data is loaded).
func TableColumns(name string, schema record.Schema) (*plan.Table, error) {
	return tableOf(name, schema, nil)
}

func readRecords(name string, r io.Reader) ([][]byte, error) {
	var records [][]byte
	scan := bufio.NewScanner(r)
	scan.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for scan.Scan() {
		if line := bytes.TrimSpace(scan.Bytes()); len(line) > 0 {
			records = append(records, append([]byte(nil), line...))
		}
	}
	if err := scan.Err(); err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	return records, nil
}

func tableOf(name string, schema record.Schema, records [][]byte) (*plan.Table, error) {
	mapper, err := record.NewMapper(schema)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	t := &plan.Table{Name: name}
	for _, c := range mapper.Columns() {
		t.Columns = append(t.Columns, plan.Column{Name: c.Name, Type: c.Type})
	}
	for i, rec := range records {
		rows, err := mapper.Map(rec)
		if err != nil {
			return nil, fmt.Errorf("table %s, record %d: %w", name, i+1, err)
		}
		for _, row := range rows {
			t.Rows = append(t.Rows, append([]types.Value(nil), row...))
		}
	}
	return t, nil
}
