package ingest

import (
	"bytes"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// A put of many records is most of what the server reads: up to 500
// base64 records a request. Its usual shape is parsed in one pass with
// fastjson; anything else (another field, a field twice, a type other
// than expected, a name that is not UTF-8, any escape in a string) goes through encoding/json,
// whose errors match the services', so the fast path changes no answer.

// putRequest is a put of many records as read.
type putRequest struct {
	Stream  string
	Records []putRecord
}

// putRecord is one of its records: Firehose's have only Data.
type putRecord struct {
	Data                          blob
	PartitionKey, ExplicitHashKey string
}

// fastPut reads a request whose only fields are streamField and Records
// (each once); false: the caller decodes it with encoding/json.
func fastPut(parsers *fastjson.ParserPool, body []byte, streamField string) (putRequest, bool) {
	var req putRequest
	if bytes.IndexByte(body, '\\') >= 0 {
		return req, false // fastjson lets invalid escapes through; encoding/json refuses them
	}
	p := parsers.Get()
	defer parsers.Put(p)
	v, err := p.ParseBytes(body)
	if err != nil || v.Type() != fastjson.TypeObject {
		return req, false
	}
	obj, _ := v.Object()
	ok, seen := true, map[string]bool{}
	obj.Visit(func(key []byte, f *fastjson.Value) {
		k := string(key)
		if !ok || seen[k] {
			ok = false
			return
		}
		seen[k] = true
		switch k {
		case streamField:
			s, err := f.StringBytes()
			ok = err == nil && plain(s)
			req.Stream = string(s)
		case "Records":
			arr, err := f.Array()
			if ok = err == nil; !ok {
				return
			}
			req.Records = make([]putRecord, len(arr))
			for i, r := range arr {
				if ok = fastRecord(r, &req.Records[i]); !ok {
					return
				}
			}
		default:
			ok = false
		}
	})
	return req, ok && len(seen) == 2
}

// fastRecord reads one record: an object of Data (a string or null),
// PartitionKey and ExplicitHashKey (strings), each at most once.
func fastRecord(v *fastjson.Value, out *putRecord) bool {
	obj, err := v.Object()
	if err != nil {
		return false
	}
	ok, seen := true, 0
	obj.Visit(func(key []byte, f *fastjson.Value) {
		if !ok {
			return
		}
		var bit int
		switch string(key) {
		case "Data":
			bit = 1
			if f.Type() == fastjson.TypeNull {
				break
			}
			s, err := f.StringBytes()
			if ok = err == nil && plain(s); ok {
				out.Data.decode(s)
			}
		case "PartitionKey", "ExplicitHashKey":
			bit = 2
			if string(key) == "ExplicitHashKey" {
				bit = 4
			}
			s, err := f.StringBytes()
			ok = err == nil && plain(s)
			if string(key) == "PartitionKey" {
				out.PartitionKey = string(s)
			} else {
				out.ExplicitHashKey = string(s)
			}
		default:
			ok = false
		}
		if seen&bit != 0 {
			ok = false
		}
		seen |= bit
	})
	return ok
}

// plain is a string encoding/json reads as it is: UTF-8 without control
// characters (fastjson lets those through; encoding/json refuses them).
func plain(s []byte) bool {
	for _, c := range s {
		if c < 0x20 {
			return false
		}
	}
	return utf8.Valid(s)
}
