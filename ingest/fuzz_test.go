package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/valyala/fastjson"
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

// FuzzFastPutMatchesEncodingJSON: a put that the one-pass parser takes
// reads exactly as encoding/json reads it (stream, records, each one's
// data or its base64 error, keys), so the fast path changes no answer.
//
//	go test -run '^$' -fuzz FuzzFastPutMatchesEncodingJSON -fuzztime 1m ./ingest
func FuzzFastPutMatchesEncodingJSON(f *testing.F) {
	for _, seed := range []string{
		`{"StreamName":"k","Records":[{"Data":"eA==","PartitionKey":"p"},{"Data":null,"ExplicitHashKey":"1"}]}`,
		`{"Records":[{"Data":"P\/8="},{"Data":""}],"StreamName":"k"}`,
		`{"StreamName":"k","records":[{"Data":"eA=="}]}`,
		`{"StreamName":"k","Records":[{"Data":"eA==","Data":"eQ=="}]}`,
		`{"StreamName":"k","StreamName":"j","Records":[]}`,
		`{"StreamName":"\u006b","Records":[{"Data":"e\u0041=="},{"Data":"%%"}]}`,
		`{"StreamName":"k","Records":[{"Data":12}]}`, `{"StreamName":"k","Records":null}`, `[]`, ``,
	} {
		f.Add([]byte(seed))
	}
	var parsers fastjson.ParserPool
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := fastPut(&parsers, body, "StreamName")
		if !ok {
			return
		}
		var slow struct {
			StreamName string
			Records    []kinesisRecord
		}
		if err := json.Unmarshal(body, &slow); err != nil {
			t.Fatalf("the fast path took %q, encoding/json refuses it: %v", body, err)
		}
		if fast.Stream != slow.StreamName || len(fast.Records) != len(slow.Records) {
			t.Fatalf("%q: fast %q %d records, encoding/json %q %d", body, fast.Stream, len(fast.Records), slow.StreamName, len(slow.Records))
		}
		for i, r := range fast.Records {
			s := slow.Records[i]
			same := r.Data.present == s.Data.present && bytes.Equal(r.Data.data, s.Data.data) && (r.Data.err == nil) == (s.Data.err == nil) &&
				r.PartitionKey == s.PartitionKey && r.ExplicitHashKey == s.ExplicitHashKey
			if !same {
				t.Fatalf("%q record %d: fast %+v, encoding/json %+v", body, i, r, s)
			}
		}
	})
}
