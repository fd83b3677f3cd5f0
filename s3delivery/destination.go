// Package s3delivery gives Riffle's Firehose delivery streams their S3
// destination, as the service's ExtendedS3DestinationConfiguration does:
// each delivery stream with one has a deliverer that reads the stream from
// its checkpoint, buffers records by size and interval, concatenates them
// as they are (Firehose adds no delimiters), compresses the batch (GZIP or
// none), writes it as one object named as the service names objects
// (prefix, by default YYYY/MM/dd/HH/ in UTC, then
// STREAM-VERSION-YYYY-MM-dd-HH-mm-ss-UUID[.gz]) to the bucket (package
// s3store: S3, or the directory standing for it), and then moves its
// checkpoint.
//
// Every acknowledged record reaches the bucket exactly once, across a
// crash: before writing an object the deliverer records the batch (its
// first and last record, its key) in its checkpoint, so after a crash the
// same batch is read again and written again under the same key, which
// replaces the object the crash may have left; only then does the
// checkpoint move past it.
package s3delivery

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // CustomTimeZone, where the machine has no zone files

	"github.com/riffle-sql/riffle/streamlog"
)

// Compression formats.
const (
	Uncompressed = "UNCOMPRESSED"
	GZIP         = "GZIP"
)

// Defaults of the service's BufferingHints.
const (
	DefaultSizeInMBs         = 5
	DefaultIntervalInSeconds = 300
)

// Version is every delivery stream's version: Riffle has no
// UpdateDestination, so a stream keeps its first.
const Version = 1

// Destination is a delivery stream's S3 destination, as created.
type Destination struct {
	// Extended says it came as ExtendedS3DestinationConfiguration (else
	// the deprecated S3DestinationConfiguration).
	Extended          bool
	RoleARN           string
	BucketARN         string
	Prefix            string `json:",omitempty"`
	ErrorOutputPrefix string `json:",omitempty"`
	SizeInMBs         int
	IntervalInSeconds int
	CompressionFormat string
	FileExtension     string `json:",omitempty"`
	CustomTimeZone    string `json:",omitempty"`
}

// Bucket is the bucket's name, from its ARN.
func (d Destination) Bucket() string {
	_, name, _ := strings.Cut(d.BucketARN, ":::")
	return name
}

// metadataKey is where a stream keeps its destination (streamlog metadata).
const metadataKey = "s3destination"

// Metadata is what a delivery stream is created with to have the
// destination (streamlog.Log.CreateWith).
func Metadata(d Destination) map[string]string {
	data, _ := json.Marshal(d) // plain fields
	return map[string]string{metadataKey: string(data)}
}

// FromInfo is a stream's destination; nil when it has none.
func FromInfo(info streamlog.Info) (*Destination, error) {
	raw, ok := info.Metadata[metadataKey]
	if !ok {
		return nil, nil
	}
	var d Destination
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return nil, fmt.Errorf("the S3 destination of delivery stream %s cannot be read: %w", info.Name, err)
	}
	return &d, nil
}

// Check applies the service's rules to the prefixes, the extension and the
// time zone (the field constraints are the API's to check); its errors
// are the service's InvalidArgumentException.
func (d Destination) Check() error {
	p, err := parsePrefix(d.Prefix)
	if err != nil {
		return fmt.Errorf("Prefix: %w", err)
	}
	if p.errorType {
		return errors.New("Prefix: !{firehose:error-output-type} can be used only in ErrorOutputPrefix")
	}
	e, err := parsePrefix(d.ErrorOutputPrefix)
	if err != nil {
		return fmt.Errorf("ErrorOutputPrefix: %w", err)
	}
	if p.expressions && d.ErrorOutputPrefix == "" {
		return errors.New("ErrorOutputPrefix cannot be null or empty when Prefix contains expressions")
	}
	if e.expressions && !e.errorType {
		return errors.New("ErrorOutputPrefix: an ErrorOutputPrefix with expressions must contain !{firehose:error-output-type}")
	}
	if _, err := d.location(); err != nil {
		return err
	}
	// Evaluated at a time whose names are long, the prefixes must fit.
	at := time.Date(2026, time.September, 30, 23, 59, 59, 999999999, time.UTC)
	if k, _ := d.prefix(at, [16]byte{}); len(k) > maxPrefix {
		return fmt.Errorf("Prefix evaluates to %d characters (%q), more than %d", len(k), k, maxPrefix)
	}
	if k := e.eval(at, nil, "processing-failed"); len(k) > maxPrefix {
		return fmt.Errorf("ErrorOutputPrefix evaluates to %d characters, more than %d", len(k), maxPrefix)
	}
	return nil
}

// maxPrefix is the service's bound on an evaluated prefix.
const maxPrefix = 512

func (d Destination) location() (*time.Location, error) {
	if d.CustomTimeZone == "" || d.CustomTimeZone == "UTC" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(d.CustomTimeZone)
	if err != nil {
		return nil, fmt.Errorf("CustomTimeZone %q is not a time zone", d.CustomTimeZone)
	}
	return loc, nil
}

// extension is the objects' file extension: FileExtension, else the
// compression's.
func (d Destination) extension() string {
	if d.FileExtension != "" {
		return d.FileExtension
	}
	if d.CompressionFormat == GZIP {
		return ".gz"
	}
	return ""
}

