package rcf

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTreesStayConsistentUnderChurn drives many insertions and deletions
// (a short timeDecay makes samplers evict constantly, and rounded values
// make duplicates) and checks every structural invariant afterwards: masses,
// free lists, cut paths, and each cached box equal to its children's union.
func TestTreesStayConsistentUnderChurn(t *testing.T) {
	for _, dims := range []int{1, 3} {
		f, err := New(Config{Dimensions: dims, Shingle: 2, Trees: 8, SampleSize: 32, TimeDecay: 40, Seed: 6})
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 2))
		rec := make([]float64, dims)
		for i := 0; i < 5000; i++ {
			for d := range rec {
				rec[d] = float64(int(r.NormFloat64() * 3))
			}
			if _, err := f.Update(rec); err != nil {
				t.Fatal(err)
			}
			if i%500 != 499 {
				continue
			}
			for k := range f.trees {
				tr := &f.trees[k]
				if err := tr.check(); err != nil {
					t.Fatalf("dims %d record %d tree %d: %v", dims, i, k, err)
				}
				if got := tr.mass(); got != 32 {
					t.Fatalf("tree %d has mass %d, want a full sample of 32", k, got)
				}
				s := &f.samplers[k]
				for j := 1; j < len(s.keys); j++ {
					if s.keys[(j-1)/2] < s.keys[j] {
						t.Fatalf("sampler %d heap order broken at %d", k, j)
					}
				}
			}
		}
	}
}

func TestDetLogMatchesMathLog(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for i := 0; i < 100000; i++ {
		x := r.ExpFloat64() * 100
		if i%3 == 0 {
			x = r.Float64()
		}
		got, want := detLog(x), math.Log(x)
		if diff := got - want; diff > 1e-15*max(1, math.Abs(want)) || -diff > 1e-15*max(1, math.Abs(want)) {
			t.Fatalf("detLog(%v) = %v, math.Log = %v", x, got, want)
		}
	}
	for m := 1; m <= 1000; m++ {
		if got, want := detLog2(float64(m)), math.Log2(float64(m)); math.Abs(got-want) > 1e-14 {
			t.Fatalf("detLog2(%d) = %v, math.Log2 = %v", m, got, want)
		}
	}
	if detLog2(256) != 8 || detLog2(1) != 0 {
		t.Fatal("detLog2 is not exact on powers of two")
	}
}
