package rcf

import (
	"math"
	"math/rand/v2"
)

// A sampler is one tree's time-decayed reservoir: at most capacity entries,
// each a leaf of the tree and a key. The point arriving at sequence index t
// gets the key log(-log U) - t/timeDecay (U uniform), and the reservoir
// keeps the smallest keys: Efraimidis-Spirakis weighted sampling without
// replacement with weight e^(t/timeDecay), so recent points are favoured
// exponentially. Until the reservoir is full every point is accepted.
type sampler struct {
	capacity int
	lambda   float64
	keys     []float64 // a max-heap on key
	leaves   []int32   // the tree leaf of each heap entry
	rng      rand.PCG

	// rejectBelow lets offer skip both logarithms for most points once the
	// sample is full: a draw u <= rejectBelow is surely rejected until
	// sequence index rejectUntil (see offer). Derived; never saved.
	rejectBelow float64
	rejectUntil int64
}

// rejectHorizon is how many points a rejection threshold stays valid for.
const rejectHorizon = 1024

func newSampler(capacity int, timeDecay int64, seed1, seed2 uint64) sampler {
	s := sampler{
		capacity:    capacity,
		lambda:      1 / float64(timeDecay),
		keys:        make([]float64, 0, capacity),
		leaves:      make([]int32, 0, capacity),
		rejectUntil: -1,
	}
	s.rng.Seed(seed1, seed2)
	return s
}

// offer decides whether the point at sequence index t enters the sample.
// When it does and the sample is full, evict names the leaf whose entry
// leaves (the caller removes it from the tree, inserts the new point, and
// calls accept with the new point's leaf).
func (s *sampler) offer(t int64) (key float64, accepted bool, evict int32) {
	u := uniform(&s.rng)
	for u == 0 {
		u = uniform(&s.rng)
	}
	// The point enters a full sample iff its key is below the largest,
	// K: iff u > exp(-exp(K + lambda*t)), a bound that falls as t grows.
	// The bound for t = rejectUntil, shrunk by a margin far wider than any
	// rounding, rejects most draws without a logarithm; every other draw
	// is decided by the exact key below, so the shortcut changes no result.
	if len(s.keys) == s.capacity {
		if t > s.rejectUntil {
			s.rejectUntil = t + rejectHorizon
			s.rejectBelow = math.Exp(-math.Exp(s.keys[0]+s.lambda*float64(s.rejectUntil))) * (1 - 1e-6)
		}
		if u <= s.rejectBelow {
			return 0, false, noNode
		}
	}
	key = detLog(-detLog(u)) - float64(s.lambda*float64(t))
	if len(s.keys) < s.capacity {
		return key, true, noNode
	}
	if key < s.keys[0] {
		return key, true, s.leaves[0]
	}
	return key, false, noNode
}

// accept records an offered point; it replaces the largest key when full.
func (s *sampler) accept(key float64, leaf int32) {
	if len(s.keys) < s.capacity {
		s.keys = append(s.keys, key)
		s.leaves = append(s.leaves, leaf)
		s.up(len(s.keys) - 1)
		return
	}
	s.keys[0], s.leaves[0] = key, leaf
	s.down(0)
	s.rejectUntil = -1 // the largest key changed
}

func (s *sampler) full() bool { return len(s.keys) == s.capacity }

func (s *sampler) swap(i, j int) {
	s.keys[i], s.keys[j] = s.keys[j], s.keys[i]
	s.leaves[i], s.leaves[j] = s.leaves[j], s.leaves[i]
}

func (s *sampler) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if s.keys[parent] >= s.keys[i] {
			return
		}
		s.swap(i, parent)
		i = parent
	}
}

func (s *sampler) down(i int) {
	n := len(s.keys)
	for {
		largest := i
		if l := 2*i + 1; l < n && s.keys[l] > s.keys[largest] {
			largest = l
		}
		if r := 2*i + 2; r < n && s.keys[r] > s.keys[largest] {
			largest = r
		}
		if largest == i {
			return
		}
		s.swap(i, largest)
		i = largest
	}
}
