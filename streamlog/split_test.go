package streamlog_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// record is a test record whose data starts with its number.
func record(n, size int) streamlog.Record {
	head := fmt.Sprintf("%06d ", n)
	return streamlog.Record{Data: append([]byte(head), bytes.Repeat([]byte{byte('a' + n%26)}, size-len(head))...), PartitionKey: fmt.Sprint("key", n)}
}

// readAll reads a shard page by page (max records a call, maxBytes) and
// checks each record is the one appended with that sequence, in order.
func readAll(t *testing.T, l *streamlog.Log, name string, max, maxBytes int, want []streamlog.Record, seqs []streamlog.Seq) {
	t.Helper()
	var got []streamlog.Record
	from := streamlog.Seq{}
	for calls := 0; ; calls++ {
		if calls > len(want)+1 {
			t.Fatalf("%d reads returned %d of %d records", calls, len(got), len(want))
		}
		recs, next, err := l.ReadBytes(context.Background(), name, 0, from, max, maxBytes)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		got = append(got, recs...)
		from = next
	}
	if len(got) != len(want) {
		t.Fatalf("read %d records, appended %d", len(got), len(want))
	}
	for i, r := range got {
		if !bytes.Equal(r.Data, want[i].Data) || r.PartitionKey != want[i].PartitionKey || r.Seq != seqs[i] {
			t.Fatalf("record %d read back as %.12q… (%d bytes, key %s, sequence %s), appended as %.12q… (%d bytes, key %s, sequence %s)",
				i, r.Data, len(r.Data), r.PartitionKey, r.Seq, want[i].Data, len(want[i].Data), want[i].PartitionKey, seqs[i])
		}
	}
}

// TestBatchesLargerThanTheMaxPayloadAreStoredWhole: on a nats-server with
// its default 1 MiB max_payload, a batch of 500 records and 5 MiB, a
// record of 1 MiB with its key, and a record of 3 MiB among small ones are
// stored and read back whole, in order, with the sequence numbers the
// appends returned; reads that stop at a byte bound go on from where they
// stopped. So they are on a cluster of three, whose streams of three
// replicas are read through JetStream's JSON API (no direct gets).
func TestBatchesLargerThanTheMaxPayloadAreStoredWhole(t *testing.T) {
	t.Run("one server", func(t *testing.T) { storedWhole(t, streamlog.Config{URL: natstest.Start(t)}) })
	t.Run("a cluster", func(t *testing.T) {
		storedWhole(t, streamlog.Config{URL: natstest.StartCluster(t, 3).URL(), Replicas: 3})
	})
}

func storedWhole(t *testing.T, cfg streamlog.Config) {
	ctx := context.Background()
	l := streamlogtest.OpenConfig(t, cfg, streamlogtest.Stream{Name: "big", Kind: "kinesis", Shards: 1})
	if l.MaxPayload() != 1<<20 {
		t.Fatalf("max_payload %d, want nats-server's default 1 MiB", l.MaxPayload())
	}
	var batches [][]streamlog.Record
	var b []streamlog.Record
	for i := range 500 {
		b = append(b, record(i, 5<<20/500-8))
	}
	batches = append(batches, b)
	one := record(500, 1<<20-len("key500"))
	batches = append(batches, []streamlog.Record{one})
	batches = append(batches, []streamlog.Record{record(501, 10), record(502, 3<<20), record(503, 10), record(504, 900_000), record(505, 900_000)})
	batches = append(batches, []streamlog.Record{record(506, 10)})
	var want []streamlog.Record
	var seqs []streamlog.Seq
	for _, b := range batches {
		got, err := l.Append(ctx, "big", 0, b)
		if err != nil {
			t.Fatalf("append %d records: %v", len(b), err)
		}
		if len(got) != len(b) {
			t.Fatalf("append of %d records returned %d sequence numbers", len(b), len(got))
		}
		want = append(want, b...)
		seqs = append(seqs, got...)
	}
	for i := 1; i < len(seqs); i++ {
		if !seqs[i-1].Before(seqs[i]) {
			t.Fatalf("sequence %d (%s) is not after sequence %d (%s)", i, seqs[i], i-1, seqs[i-1])
		}
	}
	readAll(t, l, "big", 10000, 0, want, seqs)
	readAll(t, l, "big", 7, 0, want, seqs)
	readAll(t, l, "big", 10000, 1, want, seqs) // one record a read
}

