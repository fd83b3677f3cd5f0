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
