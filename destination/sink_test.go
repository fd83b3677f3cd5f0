package destination

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// TestAStreamSinkSendStoredInPartCountsWhatWasStored: on a nats-server
// with its default 1 MiB max_payload, an output's batch of 4 MB to a
// stream is stored in several messages; when the stream refuses the later
// ones (JetStream's byte limit on it), the send reports the records
// stored as delivered and only the others as to send again, so none is
// stored twice.
func TestAStreamSinkSendStoredInPartCountsWhatWasStored(t *testing.T) {
	ctx := context.Background()
	url := natstest.Start(t)
	l := streamlogtest.OpenConfig(t, streamlog.Config{URL: url}, streamlogtest.Stream{Name: "out", Kind: "kinesis", Shards: 1})
	natstest.CapBytes(t, natstest.JetStream(t, url), "rf_out", 2<<20) // room for about half the batch
	sink := &StreamSink{Log: l, Name: "out", Kind: "kinesis"}
	var batch []Record
	for i := range 400 {
		batch = append(batch, Record{Data: fmt.Appendf(bytes.Repeat([]byte("x"), 10_000), "%d", i), ID: "id"})
	}
	ok, err := sink.Send(ctx, batch)
	if err != nil {
		t.Fatalf("a send stored in part: %v, want which records were stored", err)
	}
	delivered := 0
	for _, o := range ok {
		if o {
			delivered++
		}
	}
	if delivered == 0 || delivered == len(batch) {
		t.Fatalf("%d of %d records delivered, want some but not all", delivered, len(batch))
	}
	recs, _, err := l.Read(ctx, "out", 0, streamlog.Seq{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != delivered {
		t.Fatalf("the stream holds %d records, the send reported %d delivered", len(recs), delivered)
	}
	for i, r := range recs {
		if !ok[i] || !bytes.Equal(r.Data, batch[i].Data) {
			t.Fatalf("stored record %d is not the batch's record %d reported delivered", i, i)
		}
	}
}
