// Package compile turns an application (its SQL, its input configuration
// and its reference tables) into a running engine and the feeders that
// put input records into it. `riffle run` (offline, package runner) and the
// live service (package app) compile applications the same way through it.
package compile

import (
	"fmt"
	"strings"

	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/sql/engine"
	"github.com/riffle-sql/riffle/sql/parser"
	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/sql/types"
)

// InputStream is the name of an application's (first) input stream when
// nothing else is configured.
const InputStream = "SOURCE_SQL_STREAM_001"

// InputPrefix is the name prefix of an application's input when nothing
// else is configured: its first stream is InputStream.
const InputPrefix = "SOURCE_SQL_STREAM"

// InputNames are the in-application streams of an input with this name
// prefix and parallelism, as the service names them: PREFIX_001 to
// PREFIX_00N (at least one).
func InputNames(prefix string, parallelism int) []string {
	var names []string
	for i := range max(parallelism, 1) {
		names = append(names, fmt.Sprintf("%s_%03d", prefix, i+1))
	}
	return names
}

// ArrivalColumn is the input streams' pseudo-column: when the record was
// stored. In a replay that is its arrival time, which is also its ROWTIME.
const ArrivalColumn = "APPROXIMATE_ARRIVAL_TIME"

// The input streams' other pseudo-columns: the Kinesis metadata of the
// record (NULL where the source has none, as a Firehose delivery stream
// has no shards).
const (
	ShardColumn        = "SHARD_ID"
	PartitionKeyColumn = "PARTITION_KEY"
	SequenceColumn     = "SEQUENCE_NUMBER"
)

// pseudoColumns are added, hidden, to every input stream whose schema does
// not map a column of the same name, in this order.
var pseudoColumns = []plan.Column{
	{Name: ArrivalColumn, Type: types.Type{Kind: types.Timestamp}, Hidden: true},
	{Name: ShardColumn, Type: types.Type{Kind: types.Varchar, Length: 64}, Hidden: true},
	{Name: PartitionKeyColumn, Type: types.Type{Kind: types.Varchar, Length: 256}, Hidden: true},
	{Name: SequenceColumn, Type: types.Type{Kind: types.Varchar, Length: 128}, Hidden: true},
}

// Meta is what the source tells about a record besides its bytes.
type Meta struct {
	Stored       int64  // when it was stored, Unix ms: APPROXIMATE_ARRIVAL_TIME
	Shard        string // SHARD_ID, "" for NULL
	PartitionKey string // PARTITION_KEY, "" for NULL
	Sequence     string // SEQUENCE_NUMBER, "" for NULL
}

// Options describe one application to compile.
type Options struct {
	SQL string
	// Inputs name the in-application input streams, all of Schema (an
	// input's NamePrefix_001 to _00N under InputParallelism N); default
	// SOURCE_SQL_STREAM_001.
	Inputs []string
	Schema record.Schema
	// Application names the application in seeds and messages.
	Application string
	// Seed varies the RANDOM_CUT_FOREST seeds derived from the names.
	Seed uint64
	// Tables are the reference tables the SQL may join.
	Tables []*plan.Table
	// ForestMemory bounds what the RANDOM_CUT_FOREST models hold together
	// (plan.Options.ForestMemory; 0: no bound).
	ForestMemory int64
}

func (o Options) inputs() []string {
	if len(o.Inputs) == 0 {
		return []string{InputStream}
	}
	return o.Inputs
}

// Plan parses and plans the SQL against the inputs and tables, without
// making an engine: what saving an application checks. SQL errors come as
// an ast.ErrorList, positioned line:column.
func Plan(opts Options) (*plan.Graph, error) {
	script, err := parser.Parse(opts.SQL)
	if err != nil {
		return nil, err
	}
	cols, err := opts.Schema.Columns()
	if err != nil {
		return nil, err
	}
	var streams []*plan.Stream
	upperSQL := strings.ToUpper(opts.SQL)
	for _, name := range opts.inputs() {
		in := &plan.Stream{Name: name}
		for _, c := range cols {
			in.Columns = append(in.Columns, plan.Column{Name: c.Name, Type: c.Type})
		}
		for i, p := range pseudoColumns {
			// The Kinesis metadata columns are added only when the SQL may
			// name them: every input row carries what its stream has.
			if columnIndex(in.Columns, p.Name) < 0 && (i == 0 || strings.Contains(upperSQL, p.Name)) {
				in.Columns = append(in.Columns, p)
			}
		}
		streams = append(streams, in)
	}
	return plan.Plan(script, plan.Options{Inputs: streams, Tables: opts.Tables, Seed: opts.Seed, Application: opts.Application, ForestMemory: opts.ForestMemory})
}

