package app

import (
	"slices"
	"testing"
	"time"
)

// TestAFakeClockDrivesTheLiveApplication: with the wall clock in the
// test's hands, a running application's windows close exactly when the
// test moves time past them plus the settle wait, and never before,
// whatever the machine's load: the records' arrival times, the polls and
// the watermark all come from the one clock.
func TestAFakeClockDrivesTheLiveApplication(t *testing.T) {
	f := startFakeLab(t, Options{})
	rows := f.tap()
	f.arrive(200*time.Millisecond, "Click", "Click", "Click")
	f.arrive(700*time.Millisecond, "Impression", "Impression")
	f.arrive(1300*time.Millisecond, "Click")
	// The first second's window closes when the watermark (the clock less
	// the settle wait) passes t0+1s, not a poll before.
	for _, step := range []struct {
		to   time.Duration
		want []string
	}{
		{1400 * time.Millisecond, nil},
		{1500 * time.Millisecond, []string{"2026-12-06T12:00:01.000Z Click 3", "2026-12-06T12:00:01.000Z Impression 2"}},
		{2400 * time.Millisecond, nil},
		{2500 * time.Millisecond, []string{"2026-12-06T12:00:02.000Z Click 1"}},
	} {
		f.advance(step.to)
		if got := f.out(rows); !slices.Equal(got, step.want) {
			t.Fatalf("at t0+%v: rows %q, want %q", step.to, got, step.want)
		}
	}
	if n, _ := f.m.RecordsRead("lab"); n != 6 {
		t.Fatalf("%d records read, want 6", n)
	}
}

// TestAResumeFeedsNeitherTwiceNorNeverWhatArrivedOutOfOrder: a record
// stored after another but arrived before it is fed first (by arrival).
// Stopped while the later arrival still waits for the watermark, the
// application resumes from its checkpoint feeding that one, and not the
// one fed before the stop again: each window counts each record once.
func TestAResumeFeedsNeitherTwiceNorNeverWhatArrivedOutOfOrder(t *testing.T) {
	f := startFakeLab(t, Options{})
	rows := f.tap()
	f.arrive(1900*time.Millisecond, "Click")      // stored first, arrived second
	f.arrive(1300*time.Millisecond, "Impression") // stored second, arrived first
	f.arrive(1400*time.Millisecond, "Click")
	// The watermark at t0+1.5 s: the impression and the 1.4 s click are
	// fed, the 1.9 s click (stored before them) waits.
	f.advance(2000 * time.Millisecond)
	if n, _ := f.m.RecordsRead("lab"); n != 2 {
		t.Fatalf("%d records fed by t0+1.5 s, want 2", n)
	}
	if err := f.m.Stop(f.ctx, "lab"); err != nil {
		t.Fatal(err)
	}
	if err := f.m.Start(f.ctx, "lab", LastStoppedPoint); err != nil {
		t.Fatal(err)
	}
	resumed := f.tap()
	f.advance(3000 * time.Millisecond) // the watermark past t0+2 s
	want := []string{"2026-12-06T12:00:02.000Z Click 2", "2026-12-06T12:00:02.000Z Impression 1"}
	if got := f.out(rows, resumed); !slices.Equal(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
}
