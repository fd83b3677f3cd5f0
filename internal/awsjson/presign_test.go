package awsjson

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

// presign makes a URL presigned by the AWS SDK's own signer.
func presign(t *testing.T, secret, url string, at time.Time, expires string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	q := req.URL.Query()
	q.Set("X-Amz-Expires", expires)
	req.URL.RawQuery = q.Encode()
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: secret}, req, "UNSIGNED-PAYLOAD", "kinesisanalytics", "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// get fetches a URL and returns the status and the error's __type.
func get(t *testing.T, url string, header ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType")
}

// TestAPresignedURLOpensAnAuthenticatedGET: with credentials, a GET (the
// console's EventSource, which cannot set headers) passes with a URL
// presigned by the AWS SDK's own signer, and not with a wrong secret, an
// altered query or an expired URL.
func TestAPresignedURLOpensAnAuthenticatedGET(t *testing.T) {
	srv := guarded(t)
	now := time.Now().UTC()
	good := presign(t, "secret", srv.URL+"/riffle/v1/applications/lab/streams/CTR?follow=false", now, "300")
	if code, _ := get(t, good); code != http.StatusOK {
		t.Errorf("a good presigned URL: %d", code)
	}
	for what, url := range map[string]string{
		"wrong secret":   presign(t, "nope", srv.URL+"/riffle/v1/applications/lab/streams/CTR", now, "300"),
		"altered query":  strings.Replace(good, "follow=false", "follow=true", 1),
		"expired":        presign(t, "secret", srv.URL+"/riffle/v1/applications/lab/streams/CTR", now.Add(-10*time.Minute), "60"),
		"no credentials": srv.URL + "/riffle/v1/applications/lab/streams/CTR",
	} {
		if code, _ := get(t, url); code == http.StatusOK {
			t.Errorf("%s: let through", what)
		}
	}
}

// TestAPresignedURLMustSignTheHost: a presigned URL whose
// X-Amz-SignedHeaders leaves out host is refused, though its signature is
// the one the SDK made.
func TestAPresignedURLMustSignTheHost(t *testing.T) {
	srv := guarded(t)
	good := presign(t, "secret", srv.URL+"/riffle/v1/applications/lab/streams/CTR", time.Now().UTC(), "300")
	if !strings.Contains(good, "X-Amz-SignedHeaders=host") {
		t.Fatalf("the SDK signed other headers: %s", good)
	}
	for _, signedHeaders := range []string{"X-Amz-SignedHeaders=", "X-Amz-SignedHeaders=x-amz-date"} {
		code, kind := get(t, strings.Replace(good, "X-Amz-SignedHeaders=host", signedHeaders, 1))
		if code != http.StatusBadRequest || kind != "IncompleteSignatureException" {
			t.Errorf("%s: %d %s, want 400 IncompleteSignatureException", signedHeaders, code, kind)
		}
	}
}

// TestAPresignedURLIsForGETOnly: its payload is unsigned, so a POST with
// one is refused, signature good or not.
func TestAPresignedURLIsForGETOnly(t *testing.T) {
	srv := guarded(t)
	url := presign(t, "secret", srv.URL+"/riffle/v1/generator/senders", time.Now().UTC(), "300")
	resp, err := http.Post(url, "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != "AccessDeniedException" {
		t.Errorf("a presigned POST: %s %s", resp.Status, resp.Header.Get("X-Amzn-ErrorType"))
	}
}

// TestAnotherSitesPageIsRefused: a request the browser marks cross-site
// is refused even without credentials (a page on the web must not drive
// a server on loopback); same-site requests pass.
func TestAnotherSitesPageIsRefused(t *testing.T) {
	s := New(Options{})
	srv := httptest.NewServer(s.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })))
	defer srv.Close()
	if code, kind := get(t, srv.URL, "Sec-Fetch-Site", "cross-site"); code != http.StatusForbidden || kind != "AccessDeniedException" {
		t.Errorf("cross-site: %d %s", code, kind)
	}
	if code, _ := get(t, srv.URL, "Sec-Fetch-Site", "same-origin"); code != http.StatusOK {
		t.Errorf("same-origin: %d", code)
	}
}

// postSigned posts body to a guarded path, signed by the SDK's signer
// over signedBody; edit may change the Authorization header.
func postSigned(t *testing.T, url, signedBody, sentBody string, edit func(string) string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/riffle/v1/generator/senders", strings.NewReader(sentBody))
	if signedBody == "" {
		req.ContentLength = 0 // sent chunked: Content-Length is not signed
	}
	sum := sha256.Sum256([]byte(signedBody))
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, req,
		hex.EncodeToString(sum[:]), "riffle", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		req.Header.Set("Authorization", edit(req.Header.Get("Authorization")))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestAuthenticateCoversThePOSTBody: a POST to a guarded endpoint signed
// over its real body (as the SDKs and curl --aws-sigv4 sign) passes; one
// whose body differs from what was signed is refused, and so is one
// whose signature leaves out the host.
func TestAuthenticateCoversThePOSTBody(t *testing.T) {
	srv := guarded(t)
	body := `{"name":"x","template":"{}","stream":"s","rate":1}`
	if code := postSigned(t, srv.URL, body, body, nil); code != http.StatusOK {
		t.Errorf("a POST signed over its body, as the SDKs sign: %d", code)
	}
	if code := postSigned(t, srv.URL, "", body, nil); code == http.StatusOK {
		t.Errorf("a POST signed over an empty body, sent with another: let through")
	}
	noHost := func(a string) string { return strings.Replace(a, ";host;", ";", 1) }
	if code := postSigned(t, srv.URL, body, body, noHost); code != http.StatusBadRequest {
		t.Errorf("a POST whose SignedHeaders leave out host: %d, want 400", code)
	}
}

// guarded serves an OK handler behind Authenticate with one key.
func guarded(t *testing.T) *httptest.Server {
	s := New(Options{Credentials: map[string]string{"AKID": "secret"}})
	srv := httptest.NewServer(s.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("ok"))
	})))
	t.Cleanup(srv.Close)
	return srv
}
