package streamlog_test

import (
	"context"
	"errors"
	"testing"

	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// TestKeyValueWritesCompareAndSetOnRevisions: two writers that read the
// same revision cannot both write: the second learns it lost, and so does
// a delete at a stale revision.
func TestKeyValueWritesCompareAndSetOnRevisions(t *testing.T) {
	ctx := context.Background()
	l := streamlogtest.Open(t)
	kv, err := l.Bucket(ctx, "cas")
	if err != nil {
		t.Fatal(err)
	}
	rev, err := kv.Create(ctx, "app", []byte("v1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(ctx, "app", []byte("again")); !errors.Is(err, streamlog.ErrExists) {
		t.Fatalf("a second create: %v, want ErrExists", err)
	}
	first, err := kv.Update(ctx, "app", []byte("v2 by the first"), rev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Update(ctx, "app", []byte("v2 by the second"), rev); !errors.Is(err, streamlog.ErrConflict) {
		t.Fatalf("an update at a stale revision: %v, want ErrConflict", err)
	}
	value, at, err := kv.Entry(ctx, "app")
	if err != nil || string(value) != "v2 by the first" || at != first {
		t.Fatalf("Entry = %q at %d (%v), want the first writer's value at %d", value, at, err, first)
	}
	if err := kv.DeleteAt(ctx, "app", rev); !errors.Is(err, streamlog.ErrConflict) {
		t.Fatalf("a delete at a stale revision: %v, want ErrConflict", err)
	}
	if err := kv.DeleteAt(ctx, "app", first); err != nil {
		t.Fatal(err)
	}
	if _, _, err := kv.Entry(ctx, "app"); !errors.Is(err, streamlog.ErrNotFound) {
		t.Fatalf("after the delete: %v, want ErrNotFound", err)
	}
	if _, err := kv.Create(ctx, "app", []byte("anew")); err != nil {
		t.Fatalf("create after a delete: %v", err)
	}
}
