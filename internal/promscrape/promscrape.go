// Package promscrape reads a server's /metrics in tests, as a scraper
// would: one place that knows the text format's shape.
package promscrape

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// Series reads the /metrics of the server at url: each series, written as
// Prometheus writes it (its name and labels in name order, e.g.
// `riffle_ingest_records_total{api="kinesis"}`), to its value.
func Series(t testing.TB, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatalf("scrape %s/metrics: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s/metrics: %s", url, resp.Status)
	}
	out := map[string]float64{}
	for sc := bufio.NewScanner(resp.Body); sc.Scan(); {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("scrape %s/metrics: %q: %v", url, line, err)
		}
		out[line[:i]] = v
	}
	return out
}
