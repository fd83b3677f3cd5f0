package rcf

import (
	"math"
	"math/rand/v2"
)

// A tree is one random cut tree over at most capacity points. Nodes live in
// flat slices indexed by int32 ids, so a tree holds no pointers and copies,
// saves and restores as plain arrays.
//
// A child reference ref >= 0 names an internal node; ref < 0 names the leaf
// ^ref. Equal points share one leaf, which counts them in leafMass.
type tree struct {
	dims     int
	capacity int

	root  int32 // noNode when the tree is empty
	nodes []node
	// box holds each internal node's bounding box: dims minima, then dims
	// maxima, at box[id*2*dims:]. span caches the sum of its side lengths.
	box       []float32
	span      []float64
	freeNodes []int32

	leafPoint  []float32 // dims values for each leaf
	leafMass   []int32
	freeLeaves []int32

	rng     rand.PCG
	path    []int32 // scratch for the current operation
	touched float64 // keeps descend's box reads from being optimised away
}

// A node takes 12 bytes, so a full tree of 256 points keeps its nodes in
// 3 KiB and a forest of 100 trees in the core's L2 cache: the walk down,
// a chain of dependent loads, is most of the time spent scoring. Sizes
// fit because a tree has at most 1000 leaves and points at most 900 values.
type node struct {
	left, right int16 // child references, as described on tree
	cutDim      uint16
	mass        uint16
	cutValue    float32
}

const noNode = math.MinInt32

func isLeaf(ref int32) bool { return ref < 0 }

func newTree(dims, capacity int, seed1, seed2 uint64) tree {
	t := tree{
		dims:       dims,
		capacity:   capacity,
		root:       noNode,
		nodes:      make([]node, capacity-1),
		box:        make([]float32, (capacity-1)*2*dims),
		span:       make([]float64, capacity-1),
		freeNodes:  make([]int32, 0, capacity-1),
		leafPoint:  make([]float32, capacity*dims),
		leafMass:   make([]int32, capacity),
		freeLeaves: make([]int32, 0, capacity),
		path:       make([]int32, 0, capacity),
	}
	t.rng.Seed(seed1, seed2)
	// Hand out low ids first: pop from the end.
	for i := capacity - 2; i >= 0; i-- {
		t.freeNodes = append(t.freeNodes, int32(i))
	}
	for i := capacity - 1; i >= 0; i-- {
		t.freeLeaves = append(t.freeLeaves, int32(i))
	}
	return t
}

func (t *tree) mass() int32 {
	switch {
	case t.root == noNode:
		return 0
	case isLeaf(t.root):
		return t.leafMass[^t.root]
	default:
		return int32(t.nodes[t.root].mass)
	}
}

func (t *tree) point(leaf int32) []float32 {
	return t.leafPoint[int(leaf)*t.dims : int(leaf+1)*t.dims]
}

func (t *tree) boxOf(id int32) (lo, hi []float32) {
	b := t.box[int(id)*2*t.dims : int(id+1)*2*t.dims]
	return b[:t.dims], b[t.dims:]
}

// descend fills t.path with the internal nodes from the root towards p and
// returns the leaf reached. The tree must not be empty.
func (t *tree) descend(p []float32) int32 {
	path, nodes := t.path[:0], t.nodes
	ref := t.root
	if t.dims == 1 {
		// One value: no cut dimension to look up, so each level's branch
		// resolves a load sooner.
		x := p[0]
		for !isLeaf(ref) {
			path = append(path, ref)
			n := &nodes[ref]
			if x <= n.cutValue {
				ref = int32(n.left)
			} else {
				ref = int32(n.right)
			}
		}
		t.path = path
		return ^ref
	}
	if t.dims < prefetchDims {
		for !isLeaf(ref) {
			path = append(path, ref)
			n := &nodes[ref]
			if p[n.cutDim] <= n.cutValue {
				ref = int32(n.left)
			} else {
				ref = int32(n.right)
			}
		}
		t.path = path
		return ^ref
	}
	// Reading each box's first value and span now starts their cache
	// misses while the walk goes on, instead of on the way back up.
	var touch float64
	stride := 2 * t.dims
	for !isLeaf(ref) {
		path = append(path, ref)
		touch += float64(t.box[int(ref)*stride]) + t.span[ref]
		n := &nodes[ref]
		if p[n.cutDim] <= n.cutValue {
			ref = int32(n.left)
		} else {
			ref = int32(n.right)
		}
	}
	t.path = path
	t.touched = touch
	return ^ref
}

