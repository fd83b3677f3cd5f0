package s3delivery

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/s3test"
	"github.com/riffle-sql/riffle/s3store"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// The lab's click, as the Kinesis Data Generator sends it.
const labClick = `{"browseraction":"Click", "site": "yourwebsiteurl.domain.com"}` + "\n"

// benchmarkDelivery measures how fast a delivery stream's backlog of lab
// clicks (b.N of them, stored in batches of 500 as PutRecordBatch stores
// them) reaches its bucket in GZIP objects of the default 5 MB: from the
// deliverer's start to the last object written, records/s.
func benchmarkDelivery(b *testing.B, buckets func(b *testing.B) s3store.Buckets) {
	l := streamlogtest.Open(b)
	name := fmt.Sprintf("raw-%d", b.N)
	create(b, l, name, Destination{BucketARN: "arn:aws:s3:::lake", Prefix: "weblogs/raw/", SizeInMBs: DefaultSizeInMBs,
		IntervalInSeconds: 60, CompressionFormat: GZIP})
	at := time.Now()
	for left := b.N; left > 0; left -= 500 {
		recs := make([]streamlog.Record, min(left, 500))
		for i := range recs {
			recs[i] = streamlog.Record{Data: []byte(labClick), Arrival: at}
		}
		if _, err := l.Append(context.Background(), name, 0, recs); err != nil {
			b.Fatal(err)
		}
	}
	s := start(b, l, Options{Buckets: buckets(b), Poll: 10 * time.Millisecond})
	b.ResetTimer()
	if err := s.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkDeliveryToS3GZIP: to a real S3-compatible server (s3rver).
func BenchmarkDeliveryToS3GZIP(b *testing.B) {
	s3srv := s3test.Start(b, "lake")
	benchmarkDelivery(b, func(*testing.B) s3store.Buckets {
		return s3store.Buckets{S3: s3store.NewClient(s3srv.Client, s3srv.URL)}
	})
}

// BenchmarkDeliveryToDirectoryGZIP: to the buckets directory.
func BenchmarkDeliveryToDirectoryGZIP(b *testing.B) {
	benchmarkDelivery(b, func(b *testing.B) s3store.Buckets { return s3store.Buckets{Dir: b.TempDir()} })
}
