package ingest

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/riffle-sql/riffle/streamlog"
)

// noBackoff retries at once: the tests count attempts, not wait for them.
type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// retrying makes the SDK's standard retryer try a call attempts times.
func retrying(attempts int) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.Backoff = noBackoff{}
		})
	}
}

// countingPuts serves h and counts the put requests it gets.
func countingPuts(h http.Handler, puts *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("X-Amz-Target"), ".PutRecord") {
			puts.Add(1)
		}
		h.ServeHTTP(w, r)
	})
}

// storageFull checks that err is the service's ServiceUnavailableException
// (HTTP 503) saying that the storage is full.
func storageFull(t *testing.T, what string, err error) {
	t.Helper()
	var api smithy.APIError
	var resp *awshttp.ResponseError
	if !errors.As(err, &api) || api.ErrorCode() != "ServiceUnavailableException" ||
		!strings.Contains(api.ErrorMessage(), "storage is full") || !errors.As(err, &resp) || resp.HTTPStatusCode() != http.StatusServiceUnavailable {
		t.Fatalf("%s: %v, want a 503 ServiceUnavailableException saying the storage is full", what, err)
	}
}

// TestAFullStoreIsAServiceUnavailableTheSDKsRetry: once the store limit
// is reached, every put (PutRecord and PutRecordBatch, Kinesis PutRecord
// and PutRecords) is answered 503 ServiceUnavailableException saying the
// storage is full, which the SDK retries, and nothing unacknowledged is
// stored.
func TestAFullStoreIsAServiceUnavailableTheSDKsRetry(t *testing.T) {
	ctx := context.Background()
	l, err := streamlog.Open(ctx, streamlog.Config{Dir: t.TempDir(), MaxStore: 256 << 10, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	h, err := Handler(ctx, l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var puts atomic.Int32
	srv := httptest.NewServer(countingPuts(h, &puts))
	defer srv.Close()
	fh := firehose.New(firehoseClient(srv.URL).Options(), func(o *firehose.Options) { o.Retryer = retrying(3)() })
	kc := kinesis.New(kinesisClient(srv.URL).Options(), func(o *kinesis.Options) { o.Retryer = retrying(3)() })
	if _, err := fh.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("k"), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	// Fill the store with batches of 50 KB records until one is refused.
	record := fhtypes.Record{Data: bytes.Repeat([]byte("x"), 50_000)}
	stored := 0
	for {
		puts.Store(0)
		_, err := fh.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("s"), Records: []fhtypes.Record{record, record}})
		if err != nil {
			storageFull(t, "PutRecordBatch on a full store", err)
			var unavailable *fhtypes.ServiceUnavailableException
			if !errors.As(err, &unavailable) {
				t.Errorf("PutRecordBatch: %T, want the Firehose SDK's ServiceUnavailableException", err)
			}
			if n := puts.Load(); n != 3 {
				t.Errorf("the SDK sent the refused PutRecordBatch %d times, want 3 (it retries a 503)", n)
			}
			break
		}
		if stored += 2; stored > 20 {
			t.Fatalf("%d records of 50 KB stored under a 256 KiB limit", stored)
		}
	}
	_, err = fh.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("s"), Record: &record})
	storageFull(t, "PutRecord on a full store", err)
	_, err = kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("k"), PartitionKey: aws.String("a"), Data: []byte("x")})
	storageFull(t, "Kinesis PutRecord on a full store", err)
	_, err = kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("k"), Records: []kintypes.PutRecordsRequestEntry{
		{PartitionKey: aws.String("a"), Data: []byte("x")}, {PartitionKey: aws.String("b"), Data: []byte("y")}}})
	storageFull(t, "Kinesis PutRecords on a full store", err)
	recs, _, err := l.Read(ctx, "s", 0, streamlog.Seq{}, 100)
	if err != nil || len(recs) != stored {
		t.Fatalf("read back %d records (%v), want the %d acknowledged", len(recs), err, stored)
	}
}

// TestAServerStartsOnAFullDiskServesReadsAndWritesOnceFreed, on a small
// tmpfs (it needs root to mount one, and is skipped without): when the
// disk fills up, puts get a 503 ServiceUnavailableException at once (not
// a timeout); the server starts again on the full disk and serves reads;
// once space is freed, puts are stored again without a restart.
func TestAServerStartsOnAFullDiskServesReadsAndWritesOnceFreed(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=16m"); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (%v): this variant needs root", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	ctx := context.Background()
	var logs bytes.Buffer
	cfg := streamlog.Config{Dir: filepath.Join(dir, "data"), MinFree: 1 << 20, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	start := func() (*streamlog.Log, *httptest.Server) {
		t.Helper()
		l, err := streamlog.Open(ctx, cfg)
		if err != nil {
			t.Fatalf("open on a full disk: %v\n%s", err, logs.String())
		}
		h, err := Handler(ctx, l, Options{})
		if err != nil {
			l.Close()
			t.Fatalf("the API on a full disk: %v\n%s", err, logs.String())
		}
		return l, httptest.NewServer(h)
	}
	l, srv := start()
	kc := kinesis.New(kinesisClient(srv.URL).Options(), func(o *kinesis.Options) { o.Retryer = aws.NopRetryer{} })
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	put := func(kc *kinesis.Client, data string) error {
		_, err := kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("k"), PartitionKey: aws.String("p"), Data: []byte(data)})
		return err
	}
	if err := put(kc, "before"); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(dir, "filler")
	fillDisk(t, filler)
	storageFull(t, "a put on a full disk", put(kc, strings.Repeat("refused ", 2500)))
	srv.Close()
	l.Close()

	l, srv = start() // on the full disk
	defer func() { srv.Close(); l.Close() }()
	kc = kinesis.New(kinesisClient(srv.URL).Options(), func(o *kinesis.Options) { o.Retryer = aws.NopRetryer{} })
	it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("k"),
		ShardId: aws.String("shardId-000000000000"), ShardIteratorType: kintypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	got, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(got.Records) != 1 || string(got.Records[0].Data) != "before" {
		t.Fatalf("reading on a full disk: %+v %v, want the one record stored", got, err)
	}
	storageFull(t, "a put after a restart on a full disk", put(kc, strings.Repeat("refused again ", 1500)))
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := put(kc, "after"); err != nil {
		t.Fatalf("a put once space is freed: %v\n%s", err, logs.String())
	}
	recs, _, err := l.Read(ctx, "k", 0, streamlog.Seq{}, 10)
	if err != nil || len(recs) != 2 || string(recs[1].Data) != "after" {
		t.Fatalf("stored %d records (%v), want before and after", len(recs), err)
	}
}

// fillDisk writes a file until its filesystem has no room left.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	for _, n := range []int{4096, 512, 1} { // the last scraps
		for {
			if _, err := f.Write(chunk[:n]); err != nil {
				break
			}
		}
	}
}
