package awsjson

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzSignature: no Authorization header, date or presigned query makes
// the signature check panic or answer 5xx; every refusal is in the AWS
// shape, and nothing unsigned reaches an operation or a guarded handler.
//
//	go test -run '^$' -fuzz FuzzSignature -fuzztime 1m ./internal/awsjson
func FuzzSignature(f *testing.F) {
	for _, seed := range [][2]string{
		{"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/firehose/aws4_request, SignedHeaders=host;x-amz-target, Signature=00", "20260101T000000Z"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/firehose/aws4_request, SignedHeaders=, Signature=", ""},
		{"AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host;content-length;x-amz-target, Signature=zz", "not a date"},
		{"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Friffle%2Faws4_request&X-Amz-SignedHeaders=host&X-Amz-Expires=300&X-Amz-Signature=00", "20260101T000000Z"},
	} {
		f.Add(seed[0], seed[1])
	}
	s := New(Options{Credentials: map[string]string{"AKID": "secret"}})
	reached := false
	s.Register("Firehose_20150804", map[string]Operation{"PutRecord": func(ctx context.Context, body []byte) (any, error) {
		reached = true
		return struct{}{}, nil
	}})
	guarded := s.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }))
	f.Fuzz(func(t *testing.T, auth, date string) {
		reached = false
		post := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
		post.Header.Set("X-Amz-Target", "Firehose_20150804.PutRecord")
		post.Header.Set("Authorization", auth)
		post.Header.Set("X-Amz-Date", date)
		get := httptest.NewRequest(http.MethodGet, "/tap", nil)
		get.URL.RawQuery = auth + "&X-Amz-Date=" + date
		for _, c := range []struct {
			h   http.Handler
			req *http.Request
		}{{s, post}, {guarded, get}} {
			rec := httptest.NewRecorder()
			c.h.ServeHTTP(rec, c.req)
			var e map[string]string
			if rec.Code >= 500 || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e["__type"] == "" || e["message"] == "" || reached {
				t.Fatalf("%s %q %q: %d %s (reached %v)", c.req.Method, auth, date, rec.Code, rec.Body, reached)
			}
		}
	})
}
