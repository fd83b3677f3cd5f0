package shardid

import "testing"

func TestFormatAndParse(t *testing.T) {
	if got := Format(7); got != "shardId-000000000007" {
		t.Fatalf("Format(7) = %s", got)
	}
	if n, ok := Parse("shardId-000000000012"); !ok || n != 12 {
		t.Fatalf("Parse = %d, %v", n, ok)
	}
	for _, bad := range []string{"shard-1", "shardId-x", "shardId--1", "000000000001"} {
		if _, ok := Parse(bad); ok {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}
