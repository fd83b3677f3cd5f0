package replay

import (
	"io"
	"strings"
	"testing"
)

func TestReaderKeepsRecordsAsWritten(t *testing.T) {
	in := `{"arrival":"2026-11-01T00:00:00.134Z","data":{"b": "Click", "n": [1, {"x": "}"}]}}

{"data": "AMZN,12.5", "arrival": "2026-11-01T00:00:01Z", "shard": 2}
`
	r := NewReader(strings.NewReader(in))
	first, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(first.Data); got != `{"b": "Click", "n": [1, {"x": "}"}]}` {
		t.Fatalf("data %q", got)
	}
	if first.Shard != -1 {
		t.Fatalf("a line without a shard read as shard %d", first.Shard)
	}
	if first.Arrival.UnixMilli()%1000 != 134 {
		t.Fatalf("arrival %v", first.Arrival)
	}
	second, err := r.Next()
	if err != nil || string(second.Data) != "AMZN,12.5" || r.Line() != 3 || second.Shard != 2 {
		t.Fatalf("second record %q at line %d: %v", second.Data, r.Line(), err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last record: %v, want io.EOF", err)
	}
}

func TestReaderErrorsNameTheLine(t *testing.T) {
	for in, want := range map[string]string{
		`not json`:     "line 1: not a replay record",
		`{"data": {}}`: `line 1: a replay record needs "arrival"`,
		`{"arrival": "2026-11-01T00:00:01Z", "data": 1, "shard": -1}`:                                          "line 1: shard -1 is not a shard number (0 or more)",
		`{"arrival": "yesterday", "data": 1}`:                                                                  "line 1: arrival \"yesterday\" is not an RFC 3339 time",
		"{\"arrival\":\"2026-11-01T00:00:02Z\",\"data\":1}\n{\"arrival\":\"2026-11-01T00:00:01Z\",\"data\":1}": "line 2: arrival \"2026-11-01T00:00:01Z\" is before the previous record's",
	} {
		r := NewReader(strings.NewReader(in))
		var err error
		for err == nil {
			_, err = r.Next()
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("reading %q: %v, want %q", in, err, want)
		}
	}
}
