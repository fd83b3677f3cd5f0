package app

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
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
			f := startFakeLab(t, Options{})
			if c.settle > 0 {
				a, err := f.m.Get(f.ctx, "lab")
				if err != nil {
					t.Fatal(err)
				}
				if err := f.m.Reconfigure(f.ctx, "lab", a.Version, func(a *Application) error { a.Settle = c.settle; return nil }); err != nil {
					t.Fatal(err)
				}
				if a, _ := f.m.Get(f.ctx, "lab"); a.SettleWait() != c.settle || a.Status != Running {
					t.Fatalf("after the update: settle %v, status %s", a.SettleWait(), a.Status)
				}
			}
			rows := f.tap()
			f.arrive(200*time.Millisecond, "Click", "Click")
			f.advance(1200 * time.Millisecond)
			f.arrive(900*time.Millisecond, "Click") // stored at t0+1.2s
			f.advance(2600 * time.Millisecond)
			if got := f.wait(rows, len(c.want)); !slices.Equal(got, c.want) {
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
