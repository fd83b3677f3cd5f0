package record

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// nested builds {"k...":{"k...":...{"k...":1}...}} of the given depth.
func nested(depth int, key string) []byte {
	var b strings.Builder
	for range depth {
		b.WriteString(`{"` + key + `":`)
	}
	b.WriteString("1")
	b.WriteString(strings.Repeat("}", depth))
	return []byte(b.String())
}

// allocated reports the bytes allocated while f runs.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A producer that can only write records must not make "Discover schema"
// take the server's memory: a deeply nested record costs discovery memory
// in proportion to its size, and the schema stops at the depth limit with
// the deeper object as one VARCHAR column that maps the record.
func TestDiscoverDeeplyNestedRecordUsesMemoryProportionalToItsSize(t *testing.T) {
	key := strings.Repeat("k", 20)
	rec := nested(2500, key)
	var s Schema
	var err error
	n := allocated(func() { s, err = Discover([][]byte{rec}) })
	if err != nil {
		t.Fatal(err)
	}
	if n > 50*uint64(len(rec)) {
		t.Fatalf("discovering a %d-byte record allocated %d bytes (%d× its size), want under 50×", len(rec), n, n/uint64(len(rec)))
	}
	t.Logf("discovering a %d-byte record allocated %d bytes", len(rec), n)
	if len(s.RecordColumns) != 1 {
		t.Fatalf("discovered %d columns, want 1: %+v", len(s.RecordColumns), s.RecordColumns)
	}
	c := s.RecordColumns[0]
	if want := "$" + strings.Repeat("."+key, MaxPathDepth); c.Mapping != want || !strings.HasPrefix(c.SqlType, "VARCHAR(") {
		t.Fatalf("column %s %s mapped %.80s..., want a VARCHAR at depth %d", c.Name, c.SqlType, c.Mapping, MaxPathDepth)
	}
	m, err := NewMapper(s)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := m.Map(rec)
	if err != nil {
		t.Fatalf("the discovered schema does not map its sample: %v", err)
	}
	if got, want := rows[0][0].S, string(nested(2500-MaxPathDepth, key)); got != want {
		t.Fatalf("the deep column holds %.60s..., want the object below depth %d", got, MaxPathDepth)
	}
}

func TestDiscoverTakesAtMostTheServicesColumnLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range 1500 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"c` + strconv.Itoa(i) + `":1`)
	}
	b.WriteString("}")
	csv := strings.Repeat("1,", 1499) + "1\n" + strings.Repeat("2,", 1499) + "2"
	for _, rec := range []string{b.String(), csv} {
		s, err := Discover([][]byte{[]byte(rec)})
		if err != nil {
			t.Fatal(err)
		}
		if len(s.RecordColumns) != MaxColumns {
			t.Fatalf("%s: discovered %d columns, want the service's %d", s.RecordFormat.RecordFormatType, len(s.RecordColumns), MaxColumns)
		}
		m, err := NewMapper(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Map([]byte(rec)); err != nil {
			t.Fatalf("%s: the discovered schema does not map its sample: %v", s.RecordFormat.RecordFormatType, err)
		}
	}
}
