package demo

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTheDemoCatchesEveryBurstAndNothingElse runs the demo's whole path
// (server, application, notifier, generator through the Firehose API) on a
// clock 16 times faster than real time: every steady window holds exactly
// the scheduled counts (CTR 100) and is never flagged, every burst window
// has CTR 400, every burst is detected and printed, and the chart is
// written.
func TestTheDemoCatchesEveryBurstAndNothingElse(t *testing.T) {
	var out bytes.Buffer
	chart := filepath.Join(t.TempDir(), "demo.svg")
	res, err := Run(context.Background(), Options{Listen: "127.0.0.1:0", Speed: 16, Chart: chart, Seed: 1, Out: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if res.Bursts != 3 || res.BurstsDetected != 3 || res.FalseAlarms != 0 {
		t.Errorf("%d of %d bursts detected, %d false alarms", res.BurstsDetected, res.Bursts, res.FalseAlarms)
	}
	if len(res.Windows) != 48 {
		t.Errorf("%d windows, want 48 (8 minutes of 10-second windows)", len(res.Windows))
	}
	for _, w := range res.Windows {
		want := 100.0
		if w.Burst {
			want = 400
		}
		if w.CTR != want || !w.Scored || w.Flagged && !w.Burst {
			t.Errorf("window ending %s: CTR %v (want %v), score %v, flagged %v", w.End.Format("15:04:05"), w.CTR, want, w.Score, w.Flagged)
		}
	}
	if n := strings.Count(out.String(), "Anomaly detected with a click through rate of 400%"); n != res.BurstsDetected*2 {
		t.Errorf("%d anomalies printed, want one per burst window (%d):\n%s", n, res.BurstsDetected*2, out.String())
	}
	svg, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(svg, []byte("<svg")) || bytes.Count(svg, []byte(`fill="#c00"`)) != 2*6 {
		t.Errorf("the chart does not mark the six anomalies in both panels:\n%.400s", svg)
	}
	t.Logf("%s", out.String())
}
