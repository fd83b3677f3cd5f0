package streamlog_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/riffle-sql/riffle/internal/natstest"
	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// TestObjectsHoldValuesLargerThanAMessage: on a nats-server with its
// default 1 MiB max_payload, a 3 MiB value does not fit a key-value bucket
// but goes whole into an object bucket, is replaced whole, and is deleted.
func TestObjectsHoldValuesLargerThanAMessage(t *testing.T) {
	ctx := context.Background()
	l := streamlogtest.OpenConfig(t, streamlog.Config{URL: natstest.Start(t)})
	big := bytes.Repeat([]byte("forest "), 3<<20/7)
	kv, err := l.Bucket(ctx, "small")
	if err != nil {
		t.Fatal(err)
	}
	if err := kv.Put(ctx, "ckpt", big); err == nil {
		t.Fatal("a 3 MiB value fit a key-value bucket: the server's max_payload is not the default")
	}
	objs, err := l.ObjectBucket(ctx, "large")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := objs.Get(ctx, "ckpt"); !errors.Is(err, streamlog.ErrNotFound) {
		t.Fatalf("an absent value: %v, want ErrNotFound", err)
	}
	for _, v := range [][]byte{big, append(bytes.Clone(big), "and more"...)} {
		if err := objs.Put(ctx, "ckpt", v); err != nil {
			t.Fatal(err)
		}
		got, err := objs.Get(ctx, "ckpt")
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("read back %d bytes (%v), wrote %d", len(got), err, len(v))
		}
	}
	if err := objs.Delete(ctx, "ckpt"); err != nil {
		t.Fatal(err)
	}
	if _, err := objs.Get(ctx, "ckpt"); !errors.Is(err, streamlog.ErrNotFound) {
		t.Fatalf("after Delete: %v", err)
	}
	if err := objs.Delete(ctx, "ckpt"); err != nil {
		t.Errorf("deleting an absent value: %v", err)
	}
}
