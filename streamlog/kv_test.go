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

// TestKeyValueEntriesAndWatch: Entries lists each key's current value and
// revision (not deleted keys, not older values); Watch reports the writes
// made after it started, deletions too, in order, and ends with its
// context.
func TestKeyValueEntriesAndWatch(t *testing.T) {
	ctx := context.Background()
	l := streamlogtest.Open(t)
	kv, err := l.Bucket(ctx, "listed")
	if err != nil {
		t.Fatal(err)
	}
	if all, err := kv.Entries(ctx); err != nil || len(all) != 0 {
		t.Fatalf("Entries of an empty bucket: %v (%v)", all, err)
	}
	a1, _ := kv.Create(ctx, "a", []byte("a1"))
	a2, err := kv.Update(ctx, "a", []byte("a2"), a1)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := kv.Create(ctx, "b", []byte("b1"))
	kv.Create(ctx, "gone", []byte("x"))
	if err := kv.Delete(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	all, err := kv.Entries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || string(all["a"].Value) != "a2" || all["a"].Revision != a2 || string(all["b"].Value) != "b1" || all["b"].Revision != b1 {
		t.Fatalf("Entries = %+v, want a2 at %d and b1 at %d", all, a2, b1)
	}

	watchCtx, stop := context.WithCancel(ctx)
	seen, err := kv.Watch(watchCtx)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := kv.Update(ctx, "b", []byte("b2"), b1)
	kv.Delete(ctx, "a")
	for _, want := range []streamlog.KVEntry{{Key: "b", Value: []byte("b2"), Revision: b2}, {Key: "a", Deleted: true}} {
		got := <-seen
		if got.Key != want.Key || got.Deleted != want.Deleted || !want.Deleted && (string(got.Value) != string(want.Value) || got.Revision != want.Revision) {
			t.Fatalf("watched %+v, want %+v", got, want)
		}
	}
	stop()
	for range seen { // it closes
	}
}
