package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"

	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

func newServer(t testing.TB) (*httptest.Server, *streamlog.Log) {
	t.Helper()
	return newServerOn(t, streamlog.Config{Dir: t.TempDir()})
}

func newServerOn(t testing.TB, cfg streamlog.Config) (*httptest.Server, *streamlog.Log) {
	t.Helper()
	l := streamlogtest.OpenConfig(t, cfg)
	return serve(t, l, Options{}), l
}

// serve serves the APIs over a log until the test ends.
func serve(t testing.TB, l *streamlog.Log, opts Options) *httptest.Server {
	t.Helper()
	h, err := Handler(context.Background(), l, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func firehoseClient(url string) *firehose.Client {
	return firehose.New(firehose.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint: aws.String(url),
	})
}

// The lab's payloads, as the Kinesis Data Generator sends them (with LF).
var labRecords = []string{
	`{"browseraction":"Impression", "site": "yourwebsiteurl.domain.com"}` + "\n",
	`{"browseraction":"Click", "site": "yourwebsiteurl.domain.com"}` + "\n",
}

func TestFirehoseWithTheAWSSDK(t *testing.T) {
	srv, l := newServer(t)
	firehoseSuite(t, srv, l)
}

func firehoseSuite(t *testing.T, srv *httptest.Server, l *streamlog.Log) {
	ctx := context.Background()
	fh := firehoseClient(srv.URL)
	out, err := fh.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("clickstream")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.DeliveryStreamARN); got != "arn:aws:firehose:us-east-1:000000000000:deliverystream/clickstream" {
		t.Fatalf("ARN %s", got)
	}
	_, err = fh.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("clickstream")})
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Fatalf("second create: %v, want ResourceInUseException", err)
	}
	var batch []types.Record
	for i := 0; i < 500; i++ {
		batch = append(batch, types.Record{Data: []byte(labRecords[i%2])})
	}
	put, err := fh.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("clickstream"), Records: batch})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(put.FailedPutCount) != 0 || len(put.RequestResponses) != 500 || aws.ToString(put.RequestResponses[0].RecordId) == "" {
		t.Fatalf("batch: %+v", put)
	}
	one, err := fh.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("clickstream"), Record: &types.Record{Data: []byte("last\n")}})
	if err != nil || aws.ToString(one.RecordId) <= aws.ToString(put.RequestResponses[499].RecordId) {
		t.Fatalf("put record: %v %v", one, err)
	}
	// Everything acknowledged is stored, in order.
	recs, _, err := l.Read(ctx, "clickstream", 0, streamlog.Seq{}, 1000)
	if err != nil || len(recs) != 501 || string(recs[1].Data) != labRecords[1] || string(recs[500].Data) != "last\n" {
		t.Fatalf("stored %d records: %v", len(recs), err)
	}
	desc, err := fh.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("clickstream")})
	if err != nil || desc.DeliveryStreamDescription.DeliveryStreamStatus != types.DeliveryStreamStatusActive {
		t.Fatalf("describe: %+v %v", desc, err)
	}
	fh.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("another.one")})
	list, err := fh.ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{Limit: aws.Int32(1)})
	if err != nil || len(list.DeliveryStreamNames) != 1 || list.DeliveryStreamNames[0] != "another.one" || !aws.ToBool(list.HasMoreDeliveryStreams) {
		t.Fatalf("list: %+v %v", list, err)
	}
	if _, err := fh.DeleteDeliveryStream(ctx, &firehose.DeleteDeliveryStreamInput{DeliveryStreamName: aws.String("clickstream")}); err != nil {
		t.Fatal(err)
	}
	_, err = fh.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String("clickstream"), Record: &types.Record{Data: []byte("x")}})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) || !strings.Contains(err.Error(), "Firehose clickstream under account 000000000000 not found.") {
		t.Fatalf("put to a deleted stream: %v", err)
	}
}

