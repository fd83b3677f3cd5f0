// Package ingest serves the AWS JSON 1.1 ingestion APIs over the stream
// log: Kinesis Data Firehose (Firehose_20150804) and Kinesis Data Streams
// (Kinesis_20131202), registered with the front door (package awsjson),
// which routes, authenticates and answers errors. A request is
// acknowledged only after the log has stored it.
package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fastjson"

	"github.com/riffle-sql/riffle/internal/awsjson"
	"github.com/riffle-sql/riffle/s3delivery"
	"github.com/riffle-sql/riffle/streamlog"
)

// Options describe the account the API pretends to be.
type Options struct {
	Region  string // default us-east-1
	Account string // default 000000000000
	// Clock stamps arrivals and times shard iterators; the real clock by
	// default.
	Clock clockwork.Clock
	// Metrics, when set, receives the counts of records and bytes stored.
	Metrics prometheus.Registerer
	// Users, when set, names who may not lose a stream (the running
	// applications that read or write it): deleting it is refused while
	// there are any.
	Users func(ctx context.Context, stream string) ([]string, error)
	// Changed, when set, is told that a delivery stream was created or
	// deleted (the S3 deliveries start and stop their deliverers).
	Changed func()
}

// Target prefixes of the two APIs.
const (
	FirehoseTarget = "Firehose_20150804"
	KinesisTarget  = "Kinesis_20131202"
)

// metrics count what the API takes in.
type metrics struct {
	records, bytes *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, l *streamlog.Log) *metrics {
	m := &metrics{
		records: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riffle_ingest_records_total", Help: "Records stored, by API."}, []string{"api"}),
		bytes:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riffle_ingest_bytes_total", Help: "Record bytes stored, by API."}, []string{"api"}),
	}
	if reg != nil {
		reg.MustRegister(m.records, m.bytes, lostCollector{log: l})
	}
	return m
}

// lostCollector reports, when scraped, each stream's batches lost by its
// storage and not yet acknowledged (0 for a sound stream).
type lostCollector struct{ log *streamlog.Log }

var lostDesc = prometheus.NewDesc("riffle_stream_lost_batches",
	"Batches (each one request's records for a shard) that a stream's storage lost and no one has acknowledged yet.", []string{"stream"}, nil)

func (c lostCollector) Describe(ch chan<- *prometheus.Desc) { ch <- lostDesc }

func (c lostCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	streams, err := c.log.List(ctx, "")
	if err != nil {
		ch <- prometheus.NewInvalidMetric(lostDesc, err)
		return
	}
	losses, err := c.log.Losses(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(lostDesc, err)
		return
	}
	lost := map[string]int{}
	for _, sl := range losses {
		lost[sl.Stream] = sl.Lost.Batches
	}
	for _, info := range streams {
		ch <- prometheus.MustNewConstMetric(lostDesc, prometheus.GaugeValue, float64(lost[info.Name]), info.Name)
	}
}

// lostData is the Riffle extension to the Describe answers (SDKs ignore
// fields they do not know): what the stream's storage lost, not yet
// acknowledged; nil when nothing was.
func lostData(lost streamlog.Lost) map[string]any {
	if lost.Batches == 0 {
		return nil
	}
	out := map[string]any{
		"Batches":           lost.Batches,
		"DetectedTimestamp": float64(lost.Detected.UnixMilli()) / 1000,
		"Message": fmt.Sprintf("The server's storage lost %d batches of records of this stream; records with sequence numbers from FirstSequenceNumber to LastSequenceNumber may be gone.",
			lost.Batches),
	}
	if lost.First > 0 {
		out["FirstSequenceNumber"] = lost.From().String()
		out["LastSequenceNumber"] = lost.Through().String()
	}
	if lost.Bytes > 0 {
		out["Bytes"] = lost.Bytes
	}
	return out
}

// stored counts records an operation stored.
func (m *metrics) stored(api string, recs []streamlog.Record) {
	n := 0
	for _, r := range recs {
		n += len(r.Data)
	}
	m.records.WithLabelValues(api).Add(float64(len(recs)))
	m.bytes.WithLabelValues(api).Add(float64(n))
}

