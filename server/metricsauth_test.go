package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/server/servertest"
)

// TestUnderCredentialsMetricsAskForASignature: with credentials, /metrics
// (which names applications, streams and outputs) answers only a signed
// request, as every other path does; the server's Metrics handler, for a
// listener of its own, answers a scraper without one.
func TestUnderCredentialsMetricsAskForASignature(t *testing.T) {
	srv := servertest.Start(t, server.Config{Credentials: map[string]string{"AKIDEXAMPLE": "secret"}})
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Fatalf("unsigned /metrics: %s, want refused", resp.Status)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics?X-Amz-Expires=300", nil)
	url, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"},
		req, "UNSIGNED-PAYLOAD", "kinesisanalytics", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("signed /metrics: %s %s", resp.Status, b)
	}
	rec := httptest.NewRecorder()
	srv.Metrics.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "riffle_") {
		t.Fatalf("the Metrics handler: %d %.200s", rec.Code, rec.Body)
	}
}
