package natstest_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riffle-sql/riffle/internal/natstest"
)

// TestAClusterPlacesThreeReplicasAndLosesAServer: the cluster takes a
// stream of three replicas at once, and a stopped server no longer
// answers while the others do.
func TestAClusterPlacesThreeReplicasAndLosesAServer(t *testing.T) {
	ctx := context.Background()
	c := natstest.StartCluster(t, 3)
	nc, err := nats.Connect(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if got := nc.ConnectedClusterName(); got != natstest.ClusterName {
		t.Errorf("cluster name %q, want %q", got, natstest.ClusterName)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "s", Subjects: []string{"s"}, Replicas: 3}); err != nil {
		t.Fatalf("a stream of 3 replicas: %v", err)
	}
	c.Stop(0)
	if _, err := nats.Connect(c.URLs[0]); err == nil {
		t.Error("the stopped server still answers")
	}
	other, err := nats.Connect(c.URLs[1])
	if err != nil {
		t.Fatalf("the others stopped too: %v", err)
	}
	other.Close()
}
