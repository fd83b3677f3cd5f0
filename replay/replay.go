// Package replay reads and writes replay files: one JSON object a line,
// {"arrival": "2026-11-01T00:00:00.134Z", "data": {...}}, where data is the
// record (a JSON value, or a string holding a raw CSV or text record) and
// an optional "shard" (0, 1, ...) says which shard of the source it came
// from, for applications whose input has parallelism.
package replay

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/valyala/fastjson"
)

// Record is one record, the time it arrived and, when the line names one,
// the shard it was read from ("shard": a number from 0; -1 when absent).
type Record struct {
	Arrival time.Time
	Data    []byte
	Shard   int
}

// Reader reads a replay file record by record.
type Reader struct {
	scan   *bufio.Scanner
	line   int
	last   time.Time
	parser fastjson.Parser
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
		v, err := r.parser.ParseBytes(text)
		if err != nil {
			return Record{}, fmt.Errorf("line %d: not a replay record: %v", r.line, err)
		}
		arrival, data := v.Get("arrival"), v.Get("data")
		if arrival == nil || arrival.Type() != fastjson.TypeString || data == nil {
			return Record{}, fmt.Errorf(`line %d: a replay record needs "arrival" (a string) and "data"`, r.line)
		}
		at, err := time.Parse(time.RFC3339Nano, string(arrival.GetStringBytes()))
		if err != nil {
			return Record{}, fmt.Errorf("line %d: arrival %s is not an RFC 3339 time", r.line, arrival)
		}
		if at.Before(r.last) {
			return Record{}, fmt.Errorf("line %d: arrival %s is before the previous record's", r.line, arrival)
		}
		r.last = at
		shard := -1
		// Most lines hold arrival and data alone: look for a shard only in
		// a line with more.
		if o, _ := v.Object(); o != nil && o.Len() > 2 {
			if sv := o.Get("shard"); sv != nil {
				n, err := sv.Int()
				if err != nil || n < 0 {
					return Record{}, fmt.Errorf("line %d: shard %s is not a shard number (0 or more)", r.line, sv)
				}
				shard = n
			}
		}
		var raw []byte
		if data.Type() == fastjson.TypeString {
			raw = append(raw, data.GetStringBytes()...) // a raw text record
		} else {
			// Keep the record's own bytes (error_stream shows them).
			raw = append(raw, memberText(text, "data")...)
		}
		return Record{Arrival: at, Data: raw, Shard: shard}, nil
	}
	if err := r.scan.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Record{}, fmt.Errorf("line %d: longer than 16 MiB", r.line+1)
		}
		return Record{}, err
	}
	return Record{}, io.EOF
}

// memberText returns the raw text of a top-level member's value in a JSON
// object that is known to be valid.
func memberText(obj []byte, key string) []byte {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil
	}
	i++
	for i < len(obj) {
		i = skipSpace(obj, i)
		if i >= len(obj) || obj[i] != '"' {
			return nil
		}
		keyEnd := skipString(obj, i)
		name := obj[i+1 : keyEnd-1]
		i = skipSpace(obj, keyEnd)
		if i >= len(obj) || obj[i] != ':' {
			return nil
		}
		start := skipSpace(obj, i+1)
		end := skipValue(obj, start)
		if string(name) == key {
			return obj[start:end]
		}
		i = skipSpace(obj, end)
		if i < len(obj) && obj[i] == ',' {
			i++
		}
	}
	return nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\t' && b[i] != '\r' {
		i++
	}
	return i
}
