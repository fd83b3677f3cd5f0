package destination

import "github.com/prometheus/client_golang/prometheus"

// Metrics count deliveries per application, output and destination.
type Metrics struct {
	delivered, failed, retried *prometheus.CounterVec
	waiting                    *prometheus.GaugeVec
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
	}
	reg.MustRegister(m.delivered, m.failed, m.retried, m.waiting)
	return m
}
