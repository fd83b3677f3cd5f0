package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/generator"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// timedSQL copies the rows of the lab's DESTINATION_SQL_STREAM and
// CTRSTREAM with their ROWTIME, the end of their 10-second window, which
// the rows delivered otherwise leave out. The copies come out of the
// same step as the rows they copy.
const timedSQL = `
CREATE OR REPLACE STREAM "ALERT_TIMES" ("WINDOW_END" TIMESTAMP, "CTRPERCENT" DOUBLE, "ANOMALY_SCORE" DOUBLE);
CREATE OR REPLACE PUMP "ALERT_TIMES_PUMP" AS INSERT INTO "ALERT_TIMES"
SELECT STREAM ROWTIME, "CTRPERCENT", "ANOMALY_SCORE" FROM "DESTINATION_SQL_STREAM";
CREATE OR REPLACE STREAM "CTR_TIMES" ("WINDOW_END" TIMESTAMP, "CTR" DOUBLE);
CREATE OR REPLACE PUMP "CTR_TIMES_PUMP" AS INSERT INTO "CTR_TIMES"
SELECT STREAM ROWTIME, "CTR" FROM "CTRSTREAM";
`

// alertScenario is lab traffic at a steady rate (20 impressions and 2
// clicks a second) with a burst of 20 more clicks a second for one
// window every 30 seconds once the forest has its 12 windows of samples.
func alertScenario(windows int) generator.Scenario {
	return generator.Scenario{Name: "alerts", Duration: time.Duration(windows+1) * 10 * time.Second, Senders: []generator.Sender{
		{Name: "impressions", Template: generator.ImpressionTemplate, Rate: 20},
		{Name: "clicks", Template: generator.ClickTemplate, Rate: 2},
		{Name: "burst", Template: generator.ClickTemplate, Rate: 20, Start: 130 * time.Second, Duration: 10 * time.Second, Every: 30 * time.Second},
	}}
}

// logTarget stores the generator's records in a stream of the log with
// their arrival stamped as ingest stamps it: when they come.
type logTarget struct {
	l      *streamlog.Log
	stream string
}

func (t logTarget) Put(ctx context.Context, recs []generator.Record) ([]bool, error) {
	now := time.Now()
	batch := make([]streamlog.Record, len(recs))
	for i, r := range recs {
		batch[i] = streamlog.Record{Data: r.Data, PartitionKey: r.Key, Arrival: now}
	}
	_, err := t.l.Append(ctx, t.stream, 0, batch)
	return nil, err
}

func (logTarget) Limits() (records, bytes int) { return 500, 4 << 20 }
func (logTarget) Live() bool                   { return true }

// arrival is a delivered row: its window's end, and when it came.
type arrival struct {
	windowEnd string
	received  time.Time
}

// BenchmarkAlertLatency measures how soon the lab application's rows reach
// a Lambda-compatible endpoint after their window ends, at 1x on the real
// clock: for each row, the time it came to the endpoint less the wall
// time its window ended. Anomaly rows (DESTINATION_SQL_STREAM, a few per
// run once the forest has 2 minutes of windows) and CTRSTREAM rows (one
// every window, out of the same step) go through an output each; the p50
// and p99 of each are reported in ms, for the default settle wait and a
// shorter one. The run lasts RIFFLE_ALERT_WINDOWS windows of 10 s (24 by
// default: 4 minutes a settle wait). docs/apps.md, Figures.
func BenchmarkAlertLatency(b *testing.B) {
	windows := 24
	if s := os.Getenv("RIFFLE_ALERT_WINDOWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("RIFFLE_ALERT_WINDOWS=%q: want a number of windows", s)
		}
		windows = n
	}
	for _, settle := range []time.Duration{DefaultSettle, 100 * time.Millisecond} {
		b.Run("settle="+settle.String(), func(b *testing.B) { alertLatency(b, settle, windows) })
	}
}

