package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// devGuideStream makes the developer guide's hotspot stream: points in
// [0,10)², of which hotWeight fall in a 1×1 square (the hotspot) that moves
// every 1000 points. It returns the points and each block's hotspot square.
func devGuideStream(seed uint64, n int, hotWeight float64) (pts [][2]float64, squares [][2]float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range n {
		if i%1000 == 0 {
			squares = append(squares, [2]float64{r.Float64() * 9, r.Float64() * 9})
		}
		sq := squares[len(squares)-1]
		if r.Float64() < hotWeight {
			pts = append(pts, [2]float64{sq[0] + r.Float64(), sq[1] + r.Float64()})
		} else {
			pts = append(pts, [2]float64{r.Float64() * 10, r.Float64() * 10})
		}
	}
	return pts, squares
}

// contains tells whether a hotspot's bounds hold the point.
func (h hotspot) contains(p ...float64) bool {
	for i, x := range p {
		if x < h.min[i] || x > h.max[i] {
			return false
		}
	}
	return true
}

// TestHotspotsDeveloperGuideScenario runs the developer guide's example
// (windowSize 1000, scanRadius 0.2, 17 points; its viewer keeps hotspots
// of density 40 and more): when the window holds one block of the stream,
// the one hotspot above 40 is around that block's square, far denser than
// the noise (800 points on 100 units²: 8 a unit).
func TestHotspotsDeveloperGuideScenario(t *testing.T) {
	pts, squares := devGuideStream(7, 5000, 0.2)
	d := newHotspotDetector(1000, 0.2, 17, 2)
	for i, p := range pts {
		d.add(p[:])
		if (i+1)%1000 != 0 {
			continue
		}
		sq := squares[i/1000]
		var dense []hotspot
		for _, h := range d.hotspots() {
			if h.density >= 40 {
				dense = append(dense, h)
			}
		}
		if len(dense) != 1 {
			t.Fatalf("after point %d: %d hotspots of density 40 or more, want 1: %s", i+1, len(dense), appendHotspotsJSON(nil, dense))
		}
		h := dense[0]
		if !h.contains(sq[0]+0.5, sq[1]+0.5) {
			t.Errorf("after point %d: hotspot %v..%v misses the square's centre (%.3f, %.3f)", i+1, h.min, h.max, sq[0]+0.5, sq[1]+0.5)
		}
		// The square holds about 200 points; the bounds hug it.
		if h.count < 150 || h.max[0]-h.min[0] > 1.6 || h.max[1]-h.min[1] > 1.6 {
			t.Errorf("after point %d: hotspot of %d points, bounds %v..%v: want about 200 points within the square", i+1, h.count, h.min, h.max)
		}
		if h.density < 10*8 {
			t.Errorf("after point %d: density %.1f, want far above the noise's 8", i+1, h.density)
		}
	}
}

// TestHotspotsFewCentres: three fixed dense squares and uniform noise; the
// three hotspots are found, each around its centre.
func TestHotspotsFewCentres(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	centres := [][2]float64{{2, 2}, {7, 3}, {5, 8}}
	d := newHotspotDetector(1000, 0.2, 17, 2)
	for range 3000 {
		if c := r.IntN(4); c < 3 {
			d.add([]float64{centres[c][0] - 0.5 + r.Float64(), centres[c][1] - 0.5 + r.Float64()})
		} else {
			d.add([]float64{r.Float64() * 10, r.Float64() * 10})
		}
	}
	hs := d.hotspots()
	if len(hs) != 3 {
		t.Fatalf("%d hotspots, want 3: %s", len(hs), appendHotspotsJSON(nil, hs))
	}
	for _, c := range centres {
		found := slices.IndexFunc(hs, func(h hotspot) bool { return h.contains(c[0], c[1]) })
		if found < 0 {
			t.Errorf("no hotspot around %v: %s", c, appendHotspotsJSON(nil, hs))
			continue
		}
		// 250 noise points on 100 units²: 2.5 a unit.
		if hs[found].density < 50 {
			t.Errorf("hotspot around %v has density %.1f, want far above the noise's 2.5", c, hs[found].density)
		}
	}
}

// TestHotspotsUniformFindsNone: a scattered stream has no hotspot, at any
// point of it.
func TestHotspotsUniformFindsNone(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 5))
	d := newHotspotDetector(1000, 0.2, 17, 2)
	for i := range 4000 {
		d.add([]float64{r.Float64() * 10, r.Float64() * 10})
		if hs := d.hotspots(); len(hs) > 0 {
			t.Fatalf("after point %d: %s, want no hotspot", i+1, appendHotspotsJSON(nil, hs))
		}
	}
}

