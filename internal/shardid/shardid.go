// Package shardid names shards as Kinesis does (shardId-000000000000), for
// the Kinesis API and the SHARD_ID column alike.
package shardid

import (
	"fmt"
	"strconv"
	"strings"
)

// Format names shard i.
func Format(i int) string { return fmt.Sprintf("shardId-%012d", i) }

// Parse reads a name made by Format.
func Parse(id string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "shardId-"))
	return n, err == nil && strings.HasPrefix(id, "shardId-") && n >= 0
}
