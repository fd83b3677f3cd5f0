package runner

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/sql/engine"
)

// BenchmarkLogParse feeds web-log records ({"log": "..."}, JSON mapping
// included) through an application that parses each line with one of the
// log-parsing functions and stores its fields. One op is one record.
//
//	go test -run '^$' -bench LogParse -benchmem -cpu 1 ./runner
func BenchmarkLogParse(b *testing.B) {
	const out = `CREATE STREAM out (a VARCHAR(64), b VARCHAR(64), c VARCHAR(64), d VARCHAR(64));
CREATE PUMP p AS INSERT INTO out SELECT STREAM t.r.%s, t.r.%s, t.r.%s, t.r.%s FROM (SELECT STREAM %s AS r FROM SOURCE_SQL_STREAM_001) AS t;`
	cases := []struct{ name, call, fields string }{
		{"W3C", `W3C_LOG_PARSE("log", 'COMMON')`, "COLUMN1 COLUMN4 COLUMN5 COLUMN6"},
		{"Regex", `REGEX_LOG_PARSE("log", '(\S+) \S+ \S+ \[([^\]]+)\] "([^"]*)" (\d+) .*')`, "COLUMN1 COLUMN2 COLUMN3 COLUMN4"},
		{"FastRegex", `FAST_REGEX_LOG_PARSE("log", '(.*) - - \[(.*)\] \"([^"]*)\" (<Digit>{3}) .*')`, "COLUMN1 COLUMN2 COLUMN3 COLUMN4"},
		{"VariableColumn", `VARIABLE_COLUMN_LOG_PARSE("log", 7, ' ', '', '""')`, "COLUMN1 COLUMN4 COLUMN6 COLUMN7"},
		{"FixedColumn", `FIXED_COLUMN_LOG_PARSE("log", 'a TYPE VARCHAR(8) START 0 FOR 8, b TYPE VARCHAR(8) START 8 FOR 8, c TYPE VARCHAR(16) START 16 FOR 16, d TYPE VARCHAR(8) START 32 FOR 8')`, "A B C D"},
	}
	lines := make([][]byte, 4096)
	for i := range lines {
		line := fmt.Sprintf(`10.0.%d.%d - - [01/Nov/2026:00:%02d:%02d +0000] "GET /items/%d?page=%d HTTP/1.1" %d %d "-" "Mozilla/5.0 (X11; Linux x86_64)"`,
			i/256, i%256, i/60%60, i%60, i*7919%10000, i%13, []int{200, 200, 200, 304, 404, 500}[i%6], i*37%20000)
		data, err := json.Marshal(map[string]string{"log": line})
		if err != nil {
			b.Fatal(err)
		}
		lines[i] = data
	}
	schema, err := record.Discover(lines[:2])
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var f [4]string
			fmt.Sscan(c.fields, &f[0], &f[1], &f[2], &f[3])
			sql := fmt.Sprintf(out, f[0], f[1], f[2], f[3], c.call)
			compiled, err := compile.Compile(compile.Options{SQL: sql, Schema: schema, Application: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			app, feeder := compiled.Engine, compiled.Feeders[0]
			parsed, failed := 0, 0
			if err := app.Subscribe("OUT", func(r engine.Row) {
				if !r.Values[0].Null {
					parsed++
				}
			}); err != nil {
				b.Fatal(err)
			}
			if err := app.Subscribe(engine.ErrorStream, func(engine.Row) { failed++ }); err != nil {
				b.Fatal(err)
			}
			start := benchStart.UnixMilli()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				at := start + int64(i)
				if err := feeder.Feed(lines[i%len(lines)], at, compile.Meta{Stored: at}); err != nil {
					b.Fatal(err)
				}
			}
			app.Advance(engine.Forever)
			b.StopTimer()
			if parsed != b.N || failed != 0 {
				b.Fatalf("%d of %d lines parsed, %d errors", parsed, b.N, failed)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
