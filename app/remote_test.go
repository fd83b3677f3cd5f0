package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/riffle-sql/riffle/awsclients"
	"github.com/riffle-sql/riffle/awskinesis"
	"github.com/riffle-sql/riffle/internal/kinesalite"
	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/record"
)

// kinesisClient is the client riffle serve makes: the SDK's default chain,
// here from the environment, and the endpoint of --aws-endpoint.
func kinesisClient(t *testing.T, endpoint string) *awskinesis.Client {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", kinesalite.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", kinesalite.SecretKey)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return awskinesis.New(awsclients.New(awsclients.Endpoints{"kinesis": endpoint}))
}

// putLab writes n lab events (clicks first) with partition keys that
// spread them over the shards.
func putLab(t *testing.T, k *kinesis.Client, stream string, batch, n int) {
	t.Helper()
	var entries []types.PutRecordsRequestEntry
	for i := range n {
		action := []string{"Click", "Impression"}[min(i, 1)]
		entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprintf("visitor-%d-%d", batch, i)),
			Data: []byte(`{"browseraction":"` + action + `","site":"x"}`)})
	}
	out, err := k.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.FailedRecordCount) != 0 {
		t.Fatalf("%d records refused", aws.ToInt32(out.FailedRecordCount))
	}
}

// remoteReplay is what the stream holds, as a replay file with the
// arrival times a live application gives its records, in the order it
// merges them (by arrival, then shard).
func remoteReplay(t *testing.T, k *kinesalite.Server, stream string, def Application, timeScale float64) *bytes.Buffer {
	t.Helper()
	recs, err := k.ReadAll(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Arrival.Before(recs[j].Arrival) })
	var out bytes.Buffer
	for _, r := range recs {
		at := def.AppTime(r.Arrival.UnixMilli(), timeScale)
		data, _ := json.Marshal(string(r.Data))
		fmt.Fprintf(&out, `{"arrival":%q,"data":%s}`+"\n", time.UnixMilli(at).UTC().Format(time.RFC3339Nano), data)
	}
	return &out
}

// TestARemoteKinesisInputGivesTheRowsOfAnOfflineRunAcrossACrash: the lab's
// SQL reads a 4-shard stream of another Kinesis server (kinesalite)
// through its ARN while records are put with the SDK; its runner dies
// without a last checkpoint (as under SIGKILL) while traffic goes on; a
// new manager resumes it from its last checkpoint. The CTR and click
// count rows seen live are those of an offline run over what the stream
// holds: none missing, none different, each window once.
func TestARemoteKinesisInputGivesTheRowsOfAnOfflineRunAcrossACrash(t *testing.T) {
	k := kinesalite.Start(t)
	k.CreateStream(t, "beacons", 4)
	l, _ := setup(t)
	opts := Options{TimeScale: 10, Checkpoint: 40 * time.Millisecond, Poll: 10 * time.Millisecond,
		Kinesis: kinesisClient(t, k.URL), KinesisTolerance: 300 * time.Millisecond}
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "beacons", Kind: "kinesis", ResourceARN: kinesalite.ARN("beacons"), Schema: labSchema, Parallelism: 1}
	labAcrossACrash(t, l, opts, in, func(batch, n int) { putLab(t, k.Client, "beacons", batch, n) }, func(def Application) io.Reader {
		if def.Inputs[0].ARN != kinesalite.ARN("beacons") {
			t.Fatalf("the input is stored as %+v, not as another server's stream", def.Inputs[0])
		}
		return remoteReplay(t, k, "beacons", def, opts.TimeScale)
	})
}

