package generator

import (
	"os"
	"path/filepath"
	"strings"
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

// TestScenarioFilesLoadWithTheirTemplates: a YAML scenario names its
// senders, reads template files relative to itself, and refuses unknown
// keys and bad values.
func TestScenarioFilesLoadWithTheirTemplates(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "view.json"), []byte(`{"page":"{{random.number(9)}}"}`), 0o644)
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("name: shop\nduration: 10m\nsenders:\n  - name: views\n    template_file: view.json\n    rate: 50\n    spread: 5\n  - name: burst\n    template: '{\"a\":1}'\n    rate: 20\n    start: 2m\n    duration: 30s\n    every: 3m\n"), 0o644)
	s, err := LoadScenario(good)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "shop" || s.Duration != 10*time.Minute || len(s.Senders) != 2 || s.Senders[0].Template != `{"page":"{{random.number(9)}}"}` ||
		s.Senders[1].Every != 3*time.Minute || s.Senders[1].Start != 2*time.Minute || s.Senders[0].Spread != 5 {
		t.Errorf("loaded %+v", s)
	}
	for text, want := range map[string]string{
		"senders:\n  - name: a\n    template: x\n    rat: 1\n":   "rat",
		"senders:\n  - name: a\n    template: x\n    rate: -1\n": "negative",
		"senders:\n  - name: a\n    template_file: none.json\n":  "none.json",
	} {
		bad := filepath.Join(dir, "bad.yaml")
		os.WriteFile(bad, []byte(text), 0o644)
		if _, err := LoadScenario(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error about %s", text, err, want)
		}
	}
}
