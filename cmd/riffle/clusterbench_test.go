package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/internal/promscrape"
)

// BenchmarkClusterOfLabApplications runs lab applications (the clickstream
// SQL of runner/testdata/bench, RIFFLE_BENCH_APPS of them, default 100)
// over riffle nodes sharing a NATS cluster of 3 servers: on 1 node, then
// on 3. Each application reads the same backlog (RIFFLE_BENCH_RECORDS lab
// events, default 200,000, preloaded in a Kinesis data stream of one
// shard) from TRIM_HORIZON; applications are started through the nodes in
// turn, so each node runs its share. It reports the aggregate records/s
// (applications × records over the time from the first
// CreateApplication until every application has read the backlog, as
// riffle_application_records_read_total says), the nodes' resident
// memory and Go heap in use once they have, and both per application
// (grown over the nodes' own before the applications came). One run
// takes a while: run it as `go test -run '^$' -bench ClusterOfLab
// -benchtime 1x -timeout 30m ./cmd/riffle` (docs/cluster.md, "Figures").
// It runs with the default lease TTL; a node that fails a lease renewal
// meanwhile voids the run.
func BenchmarkClusterOfLabApplications(b *testing.B) {
	apps := benchSetting(b, "RIFFLE_BENCH_APPS", 100)
	records := benchSetting(b, "RIFFLE_BENCH_RECORDS", 200000)
	for _, nodes := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			for range b.N {
				benchLab(b, nodes, apps, records)
			}
		})
	}
}

func benchSetting(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}

// nodeMemory is what a node's /metrics says of its memory.
type nodeMemory struct{ rss, heap float64 }

func (c *labCluster) memory(b *testing.B) nodeMemory {
	var m nodeMemory
	for _, n := range c.nodes {
		if srv := n.serving(); srv != nil {
			metrics := promscrape.Series(b, srv.url)
			m.rss += metrics["process_resident_memory_bytes"]
			m.heap += metrics["go_memstats_heap_inuse_bytes"]
		}
	}
	return m
}

func benchLab(b *testing.B, nodes, apps, records int) {
	b.StopTimer()
	sql, err := os.ReadFile("../../runner/testdata/bench/clickstream.sql")
	if err != nil {
		b.Fatal(err)
	}
	// A lease TTL of a minute: with the default (8 s) a node renews its
	// leases one after another within a second (TTL/8), which 100
	// applications reading at full speed on 2 cores make it miss; it
	// then stops and resumes them, and the run measures that instead
	// (docs/cluster.md, "What remains").
	c := startLabCluster(b, labOptions{Nodes: nodes, Scale: 1, Checkpoint: 5 * time.Second})
	if _, err := call(c.url(0), "Kinesis_20131202.CreateStream", map[string]any{"StreamName": "backlog", "ShardCount": 1}); err != nil {
		b.Fatal(err)
	}
	// The lab's mix: one click for every nine impressions.
	for sent := 0; sent < records; {
		var batch []any
		for ; len(batch) < 500 && sent < records; sent++ {
			action := []string{"Click", "Impression"}[min(sent%10, 1)]
			payload := fmt.Sprintf(`{"browseraction":%q, "site": "yourwebsiteurl.domain.com"}`+"\n", action)
			batch = append(batch, map[string]string{"Data": base64.StdEncoding.EncodeToString([]byte(payload)), "PartitionKey": "lab"})
		}
		if _, err := call(c.url(sent), "Kinesis_20131202.PutRecords", map[string]any{"StreamName": "backlog", "Records": batch}); err != nil {
			b.Fatal(err)
		}
	}
	before := c.memory(b)

	b.StartTimer()
	began := time.Now()
	var names []string
	for i := range apps {
		name := fmt.Sprintf("lab%03d", i+1)
		names = append(names, name)
		if _, err := call(c.url(i), "KinesisAnalytics_20150814.CreateApplication", map[string]any{
			"ApplicationName": name, "ApplicationCode": string(sql),
			"Inputs": []any{map[string]any{
				"NamePrefix":          "SOURCE_SQL_STREAM",
				"KinesisStreamsInput": map[string]any{"ResourceARN": "arn:aws:kinesis:us-east-1:000000000000:stream/backlog", "RoleARN": "arn:aws:iam::000000000000:role/lab"},
				"InputSchema":         labSchema,
			}},
		}); err != nil {
			b.Fatalf("create %s: %v", name, err)
		}
		if _, err := call(c.url(i), "KinesisAnalytics_20150814.StartApplication", map[string]any{
			"ApplicationName": name, "InputConfigurations": []any{map[string]any{"Id": "1.1", "InputStartingPositionConfiguration": map[string]any{"InputStartingPosition": "TRIM_HORIZON"}}},
		}); err != nil {
			b.Fatalf("start %s: %v", name, err)
		}
	}
	poll.Until(b, 10*time.Minute, func() (bool, string) {
		read := map[string]float64{}
		for _, n := range c.nodes {
			metrics := promscrape.Series(b, n.serving().url)
			if failed := metrics["riffle_lease_renewals_failed_total"]; failed > 0 {
				// Its applications stop and resume from their checkpoints:
				// their counts of records read start again.
				b.Fatalf("node %s failed %v lease renewals under the load: the run is void", n.name, failed)
			}
			for series, v := range metrics {
				if name, ok := strings.CutPrefix(series, `riffle_application_records_read_total{application="`); ok {
					read[strings.TrimSuffix(name, `"}`)] += v
				}
			}
		}
		var behind []string
		for _, name := range names {
			if read[name] < float64(records) {
				behind = append(behind, fmt.Sprintf("%s %.0f", name, read[name]))
			}
		}
		return len(behind) == 0, fmt.Sprintf("%d applications have not read the %d records: %v", len(behind), records, behind)
	})
	elapsed := time.Since(began)
	b.StopTimer()

	after := c.memory(b)
	b.ReportMetric(float64(apps*records)/elapsed.Seconds(), "records/s")
	b.ReportMetric(elapsed.Seconds(), "s/run")
	b.ReportMetric(after.rss/(1<<20), "MB-RSS")
	b.ReportMetric((after.rss-before.rss)/float64(apps)/(1<<10), "KB-RSS/app")
	b.ReportMetric(after.heap/(1<<20), "MB-heap")
	b.ReportMetric((after.heap-before.heap)/float64(apps)/(1<<10), "KB-heap/app")
}
