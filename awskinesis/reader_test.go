package awskinesis

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/riffle-sql/riffle/awsclients"
	"github.com/riffle-sql/riffle/internal/kinesalite"
	"github.com/riffle-sql/riffle/internal/poll"
)

// client is a Client of a Kinesis-compatible endpoint, configured as
// riffle serve would be: the SDK's default chain from the environment.
func client(t *testing.T, endpoint string) *Client {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", kinesalite.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", kinesalite.SecretKey)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return New(awsclients.New(awsclients.Endpoints{"kinesis": endpoint}))
}

// clicks is the ARN of kinesalite's stream clicks, which the tests read.
var clicks = ARN{Partition: "aws", Region: kinesalite.Region, Account: kinesalite.Account, Name: "clicks"}

// put writes records for the keys in turn, each record "KEY:N" with N
// counting that key's records from first.
func put(t *testing.T, k *kinesis.Client, stream string, keys []string, first, perKey int) {
	t.Helper()
	var entries []types.PutRecordsRequestEntry
	flush := func() {
		for len(entries) > 0 {
			out, err := k.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToInt32(out.FailedRecordCount) != 0 {
				t.Fatalf("%d records refused", aws.ToInt32(out.FailedRecordCount))
			}
			entries = nil
		}
	}
	for n := first; n < first+perKey; n++ {
		for _, key := range keys {
			entries = append(entries, types.PutRecordsRequestEntry{PartitionKey: aws.String(key), Data: fmt.Appendf(nil, "%s:%d", key, n)})
		}
		if len(entries) >= 400 {
			flush()
		}
	}
	flush()
}

// taken gathers what a reader gives.
type taken struct {
	recs    []Record
	shardOf []string // each record's shard
	order   map[string]int
	// takes: for each shard, the Take in which it first gave a record and
	// the one in which it was ended.
	firstRecord, ended map[string]int
	takes              int
}

func newTaken() *taken {
	return &taken{order: map[string]int{}, firstRecord: map[string]int{}, ended: map[string]int{}}
}

func (g *taken) take(r *Reader) {
	g.takes++
	for _, b := range r.Take(func(string) int { return 1 << 30 }) {
		if _, ok := g.order[b.Shard]; !ok {
			g.order[b.Shard] = len(g.order)
		}
		if _, ok := g.firstRecord[b.Shard]; !ok && len(b.Records) > 0 {
			g.firstRecord[b.Shard] = g.takes
		}
		if _, ok := g.ended[b.Shard]; !ok && b.Ended {
			g.ended[b.Shard] = g.takes
		}
		for _, rec := range b.Records {
			g.recs = append(g.recs, rec)
			g.shardOf = append(g.shardOf, b.Shard)
		}
	}
}

// until takes from r until n records have come, and fails the test if
// more than n did.
func (g *taken) until(t *testing.T, r *Reader, n int) {
	t.Helper()
	poll.Until(t, 60*time.Second, func() (bool, string) {
		g.take(r)
		return len(g.recs) >= n, fmt.Sprintf("%d of %d records", len(g.recs), n)
	})
	if len(g.recs) > n {
		t.Fatalf("%d records, want %d", len(g.recs), n)
	}
}

// merged orders the records as an application merges them: by arrival,
// then by the order the shards became known.
func (g *taken) merged() []string {
	idx := make([]int, len(g.recs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ra, rb := g.recs[idx[a]], g.recs[idx[b]]
		if !ra.Arrival.Equal(rb.Arrival) {
			return ra.Arrival.Before(rb.Arrival)
		}
		return g.order[g.shardOf[idx[a]]] < g.order[g.shardOf[idx[b]]]
	})
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = string(g.recs[j].Data)
	}
	return out
}

// checkKeys says what is missing, doubled or out of order: each key's
// records must come as KEY:0, KEY:1, ... KEY:n-1.
func checkKeys(t *testing.T, merged []string, keys []string, n int) {
	t.Helper()
	next := map[string]int{}
	for _, rec := range merged {
		key, num, _ := strings.Cut(rec, ":")
		got, _ := strconv.Atoi(num)
		if got != next[key] {
			t.Fatalf("key %s: record %d where %d was due (lost, doubled or out of order)", key, got, next[key])
		}
		next[key]++
	}
	for _, key := range keys {
		if next[key] != n {
			t.Errorf("key %s: %d records, want %d", key, next[key], n)
		}
	}
}

func keys(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("key-%02d", i))
	}
	return out
}

