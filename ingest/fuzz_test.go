package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzRequest: no request body makes a handler panic or answer 5xx; every
// error is in the AWS shape.
//
//	go test -run '^$' -fuzz FuzzRequest -fuzztime 1m ./ingest
func FuzzRequest(f *testing.F) {
	targets := []string{
		"Firehose_20150804.CreateDeliveryStream", "Firehose_20150804.PutRecord", "Firehose_20150804.PutRecordBatch",
		"Firehose_20150804.DescribeDeliveryStream", "Firehose_20150804.ListDeliveryStreams", "Firehose_20150804.DeleteDeliveryStream",
		"Kinesis_20131202.CreateStream", "Kinesis_20131202.PutRecords", "Kinesis_20131202.GetShardIterator",
		"Kinesis_20131202.GetRecords", "Kinesis_20131202.ListShards", "Kinesis_20131202.PutRecord",
	}
	for i, seed := range []string{
		`{"DeliveryStreamName":"s"}`, `{"DeliveryStreamName":"s","Record":{"Data":"eA=="}}`,
		`{"DeliveryStreamName":"s","Records":[{"Data":"eA=="},{"Data":null}]}`, `{"StreamName":"k","ShardCount":2}`,
		`{"StreamName":"k","Records":[{"Data":"eA==","PartitionKey":"p","ExplicitHashKey":"340282366920938463463374607431768211455"}]}`,
		`{"StreamName":"k","ShardId":"shardId-000000000001","ShardIteratorType":"AT_SEQUENCE_NUMBER","StartingSequenceNumber":"00000000000000000001000000"}`,
		`{"ShardIterator":"eyJzIjoiayJ9","Limit":5}`, `[`, `{"Limit":-1}`,
	} {
		f.Add(uint8(i), []byte(seed))
	}
	srv, l := newServer(f)
	l.Create(context.Background(), "s", firehoseKind, 1)
	l.Create(context.Background(), "k", kinesisKind, 2)
	h := srv.Config.Handler
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", targets[int(which)%len(targets)])
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=A/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %s %q: %s", rec.Code, req.Header.Get("X-Amz-Target"), body, rec.Body.String())
		}
		if rec.Code != http.StatusOK {
			var e map[string]string
			if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e["__type"] == "" || e["message"] == "" {
				t.Fatalf("error not in the AWS shape: %s", rec.Body.String())
			}
		}
	})
}
