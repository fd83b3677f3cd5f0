package generator

import (
	"testing"
	"time"
)

func times(s Sender, end time.Duration, n int) []time.Duration {
	sc := newSchedule(s, end, 1)
	var out []time.Duration
	for len(out) < n {
		at, ok := sc.next()
		if !ok {
			break
		}
		out = append(out, at)
	}
	return out
}

// TestSchedulesPutRecordsMidSlot: a 1/s sender's records sit on the half
// seconds, from its start, for its duration, repeating every period, and
// never past the scenario's end.
func TestSchedulesPutRecordsMidSlot(t *testing.T) {
	got := times(Sender{Rate: 1, Start: 3 * time.Second, Duration: 3 * time.Second, Every: 10 * time.Second}, 25*time.Second, 100)
	want := []time.Duration{3500, 4500, 5500, 13500, 14500, 15500, 23500, 24500}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v ms", got, want)
	}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("got %v, want %v ms", got, want)
		}
	}
	if got := times(Sender{Rate: 4, Count: 3}, 0, 100); len(got) != 3 || got[0] != 125*time.Millisecond || got[2] != 625*time.Millisecond {
		t.Errorf("4/s, 3 records: %v", got)
	}
	if got := times(Sender{Rate: 0, Count: 5}, 0, 100); len(got) != 5 || got[4] != 0 {
		t.Errorf("as fast as possible: %v, want 5 records due at once", got)
	}
}

// TestASpreadVariesTheCountPerSecondAroundTheRate: with a Gaussian spread
// the seconds hold different counts averaging the rate, spaced evenly in
// their second; the same seed gives the same schedule.
func TestASpreadVariesTheCountPerSecondAroundTheRate(t *testing.T) {
	s := Sender{Rate: 20, Spread: 5, Duration: 200 * time.Second}
	got := times(s, 0, 1<<20)
	perSecond := map[time.Duration]int{}
	for _, at := range got {
		perSecond[at.Truncate(time.Second)]++
	}
	mean := float64(len(got)) / 200
	if mean < 19 || mean > 21 {
		t.Errorf("mean %.2f records/s, want about 20", mean)
	}
	distinct := map[int]bool{}
	for _, n := range perSecond {
		distinct[n] = true
	}
	if len(distinct) < 5 {
		t.Errorf("only %d different counts per second: no spread", len(distinct))
	}
	again := times(s, 0, 1<<20)
	if len(again) != len(got) || again[len(again)-1] != got[len(got)-1] {
		t.Errorf("the same seed gave another schedule")
	}
}

func TestScenarioValidation(t *testing.T) {
	for _, c := range []struct {
		name string
		s    Scenario
	}{
		{"no senders", Scenario{}},
		{"no template", Scenario{Senders: []Sender{{Name: "a", Rate: 1}}}},
		{"negative rate", Scenario{Senders: []Sender{{Name: "a", Template: "x", Rate: -1}}}},
		{"flood without a count", Scenario{Senders: []Sender{{Name: "a", Template: "x"}}}},
		{"repeat without a run length", Scenario{Senders: []Sender{{Name: "a", Template: "x", Rate: 1, Every: time.Minute}}}},
		{"two of a name", Scenario{Senders: []Sender{{Name: "a", Template: "x", Rate: 1}, {Name: "a", Template: "y", Rate: 1}}}},
	} {
		if err := c.s.Validate(); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	if err := Lab().Validate(); err != nil {
		t.Errorf("the lab: %v", err)
	}
}
