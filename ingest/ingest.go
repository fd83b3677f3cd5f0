// Package ingest serves the AWS JSON 1.1 ingestion APIs over the stream
// log: Kinesis Data Firehose (Firehose_20150804) and Kinesis Data Streams
// (Kinesis_20131202). A request is acknowledged only after the log has
// stored it.
package ingest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/riffle-sql/riffle/streamlog"
)

// Options describe the account the API pretends to be.
type Options struct {
	Region  string // default us-east-1
	Account string // default 000000000000
	Logger  *slog.Logger
	// Credentials, access key ID to secret, turn on Signature Version 4
	// checking. Without them any well-formed signature is accepted (as
	// local emulators do), which is only safe on loopback.
	Credentials map[string]string
	// Metrics, when set, receives the API's Prometheus metrics.
	Metrics prometheus.Registerer
}

// metrics counts what the API takes in.
type metrics struct {
	records, bytes *prometheus.CounterVec
	errors         *prometheus.CounterVec
	latency        *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		records: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riffle_ingest_records_total", Help: "Records stored, by API."}, []string{"api"}),
		bytes:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riffle_ingest_bytes_total", Help: "Record bytes stored, by API."}, []string{"api"}),
		errors:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riffle_ingest_errors_total", Help: "Requests answered with an error, by error code."}, []string{"code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "riffle_ingest_request_seconds", Help: "Time to answer a request (puts: until stored), by operation.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"operation"}),
	}
	if reg != nil {
		reg.MustRegister(m.records, m.bytes, m.errors, m.latency)
	}
	return m
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

// Server is the ingestion API's HTTP handler.
type Server struct {
	log      *streamlog.Log
	opts     Options
	metrics  *metrics
	services map[string]map[string]Operation
}

// New serves the APIs over a stream log.
func New(l *streamlog.Log, opts Options) *Server {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Account == "" {
		opts.Account = "000000000000"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{log: l, opts: opts, metrics: newMetrics(opts.Metrics)}
	s.services = map[string]map[string]Operation{}
	s.services["Firehose_20150804"] = map[string]Operation{
		"CreateDeliveryStream":   s.createDeliveryStream,
		"DeleteDeliveryStream":   s.deleteDeliveryStream,
		"DescribeDeliveryStream": s.describeDeliveryStream,
		"ListDeliveryStreams":    s.listDeliveryStreams,
		"PutRecord":              s.putRecord,
		"PutRecordBatch":         s.putRecordBatch,
	}
	s.services["Kinesis_20131202"] = s.kinesisOps()
	return s
}

// Limits of the service.
const (
	maxBody        = 16 << 20
	maxRecordBytes = 1_024_000
	maxBatchBytes  = 4 << 20
	maxBatchCount  = 500
)

// apiError is an error in the AWS shape.
type apiError struct {
	status int
	kind   string
	msg    string
}

func (e *apiError) Error() string { return e.kind + ": " + e.msg }

// write answers the error in the AWS JSON shape.
func (e *apiError) write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", e.kind)
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(map[string]string{"__type": e.kind, "message": e.msg})
}

func errorf(status int, kind, format string, args ...any) error {
	return &apiError{status: status, kind: kind, msg: fmt.Sprintf(format, args...)}
}

// Errorf makes an error the API answers in the AWS shape, for the other
// services that register operations on this server.
func Errorf(status int, kind, format string, args ...any) error {
	return errorf(status, kind, format, args...)
}

// Operation handles one X-Amz-Target operation: the request body in, the
// response (to encode as JSON) or an error out.
type Operation func(ctx context.Context, body []byte) (any, error)

// Register serves another service's operations (by target prefix, such
// as KinesisAnalytics_20150814) with the same authentication, errors and
// metrics.
func (s *Server) Register(prefix string, ops map[string]Operation) {
	s.services[prefix] = ops
}

func validation(field, value, constraint string) error {
	return errorf(http.StatusBadRequest, "ValidationException",
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newID()
	w.Header().Set("x-amzn-RequestId", requestID)
	start := time.Now()
	result, err := s.handle(r)
	service, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	if s.services[service][op] == nil {
		op = "unknown"
	}
	s.metrics.latency.WithLabelValues(op).Observe(time.Since(start).Seconds())
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			s.opts.Logger.Error("request failed", "target", r.Header.Get("X-Amz-Target"), "err", err)
			ae = &apiError{status: http.StatusInternalServerError, kind: "InternalFailure", msg: "internal error; see the server's log, request " + requestID}
		}
		s.metrics.errors.WithLabelValues(ae.kind).Inc()
		ae.write(w)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(result)
}

