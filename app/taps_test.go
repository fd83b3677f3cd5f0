package app

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/riffle-sql/riffle/sql/engine"
	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/sql/types"
)

func tapsOf(limit int) (*taps, *ring) {
	r := &ring{cols: []plan.Column{{Name: "N", Type: types.Type{Kind: types.Integer}}}, limit: limit, followers: map[chan []byte]bool{}}
	return &taps{streams: map[string]*ring{"S": r}, order: []string{"S"}}, r
}

// TestTapKeepsTheLastRowsInOrder: a stream's tap returns its most recent
// rows, oldest first, before and after the buffer wraps, as the values
// were when published even if the engine reuses their memory.
func TestTapKeepsTheLastRowsInOrder(t *testing.T) {
	tp, r := tapsOf(3)
	recentOf := func() string {
		recent, _, cancel, err := tp.follow("S")
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		var ns []string
		for _, line := range recent {
			ns = append(ns, string(bytes.TrimSuffix(bytes.TrimPrefix(line, []byte(`{"ROWTIME":"1970-01-01T00:00:00.000Z","N":`)), []byte("}"))))
		}
		return fmt.Sprint(ns)
	}
	values := make([]types.Value, 1) // reused for every row, as the engine may
	for i, want := range []string{"[0]", "[0 1]", "[0 1 2]", "[1 2 3]", "[2 3 4]", "[3 4 5]", "[4 5 6]"} {
		values[0] = types.Int(types.Integer, int64(i))
		tp.publish(r, engine.Row{Values: values})
		if got := recentOf(); got != want {
			t.Fatalf("after row %d: recent %s, want %s", i, got, want)
		}
	}
}

// TestAFollowerGetsEachNewRowAsJSON: rows published while someone follows
// reach them as JSON; after cancel, and after the taps close, nothing does.
func TestAFollowerGetsEachNewRowAsJSON(t *testing.T) {
	tp, r := tapsOf(10)
	_, rows, cancel, err := tp.follow("S")
	if err != nil {
		t.Fatal(err)
	}
	tp.publish(r, engine.Row{Time: 1000, Values: []types.Value{types.Int(types.Integer, 7)}})
	if got, want := string(<-rows), `{"ROWTIME":"1970-01-01T00:00:01.000Z","N":7}`; got != want {
		t.Fatalf("the follower got %s, want %s", got, want)
	}
	cancel()
	if _, open := <-rows; open {
		t.Fatal("the channel is open after cancel")
	}
	if _, _, _, err := tp.follow("NOPE"); err == nil {
		t.Fatal("a tap on a stream that is not there")
	}
	tp.close()
	if _, _, _, err := tp.follow("S"); err == nil {
		t.Fatal("a tap after the application stopped")
	}
}

// TestAFollowerBehindByABurstMissesNothing: rows published in a burst
// while the follower is busy elsewhere (a step catching up after the
// machine held the loop back) all reach it, as many as the tap keeps for a
// newcomer; only a follower further behind misses rows.
func TestAFollowerBehindByABurstMissesNothing(t *testing.T) {
	const limit = 1000
	tp, r := tapsOf(limit)
	_, rows, cancel, err := tp.follow("S")
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	for i := range limit + 1 {
		tp.publish(r, engine.Row{Values: []types.Value{types.Int(types.Integer, int64(i))}})
	}
	for i := range limit {
		select {
		case row := <-rows:
			if got, want := string(row), fmt.Sprintf(`{"ROWTIME":"1970-01-01T00:00:00.000Z","N":%d}`, i); got != want {
				t.Fatalf("row %d of the burst: got %s, want %s", i, got, want)
			}
		default: // published before: it is there or it was missed
			t.Fatalf("the follower missed rows %d to %d of the burst of %d", i, limit, limit+1)
		}
	}
	select {
	case row := <-rows:
		t.Fatalf("a row beyond what the tap keeps reached the follower: %s", row)
	default:
	}
}
