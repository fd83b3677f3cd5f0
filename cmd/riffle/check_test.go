package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckReportsEveryErrorWithFileLineAndColumn(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "app.sql")
	src := "CREATE STREAM s (a INT);\n" +
		"CREATE PUMP p AS INSERT INTO s\n  SELECT STREAM a FROM WHERE;\n" +
		"CREATE STREAM t (b WIDGET);\n"
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, err := runRiffle(t, "check", bad)
	if !errors.Is(err, errReported) {
		t.Fatalf("check of bad SQL: %v, want a failure", err)
	}
	want := bad + ":3:24: expected a stream or table name, found the reserved word WHERE (quote it as \"WHERE\" to use it as a name)\n" +
		bad + ":4:20: unknown type WIDGET\n"
	if errOut != want {
		t.Fatalf("stderr\n%s\nwant\n%s", errOut, want)
	}

	good := filepath.Join(dir, "good.sql")
	if err := os.WriteFile(good, []byte("CREATE STREAM s (a INT);\n-- done\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := runRiffle(t, "check", good)
	if err != nil || !strings.Contains(out, "1 statements, syntax OK") {
		t.Fatalf("check of good SQL: %v, %q", err, out)
	}
}

func TestCheckWithAReplayChecksNamesAndTypes(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.sql")
	replay := filepath.Join(dir, "traffic.jsonl")
	os.WriteFile(replay, []byte(`{"arrival":"2026-11-01T00:00:01Z","data":{"action":"Click"}}`+"\n"), 0o644)
	os.WriteFile(app, []byte("CREATE STREAM out (n BIGINT);\nCREATE PUMP p AS INSERT INTO out\n  SELECT STREAM \"action\" FROM SOURCE_SQL_STREAM_001;\n"), 0o644)
	_, errOut, err := runRiffle(t, "check", app, "--replay", replay)
	want := app + ":2:18: column 1 of the query is VARCHAR(8); it cannot go into N BIGINT\n"
	if !errors.Is(err, errReported) || errOut != want {
		t.Fatalf("check: %v, stderr %q, want %q", err, errOut, want)
	}
	os.WriteFile(app, []byte("CREATE STREAM out (a VARCHAR(8));\nCREATE PUMP p AS INSERT INTO out SELECT STREAM \"action\" FROM SOURCE_SQL_STREAM_001;\n"), 0o644)
	out, _, err := runRiffle(t, "check", app, "--replay", replay)
	if err != nil || !strings.Contains(out, "2 streams, 1 pumps, no errors") {
		t.Fatalf("check of sound SQL: %v, %q", err, out)
	}
}

// A user's application with two input streams (NamePrefix ORDERS,
// InputParallelism 2) and a reference table checks and runs as it is: the
// flags give the input's prefix and parallelism and the table's rows.
func TestCheckAndRunTakeTheApplicationsInputAndReferenceTables(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.sql")
	replay := filepath.Join(dir, "orders.jsonl")
	companies := filepath.Join(dir, "companies.json")
	os.WriteFile(replay, []byte(`{"arrival":"2026-11-01T00:00:01Z","data":{"ticker":"AMZN","qty":3},"shard":0}
{"arrival":"2026-11-01T00:00:02Z","data":{"ticker":"ORCL","qty":5},"shard":1}
{"arrival":"2026-11-01T00:00:03Z","data":{"ticker":"AMZN","qty":7},"shard":3}
`), 0o644)
	os.WriteFile(companies, []byte(`{"Ticker":"AMZN","Company":"Amazon"}
{"Ticker":"ORCL","Company":"Oracle"}
`), 0o644)
	os.WriteFile(app, []byte(`CREATE STREAM out (src VARCHAR(8), company VARCHAR(16), qty INTEGER);
CREATE PUMP p1 AS INSERT INTO out
  SELECT STREAM 'first', c."Company", o."qty" FROM ORDERS_001 AS o JOIN COMPANIES AS c ON o."ticker" = c."Ticker";
CREATE PUMP p2 AS INSERT INTO out
  SELECT STREAM 'second', c."Company", o."qty" FROM ORDERS_002 AS o JOIN COMPANIES AS c ON o."ticker" = c."Ticker";
`), 0o644)

	// Without the input's configuration the SQL names streams that do not exist.
	if _, errOut, err := runRiffle(t, "check", app, "--replay", replay); !errors.Is(err, errReported) || !strings.Contains(errOut, `unknown stream "ORDERS_001"`) {
		t.Fatalf("check without --input: %v, %q", err, errOut)
	}
	args := []string{app, "--replay", replay, "--input", "ORDERS", "--input-parallelism", "2", "--reference", "COMPANIES=" + companies}
	out, errOut, err := runRiffle(t, append([]string{"check"}, args...)...)
	if err != nil || !strings.Contains(out, "no errors") {
		t.Fatalf("check: %v, %q %q", err, out, errOut)
	}
	out, errOut, err = runRiffle(t, append([]string{"run"}, append(args, "--stream", "OUT")...)...)
	if err != nil {
		t.Fatalf("run: %v, %q", err, errOut)
	}
	// Shards 0 and 1 feed ORDERS_001 and ORDERS_002; shard 3 is 3 mod 2 = 1.
	want := `{"ROWTIME":"2026-11-01T00:00:01.000Z","SRC":"first","COMPANY":"Amazon","QTY":3}
{"ROWTIME":"2026-11-01T00:00:02.000Z","SRC":"second","COMPANY":"Oracle","QTY":5}
{"ROWTIME":"2026-11-01T00:00:03.000Z","SRC":"second","COMPANY":"Amazon","QTY":7}
`
	if out != want {
		t.Fatalf("run printed\n%s\nwant\n%s", out, want)
	}

	for flags, msg := range map[string]string{
		"--input ORDERS_001":     "--input takes the name prefix, as the service's input configuration does: --input ORDERS gives ORDERS_001",
		"--input-parallelism 65": "--input-parallelism 65: the service allows 1 to 64 input streams",
		"--input bad-name":       `--input "bad-name": a name prefix is 1 to 32 letters, digits and underscores`,
		"--reference COMPANIES":  `--reference "COMPANIES": want NAME=FILE`,
	} {
		_, _, err := runRiffle(t, append([]string{"check", app, "--replay", replay}, strings.Fields(flags)...)...)
		if err == nil || err.Error() != msg {
			t.Errorf("check %s: %v, want %q", flags, err, msg)
		}
	}
}
