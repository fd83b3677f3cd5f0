package destination

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics count deliveries per application, output and destination.
type Metrics struct {
	delivered, failed, retried *prometheus.CounterVec
	waiting                    *prometheus.GaugeVec
	lastSuccess, lastError     *prometheus.GaugeVec

	// The last error's text, beside its time (text is no metric value).
	mu     sync.Mutex
	errors map[Labels]string
}

// Labels name one output in the metrics.
type Labels struct {
	Application, Output, Destination string
}

// NewMetrics registers the delivery metrics.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	labels := []string{"application", "output", "destination"}
	m := &Metrics{
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riffle_destination_delivered_records_total",
			Help: "Output rows the destination acknowledged."}, labels),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riffle_destination_failed_records_total",
			Help: "Delivery attempts of a row that failed (each is retried)."}, labels),
		retried: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riffle_destination_retried_records_total",
			Help: "Rows sent again after a failed attempt."}, labels),
		waiting: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "riffle_destination_in_flight_records",
			Help: "Output rows taken but not yet acknowledged."}, labels),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "riffle_destination_last_success_timestamp_seconds",
			Help: "When the destination last acknowledged rows (unix seconds, on the delivery's clock)."}, labels),
		lastError: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "riffle_destination_last_error_timestamp_seconds",
			Help: "When a delivery attempt last failed (unix seconds, on the delivery's clock)."}, labels),
		errors: map[Labels]string{},
	}
	reg.MustRegister(m.delivered, m.failed, m.retried, m.waiting, m.lastSuccess, m.lastError)
	return m
}

// LastError is the text of the output's last failed delivery attempt
// ("" when none failed since the server started).
func (m *Metrics) LastError(l Labels) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.errors[l]
}

// forget drops an output's series and last error: a stopped output's
// figures would otherwise stay as if current, and pile up with every
// output and application this server ever ran (its counters start again
// with its next run, as the application's own do).
func (m *Metrics) forget(l Labels) {
	for _, v := range []interface {
		DeleteLabelValues(...string) bool
	}{m.delivered, m.failed, m.retried, m.waiting, m.lastSuccess, m.lastError} {
		v.DeleteLabelValues(l.Application, l.Output, l.Destination)
	}
	m.mu.Lock()
	delete(m.errors, l)
	m.mu.Unlock()
}

// succeeded records rows acknowledged at now.
func (m *Metrics) succeeded(l Labels, now time.Time) {
	m.lastSuccess.WithLabelValues(l.Application, l.Output, l.Destination).Set(unixSeconds(now))
}

// erred records a failed attempt at now, and why.
func (m *Metrics) erred(l Labels, now time.Time, reason string) {
	m.mu.Lock()
	m.errors[l] = reason
	m.mu.Unlock()
	m.lastError.WithLabelValues(l.Application, l.Output, l.Destination).Set(unixSeconds(now))
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
