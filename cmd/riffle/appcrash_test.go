package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/internal/lambdatest"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/internal/promscrape"
	"github.com/riffle-sql/riffle/internal/rowcheck"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/runner"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// rowSet gathers the distinct rows a stream's tap sends.
type rowSet struct {
	mu   sync.Mutex
	rows map[string]bool
}

// follow reads the tap's server-sent events until the server goes away,
// and says (by closing the channel it returns) when the stream has begun.
func (s *rowSet) follow(t *testing.T, url, app, stream string) {
	t.Helper()
	resp, err := http.Get(url + "/riffle/v1/applications/" + app + "/streams/" + stream)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("tap: %s", resp.Status)
	}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if row, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				s.mu.Lock()
				s.rows[row] = true
				s.mu.Unlock()
			}
		}
	}()
}

func (s *rowSet) snapshot() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for r := range s.rows {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// waitFor waits until the set holds n rows.
func (s *rowSet) waitFor(t *testing.T, n int) {
	t.Helper()
	poll.Until(t, 60*time.Second, func() (bool, string) {
		rows := s.snapshot()
		return len(rows) >= n, fmt.Sprintf("only %d rows, want %d: %v", len(rows), n, rows)
	})
}

// labStreams are the lab's output streams the crash tests compare:
// CLICKSTREAM's counts show a lost or doubled record even where the ratio
// in CTRSTREAM would hide it.
var labStreams = []string{"CTRSTREAM", "CLICKSTREAM"}

// startLab creates the application "lab", the clickstream lab's SQL on
// one input (kind is its field: "KinesisFirehoseInput" or
// "KinesisStreamsInput") with the given outputs, starts it from NOW and
// follows labStreams. It returns the SQL and the input's schema, for the
// offline run, and the rows seen live.
func startLab(t *testing.T, url, kind, arn string, outputs []any) (string, record.Schema, map[string]*rowSet) {
	t.Helper()
	sql, err := os.ReadFile("../../runner/testdata/bench/clickstream.sql")
	if err != nil {
		t.Fatal(err)
	}
	schema := record.Schema{
		RecordFormat: record.RecordFormat{RecordFormatType: record.JSON},
		RecordColumns: []record.RecordColumn{
			{Name: "browseraction", SqlType: "VARCHAR(16)", Mapping: "$.browseraction"},
			{Name: "site", SqlType: "VARCHAR(64)", Mapping: "$.site"},
		},
	}
	create := map[string]any{
		"ApplicationName": "lab", "ApplicationCode": string(sql),
		"Inputs": []any{map[string]any{
			"NamePrefix":  "SOURCE_SQL_STREAM",
			kind:          map[string]any{"ResourceARN": arn, "RoleARN": "arn:aws:iam::000000000000:role/lab"},
			"InputSchema": schema,
		}},
	}
	if outputs != nil {
		create["Outputs"] = outputs
	}
	if _, err := call(url, "KinesisAnalytics_20150814.CreateApplication", create); err != nil {
		t.Fatal(err)
	}
	startApplication(t, url, "lab")
	live := map[string]*rowSet{}
	for _, s := range labStreams {
		live[s] = &rowSet{rows: map[string]bool{}}
		live[s].follow(t, url, "lab", s)
	}
	return string(sql), schema, live
}

// sendLabTraffic calls send every 25 ms until ctx ends with a batch of 2,
// 3 or 4 events (clicks first), so counts and ratios change from window
// to window.
func sendLabTraffic(ctx context.Context, send func(ctx context.Context, batch int, events [][]byte)) {
	for batch := 0; ctx.Err() == nil; batch++ {
		var events [][]byte
		for i := range 2 + batch%3 {
			action := []string{"Click", "Impression"}[min(i, 1)]
			events = append(events, fmt.Appendf(nil, `{"browseraction":%q, "site": "yourwebsiteurl.domain.com"}`+"\n", action))
		}
		send(ctx, batch, events)
		select {
		case <-ctx.Done():
		case <-time.After(25 * time.Millisecond): // pacing the sender
		}
	}
}

// waitMidWindow waits until the lab is in the middle of a window whose
// records are partly in a checkpoint, the moment to kill it: the source
// rows (fed as the watermark passes them) must reach 6 s into the next
// window, which takes longer than one checkpoint period (4 s of
// application time).
func waitMidWindow(t *testing.T, url string) {
	t.Helper()
	source := &rowSet{rows: map[string]bool{}}
	source.follow(t, url, "lab", "SOURCE_SQL_STREAM_001")
	latest := func() time.Time {
		var last time.Time
		for _, r := range source.snapshot() {
			var row struct{ ROWTIME time.Time }
			if json.Unmarshal([]byte(r), &row) == nil && row.ROWTIME.After(last) {
				last = row.ROWTIME
			}
		}
		return last
	}
	deadline := time.Now().Add(60 * time.Second)
	poll.Until(t, time.Until(deadline), func() (bool, string) { return !latest().IsZero(), "no source rows" })
	mid := latest().Truncate(10 * time.Second).Add(16 * time.Second)
	poll.Until(t, time.Until(deadline), func() (bool, string) {
		last := latest()
		return !last.Before(mid), fmt.Sprintf("source rows stopped at %s", last)
	})
}

// storedApplication reads an application's definition as the stopped
// server on dir stored it; the log is open until the test ends.
func storedApplication(t *testing.T, dir, name string) (*streamlog.Log, app.Application) {
	t.Helper()
	l := streamlogtest.OpenConfig(t, streamlog.Config{Dir: dir})
	defs, err := l.Bucket(context.Background(), "riffle_applications")
	if err != nil {
		t.Fatal(err)
	}
	data, err := defs.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	var def app.Application
	if err := json.Unmarshal(data, &def); err != nil {
		t.Fatal(err)
	}
	return l, def
}

// TestARunningApplicationSurvivesAKill runs the lab SQL in `riffle serve`
// with live traffic, SIGKILLs the server in the middle, restarts it on the
// same data directory and goes on sending. The CTRSTREAM rows seen across
// the crash are those of an offline run over the stored records that never
// crashed: none missing, none different, each window once. CLICKSTREAM
// goes to a Lambda-compatible endpoint (CSV) that is down around the kill:
// the rows it had not acknowledged arrive after the restart, and the rows
// it got, one per record id, are exactly the offline run's.
func TestARunningApplicationSurvivesAKill(t *testing.T) {
	const scale = 20
	dir := t.TempDir()
	endpoint := lambdatest.New(t)
	flags := []string{"--time-scale", fmt.Sprint(scale), "--checkpoint", "200ms", "--function", "counts=" + endpoint.URL}
	srv := startServer(t, dir, flags...)
	var url atomic.Value
	url.Store(srv.url)
	if _, err := call(srv.url, "Firehose_20150804.CreateDeliveryStream", map[string]any{"DeliveryStreamName": "lab"}); err != nil {
		t.Fatal(err)
	}
	sql, schema, live := startLab(t, srv.url, "KinesisFirehoseInput", "arn:aws:firehose:us-east-1:000000000000:deliverystream/lab", []any{map[string]any{
		"Name":              "CLICKSTREAM",
		"LambdaOutput":      map[string]any{"ResourceARN": "arn:aws:lambda:us-east-1:000000000000:function:counts", "RoleARN": "arn:aws:iam::000000000000:role/lab"},
		"DestinationSchema": map[string]any{"RecordFormatType": "CSV"},
	}})

	// The sender: refused batches (the server is down) are simply not
	// stored.
	ctx, stopSending := context.WithCancel(context.Background())
	defer stopSending()
	var sender sync.WaitGroup
	sender.Go(func() {
		sendLabTraffic(ctx, func(ctx context.Context, _ int, events [][]byte) {
			var recs []any
			for _, e := range events {
				recs = append(recs, map[string]string{"Data": base64.StdEncoding.EncodeToString(e)})
			}
			call(url.Load().(string), "Firehose_20150804.PutRecordBatch", map[string]any{"DeliveryStreamName": "lab", "Records": recs})
		})
	})
	live["CTRSTREAM"].waitFor(t, 3)
	endpoint.Down.Store(true) // rows from here wait for the endpoint
	waitMidWindow(t, srv.url)
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()
	before := len(live["CTRSTREAM"].snapshot())

	srv = startServer(t, dir, flags...)
	url.Store(srv.url)
	for _, s := range labStreams {
		live[s].follow(t, srv.url, "lab", s)
	}
	live["CTRSTREAM"].waitFor(t, before+3)
	endpoint.Down.Store(false)
	stopSending()
	sender.Wait()
	// Every CLICKSTREAM row seen live reaches the endpoint.
	poll.Until(t, 60*time.Second, func() (bool, string) {
		delivered, seen := len(endpoint.Rows()), len(live["CLICKSTREAM"].snapshot())
		return delivered >= seen, fmt.Sprintf("the endpoint has %d rows, the stream %d", delivered, seen)
	})
	// The restarted server counted its deliveries, and the refusals while
	// the endpoint was still down. The endpoint holds a row before the
	// server has its answer and counts it: wait for the count.
	for _, name := range []string{"riffle_destination_delivered_records_total", "riffle_destination_failed_records_total"} {
		series := name + `{application="lab",destination="lambda:counts",output="1.1"}`
		poll.Until(t, 30*time.Second, func() (bool, string) {
			v := promscrape.Series(t, srv.url)[series]
			return v > 0, fmt.Sprintf("%s is %v", name, v)
		})
	}
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()

	// The run that did not crash: the stored records, offline, with the
	// arrival times the live application gave them.
	l, def := storedApplication(t, dir, "lab")
	for _, stream := range labStreams {
		var replay, out bytes.Buffer
		if err := app.WriteReplay(context.Background(), l, def, scale, &replay); err != nil {
			t.Fatal(err)
		}
		if err := runner.Run(runner.Options{SQL: sql, Application: "lab", Schema: &schema, Streams: []string{stream}}, &replay, &out); err != nil {
			t.Fatal(err)
		}
		expected := strings.Split(strings.TrimSpace(out.String()), "\n")
		compareAcrossTheCrash(t, stream, expected, live[stream].snapshot(), before)
		if stream == "CLICKSTREAM" {
			compareDelivered(t, endpoint, expected, before)
		}
	}
}

// compare checks the rows delivered, one per record id, against the first
// rows of the uninterrupted run (the same values, as many of each), and
// that some were refused around the kill.
func compareDelivered(t *testing.T, f *lambdatest.Function, expected []string, before int) {
	t.Helper()
	got := f.Rows()
	if len(got) > len(expected) {
		t.Fatalf("the endpoint got %d rows, the uninterrupted run has %d", len(got), len(expected))
	}
	var want []string
	for _, line := range expected[:len(got)] {
		var row struct{ CLICKCOUNT float64 }
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("%g\n", row.CLICKCOUNT))
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "") != strings.Join(want, "") {
		t.Errorf("delivered CSV rows %q\nwant (the uninterrupted run's first %d) %q", got, len(want), want)
	}
	received, refused := f.Counts()
	if refused == 0 {
		t.Errorf("the endpoint refused nothing: the test did not cover the outage")
	}
	t.Logf("endpoint: %d rows delivered (%d deliveries, %d refused while down), %d windows before the kill", len(got), received, refused, before)
}

// compareAcrossTheCrash checks a stream's live rows against the run that
// did not crash, and that the run went on well past the crash.
func compareAcrossTheCrash(t *testing.T, stream string, expected, got []string, before int) {
	t.Helper()
	covered, problems, err := rowcheck.AcrossACrash(expected, got)
	if err != nil {
		t.Fatalf("%s: %v", stream, err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", stream, p)
	}
	if covered < before+2 {
		t.Errorf("%s: only %d windows in all, %d of them before the crash", stream, covered, before)
	}
	if t.Failed() {
		t.Logf("%s, uninterrupted run:\n%s\nlive:\n%s", stream, strings.Join(expected, "\n"), strings.Join(got, "\n"))
	}
	t.Logf("%s: %d windows before the kill, %d in all, %d rows offline", stream, before, covered, len(expected))
}
