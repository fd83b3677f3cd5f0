package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/internal/s3test"
)

// TestAcknowledgedRecordsReachS3AcrossAKill: `riffle serve --aws-endpoint
// s3=URL` archives a delivery stream to a real S3-compatible server while
// clients send; it is killed (SIGKILL) once objects are being written,
// restarted on the same data directory, and sent more: every acknowledged
// record is in the bucket exactly once, and nothing else is (a record of
// a batch whose acknowledgement the kill cut off may be there, once).
func TestAcknowledgedRecordsReachS3AcrossAKill(t *testing.T) {
	s3srv := s3test.Start(t, "lake")
	setAWSEnv(t, s3srv.Env(), "AWS_ENDPOINT_URL_S3")
	dir := t.TempDir()
	flags := []string{"--aws-endpoint", "s3=" + s3srv.URL}
	srv := startServer(t, dir, flags...)
	if _, err := call(srv.url, "Firehose_20150804.CreateDeliveryStream", map[string]any{
		"DeliveryStreamName": "raw",
		"ExtendedS3DestinationConfiguration": map[string]any{
			"RoleARN": "arn:aws:iam::123456789012:role/firehose", "BucketARN": "arn:aws:s3:::lake", "Prefix": "raw/",
			"BufferingHints":    map[string]int{"SizeInMBs": 1, "IntervalInSeconds": 1},
			"CompressionFormat": "GZIP",
		},
	}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	sent, acked := map[string]bool{}, map[string]bool{}
	// send has client c send batches until ctx ends or the server is gone.
	send := func(ctx context.Context, url string, c, phase int) {
		for b := 0; ctx.Err() == nil; b++ {
			var recs []map[string]string
			var payloads []string
			for i := range 40 {
				p := fmt.Sprintf("p%d-c%d-b%05d-r%02d %s\n", phase, c, b, i, strings.Repeat("x", 200))
				payloads = append(payloads, p)
				recs = append(recs, map[string]string{"Data": base64.StdEncoding.EncodeToString([]byte(p))})
			}
			mu.Lock()
			for _, p := range payloads {
				sent[p] = true
			}
			mu.Unlock()
			if _, err := call(url, "Firehose_20150804.PutRecordBatch", map[string]any{"DeliveryStreamName": "raw", "Records": recs}); err != nil {
				return
			}
			mu.Lock()
			for _, p := range payloads {
				acked[p] = true
			}
			mu.Unlock()
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var clients sync.WaitGroup
	for c := range 3 {
		clients.Go(func() { send(ctx, srv.url, c, 1) })
	}
	// Kill once objects are being written, while the clients send.
	poll.Until(t, time.Minute, func() (bool, string) {
		n := len(s3srv.Keys(t, "lake"))
		return n >= 3, fmt.Sprintf("%d objects", n)
	})
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()
	cancel()
	clients.Wait()
	mu.Lock()
	before := len(acked)
	mu.Unlock()

	srv = startServer(t, dir, flags...)
	ctx, cancel = context.WithTimeout(context.Background(), time.Second) // more traffic, then the end
	for c := range 3 {
		clients.Go(func() { send(ctx, srv.url, c, 2) })
	}
	clients.Wait()
	cancel()
	poll.Until(t, 2*time.Minute, func() (bool, string) {
		objs := s3srv.Objects(t, "lake")
		lines, err := s3test.Lines(objs)
		if err != nil { // an object being written again
			return false, err.Error()
		}
		mu.Lock()
		defer mu.Unlock()
		for p, n := range lines {
			if n > 1 || !sent[p] {
				t.Fatalf("record %.20q... is in the bucket %d times (sent: %v)", p, n, sent[p])
			}
		}
		missing := 0
		for p := range acked {
			if lines[p] == 0 {
				missing++
			}
		}
		return missing == 0, fmt.Sprintf("%d of %d acknowledged records not in the bucket's %d objects", missing, len(acked), len(objs))
	})
	for _, k := range s3srv.Keys(t, "lake") {
		if !strings.HasPrefix(k, "raw/") || !strings.HasSuffix(k, ".gz") {
			t.Errorf("object %q: want raw/...gz", k)
		}
	}
	t.Logf("%d records acknowledged before the kill, %d in all", before, len(acked))
}
