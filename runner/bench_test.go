package runner

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/replay"
	"github.com/riffle-sql/riffle/sql/engine"
)

// The clickstream application over generated traffic (1000 records per
// simulated second). One op is one record; records/s = 1e9 / (ns/op).
//
//	go test -run '^$' -bench . -benchmem -count 10 -cpu 1 ./runner

var benchStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func benchSQL(b *testing.B) string {
	sql, err := os.ReadFile("testdata/bench/clickstream.sql")
	if err != nil {
		b.Fatal(err)
	}
	return string(sql)
}

func benchRecords(b *testing.B, n int) []replay.Record {
	var buf bytes.Buffer
	if err := replay.WriteClickstream(&buf, n, 1000, benchStart); err != nil {
		b.Fatal(err)
	}
	rd := replay.NewReader(&buf)
	recs := make([]replay.Record, 0, n)
	for {
		r, err := rd.Next()
		if err == io.EOF {
			return recs
		}
		if err != nil {
			b.Fatal(err)
		}
		recs = append(recs, r)
	}
}

// BenchmarkEngine feeds raw record bytes through mapping and the engine.
func BenchmarkEngine(b *testing.B) {
	recs := benchRecords(b, 200000)
	schema, err := record.Discover([][]byte{recs[0].Data, recs[1].Data})
	if err != nil {
		b.Fatal(err)
	}
	compiled, err := compile.Compile(compile.Options{SQL: benchSQL(b), Schema: schema, Application: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	app, feeder := compiled.Engine, compiled.Feeders[0]
	span := recs[len(recs)-1].Arrival.Sub(recs[0].Arrival) + time.Second
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := recs[i%len(recs)]
		// Keep time moving forward when the records wrap around.
		rec.Arrival = rec.Arrival.Add(time.Duration(i/len(recs)) * span)
		if err := feeder.Feed(rec.Data, rec.Arrival.UnixMilli(), compile.Meta{Stored: rec.Arrival.UnixMilli()}); err != nil {
			b.Fatal(err)
		}
	}
	app.Advance(engine.Forever)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkRun is riffle run minus the process: replay parsing, discovery,
// mapping, the engine and printing.
func BenchmarkRun(b *testing.B) {
	var buf bytes.Buffer
	if err := replay.WriteClickstream(&buf, b.N, 1000, benchStart); err != nil {
		b.Fatal(err)
	}
	sql := benchSQL(b)
	b.ReportAllocs()
	b.ResetTimer()
	if err := Run(Options{SQL: sql, Application: "bench"}, &buf, io.Discard); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
