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
	f.Add(encodeBatch([]Record{{Data: []byte("a"), PartitionKey: "p", Arrival: time.UnixMilli(5)}}))
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := decodeBatch(b, 1)
		if err == nil {
			again, err := decodeBatch(encodeBatch(recs), 1)
			if err != nil || len(again) != len(recs) {
				t.Fatalf("round trip of %d records: %v", len(recs), err)
			}
		}
	})
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
