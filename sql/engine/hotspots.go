package engine

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strconv"
)

// hotspotDetector finds HOTSPOTS' dense regions among the last windowSize
// points (docs/hotspots.md). A hotspot is a density-based cluster, as in
// DBSCAN with ε = scanRadius and minPts = minimumNumberOfPointsInAHotspot:
// a core point has at least minPts points of the window (itself included)
// within ε; core points within ε of each other are one hotspot, and a
// point that is not core belongs to the hotspot of its oldest core
// neighbour. Each point's neighbours are kept up to date as points enter
// and leave (a grid of ε-sided cells finds them in few dimensions), so each
// record costs the points near the new and the evicted one, plus one pass
// over the core points' neighbours to join them into hotspots.
type hotspotDetector struct {
	window  int
	radius  float64
	r2      float64
	minPts  int
	dims    int
	useGrid bool

	pts   []float64 // window*dims, a ring
	adj   [][]int32 // each slot's neighbours within radius, itself left out
	cells []uint64  // each slot's grid key
	head  int       // the next slot written: the oldest once full
	n     int
	grid  map[uint64][]int32

	// scratch for queries and clustering
	offsets [][]int64
	coord   []int64
	keys    []uint64
	found   []int32
	parent  []int32
	owner   []int32
	label   []int32
}

// hotspot is one dense region: how many window points it holds, their
// bounds per dimension, and its density (points per unit of its size).
type hotspot struct {
	count    int
	first    int // the age rank of its oldest point, for a stable order
	density  float64
	min, max []float64
}

// maxGridDims is the largest dimension count the grid serves: a query
// visits 3^dims cells, more than a scan of the window beyond it.
const maxGridDims = 4

func newHotspotDetector(window int, radius float64, minPts, dims int) *hotspotDetector {
	d := &hotspotDetector{
		window: window, radius: radius, r2: radius * radius, minPts: minPts, dims: dims,
		useGrid: dims <= maxGridDims,
		pts:     make([]float64, window*dims),
		adj:     make([][]int32, window),
		cells:   make([]uint64, window),
		grid:    map[uint64][]int32{},
		coord:   make([]int64, dims),
		parent:  make([]int32, window),
		owner:   make([]int32, window),
		label:   make([]int32, window),
	}
	if d.useGrid {
		// Every offset in {-1, 0, 1}^dims.
		total := 1
		for range dims {
			total *= 3
		}
		for i := range total {
			off := make([]int64, dims)
			for k, v := 0, i; k < dims; k, v = k+1, v/3 {
				off[k] = int64(v%3) - 1
			}
			d.offsets = append(d.offsets, off)
		}
	}
	return d
}

func (d *hotspotDetector) point(slot int) []float64 {
	return d.pts[slot*d.dims : (slot+1)*d.dims]
}

// slotAt is the slot of the k-th oldest point.
func (d *hotspotDetector) slotAt(k int) int {
	return (d.head - d.n + k + 2*d.window) % d.window
}

// cellOf sets d.coord to p's grid cell.
func (d *hotspotDetector) cellOf(p []float64) {
	for i, x := range p {
		c := math.Floor(x / d.radius)
		// Far-off values share the edge cells: only candidates grow.
		c = max(min(c, 1<<60), -(1 << 60))
		d.coord[i] = int64(c)
	}
}

func cellKey(coord, off []int64) uint64 {
	h := uint64(14695981039346656037)
	for i, c := range coord {
		if off != nil {
			c += off[i]
		}
		h ^= uint64(c)
		h *= 1099511628211
		h ^= h >> 29
	}
	return h
}

// neighbours lists the window's points within radius of p (p itself, if
// in the window, included) into d.found.
func (d *hotspotDetector) neighbours(p []float64) []int32 {
	d.found = d.found[:0]
	if !d.useGrid {
		for k := range d.n {
			s := d.slotAt(k)
			if d.near(p, s) {
				d.found = append(d.found, int32(s))
			}
		}
		return d.found
	}
	d.cellOf(p)
	d.keys = d.keys[:0]
	for _, off := range d.offsets {
		key := cellKey(d.coord, off)
		if slices.Contains(d.keys, key) {
			continue // two cells on one key: visit it once
		}
		d.keys = append(d.keys, key)
		for _, s := range d.grid[key] {
			if d.near(p, int(s)) {
				d.found = append(d.found, s)
			}
		}
	}
	return d.found
}

func (d *hotspotDetector) near(p []float64, slot int) bool {
	q := d.point(slot)
	sum := 0.0
	for i, x := range p {
		diff := x - q[i]
		sum += diff * diff
		if sum > d.r2 {
			return false
		}
	}
	return true
}

// add puts a point into the window, evicting the oldest when it is full.
// p must be finite.
func (d *hotspotDetector) add(p []float64) {
	slot := d.head
	if d.n == d.window {
		d.n--
		d.removeFromGrid(slot)
		for _, t := range d.adj[slot] {
			// Order within a list does not matter: see hotspots.
			i := slices.Index(d.adj[t], int32(slot))
			last := len(d.adj[t]) - 1
			d.adj[t][i] = d.adj[t][last]
			d.adj[t] = d.adj[t][:last]
		}
	}
	copy(d.point(slot), p)
	d.adj[slot] = append(d.adj[slot][:0], d.neighbours(p)...)
	for _, t := range d.adj[slot] {
		d.adj[t] = append(d.adj[t], int32(slot))
	}
	if d.useGrid {
		d.cellOf(p)
		key := cellKey(d.coord, nil)
		d.cells[slot] = key
		d.grid[key] = append(d.grid[key], int32(slot))
	}
	d.head = (d.head + 1) % d.window
	d.n++
}

