package runner

import (
	"fmt"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/sql/engine"
	"github.com/riffle-sql/riffle/sql/plan"
)

// TestSnapshotOfSortsContinuesExactly is the snapshot round trip for the
// query forms of issue 14: a T-sort holding rows out of order, ORDER BY
// and DISTINCT over GROUP BY results, ORDER BY after UNION ALL. A snapshot
// after record k, restored into a new App, must print the same rows.
func TestSnapshotOfSortsContinuesExactly(t *testing.T) {
	sql := `CREATE STREAM tsorted (k VARCHAR(8), v INTEGER, arrived TIMESTAMP);
CREATE PUMP pt AS INSERT INTO tsorted
SELECT STREAM s.ROWTIME - "v" * INTERVAL '1' SECOND AS ROWTIME, "k", "v", s.ROWTIME FROM SOURCE_SQL_STREAM_001 AS s
ORDER BY s.ROWTIME - "v" * INTERVAL '1' SECOND WITHIN INTERVAL '6' SECOND, "k" DESC;
CREATE STREAM grouped (k VARCHAR(8), n BIGINT, total INTEGER);
CREATE PUMP pg AS INSERT INTO grouped
SELECT STREAM "k", COUNT(*), SUM("v") AS total FROM SOURCE_SQL_STREAM_001 AS s
GROUP BY STEP(s.ROWTIME BY INTERVAL '20' SECOND), "k" ORDER BY STEP(s.ROWTIME BY INTERVAL '20' SECOND), total DESC;
CREATE STREAM distinct_ (n BIGINT);
CREATE PUMP pd AS INSERT INTO distinct_
SELECT STREAM DISTINCT COUNT(*) AS n FROM SOURCE_SQL_STREAM_001 AS s
GROUP BY STEP(s.ROWTIME BY INTERVAL '20' SECOND), "k" ORDER BY ROWTIME, n DESC;
CREATE STREAM merged (k VARCHAR(8), v INTEGER);
CREATE PUMP pm AS INSERT INTO merged
SELECT STREAM "k", "v" FROM SOURCE_SQL_STREAM_001 WHERE "v" > 5
UNION ALL SELECT STREAM "k", "v" * 10 FROM SOURCE_SQL_STREAM_001 WHERE "v" <= 5
ORDER BY FLOOR(ROWTIME TO MINUTE), "v", "k";`
	var varied strings.Builder
	for i := 0; i < 400; i++ {
		fmt.Fprintf(&varied, `{"arrival":"2026-11-01T00:%02d:%02d.%03dZ","data":{"k":"%c","v":%d}}`+"\n",
			i*1300/60000, i*1300/1000%60, i*1300%1000, 'a'+rune(i%3), (i*7)%11)
	}
	recs := readAll(t, varied.String())
	streams := []string{"TSORTED", "GROUPED", "DISTINCT_", "MERGED", "error_stream"}
	whole := runSplit(t, sql, recs, streams, -1)
	for _, k := range []int{1, 37, len(recs) / 3, len(recs) / 2, len(recs) - 5} {
		if got := runSplit(t, sql, recs, streams, k); got != whole {
			t.Fatalf("snapshot after record %d changed the output:\n%s", k, firstDiff(got, whole))
		}
	}
	for _, s := range streams[:4] {
		if n := strings.Count(whole, s+" "); n < 20 {
			t.Fatalf("%s: only %d rows: the test exercises too little", s, n)
		}
	}
	// v is up to 10 s behind with a 6 s buffer: some rows are late.
	if !strings.Contains(whole, "LATE_ROW") {
		t.Fatal("no late row: the T-sort's late path is not exercised")
	}
}

// A subquery reads its reference table as a join with the table does:
// from the application's table when it runs, not from a snapshot. An
// application restarted on a reloaded table (a new plan, the old state)
// answers from the new rows.
func TestSubqueriesReadTheReloadedTable(t *testing.T) {
	sql := `CREATE STREAM out (ticker VARCHAR(4), listed BOOLEAN, sector VARCHAR(8));
CREATE PUMP p AS INSERT INTO out SELECT STREAM "ticker",
  "ticker" IN (SELECT "ticker" FROM "companies"),
  (SELECT c."sector" FROM "companies" AS c WHERE c."ticker" = s."ticker")
FROM SOURCE_SQL_STREAM_001 AS s;`
	schema, err := record.Discover([][]byte{[]byte(`{"ticker": "AMZN"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	start := func(table string) *compile.Application {
		tb, err := compile.LoadTable("companies", strings.NewReader(table))
		if err != nil {
			t.Fatal(err)
		}
		a, err := compile.Compile(compile.Options{SQL: sql, Schema: schema, Application: "reload", Tables: []*plan.Table{tb}})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Engine.Subscribe("OUT", func(r engine.Row) { fmt.Fprintln(&out, r.Values) }); err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := start(`{"ticker": "AMZN", "sector": "tech"}` + "\n")
	if err := a.Feeders[0].Feed([]byte(`{"ticker": "AMZN"}`), 1000, compile.Meta{Stored: 1000}); err != nil {
		t.Fatal(err)
	}
	snap, err := a.Engine.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	b := start(`{"ticker": "AMZN", "sector": "retail"}` + "\n" + `{"ticker": "IBM", "sector": "tech"}` + "\n")
	if err := b.Engine.Restore(snap); err != nil {
		t.Fatal(err)
	}
	for i, rec := range []string{`{"ticker": "AMZN"}`, `{"ticker": "IBM"}`} {
		if err := b.Feeders[0].Feed([]byte(rec), int64(2000+i), compile.Meta{Stored: int64(2000 + i)}); err != nil {
			t.Fatal(err)
		}
	}
	want := "[AMZN TRUE tech]\n[AMZN TRUE retail]\n[IBM TRUE tech]\n"
	if out.String() != want {
		t.Fatalf("rows\n%s\nwant\n%s", out.String(), want)
	}
}
