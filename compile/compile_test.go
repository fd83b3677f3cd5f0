package compile

import (
	"errors"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/sql/ast"
	"github.com/riffle-sql/riffle/sql/engine"
)

const twoInputs = `CREATE OR REPLACE STREAM "OUT" (n INTEGER);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "OUT"
SELECT STREAM "n" FROM "IN_001" UNION ALL SELECT STREAM "n" FROM "IN_002";`

func schema(t *testing.T) record.Schema {
	t.Helper()
	s, err := record.Discover([][]byte{[]byte(`{"n": 1}`)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEveryInputGetsAFeederAndTheSQLSeesThemAll(t *testing.T) {
	app, err := Compile(Options{SQL: twoInputs, Inputs: []string{"IN_001", "IN_002"}, Schema: schema(t), Application: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if len(app.Feeders) != 2 {
		t.Fatalf("%d feeders for two inputs", len(app.Feeders))
	}
	var got []string
	if err := app.Engine.Subscribe("OUT", func(r engine.Row) { got = append(got, r.Values[0].String()) }); err != nil {
		t.Fatal(err)
	}
	if err := app.Feeders[0].Feed([]byte(`{"n": 1}`), 1000, Meta{Stored: 1000}); err != nil {
		t.Fatal(err)
	}
	if err := app.Feeders[1].Feed([]byte(`{"n": 2}`), 2000, Meta{Stored: 2000}); err != nil {
		t.Fatal(err)
	}
	app.Engine.Advance(engine.Forever)
	if strings.Join(got, ",") != "1,2" {
		t.Fatalf("OUT got %v, want 1 from IN_001 and 2 from IN_002", got)
	}
	if _, ok := app.Columns(engine.ErrorStream); !ok {
		t.Fatal("error_stream has no columns")
	}
	if _, ok := app.Columns("NOPE"); ok {
		t.Fatal("a stream that is not there has columns")
	}
}

func TestPlanReportsUnknownInputsWithTheirPosition(t *testing.T) {
	_, err := Plan(Options{SQL: twoInputs, Schema: schema(t)}) // only SOURCE_SQL_STREAM_001
	var list ast.ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		t.Fatalf("want positioned SQL errors, got %v", err)
	}
	if !strings.Contains(err.Error(), "3:") || !strings.Contains(err.Error(), "IN_001") {
		t.Fatalf("the error should name IN_001 on line 3: %v", err)
	}
}

func TestARecordThatDoesNotFitGoesToErrorStream(t *testing.T) {
	app, err := Compile(Options{SQL: `CREATE OR REPLACE STREAM "OUT" (n INTEGER);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "OUT" SELECT STREAM "n" FROM SOURCE_SQL_STREAM_001;`, Schema: schema(t)})
	if err != nil {
		t.Fatal(err)
	}
	var errs []string
	if err := app.Engine.Subscribe(engine.ErrorStream, func(r engine.Row) { errs = append(errs, r.Values[2].String()) }); err != nil {
		t.Fatal(err)
	}
	if err := app.Feeders[0].Feed([]byte(`not json`), 1000, Meta{Stored: 1000}); err != nil {
		t.Fatal(err)
	}
	if len(errs) != 1 || errs[0] != "RECORD_MAPPING_ERROR" {
		t.Fatalf("error_stream got %v, want one RECORD_MAPPING_ERROR row", errs)
	}
}

// A CSV reference file's header names the columns and is not a row.
func TestLoadTableSkipsTheHeaderRow(t *testing.T) {
	tb, err := LoadTable("COMPANIES", strings.NewReader("Ticker,Company\nAMZN,Amazon\nORCL,Oracle\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Columns) != 2 || tb.Columns[1].Name != "Company" || len(tb.Rows) != 2 || tb.Rows[0][1].S != "Amazon" {
		t.Fatalf("table %+v", tb)
	}
}
