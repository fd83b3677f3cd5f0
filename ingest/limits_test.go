package ingest

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/riffle-sql/riffle/streamlog"
)

// TestGetRecordsAnswersAtMost10MiBAndPagesThroughEveryRecord: a shard
// holding 32 MB is read 10 MiB at most per GetRecords without a Limit, as
// the service does, and following NextShardIterator returns every record
// once, in order.
func TestGetRecordsAnswersAtMost10MiBAndPagesThroughEveryRecord(t *testing.T) {
	ctx := context.Background()
	srv, l := newServer(t)
	kc := kinesisClient(srv.URL)
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("big"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	const records = 40
	for i := 0; i < records; i += 4 { // batches of 4 records of ~800 KB (under PutRecords' 5 MiB)
		var batch []streamlog.Record
		for j := i; j < i+4; j++ {
			data := append([]byte(fmt.Sprintf("%04d", j)), bytes.Repeat([]byte("x"), 800_000)...)
			batch = append(batch, streamlog.Record{Data: data, PartitionKey: "p"})
		}
		if _, err := l.Append(ctx, "big", 0, batch); err != nil {
			t.Fatal(err)
		}
	}
	it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("big"),
		ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	iter := it.ShardIterator
	next := 0
	for calls := 0; next < records; calls++ {
		if calls > records {
			t.Fatalf("%d GetRecords calls returned %d of %d records", calls, next, records)
		}
		got, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
		if err != nil {
			t.Fatal(err)
		}
		size := 0
		for _, r := range got.Records {
			size += len(r.Data) + len(aws.ToString(r.PartitionKey))
			if n, _ := strconv.Atoi(string(r.Data[:4])); n != next {
				t.Fatalf("GetRecords call %d returned record %d, want %d (each once, in order)", calls+1, n, next)
			}
			next++
		}
		if size > 10<<20 {
			t.Fatalf("GetRecords call %d answered %d records of %d bytes, over the service's 10 MiB", calls+1, len(got.Records), size)
		}
		if len(got.Records) == 0 {
			t.Fatalf("GetRecords call %d answered no records with %d left", calls+1, records-next)
		}
		iter = got.NextShardIterator
	}
	got, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
	if err != nil || len(got.Records) != 0 {
		t.Fatalf("after the last record: %d records (%v), want none", len(got.Records), err)
	}
}
