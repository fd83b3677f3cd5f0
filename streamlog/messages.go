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
	if err := l.conn.Publish(subject, data); err != nil {
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
	m, err := l.conn.RequestWithContext(ctx, subject, data)
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
// handle too slow for the messages misses some (NATS drops them).
func (l *Log) Subscribe(ctx context.Context, subject string, handle func(Msg)) (<-chan struct{}, error) {
	if err := checkKey(subject); err != nil {
		return nil, err
	}
	sub, err := l.conn.SubscribeSync(subject)
	if err != nil {
		return nil, fmt.Errorf("streamlog: subscribe to %s: %w", subject, err)
	}
	// The server knows of the subscription once it answers a ping: what is
	// sent after Subscribe returns reaches it.
	flush, cancel := context.WithTimeout(ctx, subscribeTimeout)
	defer cancel()
	if err := l.conn.FlushWithContext(flush); err != nil {
		sub.Unsubscribe()
		return nil, fmt.Errorf("streamlog: subscribe to %s: %w", subject, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer sub.Unsubscribe()
		for {
			m, err := sub.NextMsgWithContext(ctx)
			switch {
			case errors.Is(err, nats.ErrSlowConsumer):
				continue // some were dropped; the next is there
			case err != nil:
				return // ctx ended, or the connection closed
			}
			handle(Msg{Subject: m.Subject, Data: m.Data, m: m})
		}
	}()
	return done, nil
}

// MaxPayload is the largest message the NATS server takes, in bytes.
func (l *Log) MaxPayload() int { return int(l.conn.MaxPayload()) }
