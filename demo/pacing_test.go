package demo

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestPacingSaysWhenTheMachineFallsBehind: batches sent within
// LateTolerance of their time say nothing; the first one later warns,
// once, with the speed to try, and the result reports the worst.
func TestPacingSaysWhenTheMachineFallsBehind(t *testing.T) {
	var out bytes.Buffer
	p := &pacing{speed: 8, out: &out}
	at := time.Date(2026, 12, 6, 12, 0, 0, 500e6, time.UTC)
	p.observe(at, at.Add(LateTolerance))
	p.observe(at.Add(time.Second), at.Add(time.Second+100*time.Millisecond))
	if out.Len() != 0 || (Result{Late: p.worstLate(), Speed: 8}).Behind() != "" {
		t.Fatalf("a machine keeping the clock: %q", out.String())
	}
	p.observe(at.Add(2*time.Second), at.Add(4*time.Second)) // 2 s late
	p.observe(at.Add(3*time.Second), at.Add(6*time.Second)) // 3 s late
	want := "warning: this machine cannot keep the clock at --speed 8: records were stored up to 2s (application time) after their time, so windows may be miscounted and anomalies not the traffic's; try a lower --speed, e.g. --speed 2\n"
	if out.String() != want {
		t.Fatalf("warning %q, want %q", out.String(), want)
	}
	res := Result{Late: p.worstLate(), Speed: 8}
	if got := res.Behind(); !strings.Contains(got, "up to 3s") || !strings.HasSuffix(got, "--speed 1") {
		t.Fatalf("the result says %q, want 3s late and --speed 1", got)
	}
}

func TestBehindMessageSuggestsASpeedThatKeepsTheClock(t *testing.T) {
	for _, c := range []struct {
		late  time.Duration
		speed float64
		want  string
	}{
		{LateTolerance, 16, ""},
		{800 * time.Millisecond, 16, "e.g. --speed 8"},
		{4 * time.Second, 16, "e.g. --speed 2"},
		{time.Minute, 16, "e.g. --speed 1"},
		{time.Second, 1, "too busy even in real time: run the demo when it is less busy"},
	} {
		got := behindMessage(c.late, c.speed)
		if c.want == "" && got != "" || !strings.HasSuffix(got, c.want) {
			t.Errorf("%v late at --speed %g: %q, want it to end %q", c.late, c.speed, got, c.want)
		}
	}
}
