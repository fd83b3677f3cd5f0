package engine

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"sort"

	"github.com/riffle-sql/riffle/rcf"
	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/sql/types"
)

// Snapshots carry an application's whole state between rows: the clock,
// each stream's bounds and merge queues, and every operator's windows,
// join buffers and forests. Restoring one into a fresh App built from the
// same graph continues exactly where the snapshot was taken.

const snapshotVersion = 1

// ErrSnapshot marks a snapshot that does not fit the application.
var ErrSnapshot = errors.New("snapshot does not fit this application")

type appState struct {
	Version   int
	Clock     int64
	Start     int64 // see App.start; absent (zero) in older snapshots
	Started   bool
	Streams   []streamState // by name
	Operators [][]byte      // in build order
}

type streamState struct {
	Name   string
	Bounds []int64
	Queues [][]Row
	Bound  int64
	Last   int64
}

// stateful operators save their state; the App keeps them in build order.
type stateful interface {
	saveState() ([]byte, error)
	loadState([]byte) error
}

// Snapshot saves the application's state.
func (a *App) Snapshot() ([]byte, error) {
	st := appState{Version: snapshotVersion, Clock: a.clock, Start: a.start, Started: a.started}
	names := make([]string, 0, len(a.streams))
	for name := range a.streams {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := a.streams[name]
		st.Streams = append(st.Streams, streamState{Name: name, Bounds: s.bounds, Queues: s.queues, Bound: s.bound, Last: s.last})
	}
	for i, op := range a.stateful {
		data, err := op.saveState()
		if err != nil {
			return nil, fmt.Errorf("operator %d: %w", i, err)
		}
		st.Operators = append(st.Operators, data)
	}
	return encodeState(st)
}

// Restore loads a snapshot into an App freshly built from the same graph.
func (a *App) Restore(data []byte) error {
	var st appState
	if err := decodeState(data, &st); err != nil {
		return err
	}
	if st.Version != snapshotVersion || len(st.Streams) != len(a.streams) || len(st.Operators) != len(a.stateful) {
		return fmt.Errorf("%w: its shape differs", ErrSnapshot)
	}
	for _, ss := range st.Streams {
		s, ok := a.streams[ss.Name]
		if !ok || len(ss.Bounds) != len(s.bounds) || len(ss.Queues) != len(s.queues) {
			return fmt.Errorf("%w: stream %s differs", ErrSnapshot, ss.Name)
		}
		copy(s.bounds, ss.Bounds)
		copy(s.queues, ss.Queues)
		s.bound, s.last = ss.Bound, ss.Last
	}
	for i, op := range a.stateful {
		if err := op.loadState(st.Operators[i]); err != nil {
			return fmt.Errorf("%w: operator %d: %v", ErrSnapshot, i, err)
		}
	}
	a.clock = st.Clock
	a.start, a.started = st.Start, st.Started
	return nil
}

func encodeState(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	return buf.Bytes(), nil
}

func decodeState(data []byte, v any) error {
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	return nil
}

// accumulatorState is how an accumulator saves itself.
type accumulatorState interface {
	Snapshot() []types.Value
	Restore([]types.Value) error
}

type groupState struct {
	Keys   []types.Value
	Accs   [][]types.Value
	Failed string // the group's row goes to error_stream (see group)
}

func saveGroup(g *group) (groupState, error) {
	gs := groupState{Keys: g.keys, Failed: g.failed}
	for _, acc := range g.accs {
		s, ok := acc.(accumulatorState)
		if !ok {
			return gs, fmt.Errorf("aggregate %T cannot be saved", acc)
		}
		gs.Accs = append(gs.Accs, s.Snapshot())
	}
	return gs, nil
}

func loadGroup(gs groupState, aggs []plan.AggCall) (*group, error) {
	if len(gs.Accs) != len(aggs) {
		return nil, errors.New("group has the wrong number of aggregates")
	}
	g := &group{keys: gs.Keys, accs: newAccumulators(aggs), failed: gs.Failed}
	for i, acc := range g.accs {
		s, ok := acc.(accumulatorState)
		if !ok {
			return nil, fmt.Errorf("aggregate %T cannot be restored", acc)
		}
		if err := s.Restore(gs.Accs[i]); err != nil {
			return nil, err
		}
	}
	return g, nil
}

