package server_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/internal/promscrape"
	"github.com/riffle-sql/riffle/internal/s3test"
	"github.com/riffle-sql/riffle/s3delivery"
	"github.com/riffle-sql/riffle/s3store"
	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/server/servertest"
)

// archive creates delivery stream "raw" archiving to bucket "lake" (GZIP,
// 1 MB or 1 s buffers, under weblogs/raw/) and sends it 2,000 records
// through the SDK; it returns the records acknowledged.
func archive(t *testing.T, srv *servertest.Server) map[string]bool {
	t.Helper()
	c := srv.Clients("AKIDEXAMPLE", "secret")
	ctx := context.Background()
	if _, err := c.Firehose.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String("raw"),
		ExtendedS3DestinationConfiguration: &fhtypes.ExtendedS3DestinationConfiguration{
			RoleARN: aws.String("arn:aws:iam::123456789012:role/firehose"), BucketARN: aws.String("arn:aws:s3:::lake"),
			Prefix:            aws.String("weblogs/raw/"),
			BufferingHints:    &fhtypes.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(1)},
			CompressionFormat: fhtypes.CompressionFormatGzip,
		},
	}); err != nil {
		t.Fatal(err)
	}
	acked := map[string]bool{}
	for b := range 40 {
		var recs []fhtypes.Record
		var sent []string
		for i := range 50 {
			rec := fmt.Sprintf(`{"browseraction":"Click","n":"%02d-%02d","pad":"%s"}`+"\n", b, i, strings.Repeat("x", 600))
			recs = append(recs, fhtypes.Record{Data: []byte(rec)})
			sent = append(sent, rec)
		}
		out, err := c.Firehose.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("raw"), Records: recs})
		if err != nil || aws.ToInt32(out.FailedPutCount) != 0 {
			t.Fatalf("PutRecordBatch: %v %v", out, err)
		}
		for _, r := range sent {
			acked[r] = true
		}
	}
	return acked
}

// objectKey is the service's name of an object of delivery stream "raw":
// the prefix, the hour of its oldest record (UTC), then the stream, its
// version, the time again and a UUID, .gz for GZIP.
var objectKey = regexp.MustCompile(`^weblogs/raw/(\d{4})/(\d\d)/(\d\d)/(\d\d)/raw-1-(\d{4})-(\d\d)-(\d\d)-(\d\d)-\d\d-\d\d-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.gz$`)

// checkArchive checks a bucket's objects: each under the prefix, named as
// the service names them (the hour in its path that of its name, between
// from and to); together they hold every acknowledged record once. It
// says what is missing so far (an object being written may not decode
// yet).
func checkArchive(t *testing.T, objs map[string][]byte, acked map[string]bool, from, to time.Time) (bool, string) {
	t.Helper()
	for key := range objs {
		m := objectKey.FindStringSubmatch(key)
		if m == nil {
			t.Fatalf("object %q is not named as the service names objects (%s)", key, objectKey)
		}
		hour, err := time.Parse("2006010215", m[1]+m[2]+m[3]+m[4])
		if err != nil || m[1]+m[2]+m[3]+m[4] != m[5]+m[6]+m[7]+m[8] || hour.Before(from.Truncate(time.Hour)) || hour.After(to) {
			t.Fatalf("object %q: its hour is not its first record's, between %v and %v", key, from, to)
		}
	}
	seen, err := s3test.Lines(objs)
	if err != nil {
		return false, err.Error()
	}
	for rec, n := range seen {
		if !acked[rec] || n > 1 {
			t.Fatalf("record %.40q... is in the bucket %d times (acknowledged: %v)", rec, n, acked[rec])
		}
	}
	return len(seen) == len(acked), fmt.Sprintf("%d of %d records in %d objects", len(seen), len(acked), len(objs))
}

// TestDeliveryStreamsArchiveToS3: a delivery stream created with an
// ExtendedS3DestinationConfiguration through the SDK writes what it is
// sent to the bucket of a real S3-compatible server, in GZIP objects under
// the prefix and the service's names, every acknowledged record exactly
// once; /metrics counts the records delivered.
func TestDeliveryStreamsArchiveToS3(t *testing.T) {
	s3srv := s3test.Start(t, "lake")
	srv := servertest.Start(t, server.Config{Apps: app.Options{S3: s3store.NewClient(s3srv.Client, s3srv.URL)},
		Deliveries: s3delivery.Options{Poll: 20 * time.Millisecond}})
	from := time.Now().UTC()
	acked := archive(t, srv)
	poll.Until(t, time.Minute, func() (bool, string) {
		return checkArchive(t, s3srv.Objects(t, "lake"), acked, from, time.Now().UTC())
	})
	if n := promscrape.Series(t, srv.URL)[`riffle_firehose_s3_records_total{stream="raw"}`]; n != 2000 {
		t.Errorf("/metrics counts %v records delivered, want 2000", n)
	}
}

// TestDeliveryStreamsArchiveToTheDataDirectoryByDefault: a server not set
// up for S3 writes the same objects to its buckets directory,
// DATA/buckets/BUCKET/KEY.
func TestDeliveryStreamsArchiveToTheDataDirectoryByDefault(t *testing.T) {
	dir := t.TempDir()
	srv := servertest.Start(t, server.Config{Data: dir, Deliveries: s3delivery.Options{Poll: 20 * time.Millisecond}})
	from := time.Now().UTC()
	acked := archive(t, srv)
	root := filepath.Join(dir, "buckets", "lake")
	poll.Until(t, time.Minute, func() (bool, string) {
		objs := map[string][]byte{}
		filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() && !strings.HasPrefix(e.Name(), ".riffle-tmp-") {
				data, _ := os.ReadFile(path)
				rel, _ := filepath.Rel(root, path)
				objs[filepath.ToSlash(rel)] = data
			}
			return nil
		})
		return checkArchive(t, objs, acked, from, time.Now().UTC())
	})
}
