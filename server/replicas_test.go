package server_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/server"
	"github.com/riffle-sql/riffle/server/servertest"
	"github.com/riffle-sql/riffle/streamlog"
)

// TestPutsGoOnWhenANATSServerIsLost: a server on a 3-server NATS cluster
// (default replicas: 3) takes PutRecordBatch calls while the NATS server
// leading the delivery stream is killed. Calls refused meanwhile answer
// 503 ServiceUnavailableException, which the SDKs retry; retried, they
// succeed again; every record whose
// RecordId was answered is stored there.
func TestPutsGoOnWhenANATSServerIsLost(t *testing.T) {
	ctx := context.Background()
	cluster := natstest.StartCluster(t, 3)
	srv := servertest.Start(t, server.Config{NATS: cluster.URL()})
	c := srv.Clients("AKIDEXAMPLE", "secret")
	if _, err := c.Firehose.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("clicks")}); err != nil {
		t.Fatal(err)
	}
	js := cluster.JetStream(t)

	acked := map[string]string{} // RecordId → data
	refused := 0
	put := func(i int) {
		t.Helper()
		recs := make([]fhtypes.Record, 4)
		for j := range recs {
			recs[j] = fhtypes.Record{Data: fmt.Appendf(nil, "%d-%d\n", i, j)}
		}
		for give := time.Now().Add(90 * time.Second); ; {
			if time.Now().After(give) {
				t.Fatalf("PutRecordBatch %d refused for 90 s", i)
			}
			out, err := c.Firehose.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("clicks"), Records: recs})
			var re *smithyhttp.ResponseError
			if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
				if re.HTTPStatusCode() != 503 {
					// A cluster recovering is ServiceUnavailable, never an
					// InternalFailure that says nothing.
					t.Errorf("PutRecordBatch %d during the election: %v, want 503 ServiceUnavailableException", i, err)
				}
				refused++ // as an SDK's retryer would, try again
				continue
			}
			if err != nil {
				t.Fatalf("PutRecordBatch %d: %v", i, err)
			}
			for j, r := range out.RequestResponses {
				acked[*r.RecordId] = string(recs[j].Data)
			}
			return
		}
	}
	i := 0
	for ; i < 30; i++ {
		put(i)
	}
	s, err := js.Stream(ctx, "rf_clicks")
	if err != nil {
		t.Fatal(err)
	}
	if r := s.CachedInfo().Config.Replicas; r != 3 {
		t.Fatalf("the delivery stream has %d replicas, want 3", r)
	}
	leader := cluster.Index(s.CachedInfo().Cluster.Leader)
	if leader < 0 {
		t.Fatalf("the stream's leader %q is none of the cluster's servers %v", s.CachedInfo().Cluster.Leader, cluster.Names)
	}
	cluster.Stop(leader)
	// Puts go on: each is retried until it is answered.
	for end := i + 60; i < end; i++ {
		put(i)
	}
	t.Logf("%d calls refused with a 5xx and retried", refused)

	for id, data := range acked {
		seq, err := streamlog.ParseSeq(id)
		if err != nil {
			t.Fatal(err)
		}
		var recs []streamlog.Record
		poll.Until(t, 30*time.Second, func() (bool, string) { // reads too wait for the new leader
			recs, _, err = srv.Log.Read(ctx, "clicks", 0, seq, 1)
			return err == nil, fmt.Sprint(err)
		})
		if len(recs) == 0 || recs[0].Seq != seq || string(recs[0].Data) != data {
			t.Fatalf("record %q acknowledged as %s: the stream holds %+v there", data, id, recs)
		}
	}
}
