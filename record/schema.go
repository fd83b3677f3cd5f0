// Package record turns raw records (JSON or CSV text) into typed rows of
// an application's input stream, following the service's SourceSchema,
// and discovers such a schema from sample records.
package record

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/riffle-sql/riffle/sql/parser"
	"github.com/riffle-sql/riffle/sql/types"
)

// Schema is the service's SourceSchema: how records become rows.
type Schema struct {
	RecordFormat   RecordFormat   `json:"RecordFormat"`
	RecordEncoding string         `json:"RecordEncoding,omitempty"`
	RecordColumns  []RecordColumn `json:"RecordColumns"`
}

// RecordFormat says whether records are JSON or CSV, and how to split them.
type RecordFormat struct {
	RecordFormatType  string             `json:"RecordFormatType"`
	MappingParameters *MappingParameters `json:"MappingParameters,omitempty"`
}

// MappingParameters hold the JSON row path or the CSV delimiters.
type MappingParameters struct {
	JSONMappingParameters *JSONMappingParameters `json:"JSONMappingParameters,omitempty"`
	CSVMappingParameters  *CSVMappingParameters  `json:"CSVMappingParameters,omitempty"`
}

type JSONMappingParameters struct {
	RecordRowPath string `json:"RecordRowPath"`
}

type CSVMappingParameters struct {
	RecordRowDelimiter    string `json:"RecordRowDelimiter"`
	RecordColumnDelimiter string `json:"RecordColumnDelimiter"`
}

// RecordColumn is one column: its name, SQL type as text and, for JSON,
// the path of its value.
type RecordColumn struct {
	Name    string `json:"Name"`
	SqlType string `json:"SqlType"`
	Mapping string `json:"Mapping,omitempty"`
}

// Format names.
const (
	JSON = "JSON"
	CSV  = "CSV"
)

// ParseSchema reads a SourceSchema as JSON and checks it.
func ParseSchema(data []byte) (Schema, error) {
	var s Schema
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("schema: %w", err)
	}
	if _, err := s.Columns(); err != nil {
		return s, err
	}
	return s, nil
}

// Column is a resolved column: name, type and (JSON) path.
type Column struct {
	Name string
	Type types.Type
	Path []string // JSON object keys from the record root
	// Element, for a flattened column ($.orders[0:].id), is the path inside
	// each element of the array at Path: one row per element.
	Element []string
	Flatten bool
}

// Columns resolves and checks the schema's columns.
func (s Schema) Columns() ([]Column, error) {
	switch s.RecordFormat.RecordFormatType {
	case JSON, CSV:
	default:
		return nil, fmt.Errorf("schema: RecordFormatType %q, want JSON or CSV", s.RecordFormat.RecordFormatType)
	}
	if s.RecordEncoding != "" && s.RecordEncoding != "UTF-8" {
		return nil, fmt.Errorf("schema: RecordEncoding %q, only UTF-8 is allowed", s.RecordEncoding)
	}
	if len(s.RecordColumns) == 0 {
		return nil, fmt.Errorf("schema: no RecordColumns")
	}
	cols := make([]Column, len(s.RecordColumns))
	seen := map[string]bool{}
	for i, rc := range s.RecordColumns {
		if rc.Name == "" || seen[rc.Name] {
			return nil, fmt.Errorf("schema: column %d: missing or repeated name %q", i+1, rc.Name)
		}
		seen[rc.Name] = true
		tn, err := parser.ParseType(rc.SqlType)
		if err != nil {
			return nil, fmt.Errorf("schema: column %s: SqlType %q: %v", rc.Name, rc.SqlType, err)
		}
		t, err := types.FromAST(tn)
		if err != nil {
			return nil, fmt.Errorf("schema: column %s: %v", rc.Name, err)
		}
		cols[i] = Column{Name: rc.Name, Type: t}
		if s.RecordFormat.RecordFormatType == JSON {
			if cols[i].Path, cols[i].Element, cols[i].Flatten, err = parseMapping(rc.Mapping); err != nil {
				return nil, fmt.Errorf("schema: column %s: %v", rc.Name, err)
			}
		}
	}
	// Only one array may be flattened: every flattened column names it.
	var array []string
	for _, c := range cols {
		if !c.Flatten {
			continue
		}
		if array != nil && strings.Join(array, "\x00") != strings.Join(c.Path, "\x00") {
			return nil, fmt.Errorf("schema: column %s flattens a second array; only one array may be flattened", c.Name)
		}
		array = c.Path
	}
	return cols, nil
}

// parseMapping reads a column mapping: a path of keys, optionally through
// one array: $.a.b, $.arr[0:] (the whole array, as text) or
// $.arr[0:].field (one row per element).
func parseMapping(p string) (path, element []string, flatten bool, err error) {
	head, tail, found := strings.Cut(p, "[0:]")
	if path, err = parsePath(head); err != nil {
		return nil, nil, false, err
	}
	if !found || tail == "" {
		return path, nil, false, nil
	}
	if strings.Contains(tail, "[0:]") {
		return nil, nil, false, fmt.Errorf("mapping %q: only one dereference after the array is allowed", p)
	}
	if element, err = parsePath("$" + tail); err != nil {
		return nil, nil, false, err
	}
	if len(element) != 1 {
		return nil, nil, false, fmt.Errorf("mapping %q: only one dereference after the array is allowed", p)
	}
	return path, element, true, nil
}

// parsePath reads a JSONPath of object keys: $.a.b, or $['a b'].
func parsePath(p string) ([]string, error) {
	if !strings.HasPrefix(p, "$") {
		return nil, fmt.Errorf("mapping %q must start with $", p)
	}
	var keys []string
	rest := p[1:]
	for rest != "" {
		switch {
		case strings.HasPrefix(rest, "['"):
			end := strings.Index(rest[2:], "']") // after the opening: $[']'] is the key ]
			if end < 0 {
				return nil, fmt.Errorf("mapping %q: unclosed [' ", p)
			}
			keys = append(keys, rest[2:2+end])
			rest = rest[2+end+2:]
		case strings.HasPrefix(rest, "."):
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return nil, fmt.Errorf("mapping %q: empty key", p)
			}
			keys = append(keys, rest[:end])
			rest = rest[end:]
		default:
			return nil, fmt.Errorf("mapping %q: unexpected %q", p, rest)
		}
	}
	return keys, nil
}
