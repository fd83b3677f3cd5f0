package streamlog

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func open(t *testing.T, dir string) *Log {
	t.Helper()
	l, err := Open(context.Background(), Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestAppendReadAndSurviveARestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := open(t, dir)
	if err := l.Create(ctx, "click.stream", "firehose", 2); err != nil {
		t.Fatal(err)
	}
	if err := l.Create(ctx, "click.stream", "firehose", 2); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var want [2][]string
	for b := 0; b < 5; b++ {
		shard := b % 2
		var recs []Record
		for i := 0; i < 3; i++ {
			data := fmt.Sprintf("batch %d record %d", b, i)
			recs = append(recs, Record{Data: []byte(data), PartitionKey: "k", Arrival: at})
			want[shard] = append(want[shard], data)
		}
		seqs, err := l.Append(ctx, "click.stream", shard, recs)
		if err != nil || len(seqs) != 3 || seqs[0].String() >= seqs[2].String() {
			t.Fatalf("append: %v %v", seqs, err)
		}
	}
	check := func(l *Log) {
		t.Helper()
		for shard := range 2 {
			var got []string
			from := Seq{}
			for {
				recs, next, err := l.Read(ctx, "click.stream", shard, from, 4)
				if err != nil {
					t.Fatal(err)
				}
				if len(recs) == 0 {
					break
				}
				for _, r := range recs {
					got = append(got, string(r.Data))
					if !r.Arrival.Equal(at) || r.PartitionKey != "k" {
						t.Fatalf("record %+v lost its arrival or key", r)
					}
				}
				from = next
			}
			if fmt.Sprint(got) != fmt.Sprint(want[shard]) {
				t.Fatalf("shard %d read\n%v\nwant\n%v", shard, got, want[shard])
			}
		}
	}
	check(l)
	l.Close()
	l = open(t, dir) // the same directory: everything acknowledged is there
	defer l.Close()
	check(l)
	info, err := l.Describe(ctx, "click.stream")
	if err != nil || info.Shards != 2 || info.Kind != "firehose" || info.Name != "click.stream" {
		t.Fatalf("describe: %+v %v", info, err)
	}
	list, err := l.List(ctx, "firehose")
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	if err := l.Delete(ctx, "click.stream"); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		l.Delete(ctx, "click.stream"),
		func() error { _, err := l.Describe(ctx, "click.stream"); return err }(),
		func() error { _, err := l.Append(ctx, "click.stream", 0, []Record{{Data: []byte("x")}}); return err }(),
		func() error { _, _, err := l.Read(ctx, "click.stream", 0, Seq{}, 1); return err }(),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("on a deleted stream: %v, want ErrNotFound", err)
		}
	}
}

func TestSeqTextSortsAndParses(t *testing.T) {
	a, b := Seq{Msg: 9, Index: 2}, Seq{Msg: 10, Index: 0}
	if a.String() >= b.String() {
		t.Fatalf("%s sorts after %s", a, b)
	}
	if p, err := ParseSeq(b.String()); err != nil || p != b {
		t.Fatalf("ParseSeq(%s) = %v, %v", b, p, err)
	}
	if _, err := ParseSeq("12x"); err == nil {
		t.Fatal("a bad sequence number parsed")
	}
}

func FuzzDecodeBatch(f *testing.F) {
	one := []Record{{Data: []byte("a"), PartitionKey: "p", Arrival: time.UnixMilli(5)}}
	f.Add(encodeBatch(one, 0, 1, nil))
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, _, err := decodeBatch(b, 1, false)
		if err == nil {
			again, _, err := decodeBatch(encodeBatch(recs, 0, len(recs), nil), 1, false)
			if err != nil || len(again) != len(recs) {
				t.Fatalf("round trip of %d records: %v", len(recs), err)
			}
		}
	})
}

