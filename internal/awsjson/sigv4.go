package awsjson

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
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

// mustSign refuses a signature that leaves out a header it must cover,
// with the error AWS gives.
func mustSign(signed []string, required []string, where string) error {
	for _, h := range required {
		if !slices.Contains(signed, h) {
			return Errorf(http.StatusBadRequest, "IncompleteSignatureException", "'%s' must be a 'SignedHeader' in %s.", http.CanonicalHeaderKey(h), where)
		}
	}
	return nil
}

// verify checks a request's signature against the known secrets; the
// signature must cover the required headers (lower case).
func (s *Server) verify(ctx context.Context, r *http.Request, body []byte, required []string) error {
	a, secret, at, err := s.checkHeader(r, required)
	if err != nil {
		return err
	}
	again, err := http.NewRequestWithContext(ctx, r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return fmt.Errorf("sigv4: rebuild the request: %w", err)
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
		return fmt.Errorf("sigv4: sign again: %w", err)
	}
	want, _ := parseAuthorization(again.Header.Get("Authorization"))
	if subtle.ConstantTimeCompare([]byte(want.signature), []byte(a.signature)) != 1 {
		return Errorf(http.StatusForbidden, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	}
	return nil
}

// maxPresigned is the longest life a presigned URL may ask for (X-Amz-Expires), as on AWS.
const maxPresigned = 7 * 24 * time.Hour

// verifyPresigned checks a presigned URL (query-string SigV4, unsigned
// payload) by presigning the same request again with the caller's secret.
// checkHeader is what verify checks of a request before its body: the
// Authorization header's form and signed headers, a key of this server,
// a date within 15 minutes. It returns the header, the key's secret and
// the signing time.
func (s *Server) checkHeader(r *http.Request, required []string) (authorization, string, time.Time, error) {
	a, ok := parseAuthorization(r.Header.Get("Authorization"))
	if !ok {
		return a, "", time.Time{}, Errorf(http.StatusBadRequest, "IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters")
	}
	if err := mustSign(a.signedHeaders, required, "the AWS Authorization"); err != nil {
		return a, "", time.Time{}, err
	}
	secret, known := s.opts.Credentials[a.accessKey]
	if !known {
		return a, "", time.Time{}, Errorf(http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid.")
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return a, "", time.Time{}, Errorf(http.StatusBadRequest, "IncompleteSignatureException", "X-Amz-Date is missing or not in the form 20060102T150405Z")
	}
	// A signature is good for 15 minutes either way, as AWS has it: a
	// captured request cannot be replayed later.
	now := s.opts.Clock.Now()
	if skew := now.Sub(at); skew > maxSkew || skew < -maxSkew || a.date != at.Format("20060102") {
		return a, "", time.Time{}, Errorf(http.StatusBadRequest, "InvalidSignatureException", "Signature expired: %s is not within 15 minutes of the server's time %s", at.Format("20060102T150405Z"), now.UTC().Format("20060102T150405Z"))
	}
	return a, secret, at, nil
}

func (s *Server) verifyPresigned(ctx context.Context, r *http.Request) error {
	q := r.URL.Query()
	bad := func(msg string) error {
		return Errorf(http.StatusBadRequest, "IncompleteSignatureException", "%s", msg)
	}
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		return bad("X-Amz-Algorithm must be AWS4-HMAC-SHA256")
	}
	signedHeaders := strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	if err := mustSign(signedHeaders, plainSigned, "X-Amz-SignedHeaders"); err != nil {
		return err
	}
	scope := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return bad("X-Amz-Credential is not ACCESS_KEY/DATE/REGION/SERVICE/aws4_request")
	}
	secret, known := s.opts.Credentials[scope[0]]
	if !known {
		return Errorf(http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid.")
	}
	at, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil || at.Format("20060102") != scope[1] {
		return bad("X-Amz-Date is missing, malformed or not the credential's date")
	}
	seconds, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	expires := time.Duration(seconds) * time.Second
	if err != nil || expires <= 0 || expires > maxPresigned {
		return bad("X-Amz-Expires must be 1 to 604800 seconds")
	}
	if now := s.opts.Clock.Now(); now.Before(at.Add(-maxSkew)) || now.After(at.Add(expires)) {
		return Errorf(http.StatusForbidden, "InvalidSignatureException", "the presigned URL has expired or is not valid yet")
	}
	unsigned := *r.URL
	rest := r.URL.Query()
	rest.Del("X-Amz-Signature")
	unsigned.RawQuery = rest.Encode()
	again, err := http.NewRequestWithContext(ctx, r.Method, "http://"+r.Host+unsigned.RequestURI(), nil)
	if err != nil {
		return fmt.Errorf("sigv4: rebuild the presigned request: %w", err)
	}
	again.Host = r.Host
	for _, h := range signedHeaders {
		if h != "host" && h != "" {
			again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	creds := aws.Credentials{AccessKeyID: scope[0], SecretAccessKey: secret}
	signed, _, err := v4.NewSigner().PresignHTTP(ctx, creds, again, "UNSIGNED-PAYLOAD", scope[3], scope[2], at)
	if err != nil {
		return fmt.Errorf("sigv4: presign again: %w", err)
	}
	u, err := url.Parse(signed)
	if err != nil {
		return fmt.Errorf("sigv4: the presigned URL: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(u.Query().Get("X-Amz-Signature")), []byte(q.Get("X-Amz-Signature"))) != 1 {
		return Errorf(http.StatusForbidden, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	}
	return nil
}

// plainSigned are the headers a signature of a plain request must cover.
var plainSigned = []string{"host"}

// maxGuardedBody bounds the body of a request Authenticate checks.
const maxGuardedBody = 1 << 20

// Authenticate guards a plain HTTP handler (the stream tap, the console's
// endpoints) with the same signature check as the API when the server has
// credentials, so a server bound beyond loopback leaks nothing. A header
// signature covers the body; a presigned URL (for an EventSource, which
// cannot set headers) is taken for GET only, its payload being unsigned.
// With or without credentials, a request another site's page makes is
// refused (the browser says so in Sec-Fetch-Site), so a page on the web
// cannot drive a server on loopback.
func (s *Server) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			(&apiError{status: http.StatusForbidden, kind: "AccessDeniedException", msg: "requests from other sites' pages are refused"}).write(w)
			return
		}
		if s.opts.Credentials != nil {
			verify := func() error {
				if _, _, _, err := s.checkHeader(r, plainSigned); err != nil {
					return err // before the body: unsigned requests cost only their headers
				}
				release, err := s.reserve(r.ContentLength, maxGuardedBody)
				if err != nil {
					return err
				}
				defer release() // held while checked; the handler's use of it after (at most 1 MiB) is not counted
				body, err := io.ReadAll(io.LimitReader(r.Body, maxGuardedBody+1))
				if err != nil {
					return Errorf(http.StatusBadRequest, "SerializationException", "reading the request: %v", err)
				}
				if len(body) > maxGuardedBody {
					return Errorf(http.StatusRequestEntityTooLarge, "SerializationException", "the body is over %d bytes", maxGuardedBody)
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
				return s.verify(r.Context(), r, body, plainSigned)
			}
			if r.URL.Query().Has("X-Amz-Signature") {
				if r.Method != http.MethodGet {
					(&apiError{status: http.StatusForbidden, kind: "AccessDeniedException", msg: "a presigned URL is for GET only; sign other requests in the Authorization header"}).write(w)
					return
				}
				verify = func() error { return s.verifyPresigned(r.Context(), r) }
			}
			if err := verify(); err != nil {
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
