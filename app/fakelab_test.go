package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/riffle-sql/riffle/streamlog"
)

// fakeLab is the counting application "lab" (countsSQL) on stream clicks,
// started at NOW on a fake wall clock at t0 that the test moves, the loop
// polling every 100 ms.
type fakeLab struct {
	t     *testing.T
	ctx   context.Context
	l     *streamlog.Log
	m     *Manager
	clock *clockwork.FakeClock
	t0    time.Time
	at    time.Duration // how far advance has moved the clock
}

// startFakeLab starts it; opts may set anything but Clock and Poll
// (Checkpoint: an hour unless set).
func startFakeLab(t *testing.T, opts Options) *fakeLab {
	t.Helper()
	l, ctx := setup(t)
	f := &fakeLab{t: t, ctx: ctx, l: l, t0: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	f.clock = clockwork.NewFakeClockAt(f.t0)
	opts.Clock, opts.Poll = f.clock, 100*time.Millisecond
	if opts.Checkpoint == 0 {
		opts.Checkpoint = time.Hour
	}
	m, err := NewManager(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	f.m = m
	startCounts(t, m, "clicks", "firehose", Now)
	return f
}

// tap follows DESTINATION_SQL_STREAM from now.
func (f *fakeLab) tap() <-chan []byte {
	f.t.Helper()
	_, rows, cancel, err := f.m.Tap(context.Background(), "lab", "DESTINATION_SQL_STREAM")
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(cancel)
	return rows
}

// arrive stores one message of records, one an action, arrived at t0+at.
func (f *fakeLab) arrive(at time.Duration, actions ...string) {
	f.t.Helper()
	var recs []streamlog.Record
	for _, a := range actions {
		recs = append(recs, streamlog.Record{Data: []byte(`{"browseraction":"` + a + `","site":"x"}`), Arrival: f.t0.Add(at)})
	}
	if _, err := f.l.Append(f.ctx, "clicks", 0, recs); err != nil {
		f.t.Fatal(err)
	}
}

// advance moves the clock to t0+to, a poll at a time, each once the loop
// waits on its timer again (done with the last poll).
func (f *fakeLab) advance(to time.Duration) {
	f.t.Helper()
	for ; f.at < to; f.at += 100 * time.Millisecond {
		if err := f.clock.BlockUntilContext(f.ctx, 1); err != nil {
			f.t.Fatal(err)
		}
		f.clock.Advance(100 * time.Millisecond)
	}
	if err := f.clock.BlockUntilContext(f.ctx, 1); err != nil {
		f.t.Fatal(err)
	}
}

// countRow reads a row of countsSQL as "ROWTIME ACTION N".
func countRow(t *testing.T, row []byte) string {
	t.Helper()
	var r struct {
		ROWTIME, ACTION string
		N               int
	}
	if err := json.Unmarshal(row, &r); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s %s %d", r.ROWTIME, r.ACTION, r.N)
}

// out is every row the taps hold now (they publish before the loop waits
// again), sorted; a tap closed with its run counts as drained.
func (f *fakeLab) out(taps ...<-chan []byte) []string {
	f.t.Helper()
	var got []string
	for _, rows := range taps {
		for drained := false; !drained; {
			select {
			case row, open := <-rows:
				if !open {
					drained = true
					break
				}
				got = append(got, countRow(f.t, row))
			default:
				drained = true
			}
		}
	}
	sort.Strings(got)
	return got
}

// wait reads rows from a tap until it has n (a waking application may put
// them out just after advance returns), sorted.
func (f *fakeLab) wait(rows <-chan []byte, n int) []string {
	f.t.Helper()
	var got []string
	deadline := time.After(20 * time.Second)
	for len(got) < n {
		select {
		case row := <-rows:
			got = append(got, countRow(f.t, row))
		case <-deadline:
			f.t.Fatalf("rows %q, want %d", got, n)
		}
	}
	sort.Strings(got)
	return got
}
