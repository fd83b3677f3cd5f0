package app

import "github.com/prometheus/client_golang/prometheus"

// metrics are the applications' Prometheus metrics.
type metrics struct {
	failures *prometheus.CounterVec
	// late counts records fed after the clock had passed their arrival;
	// throttled, reads of a remote Kinesis stream the service refused for
	// a limit.
	late, throttled *prometheus.CounterVec
	// A node's (registered only on a node of a cluster).
	failovers, renewalsFailed prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, running func() float64, damaged int, owned func() float64) *metrics {
	m := &metrics{
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riffle_application_failures_total",
			Help: "Runs that ended by themselves (an input stream gone, a checkpoint taken over), by application."}, []string{"application"}),
		late: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riffle_input_late_records_total",
			Help: "Input records that came after the application's clock had passed their arrival, fed with the clock's time as ROWTIME, by application."}, []string{"application"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riffle_input_throttled_total",
			Help: "Reads of a remote Kinesis input that the service refused for a limit (ProvisionedThroughputExceeded, LimitExceeded), each followed by a backoff, by application."}, []string{"application"}),
		failovers: prometheus.NewCounter(prometheus.CounterOpts{Name: "riffle_failovers_total",
			Help: "Leases of applications this node took over from another node that had stopped renewing them."}),
		renewalsFailed: prometheus.NewCounter(prometheus.CounterOpts{Name: "riffle_lease_renewals_failed_total",
			Help: "Lease renewals of this node that failed: NATS did not answer in time, or another node had taken the lease."}),
	}
	if reg != nil {
		damagedGauge := prometheus.NewGauge(prometheus.GaugeOpts{Name: "riffle_applications_damaged",
			Help: "Applications whose definition could not be read when the server started (riffle repair)."})
		damagedGauge.Set(float64(damaged))
		reg.MustRegister(m.failures, m.late, m.throttled, damagedGauge, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "riffle_applications_running",
			Help: "Applications running on this server."}, running))
		if owned != nil {
			reg.MustRegister(m.failovers, m.renewalsFailed, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "riffle_applications_owned",
				Help: "Applications whose lease this node holds."}, owned))
		}
	}
	return m
}
