package throttle

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

func TestBackoffDoublesUpToItsMaximumAndResets(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	var got []time.Duration
	for range 6 {
		got = append(got, b.Next())
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits %v, want %v", got, want)
		}
	}
	if !b.Failing() {
		t.Fatal("not failing after failures")
	}
	b.Reset()
	if b.Failing() || b.Next() != 100*time.Millisecond {
		t.Fatal("a reset backoff does not start again at its minimum")
	}
	for range 100 { // no overflow into a negative or zero wait
		if d := b.Next(); d <= 0 || d > time.Second {
			t.Fatalf("wait %v", d)
		}
	}
}

func TestTheLogSaysTheFirstErrorThenOneAnIntervalWithTheCount(t *testing.T) {
	var out bytes.Buffer
	clock := clockwork.NewFakeClock()
	l := Log{Logger: slog.New(slog.NewTextHandler(&out, nil)), Every: 30 * time.Second, Clock: clock}
	for range 1000 {
		l.Error("read input", "err", "stream not found")
		clock.Advance(time.Millisecond)
	}
	if n := strings.Count(out.String(), "read input"); n != 1 {
		t.Fatalf("%d lines for 1000 errors within a second, want 1:\n%s", n, out.String())
	}
	clock.Advance(30 * time.Second)
	l.Error("read input", "err", "stream not found")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "repeated=999") {
		t.Fatalf("after the interval: %q, want a second line counting the 999 left out", lines)
	}
}
