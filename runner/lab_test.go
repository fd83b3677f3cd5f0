//go:build lab

// The clickstream lab's own SQL and recorded traffic (../shared/lab), run
// as the acceptance describes. Built with the lab tag; scripts/test
// runs it whenever ../shared/lab is present:
//
//	go test -tags lab -run Lab ./runner -lab ../../shared/lab
package runner

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var labDir = flag.String("lab", "../../shared/lab", "the lab's files")

func runLab(t *testing.T, streams ...string) string {
	t.Helper()
	sql, err := os.ReadFile(filepath.Join(*labDir, "anomaly_detection.sql"))
	if err != nil {
		t.Fatal(err)
	}
	traffic, err := os.Open(filepath.Join(*labDir, "traffic.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer traffic.Close()
	var out bytes.Buffer
	if err := Run(Options{SQL: string(sql), Application: "anomaly_detection", Streams: streams}, traffic, &out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

type labRow struct {
	ROWTIME       string
	CTR           *float64
	CTRPERCENT    *float64
	ANOMALY_SCORE *float64
}

func parseRows(t *testing.T, out string) []labRow {
	var rows []labRow
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r labRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		rows = append(rows, r)
	}
	return rows
}

var bursts = map[string]bool{
	"2026-11-01T00:10:10.000Z": true, "2026-11-01T00:10:20.000Z": true,
	"2026-11-01T00:20:10.000Z": true, "2026-11-01T00:20:20.000Z": true,
	"2026-11-01T00:25:10.000Z": true, "2026-11-01T00:25:20.000Z": true,
}

func TestLabClickThroughRate(t *testing.T) {
	rows := parseRows(t, runLab(t, "CTRSTREAM"))
	// 30 minutes of traffic with both senders always on: every 10-second
	// window has both sides, the first ending at 00:00:10.
	if len(rows) != 180 {
		t.Fatalf("%d CTR rows, want one per 10-second window: 180", len(rows))
	}
	for i, r := range rows {
		if !strings.HasSuffix(r.ROWTIME, "0.000Z") {
			t.Fatalf("row %d ROWTIME %s is not a window end", i, r.ROWTIME)
		}
		want := 100.0
		if bursts[r.ROWTIME] {
			want = 400
		}
		if r.CTR == nil || *r.CTR != want {
			t.Fatalf("row %d at %s: CTR %v, want %v", i, r.ROWTIME, r.CTR, want)
		}
	}
}

func TestLabAnomaliesAreTheBurstsOnly(t *testing.T) {
	out := runLab(t)
	rows := parseRows(t, out)
	if len(rows) != 6 {
		t.Fatalf("%d anomalies, want the six burst windows:\n%s", len(rows), out)
	}
	for _, r := range rows {
		if !bursts[r.ROWTIME] || r.ANOMALY_SCORE == nil || *r.ANOMALY_SCORE < 3.4 || *r.ANOMALY_SCORE > 3.6 || *r.CTRPERCENT != 400 {
			t.Fatalf("anomaly %+v: want a burst window, CTR 400, score 3.4-3.6", r)
		}
	}
	if again := runLab(t); again != out {
		t.Fatal("a second run printed different output")
	}
}
