package streamlog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/internal/poll"
)

// TestALongNameCannotCloseTheConnection: a name no stream or key can have
// (over NATS's 4 KiB control line once in a subject) reaches the log from
// a request (a tap's path, a forged shard iterator, an input ARN): every
// operation answers ErrNotFound, and the log goes on serving the others.
func TestALongNameCannotCloseTheConnection(t *testing.T) {
	ctx := context.Background()
	l := open(t, t.TempDir())
	defer l.Close()
	if err := l.Create(ctx, "clicks", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	kv, err := l.Bucket(ctx, "settings")
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("a", 5000)
	for what, err := range map[string]error{
		"describe": func() error { _, err := l.Describe(ctx, long); return err }(),
		"read":     func() error { _, _, err := l.Read(ctx, long, 0, Seq{}, 10); return err }(),
		"append": func() error {
			_, err := l.Append(ctx, long, 0, []Record{{Data: []byte("x"), Arrival: time.Now()}})
			return err
		}(),
		"last":   func() error { _, err := l.Last(ctx, long); return err }(),
		"watch":  func() error { _, err := l.Watch(ctx, long); return err }(),
		"delete": l.Delete(ctx, long),
		"kv get": func() error { _, err := kv.Get(ctx, long); return err }(),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s of a 5,000-character name: %.200v, want ErrNotFound", what, err)
		} else if len(err.Error()) > 300 {
			t.Errorf("%s: the error holds the whole name (%d characters)", what, len(err.Error()))
		}
	}
	if err := kv.Put(ctx, long, []byte("x")); !errors.Is(err, ErrTooLong) {
		t.Errorf("put of a 5,000-character key: %.200v, want ErrTooLong", err)
	}
	if _, err := l.Request(ctx, "rf.relay."+long, nil); !errors.Is(err, ErrTooLong) {
		t.Errorf("request on a 5,000-character subject: %.200v, want ErrTooLong", err)
	}
	// The connection is whole: the stream and the bucket still answer.
	if _, err := l.Append(ctx, "clicks", 0, []Record{{Data: []byte("x"), Arrival: time.Now()}}); err != nil {
		t.Fatalf("append after the long names: %v", err)
	}
	if err := kv.Put(ctx, "color", []byte("green")); err != nil {
		t.Fatalf("put after the long names: %v", err)
	}
}

// TestALogReconnectsWhenItsConnectionClosesForGood: should something still
// reach the server that makes it close the connection (here a subject over
// the control line's limit, sent past the name checks), the log opens
// another: appends, reads, a bucket opened before and a subscription made
// before all work again, and nothing stored before is lost.
func TestALogReconnectsWhenItsConnectionClosesForGood(t *testing.T) {
	ctx := context.Background()
	l := open(t, t.TempDir())
	defer l.Close()
	if err := l.Create(ctx, "clicks", "firehose", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, "clicks", 0, []Record{{Data: []byte("before"), Arrival: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	kv, err := l.Bucket(ctx, "settings")
	if err != nil {
		t.Fatal(err)
	}
	objects, err := l.ObjectBucket(ctx, "checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	subCtx, stopSub := context.WithCancel(ctx)
	got := make(chan string, 16)
	subscribed, err := l.Subscribe(subCtx, "test.rows", func(m Msg) { got <- string(m.Data) })
	if err != nil {
		t.Fatal(err)
	}
	defer func() { stopSub(); <-subscribed }()

	old := l.nats()
	if err := old.Publish(strings.Repeat("a", 5000), nil); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, time.Minute, func() (bool, string) {
		return old.IsClosed() && l.Reconnects() == 1, fmt.Sprintf("first connection closed: %v, reconnects: %d", old.IsClosed(), l.Reconnects())
	})

	if _, err := l.Append(ctx, "clicks", 0, []Record{{Data: []byte("after"), Arrival: time.Now()}}); err != nil {
		t.Fatalf("append after the connection closed: %v", err)
	}
	recs, _, err := l.Read(ctx, "clicks", 0, Seq{}, 10)
	if err != nil || len(recs) != 2 || string(recs[0].Data) != "before" || string(recs[1].Data) != "after" {
		t.Fatalf("read after the connection closed: %d records, %v", len(recs), err)
	}
	if err := kv.Put(ctx, "color", []byte("green")); err != nil {
		t.Fatalf("a bucket opened before: %v", err)
	}
	if v, err := kv.Get(ctx, "color"); err != nil || string(v) != "green" {
		t.Fatalf("a bucket opened before: %q %v", v, err)
	}
	if err := objects.Put(ctx, "app", []byte("forest")); err != nil {
		t.Fatalf("an object bucket opened before: %v", err)
	}
	// The subscription goes on on the new connection: a message published
	// now reaches it (published until it does, since the subscription may
	// be a moment behind the new connection).
	poll.Until(t, time.Minute, func() (bool, string) {
		if err := l.Publish("test.rows", []byte("after")); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-got:
			return m == "after", "received " + m
		default:
			return false, "nothing reached the subscription made before the connection closed"
		}
	})
}
