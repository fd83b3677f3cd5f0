package ingest

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Signature Version 4, checked by signing the request again with the
// caller's secret (the AWS SDK's own signer) over exactly the headers the
// caller signed, and comparing the signatures.

type authorization struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

func parseAuthorization(h string) (authorization, bool) {
	var a authorization
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return a, false
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			scope := strings.Split(v, "/")
			if len(scope) != 5 || scope[4] != "aws4_request" {
				return a, false
			}
			a.accessKey, a.date, a.region, a.service = scope[0], scope[1], scope[2], scope[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	return a, a.accessKey != "" && a.signature != "" && len(a.signedHeaders) > 0
}

// maxSkew is how far a request's signing time may be from the server's.
const maxSkew = 15 * time.Minute

// verify checks a request's signature against the known secrets.
func (s *Server) verify(ctx context.Context, r *http.Request, body []byte) error {
	a, ok := parseAuthorization(r.Header.Get("Authorization"))
	if !ok {
		return errorf(http.StatusBadRequest, "IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters")
	}
	secret, known := s.opts.Credentials[a.accessKey]
	if !known {
		return errorf(http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid.")
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return errorf(http.StatusBadRequest, "IncompleteSignatureException", "X-Amz-Date is missing or not in the form 20060102T150405Z")
	}
	// A signature is good for 15 minutes either way, as AWS has it: a
	// captured request cannot be replayed later.
	if skew := time.Since(at); skew > maxSkew || skew < -maxSkew || a.date != at.Format("20060102") {
		return errorf(http.StatusBadRequest, "InvalidSignatureException", "Signature expired: %s is not within 15 minutes of the server's time %s", at.Format("20060102T150405Z"), time.Now().UTC().Format("20060102T150405Z"))
	}
	again, err := http.NewRequestWithContext(ctx, r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return err
	}
	again.Host = r.Host
	for _, h := range a.signedHeaders {
		switch h {
		case "host":
		case "content-length":
			again.ContentLength = int64(len(body))
		default:
			again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: a.accessKey, SecretAccessKey: secret, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := v4.NewSigner().SignHTTP(ctx, creds, again, hex.EncodeToString(sum[:]), a.service, a.region, at); err != nil {
		return err
	}
	want, _ := parseAuthorization(again.Header.Get("Authorization"))
	if subtle.ConstantTimeCompare([]byte(want.signature), []byte(a.signature)) != 1 {
		return errorf(http.StatusForbidden, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	}
	return nil
}

// Authenticate guards a plain HTTP handler (such as the stream tap, a GET
// without a body) with the same signature check as the API when the server
// has credentials, so a server bound beyond loopback leaks nothing.
func (s *Server) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.Credentials != nil {
			if err := s.verify(r.Context(), r, nil); err != nil {
				var ae *apiError
				if !errors.As(err, &ae) {
					ae = &apiError{status: http.StatusInternalServerError, kind: "InternalFailure", msg: err.Error()}
				}
				ae.write(w)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
