package generator

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// TestProgressShowsEverySendersCountsAndTheSummaryTheTotals: the live
// table has a line per sender with sent, acknowledged, failed and the rate
// since the last table; each second's table has what was sent by then;
// redraws move the cursor back over it; the summary adds them up. A buffer
// is not a terminal, so a command would show only the summary there.
func TestProgressShowsEverySendersCountsAndTheSummaryTheTotals(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	s := Scenario{Senders: []Sender{
		{Name: "clicks", Template: `{"a":1}`, Rate: 10, Count: 30}, // at 0.05 s, 0.15 s, ... 2.95 s
		{Name: "views", Template: `{"b":2}`, Rate: 5, Count: 15},   // at 0.1 s, 0.3 s, ... 2.9 s
	}}
	var sink bytes.Buffer
	run, err := Start(context.Background(), s, Options{Target: NewWriterTarget(&sink), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	// The table goes through a pipe: a draw waits until the test reads it,
	// so the clock moves on only after the table has taken its counts.
	pr, pw := io.Pipe()
	shown := make(chan struct{})
	go func() {
		ShowProgress(context.Background(), pw, run, time.Second)
		pw.Close()
		close(shown)
	}()
	tables := bufio.NewReader(pr)
	table := func() string {
		t.Helper()
		var b strings.Builder
		for range len(s.Senders) + 1 {
			line, err := tables.ReadString('\n')
			if err != nil {
				t.Fatalf("a table cut short: %q: %v", b.String(), err)
			}
			b.WriteString(line)
		}
		return b.String()
	}
	want := func(table string, lines ...string) {
		t.Helper()
		for _, line := range lines {
			if !regexp.MustCompile(line).MatchString(table) {
				t.Errorf("the table has no line %q:\n%s", line, table)
			}
		}
	}
	// Until views' last record: the ticker and both senders wait on the
	// clock between steps, and no step moves it over a record and a second
	// at once.
	for clock.Since(t0) < 2900*time.Millisecond {
		waitOn(t, clock, 3)
		clock.Advance(50 * time.Millisecond)
		switch clock.Since(t0) {
		case time.Second:
			got := table()
			want(got, `clicks\s+10\s+10\s+0\s+10\s`, `views\s+5\s+5\s+0\s+5\s`)
			if strings.HasPrefix(got, "\x1b[3A") {
				t.Errorf("the first table moves the cursor back: %q", got)
			}
		case 2 * time.Second:
			got := table()
			want(got, `clicks\s+20\s+20\s+0\s+10\s`, `views\s+10\s+10\s+0\s+5\s`)
			if !strings.HasPrefix(got, "\x1b[3A") {
				t.Errorf("a redraw does not go back over the table's 3 lines: %q", got)
			}
		}
	}
	// Then clicks' last record at 2.95 s: the run ends before a third
	// second, and the final table has every record.
	advanceUntilDone(t, clock, run, 2, 50*time.Millisecond)
	want(table(), `clicks\s+30\s+30\s+0\s`, `views\s+15\s+15\s+0\s`)
	if rest, _ := io.ReadAll(tables); len(rest) > 0 {
		t.Errorf("more after the final table: %q", rest)
	}
	<-shown
	var buf bytes.Buffer
	Summary(&buf, run)
	if got := buf.String(); got != "45 records sent by 2 senders: 45 acknowledged, 0 not sent\n" {
		t.Errorf("summary %q", got)
	}
	if IsTerminal(&buf) {
		t.Error("a buffer taken for a terminal")
	}
}
