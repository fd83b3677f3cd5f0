package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/streamlog"
)

// sized is n bytes starting with its number (each record told apart).
func sized(i, n int) []byte {
	head := fmt.Sprintf("%06d ", i)
	return append([]byte(head), bytes.Repeat([]byte{byte('a' + i%26)}, n-len(head))...)
}

// refused checks that a call failed with the service's error and status.
func refused(t *testing.T, what string, err error, code string, status int) {
	t.Helper()
	var api smithy.APIError
	var resp *awshttp.ResponseError
	if !errors.As(err, &api) || api.ErrorCode() != code || !errors.As(err, &resp) || resp.HTTPStatusCode() != status {
		t.Errorf("%s: %v, want %s (%d)", what, err, code, status)
	}
}

// stored is what a shard of the log holds, read with the log's reader.
func stored(t *testing.T, l *streamlog.Log, stream string) ([][]byte, []string) {
	t.Helper()
	var data [][]byte
	var seqs []string
	from := streamlog.Seq{}
	for {
		recs, next, err := l.Read(context.Background(), stream, 0, from, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			return data, seqs
		}
		for _, r := range recs {
			data = append(data, r.Data)
			seqs = append(seqs, r.Seq.String())
		}
		from = next
	}
}

// sameRecords checks that records read back are those put, in order, with
// the sequence numbers (or record ids) the puts answered.
func sameRecords(t *testing.T, how string, gotData [][]byte, gotSeqs []string, wantData [][]byte, wantSeqs []string) {
	t.Helper()
	if len(gotData) != len(wantData) {
		t.Fatalf("%s: %d records read back, %d put", how, len(gotData), len(wantData))
	}
	for i := range gotData {
		if !bytes.Equal(gotData[i], wantData[i]) || gotSeqs[i] != wantSeqs[i] {
			t.Fatalf("%s: record %d read back as %.7q (%d bytes, sequence %s), put as %.7q (%d bytes, sequence %s)",
				how, i, gotData[i], len(gotData[i]), gotSeqs[i], wantData[i], len(wantData[i]), wantSeqs[i])
		}
	}
}

// TestKinesisPutsTheServiceAllowsAreStoredUnderTheDefaultMaxPayload: on a
// nats-server with its default 1 MiB max_payload, a PutRecords of 500
// records and 5 MiB and a PutRecord of 1 MiB (data and key) are stored
// and read back whole, in order, with the sequence numbers the puts
// answered, by GetRecords (from the start, and at and after a sequence
// number) and by the log's reader; a retried PutRecords is stored once;
// puts over the service's limits are refused with its errors.
func TestKinesisPutsTheServiceAllowsAreStoredUnderTheDefaultMaxPayload(t *testing.T) {
	ctx := context.Background()
	srv, l := newServerOn(t, streamlog.Config{URL: natstest.Start(t)})
	lossy := &losingFirstAnswers{seen: map[string]bool{}}
	kc := kinesisClient(srv.URL)
	putter := kinesis.New(kc.Options(), func(o *kinesis.Options) { o.HTTPClient = &http.Client{Transport: lossy} }) // each put retried once
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("k"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	var entries []types.PutRecordsRequestEntry
	var want [][]byte
	for i := range 500 {
		key := fmt.Sprintf("k%03d", i)
		size := 5<<20/500 - len(key)
		if i == 0 {
			size += 5<<20 - 500*(5<<20/500) // 5 MiB exactly
		}
		entries = append(entries, types.PutRecordsRequestEntry{Data: sized(i, size), PartitionKey: aws.String(key)})
		want = append(want, entries[i].Data)
	}
	put, err := putter.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("k"), Records: entries})
	if err != nil {
		t.Fatalf("PutRecords of 500 records and 5 MiB: %v", err)
	}
	if n := aws.ToInt32(put.FailedRecordCount); n != 0 {
		t.Fatalf("PutRecords of 500 records and 5 MiB: %d failed (%s)", n, aws.ToString(put.Records[len(put.Records)-1].ErrorMessage))
	}
	var seqs []string
	for _, r := range put.Records {
		seqs = append(seqs, aws.ToString(r.SequenceNumber))
	}
	one, err := putter.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("k"), Data: sized(500, 1<<20-len("one")), PartitionKey: aws.String("one")})
	if err != nil {
		t.Fatalf("PutRecord of 1 MiB with its key: %v", err)
	}
	want = append(want, sized(500, 1<<20-len("one")))
	seqs = append(seqs, aws.ToString(one.SequenceNumber))
	if lossy.lost != 2 {
		t.Fatalf("%d answers lost, want one per call (2): the retries were not exercised", lossy.lost)
	}

	// The retries stored nothing more: everything is read back once.
	data, logSeqs := stored(t, l, "k")
	sameRecords(t, "the log's reader", data, logSeqs, want, seqs)
	getRecords := func(typ types.ShardIteratorType, at string) ([][]byte, []string) {
		t.Helper()
		in := &kinesis.GetShardIteratorInput{StreamName: aws.String("k"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: typ}
		if at != "" {
			in.StartingSequenceNumber = aws.String(at)
		}
		it, err := kc.GetShardIterator(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		var data [][]byte
		var seqs []string
		for calls := 0; ; calls++ {
			if calls > len(want) {
				t.Fatalf("%d GetRecords calls and still records", calls)
			}
			got, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Records) == 0 {
				return data, seqs
			}
			for _, r := range got.Records {
				data = append(data, r.Data)
				seqs = append(seqs, aws.ToString(r.SequenceNumber))
			}
			iter = got.NextShardIterator
		}
	}
	data, getSeqs := getRecords(types.ShardIteratorTypeTrimHorizon, "")
	sameRecords(t, "GetRecords from TRIM_HORIZON", data, getSeqs, want, seqs)
	data, getSeqs = getRecords(types.ShardIteratorTypeAtSequenceNumber, seqs[500])
	sameRecords(t, "GetRecords AT_SEQUENCE_NUMBER of the 1 MiB record", data, getSeqs, want[500:], seqs[500:])
	data, getSeqs = getRecords(types.ShardIteratorTypeAfterSequenceNumber, seqs[250])
	sameRecords(t, "GetRecords AFTER_SEQUENCE_NUMBER of record 250", data, getSeqs, want[251:], seqs[251:])

	// Beyond the service's limits: refused as it refuses them.
	_, err = kc.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("k"), Data: sized(0, 1<<20-len("one")+1), PartitionKey: aws.String("one")})
	refused(t, "PutRecord of 1 MiB and a byte", err, "ValidationException", http.StatusBadRequest)
	entries[1].Data = append(entries[1].Data, 'x')
	_, err = kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("k"), Records: entries})
	refused(t, "PutRecords of 5 MiB and a byte", err, "InvalidArgumentException", http.StatusBadRequest)
	if data, _ := stored(t, l, "k"); len(data) != len(want) {
		t.Fatalf("the refused puts stored %d records", len(data)-len(want))
	}
}

