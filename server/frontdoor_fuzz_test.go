package server_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// frontDoor is every action of the server's JSON front door, and GETs of
// its own paths, as the fuzz target picks them.
var frontDoor = []string{
	"Firehose_20150804.CreateDeliveryStream", "Firehose_20150804.DeleteDeliveryStream", "Firehose_20150804.DescribeDeliveryStream",
	"Firehose_20150804.ListDeliveryStreams", "Firehose_20150804.PutRecord", "Firehose_20150804.PutRecordBatch",
	"Kinesis_20131202.CreateStream", "Kinesis_20131202.DeleteStream", "Kinesis_20131202.DescribeStream", "Kinesis_20131202.DescribeStreamSummary",
	"Kinesis_20131202.ListStreams", "Kinesis_20131202.ListShards", "Kinesis_20131202.PutRecord", "Kinesis_20131202.PutRecords",
	"Kinesis_20131202.GetShardIterator", "Kinesis_20131202.GetRecords",
	"KinesisAnalytics_20150814.CreateApplication", "KinesisAnalytics_20150814.DescribeApplication", "KinesisAnalytics_20150814.ListApplications",
	"KinesisAnalytics_20150814.UpdateApplication", "KinesisAnalytics_20150814.DeleteApplication", "KinesisAnalytics_20150814.StartApplication",
	"KinesisAnalytics_20150814.StopApplication", "KinesisAnalytics_20150814.DiscoverInputSchema", "KinesisAnalytics_20150814.AddApplicationInput",
	"KinesisAnalytics_20150814.AddApplicationOutput", "KinesisAnalytics_20150814.DeleteApplicationOutput",
	"KinesisAnalytics_20150814.AddApplicationReferenceDataSource", "KinesisAnalytics_20150814.DeleteApplicationReferenceDataSource",
	"KinesisAnalytics_20150814.TagResource", "KinesisAnalytics_20150814.UntagResource", "KinesisAnalytics_20150814.ListTagsForResource",
	"GET /riffle/v1/applications/a/streams", "GET /riffle/v1/applications/a/metrics", "GET /riffle/v1/applications/a/sql-templates",
	"GET /riffle/v1/streams/s/records", "GET /riffle/v1/functions", "GET /riffle/v1/cluster", "GET /metrics",
}

// FuzzFrontDoor: no request to the server (any action or path, any body,
// any extra headers) makes it panic or answer 500, and after each the
// server still stores and reads: one request cannot take it down.
//
//	go test -run '^$' -fuzz FuzzFrontDoor -fuzztime 5m ./server
func FuzzFrontDoor(f *testing.F) {
	for i, seed := range []string{
		`{"DeliveryStreamName":"s","Record":{"Data":"eA=="}}`,
		`{"DeliveryStreamName":"s","Records":[{"Data":"eA=="},{"Data":null}]}`,
		`{"StreamName":"k","Records":[{"Data":"eA==","PartitionKey":"p"}]}`,
		`{"StreamName":"k","ShardId":"shardId-000000000000","ShardIteratorType":"TRIM_HORIZON"}`,
		`{"ApplicationName":"a","ApplicationCode":"CREATE STREAM \"O\" (v INTEGER);"}`,
		`{"ApplicationName":"a","CurrentApplicationVersionId":1,"ApplicationUpdate":{"ApplicationCodeUpdate":""}}`,
		`{"ResourceARN":"arn:aws:firehose:us-east-1:000000000000:deliverystream/s","RoleARN":"arn:aws:iam::000000000000:role/r"}`,
		`{"ShardIterator":"eyJzIjoiayJ9.AAAA","Limit":10000}`, `[`, `{"Limit":-1}`, ``,
	} {
		f.Add(uint8(i*3), []byte(seed), "X-Amz-Date: 20260101T000000Z")
	}
	srv := httptest.NewServer(nil)
	defer srv.Close()
	s, err := server.New(f.Context(), server.Config{Data: f.TempDir()})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	srv.Config.Handler = s.Handler
	streamlogtest.Create(f, s.Log, streamlogtest.Stream{Name: "s", Kind: "firehose", Shards: 1}, streamlogtest.Stream{Name: "k", Kind: "kinesis", Shards: 2},
		streamlogtest.Stream{Name: "health", Kind: "firehose", Shards: 1})
	post := func(target string, body []byte, headers string) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=A/20260101/us-east-1/x/aws4_request, SignedHeaders=host;x-amz-target, Signature=00")
		for _, line := range strings.Split(headers, "\n") {
			if name, value, ok := strings.Cut(line, ":"); ok && name != "" && !strings.ContainsAny(name, " \t\r") {
				req.Header.Set(name, strings.TrimSpace(value))
			}
		}
		return req
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte, headers string) {
		target := frontDoor[int(which)%len(frontDoor)]
		req := post(target, body, headers)
		if path, ok := strings.CutPrefix(target, "GET "); ok {
			req, _ = http.NewRequest(http.MethodGet, srv.URL+path+"?"+string(body), nil)
		}
		if req == nil {
			return // a URL net/http cannot make
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return // refused by net/http on the client's side (a header it cannot send)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("%s %q (headers %q): %s", target, body, headers, resp.Status)
		}
		// The server still stores: a put answers (into a stream of the
		// check's own, made again if an input deleted it).
		for attempt := 0; ; attempt++ {
			check, err := http.DefaultClient.Do(post("Firehose_20150804.PutRecord", []byte(`{"DeliveryStreamName":"health","Record":{"Data":"eA=="}}`), ""))
			if err != nil {
				t.Fatal(err)
			}
			check.Body.Close()
			if check.StatusCode == http.StatusOK {
				break
			}
			if attempt > 0 || check.Header.Get("X-Amzn-ErrorType") != "ResourceNotFoundException" {
				t.Fatalf("after %s %q: a put answers %s", target, body, check.Status)
			}
			made, err := http.DefaultClient.Do(post("Firehose_20150804.CreateDeliveryStream", []byte(`{"DeliveryStreamName":"health"}`), ""))
			if err != nil {
				t.Fatal(err)
			}
			made.Body.Close()
		}
	})
}
