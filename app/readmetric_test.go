package app

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
