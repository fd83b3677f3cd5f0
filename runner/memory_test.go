package runner

import (
	"fmt"
	"strings"
	"testing"
)

// TestSlidingWindowStateStaysFlat: keys that stop arriving leave RANGE
// windows, so the state (here measured as the snapshot's size) does not grow
// with the number of distinct keys seen over time.
func TestSlidingWindowStateStaysFlat(t *testing.T) {
	sql := `CREATE STREAM "DESTINATION_SQL_STREAM" (k VARCHAR(16), n BIGINT);
CREATE PUMP p AS INSERT INTO "DESTINATION_SQL_STREAM"
SELECT STREAM "k", COUNT(*) OVER (PARTITION BY "k" RANGE INTERVAL '10' SECOND PRECEDING) FROM SOURCE_SQL_STREAM_001;`
	sizeAfter := func(records int) int {
		var b strings.Builder
		for i := 0; i < records; i++ {
			fmt.Fprintf(&b, `{"arrival":"2026-11-01T%02d:%02d:%02d.000Z","data":{"k":"key-%d"}}`+"\n", i/3600, i/60%60, i%60, i)
		}
		recs := readAll(t, b.String())
		snap := snapshotAfter(t, sql, recs)
		return len(snap)
	}
	small, large := sizeAfter(100), sizeAfter(2000)
	if large > small*2 {
		t.Fatalf("state after 2000 distinct keys is %d bytes, after 100 %d: keys that left the window are kept", large, small)
	}
}

// snapshotAfter feeds the records and returns the application's snapshot.
func snapshotAfter(t *testing.T, sql string, recs []replayRecord) []byte {
	t.Helper()
	c := compileFor(t, sql, recs)()
	app := c.Engine
	for _, r := range recs {
		feed(t, c.Feeders[0], r)
	}
	snap, err := app.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return snap
}