// prefetchDims is the smallest point size for which descend touches the
// boxes on its way: smaller trees' boxes stay in cache, and touching them
// only lengthens the walk.
const prefetchDims = 4

func (t *tree) newLeaf(p []float32) int32 {
	leaf := t.freeLeaves[len(t.freeLeaves)-1]
	t.freeLeaves = t.freeLeaves[:len(t.freeLeaves)-1]
	copy(t.point(leaf), p)
	t.leafMass[leaf] = 1
	return leaf
}

// growth is how much the box's side lengths grow when it takes in p; zero
// exactly when p is inside the box. It has no branches on the data, whose
// outcomes are unpredictable: each dimension adds max(lo-x, 0) +
// max(x-hi, 0), at most one term not zero, so the sum is bit for bit the
// one of adding only the dimensions where p lies outside.
func growth(lo, hi, p []float32) float64 {
	lo, hi = lo[:len(p)], hi[:len(p)]
	g := 0.0
	for i, x := range p {
		v := float64(x)
		g += max(float64(lo[i])-v, 0) + max(v-float64(hi[i]), 0)
	}
	return g
}

func pointGrowth(q, p []float32) float64 {
	g := 0.0
	for i, x := range p {
		g += math.Abs(float64(x) - float64(q[i]))
	}
	return g
}