func (s *Server) handle(r *http.Request) (any, error) {
	if r.Method != http.MethodPost {
		return nil, errorf(http.StatusBadRequest, "UnknownOperationException", "use POST with an X-Amz-Target header")
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		return nil, errorf(http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token: sign the request with AWS Signature Version 4")
	}
	if ct := r.Header.Get("Content-Type"); strings.Contains(ct, "cbor") {
		return nil, errorf(http.StatusBadRequest, "SerializationException", "CBOR is not supported: turn it off in the client (AWS_CBOR_DISABLE=1 for the Java SDK and KPL)")
	}
	service, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	fn := s.services[service][op]
	if fn == nil {
		return nil, errorf(http.StatusBadRequest, "UnknownOperationException", "unknown operation %q", r.Header.Get("X-Amz-Target"))
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "SerializationException", "reading the request: %v", err)
	}
	if len(body) > maxBody {
		return nil, errorf(http.StatusRequestEntityTooLarge, "SerializationException", "the request is larger than %d bytes", maxBody)
	}
	if s.opts.Credentials != nil {
		if err := s.verify(r.Context(), r, body); err != nil {
			return nil, err
		}
	}
	return fn(r.Context(), body)
}

// decode reads a JSON request; a malformed one is a SerializationException.
func decode(body []byte, v any) error {
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errorf(http.StatusBadRequest, "SerializationException", "the request is not valid JSON for this operation: %v", err)
	}
	return nil
}

var deliveryStreamName = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

