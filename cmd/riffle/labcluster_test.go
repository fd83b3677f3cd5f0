package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/logtest"
	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/internal/rowcheck"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/runner"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// The harness of the cluster's acceptance tests (issue 15): a real NATS
// cluster (natstest), `riffle serve` nodes on it (the test binary run
// again, as startServer does), lab applications fed by live traffic sent
// through every node, and one Lambda-compatible function that records
// which node delivered each row. Record ids are the same on every node
// by design, so a row delivered twice shows as one record id arriving
// twice, from one node or from two.

// ctrOut follows the lab SQL (runner/testdata/bench/clickstream.sql) in
// the applications: CTRSTREAM's rows as outputs write them, with the
// window's time (outputs do not write ROWTIME) and the counts behind the
// ratio, to be compared window by window with an offline run, and the
// counts summed.
const ctrOut = `
CREATE OR REPLACE STREAM "CTROUT" ("WINDOW_END" TIMESTAMP, "CTR" DOUBLE, "CLICKS" DOUBLE, "IMPRESSIONS" DOUBLE);
CREATE OR REPLACE PUMP "CTROUTPUMP" AS INSERT INTO "CTROUT"
SELECT STREAM "IMPRESSIONSTREAM".ROWTIME, "CLICKCOUNT" / "IMPRESSIONCOUNT" * 100.000, "CLICKCOUNT", "IMPRESSIONCOUNT"
FROM "IMPRESSIONSTREAM", "CLICKSTREAM"
WHERE "IMPRESSIONSTREAM".ROWTIME = "CLICKSTREAM".ROWTIME;
`

// labSchema maps the lab's events (the sender's extra "id" is not read).
var labSchema = record.Schema{
	RecordFormat: record.RecordFormat{RecordFormatType: record.JSON},
	RecordColumns: []record.RecordColumn{
		{Name: "browseraction", SqlType: "VARCHAR(16)", Mapping: "$.browseraction"},
		{Name: "site", SqlType: "VARCHAR(64)", Mapping: "$.site"},
	},
}

// labOptions describe a lab cluster.
type labOptions struct {
	Nodes      int           // riffle serve processes, named n1, n2...
	Scale      float64       // --time-scale
	Checkpoint time.Duration // --checkpoint
	LeaseTTL   time.Duration // --lease-ttl (0: the default)
}

// labCluster is a NATS cluster of 3 servers with riffle nodes on it.
type labCluster struct {
	opts  labOptions
	nats  *natstest.Cluster
	fn    *recordingFunction
	nodes []*labNode
	apps  []string
	sql   string

	// The test's own look at the stored records, and at JetStream's
	// messages.
	log *streamlog.Log
	js  jetstream.JetStream
}

// labNode is one riffle serve node; its process changes when it is
// restarted, and is nil while it is down.
type labNode struct {
	name, dir string
	srv       atomic.Pointer[serverProcess]
	paused    atomic.Bool       // SIGSTOPped: no request goes to it
	logs      []*logtest.Buffer // of each process it ran, in turn
}

// up is the node's process, nil while it is down.
func (n *labNode) up() *serverProcess { return n.srv.Load() }

// serving is the node's process if it is up and not paused.
func (n *labNode) serving() *serverProcess {
	if n.paused.Load() {
		return nil
	}
	return n.up()
}

// startLabCluster starts the NATS cluster and the nodes; when the test
// fails it logs what each node logged.
func startLabCluster(t testing.TB, opts labOptions) *labCluster {
	t.Helper()
	sql, err := os.ReadFile("../../runner/testdata/bench/clickstream.sql")
	if err != nil {
		t.Fatal(err)
	}
	c := &labCluster{opts: opts, nats: natstest.StartCluster(t, 3), fn: newRecordingFunction(t), sql: string(sql) + ctrOut}
	c.log = streamlogtest.OpenConfig(t, streamlog.Config{URL: c.nats.URL()})
	c.js = c.nats.JetStream(t)
	for i := range opts.Nodes {
		c.nodes = append(c.nodes, &labNode{name: fmt.Sprintf("n%d", i+1), dir: t.TempDir()})
	}
	for i := range c.nodes {
		c.startNode(t, i)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		dir := os.Getenv("RIFFLE_CLUSTER_LOGS")
		for _, n := range c.nodes {
			for k, log := range n.logs {
				if dir == "" {
					t.Logf("node %s (process %d) logged:\n%s", n.name, k+1, tail(log.String(), 40))
					continue
				}
				path := filepath.Join(dir, fmt.Sprintf("%s-%d.log", n.name, k+1))
				if err := os.WriteFile(path, []byte(log.String()), 0o644); err != nil {
					t.Error(err)
				}
				t.Logf("node %s (process %d) logged to %s", n.name, k+1, path)
			}
		}
	})
	return c
}

