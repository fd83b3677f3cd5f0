package streamlog_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/streamlog"
	"github.com/riffle-sql/riffle/streamlog/streamlogtest"
)

// TestMessagesReachSubscribersUntilTheirContextEnds: a subscription
// (with a wildcard) receives what is published after Subscribe returns
// and answers requests; once its context ends it has stopped (its channel
// closed) and a request on its subject finds nobody to answer: the server
// no longer routes anything to it.
func TestMessagesReachSubscribersUntilTheirContextEnds(t *testing.T) {
	l := streamlogtest.Open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan streamlog.Msg, 10)
	done, err := l.Subscribe(ctx, "test.rows.>", func(m streamlog.Msg) { got <- m })
	if err != nil {
		t.Fatal(err)
	}
	answered, err := l.Subscribe(ctx, "test.ask", func(m streamlog.Msg) {
		if err := m.Respond(append([]byte("re: "), m.Data...)); err != nil {
			t.Error(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Publish("test.rows.a.b", []byte("one")); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m.Subject != "test.rows.a.b" || string(m.Data) != "one" {
			t.Fatalf("received %s %q", m.Subject, m.Data)
		}
	case <-time.After(30 * time.Second): // a guard: the message is on its way
		t.Fatal("the subscriber received nothing")
	}
	req, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	reply, err := l.Request(req, "test.ask", []byte("hello"))
	if err != nil || string(reply) != "re: hello" {
		t.Fatalf("request: %q %v", reply, err)
	}
	if _, err := l.Request(req, "test.nobody", nil); !errors.Is(err, streamlog.ErrNoResponders) {
		t.Fatalf("a request nobody answers: %v, want ErrNoResponders", err)
	}

	cancel()
	<-done
	<-answered
	if _, err := l.Request(req, "test.ask", []byte("again")); !errors.Is(err, streamlog.ErrNoResponders) {
		t.Fatalf("a request after the subscription ended: %v, want ErrNoResponders", err)
	}
}
