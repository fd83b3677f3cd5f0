package streamlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// Messages are core NATS: sent to whoever is subscribed at that moment and
// stored nowhere (no JetStream), for what is worth nothing once nobody is
// listening (the nodes of a cluster relaying rows to a tap).

// ErrNoResponders is a request that nobody is subscribed to answer.
var ErrNoResponders = errors.New("nobody answers")

// subscribeTimeout bounds the wait for the server to register a
// subscription.
const subscribeTimeout = 10 * time.Second

// Msg is a message received by Subscribe.
type Msg struct {
	Subject string
	Data    []byte
	m       *nats.Msg
}

// Respond answers a message sent by Request.
func (m Msg) Respond(data []byte) error {
	if err := m.m.Respond(data); err != nil {
		return fmt.Errorf("streamlog: respond on %s: %w", m.Subject, err)
	}
	return nil
}

// Publish sends data on a subject.
func (l *Log) Publish(subject string, data []byte) error {
	if err := checkKey(subject); err != nil {
		return err
	}
	if err := l.nats().Publish(subject, data); err != nil {
		return fmt.Errorf("streamlog: publish on %s: %w", subject, err)
	}
	return nil
}

// Request sends data on a subject and waits (until ctx ends) for the first
// answer; ErrNoResponders when nobody is subscribed to the subject.
func (l *Log) Request(ctx context.Context, subject string, data []byte) ([]byte, error) {
	if err := checkKey(subject); err != nil {
		return nil, err
	}
	m, err := l.nats().RequestWithContext(ctx, subject, data)
	if errors.Is(err, nats.ErrNoResponders) {
		return nil, fmt.Errorf("%w on %s", ErrNoResponders, subject)
	}
	if err != nil {
		return nil, fmt.Errorf("streamlog: request on %s: %w", subject, err)
	}
	return m.Data, nil
}

// Subscribe calls handle with each message sent on subject (which may end
// in NATS wildcards) from the moment it returns until ctx ends, one at a
// time, on a goroutine of the subscription. The channel it returns is
// closed once that goroutine has ended: handle is not called after. A
// handle too slow for the messages misses some (NATS drops them), as does
// one whose connection closed, until the log has opened another (the
// subscription goes on there).
func (l *Log) Subscribe(ctx context.Context, subject string, handle func(Msg)) (<-chan struct{}, error) {
	if err := checkKey(subject); err != nil {
		return nil, err
	}
	c := l.current()
	sub, err := subscribeOn(ctx, c, subject)
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			deliver(ctx, sub, handle)
			sub.Unsubscribe()
			if !c.nc.IsClosed() {
				return // ctx ended, or the subscription broke on its own
			}
			for sub = nil; sub == nil; {
				if c = l.nextConn(ctx, c); c == nil {
					return // ctx ended, or the log closed
				}
				if sub, err = subscribeOn(ctx, c, subject); err != nil {
					l.logger.Warn("a subscription could not go on after the NATS connection closed", "subject", subject, "err", err)
				}
			}
		}
	}()
	return done, nil
}

// subscribeOn subscribes on one connection.
func subscribeOn(ctx context.Context, c *conn, subject string) (*nats.Subscription, error) {
	sub, err := c.nc.SubscribeSync(subject)
	if err != nil {
		return nil, fmt.Errorf("streamlog: subscribe to %s: %w", subject, err)
	}
	// The server knows of the subscription once it answers a ping: what is
	// sent after Subscribe returns reaches it.
	flush, cancel := context.WithTimeout(ctx, subscribeTimeout)
	defer cancel()
	if err := c.nc.FlushWithContext(flush); err != nil {
		sub.Unsubscribe()
		return nil, fmt.Errorf("streamlog: subscribe to %s: %w", subject, err)
	}
	return sub, nil
}

// deliver hands the subscription's messages to handle until ctx ends or
// the subscription breaks (its connection closed).
func deliver(ctx context.Context, sub *nats.Subscription, handle func(Msg)) {
	for {
		m, err := sub.NextMsgWithContext(ctx)
		switch {
		case errors.Is(err, nats.ErrSlowConsumer):
			continue // some were dropped; the next is there
		case err != nil:
			return
		}
		handle(Msg{Subject: m.Subject, Data: m.Data, m: m})
	}
}

// MaxPayload is the largest message the NATS server takes, in bytes.
func (l *Log) MaxPayload() int { return int(l.nats().MaxPayload()) }