// TestARetriedSplitAppendIsStoredOnce: the same batch appended twice with
// the same id answers the same sequence numbers and stores nothing more.
func TestARetriedSplitAppendIsStoredOnce(t *testing.T) {
	ctx := context.Background()
	l := streamlogtest.OpenConfig(t, streamlog.Config{URL: natstest.Start(t)}, streamlogtest.Stream{Name: "s", Kind: "kinesis", Shards: 1})
	var recs []streamlog.Record
	for i := range 4 {
		recs = append(recs, record(i, 1<<20))
	}
	first, err := l.AppendOnce(ctx, "s", 0, "request-1", recs)
	if err != nil {
		t.Fatal(err)
	}
	last, err := l.Last(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	again, err := l.AppendOnce(ctx, "s", 0, "request-1", recs)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(again) != fmt.Sprint(first) {
		t.Fatalf("the retry answered %v, the first append %v", again, first)
	}
	if now, err := l.Last(ctx, "s"); err != nil || now != last {
		t.Fatalf("the retry stored more: last message %d (%v), was %d", now, err, last)
	}
	readAll(t, l, "s", 100, 0, recs, first)
}

// TestASplitAppendCutShortAnswersWhatItStored: when the stream refuses a
// batch's later messages, the append fails and returns the sequence
// numbers of the first records, those stored, which a read finds.
func TestASplitAppendCutShortAnswersWhatItStored(t *testing.T) {
	ctx := context.Background()
	url := natstest.Start(t)
	l := streamlogtest.OpenConfig(t, streamlog.Config{URL: url}, streamlogtest.Stream{Name: "s", Kind: "kinesis", Shards: 1})
	natstest.CapBytes(t, natstest.JetStream(t, url), "rf_s", 5<<20/2) // room for about half
	var recs []streamlog.Record
	for i := range 500 {
		recs = append(recs, record(i, 5<<20/500-8))
	}
	seqs, err := l.Append(ctx, "s", 0, recs)
	if err == nil {
		t.Fatalf("5 MiB appended to a stream limited to 2.5 MiB")
	}
	if len(seqs) == 0 || len(seqs) >= len(recs) {
		t.Fatalf("%d of %d records stored (%v), want some but not all", len(seqs), len(recs), err)
	}
	readAll(t, l, "s", 10000, 0, recs[:len(seqs)], seqs)
}

// TestARecordWhosePartsAreGoneIsSkipped: a record stored in parts whose
// part is no longer stored (expired just before its batch, or lost) is
// left out of reads; the batch's other records are read, and reading
// goes on past it.
func TestARecordWhosePartsAreGoneIsSkipped(t *testing.T) {
	ctx := context.Background()
	url := natstest.Start(t)
	l := streamlogtest.OpenConfig(t, streamlog.Config{URL: url}, streamlogtest.Stream{Name: "s", Kind: "kinesis", Shards: 1})
	recs := []streamlog.Record{record(0, 10), record(1, 3<<20), record(2, 10)}
	seqs, err := l.Append(ctx, "s", 0, recs)
	if err != nil {
		t.Fatal(err)
	}
	after, err := l.Append(ctx, "s", 0, []streamlog.Record{record(3, 10)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := natstest.JetStream(t, url).Stream(ctx, "rf_s")
	if err != nil {
		t.Fatal(err)
	}
	part, err := s.GetMsg(ctx, 1)
	if err != nil || part.Subject != "rf.s.part" || part.Sequence >= seqs[0].Msg {
		t.Fatalf("message 1: %+v %v, want the big record's first part, stored before its batch", part, err)
	}
	if err := s.DeleteMsg(ctx, 1); err != nil {
		t.Fatal(err)
	}
	readAll(t, l, "s", 100, 0, []streamlog.Record{recs[0], recs[2], record(3, 10)}, []streamlog.Seq{seqs[0], seqs[2], after[0]})
}
