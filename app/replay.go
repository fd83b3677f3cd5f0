package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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
	from := streamlog.Seq{}
	for {
		recs, next, err := l.Read(ctx, src, 0, from, 1000)
		if err != nil {
			return fmt.Errorf("read %s: %w", src, err)
		}
		if len(recs) == 0 {
			return nil
		}
		for _, r := range recs {
			at := a.AppTime(r.Arrival.UnixMilli(), timeScale)
			data, err := json.Marshal(string(r.Data)) // as text (bytes that are not UTF-8 become U+FFFD)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, `{"arrival":%q,"data":%s}`+"\n", time.UnixMilli(at).UTC().Format(time.RFC3339Nano), data); err != nil {
				return err
			}
		}
		from = next
	}
}
