package engine_test

import (
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/sql/engine"
)

var clickSchema = record.Schema{
	RecordFormat: record.RecordFormat{RecordFormatType: record.JSON},
	RecordColumns: []record.RecordColumn{
		{Name: "browseraction", SqlType: "VARCHAR(16)", Mapping: "$.browseraction"},
		{Name: "site", SqlType: "VARCHAR(64)", Mapping: "$.site"},
	},
}

func feed(t *testing.T, app *compile.Application, data string, at int64) {
	t.Helper()
	if err := app.Feeders[0].Feed([]byte(data), at, compile.Meta{Stored: at}); err != nil {
		t.Fatal(err)
	}
}

// TestWaitingSaysWhetherTheClockCanStillPutOutRows runs the lab SQL
// (10-second counts joined on ROWTIME, scored by RANDOM_CUT_FOREST): it
// waits from its first record until the clock closes that record's window
// and the join has taken both sides, then no longer.
func TestWaitingSaysWhetherTheClockCanStillPutOutRows(t *testing.T) {
	sql, err := os.ReadFile("../../runner/testdata/bench/clickstream.sql")
	if err != nil {
		t.Fatal(err)
	}
	app, err := compile.Compile(compile.Options{SQL: string(sql), Schema: clickSchema, Application: "lab"})
	if err != nil {
		t.Fatal(err)
	}
	var ctr []int64
	if err := app.Engine.Subscribe("CTRSTREAM", func(r engine.Row) { ctr = append(ctr, r.Time) }); err != nil {
		t.Fatal(err)
	}
	if app.Engine.Waiting() {
		t.Fatal("waiting before any record")
	}
	app.Engine.Advance(50)
	feed(t, app, `{"browseraction":"Click","site":"x"}`, 100)
	feed(t, app, `{"browseraction":"Impression","site":"x"}`, 200)
	for _, at := range []int64{300, 5000, 9999} {
		app.Engine.Advance(at)
		if !app.Engine.Waiting() {
			t.Fatalf("clock at %d ms: not waiting with the first window open", at)
		}
	}
	app.Engine.Advance(10000)
	if !slices.Equal(ctr, []int64{10000}) {
		t.Fatalf("CTR rows at %v, want one at 10000", ctr)
	}
	if app.Engine.Waiting() {
		t.Fatal("still waiting with every window closed and joined")
	}
}

// TestAnApplicationRestoredBeforeAnyRowScoresAsAFreshOne: the forest of
// RANDOM_CUT_FOREST is made at the first row; an application restored
// from a snapshot taken before any row gives the very scores of one that
// never stopped.
func TestAnApplicationRestoredBeforeAnyRowScoresAsAFreshOne(t *testing.T) {
	const sql = `CREATE STREAM "OUT" (n DOUBLE, score DOUBLE);
CREATE PUMP p AS INSERT INTO "OUT"
SELECT STREAM * FROM TABLE(RANDOM_CUT_FOREST(CURSOR(SELECT STREAM "n" FROM "SOURCE_SQL_STREAM_001")));`
	schema, err := record.Discover([][]byte{[]byte(`{"n": 1.5}`)})
	if err != nil {
		t.Fatal(err)
	}
	run := func(restore bool) []string {
		app, err := compile.Compile(compile.Options{SQL: sql, Schema: schema, Application: "rcf"})
		if err != nil {
			t.Fatal(err)
		}
		if restore {
			before, err := compile.Compile(compile.Options{SQL: sql, Schema: schema, Application: "rcf"})
			if err != nil {
				t.Fatal(err)
			}
			snap, err := before.Engine.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			if err := app.Engine.Restore(snap); err != nil {
				t.Fatal(err)
			}
		}
		var out []string
		if err := app.Engine.Subscribe("OUT", func(r engine.Row) { out = append(out, fmt.Sprint(r.Values)) }); err != nil {
			t.Fatal(err)
		}
		for i := range 600 {
			v := float64(i%17) + float64(i%5)/10
			if i == 500 {
				v = 1000
			}
			feed(t, app, fmt.Sprintf(`{"n": %g}`, v), int64(i)*10)
		}
		app.Engine.Advance(engine.Forever)
		return out
	}
	fresh, restored := run(false), run(true)
	if len(fresh) != 600 || !slices.Equal(fresh, restored) {
		t.Fatalf("%d rows fresh, %d restored; equal: %v", len(fresh), len(restored), slices.Equal(fresh, restored))
	}
}