// TestFirehosePutsTheServiceAllowsAreStoredUnderTheDefaultMaxPayload: on a
// nats-server with its default 1 MiB max_payload, a PutRecordBatch of 500
// records and 4 MiB, one of four 1,000 KiB records and a small one, one of
// a single 1,000 KiB record and a PutRecord of 1,000 KiB are stored and
// read back whole, in order, under the record ids the puts answered; puts
// over the service's limits are refused with its errors.
func TestFirehosePutsTheServiceAllowsAreStoredUnderTheDefaultMaxPayload(t *testing.T) {
	ctx := context.Background()
	srv, l := newServerOn(t, streamlog.Config{URL: natstest.Start(t)})
	fh := firehoseClient(srv.URL)
	if _, err := fh.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("f")}); err != nil {
		t.Fatal(err)
	}
	var want [][]byte
	var ids []string
	putBatch := func(what string, recs []fhtypes.Record) {
		t.Helper()
		out, err := fh.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("f"), Records: recs})
		if err != nil {
			t.Fatalf("PutRecordBatch of %s: %v", what, err)
		}
		if n := aws.ToInt32(out.FailedPutCount); n != 0 {
			t.Fatalf("PutRecordBatch of %s: %d failed (%s)", what, n, aws.ToString(out.RequestResponses[len(recs)-1].ErrorMessage))
		}
		for i, r := range out.RequestResponses {
			want = append(want, recs[i].Data)
			ids = append(ids, aws.ToString(r.RecordId))
		}
	}
	var batch []fhtypes.Record
	for i := range 500 {
		size := 4 << 20 / 500
		if i == 0 {
			size += 4<<20 - 500*(4<<20/500) // 4 MiB exactly
		}
		batch = append(batch, fhtypes.Record{Data: sized(len(want)+i, size)})
	}
	putBatch("500 records and 4 MiB", batch)
	var large []fhtypes.Record
	for i := range 4 {
		large = append(large, fhtypes.Record{Data: sized(len(want)+i, 1_024_000)})
	}
	large = append(large, fhtypes.Record{Data: sized(len(want)+4, 4<<20-4*1_024_000)})
	putBatch("four records of 1,000 KiB and one of 96 KiB", large)
	putBatch("one record of 1,000 KiB", []fhtypes.Record{{Data: sized(len(want), 1_024_000)}})
	one, err := fh.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("f"), Record: &fhtypes.Record{Data: sized(len(want), 1_024_000)}})
	if err != nil {
		t.Fatalf("PutRecord of 1,000 KiB: %v", err)
	}
	want = append(want, sized(len(want), 1_024_000))
	ids = append(ids, aws.ToString(one.RecordId))
	data, seqs := stored(t, l, "f")
	sameRecords(t, "the log's reader", data, seqs, want, ids)

	_, err = fh.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("f"), Record: &fhtypes.Record{Data: sized(0, 1_024_001)}})
	refused(t, "PutRecord of 1,000 KiB and a byte", err, "ValidationException", http.StatusBadRequest)
	batch[1].Data = append(batch[1].Data, 'x')
	_, err = fh.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("f"), Records: batch})
	refused(t, "PutRecordBatch of 4 MiB and a byte", err, "InvalidArgumentException", http.StatusBadRequest)
	if data, _ := stored(t, l, "f"); len(data) != len(want) {
		t.Fatalf("the refused puts stored %d records", len(data)-len(want))
	}
}

