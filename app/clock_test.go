package app

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/riffle-sql/riffle/streamlog"
)

// TestAFakeClockDrivesTheLiveApplication: with the wall clock in the
// test's hands, a running application's windows close exactly when the
// test moves time past them plus the settle wait, and never before,
// whatever the machine's load: the records' arrival times, the polls and
// the watermark all come from the one clock.
func TestAFakeClockDrivesTheLiveApplication(t *testing.T) {
	l, ctx := setup(t)
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(t0)
	m, err := NewManager(ctx, l, Options{Clock: clock, Poll: 100 * time.Millisecond, Checkpoint: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	startCounts(t, m, "clicks", "firehose", Now)
	_, rows, cancel, err := m.Tap(context.Background(), "lab", "DESTINATION_SQL_STREAM")
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	arrive := func(at time.Duration, actions ...string) {
		var recs []streamlog.Record
		for _, a := range actions {
			recs = append(recs, streamlog.Record{Data: []byte(`{"browseraction":"` + a + `","site":"x"}`), Arrival: t0.Add(at)})
		}
		if _, err := l.Append(ctx, "clicks", 0, recs); err != nil {
			t.Fatal(err)
		}
	}
	arrive(200*time.Millisecond, "Click", "Click", "Click")
	arrive(700*time.Millisecond, "Impression", "Impression")
	arrive(1300*time.Millisecond, "Click")
	// advance moves the clock to t0+to, a poll at a time, each time once
	// the application waits on its timer again (done with the last poll).
	at := time.Duration(0)
	advance := func(to time.Duration) {
		for ; at < to; at += 100 * time.Millisecond {
			if err := clock.BlockUntilContext(ctx, 1); err != nil {
				t.Fatal(err)
			}
			clock.Advance(100 * time.Millisecond)
		}
		if err := clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	// out is every row out so far (the taps publish before the loop
	// waits again).
	out := func() []string {
		var got []string
		for {
			select {
			case row := <-rows:
				var r struct {
					ROWTIME, ACTION string
					N               int
				}
				if err := json.Unmarshal(row, &r); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%s %s %d", r.ROWTIME, r.ACTION, r.N))
			default:
				sort.Strings(got)
				return got
			}
		}
	}
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
		advance(step.to)
		if got := out(); !slices.Equal(got, step.want) {
			t.Fatalf("at t0+%v: rows %q, want %q", step.to, got, step.want)
		}
	}
	if n, _ := m.RecordsRead("lab"); n != 6 {
		t.Fatalf("%d records read, want 6", n)
	}
}

// TestAResumeFeedsNeitherTwiceNorNeverWhatArrivedOutOfOrder: a record
// stored after another but arrived before it is fed first (by arrival).
// Stopped while the later arrival still waits for the watermark, the
// application resumes from its checkpoint feeding that one, and not the
// one fed before the stop again: each window counts each record once.
func TestAResumeFeedsNeitherTwiceNorNeverWhatArrivedOutOfOrder(t *testing.T) {
	l, ctx := setup(t)
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(t0)
	m, err := NewManager(ctx, l, Options{Clock: clock, Poll: 100 * time.Millisecond, Checkpoint: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	startCounts(t, m, "clicks", "firehose", Now)
	_, rows, cancel, err := m.Tap(context.Background(), "lab", "DESTINATION_SQL_STREAM")
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	arrive := func(at time.Duration, action string) {
		rec := streamlog.Record{Data: []byte(`{"browseraction":"` + action + `","site":"x"}`), Arrival: t0.Add(at)}
		if _, err := l.Append(ctx, "clicks", 0, []streamlog.Record{rec}); err != nil {
			t.Fatal(err)
		}
	}
	arrive(1900*time.Millisecond, "Click")      // stored first, arrived second
	arrive(1300*time.Millisecond, "Impression") // stored second, arrived first
	arrive(1400*time.Millisecond, "Click")
	at := time.Duration(0)
	advance := func(to time.Duration) {
		for ; at < to; at += 100 * time.Millisecond {
			if err := clock.BlockUntilContext(ctx, 1); err != nil {
				t.Fatal(err)
			}
			clock.Advance(100 * time.Millisecond)
		}
		if err := clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	// The watermark at t0+1.5 s: the impression and the 1.4 s click are
	// fed, the 1.9 s click (stored before them) waits.
	advance(2000 * time.Millisecond)
	if n, _ := m.RecordsRead("lab"); n != 2 {
		t.Fatalf("%d records fed by t0+1.5 s, want 2", n)
	}
	if err := m.Stop(ctx, "lab"); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "lab", LastStoppedPoint); err != nil {
		t.Fatal(err)
	}
	_, rows2, cancel2, err := m.Tap(context.Background(), "lab", "DESTINATION_SQL_STREAM")
	if err != nil {
		t.Fatal(err)
	}
	defer cancel2()
	advance(3000 * time.Millisecond) // the watermark past t0+2 s
	var got []string
	for _, ch := range []<-chan []byte{rows, rows2} {
		for done := false; !done; {
			select {
			case row, open := <-ch:
				if !open { // the first run's tap ends with it
					done = true
					break
				}
				var r struct {
					ROWTIME, ACTION string
					N               int
				}
				if err := json.Unmarshal(row, &r); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%s %s %d", r.ROWTIME, r.ACTION, r.N))
			default:
				done = true
			}
		}
	}
	sort.Strings(got)
	want := []string{"2026-12-06T12:00:02.000Z Click 2", "2026-12-06T12:00:02.000Z Impression 1"}
	if !slices.Equal(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
}
