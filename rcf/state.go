package rcf

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"math"
)

// stateVersion changes whenever the saved form does.
const stateVersion = 1

// ErrState marks saved state that cannot be restored.
var ErrState = errors.New("invalid random cut forest state")

type forestState struct {
	Version       int
	Config        Config
	Records       int64
	Points        int64
	Shingle       []float32
	StrengthMean  []float64
	StrengthCount int64
	Trees         []treeState
}

type treeState struct {
	Root                int32
	Left, Right, CutDim []int32
	CutValue            []float32
	Mass                []int32
	Box                 []float32
	Span                []float64
	FreeNodes           []int32
	LeafPoint           []float32
	LeafMass            []int32
	FreeLeaves          []int32
	RNG                 []byte
	Keys                []float64
	Leaves              []int32
	SamplerRNG          []byte
}

// MarshalBinary saves everything the forest knows, so that a restored
// forest continues exactly as this one would.
func (f *Forest) MarshalBinary() ([]byte, error) {
	s := forestState{
		Version:       stateVersion,
		Config:        f.cfg,
		Records:       f.records,
		Points:        f.points,
		Shingle:       f.shingle,
		StrengthMean:  f.strength.mean,
		StrengthCount: f.strength.count,
		Trees:         make([]treeState, len(f.trees)),
	}
	for i := range f.trees {
		t, smp := &f.trees[i], &f.samplers[i]
		ts := treeState{
			Root: t.root, Box: t.box, Span: t.span, FreeNodes: t.freeNodes,
			LeafPoint: t.leafPoint, LeafMass: t.leafMass, FreeLeaves: t.freeLeaves,
			Keys: smp.keys, Leaves: smp.leaves,
		}
		for _, n := range t.nodes {
			ts.Left = append(ts.Left, int32(n.left))
			ts.Right = append(ts.Right, int32(n.right))
			ts.CutDim = append(ts.CutDim, int32(n.cutDim))
			ts.CutValue = append(ts.CutValue, n.cutValue)
			ts.Mass = append(ts.Mass, int32(n.mass))
		}
		var err error
		if ts.RNG, err = t.rng.MarshalBinary(); err != nil {
			return nil, fmt.Errorf("save tree %d generator: %w", i, err)
		}
		if ts.SamplerRNG, err = smp.rng.MarshalBinary(); err != nil {
			return nil, fmt.Errorf("save sampler %d generator: %w", i, err)
		}
		s.Trees[i] = ts
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&s); err != nil {
		return nil, fmt.Errorf("encode forest state: %w", err)
	}
	return buf.Bytes(), nil
}

// checkBox verifies an internal node's cut and cached box against its
// children's boxes.
func (t *tree) checkBox(id int32) error {
	n := t.nodes[id]
	lo, hi := t.boxOf(id)
	llo, lhi := t.refBox(int32(n.left))
	rlo, rhi := t.refBox(int32(n.right))
	if !(lhi[n.cutDim] <= n.cutValue && n.cutValue < rlo[n.cutDim]) {
		return fmt.Errorf("node %d cut %d@%v does not split its children", id, n.cutDim, n.cutValue)
	}
	span := 0.0
	for i := range lo {
		if lo[i] != min(llo[i], rlo[i]) || hi[i] != max(lhi[i], rhi[i]) {
			return fmt.Errorf("node %d box is not its children's union", id)
		}
		span += float64(hi[i]) - float64(lo[i])
	}
	// The cached span grows by additions, so it may differ in the last bits.
	if !(math.Abs(t.span[id]-span) <= 1e-9*span) {
		return fmt.Errorf("node %d caches span %v, its box says %v", id, t.span[id], span)
	}
	return nil
}

