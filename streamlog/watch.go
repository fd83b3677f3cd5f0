package streamlog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A reader that has read a stream to its end need not ask again and again
// whether something came: it watches the stream and waits for a signal.
// One watcher per stream and log (so per node) serves every reader of it:
// this log's own appends signal at once, and one periodic look at the
// streams' last messages (one request for all of them) sees the appends of
// other nodes of a NATS cluster, and a stream deleted.

// watchEvery is how often the watcher looks at the streams' ends on an
// external NATS server, where other nodes may append: the latest another
// node's append reaches a waiting reader.
const watchEvery = 250 * time.Millisecond

// watchEveryEmbedded is the same look on the embedded server, which only
// this log reaches (each of its appends signals at once): a safety net.
const watchEveryEmbedded = 5 * time.Second

// watchListFrom is the number of watched streams from which one listing of
// every stream is cheaper than a request per watched stream.
const watchListFrom = 8

// Watch signals on C (at most one signal waiting) when the stream it
// watches may hold messages it did not hold before: a new message, its
// last message no longer the same, the stream deleted. A reader that reads
// after taking a Watch and finds nothing new can wait on C. Stop ends it.
type Watch struct {
	C    <-chan struct{}
	ch   chan struct{}
	l    *Log
	name string
}

// watchers are the log's watched streams.
type watchers struct {
	mu      sync.Mutex
	streams map[string]*streamWatch
	stop    context.CancelFunc // the poller's, once it runs
	done    chan struct{}
}

// streamWatch is a watched stream: its last message as last known and its
// readers' channels.
type streamWatch struct {
	last uint64
	gone bool
	subs map[chan struct{}]struct{}
}

func (w *streamWatch) signal() {
	for ch := range w.subs {
		select {
		case ch <- struct{}{}:
		default: // one already waits
		}
	}
}

// Watch starts watching a stream; ErrNotFound when there is none.
func (l *Log) Watch(ctx context.Context, name string) (*Watch, error) {
	l.watch.mu.Lock()
	_, known := l.watch.streams[name]
	l.watch.mu.Unlock()
	var last uint64
	if !known { // where the stream ends now: what comes later signals
		var err error
		if last, err = l.Last(ctx, name); err != nil {
			return nil, fmt.Errorf("streamlog: watch %s: %w", shown(name), err)
		}
	}
	ch := make(chan struct{}, 1)
	l.watch.mu.Lock()
	defer l.watch.mu.Unlock()
	if l.watch.streams == nil {
		l.watch.streams = map[string]*streamWatch{}
	}
	sw := l.watch.streams[name]
	if sw == nil {
		sw = &streamWatch{last: last, subs: map[chan struct{}]struct{}{}}
		l.watch.streams[name] = sw
	}
	sw.subs[ch] = struct{}{}
	if l.watch.stop == nil {
		pollCtx, stop := context.WithCancel(context.Background())
		l.watch.stop, l.watch.done = stop, make(chan struct{})
		go l.pollWatched(pollCtx, l.watch.done)
	}
	return &Watch{C: ch, ch: ch, l: l, name: name}, nil
}

// Stop ends the watch.
func (w *Watch) Stop() {
	ws := &w.l.watch
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if sw := ws.streams[w.name]; sw != nil {
		delete(sw.subs, w.ch)
		if len(sw.subs) == 0 {
			delete(ws.streams, w.name)
		}
	}
}

// watchAppended signals the readers of a stream this log appended to.
func (l *Log) watchAppended(name string, seq uint64) {
	l.watch.mu.Lock()
	defer l.watch.mu.Unlock()
	if sw := l.watch.streams[name]; sw != nil && seq > sw.last {
		sw.last = seq
		sw.signal()
	}
}

// watchDeleted signals the readers of a stream this log deleted.
func (l *Log) watchDeleted(name string) {
	l.watch.mu.Lock()
	defer l.watch.mu.Unlock()
	if sw := l.watch.streams[name]; sw != nil {
		sw.gone = true
		sw.signal()
	}
}

// stopWatching ends the poller (Close).
func (l *Log) stopWatching() {
	l.watch.mu.Lock()
	stop, done := l.watch.stop, l.watch.done
	l.watch.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// pollWatched looks at the watched streams' ends periodically until ctx
// ends.
func (l *Log) pollWatched(ctx context.Context, done chan struct{}) {
	defer close(done)
	every := watchEvery
	if l.server != nil {
		every = watchEveryEmbedded
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l.watch.mu.Lock()
		names := make([]string, 0, len(l.watch.streams))
		for name := range l.watch.streams {
			names = append(names, name)
		}
		l.watch.mu.Unlock()
		if len(names) == 0 {
			continue
		}
		look, cancel := context.WithTimeout(ctx, every)
		lasts, err := l.lastsOf(look, names)
		cancel()
		if err != nil {
			// The readers' own reads meet the trouble; the next look
			// signals what came meanwhile.
			l.logger.Debug("watching the streams' ends failed", "err", err)
			continue
		}
		l.watch.mu.Lock()
		for _, name := range names {
			sw := l.watch.streams[name]
			if sw == nil {
				continue
			}
			last, ok := lasts[name]
			switch {
			case !ok && !sw.gone:
				sw.gone = true
				sw.signal()
			case ok && (last != sw.last || sw.gone):
				sw.last, sw.gone = last, false
				sw.signal()
			}
		}
		l.watch.mu.Unlock()
	}
}

// lastsOf reads the last message of each named stream (absent: no such
// stream): a request each for a few, one listing of all streams for more.
func (l *Log) lastsOf(ctx context.Context, names []string) (map[string]uint64, error) {
	lasts := make(map[string]uint64, len(names))
	if len(names) < watchListFrom {
		for _, name := range names {
			st, err := l.stream(ctx, name, "watch") // one request: its info is current
			if err == nil {
				lasts[name] = st.CachedInfo().State.LastSeq
			} else if !errors.Is(err, ErrNotFound) {
				return nil, err
			}
		}
		return lasts, nil
	}
	byJS := make(map[string]string, len(names))
	for _, name := range names {
		byJS[jsName(name)] = name
	}
	list := l.jet().ListStreams(ctx, jetstream.WithStreamListSubject("rf.>"))
	for info := range list.Info() {
		if name, ok := byJS[info.Config.Name]; ok {
			lasts[name] = info.State.LastSeq
		}
	}
	if err := list.Err(); err != nil {
		return nil, fmt.Errorf("streamlog: list the streams: %w", err)
	}
	return lasts, nil
}
