package app

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/riffle-sql/riffle/internal/throttle"
	"github.com/riffle-sql/riffle/streamlog"
)

// Taps on every node (docs/cluster.md). A tap on a node that does not run
// the application asks the node that does, over core NATS (nothing
// stored): the owner answers, for each running application, requests for
// its streams' names and for a stream's recent rows; the request for rows
// also says that someone watches the stream, and the watcher repeats it
// every tapPeriod. While someone has said so within relayLinger, the owner
// relays each new row of the stream on a subject of its own; with nobody
// watching, it sends nothing. Rows carry their number in the run, so that
// a watcher takes each once whether it came with the recent ones or
// relayed; a run has its own id, so that a watcher ends its tap when the
// application stops or restarts, as a tap on the owner does.
//
// Subjects (the application's token: its UID; a stream: its name in hex,
// as names may hold any character):
//
//	riffle.tap.streams.TOKEN        request: the streams' names
//	riffle.tap.want.TOKEN           request: a stream's recent rows, and "still watching"
//	riffle.tap.rows.TOKEN.HEXNAME   the relayed rows of a stream

const (
	// tapPeriod is how often a watcher says it still watches, and how
	// often a relay checks that someone does.
	tapPeriod = time.Second
	// relayLinger is how long a relay goes on without hearing from a
	// watcher: a few periods, so that a request late or lost does not
	// stop it.
	relayLinger = 3 * tapPeriod
	// tapMisses is how many periods in a row a watcher goes without an
	// answer from the owner before it ends its tap (the owner died).
	tapMisses = 3
	// tapRequestTimeout bounds a tap's first requests to the owner.
	tapRequestTimeout = 5 * time.Second
)

// tokenChars are those a UID may use as a subject token as it is.
var tokenChars = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// tapToken names an application in subjects: its UID, or its lease key in
// hex (one made before UIDs).
func tapToken(a Application) string {
	if tokenChars.MatchString(a.UID) {
		return a.UID
	}
	return "x" + hex.EncodeToString([]byte(leaseKey(a)))
}

func streamsSubject(token string) string { return "riffle.tap.streams." + token }
func wantSubject(token string) string    { return "riffle.tap.want." + token }
func rowsSubject(token, stream string) string {
	return "riffle.tap.rows." + token + "." + hex.EncodeToString([]byte(stream))
}

// The messages.
type (
	tapStreams struct {
		Run     string
		Streams []string
	}
	tapWant struct {
		Stream string
		Recent bool `json:",omitempty"` // a new watcher: send the recent rows
	}
	tapWanted struct {
		Run    string
		Seq    uint64            // the number of the last row published
		Recent []json.RawMessage `json:",omitempty"`
		// Error refuses: no such stream, or (Stopped) the run is ending.
		Error   string `json:",omitempty"`
		Stopped bool   `json:",omitempty"`
	}
	tapBatch struct {
		Run  string
		Rows []relayedRow `json:",omitempty"`
		End  bool         `json:",omitempty"` // the run has ended: no more rows
	}
	relayedRow struct {
		Seq uint64
		Row json.RawMessage
	}
)

// marshal is json.Marshal without HTML escaping: relayed rows read the
// same as local ones.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // (these types always encode)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// relay is a stream's rows on their way to other nodes (its fields
// guarded by taps.mu).
type relay struct {
	heard   time.Time     // when a watcher last asked, on the Manager's clock
	pending []relayedRow  // published by the engine, not yet sent
	wake    chan struct{} // rows are pending
}

// tapServer answers, for an application running on this node, the taps
// of the other nodes. It lives as long as the run: taps.close stops it.
type tapServer struct {
	m      *Manager
	taps   *taps
	name   string
	token  string
	run    string
	ctx    context.Context // ends with the run
	cancel context.CancelFunc
	subs   []<-chan struct{}
	relays sync.WaitGroup
	errs   throttle.Log
}

// serveTaps answers the other nodes' taps of a run; the run's taps stop
// it when they close.
func (m *Manager) serveTaps(r *running) error {
	ctx, cancel := context.WithCancel(m.base)
	s := &tapServer{m: m, taps: r.taps, name: r.def.Name, token: tapToken(r.def), run: newUID(), ctx: ctx, cancel: cancel,
		errs: throttle.Log{Logger: r.logger, Every: errorLogEvery, Clock: m.opts.Clock}}
	for subject, handle := range map[string]func(streamlog.Msg){streamsSubject(s.token): s.streams, wantSubject(s.token): s.want} {
		done, err := m.log.Subscribe(ctx, subject, handle)
		if err != nil {
			s.stop()
			return fmt.Errorf("serve the taps of %s to other nodes: %w", r.def.Name, err)
		}
		s.subs = append(s.subs, done)
	}
	r.taps.mu.Lock()
	r.taps.remote = s
	r.taps.mu.Unlock()
	return nil
}

// stop ends the subscriptions, then the relays, which tell their watchers
// that the run has ended.
func (s *tapServer) stop() {
	s.cancel()
	for _, done := range s.subs {
		<-done
	}
	s.relays.Wait() // (relays start only in want, which has ended)
}