// prefix evaluates the Prefix for a batch whose oldest record arrived at
// first; the random strings derive from the batch's id.
func (d Destination) prefix(first time.Time, id [16]byte) (string, error) {
	p, err := parsePrefix(d.Prefix)
	if err != nil {
		return "", err
	}
	if !p.timestamp { // the service appends the default layout
		pattern, _ := parseJavaPattern(defaultLayout)
		p.parts = append(p.parts, prefixPart{timestamp: pattern})
	}
	loc, err := d.location()
	if err != nil {
		return "", err
	}
	return p.eval(first.In(loc), randomStrings(id), ""), nil
}

// defaultLayout is what the service appends to a prefix without a
// timestamp expression.
const defaultLayout = "yyyy/MM/dd/HH/"

// ObjectKey names the object of a batch of a stream's records: the
// evaluated prefix, then STREAM-VERSION-TIME-UUID and the extension, TIME
// and the prefix's timestamps being the oldest record's arrival.
func (d Destination) ObjectKey(stream string, first time.Time, id [16]byte) (string, error) {
	prefix, err := d.prefix(first, id)
	if err != nil {
		return "", err
	}
	loc, err := d.location()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%s-%d-%s-%s%s", prefix, stream, Version, first.In(loc).Format("2006-01-02-15-04-05"), uuid(id), d.extension()), nil
}

// BatchID is the id of a batch: derived from the stream (its name and
// creation) and the batch's first and last records, so that a batch
// written again after a crash gets the same object key.
func BatchID(stream string, created time.Time, from, through streamlog.Seq) [16]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%s\x00%s", stream, created.UnixMilli(), from, through)
	var id [16]byte
	copy(id[:], h.Sum(nil))
	return id
}

// uuid renders an id as a UUID of version 8 (RFC 9562's for ids made by
// the application's own rule: here, a hash).
func uuid(id [16]byte) string {
	id[6] = id[6]&0x0f | 0x80
	id[8] = id[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:16])
}

// randomStrings gives the i-th !{firehose:random-string} of a batch: 11
// characters (8 hex digits, a dash, 2 more) as the service's look, derived
// from the batch's id so that a batch written again gets the same key.
func randomStrings(id [16]byte) func(i int) string {
	return func(i int) string {
		h := sha256.New()
		h.Write(id[:])
		binary.Write(h, binary.BigEndian, uint32(i))
		sum := h.Sum(nil)
		return fmt.Sprintf("%x-%x", sum[0:4], sum[4:5])
	}
}

// parsedPrefix is a Prefix or ErrorOutputPrefix, read.
type parsedPrefix struct {
	parts       []prefixPart
	expressions bool // it has !{...}
	timestamp   bool // it has !{timestamp:...}
	errorType   bool // it has !{firehose:error-output-type}
}

// prefixPart is literal text, a timestamp pattern, or a firehose value.
type prefixPart struct {
	literal   string
	timestamp javaPattern
	random    bool
	errorType bool
}

// parsePrefix reads a prefix: literal text and !{namespace:value}
// expressions, namespace timestamp (a Java DateTimeFormatter pattern) or
// firehose (random-string, error-output-type). The dynamic partitioning
// namespaces are refused: Riffle does not partition.
func parsePrefix(s string) (parsedPrefix, error) {
	var p parsedPrefix
	for {
		i := strings.Index(s, "!{")
		if i < 0 {
			if s != "" {
				p.parts = append(p.parts, prefixPart{literal: s})
			}
			return p, nil
		}
		if i > 0 {
			p.parts = append(p.parts, prefixPart{literal: s[:i]})
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return p, fmt.Errorf("the expression at %q has no closing }", s[i:])
		}
		expr := s[i+2 : i+end]
		s = s[i+end+1:]
		namespace, value, ok := strings.Cut(expr, ":")
		if !ok || value == "" {
			return p, fmt.Errorf("!{%s} is not an expression of the form !{namespace:value}", expr)
		}
		p.expressions = true
		switch namespace {
		case "timestamp":
			pattern, err := parseJavaPattern(value)
			if err != nil {
				return p, err
			}
			p.timestamp = true
			p.parts = append(p.parts, prefixPart{timestamp: pattern})
		case "firehose":
			switch value {
			case "random-string":
				p.parts = append(p.parts, prefixPart{random: true})
			case "error-output-type":
				p.errorType = true
				p.parts = append(p.parts, prefixPart{errorType: true})
			default:
				return p, fmt.Errorf("!{firehose:%s}: the firehose namespace has random-string and error-output-type", value)
			}
		case "partitionKeyFromQuery", "partitionKeyFromLambda":
			return p, fmt.Errorf("!{%s}: Riffle's delivery streams have no dynamic partitioning", expr)
		default:
			return p, fmt.Errorf("!{%s}: unknown namespace %q (timestamp, firehose)", expr, namespace)
		}
	}
}

// eval renders the prefix: every timestamp is t, each random string the
// next of random, the error output type errType.
func (p parsedPrefix) eval(t time.Time, random func(int) string, errType string) string {
	var b strings.Builder
	n := 0
	for _, part := range p.parts {
		switch {
		case part.timestamp != nil:
			b.WriteString(part.timestamp.format(t))
		case part.random:
			if random == nil {
				random = randomStrings([16]byte{})
			}
			b.WriteString(random(n))
			n++
		case part.errorType:
			b.WriteString(errType)
		default:
			b.WriteString(part.literal)
		}
	}
	return b.String()
}
