package destination

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

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
// records a number of times before accepting them, and records what it got
// and when, on the test's clock.
type endpoint struct {
	clock       clockwork.Clock
	mu          sync.Mutex
	failFirst   func(data string) int // how many attempts of this row fail
	ids         map[string][]string   // record ids seen, by row data
	hints       map[string][]int
	at          map[string][]time.Time // attempts' times, by row data
	invocations []Event
	invokedAt   []time.Time
}

func newEndpoint(clock clockwork.Clock, failFirst func(string) int) (*endpoint, *httptest.Server) {
	e := &endpoint{clock: clock, failFirst: failFirst, ids: map[string][]string{}, hints: map[string][]int{}, at: map[string][]time.Time{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev Event
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		now := e.clock.Now()
		e.invocations = append(e.invocations, ev)
		e.invokedAt = append(e.invokedAt, now)
		var resp Response
		for _, rec := range ev.Records {
			data := string(rec.Data)
			e.ids[data] = append(e.ids[data], rec.RecordID)
			e.hints[data] = append(e.hints[data], rec.Metadata.RetryHint)
			e.at[data] = append(e.at[data], now)
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

// guard bounds a wait on a condition, so that a bug fails the test instead
// of hanging it; no test passes or fails on how long it takes.
func guard(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// waiting returns once the sender waits on the fake clock: every send it
// began before is settled, and it sends nothing more until the clock moves
// or rows come.
func waiting(t *testing.T, clock *clockwork.FakeClock) {
	t.Helper()
	if err := clock.BlockUntilContext(guard(t), 1); err != nil {
		t.Fatalf("the sender never waited on the clock: %v", err)
	}
}

// advanceUntil moves the fake clock on by step each time the sender waits
// on it, until done holds.
func advanceUntil(t *testing.T, clock *clockwork.FakeClock, step time.Duration, what string, done func() bool) {
	t.Helper()
	start := clock.Now()
	for {
		waiting(t, clock)
		if done() {
			return
		}
		if clock.Since(start) > time.Hour {
			t.Fatalf("an hour on the clock and still not %s", what)
		}
		clock.Advance(step)
	}
}

// drain waits until every row is acknowledged.
func drain(t *testing.T, d *Delivery) {
	t.Helper()
	d.Drain(guard(t))
	if n := d.Waiting(); n > 0 {
		t.Fatalf("%d rows never acknowledged", n)
	}
}

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

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

// fakeConfig has the service's timings (sends a second apart, retries
// after 0.5 s doubling to 30 s) on a fake clock.
func fakeConfig(sink Sink, acks AckStore, clock clockwork.Clock) Config {
	return Config{Sink: sink, IDKey: "lab/1.1", Acks: acks, Clock: clock}
}

// TestFailedRecordsAreRetriedUntilAcceptedWithTheirIDs: the endpoint fails
// the first three attempts of every third row; every row arrives, none is
// lost, a repeat carries the same record id and a growing retryHint, no
// retry comes before its backoff, no send within a second of the last, and
// the event has the service's shape.
func TestFailedRecordsAreRetriedUntilAcceptedWithTheirIDs(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	ep, srv := newEndpoint(clock, func(data string) int {
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
	d, err := New(ctx, fakeConfig(lambdaSink(t, srv.URL), &memAcks{}, clock))
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
	advanceUntil(t, clock, 100*time.Millisecond, "every row delivered", func() bool { return ep.delivered() == rows && d.Waiting() == 0 })

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
		at := ep.at[data]
		for i := 1; i < len(at); i++ {
			backoff := DefaultBackoff << (i - 1) // 0.5 s, 1 s, 2 s
			if got := at[i].Sub(at[i-1]); got < backoff {
				t.Errorf("%s: retry %d came %v after the attempt before, before its backoff of %v", data, i, got, backoff)
			}
		}
	}
	for i := 1; i < len(ep.invokedAt); i++ {
		if got := ep.invokedAt[i].Sub(ep.invokedAt[i-1]); got < DefaultMinInterval {
			t.Errorf("invocation %d came %v after the one before, within the second between sends", i, got)
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
	// The real clock (no Clock given): the first rows go at once.
	d, err := New(ctx, Config{Sink: lambdaSink(t, "http://fn:secret@"+srv.Listener.Addr().String()), IDKey: "lab/1.1"})
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
	drain(t, d)
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
	clock := clockwork.NewFakeClockAt(t0)
	d, err := New(ctx, fakeConfig(lambdaSink(t, srv.URL), nil, clock))
	if err != nil {
		t.Fatal(err)
	}
	go d.Run(ctx)
	d.Add([]byte(`{"N":1}`))
	d.Flush()
	advanceUntil(t, clock, 100*time.Millisecond, "the acknowledgement", func() bool { return d.Waiting() == 0 })
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
	clock := clockwork.NewFakeClockAt(t0)
	cfg := fakeConfig(lambdaSink(t, srv.URL), acks, clock)
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
	advanceUntil(t, clock, 100*time.Millisecond, "rows 1 and 2 acknowledged", func() bool { return d1.Waiting() == 3 })
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
	advanceUntil(t, clock, 100*time.Millisecond, "the rest acknowledged", func() bool { return d2.Waiting() == 0 })
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
	// The clock never moves: the second batch goes at once because the
	// first was cut at the limit.
	d, err := New(ctx, fakeConfig(lambdaSink(t, srv.URL), nil, clockwork.NewFakeClockAt(t0)))
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
	drain(t, d)
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
	// The clock never moves, so any spacing would hold the rows forever.
	d, err := New(ctx, Config{Sink: sink, Clock: clockwork.NewFakeClockAt(t0)})
	if err != nil {
		t.Fatal(err)
	}
	go d.Run(ctx)
	for i := range 2000 {
		d.Add(fmt.Appendf(nil, `{"N":%d}`, i))
	}
	d.Flush()
	drain(t, d)
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
	d, err := New(context.Background(), Config{Sink: sink, Acks: acks, Clock: clockwork.NewFakeClockAt(t0)})
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

// timedSink reports every send on sent, with its time on the test's clock,
// and fails the first fail sends; with gate set, a send waits for it to
// close before it answers.
type timedSink struct {
	clock clockwork.Clock
	fail  int
	sent  chan send
	gate  chan struct{}
	mu    sync.Mutex
	sends int
}

type send struct {
	at    time.Time
	batch []Record
}

func newTimedSink(clock clockwork.Clock, fail int) *timedSink {
	return &timedSink{clock: clock, fail: fail, sent: make(chan send, 100)}
}

func (s *timedSink) Send(ctx context.Context, batch []Record) ([]bool, error) {
	s.mu.Lock()
	s.sends++
	n := s.sends
	s.mu.Unlock()
	s.sent <- send{at: s.clock.Now(), batch: batch}
	if s.gate != nil {
		<-s.gate
	}
	if n <= s.fail {
		return nil, fmt.Errorf("send %d refused", n)
	}
	ok := make([]bool, len(batch))
	for i := range ok {
		ok[i] = true
	}
	return ok, nil
}
func (s *timedSink) Limits() Limits { return (&StreamSink{Kind: "kinesis"}).Limits() }
func (s *timedSink) String() string { return "timed" }

// next is the next send, which must have come.
func (s *timedSink) next(t *testing.T) send {
	t.Helper()
	select {
	case snd := <-s.sent:
		return snd
	case <-guard(t).Done():
		t.Fatal("no send")
		return send{}
	}
}

// none checks that nothing was sent; the sender must be waiting on the
// clock with no rows flushed since it last looked, so a send it made would
// be here.
func (s *timedSink) none(t *testing.T, when string) {
	t.Helper()
	select {
	case snd := <-s.sent:
		t.Fatalf("%s: a send at %v", when, snd.at.Sub(t0))
	default:
	}
}

// TestAFailedBatchIsRetriedOnlyAfterItsBackoff: after the first failure a
// batch waits 2 s, then 4 s, then the 5 s maximum, to the nanosecond: a
// moment short of the backoff nothing is sent, at the backoff the retry
// goes.
func TestAFailedBatchIsRetriedOnlyAfterItsBackoff(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	sink := newTimedSink(clock, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := New(ctx, Config{Sink: sink, Clock: clock, Backoff: 2 * time.Second, MaxBackoff: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	go d.Run(ctx)
	d.Add([]byte("row"))
	d.Flush()
	last := sink.next(t)
	if !last.at.Equal(t0) {
		t.Fatalf("the first send at %v, want at once", last.at.Sub(t0))
	}
	for i, backoff := range []time.Duration{2 * time.Second, 4 * time.Second, 5 * time.Second} {
		waiting(t, clock)
		clock.Advance(backoff - time.Millisecond)
		waiting(t, clock)
		sink.none(t, fmt.Sprintf("%v into a backoff of %v", backoff-time.Millisecond, backoff))
		clock.Advance(time.Millisecond)
		retry := sink.next(t)
		if got := retry.at.Sub(last.at); got != backoff {
			t.Errorf("retry %d came %v after the attempt before, want %v", i+1, got, backoff)
		}
		if hint := retry.batch[0].RetryHint; hint != i+1 {
			t.Errorf("retry %d has retryHint %d", i+1, hint)
		}
		last = retry
	}
	drain(t, d)
}

// TestSendsAreASecondApart: rows flushed within a second of a send wait
// for the second to end, and go together.
func TestSendsAreASecondApart(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	sink := newTimedSink(clock, 0)
	sink.gate = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := New(ctx, Config{Sink: sink, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	go d.Run(ctx)
	d.Add([]byte("row 1"))
	d.Flush()
	if first := sink.next(t); !first.at.Equal(t0) || len(first.batch) != 1 {
		t.Fatalf("first send of %d rows at %v, want 1 at once", len(first.batch), first.at.Sub(t0))
	}
	// Row 2 comes during the send: the sender sees it as soon as the send
	// is done, before it waits on the clock.
	d.Add([]byte("row 2"))
	d.Flush()
	close(sink.gate)
	waiting(t, clock)
	clock.Advance(500 * time.Millisecond)
	d.Add([]byte("row 3"))
	d.Flush()
	clock.Advance(499 * time.Millisecond)
	waiting(t, clock)
	sink.none(t, "999 ms after a send")
	clock.Advance(time.Millisecond)
	if second := sink.next(t); !second.at.Equal(t0.Add(time.Second)) || len(second.batch) != 2 {
		t.Errorf("second send of %d rows at %v, want rows 2 and 3 at 1s", len(second.batch), second.at.Sub(t0))
	}
	drain(t, d)
}

// TestRetryHintStartsAgainAfterARestart: as in the service, retryHint is
// kept in memory only: a row that failed once is sent after a restart with
// retryHint 0 (and its same record id), at once: its backoff is not kept
// either.
func TestRetryHintStartsAgainAfterARestart(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	sink := newTimedSink(clock, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cfg := Config{Sink: sink, IDKey: "lab/1.1", Clock: clock}
	d, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	d.Add([]byte("row"))
	d.Flush()
	failed := sink.next(t)
	waiting(t, clock) // the failure settled
	cancel()
	<-done
	cfg.State = d.State()
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	d2, err := New(ctx2, cfg)
	if err != nil {
		t.Fatal(err)
	}
	go d2.Run(ctx2)
	again := sink.next(t) // the clock has not moved
	drain(t, d2)
	if failed.batch[0].RetryHint != 0 || again.batch[0].RetryHint != 0 || again.batch[0].ID != failed.batch[0].ID {
		t.Errorf("retryHints %d then %d, ids %s then %s: want 0, 0 and one id",
			failed.batch[0].RetryHint, again.batch[0].RetryHint, failed.batch[0].ID, again.batch[0].ID)
	}
}

// TestBusyOnceMaxQueueRowsWait: Busy says "take no more input" exactly
// when MaxQueue rows are flushed and not acknowledged, stays so while a
// failed send's rows wait their backoff, and ends once they are delivered.
func TestBusyOnceMaxQueueRowsWait(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	sink := newTimedSink(clock, 1) // the first send fails
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := New(ctx, Config{Sink: sink, Clock: clock, MaxQueue: 3})
	if err != nil {
		t.Fatal(err)
	}
	if d.Busy() {
		t.Fatal("busy with nothing queued")
	}
	d.Add([]byte("row 1"))
	d.Add([]byte("row 2"))
	d.Flush()
	if d.Busy() {
		t.Fatal("busy with 2 rows queued, MaxQueue 3")
	}
	d.Add([]byte("row 3"))
	d.Flush()
	if !d.Busy() {
		t.Fatal("not busy with 3 rows queued, MaxQueue 3")
	}
	go d.Run(ctx)
	sink.next(t)      // the send that fails
	waiting(t, clock) // its rows wait their backoff
	if !d.Busy() {
		t.Fatal("not busy after a failed send: its rows are still to deliver")
	}
	advanceUntil(t, clock, 100*time.Millisecond, "the rows delivered", func() bool { return d.Waiting() == 0 })
	if d.Busy() {
		t.Fatal("still busy with every row delivered")
	}
}

// TestBusyByDefaultAtTenThousandRows: without MaxQueue, an output asks
// the application to wait once 10,000 rows wait.
func TestBusyByDefaultAtTenThousandRows(t *testing.T) {
	d, err := New(context.Background(), Config{Sink: &countingSink{}})
	if err != nil {
		t.Fatal(err)
	}
	for range DefaultMaxQueue - 1 {
		d.Add([]byte("row"))
	}
	d.Flush()
	if d.Busy() {
		t.Fatalf("busy with %d rows queued", DefaultMaxQueue-1)
	}
	d.Add([]byte("row"))
	d.Flush()
	if !d.Busy() {
		t.Fatalf("not busy with %d rows queued", DefaultMaxQueue)
	}
}

// TestARestoredFullQueueIsBusyAtOnce: an application restarted with a
// checkpoint whose output held MaxQueue rows takes no input until they
// are delivered; rows the destination acknowledged before the crash do
// not count.
func TestARestoredFullQueueIsBusyAtOnce(t *testing.T) {
	state := State{Epoch: "e1", Next: 3, Pending: []Pending{{Seq: 1, Data: []byte("row 1")}, {Seq: 2, Data: []byte("row 2")}, {Seq: 3, Data: []byte("row 3")}}}
	d, err := New(context.Background(), Config{Sink: &countingSink{}, State: state, MaxQueue: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Busy() {
		t.Error("not busy with the checkpoint's 3 rows to deliver, MaxQueue 3")
	}
	acks := &memAcks{a: Acked{Epoch: "e1", Through: 3, Unacked: [][2]uint64{{3, 3}}}, ok: true} // rows 1 and 2 delivered
	d, err = New(context.Background(), Config{Sink: &countingSink{}, State: state, MaxQueue: 3, Acks: acks})
	if err != nil {
		t.Fatal(err)
	}
	if d.Busy() || d.Waiting() != 1 {
		t.Errorf("busy %v with %d rows waiting, want not busy with row 3 waiting", d.Busy(), d.Waiting())
	}
}

// TestAFenceHoldsRowsBackUntilItOpens: while the fence says no, nothing is
// sent, however long the clock runs; the rows stay waiting (and in the
// state a checkpoint saves); once it says yes, they go, with their ids.
func TestAFenceHoldsRowsBackUntilItOpens(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	sink := newTimedSink(clock, 0)
	var closed atomic.Bool
	closed.Store(true)
	fence := func() error {
		if closed.Load() {
			return errors.New("this node's lease is stale")
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := New(ctx, Config{Sink: sink, Clock: clock, Fence: fence})
	if err != nil {
		t.Fatal(err)
	}
	go d.Run(ctx)
	d.Add([]byte("row 1"))
	d.Add([]byte("row 2"))
	d.Flush()
	for range 5 {
		waiting(t, clock)
		clock.Advance(time.Second)
	}
	waiting(t, clock)
	sink.none(t, "with the fence closed")
	if st := d.State(); len(st.Pending) != 2 || d.Waiting() != 2 {
		t.Fatalf("held back: %d rows waiting, %d in the state; want 2", d.Waiting(), len(st.Pending))
	}
	closed.Store(false)
	clock.Advance(time.Second)
	sent := sink.next(t)
	if len(sent.batch) != 2 || string(sent.batch[0].Data) != "row 1" || sent.batch[0].ID != d.recordID(1) {
		t.Fatalf("once the fence opened: %+v", sent.batch)
	}
	drain(t, d)
}

// TestTheMetricsKeepTheLastSuccessAndTheLastError: a failed attempt sets
// the output's last error time and text, an acknowledged retry its last
// success, each at its moment on the delivery's clock.
func TestTheMetricsKeepTheLastSuccessAndTheLastError(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	sink := newTimedSink(clock, 1)
	reg := prometheus.NewRegistry()
	metrics := NewMetrics(reg)
	labels := Labels{Application: "app", Output: "1", Destination: "timed"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := New(ctx, Config{Sink: sink, Clock: clock, Backoff: 2 * time.Second, Metrics: metrics, Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	go d.Run(ctx)
	d.Add([]byte("row"))
	d.Flush()
	sink.next(t)
	waiting(t, clock) // the failure settled
	if got := testutil.ToFloat64(metrics.lastError.WithLabelValues("app", "1", "timed")); got != unixSeconds(t0) {
		t.Errorf("last error at %v, want %v", got, unixSeconds(t0))
	}
	if got := metrics.LastError(labels); got != "send 1 refused" {
		t.Errorf("last error %q, want the sink's", got)
	}
	if n, _ := testutil.GatherAndCount(reg, "riffle_destination_last_success_timestamp_seconds"); n != 0 {
		t.Errorf("a last success before any: %d series", n)
	}
	clock.Advance(2 * time.Second)
	sink.next(t)
	drain(t, d)
	if got := testutil.ToFloat64(metrics.lastSuccess.WithLabelValues("app", "1", "timed")); got != unixSeconds(t0.Add(2*time.Second)) {
		t.Errorf("last success at %v, want %v", got, unixSeconds(t0.Add(2*time.Second)))
	}
	if got := testutil.ToFloat64(metrics.lastError.WithLabelValues("app", "1", "timed")); got != unixSeconds(t0) {
		t.Errorf("a success moved the last error to %v", got)
	}
}
