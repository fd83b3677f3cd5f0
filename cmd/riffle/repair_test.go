package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// TestRepairSaysWhatItWouldResetAndResetsItWithApply: on a data directory
// with a definition that does not parse, one stored RUNNING without an
// input and a stream whose block file was written over, riffle repair
// lists the three with what resetting costs and exits 1; with --apply it
// resets them; then there is nothing to repair.
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
	if err := l.Create(ctx, "clicks", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	for b := range 1000 {
		recs := make([]streamlog.Record, 50)
		for i := range recs {
			recs[i] = streamlog.Record{Data: fmt.Appendf(nil, `{"batch":%d,"record":%d}`, b, i), Arrival: time.Now()}
		}
		if _, err := l.Append(ctx, "clicks", 0, recs); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	streamlogtest.Damage(t, dir, "clicks") // a stray write into its block file

	out, _, err := runRiffle(t, "repair", "--data", dir)
	if !errors.Is(err, errReported) {
		t.Fatalf("repair without --apply on damage: %v, want exit status 1", err)
	}
	for _, want := range []string{"the definition of application broken cannot be read", "delete application broken",
		"application inputless is stored RUNNING without an input or code", "set application inputless READY",
		"stream clicks lost", "acknowledge the loss of stream clicks", "3 to reset: run again with --apply"} {
		if !strings.Contains(out, want) {
			t.Fatalf("repair printed:\n%s\nwant %q", out, want)
		}
	}
	if out, _, err = runRiffle(t, "repair", "--data", dir, "--apply"); err != nil || strings.Count(out, "done") != 3 {
		t.Fatalf("repair --apply: %v\n%s", err, out)
	}
	if out, _, err = runRiffle(t, "repair", "--data", dir); err != nil || !strings.Contains(out, "nothing to repair") {
		t.Fatalf("repair after --apply: %v\n%s", err, out)
	}
}
