package destination

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
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/riffle-sql/riffle/internal/safedial"
	"github.com/riffle-sql/riffle/internal/throttle"
	"github.com/riffle-sql/riffle/streamlog"
)

// Record is one output row on its way to a destination.
type Record struct {
	Seq       uint64 // the output's row number, from 1
	ID        string // stable across retries and restarts
	RetryHint int    // failed attempts so far
	Data      []byte
}

// Limits bound one batch.
type Limits struct {
	Records int
	Bytes   int
}

// A Sink writes batches to one destination. Send reports, per record,
// whether it was accepted; an error means none was.
type Sink interface {
	Send(ctx context.Context, batch []Record) ([]bool, error)
	Limits() Limits
	String() string // names the destination in logs and metrics
}

// lambdaPayload is the synchronous Lambda payload limit, which the service
// splits larger batches to fit.
const lambdaPayload = 6_000_000

// recordOverhead is what a record adds to a batch beyond its data: in an
// event, its id, metadata and punctuation.
const recordOverhead = 96

// LambdaSink delivers to a Lambda-compatible function.
type LambdaSink struct {
	Function       Function
	Name           string // the function's name or URL, for logs
	ApplicationARN string
}

func (s *LambdaSink) String() string { return "lambda:" + s.Name }

// Limits keep an event under the payload limit once its data is base64
// (4 bytes for every 3).
func (s *LambdaSink) Limits() Limits {
	return Limits{Records: 1 << 20, Bytes: lambdaPayload * 3 / 4}
}

// Send invokes the function once with the batch and reads its per-record
// results: a record without an Ok is a failed one.
func (s *LambdaSink) Send(ctx context.Context, batch []Record) ([]bool, error) {
	e := Event{InvocationID: newUUID(), ApplicationARN: s.ApplicationARN, Records: make([]EventRecord, len(batch))}
	for i, r := range batch {
		e.Records[i] = EventRecord{RecordID: r.ID, Metadata: RecordMetadata{RetryHint: r.RetryHint}, Data: r.Data}
	}
	resp, err := s.Function.Invoke(ctx, e)
	if err != nil {
		return nil, err
	}
	results := make(map[string]string, len(resp.Records))
	for _, r := range resp.Records {
		results[r.RecordID] = r.Result
	}
	ok := make([]bool, len(batch))
	for i, r := range batch {
		ok[i] = results[r.ID] == Ok
	}
	return ok, nil
}

// HTTPFunction invokes a function served over HTTP: the event is POSTed as
// JSON and the answer is the function's response. User information in the
// URL becomes HTTP Basic authentication.
type HTTPFunction struct {
	url     string
	shown   string // url as errors and logs show it: its query's values hidden
	user    *url.Userinfo
	client  *http.Client
	timeout time.Duration
	// failures, for a URL given through the API, logs the cause of each
	// failure, which the caller sees only as safedial.ErrUnusable.
	failures *throttle.Log
	mu       sync.Mutex // guards failures
}

// FunctionTimeout bounds one invocation of an HTTP function; a call that
// takes longer fails and its records are retried.
const FunctionTimeout = time.Minute

// NewHTTPFunction checks the URL: absolute, http or https, with a host.
func NewHTTPFunction(raw string, client *http.Client) (*HTTPFunction, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("function URL %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("function URL %q: want an absolute http or https URL", raw)
	}
	if client == nil {
		client = http.DefaultClient
	}
	f := &HTTPFunction{user: u.User, client: client, timeout: FunctionTimeout}
	u.User = nil
	f.url = u.String()
	f.shown = Redacted(u)
	return f, nil
}

// NewAPIFunction is the function of a URL given through the API, which
// client (safedial.Guard's) must keep off the server's own network. Every
// failure of an invocation is the one error safedial.ErrUnusable, whatever
// its cause, so a user cannot tell open ports from closed ones (nor read
// an answer through errors); the cause goes to logger, at most once a
// minute.
func NewAPIFunction(raw string, client *http.Client, logger *slog.Logger) (*HTTPFunction, error) {
	f, err := NewHTTPFunction(raw, client)
	if err != nil {
		return nil, err
	}
	f.failures = &throttle.Log{Logger: logger, Every: time.Minute, Clock: clockwork.NewRealClock()}
	return f, nil
}

// Redacted is a URL as errors, logs and metrics show it: without its
// password, and its query's values hidden (a function URL's query often
// carries a token).
func Redacted(u *url.URL) string {
	shown := *u
	if q := shown.Query(); len(q) > 0 {
		for k := range q {
			q[k] = []string{"REDACTED"}
		}
		shown.RawQuery = q.Encode()
	}
	return shown.Redacted()
}

func (f *HTTPFunction) String() string { return f.shown }

// Invoke posts the event and decodes the response.
func (f *HTTPFunction) Invoke(ctx context.Context, e Event) (Response, error) {
	resp, err := f.invoke(ctx, e)
	if err != nil && f.failures != nil {
		f.mu.Lock()
		f.failures.Error("a function URL given through the API failed", "url", f.shown, "err", err)
		f.mu.Unlock()
		return Response{}, fmt.Errorf("invoke %s: %w", f.shown, safedial.ErrUnusable)
	}
	return resp, err
}