// tail is the last n lines of s (RIFFLE_CLUSTER_LOGS=DIR writes them
// whole to files in DIR).
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// startNode starts (or restarts, on the same data directory and under the
// same name) node i.
func (c *labCluster) startNode(t testing.TB, i int) {
	t.Helper()
	n := c.nodes[i]
	flags := []string{"--nats", c.nats.URL(), "--node", n.name,
		"--time-scale", fmt.Sprint(c.opts.Scale), "--checkpoint", c.opts.Checkpoint.String(),
		"--function", "sink=" + c.fn.url + "/" + n.name}
	if c.opts.LeaseTTL > 0 {
		flags = append(flags, "--lease-ttl", c.opts.LeaseTTL.String())
	}
	srv := startServer(t, n.dir, flags...)
	n.logs = append(n.logs, srv.stderr)
	n.srv.Store(srv)
}

// stopNode sends sig (SIGKILL, SIGTERM) to node i, which no request
// reaches from then on, and waits for the process to exit: its error is
// how it ended.
func (c *labCluster) stopNode(i int, sig syscall.Signal) error {
	srv := c.nodes[i].srv.Swap(nil)
	srv.cmd.Process.Signal(sig)
	return srv.cmd.Wait()
}

// pause stops node i's process with SIGSTOP; requests go to the other
// nodes until resume continues it (SIGCONT).
func (c *labCluster) pause(i int) {
	c.nodes[i].paused.Store(true)
	c.nodes[i].up().cmd.Process.Signal(syscall.SIGSTOP)
}

func (c *labCluster) resume(i int) {
	c.nodes[i].up().cmd.Process.Signal(syscall.SIGCONT)
	c.nodes[i].paused.Store(false)
}

// url is a node that is up and not paused, the first from i on.
func (c *labCluster) url(i int) string {
	for k := range c.nodes {
		if srv := c.nodes[(i+k)%len(c.nodes)].serving(); srv != nil {
			return srv.url
		}
	}
	return ""
}

// live names the nodes that are up and not paused.
func (c *labCluster) live() map[string]bool {
	out := map[string]bool{}
	for _, n := range c.nodes {
		if n.serving() != nil {
			out[n.name] = true
		}
	}
	return out
}

// createApps creates the delivery stream lab and n lab applications
// reading it from NOW, each created through one node and started through
// the next (so, today, run by that one). Each has two outputs of CTROUT:
// the recording function (JSON) and a file ctr/APP.json under its node's
// output directory.
func (c *labCluster) createApps(t *testing.T, n int) {
	t.Helper()
	if _, err := call(c.url(0), "Firehose_20150804.CreateDeliveryStream", map[string]any{"DeliveryStreamName": "lab"}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		name := fmt.Sprintf("lab%02d", i+1)
		c.apps = append(c.apps, name)
		format := map[string]any{"RecordFormatType": "JSON"}
		if _, err := call(c.url(i), "KinesisAnalytics_20150814.CreateApplication", map[string]any{
			"ApplicationName": name, "ApplicationCode": c.sql,
			"Inputs": []any{map[string]any{
				"NamePrefix":           "SOURCE_SQL_STREAM",
				"KinesisFirehoseInput": map[string]any{"ResourceARN": "arn:aws:firehose:us-east-1:000000000000:deliverystream/lab", "RoleARN": "arn:aws:iam::000000000000:role/lab"},
				"InputSchema":          labSchema,
			}},
			"Outputs": []any{
				map[string]any{"Name": "CTROUT", "DestinationSchema": format,
					"LambdaOutput": map[string]any{"ResourceARN": "arn:aws:lambda:us-east-1:000000000000:function:sink", "RoleARN": "arn:aws:iam::000000000000:role/lab"}},
				map[string]any{"Name": "CTROUT", "DestinationSchema": format, "FileOutput": map[string]any{"Path": "ctr/" + name + ".json"}},
			},
		}); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		if _, err := call(c.url(i+1), "KinesisAnalytics_20150814.StartApplication", map[string]any{
			"ApplicationName": name, "InputConfigurations": []any{map[string]any{"Id": "1.1", "InputStartingPositionConfiguration": map[string]any{"InputStartingPosition": "NOW"}}},
		}); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
	}
}

