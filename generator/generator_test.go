package generator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/riffle-sql/riffle/ingest"
	"github.com/riffle-sql/riffle/runner"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

var labStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// replayOf runs a scenario into a replay file, on the scenario's clock.
func replayOf(t *testing.T, s Scenario, seed uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	target := NewReplayTarget(&buf)
	run, err := Start(context.Background(), s, Options{Target: target, Seed: seed, Start: labStart})
	if err != nil {
		t.Fatal(err)
	}
	<-run.Done()
	if err := run.Err(); err != nil {
		t.Fatal(err)
	}
	if err := target.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestTheLabScenarioMakesAnAnomalyOfEveryBurstAndOfNothingElse: the lab
// scenario, written as a replay and run through the lab's SQL offline,
// gives CTR 100 in every steady window and 400 in the two windows of each
// burst, and the forest flags exactly the burst windows.
func TestTheLabScenarioMakesAnAnomalyOfEveryBurstAndOfNothingElse(t *testing.T) {
	replay := replayOf(t, Lab(), 1)
	if again := replayOf(t, Lab(), 1); !bytes.Equal(replay, again) {
		t.Fatal("the same seed wrote another replay")
	}
	lines := strings.Count(string(replay), "\n")
	want := int(2*LabDuration/time.Second) + LabBursts*3*int(LabBurst/time.Second)
	if lines != want {
		t.Errorf("%d records, want %d", lines, want)
	}
	sql, err := os.ReadFile("../demo/lab.sql")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := runner.Run(runner.Options{SQL: string(sql), Application: "anomaly_detection", Streams: []string{"CTRSTREAM", "DESTINATION_SQL_STREAM"}},
		bytes.NewReader(replay), &out); err != nil {
		t.Fatal(err)
	}
	burst := map[time.Time]bool{}
	for k := range LabBursts {
		b := labStart.Add(LabFirstBurst + time.Duration(k)*LabBurstEvery)
		burst[b.Add(10*time.Second)], burst[b.Add(20*time.Second)] = true, true
	}
	flagged := map[time.Time]bool{}
	ctrs := 0
	for sc := bufio.NewScanner(&out); sc.Scan(); {
		var row struct {
			STREAM        string
			ROWTIME       time.Time
			CTR           float64
			ANOMALY_SCORE float64
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		switch row.STREAM {
		case "CTRSTREAM":
			ctrs++
			if want := map[bool]float64{true: 400, false: 100}[burst[row.ROWTIME]]; row.CTR != want {
				t.Errorf("window ending %s: CTR %v, want %v", row.ROWTIME.Format(time.TimeOnly), row.CTR, want)
			}
		case "DESTINATION_SQL_STREAM":
			flagged[row.ROWTIME] = true
			if !burst[row.ROWTIME] {
				t.Errorf("steady window ending %s flagged (score %v)", row.ROWTIME.Format(time.TimeOnly), row.ANOMALY_SCORE)
			}
		}
	}
	if ctrs != int(LabDuration/(10*time.Second)) {
		t.Errorf("%d CTR windows, want %d", ctrs, LabDuration/(10*time.Second))
	}
	for b := range burst {
		if !flagged[b] {
			t.Errorf("burst window ending %s not flagged", b.Format(time.TimeOnly))
		}
	}
}

// flaky refuses some records of every batch the first time it sees them.
type flaky struct {
	Target
	mu   sync.Mutex
	seen map[string]int
}

func (f *flaky) Put(ctx context.Context, recs []Record) ([]bool, error) {
	f.mu.Lock()
	failed := make([]bool, len(recs))
	var pass []Record
	for i, r := range recs {
		f.seen[string(r.Data)]++
		if f.seen[string(r.Data)] == 1 && i%3 == 0 {
			failed[i] = true
			continue
		}
		pass = append(pass, r)
	}
	f.mu.Unlock()
	if _, err := f.Target.Put(ctx, pass); err != nil {
		return nil, err
	}
	return failed, nil
}

// TestSendersDeliverExactlyWhatTheyCountAcknowledged: several senders at
// once through the Kinesis API of an ingest server; records refused in a
// batch are sent again, alone; the server stores exactly the records
// acknowledged, each once. The senders' schedule and retries run on a fake
// clock, moved on whenever one of them waits.
func TestSendersDeliverExactlyWhatTheyCountAcknowledged(t *testing.T) {
	ctx := context.Background()
	l := streamlogtest.Open(t, streamlogtest.Stream{Name: "events", Kind: "kinesis", Shards: 2})
	h, err := ingest.Handler(ctx, l, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	stream, err := NewStreamTarget(ctx, StreamConfig{Name: "events", Endpoint: srv.URL, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if stream.Kind != "kinesis" {
		t.Fatalf("kind %q, want kinesis (asked of the endpoint)", stream.Kind)
	}
	target := &flaky{Target: stream, seen: map[string]int{}}
	s := Scenario{Senders: []Sender{
		{Name: "a", Template: `{"sender":"a","n":{{random.number(1000000000)}},"id":"{{random.uuid}}"}`, Count: 1200},
		{Name: "b", Template: `{"sender":"b","id":"{{random.uuid}}"}`, Count: 700},
		{Name: "c", Template: `{"sender":"c","id":"{{random.uuid}}"}`, Rate: 200, Count: 100},
	}}
	clock := clockwork.NewFakeClockAt(t0)
	run, err := Start(ctx, s, Options{Target: target, Seed: 7, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	advanceUntilDone(t, clock, run, 1, 10*time.Millisecond)
	if err := run.Err(); err != nil {
		t.Fatal(err)
	}
	sent, acked, failed := run.Totals()
	if sent != 2000 || acked != 2000 || failed != 0 {
		t.Fatalf("sent %d, acknowledged %d, failed %d; want 2000, 2000, 0", sent, acked, failed)
	}
	stored := map[string]int{}
	for shard := range 2 {
		recs, _, err := l.Read(ctx, "events", shard, streamlog.Seq{}, 10000)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if !bytes.HasSuffix(r.Data, []byte("\n")) {
				t.Fatalf("record %q without the KDG's newline", r.Data)
			}
			stored[string(r.Data)]++
		}
	}
	total := 0
	for data, n := range stored {
		total += n
		if n != 1 {
			t.Errorf("%s stored %d times", data, n)
		}
	}
	if total != 2000 {
		t.Errorf("the server stored %d records, the generator counted 2000 acknowledged", total)
	}
}

// TestABadTemplateFailsBeforeAnythingIsSent: every sender's template is
// checked at the start, and the error names the sender and the position.
func TestABadTemplateFailsBeforeAnythingIsSent(t *testing.T) {
	var buf bytes.Buffer
	s := Scenario{Senders: []Sender{
		{Name: "good", Template: `{"a":{{random.number}}}`, Rate: 1, Count: 1},
		{Name: "bad", Template: "{\n  \"a\": {{random.nmber}}\n}", Rate: 1, Count: 1},
	}}
	_, err := Start(context.Background(), s, Options{Target: NewWriterTarget(&buf)})
	if err == nil || !strings.Contains(err.Error(), "bad:2:") || !strings.Contains(err.Error(), "random.nmber") {
		t.Fatalf("err %v, want the sender, line 2 and the helper", err)
	}
	if buf.Len() > 0 {
		t.Errorf("records were sent: %q", buf.String())
	}
}
