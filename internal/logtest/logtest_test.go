package logtest

import (
	"sync"
	"testing"
)

func TestLinesAreThoseOfTheLevelWithEveryWord(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 10 { // written from several goroutines at once
		wg.Go(func() { b.Logger().Error("read failed", "stream", "clicks", "n", i) })
	}
	wg.Wait()
	b.Logger().Warn("read failed", "stream", "clicks")
	b.Logger().Error("read failed", "stream", "views")
	if got := len(b.Lines("ERROR", "read failed", "clicks")); got != 10 {
		t.Fatalf("%d ERROR lines about clicks, want 10:\n%s", got, b.String())
	}
	if got := len(b.Lines("WARN")); got != 1 {
		t.Fatalf("%d WARN lines, want 1", got)
	}
}
