// Package s3store reads and writes the objects of buckets: an S3 bucket, on
// AWS or any S3-compatible server, through aws-sdk-go-v2, or the directory
// of the server that stands for one. Reference data sources read from it
// and Firehose delivery streams write to it.
//
// Which one a bucket is (Buckets): the directory DIR/BUCKET when it exists,
// as before S3 was supported; otherwise the S3 bucket when the server is
// set up for S3 (an S3 endpoint or an AWS region configured); otherwise
// the directory, created by the first write.
package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Client is S3 through the SDK: the default credential chain, the region
// and endpoint the SDK's configuration gives (or the one passed to Open),
// path-style addressing on a custom endpoint, as S3-compatible servers
// expect.
type Client struct {
	s3    *s3.Client
	where string
}

// The endpoint variables the SDK reads itself: their presence tells that
// S3 is somewhere else than AWS (and wants path-style requests).
var endpointVars = []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}

// Open makes a client from the SDK's default configuration (environment,
// shared files), with endpoint, when not "", as the S3 endpoint. It
// returns nil, and no error, when nothing says where S3 is: no endpoint
// (neither endpoint nor AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL) and no
// region. Nothing is sent: credentials are looked up at the first request.
func Open(ctx context.Context, endpoint string) (*Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("s3: the AWS SDK's configuration: %w", err)
	}
	custom := endpoint
	if custom == "" && os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") != "true" {
		for _, v := range endpointVars {
			if custom = os.Getenv(v); custom != "" {
				break
			}
		}
	}
	if custom == "" && cfg.Region == "" {
		return nil, nil
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // S3-compatible servers take any; requests must be signed for one
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = custom != ""
		// S3-compatible servers rarely return checksums; the SDK would log
		// each response it cannot check.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	where := "S3 in " + cfg.Region
	if custom != "" {
		where = "S3 at " + custom
	}
	return &Client{s3: c, where: where}, nil
}

// NewClient wraps an SDK client (tests, tools).
func NewClient(c *s3.Client, where string) *Client { return &Client{s3: c, where: where} }

// String says where the client sends its requests.
func (c *Client) String() string { return c.where }

// Get reads an object of at most max bytes.
func (c *Client) Get(ctx context.Context, bucket, key string, max int64) ([]byte, error) {
	out, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("s3://%s/%s (%s): %w", bucket, key, c.where, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("s3://%s/%s (%s): %w", bucket, key, c.where, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("s3://%s/%s: larger than %d bytes", bucket, key, max)
	}
	return data, nil
}

// Put writes an object (whole: S3 shows no partial object).
func (c *Client) Put(ctx context.Context, bucket, key string, body []byte) error {
	if _, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		return fmt.Errorf("s3://%s/%s (%s): %w", bucket, key, c.where, err)
	}
	return nil
}

// Buckets are the buckets a server reads and writes: the directory Dir
// ("" for none) and, when not nil, S3. See the package's comment for which
// one a bucket is.
type Buckets struct {
	Dir string
	S3  *Client
}

// ErrNoBuckets is a bucket the server has nowhere to keep: no directory
// and no S3.
var ErrNoBuckets = errors.New("this server has no buckets directory and no S3")

// inDir says whether bucket is the directory's: it has a folder of that
// name, or there is no S3 to go to.
func (b Buckets) inDir(bucket string) bool {
	if b.S3 == nil {
		return true
	}
	if b.Dir == "" {
		return false
	}
	info, err := os.Stat(filepath.Join(b.Dir, bucket))
	return err == nil && info.IsDir()
}

// Where says where a bucket is, for messages: its directory or its S3
// bucket.
func (b Buckets) Where(bucket string) string {
	if b.inDir(bucket) {
		if b.Dir == "" {
			return "nowhere (" + ErrNoBuckets.Error() + ")"
		}
		return filepath.Join(b.Dir, bucket)
	}
	return "s3://" + bucket + " (" + b.S3.String() + ")"
}

// Get reads an object of at most max bytes.
func (b Buckets) Get(ctx context.Context, bucket, key string, max int64) ([]byte, error) {
	if !b.inDir(bucket) {
		return b.S3.Get(ctx, bucket, key, max)
	}
	path, err := b.path(bucket, key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return data, nil
}

// Put writes an object whole: in the directory through a temporary file
// synced and renamed, so that a crash leaves the old object or the new,
// never part of one.
func (b Buckets) Put(ctx context.Context, bucket, key string, body []byte) error {
	if !b.inDir(bucket) {
		return b.S3.Put(ctx, bucket, key, body)
	}
	path, err := b.path(bucket, key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".riffle-tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// path is where bucket/key lives in the directory, refusing names that
// would leave it.
func (b Buckets) path(bucket, key string) (string, error) {
	if b.Dir == "" {
		return "", ErrNoBuckets
	}
	if bucket == "" || strings.ContainsAny(bucket, `/\`) || bucket == "." || bucket == ".." || key == "" || !filepath.IsLocal(key) || strings.HasSuffix(key, "/") {
		return "", fmt.Errorf("%s/%s is not a file under the buckets directory", bucket, key)
	}
	return filepath.Join(b.Dir, bucket, filepath.FromSlash(key)), nil
}