// naiveHotspots is DBSCAN on the window, written plainly: the reference
// the incremental detector must agree with.
func naiveHotspots(window [][]float64, radius float64, minPts int) string {
	n := len(window)
	near := func(a, b []float64) bool {
		s := 0.0
		for i := range a {
			s += (a[i] - b[i]) * (a[i] - b[i])
		}
		return s <= radius*radius
	}
	core := make([]bool, n)
	for i := range n {
		c := 0
		for j := range n {
			if near(window[i], window[j]) {
				c++
			}
		}
		core[i] = c >= minPts
	}
	label := make([]int, n)
	for i := range label {
		label[i] = -1
	}
	clusters := 0
	for i := range n {
		if !core[i] || label[i] >= 0 {
			continue
		}
		label[i] = clusters
		queue := []int{i}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			for j := range n {
				if core[j] && label[j] < 0 && near(window[p], window[j]) {
					label[j] = clusters
					queue = append(queue, j)
				}
			}
		}
		clusters++
	}
	// A border point joins its oldest core neighbour's cluster.
	for j := range n {
		if core[j] {
			continue
		}
		for i := range n {
			if core[i] && near(window[i], window[j]) {
				label[j] = label[i]
				break
			}
		}
	}
	hs := make([]hotspot, clusters)
	for i := range hs {
		hs[i].first = -1
	}
	for j := range n {
		c := label[j]
		if c < 0 {
			continue
		}
		h := &hs[c]
		if h.first < 0 {
			h.first, h.min, h.max = j, slices.Clone(window[j]), slices.Clone(window[j])
		}
		h.count++
		for k, x := range window[j] {
			h.min[k], h.max[k] = min(h.min[k], x), max(h.max[k], x)
		}
	}
	kept := finishHotspots(hs, minPts, radius)
	return string(appendHotspotsJSON(nil, kept))
}

// TestHotspotsAgreeWithPlainDBSCAN feeds clustered random points, in one to
// six dimensions (the grid and the scan), through windows that fill and
// slide, and compares every result with plain DBSCAN on the window.
func TestHotspotsAgreeWithPlainDBSCAN(t *testing.T) {
	for _, dims := range []int{1, 2, 3, 4, 6} {
		t.Run(fmt.Sprintf("%dd", dims), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(dims), 9))
			const window, minPts = 100, 4
			radius := 0.6
			d := newHotspotDetector(window, radius, minPts, dims)
			var all [][]float64
			centre := make([]float64, dims)
			for i := range 400 {
				if i%50 == 0 {
					for k := range centre {
						centre[k] = r.Float64() * 6
					}
				}
				p := make([]float64, dims)
				for k := range p {
					if r.IntN(2) == 0 {
						p[k] = centre[k] + r.NormFloat64()*0.3
					} else {
						p[k] = r.Float64() * 6
					}
					if r.IntN(20) == 0 {
						p[k] = float64(r.IntN(3)) // repeated values and cell edges
					}
				}
				all = append(all, p)
				d.add(p)
				got := string(appendHotspotsJSON(nil, d.hotspots()))
				want := naiveHotspots(all[max(0, len(all)-window):], radius, minPts)
				if got != want {
					t.Fatalf("after point %d:\n got %s\nwant %s", i+1, got, want)
				}
			}
		})
	}
}

// TestHotspotsStateContinues: a detector restored from a saved one gives
// the same results from there on.
func TestHotspotsStateContinues(t *testing.T) {
	pts, _ := devGuideStream(5, 2500, 0.2)
	a := newHotspotDetector(1000, 0.2, 17, 2)
	for _, p := range pts[:1700] {
		a.add(p[:])
	}
	data, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b := newHotspotDetector(1000, 0.2, 17, 2)
	if err := b.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	for i, p := range pts[1700:] {
		a.add(p[:])
		b.add(p[:])
		if ga, gb := string(appendHotspotsJSON(nil, a.hotspots())), string(appendHotspotsJSON(nil, b.hotspots())); ga != gb {
			t.Fatalf("after point %d: restored gives %s, want %s", 1700+i+1, gb, ga)
		}
	}
	if err := newHotspotDetector(100, 0.2, 17, 2).UnmarshalBinary(data); err == nil {
		t.Error("a state of 1000 points loaded into a window of 100")
	}
}

// BenchmarkHotspotDetector is HOTSPOTS' work per record (add and cluster)
// on the developer guide's stream with its parameters.
//
//	go test -run '^$' -bench Hotspot -cpu 1 ./sql/engine
func BenchmarkHotspotDetector(b *testing.B) {
	for _, c := range []struct {
		window int
		radius float64
		minPts int
	}{{1000, 0.2, 17}, {100, 0.5, 10}} {
		b.Run(fmt.Sprintf("window=%d", c.window), func(b *testing.B) {
			pts, _ := devGuideStream(1, 20000, 0.2)
			d := newHotspotDetector(c.window, c.radius, c.minPts, 2)
			b.ReportAllocs()
			b.ResetTimer()
			var json []byte
			for i := 0; i < b.N; i++ {
				d.add(pts[i%len(pts)][:])
				json = appendHotspotsJSON(json[:0], d.hotspots())
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
