package streamlog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/streamlog"
)

// TestAFullStoreRefusesAppendsYetOpensAndReads: once the store limit is
// reached an append fails with ErrStorageFull; the log opens again on the
// full store, reads every acknowledged record and its buckets, and still
// refuses appends; with room again (a higher limit) it appends.
func TestAFullStoreRefusesAppendsYetOpensAndReads(t *testing.T) {
	ctx := context.Background()
	cfg := streamlog.Config{Dir: t.TempDir(), MaxStore: 256 << 10, Logger: slog.New(slog.DiscardHandler)}
	l, err := streamlog.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Create(ctx, "s", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	kv, err := l.Bucket(ctx, "state")
	if err != nil {
		t.Fatal(err)
	}
	if err := kv.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	var acked []string
	for {
		data := fmt.Sprintf("%06d%s", len(acked), bytes.Repeat([]byte("x"), 50_000))
		_, err := l.Append(ctx, "s", 0, []streamlog.Record{{Data: []byte(data), Arrival: time.Now()}})
		if errors.Is(err, streamlog.ErrStorageFull) {
			break
		}
		if err != nil {
			t.Fatalf("append %d: %v, want ErrStorageFull once the store is full", len(acked), err)
		}
		if acked = append(acked, data); len(acked) > 10 {
			t.Fatalf("%d records of 50 KB stored under a 256 KiB limit", len(acked))
		}
	}
	l.Close()

	l, err = streamlog.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("opening a full store: %v", err)
	}
	recs, _, err := l.Read(ctx, "s", 0, streamlog.Seq{}, 100)
	if err != nil || len(recs) != len(acked) {
		t.Fatalf("read %d records (%v) on the full store, want the %d acknowledged", len(recs), err, len(acked))
	}
	for i, r := range recs {
		if string(r.Data) != acked[i] {
			t.Fatalf("record %d differs", i)
		}
	}
	if kv, err = l.Bucket(ctx, "state"); err != nil {
		t.Fatalf("opening a bucket on the full store: %v", err)
	}
	if v, err := kv.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("bucket value %q (%v)", v, err)
	}
	if _, err := l.Append(ctx, "s", 0, []streamlog.Record{{Data: []byte("more")}}); !errors.Is(err, streamlog.ErrStorageFull) {
		t.Fatalf("append on the reopened full store: %v, want ErrStorageFull", err)
	}
	l.Close()

	cfg.MaxStore = 0
	l, err = streamlog.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Append(ctx, "s", 0, []streamlog.Record{{Data: []byte("more")}}); err != nil {
		t.Fatalf("append with room again: %v", err)
	}
}
