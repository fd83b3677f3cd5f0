package rcf

import (
	"errors"
	"math"
	"testing"
)

// TestRestoreRejectsInconsistentState saves forests whose state was
// tampered with in ways a byte flip rarely reaches (found in review), and
// expects Restore to refuse each one rather than panic or misbehave later.
func TestRestoreRejectsInconsistentState(t *testing.T) {
	warm := func() *Forest {
		f, err := New(Config{Dimensions: 1, Shingle: 2, Trees: 3, SampleSize: 10, TimeDecay: 11, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 30; i++ {
			if _, err := f.Update([]float64{float64(i % 4)}); err != nil {
				t.Fatal(err)
			}
		}
		return f
	}
	cases := map[string]func(f *Forest){
		"NaN in the shingle":            func(f *Forest) { f.shingle[1] = float32(math.NaN()) },
		"infinity in the shingle":       func(f *Forest) { f.shingle[0] = float32(math.Inf(1)) },
		"NaN sampler key":               func(f *Forest) { f.samplers[0].keys[0] = math.NaN() },
		"keys out of heap order":        func(f *Forest) { s := &f.samplers[1]; s.keys[0], s.keys[1] = s.keys[1]-1, s.keys[0] },
		"NaN strength mean":             func(f *Forest) { f.strength.mean[0] = math.NaN() },
		"negative strength mean":        func(f *Forest) { f.strength.mean[0] = -1 },
		"points not matching records":   func(f *Forest) { f.points += 5 },
		"clock near overflow":           func(f *Forest) { f.records, f.points = math.MaxInt64, math.MaxInt64-1 },
		"past warm-up with empty trees": nil, // built below
	}
	for name, tamper := range cases {
		var f *Forest
		if tamper == nil {
			var err error
			f, err = New(Config{Dimensions: 1, Shingle: 1, Trees: 2, SampleSize: 10, TimeDecay: 11, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			f.records, f.points = 10, 10
		} else {
			f = warm()
			tamper(f)
		}
		saved, err := f.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Restore(saved); !errors.Is(err, ErrState) {
			t.Errorf("%s: Restore = %v, want ErrState", name, err)
		}
	}
}

func TestWorkersAreClampedToTheTrees(t *testing.T) {
	f, err := New(Config{Dimensions: 1, Shingle: 1, Trees: 3, SampleSize: 10, TimeDecay: 11, Workers: math.MaxInt})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Config().Workers; got != 3 {
		t.Fatalf("Workers = %d, want it clamped to the 3 trees", got)
	}
}