// API is the Firehose and Kinesis operations over a stream log.
type API struct {
	log     *streamlog.Log
	opts    Options
	metrics *metrics
	key     []byte // signs shard iterators
	parsers fastjson.ParserPool
}

// New makes the APIs over a stream log. It reads the key that signs shard
// iterators from the log (creating it the first time), so an iterator
// outlives a restart and is good on every node sharing the log.
func New(ctx context.Context, l *streamlog.Log, opts Options) (*API, error) {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Account == "" {
		opts.Account = "000000000000"
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	key, err := iteratorKey(ctx, l)
	if err != nil {
		return nil, err
	}
	return &API{log: l, opts: opts, metrics: newMetrics(opts.Metrics, l), key: key}, nil
}

// Register serves the Firehose and Kinesis operations on a front door.
func (s *API) Register(front *awsjson.Server) {
	front.Register(FirehoseTarget, map[string]awsjson.Operation{
		"CreateDeliveryStream":   s.createDeliveryStream,
		"DeleteDeliveryStream":   s.deleteDeliveryStream,
		"DescribeDeliveryStream": s.describeDeliveryStream,
		"ListDeliveryStreams":    s.listDeliveryStreams,
		"PutRecord":              s.putRecord,
		"PutRecordBatch":         s.putRecordBatch,
	})
	front.Register(KinesisTarget, s.kinesisOps())
	// The puts' bodies: the service's limit on their records' bytes,
	// base64-encoded (4/3) in JSON with each record's fields around it.
	front.Limit(FirehoseTarget, "PutRecord", 2<<20)      // 1,000 KiB
	front.Limit(FirehoseTarget, "PutRecordBatch", 6<<20) // 4 MiB in 500 records
	front.Limit(KinesisTarget, "PutRecord", 2<<20)       // 1 MiB with its key
	front.Limit(KinesisTarget, "PutRecords", 8<<20)      // 5 MiB in 500 records, keys of 256
}

// Handler is a front door serving only these APIs, without signature
// checks: for tests and tools that need an ingestion endpoint.
func Handler(ctx context.Context, l *streamlog.Log, opts Options) (*awsjson.Server, error) {
	api, err := New(ctx, l, opts)
	if err != nil {
		return nil, err
	}
	front := awsjson.New(awsjson.Options{Metrics: opts.Metrics, Clock: opts.Clock})
	api.Register(front)
	return front, nil
}

// Limits of the service.
const (
	maxRecordBytes = 1_024_000
	maxBatchBytes  = 4 << 20
	maxBatchCount  = 500
)

var deliveryStreamName = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

func checkName(name string) error {
	switch {
	case len(name) < 1 || len(name) > 64:
		return awsjson.Validation("deliveryStreamName", name, "Member must have length between 1 and 64")
	case !deliveryStreamName.MatchString(name):
		return awsjson.Validation("deliveryStreamName", name, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
	}
	return nil
}

func (s *API) arn(name string) string {
	return fmt.Sprintf("arn:aws:firehose:%s:%s:deliverystream/%s", s.opts.Region, s.opts.Account, name)
}

func (s *API) notFound(name string) error {
	return awsjson.Errorf(http.StatusBadRequest, "ResourceNotFoundException", "Firehose %s under account %s not found.", name, s.opts.Account)
}

// firehoseKind marks the log streams that are delivery streams.
const firehoseKind = "firehose"

func (s *API) createDeliveryStream(ctx context.Context, body []byte) (any, error) {
	var req struct {
		DeliveryStreamName                 string
		DeliveryStreamType                 string
		ExtendedS3DestinationConfiguration *s3Configuration
		S3DestinationConfiguration         *s3Configuration
	}
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkName(req.DeliveryStreamName); err != nil {
		return nil, err
	}
	if req.DeliveryStreamType != "" && req.DeliveryStreamType != "DirectPut" {
		return nil, awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "DeliveryStreamType %s is not supported; Riffle's delivery streams are DirectPut", req.DeliveryStreamType)
	}
	var meta map[string]string
	switch ext, old := req.ExtendedS3DestinationConfiguration, req.S3DestinationConfiguration; {
	case ext != nil && old != nil:
		return nil, invalid("Only one destination configuration is allowed: ExtendedS3DestinationConfiguration or S3DestinationConfiguration")
	case ext != nil || old != nil:
		c, field := ext, "extendedS3DestinationConfiguration"
		if old != nil {
			c, field = old, "s3DestinationConfiguration"
		}
		d, err := s3Destination(c, field, ext != nil)
		if err != nil {
			return nil, err
		}
		meta = s3delivery.Metadata(d)
	}
	if err := s.log.CreateWith(ctx, req.DeliveryStreamName, firehoseKind, 1, meta); err != nil {
		if errors.Is(err, streamlog.ErrExists) {
			return nil, awsjson.Errorf(http.StatusBadRequest, "ResourceInUseException", "Firehose %s under accountId %s already exists", req.DeliveryStreamName, s.opts.Account)
		}
		return nil, err
	}
	s.changed()
	return map[string]string{"DeliveryStreamARN": s.arn(req.DeliveryStreamName)}, nil
}

// stream checks that a delivery stream exists.
func (s *API) stream(ctx context.Context, name string) (streamlog.Info, error) {
	if err := checkName(name); err != nil {
		return streamlog.Info{}, err
	}
	info, err := s.log.Describe(ctx, name)
	if errors.Is(err, streamlog.ErrNotFound) || err == nil && info.Kind != firehoseKind {
		return info, s.notFound(name)
	}
	return info, putError(err)
}

func (s *API) deleteDeliveryStream(ctx context.Context, body []byte) (any, error) {
	var req struct{ DeliveryStreamName string }
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	if _, err := s.stream(ctx, req.DeliveryStreamName); err != nil {
		return nil, err
	}
	if err := s.notInUse(ctx, "Firehose", req.DeliveryStreamName); err != nil {
		return nil, err
	}
	if err := s.log.Delete(ctx, req.DeliveryStreamName); err != nil {
		return nil, err
	}
	s.changed()
	return struct{}{}, nil
}

func (s *API) changed() {
	if s.opts.Changed != nil {
		s.opts.Changed()
	}
}

// notInUse refuses to delete a stream that running applications use, as
// the service protects resources in use.
func (s *API) notInUse(ctx context.Context, what, name string) error {
	if s.opts.Users == nil {
		return nil
	}
	users, err := s.opts.Users(ctx, name)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return awsjson.Errorf(http.StatusBadRequest, "ResourceInUseException", "%s %s under account %s is in use by running applications: %s; stop them first",
			what, name, s.opts.Account, strings.Join(users, ", "))
	}
	return nil
}

