package app

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/streamlog"
)

// TestAReplayIsInOrderOfArrival: records stored in another order than they
// arrived (concurrent requests) are written by arrival, as the live
// application feeds them, so riffle run takes the file; one stored longer
// than the settle wait after its arrival (late for the live application,
// which gave it the clock's time) is written at the latest arrival stored
// before it less the wait.
func TestAReplayIsInOrderOfArrival(t *testing.T) {
	l, ctx := setup(t)
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, r := range []struct {
		at   time.Duration
		data string
	}{
		{1000 * time.Millisecond, "b"}, {600 * time.Millisecond, "a"}, {1000 * time.Millisecond, "c"},
		{3000 * time.Millisecond, "d"}, {200 * time.Millisecond, "late"}, {3100 * time.Millisecond, "e"},
	} {
		if _, err := l.Append(ctx, "clicks", 0, []streamlog.Record{{Data: []byte(r.data), Arrival: t0.Add(r.at)}}); err != nil {
			t.Fatal(err)
		}
	}
	def := Application{Name: "lab", Inputs: []Input{{Source: "clicks"}}, Settle: 500 * time.Millisecond}
	def.Origin.Wall, def.Origin.App = t0.UnixMilli(), t0.UnixMilli()
	var out bytes.Buffer
	if err := WriteReplay(ctx, l, def, 1, &out); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r struct{ Arrival, Data string }
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		at, _ := time.Parse(time.RFC3339Nano, r.Arrival)
		got = append(got, r.Data+"@"+at.Sub(t0).String())
	}
	want := []string{"a@600ms", "b@1s", "c@1s", "late@2.5s", "d@3s", "e@3.1s"}
	if !slices.Equal(got, want) {
		t.Fatalf("replay %q, want %q", got, want)
	}
}
