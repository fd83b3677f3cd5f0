package ingest

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/smithy-go"

	"github.com/riffle-sql/riffle/streamlog"
)

func TestSignaturesAreCheckedWithCredentials(t *testing.T) {
	l, err := streamlog.Open(context.Background(), streamlog.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	srv := httptest.NewServer(New(l, Options{Credentials: map[string]string{"AKIDEXAMPLE": "the-secret"}}))
	defer srv.Close()
	client := func(key, secret string) *firehose.Client {
		return firehose.New(firehose.Options{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
			Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")})
	}
	ctx := context.Background()
	if _, err := client("AKIDEXAMPLE", "the-secret").CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("s")}); err != nil {
		t.Fatalf("a correct signature was refused: %v", err)
	}
	for _, c := range []struct{ key, secret, code string }{
		{"AKIDEXAMPLE", "a-wrong-secret", "InvalidSignatureException"},
		{"AKIDUNKNOWN", "the-secret", "UnrecognizedClientException"},
	} {
		_, err := client(c.key, c.secret).CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("t")})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != c.code {
			t.Errorf("key %s secret %s: %v, want %s", c.key, c.secret, err, c.code)
		}
	}
	infos, err := l.List(ctx, "")
	if err != nil || len(infos) != 1 {
		t.Fatalf("refused requests changed the streams: %v %v", infos, err)
	}
}
