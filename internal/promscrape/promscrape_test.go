package promscrape_test

import (
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/riffle-sql/riffle/internal/promscrape"
)

// TestSeriesReadsWhatPrometheusWrites: counters with labels, in the
// registry's own text format, come back with their values.
func TestSeriesReadsWhatPrometheusWrites(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "things_total", Help: "Things."}, []string{"kind", "app"})
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "level", Help: "A level."})
	reg.MustRegister(c, g)
	c.WithLabelValues("a", "x").Add(3)
	g.Set(0.25)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	got := promscrape.Series(t, srv.URL)
	if v, ok := got[`things_total{app="x",kind="a"}`]; !ok || v != 3 {
		t.Errorf("things_total: %v %v in %v", v, ok, got)
	}
	if v := got["level"]; v != 0.25 {
		t.Errorf("level: %v", v)
	}
}