func (s *API) describeDeliveryStream(ctx context.Context, body []byte) (any, error) {
	var req struct{ DeliveryStreamName string }
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	info, err := s.stream(ctx, req.DeliveryStreamName)
	if err != nil {
		return nil, err
	}
	created := float64(info.Created.UnixMilli()) / 1000
	destinations := []any{}
	if d, err := s3delivery.FromInfo(info); err != nil {
		return nil, err
	} else if d != nil {
		destinations = append(destinations, s3Description(*d))
	}
	desc := map[string]any{
		"DeliveryStreamName":   info.Name,
		"DeliveryStreamARN":    s.arn(info.Name),
		"DeliveryStreamStatus": "ACTIVE",
		"DeliveryStreamType":   "DirectPut",
		"VersionId":            "1",
		"CreateTimestamp":      created,
		"Destinations":         destinations,
		"HasMoreDestinations":  false,
	}
	if lost := lostData(info.Lost); lost != nil {
		desc["RiffleLostData"] = lost
	}
	return map[string]any{"DeliveryStreamDescription": desc}, nil
}

func (s *API) listDeliveryStreams(ctx context.Context, body []byte) (any, error) {
	var req struct {
		Limit                            int
		ExclusiveStartDeliveryStreamName string
	}
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	if req.Limit == 0 {
		req.Limit = 10
	}
	if req.Limit < 1 || req.Limit > 10000 {
		return nil, awsjson.Validation("limit", fmt.Sprint(req.Limit), "Member must have value between 1 and 10000")
	}
	infos, err := s.log.List(ctx, firehoseKind)
	if err != nil {
		return nil, err
	}
	names := []string{}
	more := false
	for _, info := range infos {
		if info.Name <= req.ExclusiveStartDeliveryStreamName {
			continue
		}
		if len(names) == req.Limit {
			more = true
			break
		}
		names = append(names, info.Name)
	}
	return map[string]any{"DeliveryStreamNames": names, "HasMoreDeliveryStreams": more}, nil
}

