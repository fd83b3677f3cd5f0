package app

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestAnIdleApplicationSleepsUntilItsInputChanges: an application with
// nothing to read and nothing held does not move its clock while its input
// is quiet (no poll is due however far the wall clock goes), and wakes as
// soon as records are appended: records stamped before the wall clock's
// current time still get their own ROWTIME, which a polling application
// whose clock had passed them would not give.
func TestAnIdleApplicationSleepsUntilItsInputChanges(t *testing.T) {
	f := startFakeLab(t, Options{})
	clock := f.clock
	rows := f.tap()
	g := guard(t)
	if err := clock.BlockUntilContext(g, 1); err != nil { // its first poll
		t.Fatal(err)
	}
	clock.Advance(100 * time.Millisecond)
	if err := clock.BlockUntilContext(g, 1); err != nil { // asleep, until its checkpoint is due
		t.Fatal(err)
	}
	// No poll: a polling loop would have moved its clock to t0+1.6s.
	clock.Advance(2 * time.Second)
	if err := clock.BlockUntilContext(g, 1); err != nil { // waiting again (a polling loop: after that poll)
		t.Fatal(err)
	}
	f.arrive(200*time.Millisecond, "Click", "Click", "Click")
	select {
	case row := <-rows:
		if got := countRow(t, row); got != "2026-12-06T12:00:01.000Z Click 3" {
			t.Fatalf("row %s, want the first second's window of 3 clicks", got)
		}
	case <-g.Done():
		t.Fatal("the application never woke for the records appended")
	}
}

// TestAnIdleApplicationsCheckpointStaysCurrent: an application that stays
// idle writes its checkpoint once, then at each interval finds it current
// (its age goes back to 0) without writing it again.
func TestAnIdleApplicationsCheckpointStaysCurrent(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := startFakeLab(t, Options{Checkpoint: time.Minute, Metrics: reg})
	clock, m, ctx := f.clock, f.m, f.ctx
	age := func() float64 { return checkpointAge(t, reg) }
	revision := func() uint64 {
		t.Helper()
		_, rev, err := m.store.head(ctx, "lab")
		if err != nil {
			t.Fatal(err)
		}
		return rev
	}
	g := guard(t)
	start := revision()
	for i := range 3 {
		if err := clock.BlockUntilContext(g, 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		waitUntil(t, "the checkpoint interval", func() bool { return age() == 0 })
		if i == 0 {
			waitUntil(t, "the first checkpoint", func() bool { return revision() > start })
			start = revision()
		} else if rev := revision(); rev != start {
			t.Fatalf("the idle application wrote its checkpoint again (revision %d, then %d)", start, rev)
		}
	}
}
