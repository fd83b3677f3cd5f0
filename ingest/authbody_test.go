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

// TestAuthenticateCoversThePOSTBody: a POST to a guarded endpoint signed
// over its real body (as the SDKs and curl --aws-sigv4 sign) passes; one
// whose body differs from what was signed is refused.
func TestAuthenticateCoversThePOSTBody(t *testing.T) {
	s := New(nil, Options{Credentials: map[string]string{"AKID": "secret"}})
	h := s.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body); w.Write([]byte("ok")) }))
	srv := httptest.NewServer(h)
	defer srv.Close()
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
