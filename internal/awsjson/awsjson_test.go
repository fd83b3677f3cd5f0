package awsjson

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// raw sends a hand-made request, to check what SDKs would refuse to send.
func raw(t *testing.T, method, url, target, contentType string, body []byte, auth bool) (int, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Amz-Target", target)
	if auth {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/test/aws4_request, SignedHeaders=host;x-amz-target, Signature=00")
	}
	return send(t, req)
}

// TestRoutingAndErrors: operations are found by X-Amz-Target; what the
// front door refuses and what operations fail with comes in the AWS shape
// with the service's status; an error that is not an AWS one is an
// InternalFailure that tells nothing of the cause.
func TestRoutingAndErrors(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := New(Options{Metrics: reg})
	s.Register("Test_20260101", map[string]Operation{
		"Echo": func(ctx context.Context, body []byte) (any, error) {
			var got struct{ Name string }
			if err := Decode(body, &got); err != nil {
				return nil, err
			}
			if got.Name == "" {
				return nil, Validation("name", "", "Member must have length greater than or equal to 1")
			}
			return map[string]string{"Name": got.Name}, nil
		},
		"Missing": func(ctx context.Context, body []byte) (any, error) {
			return nil, Errorf(http.StatusBadRequest, "ResourceNotFoundException", "Thing %s not found.", "x")
		},
		"Broken": func(ctx context.Context, body []byte) (any, error) {
			return nil, errors.New("disk on fire at /secret/path")
		},
	})
	srv := httptest.NewServer(s)
	defer srv.Close()
	const json = "application/x-amz-json-1.1"
	for _, c := range []struct {
		name, method, target, contentType, body string
		auth                                    bool
		status                                  int
		kind, message                           string
	}{
		{"an operation", "POST", "Test_20260101.Echo", json, `{"Name":"a"}`, true, 200, "", ""},
		{"malformed JSON", "POST", "Test_20260101.Echo", json, `{"Name":`, true, 400, "SerializationException", "not valid JSON"},
		{"empty body is {}", "POST", "Test_20260101.Echo", json, ``, true, 400, "ValidationException", "1 validation error detected: Value '' at 'name'"},
		{"an operation's error", "POST", "Test_20260101.Missing", json, `{}`, true, 400, "ResourceNotFoundException", "Thing x not found."},
		{"a plain error", "POST", "Test_20260101.Broken", json, `{}`, true, 500, "InternalFailure", "see the server's log"},
		{"unknown operation", "POST", "Test_20260101.Explode", json, `{}`, true, 400, "UnknownOperationException", "Test_20260101.Explode"},
		{"unknown service", "POST", "Other_20260101.Echo", json, `{}`, true, 400, "UnknownOperationException", ""},
		{"GET", "GET", "Test_20260101.Echo", json, ``, true, 400, "UnknownOperationException", "POST"},
		{"missing auth", "POST", "Test_20260101.Echo", json, `{"Name":"a"}`, false, 403, "MissingAuthenticationTokenException", ""},
		{"CBOR", "POST", "Test_20260101.Echo", "application/x-amz-cbor-1.1", "\xa0", true, 400, "SerializationException", "AWS_CBOR_DISABLE"},
		{"too large", "POST", "Test_20260101.Echo", json, `{"Name":"` + strings.Repeat("a", maxBody) + `"}`, true, 413, "SerializationException", "larger than"},
	} {
		status, out := raw(t, c.method, srv.URL, c.target, c.contentType, []byte(c.body), c.auth)
		if status != c.status || out["__type"] != c.kind || c.kind != "" && !strings.Contains(out["message"], c.message) {
			t.Errorf("%s: %d %v, want %d %s saying %q", c.name, status, out, c.status, c.kind, c.message)
		}
		if c.kind == "InternalFailure" && strings.Contains(out["message"], "secret") {
			t.Errorf("%s: the answer tells the cause: %v", c.name, out)
		}
	}
	want := `# HELP riffle_ingest_errors_total Requests answered with an error, by error code.
# TYPE riffle_ingest_errors_total counter
riffle_ingest_errors_total{code="InternalFailure"} 1
riffle_ingest_errors_total{code="MissingAuthenticationTokenException"} 1
riffle_ingest_errors_total{code="ResourceNotFoundException"} 1
riffle_ingest_errors_total{code="SerializationException"} 3
riffle_ingest_errors_total{code="UnknownOperationException"} 3
riffle_ingest_errors_total{code="ValidationException"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "riffle_ingest_errors_total"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "riffle_ingest_request_seconds"); err != nil || n != 4 {
		t.Errorf("latency series %d (%v), want one per operation used and one for unknown ones: 4", n, err)
	}
}
