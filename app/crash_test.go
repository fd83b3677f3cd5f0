package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/internal/rowcheck"
	"github.com/riffle-sql/riffle/runner"
	"github.com/riffle-sql/riffle/streamlog"
)

// collector follows a stream's tap and keeps the distinct rows seen.
type collector struct {
	mu   sync.Mutex
	rows map[string]bool
}

func (c *collector) follow(t *testing.T, m *Manager, app, stream string) {
	recent, rows, _, err := m.Tap(context.Background(), app, stream)
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	for _, r := range recent {
		c.rows[string(r)] = true
	}
	c.mu.Unlock()
	go func() {
		for r := range rows {
			c.mu.Lock()
			c.rows[string(r)] = true
			c.mu.Unlock()
		}
	}()
}

func (c *collector) snapshot() map[string]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]bool{}
	for k := range c.rows {
		out[k] = true
	}
	return out
}

// TestCrashAndResumeGiveTheRowsOfAnUninterruptedRun: the lab's SQL runs
// live; its runner dies without a last checkpoint (as under SIGKILL) while
// traffic goes on; a new manager resumes it from the last periodic
// checkpoint. The CTR rows seen across the crash (re-emitted ones counted
// once) are exactly those of an uninterrupted offline run over the same
// stored records: none missing, none different, none extra.
func TestCrashAndResumeGiveTheRowsOfAnUninterruptedRun(t *testing.T) {
	l, ctx := setup(t)
	opts := Options{TimeScale: 10, Checkpoint: 40 * time.Millisecond, Poll: 10 * time.Millisecond}
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	labAcrossACrash(t, l, opts, in, func(_, n int) { send(t, l, n) }, func(def Application) io.Reader {
		var replay bytes.Buffer
		if err := WriteReplay(ctx, l, def, opts.TimeScale, &replay); err != nil {
			t.Fatal(err)
		}
		return &replay
	})
}

// labAcrossACrash runs the lab's SQL on input in while send puts batches
// of n = 2, 3 and 4 events (clicks first), so counts and ratios differ
// from window to window. After 3 s its runner dies without a last
// checkpoint (m1 is abandoned, as under SIGKILL); traffic goes on for 1 s
// until a new manager resumes it, then 2 s more. Every CTRSTREAM and
// CLICKSTREAM row up to the last one seen live must be those of the
// offline run over offline(the stored definition), and the live rows must
// go two windows past the crash.
func labAcrossACrash(t *testing.T, l *streamlog.Log, opts Options, in Input, send func(batch, n int), offline func(def Application) io.Reader) {
	t.Helper()
	ctx := context.Background()
	sql, err := os.ReadFile("../runner/testdata/bench/clickstream.sql")
	if err != nil {
		t.Fatal(err)
	}
	m1, err := NewManager(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m1.Create(ctx, Application{Name: "lab", Code: string(sql), Inputs: []Input{in}}); err != nil {
		t.Fatal(err)
	}
	if err := m1.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	streams := []string{"CLICKSTREAM", "CTRSTREAM"}
	live := map[string]*collector{}
	for _, s := range streams {
		live[s] = &collector{rows: map[string]bool{}}
		live[s].follow(t, m1, "lab", s)
	}
	batch := 0
	traffic := func(d time.Duration) {
		for end := time.Now().Add(d); time.Now().Before(end); batch++ {
			send(batch, 2+batch%3)
			time.Sleep(25 * time.Millisecond) // pacing the sender, not waiting on the system
		}
	}
	traffic(3000 * time.Millisecond)
	m1.crash("lab")
	beforeCrash := map[string]int{}
	for _, s := range streams {
		beforeCrash[s] = len(live[s].snapshot())
	}
	traffic(1000 * time.Millisecond)
	m2, err := NewManager(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	<-m2.Resumed()
	defer m2.Close()
	for _, s := range streams {
		live[s].follow(t, m2, "lab", s)
	}
	traffic(2000 * time.Millisecond)

	def, err := m2.Get(ctx, "lab")
	if err != nil {
		t.Fatal(err)
	}
	for _, stream := range streams {
		var out bytes.Buffer
		if err := runner.Run(runner.Options{SQL: string(sql), Application: "lab", Schema: &in.Schema, Streams: []string{stream}}, offline(def), &out); err != nil {
			t.Fatal(err)
		}
		expected := strings.Split(strings.TrimSpace(out.String()), "\n")
		poll.Until(t, 20*time.Second, func() (bool, string) {
			got := keys(live[stream].snapshot())
			covered, problems, err := rowcheck.AcrossACrash(expected, got)
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) > 0 {
				t.Fatalf("%s: %v\nuninterrupted run:\n%s\nlive:\n%s", stream, problems, strings.Join(expected, "\n"), strings.Join(got, "\n"))
			}
			if covered >= beforeCrash[stream]+2 {
				t.Logf("%s: %d windows before the crash, %d in all", stream, beforeCrash[stream], covered)
				return true, ""
			}
			return false, fmt.Sprintf("%s: only %d windows, %d of them before the crash", stream, covered, beforeCrash[stream])
		})
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
