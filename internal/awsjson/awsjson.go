// Package awsjson is the front door of the AWS JSON 1.1 protocol that
// riffle serve speaks: services (Firehose, Kinesis, Kinesis Analytics)
// register their operations by X-Amz-Target prefix, and the front door
// routes requests to them, checks Signature Version 4 (header signatures
// and, for plain handlers, presigned URLs), answers errors in the AWS shape
// and counts requests.
package awsjson

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
)

// Options configure the front door.
type Options struct {
	// Credentials, access key ID to secret, turn on Signature Version 4
	// checking. Without them any well-formed signature is accepted (as
	// local emulators do), which is only safe on loopback.
	Credentials map[string]string
	// Metrics, when set, receives the request metrics.
	Metrics prometheus.Registerer
	Logger  *slog.Logger
	// Clock is what signatures' times are checked against; the real
	// clock by default.
	Clock clockwork.Clock
	// BodyTimeout bounds the reading of a request's body (DefaultBodyTimeout):
	// a client that sends a byte now and then cannot hold a connection.
	BodyTimeout time.Duration
	// BodyMemory bounds the bytes of request bodies held at once, those
	// of the API and of Authenticate's handlers together
	// (DefaultBodyMemory): a request beyond it is answered 503
	// ServiceUnavailableException, which the SDKs retry.
	BodyMemory int64
}

// DefaultBodyTimeout is how long a request's body may take to arrive: a
// 6 MiB put at 1 Mbit/s.
const DefaultBodyTimeout = time.Minute

// Operation handles one X-Amz-Target operation: the request body in, the
// response (to encode as JSON) or an error out. An error made with Errorf
// is answered as it is; any other is an InternalFailure.
type Operation func(ctx context.Context, body []byte) (any, error)

// Server is the front door's HTTP handler: POSTs of the registered
// services' operations to any path.
type Server struct {
	opts     Options
	metrics  *metrics
	services map[string]map[string]Operation
	limits   map[string]int // an operation's body limit, by target, when not defaultMaxBody
	bodies   *bodyBudget
}

// metrics count the requests. The names predate the front door (it was
// part of the ingestion API) and are kept so dashboards keep working.
type metrics struct {
	errors  *prometheus.CounterVec
	latency *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riffle_ingest_errors_total", Help: "Requests answered with an error, by error code."}, []string{"code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "riffle_ingest_request_seconds", Help: "Time to answer a request (puts: until stored), by operation.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"operation"}),
	}
	if reg != nil {
		reg.MustRegister(m.errors, m.latency)
	}
	return m
}

// New makes a front door with no services registered.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.BodyTimeout <= 0 {
		opts.BodyTimeout = DefaultBodyTimeout
	}
	if opts.BodyMemory <= 0 {
		opts.BodyMemory = DefaultBodyMemory
	}
	return &Server{opts: opts, metrics: newMetrics(opts.Metrics), services: map[string]map[string]Operation{}, limits: map[string]int{},
		bodies: &bodyBudget{most: opts.BodyMemory}}
}

// Register serves a service's operations under its target prefix (such as
// Firehose_20150804). Register everything before serving: the routing
// table is not guarded against requests in flight.
func (s *Server) Register(prefix string, ops map[string]Operation) {
	if _, dup := s.services[prefix]; dup {
		panic("awsjson: " + prefix + " registered twice")
	}
	s.services[prefix] = ops
}

// maxBody bounds any request's body, whatever an operation's limit.
const maxBody = 16 << 20

// defaultMaxBody bounds the body of an operation that sets no limit of
// its own (Limit): the services' management calls are small.
const defaultMaxBody = 1 << 20

// Limit sets the largest body an operation takes (at most maxBody): the
// puts take the service's records' limit, base64-encoded in JSON.
func (s *Server) Limit(prefix, op string, bytes int) {
	s.limits[prefix+"."+op] = min(bytes, maxBody)
}

// limit is the largest body a target takes.
func (s *Server) limit(target string) int {
	if n, ok := s.limits[target]; ok {
		return n
	}
	return defaultMaxBody
}

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

// Errorf makes an error that the front door answers in the AWS shape: the
// HTTP status, the exception's name (__type) and the message.
func Errorf(status int, kind, format string, args ...any) error {
	return &apiError{status: status, kind: kind, msg: fmt.Sprintf(format, args...)}
}

