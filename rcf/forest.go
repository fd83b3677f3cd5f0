package rcf

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// ErrInput marks a record the forest cannot take; the forest is unchanged.
var ErrInput = errors.New("invalid random cut forest input")

// A Forest is a streaming random cut forest that scores like Kinesis Data
// Analytics' RANDOM_CUT_FOREST. It is not safe for concurrent use.
type Forest struct {
	cfg      Config
	dims     int // values in a point: Dimensions * Shingle
	trees    []tree
	samplers []sampler

	// shingle holds the last Shingle records' values, oldest first.
	shingle []float32
	records int64 // records taken
	points  int64 // points (full shingles) taken: the sampler's clock

	// log2[m] for every mass a tree can have; unseen[d] for every depth.
	log2   []float64
	unseen []float64

	// Per-record scratch, sized once.
	current    pass
	treeScores []float64
	treeHigh   []float64 // dims per tree
	treeLow    []float64
	workspaces []workspace // one per worker

	// strength keeps each column's running mean attribution.
	strength strengthState
}

// New makes an empty forest. Every out-of-range parameter is reported.
func New(cfg Config) (*Forest, error) {
	cfg.Workers = clampWorkers(cfg.Workers, cfg.Trees)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	f := &Forest{cfg: cfg, dims: cfg.Dimensions * cfg.Shingle}
	seeds := rand.NewPCG(cfg.Seed, 0x5bd1e9955bd1e995)
	f.trees = make([]tree, cfg.Trees)
	f.samplers = make([]sampler, cfg.Trees)
	for i := range f.trees {
		f.trees[i] = newTree(f.dims, cfg.SampleSize, seeds.Uint64(), seeds.Uint64())
		f.samplers[i] = newSampler(cfg.SampleSize, cfg.TimeDecay, seeds.Uint64(), seeds.Uint64())
	}
	f.shingle = make([]float32, f.dims)
	f.initDerived()
	return f, nil
}

// clampWorkers keeps Workers between 1 and the number of trees.
func clampWorkers(workers, trees int) int { return max(1, min(workers, trees)) }

// initDerived sizes what follows from the configuration alone.
func (f *Forest) initDerived() {
	f.log2 = make([]float64, f.cfg.SampleSize+1)
	for m := 1; m <= f.cfg.SampleSize; m++ {
		f.log2[m] = detLog2(float64(m))
	}
	f.unseen = unseenTable(f.cfg.SampleSize)
	f.treeScores = make([]float64, f.cfg.Trees)
	f.treeHigh = make([]float64, f.cfg.Trees*f.dims)
	f.treeLow = make([]float64, f.cfg.Trees*f.dims)
	f.workspaces = make([]workspace, f.cfg.Workers)
	for w := range f.workspaces {
		f.workspaces[w] = newWorkspace(f.dims)
	}
	if len(f.strength.mean) != f.cfg.Dimensions {
		f.strength.mean = make([]float64, f.cfg.Dimensions)
	}
}

// Config returns the forest's configuration, defaults filled in.
func (f *Forest) Config() Config { return f.cfg }

// Records returns how many records the forest has taken.
func (f *Forest) Records() int64 { return f.records }

// Ready reports whether the next record gets a real score rather than the
// warm-up zero: the service scores 0 for the first SampleSize points.
func (f *Forest) Ready() bool {
	return f.records >= int64(f.cfg.Shingle-1) && f.points >= int64(f.cfg.SampleSize)
}

// Update scores the record against the forest and then learns it, as the
// service does for each row. The score is 0 while the forest warms up (the
// first SampleSize + Shingle - 1 records).
func (f *Forest) Update(record []float64) (float64, error) {
	p, err := f.take(record)
	if err != nil || p == nil {
		return 0, err
	}
	scored := f.points >= int64(f.cfg.SampleSize)
	f.current = pass{point: p, score: scored}
	f.eachTree()
	f.points++
	if !scored {
		return 0, nil
	}
	return sumInOrder(f.treeScores) / float64(len(f.trees)), nil
}

