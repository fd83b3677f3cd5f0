package runner

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/replay"
	"github.com/riffle-sql/riffle/sql/engine"
)

// TestSnapshotMidStreamContinuesExactly runs applications over a replay
// without interruption, and again with a snapshot taken after record k
// and restored into a new App that finishes the replay: the printed rows
// must be the same, for every k tried (mid-window, mid-join, mid-forest).
func TestSnapshotMidStreamContinuesExactly(t *testing.T) {
	clickstream := benchSQLText(t)
	var traffic bytes.Buffer
	if err := replay.WriteClickstream(&traffic, 3000, 3, benchStart); err != nil {
		t.Fatal(err)
	}
	windows := `CREATE STREAM staggered (k VARCHAR(8), n BIGINT, total INTEGER);
CREATE PUMP ps AS INSERT INTO staggered
SELECT STREAM "k", COUNT(*), SUM("v") FROM SOURCE_SQL_STREAM_001
WINDOWED BY STAGGER (PARTITION BY "k" RANGE INTERVAL '7' SECOND);
CREATE STREAM sliding (k VARCHAR(8), v INTEGER, avg3 INTEGER, n10 BIGINT);
CREATE PUMP pw AS INSERT INTO sliding
SELECT STREAM "k", "v", AVG("v") OVER (PARTITION BY "k" ROWS 2 PRECEDING), COUNT(*) OVER (RANGE INTERVAL '10' SECOND PRECEDING)
FROM SOURCE_SQL_STREAM_001;
CREATE STREAM merged (k VARCHAR(8), v INTEGER);
CREATE PUMP pm AS INSERT INTO merged
SELECT STREAM "k", "v" FROM SOURCE_SQL_STREAM_001 WHERE "v" > 5
UNION ALL SELECT STREAM "k", "v" * 10 FROM SOURCE_SQL_STREAM_001 WHERE "v" <= 5;
CREATE STREAM sorted (k VARCHAR(8), v INTEGER);
CREATE PUMP po AS INSERT INTO sorted
SELECT STREAM "k", "v" FROM SOURCE_SQL_STREAM_001 AS s ORDER BY FLOOR(s.ROWTIME TO MINUTE), "v" DESC;
CREATE STREAM uniq (m TIMESTAMP, k VARCHAR(8));
CREATE PUMP pd AS INSERT INTO uniq
SELECT STREAM DISTINCT FLOOR(ROWTIME TO MINUTE), "k" FROM SOURCE_SQL_STREAM_001;`
	joins := `CREATE STREAM a (x INTEGER);
CREATE PUMP pa AS INSERT INTO a SELECT STREAM "v" FROM SOURCE_SQL_STREAM_001 WHERE "k" = 'a';
CREATE STREAM b (y INTEGER);
CREATE PUMP pb AS INSERT INTO b SELECT STREAM "v" FROM SOURCE_SQL_STREAM_001 WHERE "k" = 'b';
CREATE STREAM pairs (x INTEGER, y INTEGER);
CREATE PUMP pp AS INSERT INTO pairs SELECT STREAM a.x, b.y FROM a, b;
CREATE STREAM both_ (v INTEGER);
CREATE PUMP p1 AS INSERT INTO both_ SELECT STREAM x FROM a;
CREATE PUMP p2 AS INSERT INTO both_ SELECT STREAM y FROM b;
CREATE STREAM outer_ (x INTEGER, y INTEGER);
CREATE PUMP p3 AS INSERT INTO outer_ SELECT STREAM a.x, b.y
FROM a OVER (RANGE INTERVAL '5' SECOND PRECEDING) FULL JOIN b OVER (ROWS 3 PRECEDING) ON a.x = b.y;`
	var varied strings.Builder
	for i := 0; i < 400; i++ {
		fmt.Fprintf(&varied, `{"arrival":"2026-11-01T00:%02d:%02d.%03dZ","data":{"k":"%c","v":%d}}`+"\n",
			i*1300/60000, i*1300/1000%60, i*1300%1000, 'a'+rune(i%3), (i*7)%11)
	}
	// Sums that go past INTEGER in some windows: their groups go to
	// error_stream, also when the overflow came before the snapshot.
	overflow := `CREATE STREAM sums (k VARCHAR(8), s INTEGER);
CREATE PUMP ps AS INSERT INTO sums
SELECT STREAM "k", SUM("v") FROM SOURCE_SQL_STREAM_001 GROUP BY "k", STEP(ROWTIME BY INTERVAL '10' SECOND);`
	var big strings.Builder
	for i := 0; i < 120; i++ {
		v := (i * 7) % 11
		if i%4 == 0 { // two or three a window, all "a": past INTEGER
			v = 2147483000
		}
		fmt.Fprintf(&big, `{"arrival":"2026-11-01T00:%02d:%02d.000Z","data":{"k":"%c","v":%d}}`+"\n", i/60, i%60, 'a'+rune(i%2), v)
	}
	for _, c := range []struct {
		name, sql, replay string
		streams           []string
	}{
		{"overflow", overflow, big.String(), []string{"SUMS", "error_stream"}},
		{"clickstream", clickstream, traffic.String(), []string{"CLICKSTREAM", "CTRSTREAM", "DESTINATION_SQL_STREAM"}},
		{"windows", windows, varied.String(), []string{"STAGGERED", "SLIDING", "MERGED", "SORTED", "UNIQ"}},
		{"joins", joins, varied.String(), []string{"PAIRS", "BOTH_", "OUTER_"}},
	} {
		recs := readAll(t, c.replay)
		whole := runSplit(t, c.sql, recs, c.streams, -1)
		for _, k := range []int{1, 37, len(recs) / 3, len(recs) / 2, len(recs) - 5} {
			if got := runSplit(t, c.sql, recs, c.streams, k); got != whole {
				t.Fatalf("%s: snapshot after record %d changed the output:\n%s", c.name, k, firstDiff(got, whole))
			}
		}
		if c.name == "overflow" && !strings.Contains(whole, "INTEGER overflow") {
			t.Fatalf("overflow: no group went to error_stream:\n%s", whole)
		}
		if strings.Count(whole, "\n") < 20 {
			t.Fatalf("%s: only %d rows: the test exercises too little", c.name, strings.Count(whole, "\n"))
		}
	}
}

