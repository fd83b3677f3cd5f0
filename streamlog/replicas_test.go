package streamlog_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// TestTheDefaultReplicasFollowTheCluster: embedded, and on a lone NATS
// server, what the log creates has one copy; on a cluster of three, three;
// more than the embedded server can hold is refused.
func TestTheDefaultReplicasFollowTheCluster(t *testing.T) {
	if l := streamlogtest.Open(t); l.Replicas() != 1 {
		t.Errorf("embedded: %d replicas, want 1", l.Replicas())
	}
	if l := streamlogtest.OpenConfig(t, streamlog.Config{URL: natstest.Start(t)}); l.Replicas() != 1 {
		t.Errorf("one NATS server: %d replicas, want 1", l.Replicas())
	}
	if _, err := streamlog.Open(context.Background(), streamlog.Config{Dir: t.TempDir(), Replicas: 3}); err == nil {
		t.Error("an embedded log opened with 3 replicas")
	}
}

// TestReplicatedBucketsAreReadFromTheirLeader: on a cluster of three NATS
// servers, a bucket's reads go to its leader, which has every
// acknowledged write, not to any replica (JetStream's direct gets, which
// nats.go turns on for every bucket: a replica behind answers with what
// it has, and a Get right after a Create found nothing under load). A
// bucket made so before (by nats.go, as an older Riffle did) is changed
// when the log opens it. So is the object bucket (checkpoints).
func TestReplicatedBucketsAreReadFromTheirLeader(t *testing.T) {
	ctx := context.Background()
	cluster := natstest.StartCluster(t, 3)
	js := cluster.JetStream(t)
	if _, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "older", Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	l := streamlogtest.OpenConfig(t, streamlog.Config{URL: cluster.URL()})
	for _, name := range []string{"older", "settings"} {
		kv, err := l.Bucket(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kv.Create(ctx, "color", []byte("green")); err != nil {
			t.Fatal(err)
		}
		if v, err := kv.Get(ctx, "color"); err != nil || string(v) != "green" {
			t.Fatalf("bucket %s: read %q, %v after writing green", name, v, err)
		}
		s, err := js.Stream(ctx, "KV_"+name)
		if err != nil {
			t.Fatal(err)
		}
		if cfg := s.CachedInfo().Config; cfg.AllowDirect || cfg.Replicas != 3 {
			t.Errorf("bucket %s: %d replicas, direct gets %v; want 3, off", name, cfg.Replicas, cfg.AllowDirect)
		}
	}
	objects, err := l.ObjectBucket(ctx, "blobs") // checkpoints
	if err != nil {
		t.Fatal(err)
	}
	if err := objects.Put(ctx, "state", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if v, err := objects.Get(ctx, "state"); err != nil || string(v) != "v1" {
		t.Fatalf("object bucket: read %q, %v after writing v1", v, err)
	}
	s, err := js.Stream(ctx, "OBJ_blobs")
	if err != nil {
		t.Fatal(err)
	}
	if cfg := s.CachedInfo().Config; cfg.AllowDirect || cfg.Replicas != 3 {
		t.Errorf("object bucket: %d replicas, direct gets %v; want 3, off", cfg.Replicas, cfg.AllowDirect)
	}
}

// TestAcknowledgedAppendsSurviveALostServer: on a cluster of three NATS
// servers, with the default replication (3), the server leading a stream
// is killed while a producer appends to it. The producer retries what the
// log reports unavailable (with the same id), its appends go on once
// another leader is elected, and every batch acknowledged is there
// afterwards, once, at the sequence its acknowledgement gave; so are the
// buckets' values.
func TestAcknowledgedAppendsSurviveALostServer(t *testing.T) {
	ctx := context.Background()
	cluster := natstest.StartCluster(t, 3)
	l := streamlogtest.OpenConfig(t, streamlog.Config{URL: cluster.URL()}, streamlogtest.Stream{Name: "events", Kind: "firehose", Shards: 1})
	if l.Replicas() != 3 {
		t.Fatalf("on 3 servers the log replicates %d times, want 3", l.Replicas())
	}
	kv, err := l.Bucket(ctx, "settings")
	if err != nil {
		t.Fatal(err)
	}
	if err := kv.Put(ctx, "color", []byte("green")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ExpiringBucket(ctx, "presence", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ObjectBucket(ctx, "blobs"); err != nil {
		t.Fatal(err)
	}

	// A connection of the test's own, as `nats stream info` would look.
	js := cluster.JetStream(t)
	for _, name := range []string{"rf_events", "KV_settings", "KV_presence", "OBJ_blobs", "KV_riffle_streamlog"} {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if r := s.CachedInfo().Config.Replicas; r != 3 {
			t.Errorf("stream %s has %d replicas, want 3", name, r)
		}
	}

	var (
		mu       sync.Mutex
		acked    = map[int][]streamlog.Seq{} // batch number → its records' sequences
		retried  atomic.Int64
		lastErr  error // the last transient error, for the log
		failure  error
		produced atomic.Int64
	)
	pctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { // the producer, stopped by stop
		defer close(done)
		for i := 0; pctx.Err() == nil; i++ {
			recs := make([]streamlog.Record, 5)
			for j := range recs {
				recs[j] = streamlog.Record{Data: fmt.Appendf(nil, "%d-%d", i, j), PartitionKey: "k", Arrival: time.Now()}
			}
			for pctx.Err() == nil {
				seqs, err := l.AppendOnce(pctx, "events", 0, fmt.Sprintf("batch-%d", i), recs)
				if err == nil {
					mu.Lock()
					acked[i] = seqs
					mu.Unlock()
					produced.Add(1)
					break
				}
				if pctx.Err() != nil {
					return
				}
				if !errors.Is(err, streamlog.ErrUnavailable) {
					mu.Lock()
					failure = err
					mu.Unlock()
					return
				}
				retried.Add(1)
				mu.Lock()
				lastErr = err
				mu.Unlock()
			}
		}
	}()
	defer func() { stop(); <-done }()
	failed := func() error {
		mu.Lock()
		defer mu.Unlock()
		return failure
	}
	waitFor := func(n int64) {
		t.Helper()
		poll.Until(t, 90*time.Second, func() (bool, string) {
			if err := failed(); err != nil {
				t.Fatalf("an append failed with an error that is not transient: %v", err)
			}
			return produced.Load() >= n, fmt.Sprintf("%d batches acknowledged, waiting for %d (%d retries)", produced.Load(), n, retried.Load())
		})
	}

	waitFor(50)
	info, err := js.Stream(ctx, "rf_events")
	if err != nil {
		t.Fatal(err)
	}
	leader := info.CachedInfo().Cluster.Leader
	i := cluster.Index(leader)
	if i < 0 {
		t.Fatalf("the stream's leader %q is none of the cluster's servers %v", leader, cluster.Names)
	}
	cluster.Stop(i)
	atStop := produced.Load()
	waitFor(atStop + 100)
	stop()
	<-done
	if err := failed(); err != nil {
		t.Fatalf("an append failed with an error that is not transient: %v", err)
	}
	t.Logf("%d batches acknowledged, %d after %s was killed, %d appends retried (the last for: %v)", produced.Load(), produced.Load()-atStop, leader, retried.Load(), lastErr)

	// Read everything back: each acknowledged record once, where its
	// acknowledgement said.
	var got []streamlog.Record
	for from := (streamlog.Seq{}); ; {
		recs, next, err := l.Read(ctx, "events", 0, from, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		got = append(got, recs...)
		from = next
	}
	at := map[streamlog.Seq]string{}
	count := map[string]int{}
	for _, r := range got {
		at[r.Seq] = string(r.Data)
		count[string(r.Data)]++
	}
	mu.Lock()
	defer mu.Unlock()
	lost := 0
	for i, seqs := range acked {
		for j, seq := range seqs {
			want := fmt.Sprintf("%d-%d", i, j)
			if at[seq] != want {
				lost++
				if lost <= 5 {
					t.Errorf("record %s acknowledged at %v: the stream holds %q there", want, seq, at[seq])
				}
			}
			if count[want] > 1 {
				t.Errorf("record %s stored %d times", want, count[want])
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of the acknowledged records are not where acknowledged", lost)
	}
	// The bucket answers once its leader is settled after the loss (a
	// read may time out before that on a busy machine): what is checked
	// is the value, not how soon.
	poll.Until(t, time.Minute, func() (bool, string) {
		v, err := kv.Get(ctx, "color")
		return err == nil && string(v) == "green", fmt.Sprintf("the bucket's value after the loss: %q, %v", v, err)
	})
}
