package streamlog

import (
	"crypto/md5"
	"math/big"
)

// HashSpace is the size of a data stream's hash-key space, 2^128: a
// record's partition key, hashed with MD5 to a 128-bit number, picks the
// shard whose range holds it, the ranges splitting the space evenly.
func HashSpace() *big.Int { return new(big.Int).Lsh(big.NewInt(1), 128) }

// ShardForHash is the shard of a hash key in [0, 2^128).
func ShardForHash(h *big.Int, shards int) int {
	width := new(big.Int).Div(HashSpace(), big.NewInt(int64(shards)))
	i := int(new(big.Int).Div(h, width).Int64())
	return min(i, shards-1)
}

// ShardForKey is the shard of a partition key.
func ShardForKey(partitionKey string, shards int) int {
	sum := md5.Sum([]byte(partitionKey))
	return ShardForHash(new(big.Int).SetBytes(sum[:]), shards)
}
