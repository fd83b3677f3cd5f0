package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// answers keeps the body of every answer an SDK client gets, by operation,
// to read what the SDK's types leave out (Riffle's extension fields).
type answers struct {
	mu   sync.Mutex
	last map[string][]byte
}

func (a *answers) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	a.mu.Lock()
	defer a.mu.Unlock()
	_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	a.last[op] = body
	return resp, nil
}

// lostData is the RiffleLostData of the last answer to op, under the
// description's field (nil when absent).
func (a *answers) lostData(t *testing.T, op, description string) map[string]any {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	var out map[string]map[string]any
	if err := json.Unmarshal(a.last[op], &out); err != nil {
		t.Fatalf("%s answered %s: %v", op, a.last[op], err)
	}
	lost, _ := out[description]["RiffleLostData"].(map[string]any)
	return lost
}

// TestALossIsShownByTheDescribeAnswersAndTheMetric: after garbage in the
// block files of a delivery stream and a data stream while the server is
// down, DescribeDeliveryStream, DescribeStream and DescribeStreamSummary
// (through the AWS SDK) carry RiffleLostData with the batches lost and
// the sequence numbers they held, the metric riffle_stream_lost_batches
// counts them, and both are clear once the loss is acknowledged. A sound
// stream shows nothing and counts 0.
func TestALossIsShownByTheDescribeAnswersAndTheMetric(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := streamlog.Config{Dir: dir, Logger: slog.New(slog.DiscardHandler)}
	l, err := streamlog.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct{ name, kind string }{{"fh", firehoseKind}, {"ks", kinesisKind}, {"sound", kinesisKind}} {
		if err := l.Create(ctx, s.name, s.kind, 1); err != nil {
			t.Fatal(err)
		}
		for b := range 2000 {
			recs := make([]streamlog.Record, 88)
			for i := range recs {
				recs[i] = streamlog.Record{Data: fmt.Appendf(nil, "%010d", b*100+i), PartitionKey: "p", Arrival: time.Now()}
			}
			if _, err := l.Append(ctx, s.name, 0, recs); err != nil {
				t.Fatal(err)
			}
		}
	}
	l.Close()
	for _, name := range []string{"fh", "ks"} {
		streamlogtest.Damage(t, dir, name)
	}

	l, err = streamlog.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	reg := prometheus.NewRegistry()
	h, err := Handler(ctx, l, Options{Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	seen := &answers{last: map[string][]byte{}}
	fh := firehose.New(firehoseClient(srv.URL).Options(), func(o *firehose.Options) { o.HTTPClient = &http.Client{Transport: seen} })
	kc := kinesis.New(kinesisClient(srv.URL).Options(), func(o *kinesis.Options) { o.HTTPClient = &http.Client{Transport: seen} })

	// What each stream lost, from what is left of it.
	want := map[string]map[string]any{}
	for _, name := range []string{"fh", "ks"} {
		recs, _, err := l.Read(ctx, name, 0, streamlog.Seq{}, 200_000)
		if err != nil {
			t.Fatal(err)
		}
		left := recs[len(recs)-1].Seq.Msg
		if left >= 2000 || len(recs) != int(left)*88 {
			t.Fatalf("%s: %d records left, up to batch %d: not the cut-short stream this test is about", name, len(recs), left)
		}
		want[name] = map[string]any{
			"Batches":             float64(2000 - left),
			"FirstSequenceNumber": streamlog.Seq{Msg: left + 1}.String(),
			"LastSequenceNumber":  streamlog.Seq{Msg: 2000, Index: 999_999}.String(),
		}
	}
	check := func(op, description string, got map[string]any, want map[string]any) {
		t.Helper()
		if want == nil {
			if got != nil {
				t.Errorf("%s: RiffleLostData %v, want none", op, got)
			}
			return
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: RiffleLostData %v, want %s %v", op, got, k, v)
			}
		}
		if ts, _ := got["DetectedTimestamp"].(float64); ts <= 0 {
			t.Errorf("%s: RiffleLostData %v without a DetectedTimestamp", op, got)
		}
	}
	describeAll := func(wantFH, wantKS, wantSound map[string]any) {
		t.Helper()
		if _, err := fh.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("fh")}); err != nil {
			t.Fatal(err)
		}
		check("DescribeDeliveryStream", "DeliveryStreamDescription", seen.lostData(t, "DescribeDeliveryStream", "DeliveryStreamDescription"), wantFH)
		for _, s := range []struct {
			name string
			want map[string]any
		}{{"ks", wantKS}, {"sound", wantSound}} {
			if _, err := kc.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(s.name)}); err != nil {
				t.Fatal(err)
			}
			check("DescribeStream "+s.name, "StreamDescription", seen.lostData(t, "DescribeStream", "StreamDescription"), s.want)
			if _, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(s.name)}); err != nil {
				t.Fatal(err)
			}
			check("DescribeStreamSummary "+s.name, "StreamDescriptionSummary", seen.lostData(t, "DescribeStreamSummary", "StreamDescriptionSummary"), s.want)
		}
	}
	metric := func(fh, ks any) string {
		return fmt.Sprintf(`# HELP riffle_stream_lost_batches Batches (each one request's records for a shard) that a stream's storage lost and no one has acknowledged yet.
# TYPE riffle_stream_lost_batches gauge
riffle_stream_lost_batches{stream="fh"} %v
riffle_stream_lost_batches{stream="ks"} %v
riffle_stream_lost_batches{stream="sound"} 0
`, fh, ks)
	}

	describeAll(want["fh"], want["ks"], nil)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(metric(want["fh"]["Batches"], want["ks"]["Batches"])), "riffle_stream_lost_batches"); err != nil {
		t.Error(err)
	}
	for _, name := range []string{"fh", "ks"} {
		if _, err := l.Acknowledge(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	describeAll(nil, nil, nil)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(metric(0, 0)), "riffle_stream_lost_batches"); err != nil {
		t.Error(err)
	}
}
