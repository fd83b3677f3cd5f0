package generator

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// IsTerminal says whether w is a terminal (a character device), where a
// live display makes sense; files and pipes get only the summary.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// ShowProgress redraws a table of the senders' counts on w every interval
// (on the run's clock) until ctx ends or the run is done, then leaves the
// final table.
func ShowProgress(ctx context.Context, w io.Writer, r *Run, every time.Duration) {
	ticker := r.clock.NewTicker(every)
	defer ticker.Stop()
	lines := 0
	last := make([]int64, len(r.Senders))
	lastAt := r.clock.Now()
	draw := func() {
		now := r.clock.Now()
		secs := now.Sub(lastAt).Seconds()
		var b strings.Builder
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "sender\tsent\tacknowledged\tfailed\trecords/s\t")
		for i, s := range r.Senders {
			acked := s.Acked.Load()
			rate := 0.0
			if secs > 0 {
				rate = float64(acked-last[i]) / secs
			}
			last[i] = acked
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.0f\t\n", s.Name, s.Sent.Load(), acked, s.Failed.Load(), rate)
		}
		tw.Flush()
		lastAt = now
		if lines > 0 {
			fmt.Fprintf(w, "\x1b[%dA", lines) // back to the table's first line
		}
		for _, line := range strings.SplitAfter(strings.TrimSuffix(b.String(), "\n"), "\n") {
			fmt.Fprint(w, "\x1b[2K", line)
		}
		fmt.Fprintln(w)
		lines = len(r.Senders) + 1
	}
	for {
		select {
		case <-ctx.Done():
			draw()
			return
		case <-r.Done():
			draw()
			return
		case <-ticker.Chan():
			draw()
		}
	}
}

// Summary writes the totals of a finished run.
func Summary(w io.Writer, r *Run) {
	sent, acked, failed := r.Totals()
	fmt.Fprintf(w, "%d records sent by %d senders: %d acknowledged, %d not sent\n", sent, len(r.Senders), acked, failed)
}
