package app

import (
	"fmt"
	"slices"
	"sync"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/sql/engine"
	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/sql/types"
)

// taps keep each in-application stream's recent rows and hand new ones to
// whoever follows the stream. Rows are kept as values and written as JSON
// only for a follower: with nobody watching, a row costs a copy of its
// values into a slot the ring reuses.
type taps struct {
	mu      sync.Mutex
	streams map[string]*ring
	order   []string // the streams, in the graph's order, error_stream last
	closed  bool     // no new followers
	relayed int64    // rows handed to relays (tests check none are while nobody watches)
	// remote serves the taps of other nodes (relay.go); nil on a single
	// server.
	remote *tapServer
}

// ring keeps a stream's recent rows (up to limit, growing as rows come, so
// an idle application holds little) and its followers.
type ring struct {
	cols      []plan.Column
	rows      []engine.Row
	limit     int
	next      int    // where the next row goes once the ring is full
	count     uint64 // rows published since the start: the last one's number
	followers map[chan []byte]bool
	relay     *relay // sends the rows to other nodes while one watches
}

// newTaps subscribes a tap to every stream of the application.
func newTaps(app *compile.Application, limit int) (*taps, error) {
	t := &taps{streams: map[string]*ring{}}
	for _, name := range app.Engine.Streams() {
		cols, _ := app.Columns(name)
		r := &ring{cols: cols, limit: limit, followers: map[chan []byte]bool{}}
		t.streams[name] = r
		t.order = append(t.order, name)
		if err := app.Engine.Subscribe(name, func(row engine.Row) { t.publish(r, row) }); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (t *taps) names() []string { return slices.Clone(t.order) }

// counts are the rows each stream has had since the run began (the
// metrics read the rings' own numbers: counting costs the run nothing).
func (t *taps) counts() map[string]uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := make(map[string]uint64, len(t.streams))
	for name, r := range t.streams {
		n[name] = r.count
	}
	return n
}

func (t *taps) publish(r *ring, row engine.Row) {
	t.mu.Lock()
	defer t.mu.Unlock()
	// The engine may reuse a row's values once its subscribers return:
	// keep a copy, in the slot's own memory when it has some.
	var slot *engine.Row
	if len(r.rows) < r.limit {
		r.rows = append(r.rows, engine.Row{})
		slot = &r.rows[len(r.rows)-1]
	} else {
		slot = &r.rows[r.next]
		r.next = (r.next + 1) % r.limit
	}
	slot.Time = row.Time
	slot.Values = append(slot.Values[:0], row.Values...)
	r.count++
	if r.relay == nil && len(r.followers) == 0 {
		return
	}
	line := rowJSON(r.cols, row)
	if rl := r.relay; rl != nil && len(rl.pending) < r.limit { // (a relay that far behind misses rows)
		rl.pending = append(rl.pending, relayedRow{Seq: r.count, Row: line})
		t.relayed++
		select {
		case rl.wake <- struct{}{}:
		default: // woken already
		}
	}
	for ch := range r.followers {
		select {
		case ch <- line:
		default: // a slow follower misses rows rather than stalling the application
		}
	}
}

// follow returns a stream's recent rows, oldest first, and a channel of
// the new ones until cancel (or the application stops).
func (t *taps) follow(stream string) ([][]byte, <-chan []byte, func(), error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, nil, nil, fmt.Errorf("%w: the application stopped", ErrInUse)
	}
	r := t.streams[stream]
	if r == nil {
		return nil, nil, nil, fmt.Errorf("%w: no stream %s", ErrInvalid, stream)
	}
	recent := r.recent()
	// A follower may fall as far behind as the rows the tap keeps for a
	// newcomer: a burst (a step catching up after the machine held the
	// loop back) waits for it; only one that stays behind misses rows.
	ch := make(chan []byte, r.limit)
	r.followers[ch] = true
	cancel := func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if r.followers[ch] {
			delete(r.followers, ch)
			close(ch)
		}
	}
	return recent, ch, cancel, nil
}

// recent is the ring's rows as JSON, oldest first (under taps.mu).
func (r *ring) recent() [][]byte {
	recent := make([][]byte, 0, len(r.rows))
	for _, row := range append(slices.Clone(r.rows[r.next:]), r.rows[:r.next]...) {
		recent = append(recent, rowJSON(r.cols, row))
	}
	return recent
}

// close ends every follower's channel and, on a node, the relays to the
// others (telling their watchers that the run has ended).
func (t *taps) close() {
	t.mu.Lock()
	t.closed = true
	for _, r := range t.streams {
		for ch := range r.followers {
			delete(r.followers, ch)
			close(ch)
		}
	}
	remote := t.remote
	t.mu.Unlock()
	if remote != nil {
		remote.stop()
	}
}

func rowJSON(cols []plan.Column, r engine.Row) []byte {
	b := []byte(`{"ROWTIME":`)
	b = types.AppendJSONString(b, types.FormatISO(r.Time))
	for i, c := range cols {
		b = append(b, ',')
		b = types.AppendJSONString(b, c.Name)
		b = append(b, ':')
		b = r.Values[i].AppendJSON(b)
	}
	return append(b, '}')
}
