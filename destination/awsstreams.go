package destination

import (
	"bytes"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/firehose"
	firehosetypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// KinesisAPISink puts rows into a Kinesis data stream through the Kinesis
// API (on AWS, or any server of that API), each with its record id as
// partition key, as StreamSink does for a stream of this server. A record
// the stream refuses (PutRecords' partial failure: throttling, an internal
// error) fails alone and is retried.
type KinesisAPISink struct {
	Client *kinesis.Client
	Stream string // its name, in the client's region
	ARN    string // for logs and metrics
}

func (s *KinesisAPISink) String() string { return "kinesis:" + s.ARN }

// Limits are PutRecords'.
func (s *KinesisAPISink) Limits() Limits { return Limits{Records: 500, Bytes: 5 << 20} }

// Send puts the batch in one PutRecords call.
func (s *KinesisAPISink) Send(ctx context.Context, batch []Record) ([]bool, error) {
	in := &kinesis.PutRecordsInput{StreamName: &s.Stream, Records: make([]kinesistypes.PutRecordsRequestEntry, len(batch))}
	for i, r := range batch {
		in.Records[i] = kinesistypes.PutRecordsRequestEntry{Data: r.Data, PartitionKey: &batch[i].ID}
	}
	out, err := s.Client.PutRecords(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("put records to %s: %w", s.ARN, err)
	}
	if len(out.Records) != len(batch) {
		return nil, fmt.Errorf("put records to %s: %d results for %d records", s.ARN, len(out.Records), len(batch))
	}
	ok := make([]bool, len(batch))
	for i, r := range out.Records {
		ok[i] = r.ErrorCode == nil && r.SequenceNumber != nil
	}
	return ok, nil
}

// FirehoseAPISink puts rows into a Firehose delivery stream through the
// Firehose API, each ending with a newline as StreamSink's do. A record
// PutRecordBatch refuses fails alone and is retried.
type FirehoseAPISink struct {
	Client *firehose.Client
	Stream string
	ARN    string
}

func (s *FirehoseAPISink) String() string { return "firehose:" + s.ARN }

// Limits are PutRecordBatch's.
func (s *FirehoseAPISink) Limits() Limits { return Limits{Records: 500, Bytes: 4 << 20} }

// Send puts the batch in one PutRecordBatch call.
func (s *FirehoseAPISink) Send(ctx context.Context, batch []Record) ([]bool, error) {
	in := &firehose.PutRecordBatchInput{DeliveryStreamName: &s.Stream, Records: make([]firehosetypes.Record, len(batch))}
	for i, r := range batch {
		data := r.Data
		if !bytes.HasSuffix(data, []byte("\n")) {
			data = append(data[:len(data):len(data)], '\n')
		}
		in.Records[i] = firehosetypes.Record{Data: data}
	}
	out, err := s.Client.PutRecordBatch(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("put record batch to %s: %w", s.ARN, err)
	}
	if len(out.RequestResponses) != len(batch) {
		return nil, fmt.Errorf("put record batch to %s: %d results for %d records", s.ARN, len(out.RequestResponses), len(batch))
	}
	ok := make([]bool, len(batch))
	for i, r := range out.RequestResponses {
		ok[i] = r.ErrorCode == nil && r.RecordId != nil
	}
	return ok, nil
}
