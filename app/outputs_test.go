package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/lambdatest"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// windowTotal sums N over distinct windows (by action and time), so a
// window delivered twice counts once.
func windowTotal(t *testing.T, rows []string) int {
	byWindow := map[string]int{}
	for _, data := range rows {
		var r struct {
			ACTION string
			N      int
			AT     string
		}
		if err := json.Unmarshal([]byte(data), &r); err != nil {
			t.Fatalf("row %q: %v", data, err)
		}
		byWindow[r.AT+"/"+r.ACTION] = r.N
	}
	n := 0
	for _, c := range byWindow {
		n += c
	}
	return n
}

const timedCountsSQL = `CREATE STREAM "DESTINATION_SQL_STREAM" (action VARCHAR(16), n BIGINT, "AT" TIMESTAMP);
CREATE PUMP p AS INSERT INTO "DESTINATION_SQL_STREAM"
SELECT STREAM "browseraction", COUNT(*), FLOOR(ROWTIME TO SECOND) FROM "SOURCE_SQL_STREAM_001"
GROUP BY "browseraction", FLOOR(ROWTIME TO SECOND);`

// TestOutputsDeliverEveryRowAcrossOutagesAndACrash: an application sends
// its windows to a Lambda-compatible endpoint, a file and a delivery
// stream. The endpoint goes down, the application dies without a last
// checkpoint while rows wait, and a new manager resumes it: every record
// sent is counted in exactly one delivered window, a repeat keeps its
// record id, and the file and the stream get every window too.
func TestOutputsDeliverEveryRowAcrossOutagesAndACrash(t *testing.T) {
	l, ctx := setup(t, streamlogtest.Stream{Name: "chained", Kind: "firehose", Shards: 1})
	fn := lambdatest.New(t)
	url := fn.URL
	dir := t.TempDir()
	opts := Options{Checkpoint: 30 * time.Millisecond, Poll: 10 * time.Millisecond, OutputDir: dir, AllowPrivateURLs: true,
		Delivery: destination.Config{MinInterval: 10 * time.Millisecond, Backoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}}
	m1, err := NewManager(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	outputs := []Output{
		{Name: "DESTINATION_SQL_STREAM", Format: "JSON", Kind: LambdaOutput, Target: url},
		{Name: "DESTINATION_SQL_STREAM", Format: "JSON", Kind: FileOutput, Target: "rows/out.json"},
		{Name: "DESTINATION_SQL_STREAM", Format: "JSON", Kind: FirehoseOutput, Target: "chained"},
	}
	if _, err := m1.Create(ctx, Application{Name: "lab", Code: timedCountsSQL, Inputs: []Input{in}, Outputs: outputs}); err != nil {
		t.Fatal(err)
	}
	if err := m1.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	sent := 0
	traffic := func(d time.Duration) {
		for end := time.Now().Add(d); time.Now().Before(end); {
			send(t, l, 4)
			sent += 4
			time.Sleep(50 * time.Millisecond) // pacing the sender, not waiting on the system
		}
	}
	traffic(1500 * time.Millisecond)
	fn.Down.Store(true)
	traffic(1500 * time.Millisecond)
	// The crash, while the endpoint is down and rows wait for it.
	m1.mu.Lock()
	m1.running["lab"].stop(false)
	delete(m1.running, "lab")
	m1.mu.Unlock()
	before := windowTotal(t, fn.Rows())
	fn.Down.Store(false)
	m2, err := NewManager(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	<-m2.Resumed()
	defer m2.Close()
	traffic(1000 * time.Millisecond)
	// Every record lands in a window that closes once the clock moves on.
	deadline := time.Now().Add(20 * time.Second)
	waitCounted(t, time.Until(deadline), "endpoint", fn.Rows, sent)
	if got := windowTotal(t, fn.Rows()); got != sent || before >= sent {
		t.Fatalf("the endpoint counted %d of %d records (%d before the crash)", got, sent, before)
	}
	received, _ := fn.Counts()
	t.Logf("%d records, %d windows delivered, %d deliveries with repeats, %d counted before the crash", sent, len(fn.Rows()), received, before)

	// The file and the chained stream: every window at least once.
	fileLines := func() []string {
		f, err := os.Open(filepath.Join(dir, "rows", "out.json"))
		if err != nil {
			return nil
		}
		defer f.Close()
		var lines []string
		for s := bufio.NewScanner(f); s.Scan(); {
			lines = append(lines, s.Text())
		}
		return lines
	}
	streamLines := func() []string {
		recs, _, err := l.Read(context.Background(), "chained", 0, streamlog.Seq{}, 100000)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, r := range recs {
			if r.Data[len(r.Data)-1] != '\n' {
				t.Fatalf("a delivery stream record without its newline: %q", r.Data)
			}
			lines = append(lines, string(r.Data[:len(r.Data)-1]))
		}
		return lines
	}
	for what, lines := range map[string]func() []string{"file": fileLines, "stream": streamLines} {
		waitCounted(t, time.Until(deadline), what, lines, sent)
	}
}

// TestAFullOutputHoldsTheInputBack: with its destination down, an output
// takes rows until it holds MaxQueue, then the application reads no more
// input, however many polls go by with records waiting; once the
// destination is back, the rest is read and every row arrives, once. The
// test's clock drives the application: records that arrived in the past
// are read at the next poll, so what was read is exact, with no settle
// wait to blur it.
func TestAFullOutputHoldsTheInputBack(t *testing.T) {
	l, ctx := setup(t)
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(t0)
	fn := &switchable{recorder: newRecorder()}
	fn.down.Store(true)
	const maxQueue = 3
	opts := Options{Clock: clock, Poll: 100 * time.Millisecond, Checkpoint: time.Hour, Functions: map[string]destination.Function{"fn": fn},
		Delivery: destination.Config{MinInterval: 10 * time.Millisecond, Backoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, MaxQueue: maxQueue,
			Logger: slog.New(slog.DiscardHandler)}} // a retry's warning every poll is expected here
	m, err := NewManager(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	out := Output{Name: "DESTINATION_SQL_STREAM", Format: "JSON", Kind: LambdaOutput, Target: "fn"}
	if _, err := m.Create(ctx, Application{Name: "lab", Code: passSQL, Inputs: []Input{in}, Outputs: []Output{out}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	// tick moves the clock one poll on, once the loop and the output's
	// sender both wait on it, and returns when both wait again: the loop's
	// step, and the sender's attempt, are done.
	g := guard(t)
	tick := func() {
		t.Helper()
		if err := clock.BlockUntilContext(g, 2); err != nil {
			t.Fatalf("the application never waited on the clock: %v", err)
		}
		clock.Advance(opts.Poll)
		if err := clock.BlockUntilContext(g, 2); err != nil {
			t.Fatalf("the application never waited on the clock again: %v", err)
		}
	}
	read := func() int64 {
		t.Helper()
		n, err := m.RecordsRead("lab")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// One record a poll, each a row for the output: the first maxQueue
	// fill it, and the application takes no more.
	const sent = 8
	for i := range sent {
		sendSiteAt(t, l, fmt.Sprintf("site-%d", i), t0.Add(-time.Minute))
		tick()
		if got, want := read(), int64(min(i+1, maxQueue)); got != want {
			t.Fatalf("after %d records, one a poll, with the destination down: %d read, want %d (the output holds %d rows at most)", i+1, got, want, maxQueue)
		}
	}
	for range 20 {
		tick()
	}
	if got := read(); got != maxQueue {
		t.Fatalf("20 polls later, with %d records waiting: %d read, want still %d", sent-maxQueue, got, maxQueue)
	}
	if n := fn.delivered(); n != 0 {
		t.Fatalf("%d rows delivered while the destination was down", n)
	}
	// The destination is back. Rows wake the sender (not the clock), so it
	// may send a moment after a poll: the clock moves on until every record
	// is read and every row delivered.
	fn.down.Store(false)
	for fn.delivered() < sent || read() != sent {
		if g.Err() != nil {
			t.Fatalf("with the destination back: %d of %d records read, %d rows delivered", read(), sent, fn.delivered())
		}
		tick()
	}
	fn.mu.Lock()
	defer fn.mu.Unlock()
	for i := range sent {
		row := fmt.Sprintf(`{"ACTION":"Click","SITE":"site-%d"}`, i)
		if ids := fn.idsOf[row]; len(ids) != 1 {
			t.Errorf("%s delivered under %d record ids, want one", row, len(ids))
		}
	}
}

// recorder is a built-in function that acknowledges every record and keeps
// the record ids each row came with.
type recorder struct {
	mu    sync.Mutex
	idsOf map[string]map[string]bool // row -> record ids
}

func newRecorder() *recorder { return &recorder{idsOf: map[string]map[string]bool{}} }

func (f *recorder) Invoke(_ context.Context, e destination.Event) (destination.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var resp destination.Response
	for _, r := range e.Records {
		if f.idsOf[string(r.Data)] == nil {
			f.idsOf[string(r.Data)] = map[string]bool{}
		}
		f.idsOf[string(r.Data)][r.RecordID] = true
		resp.Records = append(resp.Records, destination.Result{RecordID: r.RecordID, Result: destination.Ok})
	}
	return resp, nil
}

// has says whether the row of a site was delivered.
func (f *recorder) has(site string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for row := range f.idsOf {
		if strings.Contains(row, `"`+site+`"`) {
			return true
		}
	}
	return false
}

const passSQL = `CREATE STREAM "DESTINATION_SQL_STREAM" (action VARCHAR(16), site VARCHAR(64));
CREATE PUMP p AS INSERT INTO "DESTINATION_SQL_STREAM"
SELECT STREAM "browseraction", "site" FROM "SOURCE_SQL_STREAM_001";`

// sendSites stores n clicks from sites PREFIX-0, PREFIX-1...
func sendSites(t *testing.T, l *streamlog.Log, prefix string, n int) {
	t.Helper()
	var recs []streamlog.Record
	for i := range n {
		recs = append(recs, streamlog.Record{Data: fmt.Appendf(nil, `{"browseraction":"Click","site":"%s-%d"}`, prefix, i), Arrival: time.Now()})
	}
	if _, err := l.Append(context.Background(), "clicks", 0, recs); err != nil {
		t.Fatal(err)
	}
}

// sendSiteAt stores one click from site, arrived at at.
func sendSiteAt(t *testing.T, l *streamlog.Log, site string, at time.Time) {
	t.Helper()
	rec := streamlog.Record{Data: fmt.Appendf(nil, `{"browseraction":"Click","site":"%s"}`, site), Arrival: at}
	if _, err := l.Append(context.Background(), "clicks", 0, []streamlog.Record{rec}); err != nil {
		t.Fatal(err)
	}
}

// switchable is a recorder that refuses every invocation while down.
type switchable struct {
	*recorder
	down  atomic.Bool
	tries atomic.Int64 // invocations, refused or not
}

func (f *switchable) Invoke(ctx context.Context, e destination.Event) (destination.Response, error) {
	f.tries.Add(1)
	if f.down.Load() {
		return destination.Response{}, errors.New("the function is down")
	}
	return f.recorder.Invoke(ctx, e)
}

// delivered counts the rows delivered.
func (f *recorder) delivered() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.idsOf)
}

// guard bounds the waits of a test on the fake clock, so that a bug fails
// the test instead of hanging it; no test passes or fails on how long it
// takes.
func guard(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, 20*time.Second, func() (bool, string) { return cond(), "waiting for " + what })
}

// waitCounted waits until the windows of rows count all the records sent.
func waitCounted(t *testing.T, timeout time.Duration, what string, rows func() []string, sent int) {
	t.Helper()
	poll.Until(t, timeout, func() (bool, string) {
		n := windowTotal(t, rows())
		return n >= sent, fmt.Sprintf("the %s counted %d of %d records", what, n, sent)
	})
}

// crash ends a running application as SIGKILL would: no drain, no last
// checkpoint.
func (m *Manager) crash(name string) {
	m.takeRunning(name).stop(false)
}

func acked(m *Manager, app, id string) destination.Acked {
	def, err := m.Get(context.Background(), app)
	if err != nil {
		return destination.Acked{}
	}
	a, _, _ := m.store.outputAcks(def, id).Load(context.Background())
	return a
}

var fastDelivery = destination.Config{MinInterval: 10 * time.Millisecond, Backoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}

// TestAStartFromNowAfterACrashDeliversItsNewRows: the application dies
// after its output delivered rows its checkpoint does not know of; the
// server comes back without the function, so the resume fails and the
// application is READY; started again from NOW (a fresh run, not a replay
// of the checkpoint), its new rows are all delivered, none taken for one
// delivered before.
func TestAStartFromNowAfterACrashDeliversItsNewRows(t *testing.T) {
	l, ctx := setup(t)
	fn := newRecorder()
	opts := Options{Checkpoint: time.Hour, Poll: 10 * time.Millisecond, Functions: map[string]destination.Function{"fn": fn}, Delivery: fastDelivery}
	m1, err := NewManager(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	out := Output{Name: "DESTINATION_SQL_STREAM", Format: "JSON", Kind: LambdaOutput, Target: "fn"}
	a, err := m1.Create(ctx, Application{Name: "lab", Code: passSQL, Inputs: []Input{in}, Outputs: []Output{out}})
	if err != nil {
		t.Fatal(err)
	}
	if err := m1.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	sendSites(t, l, "before", 5)
	waitUntil(t, "5 rows acknowledged", func() bool { return acked(m1, "lab", a.Outputs[0].ID).Through >= 5 })
	m1.crash("lab")

	without := opts
	without.Functions = nil
	m0, err := NewManager(ctx, l, without)
	if err != nil {
		t.Fatal(err)
	}
	<-m0.Resumed() // the resume fails: READY
	m0.Close()
	m2, err := NewManager(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	<-m2.Resumed()
	defer m2.Close()
	if got, _ := m2.Get(ctx, "lab"); got.Status != Ready {
		t.Fatalf("status %s, want READY after the failed resume", got.Status)
	}
	if err := m2.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	sendSites(t, l, "after", 3)
	waitUntil(t, "the rows made after the start", func() bool { return fn.has("after-0") && fn.has("after-1") && fn.has("after-2") })
}

// TestANewOutputKeepsItsRecordIDsAcrossACrash: an output added to a running
// application delivers rows, the application dies before its next periodic
// checkpoint, and the resumed one replays those rows: they are dropped as
// delivered (or would come with their ids), never sent under new ids.
func TestANewOutputKeepsItsRecordIDsAcrossACrash(t *testing.T) {
	l, ctx := setup(t)
	fn := newRecorder()
	opts := Options{Checkpoint: time.Hour, Poll: 10 * time.Millisecond, Functions: map[string]destination.Function{"fn": fn}, Delivery: fastDelivery}
	m1, err := NewManager(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	a, err := m1.Create(ctx, Application{Name: "lab", Code: passSQL, Inputs: []Input{in}})
	if err != nil {
		t.Fatal(err)
	}
	if err := m1.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	out := Output{Name: "DESTINATION_SQL_STREAM", Format: "JSON", Kind: LambdaOutput, Target: "fn"}
	if err := m1.AddOutput(ctx, "lab", a.Version, out); err != nil {
		t.Fatal(err)
	}
	a, _ = m1.Get(ctx, "lab")
	sendSites(t, l, "row", 5)
	waitUntil(t, "5 rows acknowledged", func() bool { return acked(m1, "lab", a.Outputs[0].ID).Through >= 5 })
	m1.crash("lab")
	m2, err := NewManager(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	<-m2.Resumed()
	defer m2.Close()
	// Rows go in order: once a later row arrives, any repeat would have.
	sendSites(t, l, "later", 1)
	waitUntil(t, "the later row", func() bool { return fn.has("later-0") })
	fn.mu.Lock()
	defer fn.mu.Unlock()
	for row, ids := range fn.idsOf {
		if len(ids) > 1 {
			t.Errorf("%s delivered under %d record ids", row, len(ids))
		}
	}
}

// TestTwoOutputsMayReadOneStream: several outputs may read the same
// stream, at creation and when added, and each gets every row.
func TestTwoOutputsMayReadOneStream(t *testing.T) {
	l, ctx := setup(t)
	one, two := newRecorder(), newRecorder()
	m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond, Functions: map[string]destination.Function{"one": one, "two": two}, Delivery: fastDelivery})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	out := Output{Name: "DESTINATION_SQL_STREAM", Format: "JSON", Kind: LambdaOutput, Target: "one"}
	a, err := m.Create(ctx, Application{Name: "lab", Code: passSQL, Inputs: []Input{in}, Outputs: []Output{out}})
	if err != nil {
		t.Fatal(err)
	}
	out.Target = "two"
	if err := m.AddOutput(ctx, "lab", a.Version, out); err != nil {
		t.Fatalf("a second output of the stream: %v", err)
	}
	if err := m.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	sendSites(t, l, "site", 2)
	waitUntil(t, "both rows at both functions", func() bool {
		return one.has("site-0") && one.has("site-1") && two.has("site-0") && two.has("site-1")
	})
}