type tumblingState struct {
	OutBound int64
	Windows  []windowState
	// Last is the input's last time, for windows of declared keys that
	// end with the input.
	Last int64
}

type windowState struct {
	End    int64
	Keys   []types.Value
	Groups []groupState
}

func (g *aggregateOp) saveState() ([]byte, error) {
	st := tumblingState{OutBound: g.outBound, Last: g.last}
	for _, w := range g.windows {
		ws := windowState{End: w.end, Keys: w.keys}
		for _, grp := range w.groups {
			gs, err := saveGroup(grp)
			if err != nil {
				return nil, err
			}
			ws.Groups = append(ws.Groups, gs)
		}
		st.Windows = append(st.Windows, ws)
	}
	return encodeState(st)
}

func (g *aggregateOp) loadState(data []byte) error {
	var st tumblingState
	if err := decodeState(data, &st); err != nil {
		return err
	}
	g.outBound, g.windows = st.OutBound, nil
	g.last = st.Last
	for _, ws := range st.Windows {
		w := &window{end: ws.End, keys: ws.Keys, index: map[string]*group{}}
		for _, gs := range ws.Groups {
			grp, err := loadGroup(gs, g.node.Aggs)
			if err != nil {
				return err
			}
			w.index[string(appendGroupID(nil, grp.keys))] = grp
			w.groups = append(w.groups, grp)
		}
		g.windows = append(g.windows, w)
	}
	return nil
}

type staggerState struct {
	OutBound int64
	Windows  []staggerWindowState
}

type staggerWindowState struct {
	End   int64
	Group groupState
}

func (s *staggerOp) saveState() ([]byte, error) {
	st := staggerState{OutBound: s.outBound}
	for _, w := range s.byEnd {
		gs, err := saveGroup(w.grp)
		if err != nil {
			return nil, err
		}
		st.Windows = append(st.Windows, staggerWindowState{End: w.end, Group: gs})
	}
	return encodeState(st)
}

func (s *staggerOp) loadState(data []byte) error {
	var st staggerState
	if err := decodeState(data, &st); err != nil {
		return err
	}
	s.outBound, s.byEnd, s.open = st.OutBound, nil, map[string]*staggerWindow{}
	for _, ws := range st.Windows {
		grp, err := loadGroup(ws.Group, s.node.Aggs)
		if err != nil {
			return err
		}
		w := &staggerWindow{id: string(appendGroupID(nil, grp.keys)), end: ws.End, grp: grp}
		s.open[w.id] = w
		s.byEnd = append(s.byEnd, w)
	}
	return nil
}

type joinState struct {
	Pending  [2][]savedJoinRow
	Rows     [2][]savedJoinRow
	Bounds   [2]int64
	OutBound int64
}

type savedJoinRow struct {
	Time    int64
	Values  []types.Value
	Matched bool
}

type savedRow struct {
	Time   int64
	Values []types.Value
}

func saveRows(rows []timedRow) []savedRow {
	out := make([]savedRow, len(rows))
	for i, r := range rows {
		out[i] = savedRow{r.time, r.vals}
	}
	return out
}

func loadRows(rows []savedRow) []timedRow {
	out := make([]timedRow, len(rows))
	for i, r := range rows {
		out[i] = timedRow{r.Time, r.Values}
	}
	return out
}

func (j *joinOp) saveState() ([]byte, error) {
	st := joinState{Bounds: j.bounds, OutBound: j.outBound}
	for s := range 2 {
		for _, r := range j.sides[s].pending {
			st.Pending[s] = append(st.Pending[s], savedJoinRow{r.time, r.vals, r.matched})
		}
		if j.sides[s].table {
			continue // reloaded with the application, possibly changed
		}
		for _, r := range j.sides[s].rows {
			st.Rows[s] = append(st.Rows[s], savedJoinRow{r.time, r.vals, r.matched})
		}
	}
	return encodeState(st)
}

