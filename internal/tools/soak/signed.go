package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
)

const (
	streamName = "soak"
	shards     = 2
	// inFlight bounds the signed calls under way: at the bound a tick is
	// skipped (and counted) rather than queued, so a slow server shows
	// as latency and skipped calls instead of hiding behind a queue.
	inFlight = 64
)

// signed sends PutRecords through the AWS SDK with the server's
// credentials, at a steady rate, and keeps what it measured.
type signed struct {
	client  *kinesis.Client
	records int

	mu        sync.Mutex
	latencies []time.Duration // of the calls that succeeded
	errors    map[string]int
	partial   int // calls answered with FailedRecordCount > 0
	retried   int // calls the SDK had to send more than once
	skipped   int
	acked     map[string]bool // every record the server acknowledged, by its data
}

func newSigned(ctx context.Context, addr, secret string, records int) (*signed, error) {
	client := kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		BaseEndpoint: aws.String("http://" + addr),
	})
	s := &signed{client: client, records: records, errors: map[string]int{}, acked: map[string]bool{}}
	if _, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(streamName), ShardCount: aws.Int32(shards)}); err != nil {
		return nil, fmt.Errorf("creating stream %s: %w", streamName, err)
	}
	waiter := kinesis.NewStreamExistsWaiter(client, func(o *kinesis.StreamExistsWaiterOptions) { o.MinDelay = 100 * time.Millisecond })
	if err := waiter.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(streamName)}, time.Minute); err != nil {
		return nil, fmt.Errorf("waiting for stream %s: %w", streamName, err)
	}
	return s, nil
}

// flow sends rate calls a second until ctx ends, then waits for the calls
// under way (they are not cut: a cut call is no measure of the server).
func (s *signed) flow(ctx context.Context, rate int) {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, inFlight)
	// Calls are due on a schedule from the start: a ticker drops the
	// ticks a busy machine misses, which would lower the rate unseen.
	start := time.Now()
	t := time.NewTicker(time.Second / time.Duration(rate))
	defer t.Stop()
	for n := 0; ; {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for due := int(time.Since(start).Seconds() * float64(rate)); n < due; n++ {
			select {
			case slots <- struct{}{}:
			default:
				s.mu.Lock()
				s.skipped++
				s.mu.Unlock()
				continue
			}
			call := n // n goes on in this loop
			wg.Go(func() {
				defer func() { <-slots }()
				s.put(context.WithoutCancel(ctx), call)
			})
		}
	}
}

func (s *signed) put(ctx context.Context, n int) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	entries := make([]types.PutRecordsRequestEntry, s.records)
	for i := range entries {
		entries[i] = types.PutRecordsRequestEntry{
			Data:         fmt.Appendf(nil, `{"call":%d,"record":%d,"pad":"%0100d"}`, n, i, 0),
			PartitionKey: aws.String(fmt.Sprintf("key-%d-%d", n, i)),
		}
	}
	start := time.Now()
	out, err := s.client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(streamName), Records: entries})
	took := time.Since(start)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.errors[errorCode(err)]++
		return
	}
	if attempts, ok := retry.GetAttemptResults(out.ResultMetadata); ok && len(attempts.Results) > 1 {
		s.retried++
	}
	s.latencies = append(s.latencies, took)
	if aws.ToInt32(out.FailedRecordCount) > 0 {
		s.partial++
	}
	for i, r := range out.Records {
		if r.ErrorCode == nil && i < len(entries) {
			s.acked[string(entries[i].Data)] = true
		}
	}
}

// errorCode names an error by its AWS code, else by what it is.
func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer within 2 minutes"
	}
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120] + "..."
	}
	return msg
}

// readBack reads both shards from the start and counts the acknowledged
// records found whole.
func (s *signed) readBack(ctx context.Context) (int, error) {
	s.mu.Lock()
	want := len(s.acked)
	s.mu.Unlock()
	seen := map[string]bool{}
	desc, err := s.client.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(streamName)})
	if err != nil {
		return 0, fmt.Errorf("describing %s: %w", streamName, err)
	}
	for _, shard := range desc.StreamDescription.Shards {
		it, err := s.client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(streamName),
			ShardId: shard.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			return len(seen), fmt.Errorf("reading shard %s: %w", aws.ToString(shard.ShardId), err)
		}
		iter := it.ShardIterator
		for iter != nil && len(seen) < want {
			got, err := s.client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				return len(seen), fmt.Errorf("reading shard %s: %w", aws.ToString(shard.ShardId), err)
			}
			s.mu.Lock()
			for _, r := range got.Records {
				if s.acked[string(r.Data)] {
					seen[string(r.Data)] = true
				}
			}
			s.mu.Unlock()
			if len(got.Records) == 0 {
				break // the shard's end, as it was when the load stopped
			}
			iter = got.NextShardIterator
		}
	}
	return len(seen), nil
}

func (s *signed) report(w io.Writer, c config, readBack int, readErr error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	errs := 0
	for _, n := range s.errors {
		errs += n
	}
	d := slices.Clone(s.latencies)
	slices.Sort(d)
	fmt.Fprintf(w, "signed PutRecords (%d records each, %d calls/s through aws-sdk-go-v2, its default retries): %d calls, %d ok, %d errors, %d retried by the SDK, %d with failed records, %d not sent (%d calls under way)\n",
		c.records, c.rate, len(d)+errs, len(d), errs, s.retried, s.partial, s.skipped, inFlight)
	if len(d) > 0 {
		fmt.Fprintf(w, "  latency of the calls that succeeded (retries included): p50 %s, p99 %s, max %s\n",
			seconds(percentile(d, 50)), seconds(percentile(d, 99)), seconds(d[len(d)-1]))
	}
	codes := make([]string, 0, len(s.errors))
	for code := range s.errors {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		fmt.Fprintf(w, "  error %s: %d\n", code, s.errors[code])
	}
	if readErr != nil {
		fmt.Fprintf(w, "  read back: %d of %d acknowledged records, then: %v\n", readBack, len(s.acked), readErr)
	} else {
		fmt.Fprintf(w, "  read back: %d of %d acknowledged records, byte for byte\n", readBack, len(s.acked))
	}
}
