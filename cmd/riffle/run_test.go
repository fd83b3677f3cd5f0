package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunPrintsStreamsAndReportsSQLErrorsWithTheFile(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.sql")
	replay := filepath.Join(dir, "traffic.jsonl")
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(app, `CREATE STREAM "DESTINATION_SQL_STREAM" (n BIGINT);
CREATE PUMP p AS INSERT INTO "DESTINATION_SQL_STREAM"
SELECT STREAM COUNT(*) FROM SOURCE_SQL_STREAM_001 GROUP BY FLOOR(ROWTIME TO MINUTE);
`)
	write(replay, `{"arrival":"2026-11-01T00:00:01Z","data":{"k":"a"}}
{"arrival":"2026-11-01T00:00:02Z","data":{"k":"b"}}
{"arrival":"2026-11-01T00:01:02Z","data":{"k":"c"}}
`)
	out, _, err := runRiffle(t, "run", app, "--replay", replay)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ROWTIME":"2026-11-01T00:01:00.000Z","N":2}
{"ROWTIME":"2026-11-01T00:02:00.000Z","N":1}
`
	if out != want {
		t.Fatalf("riffle run printed\n%s\nwant\n%s", out, want)
	}

	write(app, "CREATE STREAM s (a INT);\nCREATE PUMP p AS INSERT INTO s SELECT STREAM \"nope\" FROM SOURCE_SQL_STREAM_001;\n")
	_, errOut, err := runRiffle(t, "run", app, "--replay", replay)
	if !errors.Is(err, errReported) || !strings.HasPrefix(errOut, app+":2:46: unknown column \"nope\"") {
		t.Fatalf("bad SQL: %v, stderr %q", err, errOut)
	}
	if _, _, err := runRiffle(t, "run", app, "--replay", filepath.Join(dir, "missing.jsonl")); err == nil {
		t.Fatal("a missing replay file did not fail")
	}
}

func TestDiscoverPrintsASchemaThatRunAccepts(t *testing.T) {
	dir := t.TempDir()
	replay := filepath.Join(dir, "traffic.jsonl")
	if err := os.WriteFile(replay, []byte(`{"arrival":"2026-11-01T00:00:01Z","data":{"browseraction":"Click","n":3}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := runRiffle(t, "discover", replay)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"Name": "browseraction"`, `"SqlType": "VARCHAR(8)"`, `"Mapping": "$.n"`, `"SqlType": "INTEGER"`, `"RecordFormatType": "JSON"`} {
		if !strings.Contains(out, want) {
			t.Fatalf("discovered schema lacks %s:\n%s", want, out)
		}
	}
	schema := filepath.Join(dir, "schema.json")
	app := filepath.Join(dir, "app.sql")
	os.WriteFile(schema, []byte(out), 0o644)
	os.WriteFile(app, []byte(`CREATE STREAM "DESTINATION_SQL_STREAM" (n INTEGER);
CREATE PUMP p AS INSERT INTO "DESTINATION_SQL_STREAM" SELECT STREAM "n" * 2 FROM SOURCE_SQL_STREAM_001;`), 0o644)
	got, _, err := runRiffle(t, "run", app, "--replay", replay, "--schema", schema)
	if err != nil || got != `{"ROWTIME":"2026-11-01T00:00:01.000Z","N":6}`+"\n" {
		t.Fatalf("run with the discovered schema: %v, %q", err, got)
	}
}
