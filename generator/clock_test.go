package generator

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// guard bounds a wait on a condition, so that a bug fails the test instead
// of hanging it; no test passes or fails on how long it takes.
func guard(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// waitOn returns once n goroutines wait on the fake clock.
func waitOn(t *testing.T, clock *clockwork.FakeClock, n int) {
	t.Helper()
	if err := clock.BlockUntilContext(guard(t), n); err != nil {
		t.Fatalf("%d waiters on the clock never came: %v", n, err)
	}
}

// advanceUntilDone moves the fake clock on by step each time n goroutines
// wait on it, until the run is done.
func advanceUntilDone(t *testing.T, clock *clockwork.FakeClock, run *Run, n int, step time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(guard(t))
	defer cancel()
	go func() { // ends with ctx, at the latest when this returns
		select {
		case <-run.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	for clock.BlockUntilContext(ctx, n) == nil {
		clock.Advance(step)
	}
	select {
	case <-run.Done():
	default:
		t.Fatalf("the run never ended: %v", context.Cause(ctx))
	}
}

// clockedTarget is a live target that reports every Put with its time on
// the test's clock, and refuses the first fail calls.
type clockedTarget struct {
	clock clockwork.Clock
	fail  int
	puts  chan put
	mu    sync.Mutex
	calls int
}

type put struct {
	at   time.Time
	recs []Record
}

func newClockedTarget(clock clockwork.Clock, fail int) *clockedTarget {
	return &clockedTarget{clock: clock, fail: fail, puts: make(chan put, 1000)}
}

func (c *clockedTarget) Limits() (int, int) { return 500, 4 << 20 }
func (c *clockedTarget) Live() bool         { return true }
func (c *clockedTarget) Put(ctx context.Context, recs []Record) ([]bool, error) {
	c.mu.Lock()
	c.calls++
	n := c.calls
	c.mu.Unlock()
	c.puts <- put{at: c.clock.Now(), recs: recs}
	if n <= c.fail {
		return nil, fmt.Errorf("call %d refused", n)
	}
	return nil, nil
}

// next is the next Put, which must have come.
func (c *clockedTarget) next(t *testing.T) put {
	t.Helper()
	select {
	case p := <-c.puts:
		return p
	case <-guard(t).Done():
		t.Fatal("no Put")
		return put{}
	}
}

// TestRecordsGoAtTheirScheduledTimes: ten records at 2/s go one by one at
// their times in the middle of their slots, none a moment before, the last
// within 5 s; at speed 4 the same records go four times as fast, still
// dated on the scenario's clock.
func TestRecordsGoAtTheirScheduledTimes(t *testing.T) {
	for _, speed := range []int{1, 4} {
		t.Run(fmt.Sprintf("speed=%d", speed), func(t *testing.T) {
			clock := clockwork.NewFakeClockAt(t0)
			target := newClockedTarget(clock, 0)
			s := Scenario{Senders: []Sender{{Name: "a", Template: `{"n":{{random.number(9)}}}`, Rate: 2, Count: 10}}}
			run, err := Start(context.Background(), s, Options{Target: target, Clock: clock, Start: labStart, Speed: float64(speed)})
			if err != nil {
				t.Fatal(err)
			}
			for k := range 10 {
				off := 250*time.Millisecond + time.Duration(k)*500*time.Millisecond // scenario time
				due := t0.Add(off / time.Duration(speed))
				waitOn(t, clock, 1) // the sender waits for record k
				clock.Advance(clock.Until(due) - time.Millisecond)
				waitOn(t, clock, 1)
				select {
				case p := <-target.puts:
					t.Fatalf("record %d due at %v went at %v", k, due.Sub(t0), p.at.Sub(t0))
				default:
				}
				clock.Advance(time.Millisecond)
				p := target.next(t)
				if !p.at.Equal(due) || len(p.recs) != 1 || !p.recs[0].At.Equal(labStart.Add(off)) {
					t.Fatalf("record %d: %d records at %v dated %v; want 1 at %v dated %v",
						k, len(p.recs), p.at.Sub(t0), p.recs[0].At.Sub(labStart), due.Sub(t0), off)
				}
			}
			select {
			case <-run.Done():
			case <-guard(t).Done():
				t.Fatal("the run did not end after its last record")
			}
			if end := clock.Since(t0); end > 5*time.Second/time.Duration(speed) {
				t.Errorf("ten records at 2/s took %v at speed %d", end, speed)
			}
			if sent, acked, failed := run.Totals(); sent != 10 || acked != 10 || failed != 0 {
				t.Errorf("sent %d, acknowledged %d, failed %d", sent, acked, failed)
			}
		})
	}
}

// TestASerialRunHasSentEverythingDueWhenItWaits: with Serial, the run is
// the one waiter on its clock, and whenever it waits, every record due so
// far has gone, at its time, in one batch per sender, and none ahead of
// its time: a test that moves a fake clock only while the run waits gets
// every record at its scheduled time, whatever the machine's load.
func TestASerialRunHasSentEverythingDueWhenItWaits(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	target := newClockedTarget(clock, 0)
	// a and b at 0.25 s, 0.75 s...; c at 1.2 s, 2.2 s, 3.2 s.
	s := Scenario{Senders: []Sender{
		{Name: "a", Template: "a", Rate: 2, Count: 6},
		{Name: "b", Template: "b", Rate: 2, Count: 6},
		{Name: "c", Template: "c", Rate: 1, Start: 700 * time.Millisecond, Count: 3},
	}}
	due := map[string][]time.Duration{}
	for k := range 6 {
		off := 250*time.Millisecond + time.Duration(k)*500*time.Millisecond
		due["a"], due["b"] = append(due["a"], off), append(due["b"], off)
	}
	for k := range 3 {
		due["c"] = append(due["c"], 1200*time.Millisecond+time.Duration(k)*time.Second)
	}
	ctx, cancel := context.WithCancel(guard(t))
	defer cancel()
	run, err := Start(ctx, s, Options{Target: target, Clock: clock, Start: labStart, Serial: true})
	if err != nil {
		t.Fatal(err)
	}
	waiting, stop := context.WithCancel(ctx) // ends when the run does
	defer stop()
	go func() {
		select {
		case <-run.Done():
			stop()
		case <-waiting.Done():
		}
	}()
	sent := map[string]int{} // records of each sender gone so far
	var order []string
	take := func() { // the batches sent so far
		for {
			select {
			case p := <-target.puts:
				name := string(p.recs[0].Data[:1])
				for _, r := range p.recs {
					k := sent[name]
					if string(r.Data[:1]) != name || k >= len(due[name]) || p.at.Sub(t0) != due[name][k] || !r.At.Equal(labStart.Add(due[name][k])) {
						t.Fatalf("at %v: a batch of %s went with %q dated %v; want %s's record %d due at %v",
							p.at.Sub(t0), name, r.Data, r.At.Sub(labStart), name, k, due[name])
					}
					sent[name]++
					order = append(order, name)
				}
			default:
				return
			}
		}
	}
	for clock.BlockUntilContext(waiting, 1) == nil {
		take()
		now := clock.Since(t0)
		for name, offs := range due {
			n := 0
			for _, off := range offs {
				if off <= now {
					n++
				}
			}
			if sent[name] != n {
				t.Fatalf("the run waits at %v with %d of %s's records sent; %d are due", now, sent[name], name, n)
			}
		}
		clock.Advance(50 * time.Millisecond)
	}
	<-run.Done()
	take()
	if got := strings.Join(order, ""); got != "ababcababcababc" {
		t.Errorf("records went in the order %s", got)
	}
	if sent, acked, failed := run.Totals(); sent != 15 || acked != 15 || failed != 0 {
		t.Errorf("sent %d, acknowledged %d, failed %d", sent, acked, failed)
	}
}
