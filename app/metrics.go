package app

import "github.com/prometheus/client_golang/prometheus"

// metrics are the applications' Prometheus metrics.
type metrics struct {
	failures *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, running func() float64, damaged int) *metrics {
	m := &metrics{
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riffle_application_failures_total",
			Help: "Runs that ended by themselves (an input stream gone, a checkpoint taken over), by application."}, []string{"application"}),
	}
	if reg != nil {
		damagedGauge := prometheus.NewGauge(prometheus.GaugeOpts{Name: "riffle_applications_damaged",
			Help: "Applications whose definition could not be read when the server started (riffle repair)."})
		damagedGauge.Set(float64(damaged))
		reg.MustRegister(m.failures, damagedGauge, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "riffle_applications_running",
			Help: "Applications running on this server."}, running))
	}
	return m
}
