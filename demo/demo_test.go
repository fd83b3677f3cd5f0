package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/runner"
	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/server/servertest"
	"github.com/riffle-sql/riffle/streamlog"
)

// t0 is on a window boundary, so the lab's traffic starts 10 s of
// application time later, at t0 + 625 ms on the clocks at speed 16.
var t0 = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// step is how far the test moves the clocks at a time: at speed 16 the
// lab's records go every 62.5 ms from t0 + 656.25 ms, each on a step.
const step = 31250 * time.Microsecond

// runOnFakeClocks runs the demo with its two clocks in the test's hands,
// from t0: each time the demo waits on its traffic clock (the generator
// for its next record, or the demo for its last window), both clocks move
// on by step; never while a record is on its way, so every record arrives
// at its scheduled time however loaded the machine is. With interrupt,
// the demo is stopped (Ctrl-C) once the clocks have gone that far.
func runOnFakeClocks(t *testing.T, o Options, t0 time.Time, interrupt time.Duration) (Result, error) {
	t.Helper()
	srvClock, traffic := clockwork.NewFakeClockAt(t0), clockwork.NewFakeClockAt(t0)
	o.Clock, o.TrafficClock = srvClock, traffic
	// A bound in real time on a run that a bug would make endless; a
	// working run takes seconds.
	guard, stopGuard := context.WithTimeout(t.Context(), 3*time.Minute)
	defer stopGuard()
	ctx, cancel := context.WithCancel(guard)
	defer cancel()
	driving, stop := context.WithCancel(context.Background())
	var driver sync.WaitGroup
	driver.Go(func() {
		for traffic.BlockUntilContext(driving, 1) == nil {
			srvClock.Advance(step)
			traffic.Advance(step)
			if interrupt > 0 && traffic.Since(t0) >= interrupt {
				cancel()
			}
		}
	})
	res, err := Run(ctx, o)
	stop()
	driver.Wait()
	if guard.Err() != nil {
		t.Fatalf("the demo did not end within the guard's time: %v", guard.Err())
	}
	return res, err
}

// TestTheDemoCatchesEveryBurstAndNothingElse runs the demo's whole path
// (server, application, notifier, generator through the Firehose API) at
// speed 16 on clocks the test moves, so that the windows are the same
// under any load: 48 windows of 10 seconds, every steady one with CTR
// exactly 100 and never flagged, every burst window with CTR 400 and
// flagged, each anomaly printed, the chart marking them, and every
// window's CTR and score those of the lab's SQL run offline over a replay
// of the records the demo stored, with their arrival times.
func TestTheDemoCatchesEveryBurstAndNothingElse(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	chart := filepath.Join(t.TempDir(), "demo.svg")
	res, err := runOnFakeClocks(t, Options{Data: dir, Listen: "127.0.0.1:0", Speed: 16, Chart: chart, Seed: 1, Out: &out}, t0, 0)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Logf("%s", out.String())
	checkLabWindows(t, res, t0.Add(10*time.Second))
	if n := strings.Count(out.String(), "Anomaly detected with a click through rate of 400%"); n != 6 {
		t.Errorf("%d anomalies printed, want one per burst window (6):\n%s", n, out.String())
	}
	// Each anomaly's line begins with its window's end, the application
	// time the console shows it at; the fake clocks keep time, so no
	// warning about the machine.
	for _, w := range res.Windows {
		line := w.End.UTC().Format(time.TimeOnly) + " (application time) [ClickStreamEvent2] Anomaly Detected: Anomaly detected with a click through rate of 400%"
		if w.Flagged && !strings.Contains(out.String(), line) {
			t.Errorf("no line %q for the anomaly of the window ending %s:\n%s", line, w.End.Format(time.TimeOnly), out.String())
		}
	}
	if strings.Contains(out.String(), "cannot keep the clock") || res.Behind() != "" {
		t.Errorf("a run on clocks that keep time says the machine fell behind (%v):\n%s", res.Late, out.String())
	}
	if !strings.Contains(out.String(), "3 of 3 bursts detected, 0 false alarms in 48 windows") {
		t.Errorf("no summary of 3 bursts detected:\n%s", out.String())
	}
	// The delivery stream archives every record once, as the lab's
	// Firehose does, under the lab's prefix and the hour of t0.
	if res.Acknowledged != 1140 || res.Archived != 1140 || res.ArchiveObjects < 1 ||
		res.ArchiveDir != filepath.Join(dir, "buckets", "clickstream-raw", "weblogs", "raw") {
		t.Errorf("archive: %d records in %d objects under %s, want the 1140 acknowledged under DATA/buckets/clickstream-raw/weblogs/raw", res.Archived, res.ArchiveObjects, res.ArchiveDir)
	}
	if keys, _ := filepath.Glob(filepath.Join(res.ArchiveDir, "2026", "12", "06", "12", "clickstream-1-2026-12-06-12-0*.gz")); len(keys) != res.ArchiveObjects {
		t.Errorf("archive objects %v, want %d named for the hour of the traffic", keys, res.ArchiveObjects)
	}
	if !strings.Contains(out.String(), "archive: 1140 records in") {
		t.Errorf("no line about the archive:\n%s", out.String())
	}
	svg, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(svg, []byte("<svg")) || bytes.Count(svg, []byte(`fill="#c00"`)) != 2*6 {
		t.Errorf("the chart does not mark the six anomalies in both panels:\n%.400s", svg)
	}

	// The same records, with the same application times, offline.
	offline := runOffline(t, dir, 16)
	if len(offline) != len(res.Windows) {
		t.Errorf("%d windows offline, %d live", len(offline), len(res.Windows))
	}
	for _, w := range res.Windows {
		o, ok := offline[w.End.UnixMilli()]
		if !ok || o.CTR != w.CTR || o.Score != w.Score || o.Flagged != w.Flagged {
			t.Errorf("window ending %s: live CTR %v score %v flagged %v; offline %+v (found %v)",
				w.End.Format(time.TimeOnly), w.CTR, w.Score, w.Flagged, o, ok)
		}
	}
}

