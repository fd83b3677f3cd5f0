package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
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

// TestAnOldSignatureIsRefused: a request signed 20 minutes ago (a captured
// request replayed) is refused, though its signature is right.
func TestAnOldSignatureIsRefused(t *testing.T) {
	l, err := streamlog.Open(context.Background(), streamlog.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	srv := httptest.NewServer(New(l, Options{Credentials: map[string]string{"AKIDEXAMPLE": "the-secret"}}))
	defer srv.Close()
	for _, c := range []struct {
		age  time.Duration
		want int
	}{{time.Minute, http.StatusOK}, {20 * time.Minute, http.StatusBadRequest}} {
		body := []byte(`{"DeliveryStreamName":"s` + strconv.Itoa(int(c.age.Minutes())) + `"}`)
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", "Firehose_20150804.CreateDeliveryStream")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		sum := sha256.Sum256(body)
		creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "the-secret"}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "firehose", "us-east-1", time.Now().Add(-c.age)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want || c.want != http.StatusOK && resp.Header.Get("X-Amzn-ErrorType") != "InvalidSignatureException" {
			t.Errorf("signed %v ago: %s %s, want %d", c.age, resp.Status, resp.Header.Get("X-Amzn-ErrorType"), c.want)
		}
	}
}
