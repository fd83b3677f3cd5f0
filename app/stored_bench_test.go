package app

import (
	"context"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// BenchmarkStoredInput measures a running application alone: the lab SQL
// over records already stored (arrivals an hour ago, so none waits for the
// watermark), from TRIM_HORIZON until every record is read, with no tap
// watching and with a follower on every stream.
func BenchmarkStoredInput(b *testing.B) {
	for _, watched := range []bool{false, true} {
		name := "unwatched"
		if watched {
			name = "watched"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			l := streamlogtest.Open(b, streamlogtest.Stream{Name: "stored", Kind: "kinesis", Shards: 1})
			from := time.Now().Add(-time.Hour)
			batch := make([]streamlog.Record, 0, 500)
			for i := range b.N {
				action := "Impression"
				if i%2 == 1 {
					action = "Click"
				}
				batch = append(batch, streamlog.Record{Data: []byte(`{"browseraction":"` + action + `","site":"yourwebsiteurl.domain.com"}`),
					Arrival: from.Add(time.Duration(i) * time.Millisecond)})
				if len(batch) == cap(batch) || i == b.N-1 {
					if _, err := l.Append(ctx, "stored", 0, batch); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
			m, err := NewManager(ctx, l, Options{Poll: 10 * time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			in := Input{NamePrefix: "SOURCE_SQL_STREAM", Source: "stored", Kind: "kinesis", Schema: labSchema, Parallelism: 1}
			start := startTimed(b, m, in)
			if watched {
				streams, err := m.Streams(context.Background(), "lab")
				if err != nil {
					b.Fatal(err)
				}
				for _, s := range streams {
					_, rows, cancel, err := m.Tap(context.Background(), "lab", s)
					if err != nil {
						b.Fatal(err)
					}
					defer cancel()
					go func() {
						for range rows { // a follower that keeps up
						}
					}()
				}
			}
			reportRead(b, m, start)
		})
	}
}

// startTimed creates the application "lab", the lab's SQL on in, resets
// the timer and starts it from TRIM_HORIZON; it returns when the timing
// began.
func startTimed(b *testing.B, m *Manager, in Input) time.Time {
	b.Helper()
	ctx := context.Background()
	if _, err := m.Create(ctx, Application{Name: "lab", Code: labSQL(b), Inputs: []Input{in}}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	if err := m.Start(ctx, "lab", TrimHorizon); err != nil {
		b.Fatal(err)
	}
	return start
}

// reportRead waits until the application "lab" has read b.N records, stops
// the timer and reports records read a second since start.
func reportRead(b *testing.B, m *Manager, start time.Time) {
	b.Helper()
	for {
		n, err := m.RecordsRead("lab")
		if err != nil {
			b.Fatal(err)
		}
		if n >= int64(b.N) {
			break
		}
		time.Sleep(time.Millisecond) // polling for the end of the measured work
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
}