func (s *tapServer) respond(msg streamlog.Msg, v any) {
	if err := msg.Respond(marshal(v)); err != nil && s.ctx.Err() == nil {
		s.errs.Error("answering another node's tap failed", "err", err)
	}
}

// streams answers the streams' names.
func (s *tapServer) streams(msg streamlog.Msg) {
	s.respond(msg, tapStreams{Run: s.run, Streams: s.taps.names()})
}

// want answers a watcher: the stream's recent rows if it asks for them,
// and a relay of the stream from now on, for as long as it keeps asking.
func (s *tapServer) want(msg streamlog.Msg) {
	reply := tapWanted{Run: s.run}
	var w tapWant
	if err := json.Unmarshal(msg.Data, &w); err != nil {
		reply.Error = "unreadable request: " + err.Error()
		s.respond(msg, reply)
		return
	}
	seq, recent, r, started, err := s.taps.watch(w.Stream, w.Recent, s.m.opts.Clock.Now())
	switch {
	case errors.Is(err, ErrInUse):
		reply.Error, reply.Stopped = err.Error(), true
	case err != nil:
		reply.Error = err.Error()
	default:
		reply.Seq = seq
		// The newest rows that fit in one message.
		budget := s.m.log.MaxPayload() - 4096
		from := len(recent)
		for from > 0 && len(recent[from-1])+1 < budget {
			from--
			budget -= len(recent[from]) + 1
		}
		for _, row := range recent[from:] {
			reply.Recent = append(reply.Recent, row)
		}
		if started != nil {
			subject := rowsSubject(s.token, w.Stream)
			s.relays.Go(func() { s.relay(r, started, subject) })
		}
	}
	s.respond(msg, reply)
}

// relay sends a stream's rows as they come while someone watches, and
// says when the run ends.
func (s *tapServer) relay(r *ring, rl *relay, subject string) {
	clock := s.m.opts.Clock
	t := clock.NewTicker(tapPeriod)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			s.send(rl, subject, true)
			return
		case <-rl.wake:
			s.send(rl, subject, false)
		case <-t.Chan():
			if s.taps.lapsed(r, rl, clock.Now()) {
				return // nobody watches: nothing more is sent
			}
		}
	}
}

// send publishes the pending rows, in messages the server takes.
func (s *tapServer) send(rl *relay, subject string, end bool) {
	s.taps.mu.Lock()
	rows := rl.pending
	rl.pending = nil
	s.taps.mu.Unlock()
	budget := s.m.log.MaxPayload() - 4096
	for len(rows) > 0 || end {
		n, size := 0, 0
		for n < len(rows) && (n == 0 || size+len(rows[n].Row)+32 < budget) {
			size += len(rows[n].Row) + 32
			n++
		}
		batch := tapBatch{Run: s.run, Rows: rows[:n], End: end && n == len(rows)}
		rows = rows[n:]
		if err := s.m.log.Publish(subject, marshal(batch)); err != nil {
			s.errs.Error("relaying a stream's rows to another node failed", "err", err)
		}
		if batch.End {
			return
		}
	}
}

// watch notes that a watcher wants a stream relayed, as of now: it returns
// the number of the last row published, the recent rows if asked, and the
// relay to start if there was none.
func (t *taps) watch(stream string, recent bool, now time.Time) (uint64, [][]byte, *ring, *relay, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return 0, nil, nil, nil, fmt.Errorf("%w: the application stopped", ErrInUse)
	}
	r := t.streams[stream]
	if r == nil {
		return 0, nil, nil, nil, fmt.Errorf("%w: no stream %s", ErrInvalid, stream)
	}
	var started *relay
	if r.relay == nil {
		r.relay = &relay{wake: make(chan struct{}, 1)}
		started = r.relay
	}
	r.relay.heard = now
	var rows [][]byte
	if recent {
		rows = r.recent()
	}
	return r.count, rows, r, started, nil
}

// lapsed removes a relay nobody has asked for within relayLinger.
func (t *taps) lapsed(r *ring, rl *relay, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(rl.heard) < relayLinger {
		return false
	}
	if r.relay == rl {
		r.relay = nil
	}
	return true
}

// relaying says whether a stream's rows are relayed, and how many rows
// have been in all (tests).
func (t *taps) relaying(stream string) (bool, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.streams[stream]
	return r != nil && r.relay != nil, t.relayed
}

// notRunning is a tap on an application no node runs.
func notRunning(name string) error {
	return fmt.Errorf("%w: application %s is not running", ErrInUse, name)
}