func equalPoints(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// uniform returns a float64 in [0, 1) from the tree's own generator.
func uniform(r *rand.PCG) float64 {
	return float64(r.Uint64()>>11) * 0x1p-53
}

// randomCut draws a cut on the box [lo, hi] extended by p, whose total side
// length is total: a dimension with probability proportional to its
// extended length, then a value uniform along it. It reports whether the
// cut separates p from the original box.
func (t *tree) randomCut(lo, hi, p []float32, total float64) (dim int32, value float32, separates bool) {
	r := float64(uniform(&t.rng) * total)
	last := -1
	for i, x := range p {
		min, max := lo[i], hi[i]
		if x < min {
			min = x
		} else if x > max {
			max = x
		}
		side := float64(max) - float64(min)
		if side <= 0 {
			continue
		}
		last = i
		if r < side {
			return cutIn(i, min, max, float32(float64(min)+r), lo[i], hi[i], x)
		}
		r -= side
	}
	// Rounding ran r off the end: cut the last dimension just below its top.
	min, max := lo[last], hi[last]
	if p[last] < min {
		min = p[last]
	} else if p[last] > max {
		max = p[last]
	}
	return cutIn(last, min, max, max, lo[last], hi[last], p[last])
}

func cutIn(i int, min, max, value, boxLo, boxHi, x float32) (int32, float32, bool) {
	if value >= max {
		// Both sides of a cut must be non-empty: points <= value go left.
		value = math.Nextafter32(max, float32(math.Inf(-1)))
	}
	if value < min {
		value = min
	}
	separates := (x < boxLo && value < boxLo) || (x > boxHi && value >= boxHi)
	return int32(i), value, separates
}

// insert adds p and returns the leaf that holds it (an existing leaf when p
// equals a point already in the tree). It walks down from the root; at each
// node whose box does not hold p it draws a cut on the box extended by p,
// and the first cut that separates p from the box places p's new leaf
// there (Guha et al.'s insertion: the tree is distributed as if built from
// scratch on the enlarged set).
func (t *tree) insert(p []float32) int32 {
	if t.root == noNode {
		leaf := t.newLeaf(p)
		t.root = ^leaf
		return leaf
	}
	parent, parentLeft := int32(noNode), false
	ref := t.root
	for {
		var lo, hi []float32
		var span float64
		var mass int32
		if isLeaf(ref) {
			q := t.point(^ref)
			if equalPoints(q, p) {
				t.leafMass[^ref]++
				return ^ref
			}
			lo, hi, mass = q, q, t.leafMass[^ref]
		} else {
			lo, hi = t.boxOf(ref)
			span, mass = t.span[ref], int32(t.nodes[ref].mass)
		}
		if g := growth(lo, hi, p); g > 0 {
			dim, value, separates := t.randomCut(lo, hi, p, span+g)
			if separates {
				leaf := t.newLeaf(p)
				id := t.freeNodes[len(t.freeNodes)-1]
				t.freeNodes = t.freeNodes[:len(t.freeNodes)-1]
				n := node{cutDim: uint16(dim), cutValue: value, mass: uint16(mass + 1), left: int16(ref), right: int16(^leaf)}
				if p[dim] <= value {
					n.left, n.right = int16(^leaf), int16(ref)
				}
				t.nodes[id] = n
				blo, bhi := t.boxOf(id)
				copy(blo, lo)
				copy(bhi, hi)
				t.extendBox(id, p)
				t.span[id] = span + g
				if parent == noNode {
					t.root = id
				} else if parentLeft {
					t.nodes[parent].left = int16(id)
				} else {
					t.nodes[parent].right = int16(id)
				}
				return leaf
			}
			t.extendBox(ref, p) // ref is internal: a leaf always separates
			t.span[ref] += g
		}
		t.nodes[ref].mass++
		parent = ref
		n := &t.nodes[ref]
		parentLeft = p[n.cutDim] <= n.cutValue
		if parentLeft {
			ref = int32(n.left)
		} else {
			ref = int32(n.right)
		}
	}
}

func (t *tree) extendBox(id int32, p []float32) {
	lo, hi := t.boxOf(id)
	for i, x := range p {
		if x < lo[i] {
			lo[i] = x
		}
		if x > hi[i] {
			hi[i] = x
		}
	}
}

// remove takes one copy of the leaf's point out of the tree.
func (t *tree) remove(leaf int32) {
	p := t.point(leaf)
	reached := t.descend(p)
	if reached != leaf {
		panic("rcf: tree invariant broken: leaf not found by its own point")
	}
	for _, id := range t.path {
		t.nodes[id].mass--
	}
	if t.leafMass[leaf] > 1 {
		t.leafMass[leaf]--
		return
	}
	t.leafMass[leaf] = 0
	t.freeLeaves = append(t.freeLeaves, leaf)
	if len(t.path) == 0 {
		t.root = noNode
		return
	}
	parent := t.path[len(t.path)-1]
	sibling := int32(t.nodes[parent].left)
	if sibling == ^leaf {
		sibling = int32(t.nodes[parent].right)
	}
	t.freeNodes = append(t.freeNodes, parent)
	above := t.path[:len(t.path)-1]
	if len(above) == 0 {
		t.root = sibling
		return
	}
	grand := above[len(above)-1]
	if int32(t.nodes[grand].left) == parent {
		t.nodes[grand].left = int16(sibling)
	} else {
		t.nodes[grand].right = int16(sibling)
	}
	// Boxes shrink only where p lay on their boundary.
	for i := len(above) - 1; i >= 0; i-- {
		id := above[i]
		lo, hi := t.boxOf(id)
		if strictlyInside(lo, hi, p) {
			break
		}
		t.rebuildBox(id)
	}
}

func strictlyInside(lo, hi, p []float32) bool {
	for i, x := range p {
		if x <= lo[i] || x >= hi[i] {
			return false
		}
	}
	return true
}

// rebuildBox recomputes an internal node's box from its children's.
func (t *tree) rebuildBox(id int32) {
	lo, hi := t.boxOf(id)
	n := t.nodes[id]
	llo, lhi := t.refBox(int32(n.left))
	rlo, rhi := t.refBox(int32(n.right))
	span := 0.0
	for i := range lo {
		lo[i] = min(llo[i], rlo[i])
		hi[i] = max(lhi[i], rhi[i])
		span += float64(hi[i]) - float64(lo[i])
	}
	t.span[id] = span
}

func (t *tree) refBox(ref int32) (lo, hi []float32) {
	if isLeaf(ref) {
		p := t.point(^ref)
		return p, p
	}
	return t.boxOf(ref)
}
