package runner

import (
	"fmt"
	"strings"
	"testing"
)

// TestSnapshotDeclaredKeysContinueExactly: an aggregate whose windows end
// when a MONOTONIC key moves keeps, across a snapshot, its open windows
// and the input's last time, so a restored application closes the same
// windows at the same times (snapshots mid-window, at a move, and just
// before the input ends). A time key read from a subquery over a GROUP BY
// takes part too.
func TestSnapshotDeclaredKeysContinueExactly(t *testing.T) {
	sql := `CREATE STREAM declared (s INTEGER, k VARCHAR(8), n BIGINT, total INTEGER);
CREATE PUMP p1 AS INSERT INTO declared
SELECT STREAM MONOTONIC("s"), "k", COUNT(*), SUM("v") FROM SOURCE_SQL_STREAM_001 GROUP BY "k", MONOTONIC("s");
CREATE STREAM mixed (s INTEGER, n BIGINT);
CREATE PUMP p2 AS INSERT INTO mixed
SELECT STREAM MONOTONIC("s"), COUNT(*) FROM SOURCE_SQL_STREAM_001 GROUP BY FLOOR(ROWTIME TO MINUTE), MONOTONIC("s");
CREATE STREAM nested (m TIMESTAMP, n BIGINT);
CREATE PUMP p3 AS INSERT INTO nested
SELECT STREAM FLOOR(t10 TO MINUTE), SUM(n) FROM (
  SELECT STREAM STEP(ROWTIME BY INTERVAL '10' SECOND) AS t10, COUNT(*) AS n
  FROM SOURCE_SQL_STREAM_001 GROUP BY STEP(ROWTIME BY INTERVAL '10' SECOND))
GROUP BY FLOOR(t10 TO MINUTE);`
	var text strings.Builder
	for i := range 300 {
		ms := i * 1700
		fmt.Fprintf(&text, `{"arrival":"2026-11-01T00:%02d:%02d.%03dZ","data":{"k":"%c","v":%d,"s":%d}}`+"\n",
			ms/60000, ms/1000%60, ms%1000, 'a'+rune(i%3), (i*7)%11, i/13)
	}
	recs := readAll(t, text.String())
	streams := []string{"DECLARED", "MIXED", "NESTED"}
	whole := runSplit(t, sql, recs, streams, -1)
	for _, k := range []int{1, 13, 14, 100, 181, len(recs) - 1, len(recs)} {
		if got := runSplit(t, sql, recs, streams, k); got != whole {
			t.Fatalf("snapshot after record %d changed the output:\n%s", k, firstDiff(got, whole))
		}
	}
	for _, s := range streams {
		if n := strings.Count(whole, s+" "); n < 8 {
			t.Fatalf("%s: only %d rows: the test exercises too little", s, n)
		}
	}
}
