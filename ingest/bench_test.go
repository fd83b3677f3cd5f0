package ingest

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// BenchmarkPutRecordBatch: 8 clients send PutRecordBatch requests of 500
// records of ~100 bytes over loopback to a server on the embedded log,
// each waiting for the durable acknowledgement. One op is one record.
//
//	go test -run '^$' -bench PutRecordBatch -benchtime 20000x ./ingest
func BenchmarkPutRecordBatch(b *testing.B) {
	l := streamlogtest.Open(b, streamlogtest.Stream{Name: "bench", Kind: firehoseKind, Shards: 1})
	srv := serve(b, l, Options{})
	record := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 99) + "\n"))
	var body strings.Builder
	body.WriteString(`{"DeliveryStreamName":"bench","Records":[`)
	for i := 0; i < 500; i++ {
		if i > 0 {
			body.WriteByte(',')
		}
		body.WriteString(`{"Data":"` + record + `"}`)
	}
	body.WriteString(`]}`)
	payload := []byte(body.String())
	const clients = 8
	batches := (b.N + 499) / 500
	var mu sync.Mutex
	var latencies []time.Duration
	var wg sync.WaitGroup
	next := make(chan struct{}, batches)
	for range batches {
		next <- struct{}{}
	}
	close(next)
	b.ResetTimer()
	for range clients {
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			for range next {
				req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(payload))
				req.Header.Set("X-Amz-Target", "Firehose_20150804.PutRecordBatch")
				req.Header.Set("Content-Type", "application/x-amz-json-1.1")
				req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/firehose/aws4_request, SignedHeaders=host, Signature=00")
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
				mu.Lock()
				latencies = append(latencies, time.Since(start))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	slices.Sort(latencies)
	if len(latencies) > 0 {
		b.ReportMetric(float64(batches*500)/b.Elapsed().Seconds(), "records/s")
		b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
	}
}