func benchSQLText(t *testing.T) string {
	data, err := os.ReadFile("testdata/bench/clickstream.sql")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func readAll(t *testing.T, text string) []replay.Record {
	rd := replay.NewReader(strings.NewReader(text))
	var recs []replay.Record
	for {
		r, err := rd.Next()
		if err != nil {
			return recs
		}
		recs = append(recs, r)
	}
}

type replayRecord = replay.Record

// compileFor returns a function that compiles the SQL afresh (a new
// engine and feeder) for records of the schema the first two discover.
func compileFor(t *testing.T, sql string, recs []replay.Record) func() *compile.Application {
	t.Helper()
	schema, err := record.Discover([][]byte{recs[0].Data, recs[1].Data})
	if err != nil {
		t.Fatal(err)
	}
	return func() *compile.Application {
		t.Helper()
		a, err := compile.Compile(compile.Options{SQL: sql, Schema: schema, Application: "snapshot"})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
}

func feed(t *testing.T, f *compile.Feeder, r replay.Record) {
	t.Helper()
	if err := f.Feed(r.Data, r.Arrival.UnixMilli(), compile.Meta{Stored: r.Arrival.UnixMilli()}); err != nil {
		t.Fatal(err)
	}
}

// runSplit runs the records, snapshotting and restoring into a new App
// after record k (never when k < 0; after the last, before the input
// ends, when k is the number of records), and returns every printed row.
func runSplit(t *testing.T, sql string, recs []replay.Record, streams []string, k int) string {
	t.Helper()
	newCompiled := compileFor(t, sql, recs)
	var out strings.Builder
	var feeder *compile.Feeder
	newApp := func() *engine.App {
		c := newCompiled()
		app := c.Engine
		feeder = c.Feeders[0]
		for _, s := range streams {
			name := s
			if err := app.Subscribe(name, func(r engine.Row) {
				fmt.Fprintf(&out, "%s %d %v\n", name, r.Time, r.Values)
			}); err != nil {
				t.Fatal(err)
			}
		}
		return app
	}
	app := newApp()
	for i, rec := range recs {
		if i == k {
			snap, err := app.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			app = newApp()
			if err := app.Restore(snap); err != nil {
				t.Fatal(err)
			}
		}
		feed(t, feeder, rec)
	}
	if k == len(recs) {
		snap, err := app.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		app = newApp()
		if err := app.Restore(snap); err != nil {
			t.Fatal(err)
		}
	}
	app.Advance(engine.Forever)
	return out.String()
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n got %s\nwant %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(al), len(bl))
}
