package s3delivery

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/riffle-sql/riffle/internal/poll"
	"github.com/riffle-sql/riffle/internal/s3test"
	"github.com/riffle-sql/riffle/s3store"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

const role = "arn:aws:iam::123456789012:role/firehose"

// create makes a delivery stream with a destination.
func create(t testing.TB, l *streamlog.Log, name string, d Destination) streamlog.Info {
	t.Helper()
	if d.RoleARN == "" {
		d.RoleARN = role
	}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	if err := l.CreateWith(context.Background(), name, "firehose", 1, Metadata(d)); err != nil {
		t.Fatal(err)
	}
	info, err := l.Describe(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// appendAt stores records that arrived at at.
func appendAt(t testing.TB, l *streamlog.Log, stream string, at time.Time, data ...string) {
	t.Helper()
	recs := make([]streamlog.Record, len(data))
	for i, d := range data {
		recs[i] = streamlog.Record{Data: []byte(d), Arrival: at}
	}
	if _, err := l.Append(context.Background(), stream, 0, recs); err != nil {
		t.Fatal(err)
	}
}

func start(t testing.TB, l *streamlog.Log, opts Options) *Service {
	t.Helper()
	s, err := Start(context.Background(), l, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// dirObjects reads every object under a buckets directory's bucket: key
// to content, temporary files left out.
func dirObjects(t testing.TB, dir, bucket string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	root := filepath.Join(dir, bucket)
	filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || strings.HasPrefix(e.Name(), ".riffle-tmp-") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, path)
		out[filepath.ToSlash(rel)] = data
		return nil
	})
	return out
}

// decoded is an object's content, gunzipped when its key says .gz.
func decoded(t testing.TB, key string, data []byte) string {
	t.Helper()
	if !strings.HasSuffix(key, ".gz") {
		return string(data)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s is not GZIP: %v", key, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s is not GZIP: %v", key, err)
	}
	return string(out)
}

// sortedKeys are a map's keys in order: the objects of a stream in the
// order of their first records' arrivals (and, within a second, any).
func sortedKeys(objs map[string][]byte) []string {
	var keys []string
	for k := range objs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestBatchesAreCutBySizeAndInterval, on a clock the test moves: records
// join the open batch while they arrived within IntervalInSeconds of its
// first and fit SizeInMBs; a batch goes out when a record does not fit,
// or once its interval is over; each object is named after its first
// record's arrival, in the default YYYY/MM/dd/HH/ layout after the prefix.
func TestBatchesAreCutBySizeAndInterval(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 9, 59, 30, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(t0)
	l := streamlogtest.Open(t)
	dir := t.TempDir()
	create(t, l, "raw", Destination{BucketARN: "arn:aws:s3:::lake", Prefix: "clicks/", SizeInMBs: 1, IntervalInSeconds: 60, CompressionFormat: Uncompressed})
	big := func(c byte) string { return strings.Repeat(string(c), 400<<10) }
	appendAt(t, l, "raw", t0, big('a'), big('b'), big('c'))
	appendAt(t, l, "raw", t0.Add(30*time.Second), "d")
	appendAt(t, l, "raw", t0.Add(61*time.Second), "e")
	start(t, l, Options{Buckets: s3store.Buckets{Dir: dir}, Clock: clock, Poll: time.Second, Scan: time.Hour})
	// The deliverer and the scan wait on the clock when idle: move it a
	// second at a time until the objects are there.
	want := []string{big('a') + big('b'), big('c') + "d", "e"}
	guard, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for len(dirObjects(t, dir, "lake")) < len(want) {
		if err := clock.BlockUntilContext(guard, 2); err != nil {
			t.Fatalf("objects so far: %v", sortedKeys(dirObjects(t, dir, "lake")))
		}
		clock.Advance(time.Second)
	}
	objs := dirObjects(t, dir, "lake")
	keys := sortedKeys(objs)
	names := regexp.MustCompile(`^clicks/2026/12/06/(09|10)/raw-1-(2026-12-06-\d\d-\d\d-\d\d)-[0-9a-f-]{36}$`)
	wantTimes := []string{"2026-12-06-09-59-30", "2026-12-06-09-59-30", "2026-12-06-10-00-31"}
	if len(keys) != 3 {
		t.Fatalf("objects %v", keys)
	}
	var got []string
	for _, k := range keys {
		got = append(got, string(objs[k]))
	}
	// Two objects start at t0: order them by content.
	slices.SortFunc(got[:2], func(a, b string) int { return strings.Compare(a, b) })
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("object %d holds %d bytes starting %q, want %d starting %q", i, len(got[i]), got[i][:1], len(want[i]), want[i][:1])
		}
		m := names.FindStringSubmatch(keys[i])
		if m == nil || m[2] != wantTimes[i] {
			t.Errorf("key %q, want the time %s in %s", keys[i], wantTimes[i], names)
		}
	}
	if !strings.HasPrefix(keys[2], "clicks/2026/12/06/10/") {
		t.Errorf("the last batch began at 10:00:31: %q", keys[2])
	}
}

