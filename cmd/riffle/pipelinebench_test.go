package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/promscrape"
)

// BenchmarkLivePipeline measures the live pipeline as a user runs it, on
// one machine: `riffle serve` (embedded log) runs the lab application
// (runner/testdata/bench/clickstream.sql, started at NOW), and a separate
// process sends b.N lab events of about 80 bytes through PutRecordBatch
// from 8 clients, 500 records a call, each call as soon as the last one was
// acknowledged. The sender is either a bare load generator (sender=loadgen:
// prepared request bodies, the shape of the load generator) or
// `riffle gen` with a template (sender=riffle-gen, which renders each
// record and goes through the AWS SDK). The time runs from the sender's
// start until the application has read every record
// (riffle_application_records_read_total), so it includes the watermark's
// settle wait once. It reports records/s, the server's peak resident
// memory and Go heap sampled while it runs (they must stay flat as b.N
// grows), how long the sender took and the application's peak input lag
// (in stored messages of 500 records: a lag that grows with b.N means it
// did not keep up), and the CPU each process spent per record:
//
//	go test -run '^$' -bench LivePipeline -benchtime 2000000x -count 6 ./cmd/riffle
func BenchmarkLivePipeline(b *testing.B) {
	sql, err := os.ReadFile("../../runner/testdata/bench/clickstream.sql")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("sender=loadgen", func(b *testing.B) {
		benchPipeline(b, string(sql), func(url string, per int) []string {
			return []string{"RIFFLE_TEST_LOADGEN=" + url + " clicks " + strconv.Itoa(pipelineClients) + " " + strconv.Itoa(per/500)}
		})
	})
	b.Run("sender=riffle-gen", func(b *testing.B) {
		benchPipeline(b, string(sql), func(url string, per int) []string {
			// The lab's events, one click for nine impressions, padded
			// with a session number to about 80 bytes.
			var scenario strings.Builder
			scenario.WriteString("name: pipeline\nsenders:\n")
			for i := range pipelineClients {
				fmt.Fprintf(&scenario, "  - name: s%d\n    rate: 0\n    count: %d\n    template: '{\"browseraction\":\"{{random.weightedArrayElement({\"weights\":[0.9,0.1],\"data\":[\"Impression\",\"Click\"]})}}\",\"site\":\"yourwebsiteurl.domain.com\",\"session\":\"{{random.number(99999)}}\"}'\n", i, per)
			}
			file := filepath.Join(b.TempDir(), "pipeline.yaml")
			if err := os.WriteFile(file, []byte(scenario.String()), 0o644); err != nil {
				b.Fatal(err)
			}
			return []string{"RIFFLE_TEST_MAIN=gen --scenario " + file + " --stream clicks --endpoint-url " + url}
		})
	})
}

// pipelineClients is how many clients send at once.
const pipelineClients = 8