type firehoseRecord struct {
	Data blob
}

// blob is a record's Data: base64 in the request, decoded straight from
// the request's bytes (no string in between: 500 records a request).
// present tells null or absent from empty; err keeps a decoding error for
// the caller, which names the record.
type blob struct {
	data    []byte
	present bool
	err     error
}

func (b *blob) UnmarshalJSON(raw []byte) error {
	if string(raw) == "null" {
		return nil
	}
	if len(raw) < 2 || raw[0] != '"' || bytes.IndexByte(raw, '\\') >= 0 {
		var s string // not a plain string: let encoding/json say why, or unescape it
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		b.decode([]byte(s))
		return nil
	}
	b.decode(raw[1 : len(raw)-1])
	return nil
}

// decode sets the blob from its base64 text.
func (b *blob) decode(text []byte) {
	b.present = true
	b.data = make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Decode(b.data, text)
	b.data, b.err = b.data[:n], err
}

// records decodes and checks a request's records, arrived now.
func records(in []firehoseRecord, now time.Time) ([]streamlog.Record, error) {
	out := make([]streamlog.Record, len(in))
	total := 0
	for i, r := range in {
		if !r.Data.present {
			return nil, awsjson.Validation(fmt.Sprintf("records.%d.member.data", i+1), "null", "Member must not be null")
		}
		data, err := r.Data.data, r.Data.err
		if err != nil {
			return nil, awsjson.Errorf(http.StatusBadRequest, "SerializationException", "record %d: Data is not base64: %v", i+1, err)
		}
		if len(data) > maxRecordBytes {
			return nil, awsjson.Validation(fmt.Sprintf("records.%d.member.data", i+1), "...", fmt.Sprintf("Member must have length less than or equal to %d", maxRecordBytes))
		}
		total += len(data)
		out[i] = streamlog.Record{Data: data, Arrival: now}
	}
	if total > maxBatchBytes {
		return nil, awsjson.Errorf(http.StatusBadRequest, "InvalidArgumentException", "Records size exceeds 4 MiB limit")
	}
	return out, nil
}

func (s *API) putRecord(ctx context.Context, body []byte) (any, error) {
	var req struct {
		DeliveryStreamName string
		Record             *firehoseRecord
	}
	if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	if req.Record == nil {
		return nil, awsjson.Validation("record", "null", "Member must not be null")
	}
	recs, err := records([]firehoseRecord{*req.Record}, s.opts.Clock.Now())
	if err != nil {
		return nil, err
	}
	if _, err := s.stream(ctx, req.DeliveryStreamName); err != nil {
		return nil, err
	}
	seqs, err := s.append(ctx, "firehose", req.DeliveryStreamName, 0, recs)
	if err != nil {
		if errors.Is(err, streamlog.ErrNotFound) {
			return nil, s.notFound(req.DeliveryStreamName)
		}
		return nil, putError(err)
	}
	s.metrics.stored("firehose", recs)
	return map[string]any{"RecordId": seqs[0].String(), "Encrypted": false}, nil
}