// TestEveryRecordOnceInGZIPObjectsOnS3: records sent over a while reach a
// real S3-compatible server's bucket in GZIP objects, each record exactly
// once, in order, the objects' keys under the prefix and named for the
// stream; the metrics count them.
func TestEveryRecordOnceInGZIPObjectsOnS3(t *testing.T) {
	s3srv := s3test.Start(t, "lake")
	l := streamlogtest.Open(t)
	create(t, l, "raw", Destination{BucketARN: "arn:aws:s3:::lake", Prefix: "weblogs/!{timestamp:yyyy}/!{firehose:random-string}/",
		ErrorOutputPrefix: "failed/!{firehose:error-output-type}/", SizeInMBs: 1, IntervalInSeconds: 0, CompressionFormat: GZIP})
	reg := prometheus.NewRegistry()
	s := start(t, l, Options{Buckets: s3store.Buckets{S3: s3store.NewClient(s3srv.Client, s3srv.URL)}, Metrics: reg, Poll: 10 * time.Millisecond})
	var want strings.Builder
	for b := range 20 {
		var recs []string
		for i := range 50 {
			rec := fmt.Sprintf(`{"batch":%d,"record":%d,"pad":"%s"}`+"\n", b, i, strings.Repeat("x", 2000))
			recs = append(recs, rec)
			want.WriteString(rec)
		}
		appendAt(t, l, "raw", time.Now(), recs...)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	objs := s3srv.Objects(t, "lake")
	var got strings.Builder
	key := regexp.MustCompile(`^weblogs/\d{4}/[0-9a-f]{8}-[0-9a-f]{2}/raw-1-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9a-f-]{36}\.gz$`)
	// Objects are in order of their records: sort by the first record.
	type obj struct{ first, body string }
	var ordered []obj
	for k, data := range objs {
		if !key.MatchString(k) {
			t.Errorf("key %q, want %s", k, key)
		}
		body := decoded(t, k, data)
		if len(body) > 1<<20 {
			t.Errorf("%s holds %d bytes, more than SizeInMBs", k, len(body))
		}
		var first struct{ Batch, Record int }
		json.Unmarshal([]byte(body[:strings.IndexByte(body, '\n')]), &first)
		ordered = append(ordered, obj{fmt.Sprintf("%03d-%03d", first.Batch, first.Record), body})
	}
	slices.SortFunc(ordered, func(a, b obj) int { return strings.Compare(a.first, b.first) })
	for _, o := range ordered {
		got.WriteString(o.body)
	}
	if got.String() != want.String() {
		t.Fatalf("the objects hold %d bytes, want the %d bytes sent, each record once, in order", got.Len(), want.Len())
	}
	if n := testutil.ToFloat64(s.metrics.records.WithLabelValues("raw")); n != 1000 {
		t.Errorf("records delivered: %v, want 1000", n)
	}
	if n := testutil.ToFloat64(s.metrics.objects.WithLabelValues("raw")); int(n) != len(objs) || n < 2 {
		t.Errorf("objects delivered: %v, want the %d in the bucket (2 or more)", n, len(objs))
	}
}

// TestACrashMidBatchWritesTheSameObjectAgain: a deliverer that stopped
// after recording its next batch, before or after writing its object,
// writes that batch again under the same key on restart: the bucket holds
// each record once, also when an object of the batch was already there.
func TestACrashMidBatchWritesTheSameObjectAgain(t *testing.T) {
	for _, written := range []bool{false, true} {
		t.Run(fmt.Sprintf("object written %v", written), func(t *testing.T) {
			l := streamlogtest.Open(t)
			dir := t.TempDir()
			dest := Destination{BucketARN: "arn:aws:s3:::lake", SizeInMBs: 5, IntervalInSeconds: 0, CompressionFormat: GZIP}
			info := create(t, l, "raw", dest)
			at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
			appendAt(t, l, "raw", at, "r1\n", "r2\n")
			appendAt(t, l, "raw", at.Add(time.Second), "r3\n")
			// The state a crash left: the first two records recorded as
			// the next batch.
			recs, _, err := l.Read(context.Background(), "raw", 0, streamlog.Seq{}, 10)
			if err != nil || len(recs) != 3 {
				t.Fatal(recs, err)
			}
			key, _ := dest.ObjectKey("raw", at, BatchID("raw", info.Created, recs[0].Seq, recs[1].Seq))
			kv, err := l.Bucket(context.Background(), stateBucket)
			if err != nil {
				t.Fatal(err)
			}
			st, _ := json.Marshal(state{Pending: &pending{From: recs[0].Seq, Through: recs[1].Seq, Records: 2, Key: key}})
			if _, err := kv.Create(context.Background(), stateKey(info), st); err != nil {
				t.Fatal(err)
			}
			buckets := s3store.Buckets{Dir: dir}
			if written {
				body, _ := dest.encode(recs[:2])
				if err := buckets.Put(context.Background(), "lake", key, body); err != nil {
					t.Fatal(err)
				}
			}
			s := start(t, l, Options{Buckets: buckets, Poll: 10 * time.Millisecond})
			if err := s.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			objs := dirObjects(t, dir, "lake")
			if len(objs) != 2 || decoded(t, key, objs[key]) != "r1\nr2\n" {
				t.Fatalf("objects %v, want %s holding r1 r2 and another holding r3", sortedKeys(objs), key)
			}
			for k, data := range objs {
				if k != key && decoded(t, k, data) != "r3\n" {
					t.Errorf("%s holds %q", k, decoded(t, k, data))
				}
			}
		})
	}
}

// TestAFailedWriteIsRetried: while the bucket cannot be written (it does
// not exist yet) the deliverer retries, counting failures, and delivers
// once it can.
func TestAFailedWriteIsRetried(t *testing.T) {
	s3srv := s3test.Start(t)
	l := streamlogtest.Open(t)
	create(t, l, "raw", Destination{BucketARN: "arn:aws:s3:::later", SizeInMBs: 5, IntervalInSeconds: 0, CompressionFormat: Uncompressed})
	appendAt(t, l, "raw", time.Now(), "one\n", "two\n")
	s := start(t, l, Options{Buckets: s3store.Buckets{S3: s3store.NewClient(s3srv.Client, s3srv.URL)}, Poll: 10 * time.Millisecond})
	poll.Until(t, 20*time.Second, func() (bool, string) {
		n := testutil.ToFloat64(s.metrics.failures.WithLabelValues("raw"))
		return n >= 2, fmt.Sprintf("%v failures counted", n)
	})
	s3srv.CreateBucket(t, "later")
	poll.Until(t, 30*time.Second, func() (bool, string) {
		objs := s3srv.Objects(t, "later")
		var all string
		for _, data := range objs {
			all += string(data)
		}
		return all == "one\ntwo\n", fmt.Sprintf("the bucket holds %q", all)
	})
}

// TestADeletedStreamStopsDelivering: deleting a delivery stream stops its
// deliverer and drops its checkpoint; a new stream of the same name
// delivers from its own beginning.
func TestADeletedStreamStopsDelivering(t *testing.T) {
	l := streamlogtest.Open(t)
	dir := t.TempDir()
	dest := Destination{BucketARN: "arn:aws:s3:::lake", Prefix: "a/", SizeInMBs: 5, IntervalInSeconds: 0, CompressionFormat: Uncompressed}
	create(t, l, "raw", dest)
	appendAt(t, l, "raw", time.Now(), "first\n")
	s := start(t, l, Options{Buckets: s3store.Buckets{Dir: dir}, Poll: 10 * time.Millisecond})
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.Delete(context.Background(), "raw"); err != nil {
		t.Fatal(err)
	}
	dest.Prefix = "b/"
	create(t, l, "raw", dest)
	appendAt(t, l, "raw", time.Now(), "second\n")
	s.Nudge()
	poll.Until(t, 20*time.Second, func() (bool, string) {
		objs := dirObjects(t, dir, "lake")
		var b []string
		for k, data := range objs {
			if strings.HasPrefix(k, "b/") {
				b = append(b, string(data))
			}
		}
		return len(objs) == 2 && len(b) == 1 && b[0] == "second\n", fmt.Sprintf("objects %v", sortedKeys(objs))
	})
	kv, _ := l.Bucket(context.Background(), stateBucket)
	poll.Until(t, 20*time.Second, func() (bool, string) {
		keys, err := kv.Keys(context.Background())
		return err == nil && len(keys) == 1, fmt.Sprintf("checkpoints %v (%v)", keys, err)
	})
}
