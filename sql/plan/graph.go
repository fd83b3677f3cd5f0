package plan

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/riffle-sql/riffle/sql/ast"
	"github.com/riffle-sql/riffle/sql/types"
)

// Graph is a planned application: its in-application streams and the
// pumps that fill them, in the order the SQL creates them.
type Graph struct {
	Streams []*Stream
	Pumps   []*Pump
	Tables  []*Table
	// Notes are remarks on SQL that runs but may not do what it says
	// (CREATE PUMP ... STOPPED), positioned, in source order.
	Notes ErrorList
	// views are named queries, planned where they are used.
	views map[string]*ast.CreateView
	// forestBytes is what the forests planned so far hold; forestLimit
	// bounds it (Options.ForestMemory).
	forestBytes, forestLimit int64
	// viewTokens counts the tokens of the views planned so far, each as
	// often as it is used (MaxViewTokens bounds it); viewsTooLarge says
	// the bound was passed, which ends planning.
	viewTokens    int
	viewsTooLarge bool
}

// viewsError is err, or, when planning the statement named name passed
// MaxViewTokens, that said of the statement (the view where the count
// passed it is merely the last one planned).
func (g *Graph) viewsError(name ast.Ident, err error) error {
	if !g.viewsTooLarge {
		return err
	}
	return errAt(name, "planning %s takes more than %d tokens of views' SQL: each use of a view plans its query again, so views used more than once by views used more than once multiply; write what they share to an in-application stream with a pump of its own, and read that stream",
		name, MaxViewTokens)
}

// MaxViewTokens bounds the SQL planned for views, each counted once per
// use: a view used twice by a view used twice, and so on, multiplies (2 KB
// of views planned for hours). It is about ten times the tokens the
// longest code the service takes can hold (102,400 characters), so a view
// of a thousand tokens may be used five hundred times.
const MaxViewTokens = 500_000

// Stream is an in-application stream.
type Stream struct {
	Name    string
	Columns []Column
	// Input streams are filled from outside (SOURCE_SQL_STREAM_001).
	Input bool
}

// Table is an in-application reference table: finite rows (from a
// reference data source), joined to streams.
type Table struct {
	Name    string
	Columns []Column
	Rows    [][]types.Value
}

// Pump moves the rows of its query into its target stream.
type Pump struct {
	Name   string
	Root   Node
	Target *Stream
	// Mapping gives, for each target column, the index of the query column
	// that fills it, or -1 for NULL.
	Mapping []int
}

