package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// columnDelimiters are tried in this order when reading CSV samples.
var columnDelimiters = []string{",", "\t", "|", ";"}

// discoverCSV infers a CSV schema from records that are not JSON. Rows are
// split at "\r\n" when the samples use it, else at "\n"; the column
// delimiter is the first of , TAB | ; that splits every row into the same
// number (more than one) of fields. The first row is a header when its
// fields are distinct words and at least one column below holds only
// numbers, booleans or timestamps (the service's data.csv example: year,
// month... become COL_year, COL_month...); otherwise the columns are COL0,
// COL1... Records with no such pattern (log lines) become one
// VARCHAR column, COL0, holding the whole line, to be parsed in SQL with
// the log-parsing functions.
func discoverCSV(samples [][]byte) (Schema, error) {
	s, _, err := discoverCSVRows(samples, false)
	return s, err
}

// DiscoverFile infers the schema of a whole file, such as a reference data
// object: JSON objects, or CSV whose first row is a header when it stands
// out as above or, the file being one table, when its fields are distinct
// names (letters, digits, underscores, spaces) found nowhere below:
// "Ticker, Company" over rows of text. header tells the
// caller to skip the first row when mapping the file's rows.
func DiscoverFile(file []byte) (s Schema, header bool, err error) {
	if isJSONDocument(file) {
		s, err = Discover([][]byte{file})
		return s, false, err
	}
	return discoverCSVRows([][]byte{file}, true)
}

func discoverCSVRows(samples [][]byte, file bool) (Schema, bool, error) {
	rowDelim := "\n"
	for _, s := range samples {
		if bytes.Contains(s, []byte("\r\n")) {
			rowDelim = "\r\n"
			break
		}
	}
	var lines []string
	for _, s := range samples {
		for _, line := range strings.Split(strings.TrimSuffix(string(s), rowDelim), rowDelim) {
			if strings.TrimSpace(line) != "" {
				lines = append(lines, line)
			}
		}
	}
	if len(lines) == 0 {
		return Schema{}, false, errors.New("discover: the sample records are empty")
	}
	colDelim := ""
	var rows [][]string
	for _, d := range columnDelimiters {
		n := strings.Count(lines[0], d) + 1
		if n < 2 {
			continue
		}
		consistent := true
		for _, line := range lines[1:] {
			if strings.Count(line, d)+1 != n {
				consistent = false
				break
			}
		}
		if consistent {
			colDelim = d
			for _, line := range lines {
				rows = append(rows, strings.Split(line, d))
			}
			break
		}
	}
	s := Schema{RecordEncoding: "UTF-8", RecordFormat: RecordFormat{RecordFormatType: CSV}}
	if colDelim == "" {
		// No pattern: one column holds each whole line.
		d := &discovered{}
		for _, line := range lines {
			d.add(line)
		}
		d.strings += d.ints + d.floats + d.bools + d.timestamps
		d.ints, d.floats, d.bools, d.timestamps = 0, 0, 0, 0
		s.RecordFormat.MappingParameters = &MappingParameters{CSVMappingParameters: &CSVMappingParameters{RecordRowDelimiter: rowDelim, RecordColumnDelimiter: ","}}
		s.RecordColumns = []RecordColumn{{Name: "COL0", SqlType: d.sqlType()}}
		return s, false, nil
	}
	s.RecordFormat.MappingParameters = &MappingParameters{CSVMappingParameters: &CSVMappingParameters{RecordRowDelimiter: rowDelim, RecordColumnDelimiter: colDelim}}
	// Fields past the service's column limit are left out (a mapping takes
	// the first fields of a line).
	width := min(len(rows[0]), MaxColumns)
	header := isHeader(rows) || file && namesRow(rows)
	body := rows
	if header {
		body = rows[1:]
	}
	var names uniqueNames
	for i := range width {
		d := &discovered{}
		for _, r := range body {
			d.add(csvValue(r[i]))
		}
		name := "COL" + strconv.Itoa(i)
		if header {
			name = columnName(strings.TrimSpace(rows[0][i]), i)
		}
		s.RecordColumns = append(s.RecordColumns, RecordColumn{Name: names.add(name), SqlType: d.sqlType()})
	}
	return s, header, nil
}

var nameLike = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_ ]*$`)

// namesRow tells a first row of distinct names that appear nowhere below.
func namesRow(rows [][]string) bool {
	if len(rows) < 2 {
		return false
	}
	seen := map[string]bool{}
	for _, f := range rows[0] {
		name := strings.TrimSpace(f)
		if !nameLike.MatchString(name) || seen[name] {
			return false
		}
		seen[name] = true
	}
	for _, r := range rows[1:] {
		for _, f := range r {
			if seen[strings.TrimSpace(f)] {
				return false
			}
		}
	}
	return true
}

// csvValue types a CSV field as discovery sees it: empty is missing, then
// a number, a boolean, or text.
func csvValue(field string) any {
	switch {
	case field == "":
		return nil
	case field == "true" || field == "false":
		return field == "true"
	}
	if _, err := strconv.ParseFloat(field, 64); err == nil && strings.TrimSpace(field) == field {
		return json.Number(field)
	}
	return field
}

// isHeader tells whether the first row names the columns: its fields are
// distinct, non-empty text (not numbers, booleans or timestamps), and some
// column below it holds only typed values, so the first row stands out.
func isHeader(rows [][]string) bool {
	if len(rows) < 2 {
		return false
	}
	seen := map[string]bool{}
	for _, f := range rows[0] {
		v, ok := csvValue(f).(string)
		if !ok || timestampText.MatchString(v) || seen[v] {
			return false
		}
		seen[v] = true
	}
	for i := range rows[0] {
		typed := true
		for _, r := range rows[1:] {
			v := csvValue(r[i])
			if s, ok := v.(string); ok && !isTimestamp(s) || v == nil {
				typed = false
				break
			}
		}
		if typed {
			return true
		}
	}
	return false
}
