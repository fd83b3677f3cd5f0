package ingest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestAPresignedURLOpensAnAuthenticatedGET: with credentials, a GET (the
// console's EventSource, which cannot set headers) passes with a URL
// presigned by the AWS SDK's own signer, and not with a wrong secret, an
// altered query or an expired URL.
func TestAPresignedURLOpensAnAuthenticatedGET(t *testing.T) {
	s := New(nil, Options{Credentials: map[string]string{"AKID": "secret"}})
	h := s.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	srv := httptest.NewServer(h)
	defer srv.Close()
	presign := func(secret, path string, at time.Time, expires string) string {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		q := req.URL.Query()
		q.Set("X-Amz-Expires", expires)
		req.URL.RawQuery = q.Encode()
		signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: secret}, req, "UNSIGNED-PAYLOAD", "kinesisanalytics", "us-east-1", at)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	get := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	now := time.Now().UTC()
	good := presign("secret", "/riffle/v1/applications/lab/streams/CTR?follow=false", now, "300")
	if code := get(good); code != http.StatusOK {
		t.Errorf("a good presigned URL: %d", code)
	}
	for what, url := range map[string]string{
		"wrong secret":   presign("nope", "/riffle/v1/applications/lab/streams/CTR", now, "300"),
		"altered query":  strings.Replace(good, "follow=false", "follow=true", 1),
		"expired":        presign("secret", "/riffle/v1/applications/lab/streams/CTR", now.Add(-10*time.Minute), "60"),
		"no credentials": srv.URL + "/riffle/v1/applications/lab/streams/CTR",
	} {
		if code := get(url); code == http.StatusOK {
			t.Errorf("%s: let through", what)
		}
	}
}