// FuzzDecodeBatch2: a batch of format 2 (records with their data in parts)
// reads back as it was written, and any bytes decode or fail without a
// panic, never claiming a record of more than maxPartedSize in parts.
func FuzzDecodeBatch2(f *testing.F) {
	recs := []Record{{Data: []byte("a"), PartitionKey: "p", Arrival: time.UnixMilli(5)}, {Data: make([]byte, 3000), PartitionKey: "q"}}
	good := encodeBatch(recs, 0, 2, map[int][]uint64{1: {7, 8, 9}})
	got, refs, err := decodeBatch(good, 10, true)
	if err != nil || len(got) != 2 || string(got[0].Data) != "a" || got[1].PartitionKey != "q" || got[1].Seq != (Seq{Msg: 10, Index: 1}) ||
		len(refs) != 1 || refs[1].size != 3000 || fmt.Sprint(refs[1].parts) != "[7 8 9]" {
		f.Fatalf("round trip: %+v %+v %v", got, refs, err)
	}
	f.Add(good)
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, refs, err := decodeBatch(b, 1, true)
		if err != nil {
			return
		}
		for i, rf := range refs {
			if i >= len(recs) || len(rf.parts) == 0 || rf.size > maxPartedSize || recs[i].Data != nil {
				t.Fatalf("record %d of %d: %d parts for %d bytes, data %d bytes", i, len(recs), len(rf.parts), rf.size, len(recs[i].Data))
			}
		}
	})
}

// TestSplitKeepsEachMessageUnderItsBudget: a batch is split into runs of
// records in order, each message's records within the budget, a record
// too large for one alone out of line, and the same records always split
// the same way (a retry's messages are the first attempt's).
func TestSplitKeepsEachMessageUnderItsBudget(t *testing.T) {
	var recs []Record
	for i := range 300 {
		recs = append(recs, Record{Data: make([]byte, (i*7919)%40_000), PartitionKey: "key"})
	}
	recs[17].Data = make([]byte, 250_000)
	const budget = 100_000
	msgs, err := split(recs, budget)
	if err != nil {
		t.Fatal(err)
	}
	next := 0
	for k, m := range msgs {
		if m.from != next || m.to <= m.from {
			t.Fatalf("message %d holds records [%d, %d), want from %d", k, m.from, m.to, next)
		}
		next = m.to
		parts := map[int][]uint64{}
		for i := range m.outOfLine {
			parts[i] = make([]uint64, partCount(len(recs[i].Data), budget))
			for j := range parts[i] {
				parts[i][j] = 1 << 62 // the longest a sequence can be here
			}
		}
		if len(parts) == 0 {
			parts = nil // format 1
		}
		if size := len(encodeBatch(recs, m.from, m.to, parts)); size > budget {
			t.Fatalf("message %d: %d bytes, over the budget of %d", k, size, budget)
		}
	}
	if next != len(recs) {
		t.Fatalf("the messages hold %d of %d records", next, len(recs))
	}
	out := 0
	for _, m := range msgs {
		out += len(m.outOfLine)
		if m.from <= 17 && 17 < m.to && !m.outOfLine[17] {
			t.Errorf("record 17 of 250,000 bytes is in line in a message of %d bytes at most", budget)
		}
	}
	if out != 1 {
		t.Errorf("%d records out of line, want only the one too large for a message", out)
	}
	again, _ := split(recs, budget)
	if fmt.Sprint(again) != fmt.Sprint(msgs) {
		t.Error("the same records split differently")
	}
}

// TestMetadataLivesWithItsStream: what a stream is created with comes back
// from Describe and List, after a restart too, and goes with the stream:
// a stream of the same name created again has none.
func TestMetadataLivesWithItsStream(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := open(t, dir)
	if err := l.CreateWith(ctx, "raw", "firehose", 1, map[string]string{"destination": `{"Bucket":"b"}`}); err != nil {
		t.Fatal(err)
	}
	if err := l.Create(ctx, "plain", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l = open(t, dir)
	defer l.Close()
	info, err := l.Describe(ctx, "raw")
	if err != nil || info.Metadata["destination"] != `{"Bucket":"b"}` || len(info.Metadata) != 1 {
		t.Fatalf("Describe: %+v %v", info, err)
	}
	infos, err := l.List(ctx, "firehose")
	if err != nil || len(infos) != 2 || infos[0].Metadata != nil || infos[1].Metadata["destination"] != `{"Bucket":"b"}` {
		t.Fatalf("List: %+v %v", infos, err)
	}
	if err := l.Delete(ctx, "raw"); err != nil {
		t.Fatal(err)
	}
	if err := l.Create(ctx, "raw", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	if info, err := l.Describe(ctx, "raw"); err != nil || info.Metadata != nil {
		t.Fatalf("a new stream of the same name: %+v %v", info, err)
	}
}