func (f *HTTPFunction) invoke(ctx context.Context, e Event) (Response, error) {
	body, err := json.Marshal(e)
	if err != nil {
		return Response{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(body))
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if f.user != nil {
		password, _ := f.user.Password()
		req.SetBasicAuth(f.user.Username(), password)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("invoke %s: %w", f.shown, redactedErr(err, f.url, f.shown))
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, lambdaPayload+1))
	if err != nil {
		return Response{}, fmt.Errorf("invoke %s: %w", f.shown, redactedErr(err, f.url, f.shown))
	}
	if resp.StatusCode/100 != 2 {
		return Response{}, fmt.Errorf("invoke %s: %s: %.200s", f.shown, resp.Status, answer)
	}
	if len(answer) > lambdaPayload {
		return Response{}, fmt.Errorf("invoke %s: the response is over %d bytes, Lambda's limit on a synchronous response: not read", f.shown, lambdaPayload)
	}
	var out Response
	if err := json.Unmarshal(answer, &out); err != nil {
		return Response{}, fmt.Errorf("invoke %s: the response is not the records' results: %w", f.shown, err)
	}
	return out, nil
}

// StreamSink appends rows to a Riffle delivery stream or data stream, so
// one application can read another's output.
type StreamSink struct {
	Log  *streamlog.Log
	Name string
	Kind string // "firehose" or "kinesis"
	// Clock stamps the records' arrival (nil: the real clock).
	Clock clockwork.Clock
}

func (s *StreamSink) String() string { return s.Kind + ":" + s.Name }

// Limits are PutRecordBatch's (Firehose) and PutRecords' (Kinesis).
func (s *StreamSink) Limits() Limits {
	if s.Kind == "firehose" {
		return Limits{Records: 500, Bytes: 4 << 20}
	}
	return Limits{Records: 500, Bytes: 5 << 20}
}

// Send stores the batch. A data stream's record goes to the shard of its
// partition key, the record id; a delivery stream's record ends with a
// newline, so objects stay apart in whatever reads the stream as text.
func (s *StreamSink) Send(ctx context.Context, batch []Record) ([]bool, error) {
	info, err := s.Log.Describe(ctx, s.Name)
	if err != nil {
		return nil, err
	}
	clock := s.Clock
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	now := clock.Now()
	byShard := map[int][]int{}
	recs := make([]streamlog.Record, len(batch))
	for i, r := range batch {
		data := r.Data
		shard := 0
		if s.Kind == "firehose" {
			if !bytes.HasSuffix(data, []byte("\n")) {
				data = append(data[:len(data):len(data)], '\n')
			}
		} else {
			shard = streamlog.ShardForKey(r.ID, info.Shards)
		}
		recs[i] = streamlog.Record{Data: data, PartitionKey: r.ID, Arrival: now}
		byShard[shard] = append(byShard[shard], i)
	}
	ok := make([]bool, len(batch))
	var errs []error
	for shard, idx := range byShard {
		part := make([]streamlog.Record, len(idx))
		for j, i := range idx {
			part[j] = recs[i]
		}
		// A batch beyond the NATS server's max_payload is stored in
		// several messages: those stored before one failed count.
		seqs, err := s.Log.Append(ctx, s.Name, shard, part)
		for _, i := range idx[:len(seqs)] {
			ok[i] = true
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if !slices.Contains(ok, true) && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return ok, nil
}

// FileSink appends rows to a file as JSON lines (or CSV lines), synced
// before they count as delivered.
type FileSink struct {
	Path string
	mu   sync.Mutex
}

func (s *FileSink) String() string { return "file:" + s.Path }

// Limits keep one write of a batch moderate.
func (s *FileSink) Limits() Limits { return Limits{Records: 10000, Bytes: 16 << 20} }

// Send appends the batch, one row a line, and syncs the file.
func (s *FileSink) Send(ctx context.Context, batch []Record) ([]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(s.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	var b []byte
	for _, r := range batch {
		b = append(b, r.Data...)
		if !bytes.HasSuffix(r.Data, []byte("\n")) {
			b = append(b, '\n')
		}
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", s.Path, err)
	}
	ok := make([]bool, len(batch))
	for i := range ok {
		ok[i] = true
	}
	return ok, nil
}

// newUUID is a random (version 4) UUID, as the service's invocation ids.
func newUUID() string {
	var u [16]byte
	rand.Read(u[:])
	return formatUUID(u, 4)
}

func formatUUID(u [16]byte, version byte) string {
	u[6] = u[6]&0x0f | version<<4
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// redactedErr is err with the function's URL, which net/http puts in its
// errors whole, shown redacted; it still unwraps to err.
func redactedErr(err error, raw, shown string) error {
	if raw == shown || !strings.Contains(err.Error(), raw) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), raw, shown), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
