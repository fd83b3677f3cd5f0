package app

import (
	"bytes"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/runner"
)

// collector follows a stream's tap and keeps the distinct rows seen.
type collector struct {
	mu   sync.Mutex
	rows map[string]bool
}

func (c *collector) follow(t *testing.T, m *Manager, app, stream string) {
	recent, rows, _, err := m.Tap(app, stream)
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
	sql, err := os.ReadFile("../runner/testdata/bench/clickstream.sql")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{TimeScale: 10, Checkpoint: 40 * time.Millisecond, Poll: 10 * time.Millisecond}
	m1, err := NewManager(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
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
			// Batches of 2, 3 and 4 records (clicks first), so counts and
			// ratios differ from window to window.
			send(t, l, 2+batch%3)
			time.Sleep(25 * time.Millisecond) // pacing the sender, not waiting on the system
		}
	}
	traffic(3000 * time.Millisecond)
	// The crash: the runner stops with no last checkpoint; m1 is abandoned.
	m1.mu.Lock()
	m1.running["lab"].stop(false)
	delete(m1.running, "lab")
	m1.mu.Unlock()
	traffic(1000 * time.Millisecond)
	m2, err := NewManager(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	for _, s := range streams {
		live[s].follow(t, m2, "lab", s)
	}
	traffic(2000 * time.Millisecond)

	def, err := m2.Get(ctx, "lab")
	if err != nil {
		t.Fatal(err)
	}
	expected := func(stream string) []string {
		var replay bytes.Buffer
		if err := WriteReplay(ctx, l, def, opts.TimeScale, &replay); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := runner.Run(runner.Options{SQL: string(sql), Application: "lab", Schema: &labSchema, Streams: []string{stream}}, &replay, &out); err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSpace(out.String()), "\n")
	}
	// The live rows must reach the offline run's last window closed before
	// the end of the traffic; the offline run also closes the open windows
	// at the end of its input, which the live run has not done yet.
	cutoff := time.UnixMilli(def.Origin.App + int64(float64(time.Now().Add(-settle).UnixMilli()-def.Origin.Wall)*opts.TimeScale)).Add(-10 * time.Second)
	for _, stream := range streams {
		expected := expected(stream)
		var want []string
		for _, row := range expected {
			var r struct{ ROWTIME time.Time }
			if err := json.Unmarshal([]byte(row), &r); err != nil {
				t.Fatalf("offline row %q: %v", row, err)
			}
			if r.ROWTIME.Before(cutoff) {
				want = append(want, row)
			}
		}
		t.Logf("%s: %d of %d offline rows before %s", stream, len(want), len(expected), cutoff.Format(time.RFC3339Nano))
		if len(want) < 4 {
			t.Fatalf("the test made only %d windows", len(want))
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			got := live[stream].snapshot()
			missing := 0
			for _, w := range want {
				if !got[w] {
					missing++
				}
			}
			if missing == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d of %d rows missing live\nwant %v\n got %v", stream, missing, len(want), want, keys(got))
			}
			time.Sleep(20 * time.Millisecond) // polling a condition, bounded by the deadline
		}
		all := map[string]bool{}
		for _, e := range expected {
			all[e] = true
		}
		for row := range live[stream].snapshot() {
			if !all[row] {
				t.Fatalf("%s: live row %s is not in the uninterrupted run:\n%v", stream, row, expected)
			}
		}
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