// benchPipeline runs the server and the lab application, then the sender
// that sender's environment names (given the server's URL and the records
// per client), and measures until the application has read them all.
func benchPipeline(b *testing.B, sql string, sender func(url string, perClient int) []string) {
	b.StopTimer()
	srv := startServer(b, filepath.Join(b.TempDir(), "data"))
	if _, err := call(srv.url, "Firehose_20150804.CreateDeliveryStream", map[string]any{"DeliveryStreamName": "clicks"}); err != nil {
		b.Fatal(err)
	}
	if _, err := call(srv.url, "KinesisAnalytics_20150814.CreateApplication", map[string]any{
		"ApplicationName": "lab", "ApplicationCode": sql,
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
	per := (b.N + pipelineClients*500 - 1) / (pipelineClients * 500) * 500
	total := per * pipelineClients
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	send := exec.Command(exe)
	send.Env = append(os.Environ(), sender(srv.url, per)...)
	var sendOut strings.Builder
	send.Stdout, send.Stderr = &sendOut, &sendOut
	cpuBefore := promscrape.Series(b, srv.url)["process_cpu_seconds_total"]

	b.StartTimer()
	began := time.Now()
	if err := send.Start(); err != nil {
		b.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() { sent <- send.Wait() }()
	// Scraped every 100 ms, not poll.Every: gathering /metrics costs the
	// server work the figure should not include.
	var peakRSS, peakHeap float64
	var sentIn time.Duration
	var peakLag float64
	var metrics map[string]float64
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(10 * time.Minute)
	for {
		select {
		case err := <-sent:
			if err != nil {
				b.Fatalf("the sender: %v\n%s", err, sendOut.String())
			}
			sent = nil
			sentIn = time.Since(began)
		default:
		}
		metrics = promscrape.Series(b, srv.url)
		peakRSS = max(peakRSS, metrics["process_resident_memory_bytes"])
		peakHeap = max(peakHeap, metrics["go_memstats_heap_inuse_bytes"])
		peakLag = max(peakLag, metrics[`riffle_application_input_lag_messages{application="lab"}`])
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
	if sent != nil {
		if err := <-sent; err != nil {
			b.Fatalf("the sender: %v\n%s", err, sendOut.String())
		}
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "records/s")
	b.ReportMetric(peakRSS/(1<<20), "MB-peak-RSS")
	b.ReportMetric(peakHeap/(1<<20), "MB-peak-heap")
	b.ReportMetric(sentIn.Seconds(), "s-sending")
	b.ReportMetric(peakLag, "peak-lag-msgs")
	// CPU per record of each process: what the two cores were spent on,
	// steadier than records/s on a shared machine.
	b.ReportMetric((metrics["process_cpu_seconds_total"]-cpuBefore)*1e6/float64(total), "server-CPU-µs/record")
	b.ReportMetric((send.ProcessState.UserTime()+send.ProcessState.SystemTime()).Seconds()*1e6/float64(total), "sender-CPU-µs/record")
}

// loadGenerator is the bare sender of BenchmarkLivePipeline, run as a
// process of its own: "URL STREAM CLIENTS BATCHES" sends BATCHES
// PutRecordBatch calls of 500 lab events of about 80 bytes from each of
// CLIENTS clients, each call once the last one was acknowledged.
func loadGenerator(args string) error {
	f := strings.Fields(args)
	if len(f) != 4 {
		return fmt.Errorf("RIFFLE_TEST_LOADGEN=%q: want URL STREAM CLIENTS BATCHES", args)
	}
	url, stream := f[0], f[1]
	clients, err1 := strconv.Atoi(f[2])
	batches, err2 := strconv.Atoi(f[3])
	if err1 != nil || err2 != nil {
		return fmt.Errorf("RIFFLE_TEST_LOADGEN=%q: CLIENTS and BATCHES are numbers", args)
	}
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for c := range clients {
		// Each client's own body: the lab's mix, one click for nine
		// impressions, each record with a session number of its own.
		var body strings.Builder
		body.WriteString(`{"DeliveryStreamName":"` + stream + `","Records":[`)
		for i := range 500 {
			if i > 0 {
				body.WriteByte(',')
			}
			action := "Impression"
			if i%10 == 0 {
				action = "Click"
			}
			payload := fmt.Sprintf(`{"browseraction":%q,"site":"yourwebsiteurl.domain.com","session":"%05d"}`+"\n", action, (c*500+i)%100000)
			body.WriteString(`{"Data":"` + base64.StdEncoding.EncodeToString([]byte(payload)) + `"}`)
		}
		body.WriteString(`]}`)
		payload := []byte(body.String())
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			for range batches {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(payload))
				req.Header.Set("X-Amz-Target", "Firehose_20150804.PutRecordBatch")
				req.Header.Set("Content-Type", "application/x-amz-json-1.1")
				req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/firehose/aws4_request, SignedHeaders=host, Signature=00")
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				var answer struct{ FailedPutCount int }
				decodeErr := json.NewDecoder(resp.Body).Decode(&answer)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || decodeErr != nil || answer.FailedPutCount != 0 {
					errs <- fmt.Errorf("PutRecordBatch: %s, %d failed (%v)", resp.Status, answer.FailedPutCount, decodeErr)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}
