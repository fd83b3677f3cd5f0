package compile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/sql/ast"
	"github.com/riffle-sql/riffle/sql/engine"
)

// fuzzRecord is the record of seeds that come without one: a column of
// each common type.
const fuzzRecord = `{"n": 1, "x": 2.5, "s": "ab", "b": true, "t": "2026-11-01 10:00:00", "ticker": "AMZN", "price": 10}`

// FuzzPlan: no SQL makes planning, building the engine or running a record
// through it panic, and every SQL error carries its line:column. The
// inputs are the SQL and a JSON record, whose discovered schema the SQL
// reads. The seeds are the golden cases of runner/testdata (their SQL and
// first record), the parser's test expressions and statements, and the
// crashers found so far. `go test` runs the seeds; to search for more:
//
//	go test -run '^$' -fuzz FuzzPlan -fuzztime 5m -timeout 0 ./compile
func FuzzPlan(f *testing.F) {
	for _, seed := range goldenSeeds(f) {
		f.Add(seed[0], seed[1])
	}
	for _, sql := range parserSeeds(f) {
		f.Add(sql, fuzzRecord)
	}
	for _, sql := range crashers {
		f.Add(sql, fuzzRecord)
	}
	for _, sql := range nestingSeeds() {
		f.Add(sql, fuzzRecord)
	}
	fallback, err := record.Discover([][]byte{[]byte(fuzzRecord)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sql, rec string) {
		schema, err := record.Discover([][]byte{[]byte(rec)})
		if err != nil {
			schema = fallback
		}
		app, err := Compile(Options{SQL: sql, Schema: schema, Application: "fuzz"})
		var list ast.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				if e.Pos.Line == 0 {
					t.Fatalf("an error without its position: %q\n%s", e.Msg, sql)
				}
			}
		}
		if err != nil {
			return
		}
		for _, at := range []int64{1_000, 61_000, 61_000} {
			if err := app.Feeders[0].Feed([]byte(rec), at, Meta{Stored: at}); err != nil {
				return
			}
		}
		app.Engine.Advance(engine.Forever)
	})
}

// crashers are inputs that made planning panic (issue 14, item 8, and the
// fuzzer's finds); they stay as seeds.
var crashers = []string{
	`CREATE STREAM o (a BIGINT, b BOOLEAN); CREATE PUMP p AS INSERT INTO o
SELECT STREAM COUNT(*) OVER w, (SUM("n") OVER w) IN (1,2) FROM SOURCE_SQL_STREAM_001 WINDOW w AS (ROWS 2 PRECEDING);`,
	`CREATE STREAM o (a VARCHAR(4)); CREATE PUMP p AS INSERT INTO o
SELECT STREAM TRIM(CAST(SUM("n") OVER w AS VARCHAR(4))) FROM SOURCE_SQL_STREAM_001 WINDOW w AS (ROWS 2 PRECEDING);`,
}

