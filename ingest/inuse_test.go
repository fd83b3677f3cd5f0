package ingest

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"

	"github.com/riffle-sql/riffle/internal/awsjson"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// TestAStreamInUseIsNotDeleted: a delivery stream or data stream that
// running applications use is refused deletion with ResourceInUseException
// naming them, and kept; once unused it is deleted.
func TestAStreamInUseIsNotDeleted(t *testing.T) {
	ctx := context.Background()
	l := streamlogtest.Open(t)
	users := map[string][]string{"clicks": {"lab", "other"}, "events": {"lab"}}
	api, err := New(ctx, l, Options{Users: func(_ context.Context, stream string) ([]string, error) { return users[stream], nil }})
	if err != nil {
		t.Fatal(err)
	}
	front := awsjson.New(awsjson.Options{})
	api.Register(front)
	srv := httptest.NewServer(front)
	defer srv.Close()
	fh, kc := firehoseClient(srv.URL), kinesisClient(srv.URL)
	if _, err := fh.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("clicks")}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("events"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	inUse := func(err error, names string) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "ResourceInUseException" || !strings.Contains(ae.ErrorMessage(), names) {
			t.Fatalf("deleting a stream in use: %v, want ResourceInUseException naming %s", err, names)
		}
	}
	_, err = fh.DeleteDeliveryStream(ctx, &firehose.DeleteDeliveryStreamInput{DeliveryStreamName: aws.String("clicks")})
	inUse(err, "lab, other")
	_, err = kc.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("events")})
	inUse(err, "lab")
	for _, name := range []string{"clicks", "events"} {
		if _, err := l.Describe(ctx, name); err != nil {
			t.Fatalf("%s after a refused delete: %v", name, err)
		}
	}
	clear(users)
	if _, err := fh.DeleteDeliveryStream(ctx, &firehose.DeleteDeliveryStreamInput{DeliveryStreamName: aws.String("clicks")}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("events")}); err != nil {
		t.Fatal(err)
	}
}