// TestEveryShardAndTheChildrenOfASplitAfterTheirParent reads a 4-shard
// stream from TRIM_HORIZON while one shard is split: every record comes
// once, each key's records in order when merged by arrival, the children
// only once their parent was read to its end, and the watermark passes
// the last record's arrival once everything is read.
func TestEveryShardAndTheChildrenOfASplitAfterTheirParent(t *testing.T) {
	k := kinesalite.Start(t)
	k.CreateStream(t, "clicks", 4)
	ks := keys(20)
	put(t, k.Client, "clicks", ks, 0, 10)

	r, err := client(t, k.URL).Open(context.Background(), clicks,
		Start{}, Options{Tolerance: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := newTaken()
	got.until(t, r, 200)

	parent := k.Shards(t, "clicks")[0]
	k.Split(t, "clicks", parent)
	put(t, k.Client, "clicks", ks, 10, 10)
	got.until(t, r, 400)
	checkKeys(t, got.merged(), ks, 20)

	children := 0
	for shard, first := range got.firstRecord {
		if got.order[shard] < 4 {
			continue
		}
		children++
		if ended, ok := got.ended[aws.ToString(parent.ShardId)]; !ok || first < ended {
			t.Errorf("child %s gave records at take %d, its parent ended at take %d (%v)", shard, first, ended, ok)
		}
	}
	if children == 0 {
		t.Fatalf("no record came from the split's children: %v", got.firstRecord)
	}
	last := slices.MaxFunc(got.recs, func(a, b Record) int { return a.Arrival.Compare(b.Arrival) }).Arrival
	poll.Until(t, 30*time.Second, func() (bool, string) {
		mark, ok := r.Watermark()
		return ok && mark.After(last), fmt.Sprintf("watermark %v (%v), last arrival %v", mark, ok, last)
	})
}

// TestResumesAfterTheLastRecord: a reader opened at a shard's position
// gives the records after it, and Done shards are not read again.
func TestResumesAfterTheLastRecord(t *testing.T) {
	k := kinesalite.Start(t)
	k.CreateStream(t, "clicks", 2)
	ks := keys(4)
	put(t, k.Client, "clicks", ks, 0, 5)
	all, err := k.ReadAll(context.Background(), "clicks")
	if err != nil {
		t.Fatal(err)
	}
	// Shard 0 fed up to its second record, shard 1 nothing yet.
	var s0 []kinesalite.Record
	for _, rec := range all {
		if rec.Shard == "shardId-000000000000" {
			s0 = append(s0, rec)
		}
	}
	if len(s0) < 3 {
		t.Fatalf("shard 0 has %d records", len(s0))
	}
	r, err := client(t, k.URL).Open(context.Background(), clicks, Start{Positions: map[string]Position{
		"shardId-000000000000": {After: s0[1].Sequence}, "shardId-000000000001": {}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := newTaken()
	got.until(t, r, len(all)-2)
	r.Close()
	for _, rec := range got.recs {
		if rec.Sequence == s0[0].Sequence || rec.Sequence == s0[1].Sequence {
			t.Errorf("record %s, fed before, was read again", rec.Data)
		}
	}
}

// TestThrottledReadsBackOffAndLoseNothing reads through an endpoint that
// refuses every other GetRecords call for the shard's throughput:
// every record comes once and in order, the refusals are counted, and
// the calls stay within the service's pace (no spinning on refusals).
func TestThrottledReadsBackOffAndLoseNothing(t *testing.T) {
	k := kinesalite.Start(t)
	k.CreateStream(t, "clicks", 4)
	p := k.Refuse(t, kinesalite.ThrottleEveryOther)
	ks := keys(8)
	put(t, k.Client, "clicks", ks, 0, 50)

	var throttled atomic.Int64
	r, err := client(t, p.URL).Open(context.Background(), clicks,
		Start{}, Options{Tolerance: 100 * time.Millisecond, Throttled: func(string, time.Duration) { throttled.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	got := newTaken()
	got.until(t, r, 400)
	r.Close()
	checkKeys(t, got.merged(), ks, 50)
	if throttled.Load() == 0 || throttled.Load() != p.Refused.Load() {
		t.Errorf("%d refusals counted by the reader, %d made by the endpoint", throttled.Load(), p.Refused.Load())
	}
	// At most 5 calls a second per shard, however often they are refused.
	span := p.CallSpan()
	if limit := int64(4 * (5*span.Seconds() + 1)); p.Calls.Load() > limit {
		t.Errorf("%d GetRecords calls in %v on 4 shards: more than the service's 5 a second per shard", p.Calls.Load(), span)
	}
	t.Logf("%d GetRecords calls in %v, %d refused", p.Calls.Load(), span, p.Refused.Load())
}

// TestExpiredIteratorsAreReplacedFromTheLastRecordRead: four GetRecords
// calls answered ExpiredIteratorException in the middle of the reading;
// the shards go on from their last record read, nothing lost or doubled.
func TestExpiredIteratorsAreReplacedFromTheLastRecordRead(t *testing.T) {
	k := kinesalite.Start(t)
	k.CreateStream(t, "clicks", 2)
	// Calls 3 to 6 are refused.
	p := k.Refuse(t, func(n int64) (string, string) {
		if n >= 3 && n < 7 {
			return "ExpiredIteratorException", "Iterator expired."
		}
		return "", ""
	})
	ks := keys(6)
	put(t, k.Client, "clicks", ks, 0, 10)
	r, err := client(t, p.URL).Open(context.Background(), clicks,
		Start{}, Options{Tolerance: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := newTaken()
	got.until(t, r, 60)
	put(t, k.Client, "clicks", ks, 10, 10) // while the calls are refused, or after
	poll.Until(t, 30*time.Second, func() (bool, string) {
		got.take(r)
		return len(got.recs) >= 120 && p.Refused.Load() == 4, fmt.Sprintf("%d of 120 records, %d calls refused", len(got.recs), p.Refused.Load())
	})
	checkKeys(t, got.merged(), ks, 20)
}
