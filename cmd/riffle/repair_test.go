package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// TestRepairSaysWhatItWouldResetAndResetsItWithApply: on a data directory
// with a definition that does not parse and one stored RUNNING without an
// input, riffle repair lists both with what resetting costs and exits 1;
// with --apply it resets them; then there is nothing to repair.
func TestRepairSaysWhatItWouldResetAndResetsItWithApply(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	l := streamlogtest.OpenConfig(t, streamlog.Config{Dir: dir})
	defs, err := l.Bucket(ctx, "riffle_applications")
	if err != nil {
		t.Fatal(err)
	}
	if err := defs.Put(ctx, "broken", []byte(`{"Name": "broken", "Sta`)); err != nil {
		t.Fatal(err)
	}
	if err := defs.Put(ctx, "inputless", []byte(`{"Name":"inputless","Status":"RUNNING","Version":1}`)); err != nil {
		t.Fatal(err)
	}
	l.Close()

	out, _, err := runRiffle(t, "repair", "--data", dir)
	if !errors.Is(err, errReported) {
		t.Fatalf("repair without --apply on damage: %v, want exit status 1", err)
	}
	for _, want := range []string{"the definition of application broken cannot be read", "delete application broken",
		"application inputless is stored RUNNING without an input or code", "set application inputless READY", "2 to reset: run again with --apply"} {
		if !strings.Contains(out, want) {
			t.Fatalf("repair printed:\n%s\nwant %q", out, want)
		}
	}
	if out, _, err = runRiffle(t, "repair", "--data", dir, "--apply"); err != nil || strings.Count(out, "done") != 2 {
		t.Fatalf("repair --apply: %v\n%s", err, out)
	}
	if out, _, err = runRiffle(t, "repair", "--data", dir); err != nil || !strings.Contains(out, "nothing to repair") {
		t.Fatalf("repair after --apply: %v\n%s", err, out)
	}
}
