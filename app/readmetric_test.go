package app

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/riffle-sql/riffle/streamlog"
)

// TestMetricsCountTheRecordsEachApplicationRead: /metrics says how many
// input records each running application has read, as RecordsRead does,
// and forgets an application once it stops.
func TestMetricsCountTheRecordsEachApplicationRead(t *testing.T) {
	l, ctx := setup(t)
	reg := prometheus.NewRegistry()
	m, err := NewManager(ctx, l, Options{Poll: time.Millisecond, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	startCounts(t, m, "clicks", "firehose", Now)
	send(t, l, 6)
	read := func() (float64, bool) {
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() != "riffle_application_records_read_total" {
				continue
			}
			for _, s := range f.GetMetric() {
				if len(s.GetLabel()) == 1 && s.GetLabel()[0].GetValue() == "lab" {
					return s.GetCounter().GetValue(), true
				}
			}
		}
		return 0, false
	}
	waitUntil(t, "riffle_application_records_read_total{application=\"lab\"} to reach 6", func() bool {
		n, _ := read()
		return n == 6
	})
	if n, err := m.RecordsRead("lab"); err != nil || n != 6 {
		t.Fatalf("RecordsRead: %d, %v; want 6 as the metric", n, err)
	}
	if err := m.Stop(ctx, "lab"); err != nil {
		t.Fatal(err)
	}
	if n, ok := read(); ok {
		t.Fatalf("a stopped application still has a count of records read: %v", n)
	}
}

// metricValue is the value of the metric name whose labels include want, and
// whether the registry has it.
func metricValue(t *testing.T, reg prometheus.Gatherer, name string, want map[string]string) (float64, bool) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, s := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range s.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if have[k] != v {
					continue metrics
				}
			}
			switch {
			case s.GetCounter() != nil:
				return s.GetCounter().GetValue(), true
			case s.GetGauge() != nil:
				return s.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

// TestMetricsCountTheRowsOfEachStreamAndTheLag: /metrics says how many
// rows went into each in-application stream of a running application,
// error_stream included (a record that does not fit the schema), and how
// many messages of its input it has not fed yet.
func TestMetricsCountTheRowsOfEachStreamAndTheLag(t *testing.T) {
	l, ctx := setup(t)
	reg := prometheus.NewRegistry()
	m, err := NewManager(ctx, l, Options{Poll: time.Millisecond, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	startCounts(t, m, "clicks", "firehose", Now)
	rows := func(stream string) float64 {
		n, _ := metricValue(t, reg, "riffle_application_stream_rows_total", map[string]string{"application": "lab", "stream": stream})
		return n
	}
	// One arrival for all: one window, one row per action.
	at := time.Now()
	var recs []streamlog.Record
	for i := range 6 {
		recs = append(recs, streamlog.Record{Data: []byte(`{"browseraction":"` + []string{"Click", "Impression"}[i%2] + `","site":"x"}`), Arrival: at})
	}
	recs = append(recs, streamlog.Record{Data: []byte(`not json`), Arrival: at})
	if _, err := l.Append(ctx, "clicks", 0, recs); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the rows of every stream counted", func() bool {
		return rows("SOURCE_SQL_STREAM_001") == 6 && rows("error_stream") == 1 && rows("DESTINATION_SQL_STREAM") == 2
	})
	if n, _ := metricValue(t, reg, "riffle_application_records_read_total", map[string]string{"application": "lab"}); n != 7 {
		t.Fatalf("records read: %v, want 7", n)
	}
	if n, ok := metricValue(t, reg, "riffle_application_input_lag_messages", map[string]string{"application": "lab"}); !ok || n != 0 {
		t.Fatalf("input lag with everything fed: %v (present %v), want 0", n, ok)
	}
	// A record from the future waits for the clock: one message not fed.
	if _, err := l.Append(ctx, "clicks", 0, []streamlog.Record{{Data: []byte(`{"browseraction":"Click","site":"x"}`), Arrival: at.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a lag of one message", func() bool {
		n, ok := metricValue(t, reg, "riffle_application_input_lag_messages", map[string]string{"application": "lab"})
		return ok && n == 1
	})
	if err := m.Stop(ctx, "lab"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"riffle_application_stream_rows_total", "riffle_application_input_lag_messages", "riffle_application_checkpoint_age_seconds"} {
		if n, ok := metricValue(t, reg, name, map[string]string{"application": "lab"}); ok {
			t.Fatalf("a stopped application still has %s: %v", name, n)
		}
	}
}

// TestCheckpointAgeFollowsTheClock: the checkpoint's age is 0 when the
// application starts (its start is checkpointed), grows with the clock,
// and is 0 again once the next periodic checkpoint is written.
func TestCheckpointAgeFollowsTheClock(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := startFakeLab(t, Options{Checkpoint: time.Minute, Metrics: reg})
	clock, ctx := f.clock, f.ctx
	age := func() float64 { return checkpointAge(t, reg) }
	if a := age(); a != 0 {
		t.Fatalf("checkpoint age at the start: %v, want 0", a)
	}
	if err := clock.BlockUntilContext(ctx, 1); err != nil { // the loop waits for its poll
		t.Fatal(err)
	}
	clock.Advance(3 * time.Second)
	if a := age(); a != 3 {
		t.Fatalf("checkpoint age 3s later: %v, want 3", a)
	}
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute) // the loop wakes past its checkpoint interval
	waitUntil(t, "the next checkpoint", func() bool { return age() == 0 })
}

// checkpointAge is application lab's riffle_application_checkpoint_age_seconds.
func checkpointAge(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	n, ok := metricValue(t, reg, "riffle_application_checkpoint_age_seconds", map[string]string{"application": "lab"})
	if !ok {
		t.Fatal("no checkpoint age")
	}
	return n
}
