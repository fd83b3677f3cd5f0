package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riffle-sql/riffle/internal/logtest"
)

// TestAnApplicationWhoseInputVanishesStopsAndSaysWhy: the input stream of
// a running application is deleted behind the API's back (an operator on
// an external NATS cluster): the application stops, READY, with the
// reason in its definition and a failure counted, logging it once, not
// thousands of times a second; started again once the stream is back, it
// runs and the reason is gone.
func TestAnApplicationWhoseInputVanishesStopsAndSaysWhy(t *testing.T) {
	l, ctx := setup(t)
	var log logtest.Buffer
	reg := prometheus.NewRegistry()
	m, err := NewManager(ctx, l, Options{Poll: time.Millisecond, Logger: log.Logger(), Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	startCounts(t, m, "clicks", "firehose", Now)
	if err := l.Delete(ctx, "clicks"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the application to stop", func() bool {
		a, err := m.Get(ctx, "lab")
		return err == nil && a.Status == Ready && a.Failure != nil
	})
	a, _ := m.Get(ctx, "lab")
	if !strings.Contains(a.Failure.Message, "clicks") || a.Failure.Time.IsZero() {
		t.Fatalf("failure %+v: want the stream named and a time", a.Failure)
	}
	if _, err := m.Streams(context.Background(), "lab"); err == nil {
		t.Fatal("the application still has a run")
	}
	if n := testutil.ToFloat64(m.metrics.failures.WithLabelValues("lab")); n != 1 {
		t.Fatalf("riffle_application_failures_total{application=\"lab\"} = %v, want 1", n)
	}
	if n := strings.Count(log.String(), "level=ERROR"); n > 3 {
		t.Fatalf("%d error lines for one vanished stream:\n%s", n, log.String())
	}
	if err := l.Create(ctx, "clicks", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "lab", Now); err != nil {
		t.Fatal(err)
	}
	if a, _ := m.Get(ctx, "lab"); a.Status != Running || a.Failure != nil {
		t.Fatalf("started again: %s, failure %+v", a.Status, a.Failure)
	}
}

// TestUsersAreTheRunningApplicationsOfAStream: a stream is in use while an
// application that reads it or writes it runs, not once it stopped.
func TestUsersAreTheRunningApplicationsOfAStream(t *testing.T) {
	l, ctx := setup(t)
	if err := l.Create(ctx, "out", "kinesis", 1); err != nil {
		t.Fatal(err)
	}
	m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "clicks", Kind: "firehose", Schema: labSchema, Parallelism: 1}
	out := Output{Name: "DESTINATION_SQL_STREAM", Format: "JSON", Kind: KinesisOutput, Target: "out"}
	for _, name := range []string{"reader", "idle"} {
		if _, err := m.Create(ctx, Application{Name: name, Code: countsSQL, Inputs: []Input{in}, Outputs: []Output{out}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Start(ctx, "reader", Now); err != nil {
		t.Fatal(err)
	}
	for _, stream := range []string{"clicks", "out"} {
		if users, err := m.Users(ctx, stream); err != nil || strings.Join(users, ",") != "reader" {
			t.Fatalf("users of %s: %v (%v), want the running reader only", stream, users, err)
		}
	}
	if err := m.Stop(ctx, "reader"); err != nil {
		t.Fatal(err)
	}
	if users, _ := m.Users(ctx, "clicks"); len(users) != 0 {
		t.Fatalf("users of clicks after the stop: %v", users)
	}
}
