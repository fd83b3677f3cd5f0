package streamlog

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
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
