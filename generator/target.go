package generator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kstypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go/logging"
)

// Record is one generated record: its bytes (the rendered template and the
// KDG's newline), the scenario time it was made for, and a partition key.
type Record struct {
	Data []byte
	At   time.Time
	Key  string
}

// A Target takes batches of records. Put says which records failed (nil:
// none); an error means the whole call failed.
type Target interface {
	Put(ctx context.Context, recs []Record) (failed []bool, err error)
	Limits() (records, bytes int)
	// Live says records go when their time comes; a replay file is written
	// at once, on the scenario's clock.
	Live() bool
}

// StreamTarget sends to a Firehose delivery stream (PutRecordBatch) or a
// Kinesis data stream (PutRecords) of any compatible endpoint.
type StreamTarget struct {
	Name string
	Kind string // "firehose" or "kinesis"
	fh   *firehose.Client
	ks   *kinesis.Client
}

// StreamConfig says where a StreamTarget sends.
type StreamConfig struct {
	Name     string
	Kind     string // "firehose", "kinesis", or "" to ask the endpoint
	Endpoint string // "" for AWS itself
	Region   string
	// Credentials replace those of the AWS environment (the demo signs
	// with a placeholder key its own server takes).
	Credentials aws.CredentialsProvider
	// HTTPClient replaces the SDK's (the console's senders reach their own
	// server in memory).
	HTTPClient aws.HTTPClient
}

// NewStreamTarget connects to a stream. Credentials come from the usual AWS
// environment (variables, shared files, roles); without any, a
// placeholder key that riffle serve without --auth accepts.
func NewStreamTarget(ctx context.Context, c StreamConfig) (*StreamTarget, error) {
	opts := []func(*config.LoadOptions) error{}
	if c.Region != "" {
		opts = append(opts, config.WithRegion(c.Region))
	}
	switch {
	case c.Credentials != nil:
		opts = append(opts, config.WithCredentialsProvider(c.Credentials))
	case !awsCredentialsConfigured():
		opts = append(opts, config.WithCredentialsProvider(PlaceholderCredentials()))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	t := &StreamTarget{Name: c.Name, Kind: c.Kind}
	// The SDK's own log has only connection-reuse notices for us; every
	// failure reaches the caller as an error or a failed record.
	cfg.Logger = logging.Nop{}
	if c.HTTPClient != nil {
		cfg.HTTPClient = c.HTTPClient
	}
	t.fh = firehose.NewFromConfig(cfg, func(o *firehose.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
	})
	t.ks = kinesis.NewFromConfig(cfg, func(o *kinesis.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
	})
	switch c.Kind {
	case "firehose", "kinesis":
	case "":
		if _, err := t.fh.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: &c.Name}); err == nil {
			t.Kind = "firehose"
		} else if _, kerr := t.ks.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: &c.Name}); kerr == nil {
			t.Kind = "kinesis"
		} else {
			return nil, fmt.Errorf("stream %s: neither a delivery stream (%w) nor a data stream (%w)", c.Name, err, kerr)
		}
	default:
		return nil, fmt.Errorf("stream kind %q: want firehose or kinesis", c.Kind)
	}
	return t, nil
}

// PlaceholderCredentials is a key riffle serve without --auth accepts.
func PlaceholderCredentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider("riffle", "riffle", "")
}

func awsCredentialsConfigured() bool {
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		if os.Getenv(v) != "" {
			return true
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return false
	}
	_, err = os.Stat(home + "/.aws/credentials")
	return err == nil
}

// Limits are PutRecordBatch's and PutRecords'.
func (t *StreamTarget) Limits() (int, int) {
	if t.Kind == "firehose" {
		return 500, 4 << 20
	}
	return 500, 5 << 20
}

func (t *StreamTarget) Live() bool { return true }

// Put sends one batch and reads the per-record results.
func (t *StreamTarget) Put(ctx context.Context, recs []Record) ([]bool, error) {
	failed := make([]bool, len(recs))
	any := false
	if t.Kind == "firehose" {
		in := &firehose.PutRecordBatchInput{DeliveryStreamName: &t.Name}
		for _, r := range recs {
			in.Records = append(in.Records, fhtypes.Record{Data: r.Data})
		}
		out, err := t.fh.PutRecordBatch(ctx, in)
		if err != nil {
			return nil, err
		}
		for i, r := range out.RequestResponses {
			if i < len(failed) && r.ErrorCode != nil {
				failed[i], any = true, true
			}
		}
	} else {
		in := &kinesis.PutRecordsInput{StreamName: &t.Name}
		for _, r := range recs {
			in.Records = append(in.Records, kstypes.PutRecordsRequestEntry{Data: r.Data, PartitionKey: aws.String(r.Key)})
		}
		out, err := t.ks.PutRecords(ctx, in)
		if err != nil {
			return nil, err
		}
		for i, r := range out.Records {
			if i < len(failed) && r.ErrorCode != nil {
				failed[i], any = true, true
			}
		}
	}
	if !any {
		return nil, nil
	}
	return failed, nil
}

// WriterTarget writes each record as it comes (the KDG's newline ends it).
type WriterTarget struct {
	mu sync.Mutex
	w  io.Writer
}

// NewWriterTarget writes to w (standard output, say).
func NewWriterTarget(w io.Writer) *WriterTarget { return &WriterTarget{w: w} }

func (t *WriterTarget) Limits() (int, int) { return 500, 4 << 20 }
func (t *WriterTarget) Live() bool         { return true }

func (t *WriterTarget) Put(_ context.Context, recs []Record) ([]bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range recs {
		if _, err := t.w.Write(r.Data); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// ReplayTarget writes a replay file (one {"arrival", "data"} a line, the
// format riffle run reads) on the scenario's clock: each record arrives at
// the time it was made for. A record that is JSON goes in as JSON, as
// written; any other as a string.
type ReplayTarget struct {
	mu sync.Mutex
	w  *bufio.Writer
}

// NewReplayTarget writes to w; Flush when done.
func NewReplayTarget(w io.Writer) *ReplayTarget { return &ReplayTarget{w: bufio.NewWriter(w)} }

func (t *ReplayTarget) Limits() (int, int) { return 500, 4 << 20 }
func (t *ReplayTarget) Live() bool         { return false }

func (t *ReplayTarget) Put(_ context.Context, recs []Record) ([]bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range recs {
		// Written by hand: the record's JSON goes in byte for byte, as the
		// live path sends it (json.Marshal would compact and escape it).
		data := trimNewline(r.Data)
		if !(json.Valid(data) && len(data) > 0 && data[0] == '{') || bytes.ContainsAny(data, "\r\n") {
			data, _ = json.Marshal(string(data))
		}
		t.w.WriteString(`{"arrival":"` + r.At.UTC().Format("2006-01-02T15:04:05.000Z") + `","data":`)
		t.w.Write(data)
		if _, err := t.w.WriteString("}\n"); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// Flush writes out what is buffered.
func (t *ReplayTarget) Flush() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.w.Flush(); err != nil {
		return errors.Join(errors.New("replay file"), err)
	}
	return nil
}

func trimNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}