func (d *hotspotDetector) removeFromGrid(slot int) {
	if !d.useGrid {
		return
	}
	key := d.cells[slot]
	b := d.grid[key]
	i := slices.Index(b, int32(slot))
	b[i] = b[len(b)-1]
	b = b[:len(b)-1]
	if len(b) == 0 {
		delete(d.grid, key)
	} else {
		d.grid[key] = b
	}
}

func (d *hotspotDetector) core(slot int) bool { return len(d.adj[slot])+1 >= d.minPts }

func (d *hotspotDetector) find(s int32) int32 {
	for d.parent[s] != s {
		d.parent[s] = d.parent[d.parent[s]]
		s = d.parent[s]
	}
	return s
}

// hotspots clusters the window's points and returns the hotspots of at
// least minPts points, densest first.
func (d *hotspotDetector) hotspots() []hotspot {
	for k := range d.n {
		s := int32(d.slotAt(k))
		d.parent[s] = s
		d.owner[s] = -1
		d.label[s] = -1
	}
	// Oldest first, so that a border point goes to its oldest core
	// neighbour whatever the order of the neighbour lists.
	for k := range d.n {
		s := d.slotAt(k)
		if !d.core(s) {
			continue
		}
		for _, t := range d.adj[s] {
			switch {
			case d.core(int(t)):
				a, b := d.find(int32(s)), d.find(t)
				if a != b {
					d.parent[max(a, b)] = min(a, b)
				}
			case d.owner[t] < 0:
				d.owner[t] = int32(s)
			}
		}
	}
	var out []hotspot
	for k := range d.n {
		s := d.slotAt(k)
		var root int32
		switch {
		case d.core(s):
			root = d.find(int32(s))
		case d.owner[s] >= 0:
			root = d.find(d.owner[s])
		default:
			continue
		}
		if d.label[root] < 0 {
			d.label[root] = int32(len(out))
			h := hotspot{first: k, min: slices.Clone(d.point(s)), max: slices.Clone(d.point(s))}
			out = append(out, h)
		}
		h := &out[d.label[root]]
		h.count++
		for i, x := range d.point(s) {
			h.min[i] = min(h.min[i], x)
			h.max[i] = max(h.max[i], x)
		}
	}
	return finishHotspots(out, d.minPts, d.radius)
}

// finishHotspots keeps the clusters of at least minPts points, gives each
// its density and orders them densest first (then by first point).
func finishHotspots(clusters []hotspot, minPts int, radius float64) []hotspot {
	kept := clusters[:0]
	for _, h := range clusters {
		if h.count < minPts {
			continue
		}
		// The size is the bounds' box grown by radius/2 on every side, so
		// that points on a line or one spot still have a size.
		size := 1.0
		for i := range h.min {
			size *= h.max[i] - h.min[i] + radius
		}
		h.density = float64(h.count) / size
		kept = append(kept, h)
	}
	slices.SortStableFunc(kept, func(a, b hotspot) int {
		switch {
		case a.density > b.density:
			return -1
		case a.density < b.density:
			return 1
		}
		return a.first - b.first
	})
	return kept
}

// appendHotspotsJSON renders HOTSPOTS_RESULT:
// {"hotspots":[{"density":...,"minValues":[...],"maxValues":[...]}]}.
func appendHotspotsJSON(b []byte, hs []hotspot) []byte {
	b = append(b, `{"hotspots":[`...)
	for i, h := range hs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"density":`...)
		b = appendJSONFloat(b, h.density)
		b = append(b, `,"minValues":`...)
		b = appendJSONFloats(b, h.min)
		b = append(b, `,"maxValues":`...)
		b = appendJSONFloats(b, h.max)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

func appendJSONFloats(b []byte, xs []float64) []byte {
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONFloat(b, x)
	}
	return append(b, ']')
}

func appendJSONFloat(b []byte, x float64) []byte {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return append(b, "null"...) // not reached: points are finite
	}
	return strconv.AppendFloat(b, x, 'g', -1, 64)
}

// MarshalBinary saves the window's points, oldest first: the neighbour
// counts and the grid follow from them.
func (d *hotspotDetector) MarshalBinary() ([]byte, error) {
	b := binary.LittleEndian.AppendUint32(nil, uint32(d.n))
	for k := range d.n {
		for _, x := range d.point(d.slotAt(k)) {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
	}
	return b, nil
}

// UnmarshalBinary refills an empty detector of the same shape.
func (d *hotspotDetector) UnmarshalBinary(b []byte) error {
	if len(b) < 4 {
		return errors.New("hotspots state is too short")
	}
	n := int(binary.LittleEndian.Uint32(b))
	b = b[4:]
	if n > d.window || len(b) != n*d.dims*8 {
		return errors.New("hotspots state does not fit the window")
	}
	p := make([]float64, d.dims)
	for range n {
		for i := range p {
			p[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
			b = b[8:]
		}
		d.add(p)
	}
	return nil
}