// nestingSeeds put expressions of every node kind (and windowed calls and
// aggregates inside them) in every place a query takes an expression.
func nestingSeeds() []string {
	exprs := []string{
		`"n"`, `SUM("n")`, `COUNT(*) OVER w`, `(SUM("n") OVER w) IN (1, 2)`,
		`TRIM(CAST(SUM("n") OVER w AS VARCHAR(4)))`, `TRIM(LEADING 'a' FROM MAX("s"))`,
		`"s" LIKE 'a%' ESCAPE '!'`, `MIN("s") SIMILAR TO '(a|b)+'`, `(COUNT(*) > 1) IS NOT TRUE`,
		`"n" IS DISTINCT FROM SUM("n") OVER w`, `SUBSTRING("s" FROM 2 FOR 1)`, `SUBSTRING("s" SIMILAR 'a' ESCAPE '#')`,
		`EXTRACT(SECOND FROM MAX(ROWTIME) OVER w)`, `POSITION('b' IN "s" FROM 2)`,
		`CASE SUM("n") WHEN 1 THEN 'a' ELSE 'b' END`, `CASE WHEN "n" > 1 THEN "s" END`,
		`"n" NOT BETWEEN SYMMETRIC 3 AND 1`, `EXISTS (SELECT STREAM * FROM SOURCE_SQL_STREAM_001)`,
		`"n" IN (SELECT STREAM "n" FROM SOURCE_SQL_STREAM_001)`, `(SELECT STREAM "n" FROM SOURCE_SQL_STREAM_001)`,
		`CURSOR(SELECT STREAM * FROM SOURCE_SQL_STREAM_001)`, `STEP(ROWTIME BY INTERVAL '1' SECOND)`,
		`CEIL(ROWTIME TO HOUR)`, `FLOOR((ROWTIME - TIMESTAMP '1970-01-01 00:00:00') SECOND / 10 TO SECOND)`,
		`LAG("n", 1, 0) IGNORE NULLS OVER w`, `FIRST_VALUE("s") OVER (PARTITION BY "s" RANGE INTERVAL '1' SECOND PRECEDING)`,
		`INTERVAL -'1:30' MINUTE TO SECOND`, `X'3F'`, `DATE '2026-01-01'`, `TIME '10:00:00'`, `NULL`, `UNKNOWN`,
		`-"n"`, `NOT "b"`, `"n" / 0`, `"s" || 'x'`, `MONOTONIC(ROWTIME)`, `CURRENT_ROW_TIMESTAMP`,
		`COUNT(DISTINCT "s")`, `"n" IS NULL`, `'a' NOT IN ('b', NULL)`,
	}
	// Each query's first column is "v", which the pump casts to its
	// stream's VARCHAR, whatever its type.
	queries := []string{
		`SELECT STREAM %s AS "v" FROM SOURCE_SQL_STREAM_001 WINDOW w AS (ROWS 2 PRECEDING)`,
		`SELECT STREAM "n" AS "v" FROM SOURCE_SQL_STREAM_001 WHERE %s`,
		`SELECT STREAM COUNT(*) AS "v" FROM SOURCE_SQL_STREAM_001 GROUP BY FLOOR(ROWTIME TO MINUTE), %s`,
		`SELECT STREAM %s AS "v" FROM SOURCE_SQL_STREAM_001 GROUP BY FLOOR(ROWTIME TO MINUTE)`,
		`SELECT STREAM COUNT(*) AS "v" FROM SOURCE_SQL_STREAM_001 GROUP BY FLOOR(ROWTIME TO MINUTE) HAVING %s`,
		`SELECT STREAM "n" AS "v" FROM SOURCE_SQL_STREAM_001 ORDER BY FLOOR(ROWTIME TO MINUTE), %s`,
		`SELECT STREAM SUM("n") OVER (PARTITION BY %s ROWS 2 PRECEDING) AS "v" FROM SOURCE_SQL_STREAM_001`,
		`SELECT STREAM a."n" AS "v" FROM SOURCE_SQL_STREAM_001 AS a JOIN SOURCE_SQL_STREAM_001 OVER (RANGE INTERVAL '1' MINUTE PRECEDING) AS b ON %s`,
		`SELECT STREAM "n" AS "v", ANOMALY_SCORE FROM TABLE(RANDOM_CUT_FOREST(CURSOR(SELECT STREAM "n", %s FROM SOURCE_SQL_STREAM_001)))`,
		`SELECT STREAM COUNT(*) AS "v" FROM SOURCE_SQL_STREAM_001 WINDOWED BY STAGGER (PARTITION BY %s RANGE INTERVAL '1' MINUTE)`,
		`SELECT STREAM DISTINCT %s AS "v", FLOOR(ROWTIME TO MINUTE) FROM SOURCE_SQL_STREAM_001`,
		`SELECT STREAM "v" FROM (SELECT STREAM %s AS "v" FROM SOURCE_SQL_STREAM_001) AS q`,
		`SELECT STREAM %s AS "v" FROM SOURCE_SQL_STREAM_001 UNION ALL SELECT STREAM "n" FROM SOURCE_SQL_STREAM_001`,
	}
	var seeds []string
	for _, q := range queries {
		for _, e := range exprs {
			seeds = append(seeds, "CREATE STREAM o (v VARCHAR(64));\nCREATE PUMP p AS INSERT INTO o\nSELECT STREAM CAST(q.\"v\" AS VARCHAR(64)) FROM ("+fmt.Sprintf(q, e)+") AS q;")
		}
	}
	return seeds
}

// goldenSeeds reads the runner's golden cases: each case's SQL and first
// record (fuzzRecord when the records are not JSON).
func goldenSeeds(tb testing.TB) [][2]string {
	files, err := filepath.Glob("../runner/testdata/*.txt")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no golden files: %v", err)
	}
	var seeds [][2]string
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		var sql []string
		in, rec := "", ""
		for _, line := range strings.Split(string(data), "\n") {
			switch {
			case strings.HasPrefix(line, "run"):
				in, sql, rec = "sql", nil, ""
			case strings.HasPrefix(line, "==== records"):
				in = "records"
			case strings.HasPrefix(line, "===="), strings.HasPrefix(line, "----"):
				if in != "" {
					if rec == "" {
						rec = fuzzRecord
					}
					seeds = append(seeds, [2]string{strings.Join(sql, "\n"), rec})
				}
				in = ""
			case in == "sql":
				sql = append(sql, line)
			case in == "records" && rec == "":
				if _, data, ok := strings.Cut(line, " "); ok && strings.HasPrefix(data, "{") {
					rec = data
				}
			}
		}
	}
	return seeds
}

// parserSeeds are the parser's test inputs: statements as they are, and
// expressions selected from the input stream.
func parserSeeds(tb testing.TB) []string {
	files, err := filepath.Glob("../sql/parser/testdata/*.txt")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no parser test files: %v", err)
	}
	var seeds []string
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		for _, chunk := range strings.Split(string(data), "\n\n") {
			input, _, _ := strings.Cut(chunk, "\n----\n")
			var cmd string
			var body []string
			for _, line := range strings.Split(input, "\n") {
				switch {
				case strings.HasPrefix(line, "#"):
				case cmd == "":
					cmd = line
				default:
					body = append(body, line)
				}
			}
			src := strings.Join(body, "\n")
			if strings.HasPrefix(cmd, "expr") {
				src = "CREATE STREAM o (v VARCHAR(64));\nCREATE PUMP p AS INSERT INTO o\nSELECT STREAM " + src + " FROM SOURCE_SQL_STREAM_001;"
			}
			seeds = append(seeds, src)
		}
	}
	return seeds
}