// Restore rebuilds a forest saved by MarshalBinary. It checks the state's
// shape and each tree's structure, so damaged state is an error, not a
// forest that fails later.
func Restore(data []byte) (*Forest, error) {
	var s forestState
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: decode: %v", ErrState, err)
	}
	if s.Version != stateVersion {
		return nil, fmt.Errorf("%w: version %d, this build reads %d", ErrState, s.Version, stateVersion)
	}
	cfg := s.Config
	cfg.Workers = clampWorkers(cfg.Workers, cfg.Trees)
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrState, err)
	}
	f := &Forest{cfg: cfg, dims: cfg.Dimensions * cfg.Shingle, records: s.Records, points: s.Points}
	if len(s.Shingle) != f.dims || len(s.StrengthMean) != cfg.Dimensions || len(s.Trees) != cfg.Trees {
		return nil, fmt.Errorf("%w: sizes do not match the configuration", ErrState)
	}
	// Points count full shingles; the bound keeps the sampler's clock far
	// from overflow.
	if s.Records < 0 || s.Records > 1<<60 || s.Points != max(0, s.Records-int64(cfg.Shingle-1)) {
		return nil, fmt.Errorf("%w: %d records cannot make %d points", ErrState, s.Records, s.Points)
	}
	for _, x := range s.Shingle {
		if !finite(float64(x)) {
			return nil, fmt.Errorf("%w: shingle holds %v", ErrState, x)
		}
	}
	for _, m := range s.StrengthMean {
		if !finite(m) || m < 0 {
			return nil, fmt.Errorf("%w: strength mean %v", ErrState, m)
		}
	}
	if s.StrengthCount < 0 {
		return nil, fmt.Errorf("%w: strength count %d", ErrState, s.StrengthCount)
	}
	f.shingle = s.Shingle
	f.strength = strengthState{mean: s.StrengthMean, count: s.StrengthCount}
	f.trees = make([]tree, cfg.Trees)
	f.samplers = make([]sampler, cfg.Trees)
	// Every point enters every sampler until it is full.
	sampled := int(min(s.Points, int64(cfg.SampleSize)))
	for i, ts := range s.Trees {
		t, err := restoreTree(ts, f.dims, cfg.SampleSize)
		if err != nil {
			return nil, fmt.Errorf("%w: tree %d: %v", ErrState, i, err)
		}
		smp, err := restoreSampler(ts, cfg, &t, sampled)
		if err != nil {
			return nil, fmt.Errorf("%w: sampler %d: %v", ErrState, i, err)
		}
		f.trees[i], f.samplers[i] = t, smp
	}
	f.initDerived()
	return f, nil
}

func finite(x float64) bool {
	return !math.IsNaN(x) && !math.IsInf(x, 0) && math.Abs(x) <= math.MaxFloat32
}

// restoreSampler checks a sampler against its tree: it holds exactly the
// tree's points, as many as the forest has seen (up to its capacity), with
// finite keys in heap order.
func restoreSampler(ts treeState, cfg Config, t *tree, sampled int) (sampler, error) {
	smp := newSampler(cfg.SampleSize, cfg.TimeDecay, 0, 0)
	if err := smp.rng.UnmarshalBinary(ts.SamplerRNG); err != nil {
		return smp, fmt.Errorf("generator: %w", err)
	}
	if len(ts.Keys) != sampled || len(ts.Leaves) != sampled || int(t.mass()) != sampled {
		return smp, fmt.Errorf("holds %d keys and %d leaves over a tree of %d points, want %d", len(ts.Keys), len(ts.Leaves), t.mass(), sampled)
	}
	entries := make([]int32, cfg.SampleSize)
	for _, leaf := range ts.Leaves {
		if leaf < 0 || int(leaf) >= cfg.SampleSize || t.leafMass[leaf] <= 0 {
			return smp, fmt.Errorf("names missing leaf %d", leaf)
		}
		entries[leaf]++
	}
	for leaf, m := range t.leafMass {
		if entries[leaf] != m {
			return smp, fmt.Errorf("and its tree disagree on leaf %d", leaf)
		}
	}
	for i, k := range ts.Keys {
		if math.IsNaN(k) || math.IsInf(k, 0) {
			return smp, fmt.Errorf("key %v", k)
		}
		if i > 0 && ts.Keys[(i-1)/2] < k {
			return smp, errors.New("keys out of heap order")
		}
	}
	smp.keys = append(smp.keys, ts.Keys...)
	smp.leaves = append(smp.leaves, ts.Leaves...)
	return smp, nil
}

