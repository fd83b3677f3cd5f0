package streamlog

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riffle-sql/riffle/internal/throttle"
)

// conn is one connection to NATS with its JetStream context. nats.go
// reconnects a connection that drops, but closes it for good after some
// protocol errors from the server (a subject over the control line's
// limit, say) or once its reconnect attempts run out: the log then opens
// another (keepConnected), so one bad request cannot leave every later
// one failing until a restart.
type conn struct {
	nc       *nats.Conn
	js       jetstream.JetStream
	closed   chan struct{} // closed once nc has closed
	replaced chan struct{} // closed once the log uses another connection
}

// dial opens a connection with the log's options.
func (l *Log) dial() (*conn, error) {
	c := &conn{closed: make(chan struct{}), replaced: make(chan struct{})}
	opts := append([]nats.Option{
		nats.ClosedHandler(func(*nats.Conn) { close(c.closed) }),
	}, l.natsOpts...)
	nc, err := nats.Connect(l.url, opts...)
	if err != nil {
		return nil, fmt.Errorf("streamlog: connect to NATS: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("streamlog: JetStream: %w", err)
	}
	c.nc, c.js = nc, js
	return c, nil
}

// current is the connection in use; nats and jet its parts.
func (l *Log) current() *conn           { return l.cur.Load() }
func (l *Log) nats() *nats.Conn         { return l.cur.Load().nc }
func (l *Log) jet() jetstream.JetStream { return l.cur.Load().js }

// Reconnects counts the connections the log opened again after one closed
// for good.
func (l *Log) Reconnects() int64 { return l.reconnects.Load() }

// keepConnected opens a new connection each time the one in use closes,
// until ctx ends (Close), waiting longer after each failed attempt.
func (l *Log) keepConnected(ctx context.Context) {
	defer close(l.connDone)
	backoff := throttle.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}
	complaints := throttle.Log{Logger: l.logger, Every: time.Minute, Clock: clockwork.NewRealClock()}
	for {
		old := l.current()
		select {
		case <-ctx.Done():
			return
		case <-old.closed:
		}
		for {
			if ctx.Err() != nil {
				return
			}
			c, err := l.dial()
			if err == nil {
				l.cur.Store(c)
				close(old.replaced)
				l.reconnects.Add(1)
				backoff.Reset()
				l.logger.Warn("the NATS connection closed for good; opened another", "reason", old.nc.LastError())
				break
			}
			complaints.Error("the NATS connection closed and no other can be opened", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff.Next()):
			}
		}
	}
}

// nextConn waits until the log uses a connection other than old and
// returns it; nil when ctx ends or the log closes first.
func (l *Log) nextConn(ctx context.Context, old *conn) *conn {
	select {
	case <-old.replaced:
		return l.current()
	case <-ctx.Done():
		return nil
	case <-l.connDone:
		return nil
	}
}

// binding is a handle (a bucket) opened on one connection, opened again
// on the log's current connection when that has changed: a handle on a
// closed connection fails every call.
type binding[T any] struct {
	l    *Log
	open func(context.Context, jetstream.JetStream) (T, error)
	mu   sync.Mutex
	on   *conn
	h    T
}

// bind wraps h, opened on the current connection; open opens it again.
func bind[T any](l *Log, h T, open func(context.Context, jetstream.JetStream) (T, error)) *binding[T] {
	return &binding[T]{l: l, open: open, on: l.current(), h: h}
}

// get returns the handle on the current connection.
func (b *binding[T]) get(ctx context.Context) (T, error) {
	c := b.l.current()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.on != c {
		h, err := b.open(ctx, c.js)
		if err != nil {
			return h, err
		}
		b.on, b.h = c, h
	}
	return b.h, nil
}
