package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/riffle-sql/riffle/streamlog"
)

// WriteReplay writes an application's stored input as a replay file (one
// {"arrival","data"} object a line, data as text) with the arrival times the live
// application gives its records, so `riffle run` reproduces a live run
// offline. timeScale is the server's --time-scale.
func WriteReplay(ctx context.Context, l *streamlog.Log, a Application, timeScale float64, w io.Writer) error {
	if len(a.Inputs) == 0 {
		return fmt.Errorf("application %s has no input", a.Name)
	}
	if a.Inputs[0].ARN != "" {
		return fmt.Errorf("the input of %s, %s, is not a stream of this server", a.Name, a.Inputs[0].ARN)
	}
	src := a.Inputs[0].Source
	info, err := l.Describe(ctx, src)
	if err != nil {
		return fmt.Errorf("input of %s: %w", a.Name, err)
	}
	if info.Shards != 1 {
		return fmt.Errorf("input of %s: a replay of %d shards is not supported yet", a.Name, info.Shards)
	}
	// Records come as stored; the live application feeds them by arrival
	// (docs/apps.md, "Time") and riffle run wants arrivals in order. Each
	// is held until the latest arrival read is the settle wait past it,
	// then written in order of arrival (as stored among equals). One that
	// arrived more than the wait before a record stored ahead of it was
	// stored later than the wait after its arrival: late for the live
	// application, which gave it the clock's time, at least that arrival
	// less the wait, it is written there.
	settle := a.SettleWait().Milliseconds()
	var held []streamlog.Record
	var latest, written int64
	write := func(r streamlog.Record) error {
		arrival := max(r.Arrival.UnixMilli(), written)
		written = arrival
		at := a.AppTime(arrival, timeScale)
		data, err := json.Marshal(string(r.Data)) // as text (bytes that are not UTF-8 become U+FFFD)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, `{"arrival":%q,"data":%s}`+"\n", time.UnixMilli(at).UTC().Format(time.RFC3339Nano), data)
		return err
	}
	from := streamlog.Seq{}
	for {
		recs, next, err := l.Read(ctx, src, 0, from, 1000)
		if err != nil {
			return fmt.Errorf("read %s: %w", src, err)
		}
		for _, r := range recs {
			if clock := latest - settle; r.Arrival.UnixMilli() < clock {
				r.Arrival = time.UnixMilli(clock)
			}
			i, _ := slices.BinarySearchFunc(held, r, func(h, r streamlog.Record) int {
				if h.Arrival.After(r.Arrival) {
					return 1
				}
				return -1 // after the ones that arrived with it: stored before
			})
			held = slices.Insert(held, i, r)
			latest = max(latest, r.Arrival.UnixMilli())
		}
		ready := len(held)
		if len(recs) > 0 {
			ready, _ = slices.BinarySearchFunc(held, latest-settle, func(h streamlog.Record, limit int64) int {
				if h.Arrival.UnixMilli() > limit {
					return 1
				}
				return -1
			})
		}
		for _, r := range held[:ready] {
			if err := write(r); err != nil {
				return err
			}
		}
		held = slices.Delete(held, 0, ready)
		if len(recs) == 0 {
			return nil
		}
		from = next
	}
}
