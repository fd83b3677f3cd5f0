package awskinesis

import (
	"context"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

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
	c, err := New(context.Background(), endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

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

	r, err := client(t, k.URL).Open(context.Background(), ARN{Partition: "aws", Region: kinesalite.Region, Account: kinesalite.Account, Name: "clicks"},
		Start{}, Options{Tolerance: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := newTaken()
	poll.Until(t, 30*time.Second, func() (bool, string) {
		got.take(r)
		return len(got.recs) == 200, fmt.Sprintf("%d of 200 records before the split", len(got.recs))
	})

	// Split shard 0 in the middle of its hash range.
	shards, err := k.Client.ListShards(context.Background(), &kinesis.ListShardsInput{StreamName: aws.String("clicks")})
	if err != nil {
		t.Fatal(err)
	}
	hr := shards.Shards[0].HashKeyRange
	lo, _ := new(big.Int).SetString(aws.ToString(hr.StartingHashKey), 10)
	hi, _ := new(big.Int).SetString(aws.ToString(hr.EndingHashKey), 10)
	mid := new(big.Int).Add(lo, hi)
	mid.Rsh(mid, 1)
	if _, err := k.Client.SplitShard(context.Background(), &kinesis.SplitShardInput{StreamName: aws.String("clicks"),
		ShardToSplit: shards.Shards[0].ShardId, NewStartingHashKey: aws.String(mid.String())}); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, func() (bool, string) {
		s, err := k.Client.ListShards(context.Background(), &kinesis.ListShardsInput{StreamName: aws.String("clicks")})
		return err == nil && len(s.Shards) == 6, "the split's children not listed"
	})
	k.WaitActive(t, "clicks")
	put(t, k.Client, "clicks", ks, 10, 10)
	poll.Until(t, 30*time.Second, func() (bool, string) {
		got.take(r)
		return len(got.recs) >= 400, fmt.Sprintf("%d of 400 records", len(got.recs))
	})
	checkKeys(t, got.merged(), ks, 20)

	parent := aws.ToString(shards.Shards[0].ShardId)
	children := 0
	for shard, first := range got.firstRecord {
		if got.order[shard] < 4 {
			continue
		}
		children++
		if ended, ok := got.ended[parent]; !ok || first < ended {
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
	arn := ARN{Partition: "aws", Region: kinesalite.Region, Account: kinesalite.Account, Name: "clicks"}
	r, err := client(t, k.URL).Open(context.Background(), arn, Start{Positions: map[string]Position{
		"shardId-000000000000": {After: s0[1].Sequence}, "shardId-000000000001": {}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := newTaken()
	poll.Until(t, 30*time.Second, func() (bool, string) {
		got.take(r)
		return len(got.recs) == len(all)-2, fmt.Sprintf("%d of %d records", len(got.recs), len(all)-2)
	})
	r.Close()
	for _, rec := range got.recs {
		if rec.Sequence == s0[0].Sequence || rec.Sequence == s0[1].Sequence {
			t.Errorf("record %s, fed before, was read again", rec.Data)
		}
	}
}

// throttler answers GetRecords calls with an error: every other one with
// ProvisionedThroughputExceededException (every: 2), or, with expire, the
// calls numbered from expire to expire+4 with ExpiredIteratorException;
// it passes the others on.
type throttler struct {
	proxy            *httputil.ReverseProxy
	calls, refused   atomic.Int64
	every, expire    int64
	mu               sync.Mutex
	firstCall, lastC time.Time
}

func (p *throttler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") == "Kinesis_20131202.GetRecords" {
		n := p.calls.Add(1)
		p.mu.Lock()
		if p.firstCall.IsZero() {
			p.firstCall = time.Now()
		}
		p.lastC = time.Now()
		p.mu.Unlock()
		if p.expire > 0 && n >= p.expire && n < p.expire+4 {
			p.refused.Add(1)
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"__type":"ExpiredIteratorException","message":"Iterator expired."}`))
			return
		}
		if p.every > 0 && n%p.every != 0 {
			p.refused.Add(1)
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded for shard in stream clicks under account 000000000000."}`))
			return
		}
	}
	p.proxy.ServeHTTP(w, r)
}

// TestThrottledReadsBackOffAndLoseNothing reads through an endpoint that
// refuses every other GetRecords call for the shard's throughput:
// every record comes once and in order, the refusals are counted, and
// the calls stay within the service's pace (no spinning on refusals).
func TestThrottledReadsBackOffAndLoseNothing(t *testing.T) {
	k := kinesalite.Start(t)
	k.CreateStream(t, "clicks", 4)
	target, _ := url.Parse(k.URL)
	p := &throttler{proxy: httputil.NewSingleHostReverseProxy(target), every: 2}
	srv := httptest.NewServer(p)
	defer srv.Close()
	ks := keys(8)
	put(t, k.Client, "clicks", ks, 0, 50)

	var throttled atomic.Int64
	r, err := client(t, srv.URL).Open(context.Background(), ARN{Partition: "aws", Region: kinesalite.Region, Account: kinesalite.Account, Name: "clicks"},
		Start{}, Options{Tolerance: 100 * time.Millisecond, Throttled: func(string, time.Duration) { throttled.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	got := newTaken()
	poll.Until(t, 60*time.Second, func() (bool, string) {
		got.take(r)
		return len(got.recs) == 400, fmt.Sprintf("%d of 400 records", len(got.recs))
	})
	r.Close()
	checkKeys(t, got.merged(), ks, 50)
	if throttled.Load() == 0 || throttled.Load() != p.refused.Load() {
		t.Errorf("%d refusals counted by the reader, %d made by the endpoint", throttled.Load(), p.refused.Load())
	}
	// At most 5 calls a second per shard, however often they are refused.
	p.mu.Lock()
	span := p.lastC.Sub(p.firstCall)
	p.mu.Unlock()
	if limit := int64(4 * (5*span.Seconds() + 1)); p.calls.Load() > limit {
		t.Errorf("%d GetRecords calls in %v on 4 shards: more than the service's 5 a second per shard", p.calls.Load(), span)
	}
	t.Logf("%d GetRecords calls in %v, %d refused", p.calls.Load(), span, p.refused.Load())
}

// TestExpiredIteratorsAreReplacedFromTheLastRecordRead: four GetRecords
// calls answered ExpiredIteratorException in the middle of the reading;
// the shards go on from their last record read, nothing lost or doubled.
func TestExpiredIteratorsAreReplacedFromTheLastRecordRead(t *testing.T) {
	k := kinesalite.Start(t)
	k.CreateStream(t, "clicks", 2)
	target, _ := url.Parse(k.URL)
	p := &throttler{proxy: httputil.NewSingleHostReverseProxy(target), expire: 3}
	srv := httptest.NewServer(p)
	defer srv.Close()
	ks := keys(6)
	put(t, k.Client, "clicks", ks, 0, 10)
	r, err := client(t, srv.URL).Open(context.Background(), ARN{Partition: "aws", Region: kinesalite.Region, Account: kinesalite.Account, Name: "clicks"},
		Start{}, Options{Tolerance: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := newTaken()
	poll.Until(t, 30*time.Second, func() (bool, string) {
		got.take(r)
		return len(got.recs) == 60, fmt.Sprintf("%d of 60 records", len(got.recs))
	})
	put(t, k.Client, "clicks", ks, 10, 10) // while the calls are refused, or after
	poll.Until(t, 30*time.Second, func() (bool, string) {
		got.take(r)
		return len(got.recs) >= 120 && p.refused.Load() == 4, fmt.Sprintf("%d of 120 records, %d calls refused", len(got.recs), p.refused.Load())
	})
	checkKeys(t, got.merged(), ks, 20)
}
