package generator

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/riffle-sql/riffle/ingest"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// BenchmarkSendToServe measures the generator's top rate: senders with no
// rate limit (as fast as the target takes them) rendering a lab template
// and sending 500-record PutRecordBatch calls over loopback HTTP to the
// ingest API, which answers once the records are stored (embedded
// JetStream). b.N records in all, split over the senders.
func BenchmarkSendToServe(b *testing.B) {
	ctx := context.Background()
	l := streamlogtest.Open(b)
	h, err := ingest.Handler(ctx, l, ingest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	streams := 0 // each run gets a stream of its own
	for _, senders := range []int{1, 4} {
		b.Run(fmt.Sprintf("senders=%d", senders), func(b *testing.B) {
			streams++
			name := fmt.Sprintf("bench%d", streams)
			if err := l.Create(ctx, name, "firehose", 1); err != nil {
				b.Fatal(err)
			}
			target, err := NewStreamTarget(ctx, StreamConfig{Name: name, Kind: "firehose", Endpoint: srv.URL, Region: "us-east-1"})
			if err != nil {
				b.Fatal(err)
			}
			var s Scenario
			for i := range senders {
				s.Senders = append(s.Senders, Sender{Name: fmt.Sprint(i), Template: `{"browseraction":"{{random.arrayElement(["Click","Impression"])}}", "site": "yourwebsiteurl.domain.com", "id": "{{random.uuid}}"}`,
					Count: max(1, b.N/senders)})
			}
			b.ResetTimer()
			run, err := Start(ctx, s, Options{Target: target})
			if err != nil {
				b.Fatal(err)
			}
			<-run.Done()
			b.StopTimer()
			if _, acked, failed := run.Totals(); failed > 0 || acked != int64(max(1, b.N/senders)*senders) {
				b.Fatalf("acknowledged %d, failed %d", acked, failed)
			}
			b.ReportMetric(float64(max(1, b.N/senders)*senders)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
