package ingest

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// TestMetricsCountRecordsBytesAndErrors: /metrics shows the records and
// bytes stored by API, the front door's errors by code and its latency
// by operation.
func TestMetricsCountRecordsBytesAndErrors(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv := serve(t, streamlogtest.Open(t), Options{Metrics: reg})
	ctx := context.Background()
	fh := firehoseClient(srv.URL)
	fh.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("s")})
	fh.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("s"),
		Records: []types.Record{{Data: []byte("abc")}, {Data: []byte("de")}}})
	fh.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("missing"), Record: &types.Record{Data: []byte("x")}})
	want := `# HELP riffle_ingest_bytes_total Record bytes stored, by API.
# TYPE riffle_ingest_bytes_total counter
riffle_ingest_bytes_total{api="firehose"} 5
# HELP riffle_ingest_errors_total Requests answered with an error, by error code.
# TYPE riffle_ingest_errors_total counter
riffle_ingest_errors_total{code="ResourceNotFoundException"} 1
# HELP riffle_ingest_records_total Records stored, by API.
# TYPE riffle_ingest_records_total counter
riffle_ingest_records_total{api="firehose"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "riffle_ingest_records_total", "riffle_ingest_bytes_total", "riffle_ingest_errors_total"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "riffle_ingest_request_seconds"); err != nil || n != 3 {
		t.Errorf("latency series %d (%v), want one per operation used: 3", n, err)
	}
}