// TestAResplitStreamKeepsEachKeysOrder: records of 8 partition keys, each
// numbered, go to a 2-shard stream of another server while one shard is
// split and, later, the two children merged; the application passes
// PARTITION_KEY and the number through. Every record comes out once, each
// key's in the order it was written.
func TestAResplitStreamKeepsEachKeysOrder(t *testing.T) {
	k := kinesalite.Start(t)
	k.CreateStream(t, "orders", 2)
	l, ctx := setup(t)
	m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond, Checkpoint: 50 * time.Millisecond,
		Kinesis: kinesisClient(t, k.URL), KinesisTolerance: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	schema := labSchema
	schema.RecordColumns = []record.RecordColumn{{Name: "n", SqlType: "INTEGER", Mapping: "$.n"}}
	code := `CREATE STREAM "OUT" (k VARCHAR(256), shard VARCHAR(64), n INTEGER);
CREATE PUMP p AS INSERT INTO "OUT" SELECT STREAM PARTITION_KEY, SHARD_ID, "n" FROM "SOURCE_SQL_STREAM_001";`
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "orders", Kind: "kinesis", ResourceARN: kinesalite.ARN("orders"), Schema: schema, Parallelism: 1}
	if _, err := m.Create(ctx, Application{Name: "orders", Code: code, Inputs: []Input{in}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "orders", TrimHorizon); err != nil {
		t.Fatal(err)
	}
	recent, rows, cancel, err := m.Tap(ctx, "orders", "OUT")
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	gathered := make(chan []byte, 4096)
	go func() {
		for _, r := range recent {
			gathered <- r
		}
		for r := range rows {
			gathered <- r
		}
	}()
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	next := 0
	write := func(rounds int) {
		var entries []types.PutRecordsRequestEntry
		for range rounds {
			for _, key := range keys {
				entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(key), Data: fmt.Appendf(nil, `{"n":%d}`, next)})
			}
			next++
		}
		if _, err := k.Client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("orders"), Records: entries}); err != nil {
			t.Fatal(err)
		}
	}
	write(10)
	children := k.Split(t, "orders", k.Shards(t, "orders")[0])
	write(10)
	if _, err := k.Client.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String("orders"), ShardToMerge: children[0].ShardId, AdjacentShardToMerge: children[1].ShardId}); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, func() (bool, string) { return len(k.Shards(t, "orders")) == 5, "the merged shard not listed" })
	k.WaitActive(t, "orders")
	write(10)

	seen := map[string][]int{}
	shardsSeen := map[string]bool{}
	total := 0
	poll.Until(t, 30*time.Second, func() (bool, string) {
		for {
			select {
			case r := <-gathered:
				var row struct {
					K, SHARD string
					N        int
				}
				if err := json.Unmarshal(r, &row); err != nil {
					t.Fatal(err)
				}
				seen[row.K] = append(seen[row.K], row.N)
				shardsSeen[row.SHARD] = true
				total++
				continue
			default:
			}
			break
		}
		return total >= 30*len(keys), fmt.Sprintf("%d of %d rows", total, 30*len(keys))
	})
	for _, key := range keys {
		want := make([]int, 30)
		for i := range want {
			want[i] = i
		}
		if !slices.Equal(seen[key], want) {
			t.Errorf("key %s: numbers %v, want 0 to 29 in order", key, seen[key])
		}
	}
	if len(shardsSeen) < 4 {
		t.Errorf("rows from shards %v: the split's or the merge's shards gave nothing", shardsSeen)
	}
}

// TestARemoteInputRefusedForThroughputLosesNothing: the application reads
// through an endpoint that refuses every other read for the shard's
// throughput: it reads every record, and counts the refusals.
func TestARemoteInputRefusedForThroughputLosesNothing(t *testing.T) {
	k := kinesalite.Start(t)
	k.CreateStream(t, "beacons", 4)
	proxy := k.Refuse(t, kinesalite.ThrottleEveryOther)
	for batch := range 50 {
		putLab(t, k.Client, "beacons", batch, 4)
	}
	l, ctx := setup(t)
	m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond, Kinesis: kinesisClient(t, proxy.URL), KinesisTolerance: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "beacons", Kind: "kinesis", ResourceARN: kinesalite.ARN("beacons"), Schema: labSchema, Parallelism: 1}
	if _, err := m.Create(ctx, Application{Name: "lab", Code: countsSQL, Inputs: []Input{in}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, "lab", TrimHorizon); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, func() (bool, string) {
		n, err := m.RecordsRead("lab")
		return err == nil && n == 200, fmt.Sprintf("%d of 200 records read (%v)", n, err)
	})
	if n := testutil.ToFloat64(m.metrics.throttled.WithLabelValues("lab")); n == 0 {
		t.Error("no refusal counted in riffle_input_throttled_total")
	}
}
