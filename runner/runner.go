// Package runner runs an application offline: its SQL over a replay file
// on a simulated clock, printing the rows of chosen in-application streams
// as JSON lines. The same records and seed always print the same lines.
package runner

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/internal/shardid"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/replay"
	"github.com/riffle-sql/riffle/sql/engine"
	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/sql/types"
)

// DefaultStream is printed when no stream is chosen.
const DefaultStream = "DESTINATION_SQL_STREAM"

// DiscoverySample is how many leading records schema discovery reads.
const DiscoverySample = 100

// Options describe one offline run.
type Options struct {
	SQL         string
	Application string // names the run in seeds and messages
	Schema      *record.Schema
	Streams     []string // default: DESTINATION_SQL_STREAM
	Seed        uint64
	Tables      []*plan.Table // reference tables
	// Input is the input's name prefix (default SOURCE_SQL_STREAM) and
	// Parallelism its number of in-application streams: Input_001 to
	// Input_00N. A record goes to stream (shard mod N) when its replay line
	// names a shard, else the records are dealt in turn.
	Input       string
	Parallelism int
}

// Inputs are the in-application input streams the options describe.
func (o Options) Inputs() []string {
	prefix := o.Input
	if prefix == "" {
		prefix = compile.InputPrefix
	}
	return compile.InputNames(prefix, o.Parallelism)
}

// Run replays records through the application and writes the chosen
// streams' rows to out.
func Run(opts Options, records io.Reader, out io.Writer) error {
	rd := replay.NewReader(records)
	var buffered []replay.Record
	schema := opts.Schema
	if schema == nil {
		var samples [][]byte
		for len(buffered) < DiscoverySample {
			rec, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			buffered = append(buffered, rec)
			samples = append(samples, rec.Data)
		}
		s, err := record.Discover(samples)
		if err != nil {
			return err
		}
		schema = &s
	}
	compiled, err := compile.Compile(compile.Options{SQL: opts.SQL, Inputs: opts.Inputs(), Schema: *schema, Application: opts.Application, Seed: opts.Seed, Tables: opts.Tables})
	if err != nil {
		return err
	}
	app := compiled.Engine
	streams := opts.Streams
	if len(streams) == 0 {
		streams = []string{DefaultStream}
	}
	w := bufio.NewWriter(out)
	var line []byte
	for _, name := range streams {
		cols, ok := compiled.Columns(name)
		if !ok {
			return fmt.Errorf("no stream %s in the application (streams: %v)", name, app.Streams())
		}
		label := ""
		if len(streams) > 1 {
			label = name
		}
		if err := app.Subscribe(name, func(r engine.Row) {
			line = appendRow(line[:0], label, cols, r)
			w.Write(line)
		}); err != nil {
			return err
		}
	}
	feeders := compiled.Feeders
	dealt := 0
	feed := func(rec replay.Record) error {
		at := rec.Arrival.UnixMilli()
		if rec.Shard < 0 && len(feeders) == 1 {
			return feeders[0].Feed(rec.Data, at, compile.Meta{Stored: at})
		}
		stream := dealt % len(feeders)
		dealt++
		meta := compile.Meta{Stored: at}
		if rec.Shard >= 0 {
			stream = rec.Shard % len(feeders)
			meta.Shard = shardid.Format(rec.Shard)
		}
		return feeders[stream].Feed(rec.Data, at, meta)
	}
	for _, rec := range buffered {
		if err := feed(rec); err != nil {
			return err
		}
	}
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if err := feed(rec); err != nil {
			return err
		}
	}
	// The clock runs on past the last record: every window closes at its end.
	app.Advance(engine.Forever)
	return w.Flush()
}

// appendRow renders {"STREAM":..., "ROWTIME":"...Z", "COL": value, ...}.
func appendRow(b []byte, stream string, cols []plan.Column, r engine.Row) []byte {
	b = append(b, '{')
	if stream != "" {
		b = append(b, `"STREAM":`...)
		b = types.AppendJSONString(b, stream)
		b = append(b, ',')
	}
	b = append(b, `"ROWTIME":`...)
	b = types.AppendJSONString(b, time.UnixMilli(r.Time).UTC().Format("2006-01-02T15:04:05.000Z"))
	for i, c := range cols {
		b = append(b, ',')
		b = types.AppendJSONString(b, c.Name)
		b = append(b, ':')
		b = r.Values[i].AppendJSON(b)
	}
	return append(b, '}', '\n')
}
