package ingest

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
)

const lakeRole = "arn:aws:iam::123456789012:role/firehose"

// TestS3DestinationsAreCreatedAndDescribedAsTheServiceDoes: a delivery
// stream created through the SDK with ExtendedS3DestinationConfiguration
// (or the deprecated S3DestinationConfiguration) describes it back under
// Destinations, with the service's defaults (5 MB, 300 s, UNCOMPRESSED);
// without one it has no destination, as before.
func TestS3DestinationsAreCreatedAndDescribedAsTheServiceDoes(t *testing.T) {
	srv, _ := newServer(t)
	fh := firehoseClient(srv.URL)
	ctx := context.Background()
	if _, err := fh.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String("raw"),
		ExtendedS3DestinationConfiguration: &types.ExtendedS3DestinationConfiguration{
			RoleARN: aws.String(lakeRole), BucketARN: aws.String("arn:aws:s3:::lake"),
			Prefix: aws.String("weblogs/raw/"), ErrorOutputPrefix: aws.String("weblogs/failed/!{firehose:error-output-type}/"),
			BufferingHints:    &types.BufferingHints{SizeInMBs: aws.Int32(50), IntervalInSeconds: aws.Int32(60)},
			CompressionFormat: types.CompressionFormatGzip,
		},
	}); err != nil {
		t.Fatal(err)
	}
	out, err := fh.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("raw")})
	if err != nil {
		t.Fatal(err)
	}
	dests := out.DeliveryStreamDescription.Destinations
	if len(dests) != 1 || aws.ToString(dests[0].DestinationId) != "destinationId-000000000001" || dests[0].ExtendedS3DestinationDescription == nil || dests[0].S3DestinationDescription == nil {
		t.Fatalf("destinations %+v", dests)
	}
	ext := dests[0].ExtendedS3DestinationDescription
	if aws.ToString(ext.BucketARN) != "arn:aws:s3:::lake" || aws.ToString(ext.RoleARN) != lakeRole || aws.ToString(ext.Prefix) != "weblogs/raw/" ||
		aws.ToString(ext.ErrorOutputPrefix) != "weblogs/failed/!{firehose:error-output-type}/" ||
		aws.ToInt32(ext.BufferingHints.SizeInMBs) != 50 || aws.ToInt32(ext.BufferingHints.IntervalInSeconds) != 60 ||
		ext.CompressionFormat != types.CompressionFormatGzip || ext.S3BackupMode != types.S3BackupModeDisabled ||
		ext.EncryptionConfiguration.NoEncryptionConfig != types.NoEncryptionConfigNoEncryption {
		t.Errorf("ExtendedS3DestinationDescription %+v", ext)
	}
	if s := dests[0].S3DestinationDescription; aws.ToString(s.BucketARN) != "arn:aws:s3:::lake" || s.CompressionFormat != types.CompressionFormatGzip {
		t.Errorf("S3DestinationDescription %+v", s)
	}

	if _, err := fh.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{
		DeliveryStreamName:         aws.String("old-style"),
		S3DestinationConfiguration: &types.S3DestinationConfiguration{RoleARN: aws.String(lakeRole), BucketARN: aws.String("arn:aws:s3:::lake")},
	}); err != nil {
		t.Fatal(err)
	}
	out, err = fh.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("old-style")})
	if err != nil {
		t.Fatal(err)
	}
	if ext := out.DeliveryStreamDescription.Destinations[0].ExtendedS3DestinationDescription; aws.ToInt32(ext.BufferingHints.SizeInMBs) != 5 ||
		aws.ToInt32(ext.BufferingHints.IntervalInSeconds) != 300 || ext.CompressionFormat != types.CompressionFormatUncompressed || ext.Prefix != nil {
		t.Errorf("defaults: %+v %+v", ext, ext.BufferingHints)
	}

	if _, err := fh.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("plain")}); err != nil {
		t.Fatal(err)
	}
	out, err = fh.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("plain")})
	if err != nil || len(out.DeliveryStreamDescription.Destinations) != 0 {
		t.Fatalf("a stream without a destination: %+v %v", out, err)
	}
}

