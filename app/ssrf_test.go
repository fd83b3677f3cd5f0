package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riffle-sql/riffle/destination"
	"github.com/riffle-sql/riffle/internal/lambdatest"
	"github.com/riffle-sql/riffle/internal/safedial"
	"github.com/riffle-sql/riffle/record"
)

// TestPrivateURLsStoredEarlierFailWithTheOneError: applications given
// loopback URLs while the server allowed them, resumed by a server that
// does not: the one with a reference URL is READY again, its failure
// (DescribeApplication's) the one error of a URL; the one with a function
// URL runs, and its delivery's last error (the console's, /riffle's) is
// that error too. Neither URL sees a request from the second server.
func TestPrivateURLsStoredEarlierFailWithTheOneError(t *testing.T) {
	l, ctx := setup(t)
	var fetched atomic.Int64
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		io.WriteString(w, "Click,clicked\nImpression,seen\n")
	}))
	defer web.Close()
	fn := lambdatest.New(t)
	opts := Options{Poll: 10 * time.Millisecond, Checkpoint: 20 * time.Millisecond, Delivery: fastDelivery, AllowPrivateURLs: true}
	m1, err := NewManager(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	ref := Reference{TableName: "labels", Key: web.URL + "/labels.csv", Schema: record.Schema{
		RecordFormat:  record.RecordFormat{RecordFormatType: record.CSV, MappingParameters: &record.MappingParameters{CSVMappingParameters: &record.CSVMappingParameters{RecordRowDelimiter: "\n", RecordColumnDelimiter: ","}}},
		RecordColumns: []record.RecordColumn{{Name: "action", SqlType: "VARCHAR(16)"}, {Name: "label", SqlType: "VARCHAR(16)"}},
	}}
	out := Output{Name: "DESTINATION_SQL_STREAM", Format: "JSON", Kind: LambdaOutput, Target: fn.URL}
	for _, a := range []Application{
		{Name: "ref", Code: passSQL, Inputs: []Input{in}, References: []Reference{ref}},
		{Name: "fn", Code: passSQL, Inputs: []Input{in}, Outputs: []Output{out}},
	} {
		if _, err := m1.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := m1.Start(ctx, a.Name, Now); err != nil {
			t.Fatal(err)
		}
	}
	m1.Close() // both stay RUNNING, to resume
	received, _ := fn.Counts()
	before := fetched.Load()

	opts.AllowPrivateURLs = false
	opts.Delivery.Metrics = destination.NewMetrics(prometheus.NewRegistry())
	m2, err := NewManager(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	<-m2.Resumed()
	a, err := m2.Get(ctx, "ref")
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != Ready || a.Failure == nil || !strings.Contains(a.Failure.Message, safedial.ErrUnusable.Error()) {
		t.Errorf("the application with a loopback reference: %s, failure %+v, want READY with the one error", a.Status, a.Failure)
	}
	def, err := m2.Get(ctx, "fn")
	if err != nil || def.Status != Running {
		t.Fatalf("the application with a loopback function: %v %v", def.Status, err)
	}
	sendSites(t, l, "after", 3)
	var last string
	waitUntil(t, "a failed delivery", func() bool {
		last = m2.LastDeliveryError("fn", def.Outputs[0].ID, "lambda:"+fn.URL)
		return last != ""
	})
	if !strings.Contains(last, safedial.ErrUnusable.Error()) || strings.Contains(last, "dial tcp") {
		t.Errorf("the delivery's last error: %q, want the one error", last)
	}
	if now, _ := fn.Counts(); now != received || fetched.Load() != before {
		t.Errorf("the loopback URLs saw requests from the server that refuses them: %d records, %d fetches", now-received, fetched.Load()-before)
	}
}
