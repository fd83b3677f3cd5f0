package compile

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/sql/engine"
	"github.com/riffle-sql/riffle/sql/plan"
)

// chain is `"n" + 1 + 1 + … + 1` with terms terms.
func chain(terms int) string { return `"n"` + strings.Repeat(" + 1", terms-1) }

// inList is `"n" IN (0, 1, …, items-1)`, or NOT IN.
func inList(items int, not bool) string {
	var b strings.Builder
	b.WriteString(`"n" `)
	if not {
		b.WriteString("NOT ")
	}
	b.WriteString("IN (")
	for i := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(i))
	}
	b.WriteString(")")
	return b.String()
}

// selectSQL is an application writing expr, of type typ, to "OUT".
func selectSQL(expr, typ string) string {
	return `CREATE OR REPLACE STREAM "OUT" (v ` + typ + `);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "OUT" SELECT STREAM ` + expr + ` FROM "SOURCE_SQL_STREAM_001";`
}

// outputs compiles sql and feeds it one record per record, returning what
// "OUT" got.
func outputs(t *testing.T, sql string, records ...string) []string {
	t.Helper()
	app, err := Compile(Options{SQL: sql, Schema: schema(t), Application: "t"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := app.Engine.Subscribe("OUT", func(r engine.Row) { got = append(got, r.Values[0].String()) }); err != nil {
		t.Fatal(err)
	}
	for i, rec := range records {
		if err := app.Feeders[0].Feed([]byte(rec), int64(1000*(i+1)), Meta{Stored: int64(1000 * (i + 1))}); err != nil {
			t.Fatal(err)
		}
	}
	app.Engine.Advance(engine.Forever)
	return got
}

// planBytes is the memory allocated planning sql.
func planBytes(t *testing.T, sql string) uint64 {
	t.Helper()
	return allocated(t, func() error { _, err := Plan(Options{SQL: sql, Schema: schema(t), Application: "t"}); return err })
}

// compileBytes is the memory allocated planning sql and building its
// engine.
func compileBytes(t *testing.T, sql string) uint64 {
	t.Helper()
	return allocated(t, func() error { _, err := Compile(Options{SQL: sql, Schema: schema(t), Application: "t"}); return err })
}

// allocated is the memory do allocates.
func allocated(t *testing.T, do func() error) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := do(); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// joins is an application joining the input to itself n times, each
// join (of kind, such as JOIN or LEFT JOIN) on the last: a chain of
// joins, left-deep.
func joins(kind string, n int) string {
	var b strings.Builder
	b.WriteString(`CREATE STREAM "OUT" (v INTEGER);
CREATE PUMP "P" AS INSERT INTO "OUT" SELECT STREAM a0."n" FROM "SOURCE_SQL_STREAM_001" AS a0`)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "\n%s \"SOURCE_SQL_STREAM_001\" OVER (RANGE INTERVAL '1' SECOND PRECEDING) AS a%d ON a%d.\"n\" = a%d.\"n\"", kind, i, i, i-1)
	}
	return b.String() + ";"
}

// codeLimit is the service's limit on an application's code, in
// characters, which the API enforces (api.MaxCodeLength).
const codeLimit = 102_400

// TestAChainOfJoinsCompilesInBoundedWork: each join of a chain asked its
// sides' columns anew at every level, so compiling took work growing with
// about the fourth power of the joins (320 took 26 s; the 1,000 the code
// limit allows, half an hour of a core). Now twice the joins take 2 to 3
// times the memory (each join keeps its rows' layout, which widens with
// every level before it: a small square term), and the longest chain the
// code limit allows, of any kind of join, compiles within 64 MiB (about
// 18 MiB measured).
func TestAChainOfJoinsCompilesInBoundedWork(t *testing.T) {
	for _, kind := range []string{"JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN"} {
		one, two := compileBytes(t, joins(kind, 100)), compileBytes(t, joins(kind, 200))
		if ratio := float64(two) / float64(one); ratio > 3 {
			t.Fatalf("%s: 100 joins allocate %d bytes, 200 joins %d: %.1f times, want 2 to 3", kind, one, two, ratio)
		}
		longest := 0
		for len(joins(kind, longest+10)) <= codeLimit {
			longest += 10
		}
		if n := compileBytes(t, joins(kind, longest)); n > 64<<20 {
			t.Errorf("%s: %d joins (%d characters) allocate %d MiB", kind, longest, len(joins(kind, longest)), n>>20)
		}
	}
}

// TestALongChainCompilesAndRuns: a 100,000-term chain (more than the
// service's code limit allows, so the planner's own bound) parses, plans
// and evaluates without overflowing the stack, which ended the server.
func TestALongChainCompilesAndRuns(t *testing.T) {
	got := outputs(t, selectSQL(chain(100_000), "BIGINT"), `{"n": 1}`)
	if len(got) != 1 || got[0] != "100000" {
		t.Fatalf("OUT got %v, want 100000", got)
	}
}

// sumOfAggregates is a GROUP BY whose one column is the sum of n
// aggregates, SUM("n" + 0) + SUM("n" + 1) + ….
func sumOfAggregates(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(" + ")
		}
		fmt.Fprintf(&b, `SUM("n" + %d)`, i)
	}
	return `CREATE OR REPLACE STREAM "OUT" (v BIGINT);
CREATE OR REPLACE PUMP "P" AS INSERT INTO "OUT" SELECT STREAM ` + b.String() + ` FROM "SOURCE_SQL_STREAM_001"
GROUP BY STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '10' SECOND);`
}

