package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/riffle-sql/riffle/sql/types"
)

func itemKey(s string) []byte {
	return appendGroupID(nil, []types.Value{types.Str(types.Varchar, s)})
}

// exactTop counts items plainly: counts by item and the items ordered by
// count, then first arrival.
func exactTop(items []string) (map[string]int64, []string) {
	counts := map[string]int64{}
	var order []string
	for _, it := range items {
		if counts[it] == 0 {
			order = append(order, it)
		}
		counts[it]++
	}
	slices.SortStableFunc(order, func(a, b string) int { return cmpDesc(counts[a], counts[b]) })
	return counts, order
}

// TestTopKExactWhileItemsFit: with no more distinct items than the
// counter holds, TOP_K's counts and order are exact.
func TestTopKExactWhileItemsFit(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var items []string
	for range 50000 {
		items = append(items, "i"+strconv.Itoa(int(r.ExpFloat64()*800)%9000))
	}
	counts, order := exactTop(items)
	s := newSpaceSaving(topKCapacity(20))
	for _, it := range items {
		s.add(itemKey(it), types.Str(types.Varchar, it))
	}
	got := s.top(20)
	if len(got) != 20 {
		t.Fatalf("%d items, want 20", len(got))
	}
	for i, e := range got {
		if e.value.S != order[i] || e.count != counts[order[i]] || e.err != 0 {
			t.Errorf("top %d: %s %d (err %d), want %s %d", i+1, e.value.S, e.count, e.err, order[i], counts[order[i]])
		}
	}
}

// TestTopKLargeWithinBound: far more distinct items than the counter holds
// (a Zipf stream of a million records over 200,000 items): the K most
// frequent are still found, in order, and each count is over the true one
// by no more than N/capacity, the Space-Saving bound.
func TestTopKLargeWithinBound(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	z := rand.NewZipf(r, 1.2, 1, 199999)
	const n, k = 1000000, 10
	items := make([]string, n)
	for i := range items {
		items[i] = "item" + strconv.FormatUint(z.Uint64(), 10)
	}
	counts, order := exactTop(items)
	if len(counts) < 5*topKCapacity(k) {
		t.Fatalf("only %d distinct items: the test must overflow the counter", len(counts))
	}
	s := newSpaceSaving(topKCapacity(k))
	for _, it := range items {
		s.add(itemKey(it), types.Str(types.Varchar, it))
	}
	bound := int64(n / topKCapacity(k))
	for i, e := range s.top(k) {
		if e.value.S != order[i] {
			t.Errorf("top %d: %s, want %s", i+1, e.value.S, order[i])
		}
		if over := e.count - counts[e.value.S]; over < 0 || over > bound {
			t.Errorf("top %d: count %d, true %d: off by more than %d", i+1, e.count, counts[e.value.S], bound)
		}
	}
}

// TestCountDistinctExactUpTo10000: the count is exact up to 10,000
// distinct items, as the SQL reference says, repeats not counted.
func TestCountDistinctExactUpTo10000(t *testing.T) {
	d := &distinctCounter{exact: map[string]struct{}{}}
	for i := range 3 * exactDistinct {
		d.add(itemKey(strconv.Itoa(i % exactDistinct)))
	}
	if got := d.count(); got != exactDistinct {
		t.Fatalf("%d distinct items counted as %d", exactDistinct, got)
	}
	if d.sketch != nil {
		t.Fatal("a sketch at 10,000 distinct items")
	}
}

// TestCountDistinctLargeWithinError: past 10,000 the estimate stays within
// 1 % (the sketch's standard error is about 0.4 %; the reference's example
// reads 99,700 for 100,000).
func TestCountDistinctLargeWithinError(t *testing.T) {
	for _, n := range []int{exactDistinct + 1, 20000, 100000, 1000000} {
		d := &distinctCounter{exact: map[string]struct{}{}}
		for i := range n {
			d.add(itemKey(fmt.Sprintf("user-%d", i)))
			if i%3 == 0 {
				d.add(itemKey(fmt.Sprintf("user-%d", i/2))) // a repeat
			}
		}
		got := d.count()
		if off := math.Abs(float64(got)-float64(n)) / float64(n); off > 0.01 {
			t.Errorf("%d distinct items estimated as %d (%.2f %% off)", n, got, 100*off)
		}
	}
}

// BenchmarkTopK and BenchmarkCountDistinct are the counters' work per
// record over a Zipf stream of 100,000 items (see runner for whole
// applications).
func BenchmarkTopK(b *testing.B) {
	keys := zipfKeys(100000)
	s := newSpaceSaving(topKCapacity(10))
	v := types.Str(types.Varchar, "x")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.add(keys[i%len(keys)], v)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkCountDistinct(b *testing.B) {
	keys := zipfKeys(100000)
	d := &distinctCounter{exact: map[string]struct{}{}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.add(keys[i%len(keys)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func zipfKeys(items uint64) [][]byte {
	z := rand.NewZipf(rand.New(rand.NewPCG(1, 1)), 1.1, 1, items-1)
	keys := make([][]byte, 1<<18)
	for i := range keys {
		keys[i] = itemKey("item" + strconv.FormatUint(z.Uint64(), 10))
	}
	return keys
}