// checkLabWindows checks a whole lab run's windows from its start: 48 of
// them on 10-second boundaries, CTR 100 and never flagged but in the
// bursts, which have CTR 400 and are flagged.
func checkLabWindows(t *testing.T, res Result, start time.Time) {
	t.Helper()
	if res.Bursts != 3 || res.BurstsDetected != 3 || res.FalseAlarms != 0 {
		t.Errorf("%d of %d bursts detected, %d false alarms", res.BurstsDetected, res.Bursts, res.FalseAlarms)
	}
	if len(res.Windows) != 48 {
		t.Errorf("%d windows, want 48 (8 minutes of 10-second windows)", len(res.Windows))
	}
	for i, w := range res.Windows {
		want := 100.0
		if w.Burst {
			want = 400
		}
		if end := start.Add(time.Duration(i+1) * 10 * time.Second); !w.End.Equal(end) || w.CTR != want || !w.Scored || w.Flagged != w.Burst {
			t.Errorf("window %d ending %s (want %s): CTR %v (want %v), score %v, flagged %v, burst %v",
				i, w.End.Format(time.TimeOnly), end.Format(time.TimeOnly), w.CTR, want, w.Score, w.Flagged, w.Burst)
		}
	}
}

// stored is what a demo left in dir: its application and the records of
// its stream.
func stored(t *testing.T, dir string) (app.Application, []streamlog.Record) {
	t.Helper()
	srv := servertest.Start(t, server.Config{Data: dir})
	ctx := t.Context()
	def, err := srv.Apps.Get(ctx, Application)
	if err != nil {
		t.Fatal(err)
	}
	var all []streamlog.Record
	for from := (streamlog.Seq{}); ; {
		recs, next, err := srv.Log.Read(ctx, Stream, 0, from, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		all, from = append(all, recs...), next
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	return def, all
}

// runOffline runs the lab's SQL offline (riffle run) over the records a
// demo stored in dir, each at the application time of its arrival, and
// returns the windows by their end (ms).
func runOffline(t *testing.T, dir string, speed float64) map[int64]Window {
	t.Helper()
	def, recs := stored(t, dir)
	var replay bytes.Buffer
	for _, r := range recs {
		at := time.UnixMilli(def.AppTime(r.Arrival.UnixMilli(), speed)).UTC()
		replay.WriteString(`{"arrival":"` + at.Format("2006-01-02T15:04:05.000Z") + `","data":`)
		replay.Write(bytes.TrimSuffix(r.Data, []byte("\n")))
		replay.WriteString("}\n")
	}
	schema := labSchema()
	var out bytes.Buffer
	if err := runner.Run(runner.Options{SQL: labSQL, Application: Application, Schema: &schema,
		Streams: []string{"CTRSTREAM", "SCORED", "DESTINATION_SQL_STREAM"}}, &replay, &out); err != nil {
		t.Fatal(err)
	}
	// The same collector as the live run's, fed the offline rows.
	c := newCollector()
	for sc := bufio.NewScanner(&out); sc.Scan(); {
		var row struct{ STREAM string }
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("%s: %v", sc.Bytes(), err)
		}
		c.add(row.STREAM, sc.Bytes())
	}
	windows := map[int64]Window{}
	for end, w := range c.byEnd {
		windows[end] = *w
	}
	return windows
}

// TestTheDemoOnTheWallClockCatchesEveryBurst runs the demo as a user does,
// on the real clock at speed 16, and checks only what the machine's load
// cannot change: the run completes, every burst is detected, every
// anomaly found is printed, and the chart is written.
func TestTheDemoOnTheWallClockCatchesEveryBurst(t *testing.T) {
	var out bytes.Buffer
	chart := filepath.Join(t.TempDir(), "demo.svg")
	res, err := Run(t.Context(), Options{Listen: "127.0.0.1:0", Speed: 16, Chart: chart, Seed: 1, Out: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if res.Bursts != 3 || res.BurstsDetected != 3 {
		t.Errorf("%d of %d bursts detected, want all 3:\n%s", res.BurstsDetected, res.Bursts, out.String())
	}
	flagged := 0
	for _, w := range res.Windows {
		if w.Flagged {
			flagged++
		}
	}
	if n := strings.Count(out.String(), "Anomaly detected with a click through rate of"); n != flagged {
		t.Errorf("%d anomalies printed, %d windows flagged:\n%s", n, flagged, out.String())
	}
	svg, err := os.ReadFile(chart)
	if err != nil || !bytes.HasPrefix(svg, []byte("<svg")) {
		t.Errorf("no chart: %v %.100s", err, svg)
	}
	t.Logf("%s", out.String())
}
