package app

import (
	"context"
	"maps"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// lagTimeout bounds the reads of the input that measure the applications'
// lag during one scrape: a slow log leaves the lag out, not the scrape.
const lagTimeout = 2 * time.Second

// runCollector exposes, for each application running on this server, the
// figures of its run, gathered when scraped (no work on the run's path):
//   - riffle_application_records_read_total: the input records its run
//     has read and fed (RecordsRead);
//   - riffle_application_stream_rows_total: the rows of each
//     in-application stream, error_stream included (the taps count them);
//   - riffle_application_input_lag_messages: the messages of its input not
//     yet fed (Lag), measured now; absent when unknown (a remote Kinesis
//     input, the log not answering in time);
//   - riffle_application_checkpoint_age_seconds: since its last
//     checkpoint, on the manager's clock (an idle application that has
//     nothing new to save finds its checkpoint current at each interval
//     instead of writing it again).
//
// The counters start again when the application restarts (here or on
// another node of a cluster, which then exposes them).
type runCollector struct {
	m                      *Manager
	read, rows, lag, ckAge *prometheus.Desc
}

func newRunCollector(m *Manager) runCollector {
	app := []string{"application"}
	return runCollector{m: m,
		read: prometheus.NewDesc("riffle_application_records_read_total",
			"Input records read and fed by the application's run on this server, since the run began.", app, nil),
		rows: prometheus.NewDesc("riffle_application_stream_rows_total",
			"Rows that went into each in-application stream (error_stream included) of the application's run on this server, since the run began.",
			[]string{"application", "stream"}, nil),
		lag: prometheus.NewDesc("riffle_application_input_lag_messages",
			"Messages (appended batches) of the application's input stream from the oldest it has not entirely fed through the newest; 0 when it has fed everything. Absent for a remote Kinesis input.", app, nil),
		ckAge: prometheus.NewDesc("riffle_application_checkpoint_age_seconds",
			"Seconds since the application's run last wrote its checkpoint (or, idle with nothing new to save, found it current).", app, nil),
	}
}

func (c runCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.read
	ch <- c.rows
	ch <- c.lag
	ch <- c.ckAge
}

func (c runCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	runs := maps.Clone(c.m.running)
	c.m.mu.Unlock()
	ctx, cancel := context.WithTimeout(c.m.base, lagTimeout)
	defer cancel()
	lasts := map[string]uint64{} // each input's last message, read once per scrape
	now := c.m.now()
	for name, r := range runs {
		ch <- prometheus.MustNewConstMetric(c.read, prometheus.CounterValue, float64(r.read.Load()), name)
		for stream, n := range r.taps.counts() {
			ch <- prometheus.MustNewConstMetric(c.rows, prometheus.CounterValue, float64(n), name, stream)
		}
		if n, ok, err := r.behind(ctx, lasts); err == nil && ok {
			ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(n), name)
		}
		if at := r.checkpointed.Load(); at != 0 {
			ch <- prometheus.MustNewConstMetric(c.ckAge, prometheus.GaugeValue, now.Sub(time.UnixMilli(at)).Seconds(), name)
		}
	}
}
