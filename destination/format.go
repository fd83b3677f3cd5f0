package destination

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/riffle-sql/riffle/sql/types"
)

// Format is how an output writes a row: the service's RecordFormatType.
type Format string

// The two formats the service writes.
const (
	JSON Format = "JSON"
	CSV  Format = "CSV"
)

// ParseFormat reads a RecordFormatType.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case JSON, CSV:
		return f, nil
	}
	return "", fmt.Errorf("record format %q is neither JSON nor CSV", s)
}

// Append appends one row as the service writes it: JSON, an object whose
// keys are the column names in column order (ROWTIME only if the query
// selected it into a column); CSV, the values in column order, comma
// separated, ending with a newline, NULL written as null.
func (f Format) Append(b []byte, cols []string, vals []types.Value) []byte {
	if f == CSV {
		for i, v := range vals {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCSVField(b, v)
		}
		return append(b, '\n')
	}
	b = append(b, '{')
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = types.AppendJSONString(b, cols[i])
		b = append(b, ':')
		b = v.AppendJSON(b)
	}
	return append(b, '}')
}

func appendCSVField(b []byte, v types.Value) []byte {
	if v.Null {
		return append(b, "null"...)
	}
	var s string
	switch v.Kind {
	case types.Boolean:
		s = strconv.FormatBool(v.I != 0)
	case types.Binary, types.Varbinary:
		s = types.HexBytes(v.S)
	default:
		s = v.String()
	}
	// RFC 4180: quote a field that holds a separator, a quote or a line
	// break, doubling its quotes.
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}
