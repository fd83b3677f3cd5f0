package wait

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

func TestSleepEndsWithTheClockOrTheContext(t *testing.T) {
	clock := clockwork.NewFakeClock()
	done := make(chan bool)
	go func() { done <- Sleep(context.Background(), clock, time.Second) }()
	clock.BlockUntilContext(context.Background(), 1)
	clock.Advance(999 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("woke before its time")
	default:
	}
	clock.Advance(time.Millisecond)
	if !<-done {
		t.Fatal("Sleep said its context ended")
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { done <- Sleep(ctx, clock, time.Hour) }()
	clock.BlockUntilContext(context.Background(), 1)
	cancel()
	if <-done {
		t.Fatal("Sleep said it slept after its context ended")
	}
}
