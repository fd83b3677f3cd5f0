package demo

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAnInterruptedDemo: Ctrl-C two seconds in (32 s of application time,
// before the first burst): the demo waits for its generator, and counts
// only the bursts that were sent (none), with or without --forever; the
// windows it saw are the steady traffic's.
func TestAnInterruptedDemo(t *testing.T) {
	for _, forever := range []bool{false, true} {
		var out bytes.Buffer
		o := Options{Listen: "127.0.0.1:0", Speed: 16, Chart: filepath.Join(t.TempDir(), "demo.svg"), Seed: 1, Out: &out, Forever: forever}
		res, err := runOnFakeClocks(t, o, t0, 2*time.Second)
		if err != nil {
			t.Errorf("forever %v: %v", forever, err)
			continue
		}
		if res.Bursts != 0 || res.FalseAlarms != 0 {
			t.Errorf("forever %v: interrupted before the first burst: %d of %d bursts detected, %d false alarms",
				forever, res.BurstsDetected, res.Bursts, res.FalseAlarms)
		}
		for _, w := range res.Windows {
			if w.CTR != 100 || w.Flagged || w.End.After(t0.Add(32*time.Second)) {
				t.Errorf("forever %v: window ending %s: CTR %v, flagged %v", forever, w.End.Format(time.TimeOnly), w.CTR, w.Flagged)
			}
		}
		if !strings.Contains(out.String(), "0 of 0 bursts detected") {
			t.Errorf("forever %v: no summary:\n%s", forever, out.String())
		}
	}
}

// TestTheDemoRunsAgainOnItsData: with --data, a second demo an hour after
// the first finds the stream and the application of the first, and runs as
// the first did: every burst caught, nothing else flagged, its own 48
// windows (none of the first run's records in them), the anomalies
// printed again, from an application made anew; the stream keeps both
// runs' records.
func TestTheDemoRunsAgainOnItsData(t *testing.T) {
	dir := t.TempDir()
	var first, second bytes.Buffer
	o := Options{Data: dir, Listen: "127.0.0.1:0", Speed: 16, Chart: filepath.Join(t.TempDir(), "demo.svg"), Seed: 1, Out: &first}
	if _, err := runOnFakeClocks(t, o, t0, 0); err != nil {
		t.Fatalf("first demo: %v\n%s", err, first.String())
	}
	firstApp, _ := stored(t, dir)
	later := t0.Add(time.Hour)
	o.Out = &second
	res, err := runOnFakeClocks(t, o, later, 0)
	if err != nil {
		t.Fatalf("a second demo on the same --data: %v\n%s", err, second.String())
	}
	checkLabWindows(t, res, later.Add(10*time.Second))
	if n := strings.Count(second.String(), "Anomaly detected with a click through rate of 400%"); n != 6 {
		t.Errorf("the second demo printed %d anomalies, want 6:\n%s", n, second.String())
	}
	if !strings.Contains(second.String(), "generator: 1140 records sent, 1140 acknowledged, 0 not sent") {
		t.Errorf("the second demo did not send the lab's 1140 records:\n%s", second.String())
	}
	secondApp, recs := stored(t, dir)
	if !secondApp.Created.After(firstApp.Created) {
		t.Errorf("the application of the second demo was created at %v, the first's at %v", secondApp.Created, firstApp.Created)
	}
	if len(recs) != 2*1140 {
		t.Errorf("the stream holds %d records, want both runs' 2×1140", len(recs))
	}
	if res.Archived != 2*1140 {
		t.Errorf("the archive holds %d records, want both runs' 2×1140", res.Archived)
	}
}
