package awskinesis

import (
	"testing"
	"time"
)

// TestAClosedShardHoldsTheWatermarkUntilItsChildrenAreRead: after a split,
// the parent is read to its end before the children are listed; records
// put into the children meanwhile arrived after the parent's mark, so the
// watermark stays there (an open sibling further on does not move it)
// until a child is being read, which then holds it itself.
func TestAClosedShardHoldsTheWatermarkUntilItsChildrenAreRead(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	parent := &shard{id: "shardId-000000000000", running: true, ended: true, mark: t0}
	sibling := &shard{id: "shardId-000000000001", running: true, mark: t0.Add(30 * time.Second)}
	r := &Reader{shards: []*shard{parent, sibling}, byID: map[string]*shard{parent.id: parent, sibling.id: sibling}}
	if mark, ok := r.Watermark(); !ok || !mark.Equal(t0) {
		t.Fatalf("children not listed: watermark %v (ok %v), want the closed parent's mark %v", mark, ok, t0)
	}
	child := &shard{id: "shardId-000000000002", parents: []string{parent.id}}
	r.shards, r.byID[child.id] = append(r.shards, child), child
	if mark, ok := r.Watermark(); !ok || !mark.Equal(t0) {
		t.Fatalf("child listed, not read yet: watermark %v (ok %v), want %v", mark, ok, t0)
	}
	child.running = true
	if _, ok := r.Watermark(); ok {
		t.Fatalf("child read, no mark of its own yet: the watermark is not known")
	}
	child.mark = t0.Add(20 * time.Second)
	if mark, ok := r.Watermark(); !ok || !mark.Equal(t0.Add(20*time.Second)) {
		t.Fatalf("child read to %v: watermark %v (ok %v), want the earliest of the child and the sibling", child.mark, mark, ok)
	}
}
