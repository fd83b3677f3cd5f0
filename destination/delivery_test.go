package destination

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/sql/types"
)

func TestFormatsWriteRowsAsTheServiceDoes(t *testing.T) {
	cols := []string{"CTRPERCENT", "ANOMALY_SCORE", "Name", "AT", "OK", "GONE"}
	vals := []types.Value{
		{Kind: types.Double, F: 400}, {Kind: types.Double, F: 3.5125}, {Kind: types.Varchar, S: `a, "b"`},
		{Kind: types.Timestamp, I: time.Date(2017, 5, 6, 17, 47, 0, 0, time.UTC).UnixMilli()},
		{Kind: types.Boolean, I: 1}, {Kind: types.Integer, Null: true},
	}
	if got, want := string(JSON.Append(nil, cols, vals)), `{"CTRPERCENT":400,"ANOMALY_SCORE":3.5125,"Name":"a, \"b\"","AT":"2017-05-06 17:47:00.000","OK":true,"GONE":null}`; got != want {
		t.Errorf("JSON:\n got %s\nwant %s", got, want)
	}
	if got, want := string(CSV.Append(nil, cols, vals)), "400,3.5125,\"a, \"\"b\"\"\",2017-05-06 17:47:00.000,true,null\n"; got != want {
		t.Errorf("CSV:\n got %q\nwant %q", got, want)
	}
	for _, bad := range []string{"json", "XML", ""} {
		if _, err := ParseFormat(bad); err == nil {
			t.Errorf("format %q accepted", bad)
		}
	}
}

// endpoint is a Lambda-compatible function over HTTP that fails chosen
// records a number of times before accepting them, and records what it got.
type endpoint struct {
	mu          sync.Mutex
	failFirst   func(data string) int // how many attempts of this row fail
	attempts    map[string][]Event    // by row data
	ids         map[string][]string   // record ids seen, by row data
	hints       map[string][]int
	invocations []Event
}

func newEndpoint(failFirst func(string) int) (*endpoint, *httptest.Server) {
	e := &endpoint{failFirst: failFirst, attempts: map[string][]Event{}, ids: map[string][]string{}, hints: map[string][]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev Event
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		e.invocations = append(e.invocations, ev)
		var resp Response
		for _, rec := range ev.Records {
			data := string(rec.Data)
			e.ids[data] = append(e.ids[data], rec.RecordID)
			e.hints[data] = append(e.hints[data], rec.Metadata.RetryHint)
			result := Ok
			if len(e.ids[data]) <= e.failFirst(data) {
				result = DeliveryFailed
			}
			resp.Records = append(resp.Records, Result{RecordID: rec.RecordID, Result: result})
		}
		json.NewEncoder(w).Encode(resp)
	}))
	return e, srv
}

func (e *endpoint) delivered() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for data, ids := range e.ids {
		if len(ids) > e.failFirst(data) {
			n++
		}
	}
	return n
}

// waitFor polls a condition until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, bounded by the deadline
	}
}

type memAcks struct {
	mu sync.Mutex
	a  Acked
	ok bool
}

func (m *memAcks) Load(context.Context) (Acked, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.a, m.ok, nil
}

func (m *memAcks) Save(_ context.Context, a Acked) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.a, m.ok = a, true
	return nil
}

