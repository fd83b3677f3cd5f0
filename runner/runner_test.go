package runner

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/riffle-sql/riffle/compile"
	"github.com/riffle-sql/riffle/internal/datadriven"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/replay"
	"github.com/riffle-sql/riffle/sql/ast"
)

// TestGolden runs the cases in testdata/*.txt and TestCorpus those in
// testdata/corpus/*.txt (published applications, rewritten). A case is
//
//	run [stream=NAME]... [seed=N] [input=PREFIX] [parallelism=N]
//	<SQL>
//	==== records
//	<HH:MM:SS.mmm on 2026-11-01, or an RFC 3339 time> [shard=N] <record>
//	[==== schema
//	<SourceSchema JSON>]
//	[==== table NAME
//	<one record a line, JSON or CSV: a reference table's rows>]...
//	----
//	<the JSON lines riffle run prints, or the errors>
//
// or a check: the SQL planned as `riffle check` does, against the schema
// (given, or discovered from the records) and the tables; it prints ok or
// the errors, each of which must carry its line:column.
//
//	check [input=PREFIX] [parallelism=N]
//	<SQL>
//	[==== schema ...] [==== records ...] [==== table NAME ...]...
//	----
//	ok | error: and the positioned errors
func TestGolden(t *testing.T) {
	datadriven.Walk(t, "testdata/*.txt", golden)
}

func TestCorpus(t *testing.T) {
	datadriven.Walk(t, "testdata/corpus/*.txt", golden)
}

func golden(t *testing.T, c *datadriven.Case) string {
	opts := Options{Application: "golden"}
	for _, arg := range c.Args {
		k, v, _ := strings.Cut(arg, "=")
		switch k {
		case "stream":
			opts.Streams = append(opts.Streams, v)
		case "seed":
			fmt.Sscan(v, &opts.Seed)
		case "input":
			opts.Input = v
		case "parallelism":
			if _, err := fmt.Sscan(v, &opts.Parallelism); err != nil {
				t.Fatalf("%s: parallelism=%q: %v", c.Pos, v, err)
			}
		case "table":
			// table=NAME: the case's "==== table NAME" section holds its rows.
		default:
			t.Fatalf("%s: unknown argument %q", c.Pos, arg)
		}
	}
	sections := splitSections(c.Input)
	opts.SQL = sections.sql
	for _, tb := range sections.tables {
		table, err := compile.LoadTable(tb.name, strings.NewReader(tb.rows))
		if err != nil {
			t.Fatalf("%s: %v", c.Pos, err)
		}
		opts.Tables = append(opts.Tables, table)
	}
	if sections.schema != "" {
		s, err := record.ParseSchema([]byte(sections.schema))
		if err != nil {
			t.Fatalf("%s: %v", c.Pos, err)
		}
		opts.Schema = &s
	}
	replayText, err := toReplay(sections.records)
	if err != nil {
		t.Fatalf("%s: %v", c.Pos, err)
	}
	switch c.Cmd {
	case "run":
		var out bytes.Buffer
		if err := Run(opts, strings.NewReader(replayText), &out); err != nil {
			return "error:\n" + err.Error()
		}
		// Determinism: a second run prints the same bytes.
		var again bytes.Buffer
		if err := Run(opts, strings.NewReader(replayText), &again); err != nil || again.String() != out.String() {
			t.Errorf("%s: a second run printed something else", c.Pos)
		}
		return out.String()
	case "check":
		return check(t, c.Pos, opts, replayText)
	}
	t.Fatalf("%s: unknown command %q", c.Pos, c.Cmd)
	return ""
}

// check plans the application as `riffle check` does and prints ok or its
// errors. A panic, or an error without a line:column, fails the test.
func check(t *testing.T, pos string, opts Options, replayText string) (out string) {
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: planning panicked: %v", pos, r)
			out = fmt.Sprintf("panic: %v", r)
		}
	}()
	schema := opts.Schema
	if schema == nil {
		var samples [][]byte
		rd := replay.NewReader(strings.NewReader(replayText))
		for {
			rec, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", pos, err)
			}
			samples = append(samples, rec.Data)
		}
		if len(samples) == 0 {
			t.Fatalf("%s: a check needs a schema or records to discover it from", pos)
		}
		s, err := record.Discover(samples)
		if err != nil {
			t.Fatalf("%s: %v", pos, err)
		}
		schema = &s
	}
	_, err := compile.Plan(compile.Options{SQL: opts.SQL, Schema: *schema, Application: "check",
		Inputs: opts.Inputs(), Tables: opts.Tables})
	if err == nil {
		return "ok"
	}
	var list ast.ErrorList
	if !errors.As(err, &list) {
		t.Errorf("%s: an error without a position: %v", pos, err)
		return "error:\n" + err.Error()
	}
	for _, e := range list {
		if e.Pos.Line < 1 || e.Pos.Col < 1 {
			t.Errorf("%s: an error without a position: %v", pos, e)
		}
	}
	return "error:\n" + list.Error()
}

type caseSections struct {
	sql, records, schema string
	tables               []tableSection
}

type tableSection struct{ name, rows string }

// splitSections cuts a case's input at its "==== KIND [NAME]" lines: the
// SQL before the first, then records, a schema and tables in any order.
func splitSections(input string) caseSections {
	var (
		s   caseSections
		sql strings.Builder
		b   strings.Builder
		cur *string // the section being read; nil while in the SQL
	)
	flush := func() {
		if cur != nil {
			*cur = b.String()
		}
		b.Reset()
	}
	for _, line := range strings.SplitAfter(input, "\n") {
		kind, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "==== ")
		if !ok {
			if cur == nil {
				sql.WriteString(line)
			} else {
				b.WriteString(line)
			}
			continue
		}
		flush()
		kind, name, _ := strings.Cut(kind, " ")
		switch kind {
		case "records":
			cur = &s.records
		case "schema":
			cur = &s.schema
		case "table":
			s.tables = append(s.tables, tableSection{name: name})
			cur = &s.tables[len(s.tables)-1].rows
		default:
			panic(fmt.Sprintf("unknown section %q", kind))
		}
	}
	flush()
	s.sql = sql.String()
	return s
}

// toReplay turns "TIME RECORD" lines into replay lines.
func toReplay(lines string) (string, error) {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(lines), "\n") {
		if line == "" {
			continue
		}
		at, data, ok := strings.Cut(line, " ")
		if !ok {
			return "", fmt.Errorf("record line %q: want TIME RECORD", line)
		}
		if !strings.Contains(at, "T") {
			at = "2026-11-01T" + at + "Z"
		}
		if _, err := time.Parse(time.RFC3339Nano, at); err != nil {
			return "", fmt.Errorf("record line %q: %v", line, err)
		}
		shard := ""
		if rest, ok := strings.CutPrefix(data, "shard="); ok {
			// "TIME shard=N RECORD": the record came from shard N.
			n, record, _ := strings.Cut(rest, " ")
			shard, data = `,"shard":`+n, record
		}
		if !strings.HasPrefix(data, "{") {
			data = fmt.Sprintf("%q", data)
		}
		fmt.Fprintf(&b, `{"arrival":%q,"data":%s%s}`+"\n", at, data, shard)
	}
	return b.String(), nil
}
