package engine

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/axiomhq/hyperloglog"
	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/sql/types"
)

// hotspotsOp is HOTSPOTS: each row passes with HOTSPOTS_RESULT, the
// hotspots of the window that ends with it. A row with a NULL or an
// infinite value in a numeric column is not a point: it passes with the
// window's hotspots as they are.
type hotspotsOp struct {
	node  *plan.Hotspots
	det   *hotspotDetector
	point []float64
	out   emitter
	json  []byte // scratch
	last  string // the previous result, shared while it does not change
}

func newHotspotsOp(n *plan.Hotspots, out emitter) *hotspotsOp {
	return &hotspotsOp{node: n, out: out, point: make([]float64, len(n.Numeric)), det: newDetectorFor(n)}
}

func newDetectorFor(n *plan.Hotspots) *hotspotDetector {
	return newHotspotDetector(n.WindowSize, n.ScanRadius, n.MinPoints, len(n.Numeric))
}

func (h *hotspotsOp) push(_ int, time int64, vals []types.Value) {
	cols := len(vals) - 1
	out := make([]types.Value, cols+2)
	copy(out, vals[:cols])
	out[cols+1] = rowtimeValue(time)
	ok := true
	for i, c := range h.node.Numeric {
		x := vals[c].Float64()
		if vals[c].Null || math.IsInf(x, 0) || math.IsNaN(x) {
			ok = false
			break
		}
		h.point[i] = x
	}
	if ok {
		h.det.add(h.point)
	}
	h.json = appendHotspotsJSON(h.json[:0], h.det.hotspots())
	if string(h.json) != h.last {
		h.last = string(h.json)
	}
	out[cols] = types.Str(types.Varchar, h.last)
	h.out.push(time, out)
}

func (h *hotspotsOp) advance(_ int, t int64) { h.out.advance(t) }

func (h *hotspotsOp) saveState() ([]byte, error) { return h.det.MarshalBinary() }

func (h *hotspotsOp) loadState(data []byte) error {
	d := newDetectorFor(h.node)
	if err := d.UnmarshalBinary(data); err != nil {
		return err
	}
	h.det, h.last = d, ""
	return nil
}

// itemsOp is TOP_K_ITEMS_TUMBLING and COUNT_DISTINCT_ITEMS_TUMBLING: the
// counted column's values go into the open tumbling window (aligned to
// the epoch, like STEP); when the clock passes its end the window emits,
// stamped with its end. A NULL is no item; a window without rows emits
// nothing.
type itemsOp struct {
	node     *plan.ItemsTumbling
	out      emitter
	open     bool
	start    int64
	end      int64
	outBound int64
	top      *spaceSaving
	distinct *distinctCounter
	one      [1]types.Value // scratch
	key      []byte         // scratch
}

func newItemsOp(n *plan.ItemsTumbling, out emitter) *itemsOp {
	op := &itemsOp{node: n, out: out, outBound: math.MinInt64}
	if n.K > 0 {
		op.top = newSpaceSaving(topKCapacity(n.K))
	} else {
		op.distinct = &distinctCounter{exact: map[string]struct{}{}}
	}
	return op
}

// windowOf is the start and end of the window holding t.
func (o *itemsOp) windowOf(t int64) (int64, int64) {
	w := o.node.Window
	start := t / w * w
	if t%w < 0 {
		start -= w
	}
	if start > Forever-w {
		return start, Forever
	}
	return start, start + w
}

func (o *itemsOp) push(_ int, time int64, vals []types.Value) {
	if o.open && time >= o.end {
		o.emit()
	}
	if !o.open {
		o.open = true
		o.start, o.end = o.windowOf(time)
	}
	v := vals[o.node.Column]
	if v.Null {
		return
	}
	o.one[0] = v
	o.key = appendGroupID(o.key[:0], o.one[:])
	if o.top != nil {
		o.top.add(o.key, v)
	} else {
		o.distinct.add(o.key)
	}
}

func (o *itemsOp) advance(_ int, t int64) {
	if o.open && o.end <= t {
		o.emit()
	}
	next := int64(Forever)
	switch {
	case o.open:
		next = o.end
	case t != Forever:
		_, next = o.windowOf(t)
	}
	if next > o.outBound {
		o.outBound = next
		o.out.advance(next)
	}
}

func (o *itemsOp) emit() {
	o.open = false
	end := rowtimeValue(o.end)
	if o.top != nil {
		for _, e := range o.top.top(o.node.K) {
			row := []types.Value{e.value, types.Int(types.BigInt, e.count)}
			for _, a := range o.node.Aliases {
				row = append(row, row[a])
			}
			o.out.push(o.end, append(row, end))
		}
		o.top.reset()
		return
	}
	o.out.push(o.end, []types.Value{types.Int(types.BigInt, o.distinct.count()), end})
	o.distinct.reset()
}

// topKCapacity is how many items TOP_K_ITEMS_TUMBLING counts at once: up
// to that many distinct items in a window the counts are exact.
func topKCapacity(k int) int { return max(10000, 2*k) }

// spaceSaving counts items in bounded memory (Metwally, Agrawal and El
// Abbadi's Space-Saving): while fewer items than its capacity have come,
// every count is exact; then a new item takes the place of the item with
// the lowest count (the least recently counted among equals) and inherits
// that count, which it may overstate by at most its err. Any item seen
// more than N/capacity times in N is held.
type spaceSaving struct {
	capacity int
	entries  ssHeap // a min-heap on (count, touched)
	byKey    map[string]*ssEntry
	seq      int64
}