// Validation is the services' ValidationException, in their "1 validation
// error detected" form.
func Validation(field, value, constraint string) error {
	return Errorf(http.StatusBadRequest, "ValidationException",
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

// Decode reads a JSON request body into v (an empty body is {}); a
// malformed one is a SerializationException.
func Decode(body []byte, v any) error {
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return Errorf(http.StatusBadRequest, "SerializationException", "the request is not valid JSON for this operation: %v", err)
	}
	return nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newID()
	w.Header().Set("x-amzn-RequestId", requestID)
	start := s.opts.Clock.Now()
	limitBodyTime(w, r, s.opts.BodyTimeout)
	result, err := s.handle(r)
	service, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	if s.services[service][op] == nil {
		op = "unknown"
	}
	s.metrics.latency.WithLabelValues(op).Observe(s.opts.Clock.Since(start).Seconds())
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			s.opts.Logger.Error("request failed", "target", r.Header.Get("X-Amz-Target"), "request", requestID, "err", err)
			ae = &apiError{status: http.StatusInternalServerError, kind: "InternalFailure", msg: "internal error; see the server's log, request " + requestID}
		}
		s.metrics.errors.WithLabelValues(ae.kind).Inc()
		ae.write(w)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(result)
}

// BodyTimeLimit gives every request's body timeout to arrive whole, for
// handlers that read bodies or ignore them alike (the front door does the
// same with Options.BodyTimeout).
func BodyTimeLimit(next http.Handler, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limitBodyTime(w, r, timeout)
		next.ServeHTTP(w, r)
	})
}

// limitBodyTime sets the connection's read deadline (network time, not a
// clock's) for r's body and lifts it once the body has been read to its
// end: what the handler then does takes the time it takes, and a request
// without a body sets none, as a deadline would also end the background
// read that tells net/http the client is still there. A body left unread
// keeps the deadline: net/http reads up to 256 KiB of it after the
// handler, which a client sending a byte now and then would stretch to
// days.
func limitBodyTime(w http.ResponseWriter, r *http.Request, timeout time.Duration) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(timeout)) != nil {
		return
	}
	// As http.MaxBytesReader is used: the server keeps its own reference
	// to the body, for what it reads after the handler.
	r.Body = &liftAtEOF{ReadCloser: r.Body, lift: func() { rc.SetReadDeadline(time.Time{}) }}
}

// liftAtEOF calls lift when its body ends.
type liftAtEOF struct {
	io.ReadCloser
	lift func()
	done bool
}

func (b *liftAtEOF) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		b.lift()
	}
	return n, err
}

// jsonSigned are the headers a JSON 1.1 call must sign: the host (or a
// signature could be replayed at another server) and the target (or a
// captured call could be replayed as another operation with the same body).
var jsonSigned = []string{"host", "x-amz-target"}

func (s *Server) handle(r *http.Request) (any, error) {
	if r.Method != http.MethodPost {
		return nil, Errorf(http.StatusBadRequest, "UnknownOperationException", "use POST with an X-Amz-Target header")
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		return nil, Errorf(http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token: sign the request with AWS Signature Version 4")
	}
	if ct := r.Header.Get("Content-Type"); strings.Contains(ct, "cbor") {
		return nil, Errorf(http.StatusBadRequest, "SerializationException", "CBOR is not supported: turn it off in the client (AWS_CBOR_DISABLE=1 for the Java SDK and KPL)")
	}
	service, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	fn := s.services[service][op]
	if fn == nil {
		return nil, Errorf(http.StatusBadRequest, "UnknownOperationException", "unknown operation %q", r.Header.Get("X-Amz-Target"))
	}
	// Nothing of the body is read before the headers pass: a request that
	// announces more than its operation takes, or that is not signed with
	// a key of this server, costs no more than its headers.
	limit := s.limit(service + "." + op)
	tooLarge := func() error {
		return Errorf(http.StatusRequestEntityTooLarge, "SerializationException", "the request is larger than %d bytes, the most %s takes", limit, op)
	}
	if r.ContentLength > int64(limit) {
		return nil, tooLarge()
	}
	if s.opts.Credentials != nil {
		if _, _, _, err := s.checkHeader(r, jsonSigned); err != nil {
			return nil, err
		}
	}
	release, err := s.reserve(r.ContentLength, limit)
	if err != nil {
		return nil, err
	}
	defer release() // once the operation is done with the body
	// Read into a buffer of the announced size: io.ReadAll would grow
	// one by doubling (a 500-record put is about 50 KiB).
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 {
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err = buf.ReadFrom(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		return nil, Errorf(http.StatusBadRequest, "SerializationException", "reading the request: %v", err)
	}
	body := buf.Bytes()
	if len(body) > limit {
		return nil, tooLarge()
	}
	if s.opts.Credentials != nil {
		if err := s.verify(r.Context(), r, body, jsonSigned); err != nil {
			return nil, err
		}
	}
	ctx := r.Context()
	if id := r.Header.Get("Amz-Sdk-Invocation-Id"); id != "" {
		ctx = context.WithValue(ctx, invocationKey{}, id)
	}
	return fn(ctx, body)
}

type invocationKey struct{}

// InvocationID is the id an AWS SDK (or the AWS CLI) gives one call and
// keeps across its retries (the amz-sdk-invocation-id header), or "": an
// operation can recognise a retry of a request it already carried out.
func InvocationID(ctx context.Context) string {
	id, _ := ctx.Value(invocationKey{}).(string)
	return id
}

// newID makes a request ID in the service's UUID-like form.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
