package main

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/promscrape"
)

// BenchmarkIdleLabApplications runs `riffle serve` as its own process on a
// data directory and creates and starts RIFFLE_BENCH_APPS lab applications
// (the clickstream SQL of runner/testdata/bench, default 1,000) through its
// API, as a user would, all reading one Kinesis data stream of the server
// that nobody writes to. It reports the time to create and start them all,
// the latency of ListApplications (p50 and p99 over 50 calls of one page),
// and, once they idle (a checkpoint interval after the last start), the
// process's resident memory and Go heap in use (/metrics) and the CPU it
// uses over RIFFLE_BENCH_IDLE seconds (default 10), as a fraction of one
// core. Run it as `go test -run '^$' -bench
// IdleLabApplications -benchtime 1x -timeout 30m ./cmd/riffle` (docs/apps.md,
// "Figures").
func BenchmarkIdleLabApplications(b *testing.B) {
	apps := benchSetting(b, "RIFFLE_BENCH_APPS", 1000)
	idle := time.Duration(benchSetting(b, "RIFFLE_BENCH_IDLE", 10)) * time.Second
	sql, err := os.ReadFile("../../runner/testdata/bench/clickstream.sql")
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		b.StopTimer()
		srv := startServer(b, b.TempDir())
		if _, err := call(srv.url, "Kinesis_20131202.CreateStream", map[string]any{"StreamName": "quiet", "ShardCount": 1}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		began := time.Now()
		for i := range apps {
			name := fmt.Sprintf("lab%04d", i+1)
			if _, err := call(srv.url, "KinesisAnalytics_20150814.CreateApplication", map[string]any{
				"ApplicationName": name, "ApplicationCode": string(sql),
				"Inputs": []any{map[string]any{
					"NamePrefix":          "SOURCE_SQL_STREAM",
					"KinesisStreamsInput": map[string]any{"ResourceARN": "arn:aws:kinesis:us-east-1:000000000000:stream/quiet", "RoleARN": "arn:aws:iam::000000000000:role/lab"},
					"InputSchema":         labSchema,
				}},
			}); err != nil {
				b.Fatalf("create %s: %v", name, err)
			}
			if _, err := call(srv.url, "KinesisAnalytics_20150814.StartApplication", map[string]any{
				"ApplicationName": name, "InputConfigurations": []any{map[string]any{"Id": "1.1", "InputStartingPositionConfiguration": map[string]any{"InputStartingPosition": "NOW"}}},
			}); err != nil {
				b.Fatalf("start %s: %v", name, err)
			}
		}
		started := time.Since(began)
		b.StopTimer()

		var lists []time.Duration
		for range 50 {
			t0 := time.Now()
			out, err := call(srv.url, "KinesisAnalytics_20150814.ListApplications", map[string]any{})
			if err != nil {
				b.Fatal(err)
			}
			lists = append(lists, time.Since(t0))
			if sums, _ := out["ApplicationSummaries"].([]any); len(sums) != min(apps, 50) {
				b.Fatalf("ListApplications gave %d applications, want %d", len(sums), min(apps, 50))
			}
		}
		slices.Sort(lists)

		// The CPU used over a measured window once the applications idle:
		// after one checkpoint interval (--checkpoint, 5 s), by which each
		// has written its first periodic checkpoint.
		time.Sleep(5 * time.Second)
		first := promscrape.Series(b, srv.url)
		t0 := time.Now()
		time.Sleep(idle) // the measurement window itself
		last := promscrape.Series(b, srv.url)
		cores := (last["process_cpu_seconds_total"] - first["process_cpu_seconds_total"]) / time.Since(t0).Seconds()

		b.ReportMetric(started.Seconds(), "s-start")
		b.ReportMetric(float64(lists[len(lists)/2].Microseconds())/1000, "ms-list-p50")
		b.ReportMetric(float64(lists[len(lists)*99/100].Microseconds())/1000, "ms-list-p99")
		b.ReportMetric(last["process_resident_memory_bytes"]/(1<<20), "MB-RSS")
		b.ReportMetric(last["go_memstats_heap_inuse_bytes"]/(1<<20), "MB-heap")
		b.ReportMetric(cores, "cores-idle")
	}
}
