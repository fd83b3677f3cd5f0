package app

import (
	"maps"

	"github.com/prometheus/client_golang/prometheus"
)

// readCollector exposes, for each application running on this server,
// the input records its run has read and fed (RecordsRead) as
// riffle_application_records_read_total: a counter that starts again
// when the application restarts (here or on another node of a cluster,
// which then exposes it).
type readCollector struct {
	m    *Manager
	desc *prometheus.Desc
}

func newReadCollector(m *Manager) readCollector {
	return readCollector{m: m, desc: prometheus.NewDesc("riffle_application_records_read_total",
		"Input records read and fed by the application's run on this server, since the run began.", []string{"application"}, nil)}
}

func (c readCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c readCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	runs := maps.Clone(c.m.running)
	c.m.mu.Unlock()
	for name, r := range runs {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(r.read.Load()), name)
	}
}
