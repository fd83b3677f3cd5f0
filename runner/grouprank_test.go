package runner

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/sql/engine"
)

// groupRankSQL ranks raw rows (a group per arrival millisecond) and, as
// the SQL reference's example does, the per-second counts of a GROUP BY.
const groupRankSQL = `CREATE STREAM ranked (id INTEGER, k VARCHAR(4), v INTEGER, r INTEGER);
CREATE PUMP pr AS INSERT INTO ranked
SELECT STREAM * FROM TABLE(GROUP_RANK(CURSOR(SELECT STREAM "id", "k", "v" FROM SOURCE_SQL_STREAM_001), 'v', 'r', 'desc', 'asc', 0, 4));
CREATE STREAM counts (k VARCHAR(4), n INTEGER);
CREATE PUMP pc AS INSERT INTO counts
SELECT STREAM "k", COUNT(*) FROM SOURCE_SQL_STREAM_001 GROUP BY FLOOR(SOURCE_SQL_STREAM_001.ROWTIME TO SECOND), "k";
CREATE STREAM top (k VARCHAR(4), n INTEGER, "groupRank" INTEGER);
CREATE PUMP pt AS INSERT INTO top
SELECT STREAM * FROM TABLE(GROUP_RANK(CURSOR(SELECT STREAM * FROM counts), 'N', 'groupRank', 'desc', 'desc', 5, 0));`

// groupRankReplay makes n records, 1 to 6 in each millisecond that has
// any, with small values so that ranks tie.
func groupRankReplay(n int) string {
	r := rand.New(rand.NewPCG(3, 3))
	var b strings.Builder
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; {
		at = at.Add(time.Duration(1+r.IntN(40)) * time.Millisecond)
		for range 1 + r.IntN(6) {
			v := fmt.Sprint(r.IntN(5))
			if r.IntN(10) == 0 {
				v = "null"
			}
			fmt.Fprintf(&b, `{"arrival":%q,"data":{"id":%d,"k":"k%d","v":%s}}`+"\n", at.Format(time.RFC3339Nano), i, r.IntN(7), v)
			i++
		}
	}
	return b.String()
}

// TestGroupRankSnapshots: GROUP_RANK continues exactly from a snapshot
// taken anywhere, in particular with a group half gathered.
func TestGroupRankSnapshots(t *testing.T) {
	recs := readAll(t, groupRankReplay(3000))
	streams := []string{"RANKED", "TOP"}
	whole := runSplit(t, groupRankSQL, recs, streams, -1)
	splits := 0
	for k := 1; k < len(recs) && splits < 6; k += 211 {
		if !recs[k].Arrival.Equal(recs[k-1].Arrival) {
			continue // a group is open only between rows of one time
		}
		splits++
		if got := runSplit(t, groupRankSQL, recs, streams, k); got != whole {
			t.Fatalf("snapshot after record %d changed the output:\n%s", k, firstDiff(got, whole))
		}
	}
	if splits < 3 {
		t.Fatalf("only %d snapshots inside a group", splits)
	}
	if got := runSplit(t, groupRankSQL, recs, streams, len(recs)); got != whole {
		t.Fatalf("snapshot after the last record changed the output:\n%s", firstDiff(got, whole))
	}
	// The run exercised ties (a rank repeated) and the gap after them.
	if !strings.Contains(whole, " 2 2]") || !strings.Contains(whole, " 3]") {
		t.Errorf("no tied ranks in the output:\n%.400s", whole)
	}
}

// BenchmarkGroupRank: GROUP_RANK over raw records, 100 in each
// millisecond, ranked by a number and cut to the first 10 of each group;
// one op is one record.
//
//	go test -run '^$' -bench GroupRank -cpu 1 ./runner
func BenchmarkGroupRank(b *testing.B) {
	r := rand.New(rand.NewPCG(4, 4))
	data := make([][]byte, 1<<16)
	for i := range data {
		data[i] = fmt.Appendf(nil, `{"TICKER_SYMBOL": "T%d", "PRICE": %.2f}`, r.IntN(500), 10+r.Float64()*90)
	}
	benchTableFnEvery(b, `CREATE OR REPLACE STREAM DESTINATION_SQL_STREAM ("TICKER_SYMBOL" VARCHAR(8), "PRICE" DOUBLE, "groupRank" INTEGER);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DESTINATION_SQL_STREAM"
SELECT STREAM * FROM TABLE(GROUP_RANK(CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"), 'PRICE', 'groupRank', 'desc', 'asc', 0, 10));`, data, 100)
}

// benchTableFnEvery is benchTableFn with perMs records in each millisecond.
func benchTableFnEvery(b *testing.B, sql string, data [][]byte, perMs int) {
	schema, err := record.Discover(data[:2])
	if err != nil {
		b.Fatal(err)
	}
	compiled, err := compile.Compile(compile.Options{SQL: sql, Schema: schema, Application: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	app, feeder := compiled.Engine, compiled.Feeders[0]
	rows := 0
	if err := app.Subscribe("DESTINATION_SQL_STREAM", func(engine.Row) { rows++ }); err != nil {
		b.Fatal(err)
	}
	start := benchStart.UnixMilli()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		at := start + int64(i/perMs)
		if err := feeder.Feed(data[i%len(data)], at, compile.Meta{Stored: at}); err != nil {
			b.Fatal(err)
		}
	}
	app.Advance(engine.Forever)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	if rows == 0 {
		b.Fatal("no output")
	}
}
