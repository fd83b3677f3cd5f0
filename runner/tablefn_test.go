package runner

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

const tableFnSQL = `CREATE STREAM hot (x DOUBLE, y DOUBLE, r VARCHAR(10000));
CREATE PUMP ph AS INSERT INTO hot
SELECT STREAM "x", "y", HOTSPOTS_RESULT FROM TABLE(HOTSPOTS(CURSOR(SELECT STREAM "x", "y" FROM SOURCE_SQL_STREAM_001), 100, 0.3, 8));
CREATE STREAM top (k VARCHAR(8), n BIGINT);
CREATE PUMP pt AS INSERT INTO top
SELECT STREAM * FROM TABLE(TOP_K_ITEMS_TUMBLING(CURSOR(SELECT STREAM * FROM SOURCE_SQL_STREAM_001), 'k', 3, 10));
CREATE STREAM kinds (n BIGINT);
CREATE PUMP pk AS INSERT INTO kinds
SELECT STREAM * FROM TABLE(COUNT_DISTINCT_ITEMS_TUMBLING(CURSOR(SELECT STREAM * FROM SOURCE_SQL_STREAM_001), 'k', 10));
CREATE STREAM users (n BIGINT);
CREATE PUMP pu AS INSERT INTO users
SELECT STREAM * FROM TABLE(COUNT_DISTINCT_ITEMS_TUMBLING(CURSOR(SELECT STREAM * FROM SOURCE_SQL_STREAM_001), 'id', 60));`

// tableFnReplay makes n records 2 ms apart: points with a dense spot
// that moves, a skewed key and an id unique to each record.
func tableFnReplay(n int) string {
	r := rand.New(rand.NewPCG(8, 8))
	var b strings.Builder
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		x, y := 0.0005+r.Float64()*10, 0.0005+r.Float64()*10
		if r.IntN(3) == 0 {
			x, y = float64(i/3000%9)+0.0005+r.Float64(), 4.0005+r.Float64()
		}
		at := start.Add(time.Duration(i) * 2 * time.Millisecond).Format(time.RFC3339Nano)
		fmt.Fprintf(&b, `{"arrival":%q,"data":{"x":%.4f,"y":%.4f,"k":"k%d","id":"u%06d"}}`+"\n", at, x, y, int(r.ExpFloat64()*3), i)
	}
	return b.String()
}

// TestTableFunctionSnapshots: HOTSPOTS, TOP_K_ITEMS_TUMBLING and
// COUNT_DISTINCT_ITEMS_TUMBLING (exact, and past 10,000 items on its
// sketch) continue exactly from a snapshot taken anywhere: mid-window,
// mid-sketch, with the hotspot window full.
func TestTableFunctionSnapshots(t *testing.T) {
	recs := readAll(t, tableFnReplay(32000))
	streams := []string{"HOT", "TOP", "KINDS", "USERS"}
	whole := runSplit(t, tableFnSQL, recs, streams, -1)
	for _, k := range []int{1, 37, 2555, 7001, 15000, len(recs) - 5} {
		if got := runSplit(t, tableFnSQL, recs, streams, k); got != whole {
			t.Fatalf("snapshot after record %d changed the output:\n%s", k, firstDiff(got, whole))
		}
	}
	// The run exercised what it claims: hotspots found, windows emitted,
	// and a first minute of 30,000 distinct ids (estimated).
	if !strings.Contains(whole, "density") {
		t.Error("no hotspot found")
	}
	if n := strings.Count(whole, "TOP "); n < 3*6 {
		t.Errorf("%d TOP_K rows, want 3 for each of the 7 windows", n)
	}
	var users []int64
	for _, line := range strings.Split(whole, "\n") {
		var at, n int64
		if _, err := fmt.Sscanf(line, "USERS %d [%d]", &at, &n); err == nil {
			users = append(users, n)
		}
	}
	if len(users) != 2 || users[0] < 29700 || users[0] > 30300 || users[1] != 2000 {
		t.Errorf("USERS counts %v: want about 30,000 (estimated) then 2,000 (exact)", users)
	}
}

// The table functions in whole applications, over generated records fed
// as raw bytes like BenchmarkEngine: one op is one record.
//
//	go test -run '^$' -bench 'Hotspots|TopK|CountDistinct' -cpu 1 ./runner

func BenchmarkHotspots(b *testing.B) {
	// The developer guide's application and stream: 20 % of the points in
	// a 1×1 square that moves every 1,000 points.
	r := rand.New(rand.NewPCG(1, 1))
	var sqx, sqy float64
	data := make([][]byte, 20000)
	for i := range data {
		if i%1000 == 0 {
			sqx, sqy = r.Float64()*9, r.Float64()*9
		}
		x, y, hot := r.Float64()*10, r.Float64()*10, "N"
		if r.Float64() < 0.2 {
			x, y, hot = sqx+r.Float64(), sqy+r.Float64(), "Y"
		}
		data[i] = fmt.Appendf(nil, `{"x": %.6f, "y": %.6f, "is_hot": "%s"}`, x+1e-6, y+1e-6, hot)
	}
	benchTableFn(b, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" ("x" DOUBLE, "y" DOUBLE, "is_hot" VARCHAR(4), HOTSPOTS_RESULT VARCHAR(10000));
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
SELECT "x", "y", "is_hot", "HOTSPOTS_RESULT" FROM TABLE (HOTSPOTS(CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"), 1000, 0.2, 17));`, data)
}

// tickers are 100,000 symbols drawn with a skew, 1,000 records a second.
func tickers() [][]byte {
	z := rand.NewZipf(rand.New(rand.NewPCG(2, 2)), 1.1, 1, 99999)
	data := make([][]byte, 1<<17)
	for i := range data {
		data[i] = fmt.Appendf(nil, `{"TICKER_SYMBOL": "T%d", "PRICE": 10.5}`, z.Uint64())
	}
	return data
}

func BenchmarkTopK(b *testing.B) {
	benchTableFn(b, `CREATE OR REPLACE STREAM DESTINATION_SQL_STREAM ("TICKER_SYMBOL" VARCHAR(8), "MOST_FREQUENT_VALUES" BIGINT);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
SELECT STREAM * FROM TABLE (TOP_K_ITEMS_TUMBLING(CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"), 'TICKER_SYMBOL', 5, 60));`, tickers())
}

func BenchmarkCountDistinct(b *testing.B) {
	benchTableFn(b, `CREATE OR REPLACE STREAM DESTINATION_SQL_STREAM (NUMBER_OF_DISTINCT_ITEMS BIGINT);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
SELECT STREAM * FROM TABLE(COUNT_DISTINCT_ITEMS_TUMBLING(CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"), 'TICKER_SYMBOL', 60));`, tickers())
}

// benchTableFn feeds the records, 1 ms apart, through the application.
func benchTableFn(b *testing.B, sql string, data [][]byte) { benchTableFnEvery(b, sql, data, 1) }
