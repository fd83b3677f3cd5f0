package awskinesis

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/riffle-sql/riffle/awsclients"
)

// ErrNotFound is a stream the service does not have.
var ErrNotFound = errors.New("no such Kinesis data stream")

// Client reaches Kinesis through the SDK clients of an awsclients.Factory:
// the default credential chain (environment, shared files, SSO, the
// instance's role...), the region of each stream's ARN, and the endpoint
// of the SDK's own configuration (AWS_ENDPOINT_URL_KINESIS,
// AWS_ENDPOINT_URL, the shared config file) or the factory's, which wins
// over them.
type Client struct {
	aws *awsclients.Factory
}

// New makes a client. Nothing is sent: credentials are looked up at the
// first request.
func New(f *awsclients.Factory) *Client {
	return &Client{aws: f}
}

// String says where requests go, for logs and errors.
func (c *Client) String() string {
	if e := c.aws.Endpoint("kinesis"); e != "" {
		return "Kinesis at " + e
	}
	if os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") != "true" {
		for _, v := range []string{"AWS_ENDPOINT_URL_KINESIS", "AWS_ENDPOINT_URL"} {
			if url := os.Getenv(v); url != "" {
				return "Kinesis at " + url
			}
		}
	}
	return "Kinesis on AWS"
}

// api is the SDK's client for a region, shared with the factory's other
// users (outputs to Kinesis).
func (c *Client) api(ctx context.Context, region string) (*kinesis.Client, error) {
	k, err := c.aws.Kinesis(ctx, region)
	if err != nil {
		return nil, fmt.Errorf("kinesis: %w", err)
	}
	return k, nil
}

// noRetries turns the SDK's retries off for a call: the reader backs off
// by itself, shard by shard, and counts what the service refused.
func noRetries(o *kinesis.Options) { o.Retryer = aws.NopRetryer{} }

// Summary is what DescribeStreamSummary says of a stream.
type Summary struct {
	Status     string
	OpenShards int
}

// Describe asks the service for a stream (DescribeStreamSummary):
// ErrNotFound when it has none by that name.
func (c *Client) Describe(ctx context.Context, arn ARN) (Summary, error) {
	k, err := c.api(ctx, arn.Region)
	if err != nil {
		return Summary{}, err
	}
	out, err := k.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(arn.Name)}, noRetries)
	var missing *types.ResourceNotFoundException
	if errors.As(err, &missing) {
		return Summary{}, fmt.Errorf("%w: %s (%s): %s", ErrNotFound, arn, c, missing.ErrorMessage())
	}
	if err != nil {
		return Summary{}, fmt.Errorf("describe %s (%s): %w", arn, c, err)
	}
	s := Summary{Status: string(out.StreamDescriptionSummary.StreamStatus)}
	if n := out.StreamDescriptionSummary.OpenShardCount; n != nil {
		s.OpenShards = int(*n)
	}
	return s, nil
}

// Sample reads up to n records of each open shard, from its start (for
// schema discovery).
func (c *Client) Sample(ctx context.Context, arn ARN, n int) ([][]byte, error) {
	k, err := c.api(ctx, arn.Region)
	if err != nil {
		return nil, err
	}
	shards, err := k.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(arn.Name)}, noRetries)
	var missing *types.ResourceNotFoundException
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("%w: %s (%s): %s", ErrNotFound, arn, c, missing.ErrorMessage())
	}
	if err != nil {
		return nil, fmt.Errorf("list the shards of %s (%s): %w", arn, c, err)
	}
	var out [][]byte
	for _, s := range shards.Shards {
		if s.SequenceNumberRange != nil && s.SequenceNumberRange.EndingSequenceNumber != nil {
			continue // closed: its records are older than the open shards'
		}
		it, err := k.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(arn.Name), ShardId: s.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon}, noRetries)
		if err != nil {
			return nil, fmt.Errorf("sample %s (%s): %w", arn, c, err)
		}
		page, err := k.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator, Limit: aws.Int32(int32(n))}, noRetries)
		if err != nil {
			return nil, fmt.Errorf("sample %s (%s): %w", arn, c, err)
		}
		for _, r := range page.Records {
			out = append(out, r.Data)
		}
	}
	return out, nil
}