// statusLine is an application's line in `riffle cluster status`.
// (APPLICATION STATUS OWNER LEASE-AGE LAG; the owner may say it is still
// starting the application, or moving it to another node.)
var statusLine = regexp.MustCompile(`^(\S+)\s+(RUNNING|STARTING)\s+(\S+)(?: \((?:placed|starting)\)| -> \S+)?\s+\S+\s+\S+$`)

// owners asks a node that is up, with `riffle cluster status`, which node
// runs each RUNNING application ("-": none).
func (c *labCluster) owners(t *testing.T) (map[string]string, error) {
	out, _, err := runRiffle(t, "cluster", "status", "--server", c.url(0))
	if err != nil {
		return nil, fmt.Errorf("riffle cluster status: %w", err)
	}
	owners := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if m := statusLine.FindStringSubmatch(line); m != nil {
			owners[m[1]] = m[3]
		}
	}
	return owners, nil
}

// waitOwned waits until `riffle cluster status` shows every application
// run by a node that is up, and returns the owners.
func (c *labCluster) waitOwned(t *testing.T, timeout time.Duration) map[string]string {
	t.Helper()
	var owners map[string]string
	poll.Until(t, timeout, func() (bool, string) {
		var err error
		if owners, err = c.owners(t); err != nil {
			return false, err.Error()
		}
		live := c.live()
		var waiting []string
		for _, a := range c.apps {
			if !live[owners[a]] {
				waiting = append(waiting, a+" ("+owners[a]+")")
			}
		}
		return len(waiting) == 0, fmt.Sprintf("applications without a live owner: %v", waiting)
	})
	return owners
}

// def is an application's stored definition.
func (c *labCluster) def(t *testing.T, name string) app.Application {
	t.Helper()
	ctx := context.Background()
	defs, err := c.log.Bucket(ctx, "riffle_applications")
	if err != nil {
		t.Fatal(err)
	}
	data, err := defs.Get(ctx, name)
	if err != nil {
		t.Fatalf("definition of %s: %v", name, err)
	}
	var def app.Application
	if err := json.Unmarshal(data, &def); err != nil {
		t.Fatal(err)
	}
	return def
}

// offline runs an application's SQL over the stored records, with the
// arrival times the live application gave them, as a run that was never
// interrupted: its CTROUT rows (with their ROWTIME).
func (c *labCluster) offline(t *testing.T, name string) []string {
	t.Helper()
	var replay, out bytes.Buffer
	if err := app.WriteReplay(context.Background(), c.log, c.def(t, name), c.opts.Scale, &replay); err != nil {
		t.Fatal(err)
	}
	schema := labSchema
	if err := runner.Run(runner.Options{SQL: c.sql, Application: name, Schema: &schema, Streams: []string{"CTROUT"}}, &replay, &out); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(out.String()), "\n")
}

// storedRecord is a record of the delivery stream lab.
type storedRecord struct {
	id      string
	click   bool
	arrival time.Time // as ingest stamped it
	stored  time.Time // when JetStream stored it (its message's time)
}

// stored reads the delivery stream lab, each record with the time its
// JetStream message was stored.
func (c *labCluster) stored(t *testing.T) []storedRecord {
	t.Helper()
	ctx := context.Background()
	l := c.log
	stream, err := c.js.Stream(ctx, "rf_lab") // (streamlog's name for it)
	if err != nil {
		t.Fatal(err)
	}
	times := map[uint64]time.Time{}
	var out []storedRecord
	for from := (streamlog.Seq{}); ; {
		recs, next, err := l.Read(ctx, "lab", 0, from, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			return out
		}
		for _, r := range recs {
			var ev struct{ ID, Browseraction string }
			if err := json.Unmarshal(r.Data, &ev); err != nil {
				t.Fatalf("stored record %q: %v", r.Data, err)
			}
			at, ok := times[r.Seq.Msg]
			if !ok {
				msg, err := stream.GetMsg(ctx, r.Seq.Msg)
				if err != nil {
					t.Fatalf("message %d of the stream: %v", r.Seq.Msg, err)
				}
				at = msg.Time
				times[r.Seq.Msg] = at
			}
			out = append(out, storedRecord{id: ev.ID, click: ev.Browseraction == "Click", arrival: r.Arrival, stored: at})
		}
		from = next
	}
}

