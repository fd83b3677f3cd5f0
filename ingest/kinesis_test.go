package ingest

import (
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"math/big"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

func kinesisClient(url string) *kinesis.Client {
	return kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint: aws.String(url),
	})
}

func TestKinesisWithTheAWSSDK(t *testing.T) {
	srv, _ := newServer(t)
	kinesisSuite(t, srv)
}

func kinesisSuite(t *testing.T, srv *httptest.Server) {
	ctx := context.Background()
	kc := kinesisClient(srv.URL)
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("clicks"), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	shards, err := kc.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("clicks")})
	if err != nil || len(shards.Shards) != 2 {
		t.Fatalf("list shards: %+v %v", shards, err)
	}
	// The shard a key goes to is the one whose hash-key range holds MD5(key).
	owner := func(key string) string {
		sum := md5.Sum([]byte(key))
		h := new(big.Int).SetBytes(sum[:])
		for _, s := range shards.Shards {
			lo, _ := new(big.Int).SetString(aws.ToString(s.HashKeyRange.StartingHashKey), 10)
			hi, _ := new(big.Int).SetString(aws.ToString(s.HashKeyRange.EndingHashKey), 10)
			if h.Cmp(lo) >= 0 && h.Cmp(hi) <= 0 {
				return aws.ToString(s.ShardId)
			}
		}
		return "none"
	}
	want := map[string][]string{}
	var entries []types.PutRecordsRequestEntry
	for i := 0; i < 300; i++ {
		key := fmt.Sprintf("user-%d", i%17)
		data := fmt.Sprintf("record %d", i)
		entries = append(entries, types.PutRecordsRequestEntry{Data: []byte(data), PartitionKey: aws.String(key)})
		want[owner(key)] = append(want[owner(key)], data)
	}
	put, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("clicks"), Records: entries})
	if err != nil || aws.ToInt32(put.FailedRecordCount) != 0 {
		t.Fatalf("put records: %v", err)
	}
	for i, r := range put.Records {
		if got := aws.ToString(r.ShardId); got != owner(aws.ToString(entries[i].PartitionKey)) {
			t.Fatalf("record %d went to %s, its key's range is %s", i, got, owner(aws.ToString(entries[i].PartitionKey)))
		}
	}
	if len(want["shardId-000000000000"]) == 0 || len(want["shardId-000000000001"]) == 0 {
		t.Fatalf("the keys did not spread over both shards: %v", want)
	}
	readAll := func(shard, kind string, seq *string, at *time.Time) []string {
		t.Helper()
		it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("clicks"), ShardId: aws.String(shard),
			ShardIteratorType: types.ShardIteratorType(kind), StartingSequenceNumber: seq, Timestamp: at})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		iter := it.ShardIterator
		for {
			out, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(50)})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out.Records {
				got = append(got, string(r.Data))
			}
			if len(out.Records) == 0 {
				return got
			}
			iter = out.NextShardIterator
		}
	}
	for shard, records := range want {
		if got := readAll(shard, "TRIM_HORIZON", nil, nil); fmt.Sprint(got) != fmt.Sprint(records) {
			t.Fatalf("%s from the start:\n%v\nwant\n%v", shard, got, records)
		}
	}
	first := put.Records[0]
	after := readAll(aws.ToString(first.ShardId), "AFTER_SEQUENCE_NUMBER", first.SequenceNumber, nil)
	if len(after) != len(want[aws.ToString(first.ShardId)])-1 {
		t.Fatalf("after the first record: %d records", len(after))
	}
	if latest := readAll("shardId-000000000000", "LATEST", nil, nil); len(latest) != 0 {
		t.Fatalf("LATEST read %d old records", len(latest))
	}
	future := time.Now().Add(time.Hour)
	if got := readAll("shardId-000000000000", "AT_TIMESTAMP", nil, &future); len(got) != 0 {
		t.Fatalf("AT_TIMESTAMP in the future read %d records", len(got))
	}
	desc, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("clicks")})
	if err != nil || aws.ToInt32(desc.StreamDescriptionSummary.OpenShardCount) != 2 {
		t.Fatalf("summary: %+v %v", desc, err)
	}
	_, err = kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("nope"), Data: []byte("x"), PartitionKey: aws.String("k")})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("put to an unknown stream: %v", err)
	}
	_, err = kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("clicks"), ShardId: aws.String("shardId-000000000007"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if !errors.As(err, &notFound) {
		t.Fatalf("iterator on a missing shard: %v", err)
	}
}