func lambdaSink(t *testing.T, url string) *LambdaSink {
	f, err := NewHTTPFunction(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &LambdaSink{Function: f, Name: url, ApplicationARN: "arn:aws:kinesisanalytics:us-east-1:000000000000:application/lab"}
}

func fastConfig(sink Sink, acks AckStore) Config {
	return Config{Sink: sink, IDKey: "lab/1.1", Acks: acks, MinInterval: time.Millisecond, Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond}
}

// TestFailedRecordsAreRetriedUntilAcceptedWithTheirIDs: the endpoint fails
// the first three attempts of every third row; every row arrives, none is
// lost, a repeat carries the same record id and a growing retryHint, and
// the event has the service's shape.
func TestFailedRecordsAreRetriedUntilAcceptedWithTheirIDs(t *testing.T) {
	ep, srv := newEndpoint(func(data string) int {
		var n int
		fmt.Sscanf(data, `{"N":%d}`, &n)
		if n%3 == 0 {
			return 3
		}
		return 0
	})
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := New(ctx, fastConfig(lambdaSink(t, srv.URL), &memAcks{}))
	if err != nil {
		t.Fatal(err)
	}
	go d.Run(ctx)
	const rows = 30
	for i := range rows {
		d.Add([]byte(fmt.Sprintf(`{"N":%d}`, i)))
		if i%7 == 6 {
			d.Flush()
		}
	}
	d.Flush()
	waitFor(t, "every row delivered", func() bool { return ep.delivered() == rows })
	waitFor(t, "an empty queue", func() bool { return d.Waiting() == 0 })

	ep.mu.Lock()
	defer ep.mu.Unlock()
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	seenIDs := map[string]bool{}
	for data, ids := range ep.ids {
		want := 1 + ep.failFirst(data)
		if len(ids) != want {
			t.Errorf("%s sent %d times, want %d", data, len(ids), want)
		}
		for _, id := range ids {
			if id != ids[0] {
				t.Errorf("%s: record id changed from %s to %s", data, ids[0], id)
			}
		}
		if !uuid.MatchString(ids[0]) || seenIDs[ids[0]] {
			t.Errorf("%s: record id %q is not a fresh UUID", data, ids[0])
		}
		seenIDs[ids[0]] = true
		for attempt, hint := range ep.hints[data] {
			if hint != attempt {
				t.Errorf("%s: attempt %d had retryHint %d", data, attempt, hint)
			}
		}
	}
	invocations := map[string]bool{}
	for _, ev := range ep.invocations {
		if !uuid.MatchString(ev.InvocationID) || invocations[ev.InvocationID] {
			t.Errorf("invocation id %q is not a fresh UUID", ev.InvocationID)
		}
		invocations[ev.InvocationID] = true
		if ev.ApplicationARN != "arn:aws:kinesisanalytics:us-east-1:000000000000:application/lab" {
			t.Errorf("applicationArn %q", ev.ApplicationARN)
		}
	}
}

// TestTheWireEventIsTheServices reads the raw JSON a function receives.
func TestTheWireEventIsTheServices(t *testing.T) {
	got := make(chan map[string]any, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var raw map[string]any
		json.NewDecoder(r.Body).Decode(&raw)
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("content type %q", r.Header.Get("Content-Type"))
		}
		if user, pass, ok := r.BasicAuth(); !ok || user != "fn" || pass != "secret" {
			t.Errorf("basic auth %q %q %v", user, pass, ok)
		}
		got <- raw
		recs := raw["records"].([]any)
		id := recs[0].(map[string]any)["recordId"]
		fmt.Fprintf(w, `{"records":[{"recordId":%q,"result":"Ok"}]}`, id)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := New(ctx, fastConfig(lambdaSink(t, "http://fn:secret@"+srv.Listener.Addr().String()), nil))
	if err != nil {
		t.Fatal(err)
	}
	go d.Run(ctx)
	d.Add([]byte(`{"CTRPERCENT":400}`))
	d.Flush()
	raw := <-got
	rec := raw["records"].([]any)[0].(map[string]any)
	if rec["data"] != "eyJDVFJQRVJDRU5UIjo0MDB9" {
		t.Errorf("data %v is not the base64 row", rec["data"])
	}
	if meta := rec["lambdaDeliveryRecordMetadata"].(map[string]any); meta["retryHint"] != float64(0) {
		t.Errorf("metadata %v", meta)
	}
	for _, key := range []string{"invocationId", "applicationArn", "records"} {
		if raw[key] == nil {
			t.Errorf("event without %s: %v", key, raw)
		}
	}
	waitFor(t, "the acknowledgement", func() bool { return d.Waiting() == 0 })
}

// TestBadAnswersAreFailures: an error status, a body that is not JSON, a
// missing result or an unknown one all leave the record to retry.
func TestBadAnswersAreFailures(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	answers := []func(w http.ResponseWriter, id string){
		func(w http.ResponseWriter, id string) { http.Error(w, "boom", http.StatusInternalServerError) },
		func(w http.ResponseWriter, id string) { fmt.Fprint(w, `Published Notification`) },
		func(w http.ResponseWriter, id string) { fmt.Fprint(w, `{"records":[]}`) },
		func(w http.ResponseWriter, id string) {
			fmt.Fprintf(w, `{"records":[{"recordId":%q,"result":"Maybe"}]}`, id)
		},
		func(w http.ResponseWriter, id string) {
			fmt.Fprintf(w, `{"records":[{"recordId":%q,"result":"Ok"}]}`, id)
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev Event
		json.NewDecoder(r.Body).Decode(&ev)
		mu.Lock()
		n := calls
		calls++
		mu.Unlock()
		answers[min(n, len(answers)-1)](w, ev.Records[0].RecordID)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := New(ctx, fastConfig(lambdaSink(t, srv.URL), nil))
	if err != nil {
		t.Fatal(err)
	}
	go d.Run(ctx)
	d.Add([]byte(`{"N":1}`))
	d.Flush()
	waitFor(t, "the acknowledgement", func() bool { return d.Waiting() == 0 })
	mu.Lock()
	defer mu.Unlock()
	if calls != len(answers) {
		t.Errorf("%d calls, want %d (one per answer)", calls, len(answers))
	}
}

// TestARestartSendsOnlyWhatWasNotAcknowledged: a delivery restored from a
// checkpoint taken before some rows were acknowledged sends only the rows
// the destination has not acknowledged, with their ids, and drops the
// delivered rows the application produces again.
func TestARestartSendsOnlyWhatWasNotAcknowledged(t *testing.T) {
	var mu sync.Mutex
	accept := false
	sent := map[string][]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev Event
		json.NewDecoder(r.Body).Decode(&ev)
		mu.Lock()
		defer mu.Unlock()
		var resp Response
		for _, rec := range ev.Records {
			sent[string(rec.Data)] = append(sent[string(rec.Data)], rec.RecordID)
			result := DeliveryFailed
			if accept || string(rec.Data) < "row 3" {
				result = Ok
			}
			resp.Records = append(resp.Records, Result{RecordID: rec.RecordID, Result: result})
		}
		json.NewEncoder(w).Encode(resp)
	}))
	defer srv.Close()
	acks := &memAcks{}
	ctx1, cancel1 := context.WithCancel(context.Background())
	cfg := fastConfig(lambdaSink(t, srv.URL), acks)
	d1, err := New(ctx1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { d1.Run(ctx1); close(done) }()
	d1.Add([]byte("row 1"))
	d1.Add([]byte("row 2"))
	d1.Add([]byte("row 3"))
	d1.Flush()
	checkpoint := d1.State() // rows 1-3 taken, none acknowledged yet
	d1.Add([]byte("row 4"))
	d1.Add([]byte("row 5"))
	d1.Flush()
	waitFor(t, "rows 1 and 2 acknowledged", func() bool { return d1.Waiting() == 3 })
	cancel1() // the crash
	<-done
	mu.Lock()
	firstIDs := map[string]string{}
	for data, ids := range sent {
		firstIDs[data] = ids[0]
	}
	sent = map[string][]string{}
	accept = true
	mu.Unlock()

	// The restarted application replays from the checkpoint: rows 4 and 5
	// come again.
	cfg.State = checkpoint
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	d2, err := New(ctx2, cfg)
	if err != nil {
		t.Fatal(err)
	}
	go d2.Run(ctx2)
	d2.Add([]byte("row 4"))
	d2.Add([]byte("row 5"))
	d2.Add([]byte("row 6"))
	d2.Flush()
	waitFor(t, "the rest acknowledged", func() bool { return d2.Waiting() == 0 })
	mu.Lock()
	defer mu.Unlock()
	for _, data := range []string{"row 1", "row 2"} {
		if len(sent[data]) > 0 {
			t.Errorf("%s was acknowledged before the crash but sent again", data)
		}
	}
	for _, data := range []string{"row 3", "row 4", "row 5", "row 6"} {
		if len(sent[data]) != 1 {
			t.Errorf("%s sent %d times after the restart, want 1", data, len(sent[data]))
		}
		if first, ok := firstIDs[data]; ok && sent[data][0] != first {
			t.Errorf("%s: id %s after the restart, %s before", data, sent[data][0], first)
		}
	}
}

// TestRowsFlushedTogetherGoTogether: a window's rows make one invocation,
// and a batch over the size limit is split.
func TestRowsFlushedTogetherGoTogether(t *testing.T) {
	var mu sync.Mutex
	var sizes []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev Event
		json.NewDecoder(r.Body).Decode(&ev)
		mu.Lock()
		sizes = append(sizes, len(ev.Records))
		mu.Unlock()
		var resp Response
		for _, rec := range ev.Records {
			resp.Records = append(resp.Records, Result{RecordID: rec.RecordID, Result: Ok})
		}
		json.NewEncoder(w).Encode(resp)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := New(ctx, fastConfig(lambdaSink(t, srv.URL), nil))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		d.Add(fmt.Appendf(nil, `{"N":%d}`, i))
	}
	d.Flush()
	big := make([]byte, 1<<20) // 1 MiB rows: four fit under the 6 MB payload
	for range 6 {
		d.Add(big)
	}
	d.Flush()
	go d.Run(ctx)
	waitFor(t, "every row delivered", func() bool { return d.Waiting() == 0 })
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) != 2 || sizes[0] != 40+4 || sizes[1] != 2 {
		t.Errorf("invocations of %v records, want [44 2]", sizes)
	}
}