// lateStore is how long after its arrival a record may be stored and
// still be fed at its arrival time: a running application keeps its
// clock half a second (app.settle) behind the wall clock, and feeds a
// record stored later than that (a put held up while NATS elects a new
// leader, or by a node reconnecting to another NATS server) with the
// clock it has reached, not its arrival; an offline run over the stored
// records feeds it at its arrival. The windows between such a record's
// arrival and its storing are compared through the totals only.
const lateStore = 400 * time.Millisecond

// lateWindows are the spans of an application's time (window times,
// inclusive) where late records may fall in other windows live than
// offline.
func lateWindows(def app.Application, scale float64, recs []storedRecord) [][2]time.Time {
	var spans [][2]time.Time
	for _, r := range recs {
		if r.stored.Sub(r.arrival) <= lateStore {
			continue
		}
		// Fed at most a poll and a slow step after it is stored.
		from := def.AppTime(r.arrival.UnixMilli(), scale)
		to := def.AppTime(r.stored.Add(2*time.Second).UnixMilli(), scale)
		spans = append(spans, [2]time.Time{time.UnixMilli(from).UTC(), time.UnixMilli(to).UTC().Add(10 * time.Second)})
	}
	return spans
}

// storedIDs are how many times each record id is in the delivery stream.
func storedIDs(recs []storedRecord) map[string]int {
	seen := map[string]int{}
	for _, r := range recs {
		seen[r.id]++
	}
	return seen
}

// fileRows are the lines of an application's file output, all nodes'
// files together.
func (c *labCluster) fileRows(t *testing.T, name string) []string {
	t.Helper()
	var rows []string
	for _, n := range c.nodes {
		data, err := os.ReadFile(filepath.Join(n.dir, "outputs", "ctr", name+".json"))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if line != "" {
				rows = append(rows, line)
			}
		}
	}
	return rows
}

// withRowtime turns a CTROUT row as outputs write it ({"WINDOW_END":
// ..., ...}) into the row as the offline run prints it, ROWTIME first.
func withRowtime(row string) (string, error) {
	at, err := windowEnd(row)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(row, "{") {
		return "", fmt.Errorf("row %q is not a JSON object", row)
	}
	return fmt.Sprintf(`{"ROWTIME":%q,`, at.Format("2006-01-02T15:04:05.000Z")) + row[1:], nil
}

// inSpans says whether a row's window time is in one of spans.
func inSpans(row string, spans [][2]time.Time) bool {
	var r struct{ ROWTIME time.Time }
	json.Unmarshal([]byte(row), &r)
	for _, s := range spans {
		if !r.ROWTIME.Before(s[0]) && !r.ROWTIME.After(s[1]) {
			return true
		}
	}
	return false
}

// compareWindows checks the rows an output got (CTROUT, repeats allowed)
// against the offline run's: every window up to the last one delivered
// (with complete, every window of the offline run), each with the offline
// run's values, none other; windows in skip are left out on both sides.
// It returns how many windows were compared and the problems.
func compareWindows(expected, got []string, skip [][2]time.Time, complete bool) (int, []string) {
	var live, want []string
	for _, row := range got {
		r, err := withRowtime(row)
		if err != nil {
			return 0, []string{err.Error()}
		}
		if !inSpans(r, skip) {
			live = append(live, r)
		}
	}
	for _, r := range expected {
		if !inSpans(r, skip) {
			want = append(want, r)
		}
	}
	covered, problems, err := rowcheck.AcrossACrash(want, live)
	if err != nil {
		return 0, []string{err.Error()}
	}
	if complete && covered != len(want) {
		problems = append(problems, fmt.Sprintf("%d windows of the offline run's %d delivered", covered, len(want)))
	}
	return covered, problems
}

// checkWindows compares, for each application, what its outputs got (the
// function's rows, one per record id, and the nodes' files together)
// with an offline run over the records stored so far (compareWindows),
// and reports each difference as an error. It returns how many windows
// it compared, and how many it left out (late records, see lateStore).
func (c *labCluster) checkWindows(t *testing.T, apps []string, stored []storedRecord, complete bool) (compared, skipped int) {
	t.Helper()
	all := c.fn.deliveries()
	for _, a := range apps {
		expected := c.offline(t, a)
		skip := lateWindows(c.def(t, a), c.opts.Scale, stored)
		failed := false
		for _, out := range []struct {
			kind string
			rows []string
		}{{"function", rows(all, a)}, {"file", c.fileRows(t, a)}} {
			n, problems := compareWindows(expected, out.rows, skip, complete)
			for _, p := range problems {
				t.Errorf("%s, %s output: %s", a, out.kind, p)
				failed = true
			}
			if out.kind == "function" {
				compared += n
				skipped += len(expected) - n
			}
		}
		if failed {
			t.Fatalf("%s: offline run (windows left out: %v):\n%s", a, skip, strings.Join(expected, "\n"))
		}
	}
	return compared, skipped
}

