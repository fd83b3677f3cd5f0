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
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/riffle-sql/riffle/awsclients"
)

// Client is S3 through the SDK, as awsclients.Factory configures it.
type Client struct {
	s3    *s3.Client
	where string
}

// Open makes a client of the factory's S3 (the default credential chain,
// the region and endpoint the configuration gives, path-style addressing
// on an endpoint that is not AWS's). It returns nil, and no error, when
// nothing says where S3 is: no endpoint (neither --aws-endpoint s3=URL nor
// AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL) and no region. Nothing is sent:
// credentials are looked up at the first request.
func Open(ctx context.Context, f *awsclients.Factory) (*Client, error) {
	c, where, err := f.S3(ctx)
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	if c == nil {
		return nil, nil
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