// TestCompileWorkIsLinearInTheTerms: planning twice the terms of a chain,
// twice the items of an IN list or twice the aggregates of a sum allocates
// about twice the memory (it was quadratic: a 4,000-term chain took 37 s,
// an IN list of 5,000 items 735 MB, a sum of 8,000 aggregates 23 s), and
// an IN list of 200,000 items plans within the bytes per item of one of
// 5,000.
func TestCompileWorkIsLinearInTheTerms(t *testing.T) {
	for _, c := range []struct {
		name string
		sql  func(n int) string
		n    int
	}{
		{"chain", func(n int) string { return selectSQL(chain(n), "BIGINT") }, 2_000},
		{"IN list", func(n int) string { return selectSQL(inList(n, false), "BOOLEAN") }, 2_500},
		// Each node of the sum was printed whole to be compared with the
		// GROUP BY keys: 8,000 aggregates took 23 s.
		{"sum of aggregates", sumOfAggregates, 1_000},
	} {
		one, two := planBytes(t, c.sql(c.n)), planBytes(t, c.sql(2*c.n))
		if ratio := float64(two) / float64(one); ratio > 2.5 {
			t.Errorf("%s: %d terms allocate %d bytes, %d terms %d: %.1f times, want about 2", c.name, c.n, one, 2*c.n, two, ratio)
		}
	}
	small, big := planBytes(t, selectSQL(inList(5_000, false), "BOOLEAN")), planBytes(t, selectSQL(inList(200_000, false), "BOOLEAN"))
	if perSmall, perBig := float64(small)/5_000, float64(big)/200_000; perBig > 1.5*perSmall {
		t.Errorf("an IN list of 200,000 items allocates %.0f bytes per item, one of 5,000 %.0f", perBig, perSmall)
	}
}

// TestAnINListIsASetWithTheLogicOfItsORs: x IN (…) is TRUE on a match,
// else NULL when x or an item is NULL, else FALSE; NOT IN the negation
// (NULL stays NULL); numbers of different types match by value.
func TestAnINListIsASetWithTheLogicOfItsORs(t *testing.T) {
	records := []string{`{"n": 4999}`, `{"n": 5000}`, `{"n": null}`}
	for _, c := range []struct {
		expr string
		want string
	}{
		{inList(200_000, false), "TRUE,TRUE,NULL"},
		{inList(5_000, false), "TRUE,FALSE,NULL"},
		{inList(5_000, true), "FALSE,TRUE,NULL"},
		{`"n" IN (5000.0, 7, NULL)`, "NULL,TRUE,NULL"},
		{`"n" NOT IN (5000.0, 7, NULL)`, "NULL,FALSE,NULL"},
		{`"n" IN (4999e0, "n" - 0)`, "TRUE,TRUE,NULL"},
		{`"n" IN (1, 2)`, "FALSE,FALSE,NULL"},
	} {
		got := strings.Join(outputs(t, selectSQL(c.expr, "BOOLEAN"), records...), ",")
		if got != c.want {
			name := c.expr
			if len(name) > 40 {
				name = name[:40] + "…"
			}
			t.Errorf("%s: got %s, want %s", name, got, c.want)
		}
	}
}

// doublingViews is n views, each reading the one before twice (UNION
// ALL), and a pump reading the last: view n plans view 0 2^n times.
func doublingViews(n int) string {
	var b strings.Builder
	b.WriteString(`CREATE VIEW V0 AS SELECT STREAM "n" FROM "SOURCE_SQL_STREAM_001";` + "\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `CREATE VIEW V%d AS SELECT STREAM "n" FROM V%d UNION ALL SELECT STREAM "n" FROM V%d;`+"\n", i, i-1, i-1)
	}
	fmt.Fprintf(&b, `CREATE STREAM "OUT" ("n" INTEGER); CREATE PUMP "P" AS INSERT INTO "OUT" SELECT STREAM "n" FROM V%d;`, n)
	return b.String()
}

// TestViewsThatMultiplyAreRefused: each use of a view plans its query
// again, so views that each use the one before twice multiply: 20 of them
// (under 2 KB of SQL) planned the first a million times, 30 would have
// taken hours and all the memory. Planning views is bounded (MaxViewTokens,
// each view's tokens counted at each use): beyond, the statement that
// passed it is refused with its position and the way out, in bounded
// work; a view used a hundred times compiles.
func TestViewsThatMultiplyAreRefused(t *testing.T) {
	for _, n := range []int{20, 30} {
		var err error
		bytes := allocated(t, func() error {
			_, err = Compile(Options{SQL: doublingViews(n), Schema: schema(t), Application: "t"})
			return nil
		})
		var list plan.ErrorList
		if !errors.As(err, &list) || len(list) != 1 || !strings.Contains(list[0].Msg, "tokens of views' SQL") || !strings.Contains(list[0].Msg, "pump of its own") {
			t.Fatalf("%d doubling views: %v, want one positioned error saying the views multiply", n, err)
		}
		if bytes > 256<<20 {
			t.Errorf("%d doubling views: %d MiB allocated before the refusal", n, bytes>>20)
		}
	}
	var b strings.Builder
	b.WriteString(`CREATE VIEW V AS SELECT STREAM "n" FROM "SOURCE_SQL_STREAM_001" WHERE "n" > 0;` + "\n")
	b.WriteString(`CREATE STREAM "OUT" ("n" INTEGER); CREATE PUMP "P" AS INSERT INTO "OUT" SELECT STREAM "n" FROM V`)
	for range 99 {
		b.WriteString(` UNION ALL SELECT STREAM "n" FROM V`)
	}
	if _, err := Compile(Options{SQL: b.String() + ";", Schema: schema(t), Application: "t"}); err != nil {
		t.Fatalf("a view used 100 times: %v", err)
	}
}