// raw sends a hand-made request, to check what SDKs would refuse to send.
func raw(t *testing.T, url, target, body string, auth bool) (int, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	if auth {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/firehose/aws4_request, SignedHeaders=host, Signature=00")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestBadRequestsGetTheServicesErrorsAndStoreNothing(t *testing.T) {
	srv, l := newServer(t)
	ctx := context.Background()
	if err := l.Create(ctx, "s", firehoseKind, 1); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("A", 1_400_000) // 1,050,000 bytes once decoded
	many := `{"DeliveryStreamName":"s","Records":[` + strings.TrimSuffix(strings.Repeat(`{"Data":"eA=="},`, 501), ",") + `]}`
	huge := `{"DeliveryStreamName":"s","Records":[` + strings.TrimSuffix(strings.Repeat(`{"Data":"`+strings.Repeat("A", 1_000_000)+`"},`, 6), ",") + `]}`
	for _, c := range []struct {
		name, target, body string
		auth               bool
		status             int
		kind               string
	}{
		{"malformed JSON", "Firehose_20150804.PutRecord", `{"DeliveryStreamName":`, true, 400, "SerializationException"},
		{"bad base64", "Firehose_20150804.PutRecord", `{"DeliveryStreamName":"s","Record":{"Data":"%%%"}}`, true, 400, "SerializationException"},
		{"null data", "Firehose_20150804.PutRecordBatch", `{"DeliveryStreamName":"s","Records":[{"Data":"eA=="},{"Data":null}]}`, true, 400, "ValidationException"},
		{"no data", "Firehose_20150804.PutRecordBatch", `{"DeliveryStreamName":"s","Records":[{}]}`, true, 400, "ValidationException"},
		{"data a number", "Firehose_20150804.PutRecordBatch", `{"DeliveryStreamName":"s","Records":[{"Data":12}]}`, true, 400, "SerializationException"},
		{"bad base64 in a batch", "Firehose_20150804.PutRecordBatch", `{"DeliveryStreamName":"s","Records":[{"Data":"eA=="},{"Data":"eA="}]}`, true, 400, "SerializationException"},
		{"oversized record", "Firehose_20150804.PutRecord", `{"DeliveryStreamName":"s","Record":{"Data":"` + big + `"}}`, true, 400, "ValidationException"},
		{"too many records", "Firehose_20150804.PutRecordBatch", many, true, 400, "ValidationException"},
		{"oversized batch", "Firehose_20150804.PutRecordBatch", huge, true, 400, "InvalidArgumentException"},
		{"unknown stream", "Firehose_20150804.PutRecord", `{"DeliveryStreamName":"nope","Record":{"Data":"eA=="}}`, true, 400, "ResourceNotFoundException"},
		{"bad name", "Firehose_20150804.CreateDeliveryStream", `{"DeliveryStreamName":"no spaces"}`, true, 400, "ValidationException"},
		{"unknown target", "Firehose_20150804.Explode", `{}`, true, 400, "UnknownOperationException"},
		{"missing auth", "Firehose_20150804.PutRecord", `{"DeliveryStreamName":"s","Record":{"Data":"eA=="}}`, false, 403, "MissingAuthenticationTokenException"},
	} {
		status, body := raw(t, srv.URL, c.target, c.body, c.auth)
		if status != c.status || body["__type"] != c.kind || body["message"] == "" {
			t.Errorf("%s: %d %v, want %d %s", c.name, status, body, c.status, c.kind)
		}
	}
	recs, _, err := l.Read(ctx, "s", 0, streamlog.Seq{}, 10)
	if err != nil || len(recs) != 0 {
		t.Fatalf("bad requests stored %d records (%v)", len(recs), err)
	}
	// JSON may escape a base64 string's slashes; an empty record is one.
	status, body := raw(t, srv.URL, "Firehose_20150804.PutRecordBatch", `{"DeliveryStreamName":"s","Records":[{"Data":"P\/8="},{"Data":""}]}`, true)
	recs, _, err = l.Read(ctx, "s", 0, streamlog.Seq{}, 10)
	if status != 200 || err != nil || len(recs) != 2 || string(recs[0].Data) != "?\xff" || len(recs[1].Data) != 0 {
		t.Fatalf("escaped base64 and an empty record: %d %v, stored %q (%v)", status, body, recs, err)
	}
}