// countingSink accepts everything, with a data stream's limits, and counts;
// with gate set, a send says it started and waits for the gate.
type countingSink struct {
	mu      sync.Mutex
	rows    int
	sends   int
	started chan struct{}
	gate    chan struct{}
}

func (s *countingSink) Send(ctx context.Context, batch []Record) ([]bool, error) {
	if s.gate != nil {
		s.started <- struct{}{}
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rows += len(batch)
	s.sends++
	ok := make([]bool, len(batch))
	for i := range ok {
		ok[i] = true
	}
	return ok, nil
}
func (s *countingSink) Limits() Limits { return (&StreamSink{Kind: "kinesis"}).Limits() }
func (s *countingSink) String() string { return "counting" }

// TestFullBatchesGoBackToBack: the once-per-interval spacing applies to
// batches that were not cut at the limits; a backlog of full batches goes
// at once, so a fast destination is not held to 500 rows per interval.
func TestFullBatchesGoBackToBack(t *testing.T) {
	sink := &countingSink{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := New(ctx, Config{Sink: sink, MinInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	go d.Run(ctx)
	for i := range 2000 {
		d.Add(fmt.Appendf(nil, `{"N":%d}`, i))
	}
	d.Flush()
	waitFor(t, "2000 rows through 500-record batches", func() bool { return d.Waiting() == 0 })
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if sink.sends != 4 || sink.rows != 2000 {
		t.Errorf("%d sends of %d rows, want 4 of 2000", sink.sends, sink.rows)
	}
}

// TestASendThatSucceedsAsTheSenderStopsIsDelivered: a batch the
// destination took while the application was stopping is acknowledged and
// written down, not kept to go again.
func TestASendThatSucceedsAsTheSenderStopsIsDelivered(t *testing.T) {
	sink := &countingSink{started: make(chan struct{}), gate: make(chan struct{})}
	acks := &memAcks{}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := New(context.Background(), Config{Sink: sink, Acks: acks, MinInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	d.Add([]byte("row 1"))
	d.Flush()
	<-sink.started
	cancel() // the application stops while the row is being written
	close(sink.gate)
	<-done
	if n := len(d.State().Pending); n != 0 {
		t.Errorf("the destination took the row, yet %d rows are still pending", n)
	}
	if a, ok, _ := acks.Load(context.Background()); !ok || !a.has(d.State().Epoch, 1) {
		t.Errorf("the acknowledgement was not written down: %+v", a)
	}
}

// TestRetryHintStartsAgainAfterARestart: as in the service, retryHint is
// kept in memory only: a row that failed once is sent after a restart with
// retryHint 0 (and its same record id).
func TestRetryHintStartsAgainAfterARestart(t *testing.T) {
	ep, srv := newEndpoint(func(string) int { return 1 })
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := fastConfig(lambdaSink(t, srv.URL), nil)
	cfg.Backoff, cfg.MaxBackoff = time.Hour, time.Hour // no retry in this run
	d, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	d.Add([]byte("row"))
	d.Flush()
	waitFor(t, "one failure", func() bool {
		ep.mu.Lock()
		defer ep.mu.Unlock()
		return len(ep.hints["row"]) == 1
	})
	cancel()
	<-done
	cfg.State = d.State()
	cfg.Backoff, cfg.MaxBackoff = time.Millisecond, time.Millisecond
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	d2, err := New(ctx2, cfg)
	if err != nil {
		t.Fatal(err)
	}
	go d2.Run(ctx2)
	waitFor(t, "the row delivered", func() bool { return d2.Waiting() == 0 })
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if h, ids := ep.hints["row"], ep.ids["row"]; len(h) != 2 || h[1] != 0 || ids[0] != ids[1] {
		t.Errorf("retryHints %v, ids %v: want [0 0] and one id", h, ids)
	}
}
