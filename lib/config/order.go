package config

import "sort"

// Cyrus 3.6 keeps overflow keys in a 30-bucket hash table and `cyr_info
// conf` / `conf-lint` print them in table order: bucket by bucket, keys
// sorted by strcmp inside a bucket. The bucket is the djb2 hash (xor
// variant) of the key, seeded with the 4 bytes of the table's seed, which
// is the first rand() of a process that never called srand(): 1804289383
// with glibc. Reproducing that order makes our output byte-identical.
const (
	cyrusHashSeed    = 1804289383
	cyrusHashBuckets = 30
)

func cyrusBucket(key string) uint32 {
	h := uint32(5381)
	seed := uint32(cyrusHashSeed)
	for i := 0; i < 4; i++ {
		h = (h<<5 + h) ^ (seed & 0xff)
		seed >>= 8
	}
	for i := 0; i < len(key); i++ {
		h = (h<<5 + h) ^ uint32(key[i])
	}
	return h % cyrusHashBuckets
}

// cyrusHashOrder sorts keys into the order described above.
func cyrusHashOrder(keys []string) {
	sort.Slice(keys, func(i, j int) bool {
		bi, bj := cyrusBucket(keys[i]), cyrusBucket(keys[j])
		if bi != bj {
			return bi < bj
		}
		return keys[i] < keys[j]
	})
}