func alertLatency(b *testing.B, settle time.Duration, windows int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := streamlogtest.Open(b, streamlogtest.Stream{Name: "clicks", Kind: "firehose", Shards: 1})
	var (
		mu   sync.Mutex
		rows = map[string][]arrival{} // by endpoint path
		more = make(chan struct{}, 1)
	)
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received := time.Now()
		var e destination.Event
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var resp destination.Response
		mu.Lock()
		for _, rec := range e.Records {
			var row struct{ WINDOW_END string }
			if err := json.Unmarshal(rec.Data, &row); err != nil {
				b.Errorf("row %q: %v", rec.Data, err)
			}
			rows[r.URL.Path] = append(rows[r.URL.Path], arrival{row.WINDOW_END, received})
			resp.Records = append(resp.Records, destination.Result{RecordID: rec.RecordID, Result: destination.Ok})
		}
		mu.Unlock()
		select {
		case more <- struct{}{}:
		default:
		}
		json.NewEncoder(w).Encode(resp)
	}))
	defer fn.Close()
	reg := prometheus.NewRegistry()
	m, err := NewManager(ctx, l, Options{Metrics: reg, AllowPrivateURLs: true})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	outs := []Output{
		{Name: "ALERT_TIMES", Format: "JSON", Kind: LambdaOutput, Target: fn.URL + "/alerts"},
		{Name: "CTR_TIMES", Format: "JSON", Kind: LambdaOutput, Target: fn.URL + "/ctr"},
	}
	if _, err := m.Create(ctx, Application{Name: "lab", Code: labSQL(b) + timedSQL, Inputs: []Input{in}, Outputs: outs, Settle: settle}); err != nil {
		b.Fatal(err)
	}
	if err := m.Start(ctx, "lab", Now); err != nil {
		b.Fatal(err)
	}
	a, err := m.Get(ctx, "lab")
	if err != nil {
		b.Fatal(err)
	}
	// The scenario starts on a window's start, so its bursts fill windows.
	start := time.UnixMilli(a.AppTime(time.Now().UnixMilli(), 1)).Truncate(10 * time.Second).Add(10 * time.Second)
	start = time.UnixMilli(start.UnixMilli() - a.Origin.App + a.Origin.Wall) // back to wall time
	b.ResetTimer()
	run, err := generator.Start(ctx, alertScenario(windows), generator.Options{Target: logTarget{l, "clicks"}, WallStart: start})
	if err != nil {
		b.Fatal(err)
	}
	// Every window's CTR row, or give up a minute after the last should
	// have come.
	deadline := time.NewTimer(time.Until(start.Add(time.Duration(windows)*10*time.Second + time.Minute)))
	defer deadline.Stop()
	for {
		mu.Lock()
		n := len(rows["/ctr"])
		mu.Unlock()
		if n >= windows {
			break
		}
		select {
		case <-more:
		case <-run.Done():
			if err := run.Err(); err != nil {
				b.Fatalf("the traffic stopped: %v", err)
			}
		case <-deadline.C:
			b.Fatalf("%d of %d windows' CTR rows came", n, windows)
		}
	}
	b.StopTimer()
	cancel()
	<-run.Done()
	// Records stored later than the settle wait after their arrival, which
	// took the clock's time: what a shorter wait costs on this machine.
	families, err := reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	late := 0.0
	for _, f := range families {
		if f.GetName() == "riffle_input_late_records_total" {
			for _, s := range f.GetMetric() {
				late += s.GetCounter().GetValue()
			}
		}
	}
	b.ReportMetric(late, "late-records")
	mu.Lock()
	defer mu.Unlock()
	for _, out := range []struct{ path, name string }{{"/alerts", "alert"}, {"/ctr", "ctr"}} {
		var ms []float64
		for _, r := range rows[out.path] {
			end, err := time.Parse("2006-01-02 15:04:05.000", r.windowEnd)
			if err != nil {
				b.Fatalf("WINDOW_END %q: %v", r.windowEnd, err)
			}
			wall := end.UnixMilli() - a.Origin.App + a.Origin.Wall
			ms = append(ms, float64(r.received.UnixMicro()-wall*1000)/1000)
		}
		slices.Sort(ms)
		b.ReportMetric(float64(len(ms)), out.name+"-rows")
		if len(ms) == 0 {
			continue
		}
		b.ReportMetric(percentile(ms, 50), out.name+"-p50-ms")
		b.ReportMetric(percentile(ms, 99), out.name+"-p99-ms")
		b.ReportMetric(ms[0], out.name+"-min-ms")
		b.ReportMetric(ms[len(ms)-1], out.name+"-max-ms")
	}
}

// percentile is the p-th percentile of sorted values (nearest rank).
func percentile(sorted []float64, p float64) float64 {
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