func (s *API) putRecordBatch(ctx context.Context, body []byte) (any, error) {
	var req struct {
		DeliveryStreamName string
		Records            []firehoseRecord
	}
	if fast, ok := fastPut(&s.parsers, body, "DeliveryStreamName"); ok {
		req.DeliveryStreamName = fast.Stream
		req.Records = make([]firehoseRecord, len(fast.Records))
		for i, r := range fast.Records {
			req.Records[i].Data = r.Data
		}
	} else if err := awsjson.Decode(body, &req); err != nil {
		return nil, err
	}
	if n := len(req.Records); n < 1 || n > maxBatchCount {
		return nil, awsjson.Validation("records", fmt.Sprintf("%d records", n), "Member must have length between 1 and 500")
	}
	recs, err := records(req.Records, s.opts.Clock.Now())
	if err != nil {
		return nil, err
	}
	if _, err := s.stream(ctx, req.DeliveryStreamName); err != nil {
		return nil, err
	}
	// One batch in one shard, stored in one message or, beyond the NATS
	// server's max_payload, several: a failure after some were stored
	// fails only the records not stored (FailedPutCount), as the service
	// answers, so the client sends only those again. A call that stored
	// nothing fails as a whole.
	seqs, err := s.append(ctx, "firehose", req.DeliveryStreamName, 0, recs)
	if err != nil && len(seqs) == 0 {
		if errors.Is(err, streamlog.ErrNotFound) {
			return nil, s.notFound(req.DeliveryStreamName)
		}
		return nil, putError(err)
	}
	s.metrics.stored("firehose", recs[:len(seqs)])
	type response struct {
		RecordId                string `json:",omitempty"`
		ErrorCode, ErrorMessage string `json:",omitempty"`
	}
	responses := make([]response, len(recs))
	for i, seq := range seqs {
		responses[i] = response{RecordId: seq.String()}
	}
	code := "InternalFailure"
	if errors.Is(err, streamlog.ErrStorageFull) || errors.Is(err, streamlog.ErrUnavailable) {
		code = "ServiceUnavailableException"
	}
	for i := len(seqs); i < len(recs); i++ {
		responses[i] = response{ErrorCode: code, ErrorMessage: failureMessage(err)}
	}
	return map[string]any{"FailedPutCount": len(recs) - len(seqs), "Encrypted": false, "RequestResponses": responses}, nil
}

// putError answers a put the log refused for want of space, or a put or a
// look at a stream it could not confirm while its NATS cluster recovers, as
// the services' ServiceUnavailableException (HTTP 503), which the SDKs
// retry, rather than an InternalFailure that says nothing.
func putError(err error) error {
	if errors.Is(err, streamlog.ErrStorageFull) {
		return awsjson.Errorf(http.StatusServiceUnavailable, "ServiceUnavailableException",
			"The server's storage is full: the records were not stored. Retry later; the server's operator must free disk space.")
	}
	if errors.Is(err, streamlog.ErrUnavailable) {
		return awsjson.Errorf(http.StatusServiceUnavailable, "ServiceUnavailableException",
			"The server's NATS cluster did not answer in time (a server lost, a leader being elected). Retry the request: an SDK's retry of a put is stored once.")
	}
	return err
}

// append stores a request's records in a shard. A call that an AWS SDK
// retries (its response lost, or its store slower than the client would
// wait) carries the same invocation id and the same records: it gets the
// first call's sequence numbers instead of storing them twice. Another
// request that merely reuses an invocation id stores its records.
func (s *API) append(ctx context.Context, api, stream string, shard int, recs []streamlog.Record) ([]streamlog.Seq, error) {
	id := ""
	if inv := awsjson.InvocationID(ctx); inv != "" {
		h := sha256.New()
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%d", inv, api, stream, shard, len(recs))
		var head []byte // each record's lengths and key, without fmt: this runs per record
		for _, r := range recs {
			head = binary.AppendUvarint(head[:0], uint64(len(r.PartitionKey)))
			head = append(head, r.PartitionKey...)
			head = binary.AppendUvarint(head, uint64(len(r.Data)))
			h.Write(head)
			h.Write(r.Data)
		}
		id = hex.EncodeToString(h.Sum(nil))
	}
	return s.log.AppendOnce(ctx, stream, shard, id, recs)
}