func (g *Graph) stream(name string) (*Stream, bool) {
	for _, s := range g.Streams {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}

// Stream finds a stream by name.
func (g *Graph) Stream(name string) (*Stream, bool) { return g.stream(name) }

// Error and ErrorList are the syntax tree's positioned errors.
type (
	Error     = ast.Error
	ErrorList = ast.ErrorList
)

// Options for planning.
type Options struct {
	// Inputs are the application's input streams and their columns.
	Inputs []*Stream
	// Tables are the application's reference tables.
	Tables []*Table
	// Seed is mixed into every RANDOM_CUT_FOREST's seed, which otherwise
	// derives from the application and pump names.
	Seed uint64
	// Application names the application (for the default seeds).
	Application string
	// ForestMemory bounds the bytes the application's RANDOM_CUT_FOREST
	// models hold together (rcf.Config.Bytes; 0: no bound). The service's
	// ranges allow one model of about 10 GiB.
	ForestMemory int64
}

// Plan checks a parsed script and builds its graph, reporting every error.
func Plan(script *ast.Script, opts Options) (*Graph, error) {
	g := &Graph{forestLimit: opts.ForestMemory}
	for _, in := range opts.Inputs {
		s := *in
		s.Input = true
		g.Streams = append(g.Streams, &s)
	}
	g.Tables = opts.Tables
	g.Notes = Notes(script)
	var errs ErrorList
	fail := func(err error) {
		var pe *posError
		if errors.As(err, &pe) {
			errs = append(errs, &Error{Pos: pe.pos, Msg: pe.msg})
			return
		}
		errs = append(errs, &Error{Msg: err.Error()})
	}
	for _, st := range script.Statements {
		if g.viewsTooLarge {
			break // every later use of a view would fail the same way
		}
		switch st := st.(type) {
		case *ast.CreateStream:
			if err := g.createStream(st); err != nil {
				fail(err)
			}
		case *ast.CreatePump:
			if err := g.createPump(st, opts); err != nil {
				fail(g.viewsError(st.Name, err))
			}
		case *ast.CreateView:
			if err := g.createView(st); err != nil {
				fail(g.viewsError(st.Name, err))
			}
		case *ast.Insert:
			fail(errAt(st, "INSERT runs inside a pump: CREATE PUMP name AS INSERT INTO ..."))
		}
	}
	if len(errs) > 0 {
		return g, errs.Sorted()
	}
	return g, nil
}

// Notes lists the remarks on a script that planning does not need:
// pumps written STARTED or STOPPED, which Riffle runs like any other.
func Notes(script *ast.Script) ErrorList {
	var notes ErrorList
	for _, st := range script.Statements {
		if p, ok := st.(*ast.CreatePump); ok && p.State != "" {
			notes = append(notes, &Error{Pos: p.StatePos, Msg: fmt.Sprintf("%s is ignored: Riffle runs every pump, %s among them, while the application runs", p.State, p.Name)})
		}
	}
	return notes
}

func (g *Graph) createStream(st *ast.CreateStream) error {
	s := &Stream{Name: st.Name.Name}
	seen := map[string]bool{}
	for _, c := range st.Columns {
		if seen[c.Name.Name] {
			return errAt(c.Name, "column %s appears twice", c.Name)
		}
		seen[c.Name.Name] = true
		t, err := types.FromAST(c.Type)
		if err != nil {
			return errAt(c.Type, "%v", err)
		}
		s.Columns = append(s.Columns, Column{Name: c.Name.Name, Type: t})
	}
	if old, ok := g.stream(s.Name); ok {
		if old.Input {
			return errAt(st.Name, "%s is an input stream; it cannot be created", st.Name)
		}
		if !st.OrReplace {
			return errAt(st.Name, "stream %s already exists (use CREATE OR REPLACE STREAM)", st.Name)
		}
		for _, p := range g.Pumps {
			if p.Target == old || slices.Contains(reads(p.Root), old) {
				return errAt(st.Name, "stream %s cannot be replaced: pump %s uses it (replace the pump after the stream)", st.Name, p.Name)
			}
		}
		*old = *s
		return nil
	}
	g.Streams = append(g.Streams, s)
	return nil
}

func (g *Graph) createView(st *ast.CreateView) error {
	name := st.Name.Name
	if _, ok := g.stream(name); ok {
		return errAt(st.Name, "%s is already a stream", st.Name)
	}
	if _, ok := g.views[name]; ok && !st.OrReplace {
		return errAt(st.Name, "view %s already exists (use CREATE OR REPLACE VIEW)", st.Name)
	}
	// Plan it once now, so that its errors show where it is defined.
	qp := &queryPlanner{g: g, pump: name}
	if _, err := qp.view(st); err != nil {
		return err
	}
	if g.views == nil {
		g.views = map[string]*ast.CreateView{}
	}
	g.views[name] = st
	return nil
}

func (g *Graph) createPump(st *ast.CreatePump, opts Options) error {
	for _, p := range g.Pumps {
		if p.Name == st.Name.Name && !st.OrReplace {
			return errAt(st.Name, "pump %s already exists (use CREATE OR REPLACE PUMP)", st.Name)
		}
	}
	ins := st.Insert
	if _, ok := g.table(ins.Target.Name); ok {
		return errAt(ins.Target, "%s is a reference table; pumps insert into streams", ins.Target)
	}
	target, ok := g.stream(ins.Target.Name)
	if !ok {
		return errAt(ins.Target, "unknown stream %s%s: create it before the pump that fills it", ins.Target, didYouMean(ins.Target.Name, g.relationNames(), true))
	}
	if target.Input {
		return errAt(ins.Target, "%s is an input stream; pumps cannot insert into it", ins.Target)
	}
	qp := &queryPlanner{g: g, pump: st.Name.Name, seed: defaultSeed(opts, st.Name.Name)}
	root, err := qp.query(ins.Query)
	if err != nil {
		return err
	}
	for _, src := range reads(root) {
		if src == target || g.feeds(target, src) {
			return errAt(ins.Target, "pump %s would feed stream %s from itself (through %s)", st.Name, ins.Target, src.Name)
		}
	}
	p := &Pump{Name: st.Name.Name, Root: root, Target: target}
	cols := root.Columns()
	if err := storeError(cols); err != nil {
		return errAt(ins, "%v", err)
	}
	targets := make([]int, 0, len(target.Columns))
	if len(ins.Columns) == 0 {
		if len(cols) != len(target.Columns) {
			return errAt(ins, "the query gives %d columns, stream %s has %d", len(cols), ins.Target, len(target.Columns))
		}
		for i := range target.Columns {
			targets = append(targets, i)
		}
	} else {
		if len(cols) != len(ins.Columns) {
			return errAt(ins, "the query gives %d columns for the %d named", len(cols), len(ins.Columns))
		}
		for _, name := range ins.Columns {
			i := columnIndex(target.Columns, name.Name)
			if i < 0 {
				return errAt(name, "unknown column %s in %s", name, ins.Target)
			}
			targets = append(targets, i)
		}
	}
	p.Mapping = make([]int, len(target.Columns))
	for i := range p.Mapping {
		p.Mapping[i] = -1
	}
	for src, dst := range targets {
		if p.Mapping[dst] >= 0 {
			return errAt(ins, "column %s is named twice", target.Columns[dst].Name)
		}
		from, to := cols[src].Type, target.Columns[dst].Type
		if !types.Assignable(from.Kind, to.Kind) {
			return errAt(ins, "column %d of the query is %s; it cannot go into %s %s", src+1, from, target.Columns[dst].Name, to)
		}
		p.Mapping[dst] = src
	}
	for i, old := range g.Pumps {
		if old.Name == p.Name {
			g.Pumps[i] = p
			return nil
		}
	}
	g.Pumps = append(g.Pumps, p)
	return nil
}

func columnIndex(cols []Column, name string) int {
	for i, c := range cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// defaultSeed derives a pump's forest seed from the application and pump
// names, so the same application gives the same scores run after run.
func defaultSeed(opts Options, pump string) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%s", opts.Application, pump)
	return h.Sum64() ^ opts.Seed
}

// reads lists the streams a query reads.
func reads(n Node) []*Stream {
	switch n := n.(type) {
	case *Scan:
		return []*Stream{n.Stream}
	case *Filter:
		return reads(n.Input)
	case *Project:
		return reads(n.Input)
	case *Aggregate:
		return reads(n.Input)
	case *Analytic:
		return reads(n.Input)
	case *RCF:
		return reads(n.Input)
	case *Hotspots:
		return reads(n.Input)
	case *ItemsTumbling:
		return reads(n.Input)
	case *GroupRank:
		return reads(n.Input)
	case *Sort:
		return reads(n.Input)
	case *Distinct:
		return reads(n.Input)
	case *TSort:
		return reads(n.Input)
	case *Renamed:
		return reads(n.Input)
	case *Windowed:
		return reads(n.Input)
	case *Join:
		return append(reads(n.Left), reads(n.Right)...)
	case *TableScan:
		return nil
	case *Union:
		return append(reads(n.Left), reads(n.Right)...)
	}
	return nil
}

// feeds tells whether rows of stream from reach stream to through pumps.
func (g *Graph) feeds(from, to *Stream) bool {
	seen := map[*Stream]bool{from: true}
	queue := []*Stream{from}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, p := range g.Pumps {
			if !slices.Contains(reads(p.Root), s) || seen[p.Target] {
				continue
			}
			if p.Target == to {
				return true
			}
			seen[p.Target] = true
			queue = append(queue, p.Target)
		}
	}
	return false
}

func (g *Graph) table(name string) (*Table, bool) {
	for _, t := range g.Tables {
		if t.Name == name {
			return t, true
		}
	}
	return nil, false
}
