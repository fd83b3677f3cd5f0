package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An old form (CREATE PUMP ... STARTED | STOPPED) passes the check with a
// positioned note, and the note comes among the errors when there are any.
func TestCheckNotesPumpsWrittenStartedOrStopped(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.sql")
	replay := filepath.Join(dir, "traffic.jsonl")
	os.WriteFile(replay, []byte(`{"arrival":"2026-11-01T00:00:01Z","data":{"action":"Click"}}`+"\n"), 0o644)
	os.WriteFile(app, []byte("CREATE STREAM out (a VARCHAR(8));\n"+
		"CREATE OR REPLACE PUMP p STOPPED AS INSERT INTO out SELECT STREAM \"action\" FROM SOURCE_SQL_STREAM_001;\n"), 0o644)
	note := app + ":2:26: note: STOPPED is ignored: Riffle runs every pump, \"P\" among them, while the application runs\n"
	for _, args := range [][]string{{"check", app, "--replay", replay}, {"check", app}} {
		out, errOut, err := runRiffle(t, args...)
		if err != nil || errOut != note || !(strings.Contains(out, "syntax OK") || strings.Contains(out, "no errors")) {
			t.Fatalf("%v: %v, stdout %q, stderr %q, want the note %q", args, err, out, errOut, note)
		}
	}
	os.WriteFile(app, []byte("CREATE STREAM out (a VARCHAR(8));\n"+
		"CREATE PUMP p STARTED AS INSERT INTO out SELECT STREAM \"nothing\" FROM SOURCE_SQL_STREAM_001;\n"), 0o644)
	_, errOut, err := runRiffle(t, "check", app, "--replay", replay)
	want := app + ":2:15: note: STARTED is ignored: Riffle runs every pump, \"P\" among them, while the application runs\n" +
		app + ":2:56: unknown column \"nothing\" in \"SOURCE_SQL_STREAM_001\"\n"
	if !errors.Is(err, errReported) || errOut != want {
		t.Fatalf("check: %v, stderr %q, want %q", err, errOut, want)
	}
}
