// Package s3test runs a real S3-compatible server for a test: s3rver (the
// npm package, a Node.js server that keeps buckets as files), which
// scripts/setup installs beside nats-server and mailpit. A missing binary
// fails the test: it is never skipped. Each server listens on a loopback
// port of its own and keeps its buckets in the test's temporary directory.
package s3test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/riffle-sql/riffle/internal/testproc"
)

// The credentials s3rver accepts: it checks every request's signature
// against this key pair.
const (
	AccessKey = "S3RVER"
	SecretKey = "S3RVER"
	Region    = "us-east-1"
)

// StartTimeout bounds how long Start waits for the server to answer.
const StartTimeout = 30 * time.Second

// Server is a running s3rver.
type Server struct {
	URL    string     // http://127.0.0.1:PORT, the endpoint for path-style requests
	Client *s3.Client // a client of it
}

// Start runs an s3rver with the given buckets until the test ends. It
// fails the test if the binary is missing or the server does not answer.
func Start(t testing.TB, buckets ...string) *Server {
	t.Helper()
	bin, err := testproc.Binary("s3rver")
	if err != nil {
		t.Fatal(err)
	}
	return testproc.Retry(t, 3, "s3rver", func() (*Server, error) { return start(t, bin, buckets) })
}

// Env is the environment a process needs to reach this server with the
// AWS SDK's default chain (riffle serve also needs --aws-endpoint s3=URL
// or AWS_ENDPOINT_URL_S3, which Env sets too).
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + SecretKey,
		"AWS_REGION=" + Region,
		"AWS_ENDPOINT_URL_S3=" + s.URL,
	}
}

func start(t testing.TB, bin string, buckets []string) (*Server, error) {
	t.Helper()
	port, err := testproc.FreePort()
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	args := []string{"--directory", dir, "--address", "127.0.0.1", "--port", fmt.Sprint(port), "--silent", "--no-vhost-buckets"}
	for _, b := range buckets {
		args = append(args, "--configure-bucket", b)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	p, err := testproc.Start(t, cmd)
	if err != nil {
		return nil, err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := p.WaitReady(StartTimeout, testproc.HTTPReady(url+"/", http.StatusOK)); err != nil {
		return nil, err
	}
	return &Server{URL: url, Client: NewClient(url)}, nil
}

// NewClient is an SDK client of an S3-compatible endpoint with s3rver's
// credentials, path-style.
func NewClient(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		// s3rver returns no checksums: do not log each response.
		DisableLogOutputChecksumValidationSkipped: true,
	})
}

// CreateBucket makes a bucket.
func (s *Server) CreateBucket(t testing.TB, name string) {
	t.Helper()
	if _, err := s.Client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("s3test: create bucket %s: %v", name, err)
	}
}

// Put stores an object.
func (s *Server) Put(t testing.TB, bucket, key string, body []byte) {
	t.Helper()
	if _, err := s.Client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("s3test: put %s/%s: %v", bucket, key, err)
	}
}

// Objects reads every object of a bucket: key to content.
func (s *Server) Objects(t testing.TB, bucket string) map[string][]byte {
	t.Helper()
	objs, err := s.objects(context.Background(), bucket)
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return objs
}

func (s *Server) objects(ctx context.Context, bucket string) (map[string][]byte, error) {
	out := map[string][]byte{}
	pages := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", bucket, err)
		}
		for _, o := range page.Contents {
			got, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
			if err != nil {
				var nf interface{ ErrorCode() string }
				if errors.As(err, &nf) && nf.ErrorCode() == "NoSuchKey" {
					continue // deleted meanwhile
				}
				return nil, fmt.Errorf("get %s/%s: %w", bucket, *o.Key, err)
			}
			body, err := io.ReadAll(got.Body)
			got.Body.Close()
			if err != nil {
				return nil, fmt.Errorf("get %s/%s: %w", bucket, *o.Key, err)
			}
			out[*o.Key] = body
		}
	}
	return out, nil
}

// Keys lists a bucket's keys, sorted.
func (s *Server) Keys(t testing.TB, bucket string) []string {
	t.Helper()
	var keys []string
	for k := range s.Objects(t, bucket) {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Lines counts the lines (each with its newline) that objects hold
// together, gunzipping those whose keys end in .gz: how tests see the
// records a delivery stream archived, one a line. An object that does not
// decode is an error naming it.
func Lines(objects map[string][]byte) (map[string]int, error) {
	out := map[string]int{}
	for key, data := range objects {
		if strings.HasSuffix(key, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err == nil {
				data, err = io.ReadAll(zr)
			}
			if err != nil {
				return nil, fmt.Errorf("object %s is not GZIP: %w", key, err)
			}
		}
		for _, line := range strings.SplitAfter(string(data), "\n") {
			if line != "" {
				out[line]++
			}
		}
	}
	return out, nil
}