func restoreTree(ts treeState, dims, capacity int) (tree, error) {
	t := newTree(dims, capacity, 0, 0)
	nodes := capacity - 1
	if len(ts.Left) != nodes || len(ts.Right) != nodes || len(ts.CutDim) != nodes || len(ts.CutValue) != nodes ||
		len(ts.Mass) != nodes || len(ts.Box) != len(t.box) || len(ts.Span) != nodes ||
		len(ts.LeafPoint) != len(t.leafPoint) || len(ts.LeafMass) != capacity ||
		len(ts.FreeNodes) > nodes || len(ts.FreeLeaves) > capacity {
		return t, errors.New("array sizes do not match the configuration")
	}
	if err := t.rng.UnmarshalBinary(ts.RNG); err != nil {
		return t, fmt.Errorf("generator: %w", err)
	}
	for i := range t.nodes {
		l, r, d, m := ts.Left[i], ts.Right[i], ts.CutDim[i], ts.Mass[i]
		if l < math.MinInt16 || l > math.MaxInt16 || r < math.MinInt16 || r > math.MaxInt16 ||
			d < 0 || d > math.MaxUint16 || m < 0 || m > math.MaxUint16 {
			return t, fmt.Errorf("node %d has a field out of range", i)
		}
		t.nodes[i] = node{left: int16(ts.Left[i]), right: int16(ts.Right[i]), cutDim: uint16(ts.CutDim[i]), cutValue: ts.CutValue[i], mass: uint16(ts.Mass[i])}
	}
	copy(t.span, ts.Span)
	t.root = ts.Root
	copy(t.box, ts.Box)
	copy(t.leafPoint, ts.LeafPoint)
	copy(t.leafMass, ts.LeafMass)
	t.freeNodes = append(t.freeNodes[:0], ts.FreeNodes...)
	t.freeLeaves = append(t.freeLeaves[:0], ts.FreeLeaves...)
	return t, t.check()
}

// check verifies that the tree is a tree: every reference in range, each
// node and leaf reached once, finite points, masses adding up, each cut
// splitting its children, each cached box the union of its children's,
// and free lists exactly the unreached slots.
func (t *tree) check() error {
	usedNodes := make([]bool, len(t.nodes))
	usedLeaves := make([]bool, t.capacity)
	var visit func(ref int32) (int32, error)
	visit = func(ref int32) (int32, error) {
		if isLeaf(ref) {
			leaf := ^ref
			if int(leaf) >= t.capacity || usedLeaves[leaf] || t.leafMass[leaf] <= 0 {
				return 0, fmt.Errorf("bad leaf reference %d", leaf)
			}
			usedLeaves[leaf] = true
			for _, x := range t.point(leaf) {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					return 0, fmt.Errorf("leaf %d holds %v", leaf, x)
				}
			}
			return t.leafMass[leaf], nil
		}
		if int(ref) >= len(t.nodes) || usedNodes[ref] {
			return 0, fmt.Errorf("bad node reference %d", ref)
		}
		usedNodes[ref] = true
		n := t.nodes[ref]
		if int(n.cutDim) >= t.dims {
			return 0, fmt.Errorf("node %d cuts dimension %d", ref, n.cutDim)
		}
		l, err := visit(int32(n.left))
		if err != nil {
			return 0, err
		}
		r, err := visit(int32(n.right))
		if err != nil {
			return 0, err
		}
		if int32(n.mass) != l+r {
			return 0, fmt.Errorf("node %d has mass %d, children %d", ref, n.mass, l+r)
		}
		return int32(n.mass), t.checkBox(ref)
	}
	if t.root != noNode {
		if _, err := visit(t.root); err != nil {
			return err
		}
	}
	for _, id := range t.freeNodes {
		if id < 0 || int(id) >= len(t.nodes) || usedNodes[id] {
			return fmt.Errorf("free node %d is in use or out of range", id)
		}
		usedNodes[id] = true
	}
	for _, leaf := range t.freeLeaves {
		if leaf < 0 || int(leaf) >= t.capacity || usedLeaves[leaf] {
			return fmt.Errorf("free leaf %d is in use or out of range", leaf)
		}
		usedLeaves[leaf] = true
	}
	for _, used := range usedNodes {
		if !used {
			return errors.New("node store leaks a slot")
		}
	}
	for _, used := range usedLeaves {
		if !used {
			return errors.New("leaf store leaks a slot")
		}
	}
	for leaf, m := range t.leafMass {
		if m > 0 && t.descend(t.point(int32(leaf))) != int32(leaf) {
			return fmt.Errorf("leaf %d is not where its cuts lead", leaf)
		}
	}
	return nil
}
