package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/ingest"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// labBatch is a PutRecordBatch body of 500 lab events: one click for every
// nine impressions, as the lab's generator sends them.
func labBatch(stream string) []byte {
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
		payload := fmt.Sprintf(`{"browseraction":%q, "site": "yourwebsiteurl.domain.com"}`+"\n", action)
		body.WriteString(`{"Data":"` + base64.StdEncoding.EncodeToString([]byte(payload)) + `"}`)
	}
	body.WriteString(`]}`)
	return []byte(body.String())
}

func labSQL(b *testing.B) string {
	sql, err := os.ReadFile("../runner/testdata/bench/clickstream.sql")
	if err != nil {
		b.Fatal(err)
	}
	return string(sql)
}

// BenchmarkPipeline measures records per second from PutRecordBatch
// (eight senders over HTTP in the same process, 500 records a batch)
// through the stored log into a running lab application, until the
// application has read and processed every record. It is the one to
// profile (-cpuprofile); cmd/riffle's BenchmarkLivePipeline measures the
// same with the sender in a process of its own.
func BenchmarkPipeline(b *testing.B) {
	ctx := context.Background()
	l := streamlogtest.Open(b, streamlogtest.Stream{Name: "clicks", Kind: "firehose", Shards: 1})
	h, err := ingest.Handler(ctx, l, ingest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	if _, err := m.Create(ctx, Application{Name: "lab", Code: labSQL(b), Inputs: []Input{in}}); err != nil {
		b.Fatal(err)
	}
	if err := m.Start(ctx, "lab", Now); err != nil {
		b.Fatal(err)
	}
	payload := labBatch("clicks")
	batches := (b.N + 499) / 500
	next := make(chan struct{}, batches)
	for range batches {
		next <- struct{}{}
	}
	close(next)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range next {
				req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(payload))
				req.Header.Set("X-Amz-Target", "Firehose_20150804.PutRecordBatch")
				req.Header.Set("Content-Type", "application/x-amz-json-1.1")
				req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/firehose/aws4_request, SignedHeaders=host, Signature=00")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("PutRecordBatch: %s", resp.Status)
					return
				}
			}
		})
	}
	wg.Wait()
	want := int64(batches * 500)
	var last int64
	stalled := time.Now()
	for {
		n, err := m.RecordsRead("lab")
		if err != nil {
			b.Fatal(err)
		}
		if n >= want {
			break
		}
		if n != last {
			last, stalled = n, time.Now()
		}
		if time.Since(stalled) > 30*time.Second {
			b.Fatalf("the application stalled at %d of %d records", n, want)
		}
		time.Sleep(time.Millisecond) // polling for the end of the measured work
	}
	b.StopTimer()
	b.ReportMetric(float64(want)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkIdleApplications starts 100 lab applications on one input with
// no traffic and reports the memory (heap and stacks, after a collection)
// and goroutines each one holds while idle.
func BenchmarkIdleApplications(b *testing.B) {
	const apps = 100
	ctx := context.Background()
	l := streamlogtest.Open(b, streamlogtest.Stream{Name: "clicks", Kind: "firehose", Shards: 1})
	sql := labSQL(b)
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	inUse := func() (uint64, int) {
		goruntime.GC()
		var ms goruntime.MemStats
		goruntime.ReadMemStats(&ms)
		return ms.HeapInuse + ms.StackInuse, goruntime.NumGoroutine()
	}
	var bytesPerApp, goroutinesPerApp float64
	for i := range b.N {
		m, err := NewManager(ctx, l, Options{})
		if err != nil {
			b.Fatal(err)
		}
		before, g0 := inUse()
		for a := range apps {
			name := fmt.Sprintf("lab-%d-%03d", i, a)
			if _, err := m.Create(ctx, Application{Name: name, Code: sql, Inputs: []Input{in}}); err != nil {
				b.Fatal(err)
			}
			if err := m.Start(ctx, name, Now); err != nil {
				b.Fatal(err)
			}
		}
		after, g1 := inUse()
		bytesPerApp = float64(after-before) / apps
		goroutinesPerApp = float64(g1-g0) / apps
		m.Close()
	}
	b.ReportMetric(bytesPerApp, "B/app")
	b.ReportMetric(goroutinesPerApp, "goroutines/app")
}