// Application is a compiled application: its graph, its engine, and one
// feeder per input stream, in the order of Options.Inputs.
type Application struct {
	Graph   *plan.Graph
	Engine  *engine.App
	Feeders []*Feeder
}

// Compile plans the SQL and makes its engine and feeders.
func Compile(opts Options) (*Application, error) {
	g, err := Plan(opts)
	if err != nil {
		return nil, err
	}
	eng, err := engine.New(g)
	if err != nil {
		return nil, err
	}
	mapper, err := record.NewMapper(opts.Schema)
	if err != nil {
		return nil, err
	}
	a := &Application{Graph: g, Engine: eng}
	for _, name := range opts.inputs() {
		f, err := newFeeder(name, eng, g, mapper)
		if err != nil {
			return nil, err
		}
		a.Feeders = append(a.Feeders, f)
	}
	return a, nil
}

// Columns are a stream's columns: an in-application stream's, or
// error_stream's. ok is false for a name that is neither.
func (a *Application) Columns(stream string) (cols []plan.Column, ok bool) {
	if st, found := a.Graph.Stream(stream); found {
		return st.Columns, true
	}
	if stream == engine.ErrorStream {
		return engine.ErrorColumns, true
	}
	return nil, false
}

func columnIndex(cols []plan.Column, name string) int {
	for i, c := range cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// A Feeder puts records into one input stream of an engine: it moves the
// clock to each record's ROWTIME, maps the record to rows (a record that
// does not fit goes to error_stream) and fills the pseudo-columns.
type Feeder struct {
	input  string
	app    *engine.App
	mapper *record.Mapper
	// pseudo are the pseudo-columns the stream has after the mapped ones,
	// as indexes into pseudoColumns.
	pseudo []int
	row    []types.Value // scratch: a mapped row and its pseudo-columns
}

func newFeeder(input string, app *engine.App, g *plan.Graph, mapper *record.Mapper) (*Feeder, error) {
	in, ok := g.Stream(input)
	if !ok {
		return nil, fmt.Errorf("the application has no %s", input)
	}
	f := &Feeder{input: input, app: app, mapper: mapper}
	for _, c := range in.Columns[len(mapper.Columns()):] {
		f.pseudo = append(f.pseudo, columnIndex(pseudoColumns, c.Name))
	}
	return f, nil
}

// Feed delivers one record with its ROWTIME (when it reached the
// application, Unix milliseconds) and what its source tells about it.
func (f *Feeder) Feed(data []byte, rowtime int64, meta Meta) error {
	f.app.Advance(rowtime)
	rows, err := f.mapper.Map(data)
	if err != nil {
		f.app.ReportError(rowtime, "RECORD_MAPPING_ERROR", err.Error(), rowtime, data, "")
		return nil
	}
	for _, vals := range rows {
		if len(f.pseudo) > 0 {
			f.row = append(f.row[:0], vals...)
			if len(f.pseudo) == 1 && f.pseudo[0] == 0 {
				// APPROXIMATE_ARRIVAL_TIME alone, the usual case.
				f.row = append(f.row, types.TimestampMs(meta.Stored))
			} else {
				for _, p := range f.pseudo {
					f.row = append(f.row, meta.value(p))
				}
			}
			vals = f.row
		}
		if err := f.app.Insert(f.input, engine.Row{Time: rowtime, Values: vals}); err != nil {
			return err
		}
	}
	return nil
}

// value is the value of pseudoColumns[column].
func (m *Meta) value(column int) types.Value {
	text := func(s string) types.Value {
		if s == "" {
			return types.NullOf(types.Varchar)
		}
		return types.Str(types.Varchar, s)
	}
	switch column {
	case 0:
		return types.TimestampMs(m.Stored)
	case 1:
		return text(m.Shard)
	case 2:
		return text(m.PartitionKey)
	}
	return text(m.Sequence)
}
