package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/riffle-sql/riffle/streamlog"
)

// TestTheSettleWaitDecidesARecordStoredLate: a record stored 300 ms after
// its arrival stamp finds its window open under the default 500 ms wait,
// and under a 100 ms one (set while the application runs) comes after the
// clock has passed it: it takes the clock's time, in the next window.
func TestTheSettleWaitDecidesARecordStoredLate(t *testing.T) {
	for _, c := range []struct {
		settle time.Duration // set on the running application; 0: none
		want   []string
	}{
		{0, []string{"2026-12-06T12:00:01.000Z Click 3"}},
		{100 * time.Millisecond, []string{"2026-12-06T12:00:01.000Z Click 2", "2026-12-06T12:00:02.000Z Click 1"}},
	} {
		t.Run(fmt.Sprint(c.settle), func(t *testing.T) {
			l, ctx := setup(t)
			t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
			clock := clockwork.NewFakeClockAt(t0)
			m, err := NewManager(ctx, l, Options{Clock: clock, Poll: 100 * time.Millisecond, Checkpoint: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			startCounts(t, m, "clicks", "firehose", Now)
			if c.settle > 0 {
				a, err := m.Get(ctx, "lab")
				if err != nil {
					t.Fatal(err)
				}
				if err := m.Reconfigure(ctx, "lab", a.Version, func(a *Application) error { a.Settle = c.settle; return nil }); err != nil {
					t.Fatal(err)
				}
				if a, _ := m.Get(ctx, "lab"); a.SettleWait() != c.settle || a.Status != Running {
					t.Fatalf("after the update: settle %v, status %s", a.SettleWait(), a.Status)
				}
			}
			_, rows, cancel, err := m.Tap(context.Background(), "lab", "DESTINATION_SQL_STREAM")
			if err != nil {
				t.Fatal(err)
			}
			defer cancel()
			arrive := func(at time.Duration, n int) {
				var recs []streamlog.Record
				for range n {
					recs = append(recs, streamlog.Record{Data: []byte(`{"browseraction":"Click","site":"x"}`), Arrival: t0.Add(at)})
				}
				if _, err := l.Append(ctx, "clicks", 0, recs); err != nil {
					t.Fatal(err)
				}
			}
			at := time.Duration(0)
			advance := func(to time.Duration) { // a poll at a time, each once the loop waits
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
			arrive(200*time.Millisecond, 2)
			advance(1200 * time.Millisecond)
			arrive(900*time.Millisecond, 1) // stored at t0+1.2s
			advance(2600 * time.Millisecond)
			var got []string
			for len(got) < len(c.want) {
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
				case <-time.After(10 * time.Second):
					t.Fatalf("rows %q, want %q", got, c.want)
				}
			}
			sort.Strings(got)
			if !slices.Equal(got, c.want) {
				t.Fatalf("rows %q, want %q", got, c.want)
			}
		})
	}
}

// TestASettleWaitOutOfBoundsIsRefused: the wait is 0 (the default) to a
// minute, on create and on update.
func TestASettleWaitOutOfBoundsIsRefused(t *testing.T) {
	l, ctx := setup(t)
	m, err := NewManager(ctx, l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	if _, err := m.Create(ctx, Application{Name: "lab", Code: countsSQL, Inputs: []Input{in}, Settle: -time.Millisecond}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("create with a negative settle wait: %v, want ErrInvalid", err)
	}
	a, err := m.Create(ctx, Application{Name: "lab", Code: countsSQL, Inputs: []Input{in}, Settle: MaxSettle})
	if err != nil {
		t.Fatal(err)
	}
	err = m.Reconfigure(ctx, "lab", a.Version, func(a *Application) error { a.Settle = MaxSettle + time.Millisecond; return nil })
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("update to a settle wait over a minute: %v, want ErrInvalid", err)
	}
	if a, _ := m.Get(ctx, "lab"); a.SettleWait() != MaxSettle {
		t.Fatalf("settle wait %v after a refused update, want %v", a.SettleWait(), MaxSettle)
	}
}
