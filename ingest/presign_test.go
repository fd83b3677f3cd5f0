package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
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
	srv := guarded(t)
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

// TestAuthenticateCoversThePOSTBody: a POST to a guarded endpoint signed
// over its real body (as the SDKs and curl --aws-sigv4 sign) passes; one
// whose body differs from what was signed is refused.
func TestAuthenticateCoversThePOSTBody(t *testing.T) {
	srv := guarded(t)
	post := func(signedBody, sentBody string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/riffle/v1/generator/senders", strings.NewReader(sentBody))
		if signedBody == "" {
			req.ContentLength = 0 // sent chunked: Content-Length is not signed
		}
		sum := sha256.Sum256([]byte(signedBody))
		req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, req,
			hex.EncodeToString(sum[:]), "riffle", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	body := `{"name":"x","template":"{}","stream":"s","rate":1}`
	if code := post(body, body); code != http.StatusOK {
		t.Errorf("a POST signed over its body, as the SDKs sign: %d", code)
	}
	if code := post("", body); code == http.StatusOK {
		t.Errorf("a POST signed over an empty body, sent with another: let through")
	}
}

// guarded serves an OK handler behind Authenticate with one key.
func guarded(t *testing.T) *httptest.Server {
	s := New(nil, Options{Credentials: map[string]string{"AKID": "secret"}})
	srv := httptest.NewServer(s.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("ok"))
	})))
	t.Cleanup(srv.Close)
	return srv
}
