// Package engine runs a planned application: rows pushed into its input
// streams flow through the pumps' operators into in-application streams,
// and a clock ("no row before time t will come") moves through the same
// graph so that windows close on time without waiting for later rows. It
// is single-threaded and deterministic: the same rows and clock give the
// same output.
package engine

import (
	"errors"
	"fmt"
	"math"

	"github.com/riffle-sql/riffle/sql/plan"
	"github.com/riffle-sql/riffle/sql/types"
)

// Row is a row of an in-application stream: its ROWTIME (ms since the
// epoch) and its declared columns.
type Row struct {
	Time   int64
	Values []types.Value
}

// Forever is the clock value that closes every window: the end of a replay.
const Forever = math.MaxInt64

// ErrorStream is the name of the in-application error stream.
const ErrorStream = "error_stream"

// ErrorColumns are error_stream's columns, as the service defines them.
var ErrorColumns = []plan.Column{
	{Name: "ERROR_TIME", Type: types.Type{Kind: types.Timestamp}},
	{Name: "ERROR_LEVEL", Type: types.Type{Kind: types.Varchar, Length: 10}},
	{Name: "ERROR_NAME", Type: types.Type{Kind: types.Varchar, Length: 32}},
	{Name: "MESSAGE", Type: types.Type{Kind: types.Varchar, Length: 4096}},
	{Name: "DATA_ROWTIME", Type: types.Type{Kind: types.Timestamp}},
	{Name: "DATA_ROW", Type: types.Type{Kind: types.Varchar, Length: 49152}},
	{Name: "PUMP_NAME", Type: types.Type{Kind: types.Varchar, Length: 128}},
}

// App is a running application.
type App struct {
	graph   *plan.Graph
	streams map[string]*stream
	errors  *stream
	clock   int64
	// start is when the application's queries started: the clock's first
	// value, or the first row's time if a row came before the clock moved.
	// CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIME and LOCALTIME[STAMP]
	// read it, so every row of a run sees the same value, and a restored
	// application keeps it.
	start   int64
	started bool
	// stateful lists the operators with state, in build order (snapshots).
	stateful []stateful
}

// New builds the operators of every pump.
func New(g *plan.Graph) (*App, error) {
	a := &App{graph: g, streams: map[string]*stream{}, clock: math.MinInt64}
	for _, s := range g.Streams {
		a.streams[s.Name] = newStream(s.Name, s.Columns)
	}
	a.errors = newStream(ErrorStream, ErrorColumns)
	a.streams[ErrorStream] = a.errors
	for _, s := range g.Streams {
		if s.Input {
			a.streams[s.Name].producers = 1 // the feeder
		}
	}
	for _, p := range g.Pumps {
		target := a.streams[p.Target.Name]
		sink := &pumpSink{app: a, pump: p, target: target, producer: target.producers, data: dataIndices(p.Root)}
		target.producers++
		if err := a.build(p.Root, sink, 0, p.Name); err != nil {
			return nil, fmt.Errorf("pump %s: %w", p.Name, err)
		}
	}
	for _, s := range a.streams {
		s.app = a
		s.bounds = make([]int64, s.producers)
		for i := range s.bounds {
			s.bounds[i] = math.MinInt64
		}
		s.queues = make([][]Row, s.producers)
	}
	// A stream nothing fills will never have a row: its readers need not
	// wait for it.
	for _, st := range g.Streams {
		if s := a.streams[st.Name]; !st.Input && s.producers == 0 {
			s.advance(0, Forever)
		}
	}
	return a, nil
}

// Clock is the application's clock: no input row before it will come.
func (a *App) Clock() int64 { return a.clock }

// Subscribe calls fn with every row the stream receives, in order.
func (a *App) Subscribe(name string, fn func(Row)) error {
	s, ok := a.streams[name]
	if !ok {
		return fmt.Errorf("no stream %s", name)
	}
	s.sinks = append(s.sinks, fn)
	return nil
}

// Streams lists the stream names: the graph's, then error_stream.
func (a *App) Streams() []string {
	var names []string
	for _, s := range a.graph.Streams {
		names = append(names, s.Name)
	}
	return append(names, ErrorStream)
}

