// Package runner runs an application offline: its SQL over a replay file
// on a simulated clock, printing the rows of chosen in-application streams
// as JSON lines. The same records and seed always print the same lines.
package runner

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/replay"
	"github.com/riffle-sql/riffle/sql/engine"
	"github.com/riffle-sql/riffle/sql/parser"
	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/sql/types"
)

// InputStream is the name of the application's (first) input stream.
const InputStream = "SOURCE_SQL_STREAM_001"

// DefaultStream is printed when no stream is chosen.
const DefaultStream = "DESTINATION_SQL_STREAM"

// ArrivalColumn is the input stream's pseudo-column: when the record was
// stored. In a replay that is its arrival time, which is also its ROWTIME.
const ArrivalColumn = "APPROXIMATE_ARRIVAL_TIME"

func columnIndex(cols []plan.Column, name string) int {
	for i, c := range cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

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
}

// Compile parses and plans SQL for an input stream with the schema's
// columns. SQL errors come as an ast.ErrorList, positioned line:column.
func Compile(sql string, schema record.Schema, application string, seed uint64, tables ...*plan.Table) (*plan.Graph, error) {
	return CompileInput(sql, InputStream, schema, application, seed, tables...)
}

// CompileInput is Compile with another name for the input stream (an
// application's NamePrefix_001).
func CompileInput(sql, input string, schema record.Schema, application string, seed uint64, tables ...*plan.Table) (*plan.Graph, error) {
	return CompileInputs(sql, []string{input}, schema, application, seed, tables...)
}

// CompileInputs is Compile with several input streams of the same schema
// (an application's NamePrefix_001 to _00N under InputParallelism N).
func CompileInputs(sql string, inputs []string, schema record.Schema, application string, seed uint64, tables ...*plan.Table) (*plan.Graph, error) {
	script, err := parser.Parse(sql)
	if err != nil {
		return nil, err
	}
	cols, err := schema.Columns()
	if err != nil {
		return nil, err
	}
	var streams []*plan.Stream
	for _, name := range inputs {
		in := &plan.Stream{Name: name}
		for _, c := range cols {
			in.Columns = append(in.Columns, plan.Column{Name: c.Name, Type: c.Type})
		}
		if columnIndex(in.Columns, ArrivalColumn) < 0 {
			in.Columns = append(in.Columns, plan.Column{Name: ArrivalColumn, Type: types.Type{Kind: types.Timestamp}, Hidden: true})
		}
		streams = append(streams, in)
	}
	return plan.Plan(script, plan.Options{Inputs: streams, Tables: tables, Seed: seed, Application: application})
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
	g, err := Compile(opts.SQL, *schema, opts.Application, opts.Seed, opts.Tables...)
	if err != nil {
		return err
	}
	app, err := engine.New(g)
	if err != nil {
		return err
	}
	mapper, err := record.NewMapper(*schema)
	if err != nil {
		return err
	}
	streams := opts.Streams
	if len(streams) == 0 {
		streams = []string{DefaultStream}
	}
	w := bufio.NewWriter(out)
	var line []byte
	for _, name := range streams {
		st, ok := g.Stream(name)
		var cols []plan.Column
		switch {
		case ok:
			cols = st.Columns
		case name == engine.ErrorStream:
			cols = engine.ErrorColumns
		default:
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
	feeder, err := NewFeeder(app, g, mapper)
	if err != nil {
		return err
	}
	feed := feeder.Feed
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

// A Feeder puts records into an application's input stream: it moves the
// clock to each record's arrival, maps the record to rows (a record that
// does not fit goes to error_stream) and fills APPROXIMATE_ARRIVAL_TIME.
type Feeder struct {
	input       string
	app         *engine.App
	mapper      *record.Mapper
	withArrival bool
	row         []types.Value // scratch: a mapped row and its arrival
}

// NewFeeder prepares to feed app, planned as g, through mapper.
func NewFeeder(app *engine.App, g *plan.Graph, mapper *record.Mapper) (*Feeder, error) {
	return NewFeederFor(InputStream, app, g, mapper)
}

// NewFeederFor feeds the named input stream.
func NewFeederFor(input string, app *engine.App, g *plan.Graph, mapper *record.Mapper) (*Feeder, error) {
	in, ok := g.Stream(input)
	if !ok {
		return nil, fmt.Errorf("the application has no %s", input)
	}
	return &Feeder{input: input, app: app, mapper: mapper, withArrival: columnIndex(in.Columns, ArrivalColumn) == len(mapper.Columns())}, nil
}

// Feed delivers one record, arriving at its Arrival.
func (f *Feeder) Feed(rec replay.Record) error {
	return f.FeedAt(rec.Data, rec.Arrival.UnixMilli(), rec.Arrival.UnixMilli())
}

// FeedAt delivers one record with its ROWTIME (when it reached the
// application) and its APPROXIMATE_ARRIVAL_TIME (when it was stored).
func (f *Feeder) FeedAt(data []byte, rowtime, stored int64) error {
	at := rowtime
	rec := struct{ Data []byte }{data}
	f.app.Advance(at)
	rows, err := f.mapper.Map(rec.Data)
	if err != nil {
		f.app.ReportError(at, "RECORD_MAPPING_ERROR", err.Error(), at, rec.Data, "")
		return nil
	}
	for _, vals := range rows {
		if f.withArrival {
			f.row = append(append(f.row[:0], vals...), types.TimestampMs(stored))
			vals = f.row
		}
		if err := f.app.Insert(f.input, engine.Row{Time: at, Values: vals}); err != nil {
			return err
		}
	}
	return nil
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

// LoadTable reads a reference table from JSON records (one object a line),
// with the schema discovered from them, as the service does for a
// reference data source.
func LoadTable(name string, r io.Reader) (*plan.Table, error) {
	records, err := readRecords(name, r)
	if err != nil {
		return nil, err
	}
	schema, err := record.Discover(records)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	return tableOf(name, schema, records)
}

// LoadTableWithSchema reads a reference table with its ReferenceSchema:
// one record a line (JSON or CSV).
func LoadTableWithSchema(name string, schema record.Schema, r io.Reader) (*plan.Table, error) {
	records, err := readRecords(name, r)
	if err != nil {
		return nil, err
	}
	return tableOf(name, schema, records)
}

// TableColumns gives the columns a reference schema makes (to check SQL
// before the data is loaded).
func TableColumns(name string, schema record.Schema) (*plan.Table, error) {
	return tableOf(name, schema, nil)
}

func readRecords(name string, r io.Reader) ([][]byte, error) {
	var records [][]byte
	scan := bufio.NewScanner(r)
	scan.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for scan.Scan() {
		if line := bytes.TrimSpace(scan.Bytes()); len(line) > 0 {
			records = append(records, append([]byte(nil), line...))
		}
	}
	if err := scan.Err(); err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	return records, nil
}

func tableOf(name string, schema record.Schema, records [][]byte) (*plan.Table, error) {
	mapper, err := record.NewMapper(schema)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	t := &plan.Table{Name: name}
	for _, c := range mapper.Columns() {
		t.Columns = append(t.Columns, plan.Column{Name: c.Name, Type: c.Type})
	}
	for i, rec := range records {
		rows, err := mapper.Map(rec)
		if err != nil {
			return nil, fmt.Errorf("table %s, record %d: %w", name, i+1, err)
		}
		for _, row := range rows {
			t.Rows = append(t.Rows, append([]types.Value(nil), row...))
		}
	}
	return t, nil
}
