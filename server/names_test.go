package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/server/servertest"
)

// TestALongNameNeverBreaksTheServer: a 5,000-character stream or
// application name, in a request of every kind that carries one, is
// refused (not a 5xx), and the server goes on answering: NATS closes the
// connection of a client that sends a subject that long, which used to
// leave every later request failing until a restart.
func TestALongNameNeverBreaksTheServer(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	long := strings.Repeat("a", 5000)
	call := func(target string, body map[string]any) (int, string) {
		payload, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(payload))
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=00")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	firehoseARN := "arn:aws:firehose:us-east-1:000000000000:deliverystream/" + long
	kinesisARN := "arn:aws:kinesis:us-east-1:000000000000:stream/" + long
	for _, c := range []struct {
		target string
		body   map[string]any
	}{
		{"Firehose_20150804.PutRecord", map[string]any{"DeliveryStreamName": long, "Record": map[string]any{"Data": "eA=="}}},
		{"Firehose_20150804.DescribeDeliveryStream", map[string]any{"DeliveryStreamName": long}},
		{"Firehose_20150804.DeleteDeliveryStream", map[string]any{"DeliveryStreamName": long}},
		{"Kinesis_20131202.PutRecords", map[string]any{"StreamName": long, "Records": []any{map[string]any{"Data": "eA==", "PartitionKey": "k"}}}},
		{"Kinesis_20131202.DescribeStream", map[string]any{"StreamName": long}},
		{"Kinesis_20131202.GetShardIterator", map[string]any{"StreamName": long, "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"}},
		{"KinesisAnalytics_20150814.DescribeApplication", map[string]any{"ApplicationName": long}},
		{"KinesisAnalytics_20150814.DiscoverInputSchema", map[string]any{"ResourceARN": firehoseARN, "RoleARN": "arn:aws:iam::000000000000:role/x",
			"InputStartingPositionConfiguration": map[string]any{"InputStartingPosition": "TRIM_HORIZON"}}},
		{"KinesisAnalytics_20150814.CreateApplication", map[string]any{"ApplicationName": "app", "Inputs": []any{map[string]any{
			"NamePrefix": "SOURCE_SQL_STREAM", "KinesisStreamsInput": map[string]any{"ResourceARN": kinesisARN, "RoleARN": "arn:aws:iam::000000000000:role/x"},
			"InputSchema": map[string]any{"RecordFormat": map[string]any{"RecordFormatType": "JSON", "MappingParameters": map[string]any{"JSONMappingParameters": map[string]any{"RecordRowPath": "$"}}},
				"RecordColumns": []any{map[string]any{"Name": "a", "SqlType": "INTEGER", "Mapping": "$.a"}}}}}}},
	} {
		status, body := call(c.target, c.body)
		if status >= 500 || status < 400 {
			t.Errorf("%s with a 5,000-character name: %d %.300s, want a 4xx", c.target, status, body)
		}
	}
	for _, path := range []string{"/riffle/v1/applications/" + long + "/streams", "/riffle/v1/applications/app/streams/" + long, "/riffle/v1/streams/" + long + "/records"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Errorf("GET %.80s…: %s", path, resp.Status)
		}
	}
	// The server still stores and describes.
	if status, body := call("Firehose_20150804.CreateDeliveryStream", map[string]any{"DeliveryStreamName": "after"}); status != http.StatusOK {
		t.Fatalf("create after the long names: %d %s", status, body)
	}
	if status, body := call("Firehose_20150804.PutRecord", map[string]any{"DeliveryStreamName": "after", "Record": map[string]any{"Data": "eA=="}}); status != http.StatusOK {
		t.Fatalf("put after the long names: %d %s", status, body)
	}
}