// TestS3DestinationsAreCheckedAsTheServiceChecksThem: the fields'
// constraints answer ValidationException, the prefix rules and what Riffle
// does not do InvalidArgumentException, and a refused request creates no
// stream.
func TestS3DestinationsAreCheckedAsTheServiceChecksThem(t *testing.T) {
	srv, l := newServer(t)
	const (
		role   = `"RoleARN":"` + lakeRole + `"`
		bucket = `"BucketARN":"arn:aws:s3:::lake"`
	)
	for _, c := range []struct{ name, config, kind, says string }{
		{"no role", `{` + bucket + `}`, "ValidationException", "roleARN"},
		{"no bucket", `{` + role + `}`, "ValidationException", "bucketARN"},
		{"a bucket that is no ARN", `{` + role + `,"BucketARN":"lake"}`, "ValidationException", "bucketARN"},
		{"a role that is no ARN", `{"RoleARN":"firehose",` + bucket + `}`, "ValidationException", "roleARN"},
		{"size 0", `{` + role + `,` + bucket + `,"BufferingHints":{"SizeInMBs":0}}`, "ValidationException", "sizeInMBs"},
		{"size 129", `{` + role + `,` + bucket + `,"BufferingHints":{"SizeInMBs":129}}`, "ValidationException", "sizeInMBs"},
		{"interval 901", `{` + role + `,` + bucket + `,"BufferingHints":{"IntervalInSeconds":901}}`, "ValidationException", "intervalInSeconds"},
		{"unknown compression", `{` + role + `,` + bucket + `,"CompressionFormat":"BROTLI"}`, "ValidationException", "enum value set"},
		{"ZIP", `{` + role + `,` + bucket + `,"CompressionFormat":"ZIP"}`, "InvalidArgumentException", "not supported by Riffle"},
		{"Snappy", `{` + role + `,` + bucket + `,"CompressionFormat":"Snappy"}`, "InvalidArgumentException", "not supported by Riffle"},
		{"expressions without an error prefix", `{` + role + `,` + bucket + `,"Prefix":"!{timestamp:yyyy}/"}`, "InvalidArgumentException", "ErrorOutputPrefix cannot be null"},
		{"error type in the prefix", `{` + role + `,` + bucket + `,"Prefix":"!{firehose:error-output-type}/","ErrorOutputPrefix":"e/!{firehose:error-output-type}"}`, "InvalidArgumentException", "only in ErrorOutputPrefix"},
		{"error prefix without the error type", `{` + role + `,` + bucket + `,"ErrorOutputPrefix":"e/!{timestamp:yyyy}"}`, "InvalidArgumentException", "error-output-type"},
		{"unknown namespace", `{` + role + `,` + bucket + `,"Prefix":"!{nope:x}/","ErrorOutputPrefix":"e/!{firehose:error-output-type}"}`, "InvalidArgumentException", "unknown namespace"},
		{"record processing", `{` + role + `,` + bucket + `,"ProcessingConfiguration":{"Enabled":true}}`, "InvalidArgumentException", "do not transform"},
		{"format conversion", `{` + role + `,` + bucket + `,"DataFormatConversionConfiguration":{"Enabled":true}}`, "InvalidArgumentException", "Parquet"},
		{"dynamic partitioning", `{` + role + `,` + bucket + `,"DynamicPartitioningConfiguration":{"Enabled":true}}`, "InvalidArgumentException", "partition"},
		{"KMS", `{` + role + `,` + bucket + `,"EncryptionConfiguration":{"KMSEncryptionConfig":{"AWSKMSKeyARN":"arn:aws:kms:us-east-1:123456789012:key/k"}}}`, "InvalidArgumentException", "KMS"},
		{"an unknown time zone", `{` + role + `,` + bucket + `,"CustomTimeZone":"Mars/Olympus"}`, "InvalidArgumentException", "time zone"},
	} {
		body := `{"DeliveryStreamName":"bad","ExtendedS3DestinationConfiguration":` + c.config + `}`
		status, out := raw(t, srv.URL, "Firehose_20150804.CreateDeliveryStream", body, true)
		if status != 400 || out["__type"] != c.kind || !strings.Contains(out["message"], c.says) {
			t.Errorf("%s: %d %v, want %s saying %q", c.name, status, out, c.kind, c.says)
		}
	}
	both := `{"DeliveryStreamName":"bad","ExtendedS3DestinationConfiguration":{` + role + `,` + bucket + `},"S3DestinationConfiguration":{` + role + `,` + bucket + `}}`
	if status, out := raw(t, srv.URL, "Firehose_20150804.CreateDeliveryStream", both, true); status != 400 || out["__type"] != "InvalidArgumentException" {
		t.Errorf("two destinations: %d %v", status, out)
	}
	old := `{"DeliveryStreamName":"bad","S3DestinationConfiguration":{` + role + `,` + bucket + `,"BufferingHints":{"SizeInMBs":200}}}`
	if status, out := raw(t, srv.URL, "Firehose_20150804.CreateDeliveryStream", old, true); status != 400 || !strings.Contains(out["message"], "s3DestinationConfiguration.bufferingHints.sizeInMBs") {
		t.Errorf("the deprecated configuration: %d %v", status, out)
	}
	if infos, err := l.List(context.Background(), ""); err != nil || len(infos) != 0 {
		t.Fatalf("refused requests created %v (%v)", infos, err)
	}
}
