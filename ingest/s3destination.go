package ingest

import (
	"fmt"
	"net/http"
	"regexp"

	"github.com/riffle-sql/riffle/internal/awsjson"
	"github.com/riffle-sql/riffle/s3delivery"
)

// s3Configuration is ExtendedS3DestinationConfiguration, and the
// deprecated S3DestinationConfiguration (its first fields), as
// CreateDeliveryStream takes them. Fields that change the data (record
// processing, format conversion, dynamic partitioning, backup) or its
// encryption are refused when enabled: Riffle does not do them.
type s3Configuration struct {
	RoleARN           *string
	BucketARN         *string
	Prefix            *string
	ErrorOutputPrefix *string
	BufferingHints    *struct {
		SizeInMBs         *int
		IntervalInSeconds *int
	}
	CompressionFormat       *string
	EncryptionConfiguration *struct {
		NoEncryptionConfig  *string
		KMSEncryptionConfig *struct{ AWSKMSKeyARN *string }
	}
	ProcessingConfiguration           *struct{ Enabled *bool }
	S3BackupMode                      *string
	DataFormatConversionConfiguration *struct{ Enabled *bool }
	DynamicPartitioningConfiguration  *struct{ Enabled *bool }
	FileExtension                     *string
	CustomTimeZone                    *string
}

// The service's constraints on the fields.
var (
	bucketARN     = regexp.MustCompile(`^arn:.*:s3:::[\w.\-]{1,255}$`)
	roleARN       = regexp.MustCompile(`^arn:.*:iam::\d{12}:role/[a-zA-Z_0-9+=,.@\-_/]+$`)
	fileExtension = regexp.MustCompile(`^$|^\.[0-9a-z!\-_.*'()]+$`)
	timeZone      = regexp.MustCompile(`^$|^[a-zA-Z/_]+$`)
	compressions  = []string{"UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY"}
)