func checkName(name string) error {
	switch {
	case len(name) < 1 || len(name) > 64:
		return validation("deliveryStreamName", name, "Member must have length between 1 and 64")
	case !deliveryStreamName.MatchString(name):
		return validation("deliveryStreamName", name, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
	}
	return nil
}

func (s *Server) arn(name string) string {
	return fmt.Sprintf("arn:aws:firehose:%s:%s:deliverystream/%s", s.opts.Region, s.opts.Account, name)
}

func (s *Server) notFound(name string) error {
	return errorf(http.StatusBadRequest, "ResourceNotFoundException", "Firehose %s under account %s not found.", name, s.opts.Account)
}

// firehoseKind marks the log streams that are delivery streams.
const firehoseKind = "firehose"

func (s *Server) createDeliveryStream(ctx context.Context, body []byte) (any, error) {
	var req struct {
		DeliveryStreamName string
		DeliveryStreamType string
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkName(req.DeliveryStreamName); err != nil {
		return nil, err
	}
	if req.DeliveryStreamType != "" && req.DeliveryStreamType != "DirectPut" {
		return nil, errorf(http.StatusBadRequest, "InvalidArgumentException", "DeliveryStreamType %s is not supported; Riffle's delivery streams are DirectPut", req.DeliveryStreamType)
	}
	if err := s.log.Create(ctx, req.DeliveryStreamName, firehoseKind, 1); err != nil {
		if errors.Is(err, streamlog.ErrExists) {
			return nil, errorf(http.StatusBadRequest, "ResourceInUseException", "Firehose %s under accountId %s already exists", req.DeliveryStreamName, s.opts.Account)
		}
		return nil, err
	}
	return map[string]string{"DeliveryStreamARN": s.arn(req.DeliveryStreamName)}, nil
}

// stream checks that a delivery stream exists.
func (s *Server) stream(ctx context.Context, name string) (streamlog.Info, error) {
	if err := checkName(name); err != nil {
		return streamlog.Info{}, err
	}
	info, err := s.log.Describe(ctx, name)
	if errors.Is(err, streamlog.ErrNotFound) || err == nil && info.Kind != firehoseKind {
		return info, s.notFound(name)
	}
	return info, err
}

func (s *Server) deleteDeliveryStream(ctx context.Context, body []byte) (any, error) {
	var req struct{ DeliveryStreamName string }
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if _, err := s.stream(ctx, req.DeliveryStreamName); err != nil {
		return nil, err
	}
	if err := s.log.Delete(ctx, req.DeliveryStreamName); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Server) describeDeliveryStream(ctx context.Context, body []byte) (any, error) {
	var req struct{ DeliveryStreamName string }
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	info, err := s.stream(ctx, req.DeliveryStreamName)
	if err != nil {
		return nil, err
	}
	created := float64(info.Created.UnixMilli()) / 1000
	return map[string]any{"DeliveryStreamDescription": map[string]any{
		"DeliveryStreamName":   info.Name,
		"DeliveryStreamARN":    s.arn(info.Name),
		"DeliveryStreamStatus": "ACTIVE",
		"DeliveryStreamType":   "DirectPut",
		"VersionId":            "1",
		"CreateTimestamp":      created,
		"Destinations":         []any{},
		"HasMoreDestinations":  false,
	}}, nil
}

func (s *Server) listDeliveryStreams(ctx context.Context, body []byte) (any, error) {
	var req struct {
		Limit                            int
		ExclusiveStartDeliveryStreamName string
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.Limit == 0 {
		req.Limit = 10
	}
	if req.Limit < 1 || req.Limit > 10000 {
		return nil, validation("limit", fmt.Sprint(req.Limit), "Member must have value between 1 and 10000")
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
	Data *string
}

// records decodes and checks a request's records.
func records(in []firehoseRecord) ([]streamlog.Record, error) {
	now := time.Now()
	out := make([]streamlog.Record, len(in))
	total := 0
	for i, r := range in {
		if r.Data == nil {
			return nil, validation(fmt.Sprintf("records.%d.member.data", i+1), "null", "Member must not be null")
		}
		data, err := base64.StdEncoding.DecodeString(*r.Data)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "SerializationException", "record %d: Data is not base64: %v", i+1, err)
		}
		if len(data) > maxRecordBytes {
			return nil, validation(fmt.Sprintf("records.%d.member.data", i+1), "...", fmt.Sprintf("Member must have length less than or equal to %d", maxRecordBytes))
		}
		total += len(data)
		out[i] = streamlog.Record{Data: data, Arrival: now}
	}
	if total > maxBatchBytes {
		return nil, errorf(http.StatusBadRequest, "InvalidArgumentException", "Records size exceeds 4 MiB limit")
	}
	return out, nil
}

func (s *Server) putRecord(ctx context.Context, body []byte) (any, error) {
	var req struct {
		DeliveryStreamName string
		Record             *firehoseRecord
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.Record == nil {
		return nil, validation("record", "null", "Member must not be null")
	}
	recs, err := records([]firehoseRecord{*req.Record})
	if err != nil {
		return nil, err
	}
	if _, err := s.stream(ctx, req.DeliveryStreamName); err != nil {
		return nil, err
	}
	seqs, err := s.log.Append(ctx, req.DeliveryStreamName, 0, recs)
	if err != nil {
		if errors.Is(err, streamlog.ErrNotFound) {
			return nil, s.notFound(req.DeliveryStreamName)
		}
		return nil, err
	}
	s.metrics.stored("firehose", recs)
	return map[string]any{"RecordId": seqs[0].String(), "Encrypted": false}, nil
}

func (s *Server) putRecordBatch(ctx context.Context, body []byte) (any, error) {
	var req struct {
		DeliveryStreamName string
		Records            []firehoseRecord
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if n := len(req.Records); n < 1 || n > maxBatchCount {
		return nil, validation("records", fmt.Sprintf("%d records", n), "Member must have length between 1 and 500")
	}
	recs, err := records(req.Records)
	if err != nil {
		return nil, err
	}
	if _, err := s.stream(ctx, req.DeliveryStreamName); err != nil {
		return nil, err
	}
	seqs, err := s.log.Append(ctx, req.DeliveryStreamName, 0, recs)
	if err != nil {
		if errors.Is(err, streamlog.ErrNotFound) {
			return nil, s.notFound(req.DeliveryStreamName)
		}
		return nil, err
	}
	s.metrics.stored("firehose", recs)
	responses := make([]map[string]string, len(seqs))
	for i, seq := range seqs {
		responses[i] = map[string]string{"RecordId": seq.String()}
	}
	return map[string]any{"FailedPutCount": 0, "Encrypted": false, "RequestResponses": responses}, nil
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
