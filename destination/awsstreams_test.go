package destination

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// TestPartialFailuresFailOnlyTheirRecords: PutRecords and PutRecordBatch
// answer 200 with some records refused (throttling): those records, and
// only they, are reported failed, to be retried.
func TestPartialFailuresFailOnlyTheirRecords(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Records []json.RawMessage }
		json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		var results []map[string]any
		failed := 0
		for i := range req.Records {
			if i%2 == 1 {
				failed++
				results = append(results, map[string]any{"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded"})
			} else if r.Header.Get("X-Amz-Target") == "Kinesis_20131202.PutRecords" {
				results = append(results, map[string]any{"SequenceNumber": "1", "ShardId": "shardId-000000000000"})
			} else {
				results = append(results, map[string]any{"RecordId": "r"})
			}
		}
		if r.Header.Get("X-Amz-Target") == "Kinesis_20131202.PutRecords" {
			json.NewEncoder(w).Encode(map[string]any{"FailedRecordCount": failed, "Records": results})
		} else {
			json.NewEncoder(w).Encode(map[string]any{"FailedPutCount": failed, "Encrypted": false, "RequestResponses": results})
		}
	}))
	defer srv.Close()
	creds := credentials.NewStaticCredentialsProvider("AKID", "secret", "")
	sinks := []Sink{
		&KinesisAPISink{Client: kinesis.New(kinesis.Options{Region: "eu-west-1", Credentials: creds, BaseEndpoint: aws.String(srv.URL)}), Stream: "s", ARN: "arn:aws:kinesis:eu-west-1:1:stream/s"},
		&FirehoseAPISink{Client: firehose.New(firehose.Options{Region: "eu-west-1", Credentials: creds, BaseEndpoint: aws.String(srv.URL)}), Stream: "d", ARN: "arn:aws:firehose:eu-west-1:1:deliverystream/d"},
	}
	batch := []Record{{Seq: 1, ID: "a", Data: []byte("1")}, {Seq: 2, ID: "b", Data: []byte("2")}, {Seq: 3, ID: "c", Data: []byte("3")}}
	for _, s := range sinks {
		ok, err := s.Send(context.Background(), batch)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if len(ok) != 3 || !ok[0] || ok[1] || !ok[2] {
			t.Errorf("%s: accepted %v, want [true false true]", s, ok)
		}
	}
}
