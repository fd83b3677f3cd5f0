package destination

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkLambdaDelivery measures output rows delivered per second to a
// local Lambda-compatible endpoint that acknowledges every record at once.
// Rows are the lab's (CTRPERCENT, ANOMALY_SCORE) in JSON; rows handed over
// together (a window's, or what piled up) go in batches under the 6 MB
// payload limit, as the service forms them. perFlush is how many rows the
// application hands over at a time.
func BenchmarkLambdaDelivery(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e Event
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp := Response{Records: make([]Result, len(e.Records))}
		for i, rec := range e.Records {
			resp.Records[i] = Result{RecordID: rec.RecordID, Result: Ok}
		}
		json.NewEncoder(w).Encode(resp)
	}))
	defer srv.Close()
	for _, perFlush := range []int{1, 100, 10000} {
		b.Run(fmt.Sprintf("perFlush=%d", perFlush), func(b *testing.B) {
			f, err := NewHTTPFunction(srv.URL, nil)
			if err != nil {
				b.Fatal(err)
			}
			sink := &LambdaSink{Function: f, Name: "bench", ApplicationARN: "arn:aws:kinesisanalytics:us-east-1:000000000000:application/bench"}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			d, err := New(ctx, Config{Sink: sink, IDKey: "bench", MinInterval: time.Nanosecond, MaxQueue: 1 << 30})
			if err != nil {
				b.Fatal(err)
			}
			go d.Run(ctx)
			row := []byte(`{"CTRPERCENT":400,"ANOMALY_SCORE":3.5123456789}`)
			b.ResetTimer()
			for i := range b.N {
				d.Add(row)
				if (i+1)%perFlush == 0 {
					d.Flush()
				}
			}
			d.Flush()
			d.Drain(context.Background())
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