// s3Destination checks a configuration as the service does (the fields'
// constraints as ValidationException, its rules as
// InvalidArgumentException) and returns the destination. field names it
// in messages: "extendedS3DestinationConfiguration" or
// "s3DestinationConfiguration".
func s3Destination(c *s3Configuration, field string, extended bool) (s3delivery.Destination, error) {
	d := s3delivery.Destination{Extended: extended, SizeInMBs: s3delivery.DefaultSizeInMBs,
		IntervalInSeconds: s3delivery.DefaultIntervalInSeconds, CompressionFormat: s3delivery.Uncompressed}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	switch {
	case c.RoleARN == nil:
		return d, awsjson.Validation(field+".roleARN", "null", "Member must not be null")
	case len(*c.RoleARN) < 1 || len(*c.RoleARN) > 512:
		return d, awsjson.Validation(field+".roleARN", *c.RoleARN, "Member must have length between 1 and 512")
	case !roleARN.MatchString(*c.RoleARN):
		return d, awsjson.Validation(field+".roleARN", *c.RoleARN, "Member must satisfy regular expression pattern: arn:.*:iam::\\d{12}:role/[a-zA-Z_0-9+=,.@\\-_/]+")
	case c.BucketARN == nil:
		return d, awsjson.Validation(field+".bucketARN", "null", "Member must not be null")
	case len(*c.BucketARN) < 1 || len(*c.BucketARN) > 2048:
		return d, awsjson.Validation(field+".bucketARN", *c.BucketARN, "Member must have length between 1 and 2048")
	case !bucketARN.MatchString(*c.BucketARN):
		return d, awsjson.Validation(field+".bucketARN", *c.BucketARN, "Member must satisfy regular expression pattern: arn:.*:s3:::[\\w\\.\\-]{1,255}")
	case len(str(c.Prefix)) > 1024:
		return d, awsjson.Validation(field+".prefix", str(c.Prefix), "Member must have length less than or equal to 1024")
	case len(str(c.ErrorOutputPrefix)) > 1024:
		return d, awsjson.Validation(field+".errorOutputPrefix", str(c.ErrorOutputPrefix), "Member must have length less than or equal to 1024")
	case len(str(c.FileExtension)) > 128 || !fileExtension.MatchString(str(c.FileExtension)):
		return d, awsjson.Validation(field+".fileExtension", str(c.FileExtension), "Member must satisfy regular expression pattern: ^$|\\.[0-9a-z!\\-_.*'()]+")
	case len(str(c.CustomTimeZone)) > 50 || !timeZone.MatchString(str(c.CustomTimeZone)):
		return d, awsjson.Validation(field+".customTimeZone", str(c.CustomTimeZone), "Member must satisfy regular expression pattern: ^$|[a-zA-Z/_]+")
	}
	d.RoleARN, d.BucketARN = *c.RoleARN, *c.BucketARN
	d.Prefix, d.ErrorOutputPrefix = str(c.Prefix), str(c.ErrorOutputPrefix)
	d.FileExtension, d.CustomTimeZone = str(c.FileExtension), str(c.CustomTimeZone)
	if h := c.BufferingHints; h != nil {
		if h.SizeInMBs != nil {
			if *h.SizeInMBs < 1 || *h.SizeInMBs > 128 {
				return d, awsjson.Validation(field+".bufferingHints.sizeInMBs", fmt.Sprint(*h.SizeInMBs), "Member must have value between 1 and 128")
			}
			d.SizeInMBs = *h.SizeInMBs
		}
		if h.IntervalInSeconds != nil {
			if *h.IntervalInSeconds < 0 || *h.IntervalInSeconds > 900 {
				return d, awsjson.Validation(field+".bufferingHints.intervalInSeconds", fmt.Sprint(*h.IntervalInSeconds), "Member must have value between 0 and 900")
			}
			d.IntervalInSeconds = *h.IntervalInSeconds
		}
	}
	if c.CompressionFormat != nil {
		switch f := *c.CompressionFormat; f {
		case s3delivery.Uncompressed, s3delivery.GZIP:
			d.CompressionFormat = f
		case "ZIP", "Snappy", "HADOOP_SNAPPY":
			return d, invalid("CompressionFormat %s is not supported by Riffle: use GZIP or UNCOMPRESSED", f)
		default:
			return d, awsjson.Validation(field+".compressionFormat", f, fmt.Sprintf("Member must satisfy enum value set: %v", compressions))
		}
	}
	if e := c.EncryptionConfiguration; e != nil && e.KMSEncryptionConfig != nil {
		return d, invalid("KMSEncryptionConfig is not supported by Riffle: its objects are written without server-side encryption settings")
	}
	enabled := func(b *struct{ Enabled *bool }) bool { return b != nil && b.Enabled != nil && *b.Enabled }
	switch {
	case enabled(c.ProcessingConfiguration):
		return d, invalid("ProcessingConfiguration: Riffle's delivery streams do not transform records (no Lambda processing)")
	case enabled(c.DataFormatConversionConfiguration):
		return d, invalid("DataFormatConversionConfiguration: Riffle's delivery streams do not convert records to Parquet or ORC")
	case enabled(c.DynamicPartitioningConfiguration):
		return d, invalid("DynamicPartitioningConfiguration: Riffle's delivery streams do not partition dynamically")
	case str(c.S3BackupMode) == "Enabled":
		return d, invalid("S3BackupMode Enabled: Riffle's delivery streams have no backup (there is no transformation to back up from)")
	case str(c.S3BackupMode) != "" && str(c.S3BackupMode) != "Disabled":
		return d, awsjson.Validation(field+".s3BackupMode", str(c.S3BackupMode), "Member must satisfy enum value set: [Disabled, Enabled]")
	}
	if err := d.Check(); err != nil {
		return d, invalid("%v", err)
	}
	return d, nil
}

func invalid(format string, args ...any) error {
	return awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", format, args...)
}

// s3Description is a destination as DescribeDeliveryStream tells it: the
// service reports an S3 destination both as S3DestinationDescription and
// as ExtendedS3DestinationDescription.
func s3Description(d s3delivery.Destination) map[string]any {
	base := map[string]any{
		"RoleARN":                  d.RoleARN,
		"BucketARN":                d.BucketARN,
		"BufferingHints":           map[string]int{"SizeInMBs": d.SizeInMBs, "IntervalInSeconds": d.IntervalInSeconds},
		"CompressionFormat":        d.CompressionFormat,
		"EncryptionConfiguration":  map[string]string{"NoEncryptionConfig": "NoEncryption"},
		"CloudWatchLoggingOptions": map[string]bool{"Enabled": false},
	}
	if d.Prefix != "" {
		base["Prefix"] = d.Prefix
	}
	if d.ErrorOutputPrefix != "" {
		base["ErrorOutputPrefix"] = d.ErrorOutputPrefix
	}
	extended := map[string]any{
		"S3BackupMode":            "Disabled",
		"ProcessingConfiguration": map[string]any{"Enabled": false, "Processors": []any{}},
	}
	for k, v := range base {
		extended[k] = v
	}
	if d.FileExtension != "" {
		extended["FileExtension"] = d.FileExtension
	}
	if d.CustomTimeZone != "" {
		extended["CustomTimeZone"] = d.CustomTimeZone
	}
	return map[string]any{
		"DestinationId":                    "destinationId-000000000001",
		"S3DestinationDescription":         base,
		"ExtendedS3DestinationDescription": extended,
	}
}
