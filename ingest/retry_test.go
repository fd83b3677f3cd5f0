package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/riffle-sql/riffle/streamlog"
)

// losingFirstAnswers carries every request to the server but loses the
// answer to the first attempt of each call, as a connection that breaks
// after the server stored a batch does: the SDK then retries the call.
type losingFirstAnswers struct {
	mu   sync.Mutex
	seen map[string]bool // invocation ids whose first answer was lost
	lost int
}

func (l *losingFirstAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	id := r.Header.Get("Amz-Sdk-Invocation-Id")
	if id == "" || l.seen[id] {
		return resp, nil
	}
	l.seen[id] = true
	l.lost++
	resp.Body.Close()
	return nil, errors.New("connection reset after the request was sent")
}

// TestARetriedPutIsStoredOnce: the SDK retries a put whose answer was lost
// after the server stored it; the retry is answered with the first
// attempt's sequence numbers and nothing is stored twice, on both APIs
// and on every shard. A new call with the same records stores them again
// (the APIs are at least once; only retries are recognised).
func TestARetriedPutIsStoredOnce(t *testing.T) {
	srv, l := newServer(t)
	ctx := context.Background()
	lossy := &losingFirstAnswers{seen: map[string]bool{}}
	client := &http.Client{Transport: lossy}
	fh := firehose.NewFromConfig(aws.Config{}, func(o *firehose.Options) {
		*o = firehoseClient(srv.URL).Options()
		o.HTTPClient = client
	})
	kc := kinesis.NewFromConfig(aws.Config{}, func(o *kinesis.Options) {
		*o = kinesisClient(srv.URL).Options()
		o.HTTPClient = client
	})
	if _, err := firehoseClient(srv.URL).CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("clicks")}); err != nil {
		t.Fatal(err)
	}
	if _, err := kinesisClient(srv.URL).CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("events"), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	stored := func(stream string, shards int) int {
		n := 0
		for shard := range shards {
			recs, _, err := l.Read(ctx, stream, shard, streamlog.Seq{}, 10000)
			if err != nil {
				t.Fatal(err)
			}
			n += len(recs)
		}
		return n
	}

	var batch []fhtypes.Record
	for i := range 10 {
		batch = append(batch, fhtypes.Record{Data: fmt.Appendf(nil, `{"n":%d}`, i)})
	}
	var ids []string
	for range 2 {
		out, err := fh.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("clicks"), Records: batch})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, *out.RequestResponses[0].RecordId)
	}
	if got := stored("clicks", 1); got != 20 {
		t.Fatalf("two PutRecordBatch calls of 10 records, each retried once: %d stored, want 20", got)
	}
	if ids[0] == ids[1] {
		t.Fatal("two calls got the same record ids")
	}

	var entries []kintypes.PutRecordsRequestEntry
	for i := range 10 {
		entries = append(entries, kintypes.PutRecordsRequestEntry{Data: fmt.Appendf(nil, `{"n":%d}`, i), PartitionKey: aws.String(fmt.Sprint(i))})
	}
	out, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("events"), Records: entries})
	if err != nil {
		t.Fatal(err)
	}
	if got := stored("events", 2); got != 10 || *out.FailedRecordCount != 0 {
		t.Fatalf("a PutRecords of 10 records retried once: %d stored (%d failed), want 10", got, *out.FailedRecordCount)
	}
	shards := map[string]bool{}
	for _, r := range out.Records {
		shards[*r.ShardId] = true
	}
	if len(shards) != 2 {
		t.Fatalf("the records went to %d shards: the test wants both", len(shards))
	}
	if _, err := kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("events"), Data: []byte("one"), PartitionKey: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if got := stored("events", 2); got != 11 {
		t.Fatalf("after a retried PutRecord: %d stored, want 11", got)
	}
	if lossy.lost != 4 {
		t.Fatalf("%d answers lost, want one per call (4): the retries were not exercised", lossy.lost)
	}
}