type ssEntry struct {
	key     string
	value   types.Value
	count   int64
	err     int64 // the count inherited on taking another item's place
	first   int64 // seq when this item took its place: ties go to the earlier
	touched int64 // seq of its last count
	index   int
}

type ssHeap []*ssEntry

func (h ssHeap) Len() int { return len(h) }
func (h ssHeap) Less(i, j int) bool {
	if h[i].count != h[j].count {
		return h[i].count < h[j].count
	}
	return h[i].touched < h[j].touched
}
func (h ssHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *ssHeap) Push(x any) {
	e := x.(*ssEntry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *ssHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func newSpaceSaving(capacity int) *spaceSaving {
	return &spaceSaving{capacity: capacity, byKey: map[string]*ssEntry{}}
}

func (s *spaceSaving) add(key []byte, v types.Value) {
	s.seq++
	if e, ok := s.byKey[string(key)]; ok {
		e.count++
		e.touched = s.seq
		heap.Fix(&s.entries, e.index)
		return
	}
	if len(s.entries) < s.capacity {
		e := &ssEntry{key: string(key), value: v, count: 1, first: s.seq, touched: s.seq}
		heap.Push(&s.entries, e)
		s.byKey[e.key] = e
		return
	}
	e := s.entries[0]
	delete(s.byKey, e.key)
	e.key, e.value, e.err = string(key), v, e.count
	e.count++
	e.first, e.touched = s.seq, s.seq
	s.byKey[e.key] = e
	heap.Fix(&s.entries, 0)
}

// top returns the k highest counts: by count, then by the count that is
// certain, then by arrival.
func (s *spaceSaving) top(k int) []*ssEntry {
	all := slices.Clone(s.entries)
	slices.SortFunc(all, func(a, b *ssEntry) int {
		switch {
		case a.count != b.count:
			return cmpDesc(a.count, b.count)
		case a.count-a.err != b.count-b.err:
			return cmpDesc(a.count-a.err, b.count-b.err)
		}
		return cmpDesc(b.first, a.first)
	})
	return all[:min(k, len(all))]
}

func cmpDesc(a, b int64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

func (s *spaceSaving) reset() {
	s.entries = s.entries[:0]
	clear(s.byKey)
	s.seq = 0
}

// exactDistinct is how many distinct items COUNT_DISTINCT_ITEMS_TUMBLING
// counts exactly, as the service does; past it, a HyperLogLog sketch of
// 2^16 registers (standard error about 0.4 %) estimates the count.
const exactDistinct = 10000

type distinctCounter struct {
	exact  map[string]struct{}
	sketch *hyperloglog.Sketch
}

func (d *distinctCounter) add(key []byte) {
	if d.sketch != nil {
		d.sketch.Insert(key)
		return
	}
	if _, ok := d.exact[string(key)]; ok {
		return
	}
	d.exact[string(key)] = struct{}{}
	if len(d.exact) > exactDistinct {
		// Dense from the start: its state is then only its registers, so
		// a restored sketch goes on exactly as the saved one would.
		d.sketch = hyperloglog.New16NoSparse()
		for k := range d.exact {
			d.sketch.Insert([]byte(k))
		}
		clear(d.exact)
	}
}

func (d *distinctCounter) count() int64 {
	if d.sketch != nil {
		// Never below what the exact count has already passed.
		return max(int64(d.sketch.Estimate()), exactDistinct+1)
	}
	return int64(len(d.exact))
}

func (d *distinctCounter) reset() {
	clear(d.exact)
	d.sketch = nil
}

type itemsState struct {
	Open       bool
	Start, End int64
	OutBound   int64
	Seq        int64
	Entries    []ssEntryState // heap order
	Exact      []string       // sorted
	Sketch     []byte
}

type ssEntryState struct {
	Key                        string
	Value                      types.Value
	Count, Err, First, Touched int64
}

func (o *itemsOp) saveState() ([]byte, error) {
	st := itemsState{Open: o.open, Start: o.start, End: o.end, OutBound: o.outBound}
	if o.top != nil {
		st.Seq = o.top.seq
		for _, e := range o.top.entries {
			st.Entries = append(st.Entries, ssEntryState{e.key, e.value, e.count, e.err, e.first, e.touched})
		}
	} else {
		for k := range o.distinct.exact {
			st.Exact = append(st.Exact, k)
		}
		sort.Strings(st.Exact)
		if o.distinct.sketch != nil {
			b, err := o.distinct.sketch.MarshalBinary()
			if err != nil {
				return nil, fmt.Errorf("distinct sketch: %w", err)
			}
			st.Sketch = b
		}
	}
	return encodeState(st)
}

func (o *itemsOp) loadState(data []byte) error {
	var st itemsState
	if err := decodeState(data, &st); err != nil {
		return err
	}
	o.open, o.start, o.end, o.outBound = st.Open, st.Start, st.End, st.OutBound
	if o.top != nil {
		if len(st.Entries) > o.top.capacity {
			return errors.New("more items than the counter holds")
		}
		o.top.reset()
		o.top.seq = st.Seq
		for i, es := range st.Entries {
			e := &ssEntry{key: es.Key, value: es.Value, count: es.Count, err: es.Err, first: es.First, touched: es.Touched, index: i}
			o.top.entries = append(o.top.entries, e)
			o.top.byKey[e.key] = e
		}
		return nil
	}
	o.distinct.reset()
	for _, k := range st.Exact {
		o.distinct.exact[k] = struct{}{}
	}
	if st.Sketch != nil {
		sk := hyperloglog.New16NoSparse()
		if err := sk.UnmarshalBinary(st.Sketch); err != nil {
			return fmt.Errorf("distinct sketch: %w", err)
		}
		o.distinct.sketch = sk
	}
	return nil
}
