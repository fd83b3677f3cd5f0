package runner

import (
	"fmt"
	"strings"
	"testing"
)

// TestSnapshotKeepsFunctionState restores, mid-stream, applications using
// the aggregates with state of their own (DISTINCT's values seen, the
// variance's sums, ANY/EVERY, IGNORE NULLS, NTH_VALUE and EXP_AVG over
// windows) and the start time behind CURRENT_TIMESTAMP: the output must be
// what an uninterrupted run prints.
func TestSnapshotKeepsFunctionState(t *testing.T) {
	sql := `CREATE STREAM minutes (k VARCHAR(8), n BIGINT, vs DOUBLE, sp INTEGER, a BOOLEAN, e BOOLEAN, f INTEGER, started TIMESTAMP);
CREATE PUMP p1 AS INSERT INTO minutes
SELECT STREAM "k", COUNT(DISTINCT "v"), VAR_SAMP("x"), STDDEV_POP("v"), ANY("v" > 9), EVERY("v" > 0),
  FIRST_VALUE("n") IGNORE NULLS, CURRENT_TIMESTAMP
FROM SOURCE_SQL_STREAM_001 GROUP BY "k", FLOOR(ROWTIME TO MINUTE);
CREATE STREAM staggered (k VARCHAR(8), n BIGINT, s INTEGER, l INTEGER);
CREATE PUMP p2 AS INSERT INTO staggered
SELECT STREAM "k", COUNT(DISTINCT "v"), SUM(DISTINCT "v"), LAST_VALUE("n") IGNORE NULLS FROM SOURCE_SQL_STREAM_001
WINDOWED BY STAGGER (PARTITION BY "k" RANGE INTERVAL '20' SECOND);
CREATE STREAM sliding (k VARCHAR(8), nth INTEGER, ea DOUBLE, cd BIGINT, sd DOUBLE, today DATE);
CREATE PUMP p3 AS INSERT INTO sliding
SELECT STREAM "k", NTH_VALUE("n", 2) FROM LAST IGNORE NULLS OVER w, EXP_AVG("x", INTERVAL '3' SECOND) OVER w,
  COUNT(DISTINCT "v") OVER w, STDDEV_SAMP("x") OVER w, CURRENT_DATE
FROM SOURCE_SQL_STREAM_001 WINDOW w AS (PARTITION BY "k" RANGE INTERVAL '15' SECOND PRECEDING);`
	var varied strings.Builder
	for i := 0; i < 400; i++ {
		n := fmt.Sprint((i * 5) % 13)
		if i%4 == 1 {
			n = "null"
		}
		fmt.Fprintf(&varied, `{"arrival":"2026-11-01T00:%02d:%02d.%03dZ","data":{"k":"%c","v":%d,"x":%d.5,"n":%s}}`+"\n",
			i*1300/60000, i*1300/1000%60, i*1300%1000, 'a'+rune(i%3), (i*7)%11, (i*3)%17, n)
	}
	recs := readAll(t, varied.String())
	streams := []string{"MINUTES", "STAGGERED", "SLIDING"}
	whole := runSplit(t, sql, recs, streams, -1)
	for _, k := range []int{1, 37, len(recs) / 3, len(recs) / 2, len(recs) - 5} {
		if got := runSplit(t, sql, recs, streams, k); got != whole {
			t.Fatalf("snapshot after record %d changed the output:\n%s", k, firstDiff(got, whole))
		}
	}
	for _, s := range streams {
		if n := strings.Count(whole, s+" "); n < 20 {
			t.Fatalf("%s: only %d rows: the test exercises too little", s, n)
		}
	}
}
