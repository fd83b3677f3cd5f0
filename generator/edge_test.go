package generator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/riffle-sql/riffle/replay"
)

// TestOverlappingRunsStayInTimeOrder: a sender whose runs are longer than
// their period is refused, or else its offsets never go back in time.
func TestOverlappingRunsStayInTimeOrder(t *testing.T) {
	snd := Sender{Name: "a", Template: `{"a":1}`, Rate: 1, Duration: 30 * time.Second, Every: 20 * time.Second}
	s := Scenario{Duration: time.Minute, Senders: []Sender{snd}}
	if s.Validate() != nil {
		return // refused: fine
	}
	got := times(snd, time.Minute, 1000)
	for i := 1; i < len(got); i++ {
		if got[i] < got[i-1] {
			t.Errorf("offset %d: %v after %v: the schedule goes back in time", i, got[i], got[i-1])
			break
		}
	}
	r := replay.NewReader(bytes.NewReader(replayOf(t, s, 1)))
	for {
		if _, err := r.Next(); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Errorf("riffle run cannot read the replay: %v", err)
			}
			break
		}
	}
}

// cancelling is a live target that cancels the run after its first batch.
type cancelling struct {
	cancel context.CancelFunc
	puts   atomic.Int64
}

func (c *cancelling) Limits() (int, int) { return 500, 4 << 20 }
func (c *cancelling) Live() bool         { return true }
func (c *cancelling) Put(ctx context.Context, recs []Record) ([]bool, error) {
	if c.puts.Add(1) == 1 {
		c.cancel()
		return nil, nil
	}
	return nil, ctx.Err()
}

// TestCancellationStopsTheSender: once ctx ends (Ctrl-C), a sender behind
// its schedule stops too, and what it never sent is not counted as sent.
func TestCancellationStopsTheSender(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	target := &cancelling{cancel: cancel}
	s := Scenario{Senders: []Sender{{Name: "flood", Template: `{"id":"{{random.uuid}}"}`, Count: 100000}}}
	run, err := Start(ctx, s, Options{Target: target})
	if err != nil {
		t.Fatal(err)
	}
	<-run.Done()
	sent, acked, failed := run.Totals()
	if sent > 1000 || target.puts.Load() > 2 {
		t.Errorf("after the cancel: %d sent, %d acknowledged, %d failed in %d Put calls; want the sender to stop (about 500 sent)",
			sent, acked, failed, target.puts.Load())
	}
}

// TestReplayKeepsJSONAsWritten: a JSON record goes into a replay file byte
// for byte, as the live path sends it.
func TestReplayKeepsJSONAsWritten(t *testing.T) {
	tmpl := `{"q": "a<b && c>d", "n": 1}`
	s := Scenario{Senders: []Sender{{Name: "a", Template: tmpl, Rate: 1, Count: 1}}}
	out := replayOf(t, s, 1)
	rec, err := replay.NewReader(bytes.NewReader(out)).Next()
	if err != nil {
		t.Fatal(err)
	}
	if string(rec.Data) != tmpl {
		t.Errorf("replay record %s, want %s as written\n%s", rec.Data, tmpl, out)
	}
}

// TestReplayLinesAreArrivalAndData: format check: one
// {"arrival","data"} object a line, arrivals never going back.
func TestReplayLinesAreArrivalAndData(t *testing.T) {
	out := replayOf(t, Lab(), 3)
	var last string
	for i, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &m); err != nil || len(m) != 2 || m["arrival"] == nil || m["data"] == nil {
			t.Fatalf("line %d: %s", i+1, line)
		}
		if a := string(m["arrival"]); a < last {
			t.Fatalf("line %d: arrival %s before %s", i+1, a, last)
		} else {
			last = a
		}
	}
}

// TestCountsAddUpWhenEverythingFails: sent = acked + failed; a refused
// batch goes again after 100 ms, then after 200 ms more, and is given up
// after the retries.
func TestCountsAddUpWhenEverythingFails(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	target := newClockedTarget(clock, 1<<30)
	s := Scenario{Senders: []Sender{{Name: "a", Template: `{"a":1}`, Count: 700}}}
	run, err := Start(context.Background(), s, Options{Target: target, Retries: 2, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	advanceUntilDone(t, clock, run, 1, 50*time.Millisecond)
	sent, acked, failed := run.Totals()
	if sent != 700 || acked != 0 || failed != 700 {
		t.Errorf("sent %d acked %d failed %d", sent, acked, failed)
	}
	close(target.puts)
	var got []string
	for p := range target.puts {
		got = append(got, fmt.Sprintf("%d@%v", len(p.recs), p.at.Sub(t0)))
	}
	// 500 records, then the other 200, each batch three times.
	if want := "[500@0s 500@100ms 500@300ms 200@300ms 200@400ms 200@600ms]"; fmt.Sprint(got) != want {
		t.Errorf("calls %v, want %s", got, want)
	}
}
