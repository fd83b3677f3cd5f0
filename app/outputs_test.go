package app

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/lambdatest"
	"github.com/riffle-sql/riffle/streamlog"
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
	l, ctx := setup(t)
	if err := l.Create(ctx, "chained", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	fn := lambdatest.New(t)
	url := fn.URL
	dir := t.TempDir()
	opts := Options{Checkpoint: 30 * time.Millisecond, Poll: 10 * time.Millisecond, OutputDir: dir,
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
	defer m2.Close()
	traffic(1000 * time.Millisecond)
	// Every record lands in a window that closes once the clock moves on.
	deadline := time.Now().Add(20 * time.Second)
	for windowTotal(t, fn.Rows()) < sent {
		if time.Now().After(deadline) {
			t.Fatalf("the endpoint counted %d of %d records", windowTotal(t, fn.Rows()), sent)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, bounded by the deadline
	}
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
		for windowTotal(t, lines()) < sent {
			if time.Now().After(deadline) {
				t.Fatalf("the %s counted %d of %d records", what, windowTotal(t, lines()), sent)
			}
			time.Sleep(20 * time.Millisecond) // polling a condition, bounded by the deadline
		}
	}
}

// TestAFullOutputHoldsTheInputBack: with its endpoint down, an output
// holds at most about MaxQueue rows and the application stops reading;
// once the endpoint is back, everything arrives.
func TestAFullOutputHoldsTheInputBack(t *testing.T) {
	l, ctx := setup(t)
	fn := lambdatest.New(t)
	url := fn.URL
	fn.Down.Store(true)
	opts := Options{Poll: 10 * time.Millisecond,
		Delivery: destination.Config{MinInterval: 10 * time.Millisecond, Backoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, MaxQueue: 3}}
	m, err := NewManager(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	out := Output{Name: "DESTINATION_SQL_STREAM", Format: "JSON", Kind: LambdaOutput, Target: url}
	if _, err := m.Create(ctx, Application{Name: "lab", Code: timedCountsSQL, Inputs: []Input{in}, Outputs: []Output{out}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	sent := 0
	for end := time.Now().Add(4 * time.Second); time.Now().Before(end); {
		send(t, l, 2)
		sent += 2
		time.Sleep(50 * time.Millisecond) // pacing the sender, not waiting on the system
	}
	read, err := m.RecordsRead("lab")
	if err != nil {
		t.Fatal(err)
	}
	if read >= int64(sent) {
		t.Fatalf("the application read all %d records while its output was full", sent)
	}
	fn.Down.Store(false)
	deadline := time.Now().Add(20 * time.Second)
	for windowTotal(t, fn.Rows()) < sent {
		if time.Now().After(deadline) {
			t.Fatalf("the endpoint counted %d of %d records", windowTotal(t, fn.Rows()), sent)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, bounded by the deadline
	}
}
