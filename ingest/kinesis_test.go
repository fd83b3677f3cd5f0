package ingest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/jonboulle/clockwork"

	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
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

// kinesisOn serves the APIs over a log with a clock (nil: the real one).
func kinesisOn(t *testing.T, l *streamlog.Log, clock clockwork.Clock) *kinesis.Client {
	t.Helper()
	return kinesisClient(serve(t, l, Options{Clock: clock}).URL)
}

// putAndIterate makes stream s with two records on its one shard and
// returns a TRIM_HORIZON iterator of it.
func putAndIterate(t *testing.T, kc *kinesis.Client) string {
	t.Helper()
	ctx := context.Background()
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("s"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"one", "two"} {
		if _, err := kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), Data: []byte(d), PartitionKey: aws.String("k")}); err != nil {
			t.Fatal(err)
		}
	}
	it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(it.ShardIterator)
}

// read is the data of the records GetRecords returns for an iterator.
func read(kc *kinesis.Client, iterator string) ([]string, error) {
	out, err := kc.GetRecords(context.Background(), &kinesis.GetRecordsInput{ShardIterator: aws.String(iterator)})
	if err != nil {
		return nil, err
	}
	var got []string
	for _, r := range out.Records {
		got = append(got, string(r.Data))
	}
	return got, nil
}

// TestAnAlteredShardIteratorIsRefused: an iterator's contents are
// readable (base64 JSON), but a client that changes its position, stream
// or expiry, or makes one up, gets the service's InvalidArgumentException
// and reads nothing.
func TestAnAlteredShardIteratorIsRefused(t *testing.T) {
	l := streamlogtest.Open(t)
	kc := kinesisOn(t, l, nil)
	it := putAndIterate(t, kc)
	if got, err := read(kc, it); err != nil || fmt.Sprint(got) != "[one two]" {
		t.Fatalf("the iterator as given: %v %v", got, err)
	}
	payload, mac, ok := strings.Cut(it, ".")
	if !ok {
		t.Fatalf("iterator %q has no signature part", it)
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	altered := func(key string, value any) string {
		f := maps.Clone(fields)
		f[key] = value
		b, _ := json.Marshal(f)
		return base64.RawURLEncoding.EncodeToString(b) + "." + mac
	}
	otherKey := &API{key: bytes.Repeat([]byte{7}, 32)}
	for what, forged := range map[string]string{
		"position moved":       altered("i", 1),
		"another stream":       altered("s", "other"),
		"expiry pushed back":   altered("e", time.Now().Add(time.Hour).UnixMilli()),
		"signature dropped":    payload,
		"unsigned, old format": payload + ".",
		"signed with a guess":  otherKey.token(iterator{Stream: "s", Msg: 2, Expires: time.Now().Add(time.Hour).UnixMilli()}),
	} {
		got, err := read(kc, forged)
		var invalid *types.InvalidArgumentException
		if !errors.As(err, &invalid) || aws.ToString(invalid.Message) != "Invalid ShardIterator." {
			t.Errorf("%s: %v %v, want InvalidArgumentException: Invalid ShardIterator.", what, got, err)
		}
	}
}

// TestShardIteratorsOutliveARestart: the key that signs iterators is kept
// in the log, so an iterator handed out before a restart reads on after it.
func TestShardIteratorsOutliveARestart(t *testing.T) {
	dir := t.TempDir()
	l := streamlogtest.OpenConfig(t, streamlog.Config{Dir: dir})
	it := putAndIterate(t, kinesisOn(t, l, nil))
	l.Close()
	l = streamlogtest.OpenConfig(t, streamlog.Config{Dir: dir})
	if got, err := read(kinesisOn(t, l, nil), it); err != nil || fmt.Sprint(got) != "[one two]" {
		t.Fatalf("after a restart: %v %v", got, err)
	}
}

// TestNodesSharingALogShareTheIteratorKey: servers started at once on one
// log (nodes of one NATS cluster) agree on the key, so an iterator from
// one reads at the others.
func TestNodesSharingALogShareTheIteratorKey(t *testing.T) {
	l := streamlogtest.Open(t)
	apis := make([]*API, 4)
	errs := make([]error, len(apis))
	var wg sync.WaitGroup
	for i := range apis {
		wg.Go(func() { apis[i], errs[i] = New(context.Background(), l, Options{}) })
	}
	wg.Wait()
	for i, a := range apis {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !bytes.Equal(a.key, apis[0].key) {
			t.Fatalf("node %d has another key", i)
		}
	}
	it := putAndIterate(t, kinesisOn(t, l, nil))
	if got, err := read(kinesisOn(t, l, nil), it); err != nil || fmt.Sprint(got) != "[one two]" {
		t.Fatalf("at another node: %v %v", got, err)
	}
}

// TestArrivalsAndIteratorsFollowTheServersClock: records are stamped
// with the server's time, and an iterator expires five minutes after it
// was handed out, on that clock.
func TestArrivalsAndIteratorsFollowTheServersClock(t *testing.T) {
	start := time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(start)
	l := streamlogtest.Open(t)
	kc := kinesisOn(t, l, clock)
	it := putAndIterate(t, kc)
	clock.Advance(iteratorLifetime)
	out, err := kc.GetRecords(context.Background(), &kinesis.GetRecordsInput{ShardIterator: aws.String(it)})
	if err != nil || len(out.Records) != 2 {
		t.Fatalf("at five minutes: %v", err)
	}
	for _, r := range out.Records {
		if !aws.ToTime(r.ApproximateArrivalTimestamp).Equal(start) {
			t.Errorf("arrival %v, want the server's time %v", aws.ToTime(r.ApproximateArrivalTimestamp), start)
		}
	}
	clock.Advance(time.Millisecond)
	_, err = kc.GetRecords(context.Background(), &kinesis.GetRecordsInput{ShardIterator: aws.String(it)})
	var expired *types.ExpiredIteratorException
	if !errors.As(err, &expired) {
		t.Fatalf("after five minutes: %v, want ExpiredIteratorException", err)
	}
	if _, err := read(kc, aws.ToString(out.NextShardIterator)); err != nil {
		t.Fatalf("the next iterator, handed out at five minutes: %v", err)
	}
}