// counted sums the clicks and impressions of an output's distinct rows.
func counted(rows []string) (clicks, impressions int, err error) {
	seen := map[string]bool{}
	for _, row := range rows {
		if seen[row] {
			continue
		}
		seen[row] = true
		var r struct{ CLICKS, IMPRESSIONS float64 }
		if err := json.Unmarshal([]byte(row), &r); err != nil {
			return 0, 0, fmt.Errorf("row %q: %w", row, err)
		}
		clicks += int(r.CLICKS)
		impressions += int(r.IMPRESSIONS)
	}
	return clicks, impressions, nil
}

// delivery is one record a node delivered to the recording function.
type delivery struct {
	node, app, id, data string
	at                  time.Time // when the function received it
}

// recordingFunction is a Lambda-compatible endpoint the nodes share, each
// invoking it at a path of its own (/n1, ...): it acknowledges every
// record and keeps every delivery, repeats included, with the node that
// made it and the application (from the event's ARN).
type recordingFunction struct {
	url string
	mu  sync.Mutex
	all []delivery
}

func newRecordingFunction(t testing.TB) *recordingFunction {
	f := &recordingFunction{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e destination.Event
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		node := strings.TrimPrefix(r.URL.Path, "/")
		_, name, _ := strings.Cut(e.ApplicationARN, ":application/")
		now := time.Now()
		var resp destination.Response
		f.mu.Lock()
		for _, rec := range e.Records {
			f.all = append(f.all, delivery{node: node, app: name, id: rec.RecordID, data: string(rec.Data), at: now})
			resp.Records = append(resp.Records, destination.Result{RecordID: rec.RecordID, Result: destination.Ok})
		}
		f.mu.Unlock()
		json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// deliveries are every delivery so far, in the order they came.
func (f *recordingFunction) deliveries() []delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]delivery(nil), f.all...)
}

// rows are an application's rows delivered, one per record id.
func rows(all []delivery, name string) []string {
	byID := map[string]string{}
	for _, d := range all {
		if d.app == name {
			byID[d.id] = d.data
		}
	}
	var out []string
	for _, data := range byID {
		out = append(out, data)
	}
	sort.Strings(out)
	return out
}

// recordIDProblems checks what the function got: a record id always
// comes with the same data, of one application; a row (an application's
// window) always comes under the same record id; with onceEach, no
// record id comes twice; with oneNode, none comes from two nodes.
func recordIDProblems(all []delivery, onceEach, oneNode bool) []string {
	type first struct {
		d delivery
		n int
	}
	byID := map[string]*first{}
	idOf := map[[2]string]string{} // application and row to the id it came under
	var problems []string
	for _, d := range all {
		f := byID[d.id]
		if f == nil {
			byID[d.id] = &first{d: d, n: 1}
		} else {
			f.n++
			switch {
			case f.d.app != d.app || f.d.data != d.data:
				problems = append(problems, fmt.Sprintf("record id %s came with %s %q from %s, then %s %q from %s", d.id, f.d.app, f.d.data, f.d.node, d.app, d.data, d.node))
			case oneNode && f.d.node != d.node:
				problems = append(problems, fmt.Sprintf("%s: record id %s (%s) delivered by %s and by %s", d.app, d.id, d.data, f.d.node, d.node))
			case onceEach:
				problems = append(problems, fmt.Sprintf("%s: record id %s (%s) delivered %d times (by %s, then %s)", d.app, d.id, d.data, f.n, f.d.node, d.node))
			}
		}
		key := [2]string{d.app, d.data}
		if id, ok := idOf[key]; ok && id != d.id {
			problems = append(problems, fmt.Sprintf("%s: row %s came under two record ids (%s, %s): a duplicate the destination cannot tell", d.app, d.data, id, d.id))
		}
		idOf[key] = d.id
	}
	return problems
}