// UpdateExplained is Update with the score split across the record's
// columns (RANDOM_CUT_FOREST_WITH_EXPLANATION).
func (f *Forest) UpdateExplained(record []float64) (Explanation, error) {
	p, err := f.take(record)
	if err != nil {
		return Explanation{}, err
	}
	e := newExplanation(f.dims, f.cfg.Dimensions)
	if p == nil {
		return e, nil
	}
	scored := f.points >= int64(f.cfg.SampleSize)
	f.current = pass{point: p, explain: scored}
	f.eachTree()
	f.points++
	if !scored {
		return e, nil
	}
	n := float64(len(f.trees))
	for i := range f.trees {
		for d := 0; d < f.dims; d++ {
			e.High[d] += f.treeHigh[i*f.dims+d]
			e.Low[d] += f.treeLow[i*f.dims+d]
		}
	}
	for d := range e.High {
		e.High[d] /= n
		e.Low[d] /= n
		e.Score += e.High[d] + e.Low[d]
	}
	f.strength.explain(&e, f.cfg.Dimensions, f.samplers[0].lambda)
	return e, nil
}

// take checks a record and shifts it into the shingle. It returns the
// point to process, or nil while the first shingle is still filling.
func (f *Forest) take(record []float64) ([]float32, error) {
	if len(record) != f.cfg.Dimensions {
		return nil, fmt.Errorf("%w: record has %d values, the forest takes %d", ErrInput, len(record), f.cfg.Dimensions)
	}
	for i, v := range record {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
			return nil, fmt.Errorf("%w: value %d is %v; values must be finite and within ±%g", ErrInput, i+1, v, math.MaxFloat32)
		}
	}
	c := f.cfg.Dimensions
	copy(f.shingle, f.shingle[c:])
	for i, v := range record {
		f.shingle[f.dims-c+i] = float32(v)
	}
	f.records++
	if f.records < int64(f.cfg.Shingle) {
		return nil, nil
	}
	return f.shingle, nil
}

// A pass is what every tree does with the current point: score it or
// explain it (or neither, during warm-up), then learn it.
type pass struct {
	point          []float32
	score, explain bool
}

// A workspace is one worker's scratch.
type workspace struct {
	vectors []float64 // 4 * dims
}

func newWorkspace(dims int) workspace {
	return workspace{vectors: make([]float64, 4*dims)}
}

func (f *Forest) runTree(w *workspace, i int) {
	t, p := &f.trees[i], f.current.point
	switch {
	case f.current.score:
		f.treeScores[i] = f.scoreTree(t, p)
	case f.current.explain:
		high := f.treeHigh[i*f.dims : (i+1)*f.dims]
		low := f.treeLow[i*f.dims : (i+1)*f.dims]
		clear(high)
		clear(low)
		f.attributeTree(t, p, high, low, w.vectors)
	}
	f.learn(i, p)
}

// learn offers the point to tree i's sampler and mirrors its decision.
func (f *Forest) learn(i int, p []float32) {
	s := &f.samplers[i]
	key, accepted, evict := s.offer(f.points)
	if !accepted {
		return
	}
	t := &f.trees[i]
	if evict != noNode {
		t.remove(evict)
	}
	s.accept(key, t.insert(p))
}

// eachTree runs the current pass on every tree, over Workers goroutines
// when asked. Trees share nothing and results are combined in tree order,
// so the split never changes a result.
func (f *Forest) eachTree() {
	workers := f.cfg.Workers
	if workers <= 1 {
		for i := range f.trees {
			f.runTree(&f.workspaces[0], i)
		}
		return
	}
	var wg sync.WaitGroup
	per := (len(f.trees) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*per, min((w+1)*per, len(f.trees))
		if lo >= hi {
			break
		}
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				f.runTree(&f.workspaces[w], i)
			}
		})
	}
	wg.Wait()
}

func sumInOrder(xs []float64) float64 {
	sum, c := 0.0, 0.0
	for _, x := range xs {
		t := sum + x
		if math.Abs(sum) >= math.Abs(x) {
			c += (sum - t) + x
		} else {
			c += (x - t) + sum
		}
		sum = t
	}
	return sum + c
}
