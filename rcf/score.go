package rcf

// Scoring follows the service (see ../docs/rcf.md): walk from p's leaf back
// to the root; at the leaf a point equal to the leaf point scores
// seen = 1/(depth + log2 mass) (1/(mass+1) when the leaf is the whole tree),
// a different one unseen = 1/(depth+1); at each internal node above,
// with q the chance that a random cut of the node's box extended by p
// separates p, the score becomes q*unseen(depth) + (1-q)*score. The tree's
// score is that times log2 of the tree's mass.

func unseen(depth int) float64 { return 1 / float64(depth+1) }

// unseenTable lists unseen(depth) for every depth a tree of the given
// capacity can have, so the walk up looks it up instead of dividing.
func unseenTable(capacity int) []float64 {
	u := make([]float64, capacity)
	for d := range u {
		u[d] = unseen(d)
	}
	return u
}

// seenScore is the score of a point equal to a leaf of mass m at depth d.
func (f *Forest) seenScore(depth int, m int32) float64 {
	if depth == 0 {
		return 1 / float64(m+1)
	}
	return 1 / (float64(depth) + f.log2[m])
}

// score returns the tree's normalised anomaly score for p.
func (f *Forest) scoreTree(t *tree, p []float32) float64 {
	norm := f.log2[t.mass()]
	leaf := t.descend(p)
	depth := len(t.path)
	q := t.point(leaf)
	if equalPoints(q, p) {
		return float64(f.seenScore(depth, t.leafMass[leaf]) * norm)
	}
	s := unseen(depth)
	inv := f.unseen[:depth]
	for j := depth - 1; j >= 0; j-- {
		id := t.path[j]
		lo, hi := t.boxOf(id)
		g := growth(lo, hi, p)
		if g == 0 {
			break // p is inside this box and so inside every box above
		}
		sep := g / (t.span[id] + g)
		s = float64(sep*inv[j]) + float64((1-sep)*s)
	}
	return float64(s * norm)
}

// attributeTree adds the tree's normalised score for p, split by dimension
// and direction, to high and low; scratch needs 4*dims values.
func (f *Forest) attributeTree(t *tree, p []float32, high, low, scratch []float64) {
	dims := len(p)
	h, l := scratch[:dims], scratch[dims:2*dims]
	norm := f.log2[t.mass()]
	leaf := t.descend(p)
	depth := len(t.path)
	q := t.point(leaf)
	if !equalPoints(q, p) {
		g := pointGrowth(q, p)
		s := unseen(depth)
		for i, x := range p {
			h[i], l[i] = 0, 0
			if d := float64(x) - float64(q[i]); d > 0 {
				h[i] = float64(s*d) / g
			} else {
				l[i] = float64(s*-d) / g
			}
		}
		for j := depth - 1; j >= 0; j-- {
			lo, hi := t.boxOf(t.path[j])
			if !spread(p, lo, hi, t.span[t.path[j]], f.unseen[j], h, l) {
				break
			}
		}
		for i := range p {
			high[i] += float64(h[i] * norm)
			low[i] += float64(l[i] * norm)
		}
		return
	}
	// p equals the leaf point: its total is the leaf's seen score; how that
	// total splits across dimensions comes from how p stands out of its
	// neighbourhood, found by walking up as if p's leaf were absent (the
	// box at each level is the union of the siblings met so far).
	seen := f.seenScore(depth, t.leafMass[leaf])
	for i := range p {
		h[i] = seen / float64(2*dims)
		l[i] = h[i]
	}
	shadowLo, shadowHi := scratch[2*dims:3*dims], scratch[3*dims:4*dims]
	onPath := ^leaf
	for j := depth - 1; j >= 0; j-- {
		id := t.path[j]
		sib := int32(t.nodes[id].left)
		if sib == onPath {
			sib = int32(t.nodes[id].right)
		}
		onPath = id
		slo, shi := t.refBox(sib)
		span := 0.0
		for i := range p {
			lo, hi := float64(slo[i]), float64(shi[i])
			if j < depth-1 {
				lo, hi = min(lo, shadowLo[i]), max(hi, shadowHi[i])
			}
			shadowLo[i], shadowHi[i] = lo, hi
			span += hi - lo
		}
		if !spread(p, shadowLo, shadowHi, span, f.unseen[j], h, l) {
			break
		}
	}
	total := 0.0
	for i := range p {
		total += h[i] + l[i]
	}
	scale := seen / total
	for i := range p {
		high[i] += float64(float64(h[i]*scale) * norm)
		low[i] += float64(float64(l[i]*scale) * norm)
	}
}

// spread applies one level of the attribution recursion for the box
// [lo, hi] whose side lengths sum to span; false when p is inside the box.
func spread[T float32 | float64](p []float32, lo, hi []T, span, unseen float64, h, l []float64) bool {
	lo, hi = lo[:len(p)], hi[:len(p)]
	h, l = h[:len(p)], l[:len(p)]
	// As in growth, max(..., 0) in place of branches: a zero term adds
	// nothing, so every value is the same bit for bit.
	g := 0.0
	for i, x := range p {
		v := float64(x)
		g += max(float64(lo[i])-v, 0) + max(v-float64(hi[i]), 0)
	}
	if g == 0 {
		return false
	}
	total := span + g
	keep := 1 - g/total
	for i, x := range p {
		v := float64(x)
		up, down := max(v-float64(hi[i]), 0), max(float64(lo[i])-v, 0)
		h[i] = float64(float64(up/total)*unseen) + float64(keep*h[i])
		l[i] = float64(float64(down/total)*unseen) + float64(keep*l[i])
	}
	return true
}