// remoteStreams asks the node that runs an application for its streams.
func (m *Manager) remoteStreams(ctx context.Context, name string) ([]string, error) {
	a, err := m.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	if !active(a.Status) {
		return nil, notRunning(name)
	}
	req, cancel := context.WithTimeout(ctx, tapRequestTimeout)
	defer cancel()
	data, err := m.log.Request(req, streamsSubject(tapToken(a)), nil)
	if errors.Is(err, streamlog.ErrNoResponders) {
		return nil, fmt.Errorf("%w: application %s is not running on any node (yet)", ErrInUse, name)
	}
	if err != nil {
		return nil, fmt.Errorf("the streams of %s, from the node that runs it: %w", name, err)
	}
	var st tapStreams
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("the streams of %s, from the node that runs it: %w", name, err)
	}
	return st.Streams, nil
}

// askTap sends a watcher's request to the node that runs an application.
func (m *Manager) askTap(ctx context.Context, name, token string, w tapWant, timeout time.Duration) (tapWanted, error) {
	req, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	data, err := m.log.Request(req, wantSubject(token), marshal(w))
	if errors.Is(err, streamlog.ErrNoResponders) {
		return tapWanted{}, fmt.Errorf("%w: application %s is not running on any node (yet)", ErrInUse, name)
	}
	if err != nil {
		return tapWanted{}, fmt.Errorf("tap of %s on the node that runs it: %w", name, err)
	}
	var reply tapWanted
	if err := json.Unmarshal(data, &reply); err != nil {
		return tapWanted{}, fmt.Errorf("tap of %s on the node that runs it: %w", name, err)
	}
	switch {
	case reply.Stopped:
		return reply, fmt.Errorf("%w: %s", ErrInUse, reply.Error)
	case reply.Error != "":
		return reply, fmt.Errorf("%w: %s", ErrInvalid, reply.Error)
	}
	return reply, nil
}

// remoteTap follows a stream of an application another node runs: its
// recent rows, then the rows that node relays, until cancel, the end of
// the run there, or the owner's silence for tapMisses periods.
func (m *Manager) remoteTap(ctx context.Context, name, stream string) ([][]byte, <-chan []byte, func(), error) {
	a, err := m.Get(ctx, name)
	if err != nil {
		return nil, nil, nil, err
	}
	if !active(a.Status) {
		return nil, nil, nil, notRunning(name)
	}
	token := tapToken(a)
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, nil, nil, errors.New("the server is shutting down")
	}
	m.watchers.Add(1)
	m.mu.Unlock()
	watchCtx, stop := context.WithCancel(m.closing)
	in := make(chan []byte, m.opts.RowsPerStream)
	subscribed, err := m.log.Subscribe(watchCtx, rowsSubject(token, stream), func(msg streamlog.Msg) {
		select {
		case in <- msg.Data:
		default: // a watcher that far behind misses rows, as a local follower does
		}
	})
	if err != nil {
		stop()
		m.watchers.Done()
		return nil, nil, nil, fmt.Errorf("tap of %s: %w", name, err)
	}
	// Subscribed first: the rows published after the answer reach it.
	first, err := m.askTap(ctx, name, token, tapWant{Stream: stream, Recent: true}, tapRequestTimeout)
	if err != nil {
		stop()
		<-subscribed
		m.watchers.Done()
		return nil, nil, nil, err
	}
	recent := make([][]byte, len(first.Recent))
	for i, row := range first.Recent {
		recent[i] = row
	}
	out := make(chan []byte, m.opts.RowsPerStream)
	finished := make(chan struct{})
	go func() {
		defer m.watchers.Done()
		defer close(finished)
		defer close(out)
		defer func() { stop(); <-subscribed }()
		m.watch(watchCtx, name, token, stream, first, in, out)
	}()
	cancel := sync.OnceFunc(func() {
		stop()
		<-finished
	})
	return recent, out, cancel, nil
}

// watch hands a watcher the relayed rows it has not had, and asks the
// owner every tapPeriod to go on relaying; it returns when ctx ends or the
// run it watches is over.
func (m *Manager) watch(ctx context.Context, name, token, stream string, first tapWanted, in <-chan []byte, out chan<- []byte) {
	t := m.opts.Clock.NewTicker(tapPeriod)
	defer t.Stop()
	seq, misses := first.Seq, 0
	for {
		select {
		case <-ctx.Done():
			return
		case data := <-in:
			var b tapBatch
			if json.Unmarshal(data, &b) != nil {
				continue
			}
			if b.Run != first.Run {
				return // the application restarted: its rows start again
			}
			for _, row := range b.Rows {
				if row.Seq <= seq {
					continue // had already, with the recent rows
				}
				seq = row.Seq
				select {
				case out <- row.Row:
				default: // a slow follower misses rows rather than holding the others
				}
			}
			if b.End {
				return
			}
		case <-t.Chan():
			reply, err := m.askTap(ctx, name, token, tapWant{Stream: stream}, tapPeriod)
			switch {
			case ctx.Err() != nil:
				return
			case err == nil && reply.Run != first.Run, errors.Is(err, ErrInUse), errors.Is(err, ErrInvalid):
				return // another run, or none
			case err != nil:
				if misses++; misses >= tapMisses {
					m.opts.Logger.Warn("the node running the application does not answer: the tap ends", "application", name, "stream", stream, "err", err)
					return
				}
			default:
				misses = 0
			}
		}
	}
}
