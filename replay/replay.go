// Package replay reads and writes replay files: one JSON object a line,
// {"arrival": "2026-11-01T00:00:00.134Z", "data": {...}}, where data is the
// record (a JSON value, or a string holding a raw CSV or text record).
package replay

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Record is one record and the time it arrived.
type Record struct {
	Arrival time.Time
	Data    []byte
}

type line struct {
	Arrival *string         `json:"arrival"`
	Data    json.RawMessage `json:"data"`
}

// Reader reads a replay file record by record.
type Reader struct {
	scan *bufio.Scanner
	line int
	last time.Time
}

// NewReader reads replay lines from r.
func NewReader(r io.Reader) *Reader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64*1024), 16*1024*1024)
	return &Reader{scan: s}
}

// Line is the number of the line last read.
func (r *Reader) Line() int { return r.line }

// Next returns the next record, or io.EOF. Arrival times must not go
// backwards.
func (r *Reader) Next() (Record, error) {
	for r.scan.Scan() {
		r.line++
		text := r.scan.Bytes()
		if len(text) == 0 {
			continue
		}
		var l line
		if err := json.Unmarshal(text, &l); err != nil {
			return Record{}, fmt.Errorf("line %d: not a replay record: %v", r.line, err)
		}
		if l.Arrival == nil || len(l.Data) == 0 {
			return Record{}, fmt.Errorf(`line %d: a replay record needs "arrival" and "data"`, r.line)
		}
		at, err := time.Parse(time.RFC3339Nano, *l.Arrival)
		if err != nil {
			return Record{}, fmt.Errorf("line %d: arrival %q is not an RFC 3339 time", r.line, *l.Arrival)
		}
		if at.Before(r.last) {
			return Record{}, fmt.Errorf("line %d: arrival %s is before the previous record's", r.line, *l.Arrival)
		}
		r.last = at
		data := []byte(l.Data)
		var s string
		if data[0] == '"' && json.Unmarshal(data, &s) == nil {
			data = []byte(s) // a raw text record
		}
		return Record{Arrival: at, Data: data}, nil
	}
	if err := r.scan.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Record{}, fmt.Errorf("line %d: longer than 16 MiB", r.line+1)
		}
		return Record{}, err
	}
	return Record{}, io.EOF
}
