package ingest

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/riffle-sql/riffle/streamlog"
)

func TestMetricsCountRecordsBytesAndErrors(t *testing.T) {
	l, err := streamlog.Open(context.Background(), streamlog.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	reg := prometheus.NewRegistry()
	api := New(l, Options{Metrics: reg})
	srv := httptest.NewServer(api)
	defer srv.Close()
	ctx := context.Background()
	fh := firehoseClient(srv.URL)
	fh.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("s")})
	fh.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("s"),
		Records: []types.Record{{Data: []byte("abc")}, {Data: []byte("de")}}})
	fh.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("missing"), Record: &types.Record{Data: []byte("x")}})
	if got := testutil.ToFloat64(api.metrics.records.WithLabelValues("firehose")); got != 2 {
		t.Errorf("records %v, want 2", got)
	}
	if got := testutil.ToFloat64(api.metrics.bytes.WithLabelValues("firehose")); got != 5 {
		t.Errorf("bytes %v, want 5", got)
	}
	if got := testutil.ToFloat64(api.metrics.errors.WithLabelValues("ResourceNotFoundException")); got != 1 {
		t.Errorf("not-found errors %v, want 1", got)
	}
	if n, err := testutil.GatherAndCount(reg, "riffle_ingest_request_seconds"); err != nil || n != 3 {
		t.Errorf("latency series %d (%v), want one per operation used: 3", n, err)
	}
}