func (j *joinOp) loadState(data []byte) error {
	var st joinState
	if err := decodeState(data, &st); err != nil {
		return err
	}
	j.bounds, j.outBound = st.Bounds, st.OutBound
	for s := range 2 {
		side := &j.sides[s]
		side.pending = nil
		for _, r := range st.Pending[s] {
			side.pending = append(side.pending, joinRow{time: r.Time, vals: r.Values, matched: r.Matched})
		}
		if side.table {
			continue // the table loaded now
		}
		side.rows = nil
		for _, r := range st.Rows[s] {
			side.rows = append(side.rows, &joinRow{time: r.Time, vals: r.Values, matched: r.Matched})
		}
	}
	return nil
}

type unionState struct {
	Queues   [2][]savedRow
	Bounds   [2]int64
	OutBound int64
}

func (u *unionOp) saveState() ([]byte, error) {
	return encodeState(unionState{Queues: [2][]savedRow{saveRows(u.queues[0]), saveRows(u.queues[1])}, Bounds: u.bounds, OutBound: u.outBound})
}

func (u *unionOp) loadState(data []byte) error {
	var st unionState
	if err := decodeState(data, &st); err != nil {
		return err
	}
	u.queues = [2][]timedRow{loadRows(st.Queues[0]), loadRows(st.Queues[1])}
	u.bounds, u.outBound = st.Bounds, st.OutBound
	return nil
}

type analyticState struct {
	Parts []map[string][]savedRow // per window, per partition: time and call arguments
}

func (a *analyticOp) saveState() ([]byte, error) {
	st := analyticState{}
	for _, parts := range a.parts {
		m := map[string][]savedRow{}
		for id, p := range parts {
			rows := make([]savedRow, len(p.rows))
			for i, r := range p.rows {
				rows[i] = savedRow{r.time, r.args}
			}
			m[id] = rows
		}
		st.Parts = append(st.Parts, m)
	}
	return encodeState(st)
}

func (a *analyticOp) loadState(data []byte) error {
	var st analyticState
	if err := decodeState(data, &st); err != nil {
		return err
	}
	if len(st.Parts) != len(a.parts) {
		return errors.New("window count differs")
	}
	for wi, m := range st.Parts {
		a.parts[wi] = map[string]*partition{}
		for id, rows := range m {
			p := &partition{}
			for _, r := range rows {
				p.rows = append(p.rows, slidingRow{r.Time, r.Values})
			}
			a.parts[wi][id] = p
		}
	}
	return nil
}

// saveState: nothing for a forest not made yet (no row came).
func (r *rcfOp) saveState() ([]byte, error) {
	if r.forest == nil {
		return nil, nil
	}
	return r.forest.MarshalBinary()
}

func (r *rcfOp) loadState(data []byte) error {
	if len(data) == 0 {
		r.forest = nil
		return nil
	}
	f, err := rcf.Restore(data)
	if err != nil {
		return err
	}
	if f.Config() != r.cfg {
		return errors.New("forest parameters differ")
	}
	r.forest = f
	return nil
}

type sortState struct {
	OutBound int64
	Batches  []batchState
}

type batchState struct {
	Key  types.Value
	End  int64
	Last int64
	Rows []savedRow
}

func (s *sortOp) saveState() ([]byte, error) {
	st := sortState{OutBound: s.outBound}
	for _, b := range s.batches {
		st.Batches = append(st.Batches, batchState{Key: b.key, End: b.end, Last: b.last, Rows: saveRows(b.rows)})
	}
	return encodeState(st)
}

func (s *sortOp) loadState(data []byte) error {
	var st sortState
	if err := decodeState(data, &st); err != nil {
		return err
	}
	s.outBound, s.batches = st.OutBound, nil
	for _, b := range st.Batches {
		s.batches = append(s.batches, &batch{key: b.Key, end: b.End, last: b.Last, rows: loadRows(b.Rows)})
	}
	return nil
}

type distinctState struct {
	Key  types.Value
	Seen []string
}

func (d *distinctOp) saveState() ([]byte, error) {
	st := distinctState{Key: d.key}
	for id := range d.seen {
		st.Seen = append(st.Seen, id)
	}
	sort.Strings(st.Seen)
	return encodeState(st)
}

func (d *distinctOp) loadState(data []byte) error {
	var st distinctState
	if err := decodeState(data, &st); err != nil {
		return err
	}
	d.key, d.seen = st.Key, map[string]bool{}
	for _, id := range st.Seen {
		d.seen[id] = true
	}
	return nil
}