// ErrOutOfOrder rejects an input row older than the clock.
var ErrOutOfOrder = errors.New("row is older than the application clock")

// Insert adds a row to an input stream. Its time must not be before the
// clock.
func (a *App) Insert(name string, r Row) error {
	s, ok := a.streams[name]
	if !ok || !a.isInput(name) {
		return fmt.Errorf("%s is not an input stream", name)
	}
	if r.Time < a.clock {
		return ErrOutOfOrder
	}
	a.begin(r.Time)
	if len(r.Values) != len(s.columns) {
		return fmt.Errorf("%s takes %d values, not %d", name, len(s.columns), len(r.Values))
	}
	s.insert(0, r)
	return nil
}

// begin fixes the start time at the first time the application sees.
func (a *App) begin(t int64) {
	if !a.started {
		a.start, a.started = t, true
	}
}

// Start is when the application's queries started on its clock (see
// begin), and whether that has happened yet.
func (a *App) Start() (int64, bool) { return a.start, a.started }

func (a *App) isInput(name string) bool {
	for _, s := range a.graph.Streams {
		if s.Name == name {
			return s.Input
		}
	}
	return false
}

// Advance moves the clock to t: no input row before t will come. Windows
// that end by t emit their rows. Advance(Forever) flushes everything.
func (a *App) Advance(t int64) {
	if t <= a.clock {
		return
	}
	if t != Forever {
		a.begin(t)
	}
	a.clock = t
	for _, s := range a.graph.Streams {
		if s.Input {
			a.streams[s.Name].advance(0, t)
		}
	}
}

// ReportError puts a row into error_stream: a record that could not be
// mapped, or a row an expression failed on. Its ROWTIME and ERROR_TIME are
// when the error happened (the clock), never before an earlier error's.
func (a *App) ReportError(at int64, name, message string, dataRowtime int64, dataRow []byte, pump string) {
	at = max(at, a.errors.last)
	if a.clock != Forever {
		at = max(at, a.clock)
	}
	hex := fmt.Sprintf("%x", dataRow)
	a.errors.direct(Row{Time: at, Values: []types.Value{
		types.TimestampMs(at),
		types.Str(types.Varchar, "ERROR"),
		types.Str(types.Varchar, name),
		types.Str(types.Varchar, message),
		types.TimestampMs(dataRowtime),
		types.Str(types.Varchar, hex),
		types.Str(types.Varchar, pump),
	}})
}

// rowError reports a row that an operator could not process.
// DATA_ROW holds the values at the data indices (the row's columns,
// without ROWTIMEs and pseudo-columns), or all values when data is nil.
func (a *App) rowError(pump string, data []int, env *plan.Env, err error) {
	name := "EXPRESSION_ERROR"
	if errors.Is(err, types.ErrDivideByZero) {
		name = "DIVISION_BY_ZERO"
	}
	var text []byte
	add := func(i int, v types.Value) {
		if i > 0 {
			text = append(text, ',')
		}
		text = append(text, v.String()...)
	}
	if data == nil {
		for i, v := range env.Values {
			add(i, v)
		}
	}
	for i, idx := range data {
		add(i, env.Values[idx])
	}
	a.ReportError(env.Time, name, err.Error(), env.Time, text, pump)
}

// dataIndices are the positions of a node's data columns in its rows:
// hidden columns and ROWTIMEs left out; both sides for a join.
func dataIndices(n plan.Node) []int {
	idx, _ := appendDataIndices(nil, n, 0)
	return idx
}

// appendDataIndices appends n's data columns' indices, shifted by offset,
// and returns how many columns n has (a join: both sides'), in one pass
// over a chain of joins.
func appendDataIndices(idx []int, n plan.Node, offset int) ([]int, int) {
	if j, ok := n.(*plan.Join); ok {
		idx, left := appendDataIndices(idx, j.Left, offset)
		idx, right := appendDataIndices(idx, j.Right, offset+left+1)
		return idx, left + right
	}
	cols := n.Columns()
	for i, c := range cols {
		if !c.Hidden {
			idx = append(idx, offset+i)
		}
	}
	return idx, len(cols)
}
