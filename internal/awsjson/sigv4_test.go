package awsjson

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/smithy-go"
	"github.com/jonboulle/clockwork"
)

// front serves a stand-in for Firehose behind a front door with one key:
// its operations only count their calls, so the AWS SDK's own client can
// drive the front door without a log.
func front(t *testing.T, opts Options) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	calls := new(atomic.Int32)
	s := New(opts)
	answer := func(ctx context.Context, body []byte) (any, error) {
		calls.Add(1)
		return map[string]string{"DeliveryStreamARN": "arn:aws:firehose:us-east-1:000000000000:deliverystream/s"}, nil
	}
	s.Register("Firehose_20150804", map[string]Operation{"CreateDeliveryStream": answer, "DeleteDeliveryStream": answer})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, calls
}

var oneKey = map[string]string{"AKIDEXAMPLE": "the-secret"}

// signed makes a CreateDeliveryStream request signed by the AWS SDK's
// signer at a time; sign may change the request before it is signed.
func signed(t *testing.T, url string, at time.Time, before func(*http.Request)) *http.Request {
	t.Helper()
	body := []byte(`{"DeliveryStreamName":"s"}`)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("X-Amz-Target", "Firehose_20150804.CreateDeliveryStream")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if before != nil {
		before(req)
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "the-secret"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "firehose", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return req
}

// send sends a request and returns its status and error body.
func send(t *testing.T, req *http.Request) (int, map[string]string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestSignaturesAreCheckedWithCredentials(t *testing.T) {
	srv, calls := front(t, Options{Credentials: oneKey})
	client := func(key, secret string) *firehose.Client {
		return firehose.New(firehose.Options{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
			Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")})
	}
	ctx := context.Background()
	if _, err := client("AKIDEXAMPLE", "the-secret").CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("s")}); err != nil {
		t.Fatalf("a correct signature was refused: %v", err)
	}
	for _, c := range []struct{ key, secret, code string }{
		{"AKIDEXAMPLE", "a-wrong-secret", "InvalidSignatureException"},
		{"AKIDUNKNOWN", "the-secret", "UnrecognizedClientException"},
	} {
		_, err := client(c.key, c.secret).CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("t")})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != c.code {
			t.Errorf("key %s secret %s: %v, want %s", c.key, c.secret, err, c.code)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the operation ran %d times, want once: refused requests reached it", n)
	}
}

// TestAnOldSignatureIsRefused: a request signed 20 minutes before the
// server's time (a captured request replayed) is refused, though its
// signature is right; one signed a minute before passes.
func TestAnOldSignatureIsRefused(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	srv, _ := front(t, Options{Credentials: oneKey, Clock: clockwork.NewFakeClockAt(now)})
	for _, c := range []struct {
		age  time.Duration
		want int
	}{{time.Minute, http.StatusOK}, {-time.Minute, http.StatusOK}, {20 * time.Minute, http.StatusBadRequest}, {-20 * time.Minute, http.StatusBadRequest}} {
		status, out := send(t, signed(t, srv.URL, now.Add(-c.age), nil))
		if status != c.want || c.want != http.StatusOK && out["__type"] != "InvalidSignatureException" {
			t.Errorf("signed %v before the server's time: %d %v, want %d", c.age, status, out, c.want)
		}
	}
}

// TestASignatureMustCoverHostAndTarget: a signature that leaves the host
// out could be replayed at another server, and one that leaves the
// X-Amz-Target out could be replayed as another operation on the same
// body (DescribeDeliveryStream as DeleteDeliveryStream); both are refused
// as AWS refuses them, before the operation runs.
func TestASignatureMustCoverHostAndTarget(t *testing.T) {
	now := time.Now()
	srv, calls := front(t, Options{Credentials: oneKey})
	if status, out := send(t, signed(t, srv.URL, now, nil)); status != http.StatusOK {
		t.Fatalf("a request the SDK signed: %d %v", status, out)
	}
	calls.Store(0)
	noHost := signed(t, srv.URL, now, nil)
	noHost.Header.Set("Authorization", strings.Replace(noHost.Header.Get("Authorization"), ";host;", ";", 1))
	if !strings.Contains(noHost.Header.Get("Authorization"), "SignedHeaders=") || strings.Contains(noHost.Header.Get("Authorization"), "host") {
		t.Fatalf("the test did not take host out: %s", noHost.Header.Get("Authorization"))
	}
	status, out := send(t, noHost)
	if status != http.StatusBadRequest || out["__type"] != "IncompleteSignatureException" || !strings.Contains(out["message"], "'Host' must be a 'SignedHeader'") {
		t.Errorf("SignedHeaders without host: %d %v", status, out)
	}
	// Signed without the target, which is then added: the SDK's signer
	// signs every header it is given, so the target was not there.
	noTarget := signed(t, srv.URL, now, func(r *http.Request) { r.Header.Del("X-Amz-Target") })
	noTarget.Header.Set("X-Amz-Target", "Firehose_20150804.DeleteDeliveryStream")
	if a := noTarget.Header.Get("Authorization"); strings.Contains(a, "x-amz-target") || !regexp.MustCompile(`SignedHeaders=[^,]*host`).MatchString(a) {
		t.Fatalf("the test signed the target or not the host: %s", a)
	}
	status, out = send(t, noTarget)
	if status != http.StatusBadRequest || out["__type"] != "IncompleteSignatureException" || !strings.Contains(out["message"], "'X-Amz-Target' must be a 'SignedHeader'") {
		t.Errorf("SignedHeaders without x-amz-target: %d %v", status, out)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("refused requests ran the operation %d times", n)
	}
}

// TestWithoutCredentialsAnyWellFormedSignaturePasses: as local emulators
// do (riffle serve on loopback without --auth).
func TestWithoutCredentialsAnyWellFormedSignaturePasses(t *testing.T) {
	srv, calls := front(t, Options{})
	for i, key := range []string{"AKIDEXAMPLE", "anyone"} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{}`))
		req.Header.Set("X-Amz-Target", "Firehose_20150804.CreateDeliveryStream")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+key+"/20260101/us-east-1/firehose/aws4_request, SignedHeaders=host, Signature="+strconv.Itoa(i))
		if status, out := send(t, req); status != http.StatusOK {
			t.Errorf("key %s: %d %v", key, status, out)
		}
	}
	if calls.Load() != 2 {
		t.Errorf("calls %d, want 2", calls.Load())
	}
}