// labSender sends lab events with PutRecordBatch through the nodes that
// are up, in turn, and keeps the ids of the records acknowledged.
type labSender struct {
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu      sync.Mutex
	acked   map[string]bool
	refused int // batches that failed (a node going down, a NATS server lost)
}

// startSending sends, every 25 ms, a batch of 2, 3 or 4 events (a click,
// then impressions), so counts and ratios change from window to window;
// each event carries an id of its own. It stops with the test, or with
// stopSending.
func (c *labCluster) startSending(t *testing.T) *labSender {
	ctx, stop := context.WithCancel(context.Background())
	s := &labSender{stop: stop, acked: map[string]bool{}}
	// A node paused with a request in flight must not hold the sender.
	client := &http.Client{Timeout: 10 * time.Second}
	t.Cleanup(s.stopSending)
	s.wg.Go(func() {
		for batch := 0; ctx.Err() == nil; batch++ {
			var recs []any
			var ids []string
			for i := range 2 + batch%3 {
				id := fmt.Sprintf("b%06d-%d", batch, i)
				action := []string{"Click", "Impression"}[min(i, 1)]
				payload := fmt.Sprintf(`{"browseraction":%q, "site": "yourwebsiteurl.domain.com", "id": %q}`+"\n", action, id)
				recs = append(recs, map[string]string{"Data": base64.StdEncoding.EncodeToString([]byte(payload))})
				ids = append(ids, id)
			}
			_, err := callWith(client, c.url(batch), "Firehose_20150804.PutRecordBatch", map[string]any{"DeliveryStreamName": "lab", "Records": recs})
			s.mu.Lock()
			if err != nil {
				s.refused++
			} else {
				for _, id := range ids {
					s.acked[id] = true
				}
			}
			s.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(25 * time.Millisecond): // pacing the sender
			}
		}
	})
	return s
}

// stopSending stops the sender and waits for its last batch.
func (s *labSender) stopSending() {
	s.stop()
	s.wg.Wait()
}

// counts are the records acknowledged and the batches refused so far.
func (s *labSender) counts() (acked, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.acked), s.refused
}

// ackedIDs are the ids of the records acknowledged.
func (s *labSender) ackedIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id := range s.acked {
		out = append(out, id)
	}
	return out
}

// windowEnd is the window time of a CTROUT row as outputs write it.
func windowEnd(row string) (time.Time, error) {
	var r struct{ WINDOW_END string }
	if err := json.Unmarshal([]byte(row), &r); err != nil {
		return time.Time{}, fmt.Errorf("row %q: %w", row, err)
	}
	return time.Parse("2006-01-02 15:04:05.000", r.WINDOW_END)
}

// waitWindowsPast waits until each application has delivered, through a
// node other than skip, the rows of two windows that close after the
// wall-clock time since: it read and processed records sent after it.
func (c *labCluster) waitWindowsPast(t *testing.T, apps []string, since time.Time, skip string, timeout time.Duration) {
	t.Helper()
	past := map[string]time.Time{} // on each application's clock
	for _, name := range apps {
		at := c.def(t, name).AppTime(since.UnixMilli(), c.opts.Scale)
		past[name] = time.UnixMilli(at).UTC().Add(20 * time.Second)
	}
	poll.Until(t, timeout, func() (bool, string) {
		last := map[string]time.Time{}
		for _, d := range c.fn.deliveries() {
			if _, ok := past[d.app]; !ok || d.node == skip {
				continue
			}
			at, err := windowEnd(d.data)
			if err != nil {
				t.Fatal(err)
			}
			if at.After(last[d.app]) {
				last[d.app] = at
			}
		}
		var behind []string
		for _, name := range apps {
			if last[name].Before(past[name]) {
				behind = append(behind, fmt.Sprintf("%s (at %s, waiting for %s)", name, last[name].Format(time.TimeOnly), past[name].Format(time.TimeOnly)))
			}
		}
		return len(behind) == 0, fmt.Sprintf("%d applications have not delivered the windows past %s: %v", len(behind), since.Format(time.TimeOnly), behind)
	})
}

// mostApps is the node (its index) that runs the most applications, with
// their names.
func (c *labCluster) mostApps(owners map[string]string) (int, []string) {
	best, apps := -1, []string(nil)
	for i, n := range c.nodes {
		var theirs []string
		for _, a := range c.apps {
			if owners[a] == n.name {
				theirs = append(theirs, a)
			}
		}
		if n.serving() != nil && (best < 0 || len(theirs) > len(apps)) {
			best, apps = i, theirs
		}
	}
	return best, apps
}
