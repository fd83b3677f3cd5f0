package generator

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestProgressShowsEverySendersCountsAndTheSummaryTheTotals: the live
// table has a line per sender with sent, acknowledged and failed; redraws
// move the cursor back over it; the summary adds them up. A buffer is not
// a terminal, so a command would show only the summary there.
func TestProgressShowsEverySendersCountsAndTheSummaryTheTotals(t *testing.T) {
	var buf bytes.Buffer
	s := Scenario{Senders: []Sender{
		{Name: "clicks", Template: `{"a":1}`, Rate: 50, Count: 10},
		{Name: "views", Template: `{"b":2}`, Count: 25},
	}}
	var sink bytes.Buffer
	run, err := Start(context.Background(), s, Options{Target: NewWriterTarget(&sink)})
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	ShowProgress(context.Background(), &table, run, 20*time.Millisecond)
	<-run.Done()
	out := table.String()
	last := out[strings.LastIndex(out, "sender"):]
	for _, line := range []string{`clicks\s+10\s+10\s+0\s`, `views\s+25\s+25\s+0\s`} {
		if !regexp.MustCompile(line).MatchString(last) {
			t.Errorf("the final table has no line %q:\n%s", line, last)
		}
	}
	if strings.Count(out, "sender") > 1 && !strings.Contains(out, "\x1b[3A") {
		t.Errorf("a redraw does not go back over the table's 3 lines")
	}
	Summary(&buf, run)
	if got := buf.String(); got != "35 records sent by 2 senders: 35 acknowledged, 0 not sent\n" {
		t.Errorf("summary %q", got)
	}
	if IsTerminal(&buf) {
		t.Error("a buffer taken for a terminal")
	}
}
