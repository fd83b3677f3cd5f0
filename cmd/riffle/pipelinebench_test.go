package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/promscrape"
)

// BenchmarkLivePipeline measures the live pipeline as a user runs it, in
// three processes' worth of work on one machine: `riffle serve` (embedded
// log) runs the lab application (runner/testdata/bench/clickstream.sql,
// started at NOW), and `riffle gen`, a separate process, sends b.N lab
// events of about 80 bytes through PutRecordBatch from 8 senders (500
// records a call, as fast as the server acknowledges them). The time runs
// from the generator's start until the application has read every record
// (riffle_application_records_read_total), so it includes the watermark's
// settle wait once. It reports records/s and the server's peak resident
// memory, sampled while it runs (memory must stay flat as b.N grows):
//
//	go test -run '^$' -bench LivePipeline -benchtime 2000000x -count 6 ./cmd/riffle
func BenchmarkLivePipeline(b *testing.B) {
	b.StopTimer()
	sql, err := os.ReadFile("../../runner/testdata/bench/clickstream.sql")
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	srv := startServer(b, filepath.Join(dir, "data"))
	if _, err := call(srv.url, "Firehose_20150804.CreateDeliveryStream", map[string]any{"DeliveryStreamName": "clicks"}); err != nil {
		b.Fatal(err)
	}
	if _, err := call(srv.url, "KinesisAnalytics_20150814.CreateApplication", map[string]any{
		"ApplicationName": "lab", "ApplicationCode": string(sql),
		"Inputs": []any{map[string]any{
			"NamePrefix":           "SOURCE_SQL_STREAM",
			"KinesisFirehoseInput": map[string]any{"ResourceARN": "arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks", "RoleARN": "arn:aws:iam::000000000000:role/lab"},
			"InputSchema":          labSchema,
		}},
	}); err != nil {
		b.Fatal(err)
	}
	if _, err := call(srv.url, "KinesisAnalytics_20150814.StartApplication", map[string]any{
		"ApplicationName": "lab", "InputConfigurations": []any{map[string]any{"Id": "1.1", "InputStartingPositionConfiguration": map[string]any{"InputStartingPosition": "NOW"}}},
	}); err != nil {
		b.Fatal(err)
	}
	const senders = 8
	per := (b.N + senders - 1) / senders
	total := per * senders
	// The lab's events, one click for nine impressions, padded with a
	// session id to the load generator's 80 bytes.
	var scenario strings.Builder
	scenario.WriteString("name: pipeline\nsenders:\n")
	for i := range senders {
		fmt.Fprintf(&scenario, "  - name: s%d\n    rate: 0\n    count: %d\n    template: '{\"browseraction\":\"{{random.weightedArrayElement({\"weights\":[0.9,0.1],\"data\":[\"Impression\",\"Click\"]})}}\",\"site\":\"yourwebsiteurl.domain.com\",\"session\":\"{{random.number(99999)}}\"}'\n", i, per)
	}
	scenarioFile := filepath.Join(dir, "pipeline.yaml")
	if err := os.WriteFile(scenarioFile, []byte(scenario.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	gen := exec.Command(exe)
	gen.Env = append(os.Environ(), "RIFFLE_TEST_MAIN=gen --scenario "+scenarioFile+" --stream clicks --endpoint-url "+srv.url)
	var genOut strings.Builder
	gen.Stdout, gen.Stderr = &genOut, &genOut

	b.StartTimer()
	began := time.Now()
	if err := gen.Start(); err != nil {
		b.Fatal(err)
	}
	genDone := make(chan error, 1)
	go func() { genDone <- gen.Wait() }()
	// Scraped every 100 ms, not poll.Every: gathering /metrics costs the
	// server work the figure should not include.
	var peakRSS float64
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(10 * time.Minute)
	for {
		select {
		case err := <-genDone:
			if err != nil {
				b.Fatalf("riffle gen: %v\n%s", err, genOut.String())
			}
			genDone = nil
		default:
		}
		metrics := promscrape.Series(b, srv.url)
		peakRSS = max(peakRSS, metrics["process_resident_memory_bytes"])
		read := metrics[`riffle_application_records_read_total{application="lab"}`]
		if read >= float64(total) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the application read %.0f of %d records in 10 minutes", read, total)
		}
		<-tick.C
	}
	elapsed := time.Since(began)
	b.StopTimer()
	if genDone != nil {
		if err := <-genDone; err != nil {
			b.Fatalf("riffle gen: %v\n%s", err, genOut.String())
		}
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "records/s")
	b.ReportMetric(peakRSS/(1<<20), "MB-peak-RSS")
}