// TestABatchStoredInPartAnswersPerRecord: when a put's batch spans several
// messages (a 1 MiB max_payload) and the stream refuses the later ones
// (JetStream's byte limit on it), PutRecords and PutRecordBatch answer 200
// with the records stored and the others failed (FailedRecordCount,
// FailedPutCount, an ErrorCode and ErrorMessage each), and the log holds
// exactly the records answered as stored.
func TestABatchStoredInPartAnswersPerRecord(t *testing.T) {
	ctx := context.Background()
	url := natstest.Start(t)
	srv, l := newServerOn(t, streamlog.Config{URL: url})
	kc := kinesisClient(srv.URL)
	fh := firehoseClient(srv.URL)
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("k"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := fh.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("f")}); err != nil {
		t.Fatal(err)
	}
	js := natstest.JetStream(t, url)
	for _, name := range []string{"rf_k", "rf_f"} {
		natstest.CapBytes(t, js, name, 2<<20) // room for about half a batch
	}

	var entries []types.PutRecordsRequestEntry
	var records []fhtypes.Record
	for i := range 400 {
		entries = append(entries, types.PutRecordsRequestEntry{Data: sized(i, 10_000), PartitionKey: aws.String("p")})
		records = append(records, fhtypes.Record{Data: sized(i, 10_000)})
	}
	put, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("k"), Records: entries})
	if err != nil {
		t.Fatalf("PutRecords stored in part: %v, want a 200 with per-record results", err)
	}
	failed := int(aws.ToInt32(put.FailedRecordCount))
	if failed == 0 || failed == len(entries) {
		t.Fatalf("PutRecords stored in part: FailedRecordCount %d of %d", failed, len(entries))
	}
	var want [][]byte
	var seqs []string
	for i, r := range put.Records {
		ok := r.SequenceNumber != nil && r.ErrorCode == nil
		if ok != (i < len(entries)-failed) {
			t.Fatalf("record %d: sequence %s error %s: want the first %d stored, the rest failed", i, aws.ToString(r.SequenceNumber), aws.ToString(r.ErrorCode), len(entries)-failed)
		}
		if !ok && (aws.ToString(r.ErrorCode) != "InternalFailure" || aws.ToString(r.ErrorMessage) == "") {
			t.Fatalf("record %d: error %q %q, want InternalFailure with a message", i, aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage))
		}
		if ok {
			want = append(want, entries[i].Data)
			seqs = append(seqs, aws.ToString(r.SequenceNumber))
		}
	}
	data, got := stored(t, l, "k")
	sameRecords(t, "Kinesis, the log's reader", data, got, want, seqs)

	batch, err := fh.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("f"), Records: records})
	if err != nil {
		t.Fatalf("PutRecordBatch stored in part: %v, want a 200 with per-record results", err)
	}
	failed = int(aws.ToInt32(batch.FailedPutCount))
	if failed == 0 || failed == len(records) {
		t.Fatalf("PutRecordBatch stored in part: FailedPutCount %d of %d", failed, len(records))
	}
	want, seqs = nil, nil
	for i, r := range batch.RequestResponses {
		ok := r.RecordId != nil && r.ErrorCode == nil
		if ok != (i < len(records)-failed) {
			t.Fatalf("record %d: id %s error %s: want the first %d stored, the rest failed", i, aws.ToString(r.RecordId), aws.ToString(r.ErrorCode), len(records)-failed)
		}
		if !ok && (aws.ToString(r.ErrorCode) != "InternalFailure" || aws.ToString(r.ErrorMessage) == "") {
			t.Fatalf("record %d: error %q %q, want InternalFailure with a message", i, aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage))
		}
		if ok {
			want = append(want, records[i].Data)
			seqs = append(seqs, aws.ToString(r.RecordId))
		}
	}
	data, got = stored(t, l, "f")
	sameRecords(t, "Firehose, the log's reader", data, got, want, seqs)
}
