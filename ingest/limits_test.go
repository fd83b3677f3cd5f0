package ingest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
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

// TestPutRecordsReportsTheRecordsAShardDidNotStore: when one shard's
// batch cannot be stored (the store is full) after another's was,
// PutRecords answers 200 with that shard's records failed (ErrorCode
// InternalFailure) and the others' sequence numbers, as the service
// does; sending only the failed records again, as a producer does, stores
// each record once.
func TestPutRecordsReportsTheRecordsAShardDidNotStore(t *testing.T) {
	ctx := context.Background()
	srv, l := newServerOn(t, streamlog.Config{Dir: t.TempDir(), MaxStore: 256 << 10, Logger: slog.New(slog.DiscardHandler)})
	kc := kinesisClient(srv.URL)
	fh := firehose.New(firehoseClient(srv.URL).Options(), func(o *firehose.Options) { o.Retryer = aws.NopRetryer{} })
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("k"), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	// Another stream takes the store to within two of its records of the
	// limit, so shard 0's batch below is stored and takes the store over
	// its limit (JetStream refuses appends once it is over), and shard
	// 1's is refused. A probe finds how many records fit.
	filler := fhtypes.Record{Data: bytes.Repeat([]byte("f"), 10_000)}
	fill := func(stream string, n int) int {
		t.Helper()
		if _, err := fh.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String(stream)}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if _, err := fh.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String(stream), Record: &filler}); err != nil {
				storageFull(t, "filling the store", err)
				return i
			}
		}
		return n
	}
	fits := fill("probe", 100)
	if fits < 3 || fits == 100 {
		t.Fatalf("%d records of 10 KB stored under a 256 KiB limit", fits)
	}
	if _, err := fh.DeleteDeliveryStream(ctx, &firehose.DeleteDeliveryStreamInput{DeliveryStreamName: aws.String("probe")}); err != nil {
		t.Fatal(err)
	}
	if n := fill("filler", fits-2); n != fits-2 {
		t.Fatalf("%d records stored in the freed store, want %d", n, fits-2)
	}
	shard1 := new(big.Int).Lsh(big.NewInt(1), 127).String() // the first hash key of shard 1 of 2
	entries := []types.PutRecordsRequestEntry{
		{Data: bytes.Repeat([]byte("a"), 60_000), PartitionKey: aws.String("p"), ExplicitHashKey: aws.String("0")},
		{Data: []byte("b"), PartitionKey: aws.String("p"), ExplicitHashKey: aws.String(shard1)},
		{Data: []byte("c"), PartitionKey: aws.String("p"), ExplicitHashKey: aws.String("1")},
	}
	put, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("k"), Records: entries})
	if err != nil {
		t.Fatalf("PutRecords with shard 1's batch refused by the full store: %v, want a 200 with per-record results", err)
	}
	if n := aws.ToInt32(put.FailedRecordCount); n != 1 || len(put.Records) != 3 {
		t.Fatalf("FailedRecordCount %d of %d records, want 1 of 3", n, len(put.Records))
	}
	for _, i := range []int{0, 2} {
		r := put.Records[i]
		if aws.ToString(r.ShardId) != "shardId-000000000000" || r.SequenceNumber == nil || r.ErrorCode != nil {
			t.Errorf("record %d: shard %s sequence %s error %s, want stored in shardId-000000000000",
				i, aws.ToString(r.ShardId), aws.ToString(r.SequenceNumber), aws.ToString(r.ErrorCode))
		}
	}
	if r := put.Records[1]; aws.ToString(r.ErrorCode) != "InternalFailure" || aws.ToString(r.ErrorMessage) == "" || r.SequenceNumber != nil {
		t.Errorf("record 1: error %q %q sequence %s, want InternalFailure with a message and no sequence number",
			aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage), aws.ToString(r.SequenceNumber))
	}
	// Room is made; the producer sends the failed record again.
	if _, err := fh.DeleteDeliveryStream(ctx, &firehose.DeleteDeliveryStreamInput{DeliveryStreamName: aws.String("filler")}); err != nil {
		t.Fatal(err)
	}
	retry, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("k"), Records: entries[1:2]})
	if err != nil || aws.ToInt32(retry.FailedRecordCount) != 0 {
		t.Fatalf("the failed record sent again: %+v %v", retry, err)
	}
	for shard, want := range [][]string{{string(entries[0].Data), "c"}, {"b"}} {
		recs, _, err := l.Read(ctx, "k", shard, streamlog.Seq{}, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range recs {
			got = append(got, string(r.Data))
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("shard %d holds %d records, want %d (each once)", shard, len(got), len(want))
		}
	}
}
